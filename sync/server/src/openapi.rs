//! The OpenAPI document, served at `/v1/openapi.json`. The operations' own annotations say
//! what their handlers answer; [`CommonAnswers`] adds what every request can get from the
//! layers in front of them (the protocol header, authentication, the JSON body extractor, the
//! limits), so the document stays true as handlers are added. `tests/it/openapi.rs` checks real
//! answers of every endpoint against it.

use axum::Json;
use taller_protocol::{MAX_PUSH_BYTES, PROTOCOL_HEADER, PROTOCOL_VERSION};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, Required, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Taller sync API", description = "Push domain mutations exactly once; pull the scoped, gap-free change feed. \
        Every /v1 request except this document carries the `taller-protocol` header. Request bodies may be sent \
        uncompressed or with `Content-Encoding: gzip` or `zstd`. Every error answer has the body `ApiError`, except \
        the malformed requests that the HTTP parser refuses on its own (see docs/sync-protocol.md)."),
    paths(
        crate::healthz,
        crate::auth::login,
        crate::auth::refresh,
        crate::auth::logout,
        crate::auth::register,
        crate::auth::change_password,
        crate::auth::me,
        crate::push::push,
        crate::pull::pull,
        crate::events::events,
        crate::checksum::checksum,
        document,
    ),
    modifiers(&BearerAuth, &CommonAnswers)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("`Authorization: Bearer <access token>`; the scheme is case-insensitive."))
                    .build(),
            ),
        );
    }
}

/// Which operations an answer can come from.
#[derive(Clone, Copy, PartialEq)]
enum Applies {
    /// Any request (the layers around the whole router).
    Every,
    /// Requests to `/v1/*` except the document (the protocol check, the database).
    Versioned,
    /// Operations with a JSON request body (the body extractor and its limit).
    WithBody,
    /// Operations that need a bearer token.
    SignedIn,
}

/// The answers the layers in front of the handlers give, with what each means.
const COMMON_ANSWERS: &[(&str, Applies, &str)] = &[
    (
        "414",
        Applies::Every,
        "The request target is longer than the server takes (8 KiB), `invalid_request`.",
    ),
    (
        "415",
        Applies::Every,
        "`invalid_json`: a `Content-Encoding` other than gzip or zstd (the `Accept-Encoding` header lists those taken), \
         or a body without `Content-Type: application/json`.",
    ),
    ("431", Applies::Every, "More header lines than the server takes (100), `invalid_request`."),
    ("500", Applies::Every, "`internal`: a fault of the server; it was logged."),
    (
        "400",
        Applies::Versioned,
        "`unsupported_protocol`: the `taller-protocol` header is missing, not a whole number, or newer than the server's \
         protocol; `invalid_json`: the body is not JSON.",
    ),
    (
        "426",
        Applies::Versioned,
        "`update_required`: the client's protocol is older than the server's minimum; the app must be updated.",
    ),
    ("503", Applies::Versioned, "`unavailable`: the database is unavailable right now; retry later."),
    (
        "413",
        Applies::WithBody,
        "`payload_too_large`: the body, once decompressed, is larger than the server takes (1 MiB).",
    ),
    (
        "422",
        Applies::WithBody,
        "`invalid_json`: the JSON lacks a field, has one of the wrong type or one the server does not know; \
         `invalid_request`: a value is not acceptable.",
    ),
    (
        "401",
        Applies::SignedIn,
        "`unauthorized`: no bearer token, or one that is not valid or whose session was closed; `token_expired`: refresh it.",
    ),
    ("403", Applies::SignedIn, "`user_blocked` or `user_not_approved`: the account may not use the API."),
];

// The descriptions above state these limits.
const _: () = assert!(MAX_PUSH_BYTES == 1024 * 1024 && crate::MAX_URI_BYTES == 8 * 1024 && crate::MAX_HEADERS == 100);

struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let versioned = path.starts_with("/v1/") && path != "/v1/openapi.json";
            for operation in operations(item) {
                let with_body = operation.request_body.is_some();
                let signed_in = operation.security.as_ref().is_some_and(|security| !security.is_empty());
                if versioned {
                    let header = ParameterBuilder::new()
                        .name(PROTOCOL_HEADER)
                        .parameter_in(ParameterIn::Header)
                        .required(Required::True)
                        .description(Some(format!(
                            "The client's protocol version, a whole number; this server speaks {PROTOCOL_VERSION}."
                        )))
                        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0))))
                        .build();
                    operation.parameters.get_or_insert_with(Vec::new).insert(0, header);
                }
                for (status, applies, description) in COMMON_ANSWERS {
                    let applies = match applies {
                        Applies::Every => true,
                        Applies::Versioned => versioned,
                        Applies::WithBody => with_body,
                        Applies::SignedIn => signed_in,
                    };
                    if applies {
                        operation.responses.responses.entry((*status).to_owned()).or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(*description)
                                .content(
                                    "application/json",
                                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ApiError"))).build(),
                                )
                                .build()
                                .into()
                        });
                    }
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// This document. It is served without the `taller-protocol` header, so that any client can
/// read which protocol the server speaks.
#[utoipa::path(get, path = "/v1/openapi.json",
    responses((status = 200, description = "This OpenAPI 3.1 document.", body = Object)))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
