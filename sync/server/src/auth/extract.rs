//! What a request says about its caller: the authenticated user behind a bearer token, the
//! language it asks for, and the peer address for rate limits.

use super::*;

/// A session with what decides whether it still grants access: (id_sesion, id_usuario,
/// expira_en, revocada_en, aprobado, bloqueado, nombre_rol, permisos).
pub(super) type SessionRow =
    (Uuid, Uuid, DateTime<Utc>, Option<DateTime<Utc>>, bool, Option<bool>, String, serde_json::Value);

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id_usuario: Uuid,
    pub id_sesion: Uuid,
    pub nombre_rol: String,
    pub permisos: Permisos,
    pub is_admin: bool,
    pub lang: Lang,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts.headers.get(header::AUTHORIZATION))?;
        let lang = request_lang(parts);
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT s.id_sesion, s.id_usuario, s.expira_en, s.revocada_en, u.aprobado, \
                        c.bloqueado, r.nombre_rol, r.permisos \
                   FROM sync_sesiones s \
                   JOIN usuarios u ON u.id_usuario = s.id_usuario \
                   JOIN roles r ON r.id_rol = u.id_rol \
                   LEFT JOIN sync_credenciales c ON c.id_usuario = s.id_usuario \
                  WHERE s.token_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(&state.pool)
        .await?;
        let Some((id_sesion, id_usuario, expira_en, revocada_en, aprobado, bloqueado, nombre_rol, permisos)) = row
        else {
            return Err(ApiFailure::unauthorized("The token is not valid; sign in again."));
        };
        if revocada_en.is_some() {
            return Err(ApiFailure::unauthorized("The session was closed; sign in again."));
        }
        if bloqueado.unwrap_or(false) {
            return Err(ApiFailure::new(StatusCode::FORBIDDEN, ErrorCode::UserBlocked, "The account is blocked."));
        }
        if !aprobado {
            return Err(ApiFailure::new(
                StatusCode::FORBIDDEN,
                ErrorCode::UserNotApproved,
                "The account is not approved by an administrator.",
            ));
        }
        if expira_en <= Utc::now() {
            return Err(ApiFailure::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::TokenExpired,
                "The access token expired; refresh it.",
            ));
        }
        Ok(AuthUser {
            id_usuario,
            id_sesion,
            is_admin: nombre_rol == ADMIN_ROLE,
            nombre_rol,
            permisos: Permisos::from_json(&permisos),
            lang,
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header. The scheme is case-insensitive and
/// one or more spaces separate it from the token (RFC 9110 §11.1 and §11.4), so `bearer x`
/// and `BEARER  x` are the same credentials as `Bearer x`.
pub(super) fn bearer_token(value: Option<&HeaderValue>) -> Result<&str, ApiFailure> {
    let value = value.ok_or_else(|| ApiFailure::unauthorized("Sign in first: no bearer token was sent."))?;
    let text = value.to_str().map_err(|_| {
        ApiFailure::unauthorized(
            "The Authorization header has characters other than visible ASCII; send `Bearer <token>` as the server issued it.",
        )
    })?;
    let malformed = || ApiFailure::unauthorized("The Authorization header must be `Bearer <token>`.");
    let (scheme, token) = text.trim().split_once(' ').ok_or_else(malformed)?;
    let token = token.trim_start_matches(' ');
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(malformed());
    }
    Ok(token)
}

/// The language of the request's person: `Accept-Language`, Spanish by default.
pub fn request_lang(parts: &Parts) -> Lang {
    parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map(Lang::from_tag)
        .unwrap_or_default()
}

/// The peer address, when the server runs with connection info (tests driving the router
/// directly have none).
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let parse = |text: &[u8]| {
            let value = HeaderValue::from_bytes(text).expect("header value");
            bearer_token(Some(&value)).map(str::to_owned).map_err(|failure| failure.message)
        };
        for text in [&b"Bearer abc"[..], b"bearer abc", b"BEARER abc", b"bEaReR   abc", b"Bearer abc "] {
            assert_eq!(parse(text).as_deref(), Ok("abc"), "{}", String::from_utf8_lossy(text));
        }
        for text in [&b"Basic abc"[..], b"Bearer", b"Bearer ", b"abc", b"Bearerabc", b"Bearer\tabc"] {
            assert!(parse(text).is_err_and(|m| m.contains("`Bearer <token>`")), "{}", String::from_utf8_lossy(text));
        }
        assert!(parse(b"Bearer \xff\xfe").is_err_and(|m| m.contains("visible ASCII")));
        assert!(bearer_token(None).is_err_and(|f| f.message.contains("no bearer token")));
    }
}
