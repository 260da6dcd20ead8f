//! The server's HTTP API as the client uses it. Every request states the protocol version;
//! answers that are not 2xx become `ClientError::Server` with the server's stable code.

use crate::error::{ClientError, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::time::Duration;
use taller_protocol::messages::{
    ApiError, ChecksumResponse, ErrorCode, LoginRequest, PullRequest, PullResponse, PushRequest, PushResponse,
    RefreshRequest, Session,
};
use taller_protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};

#[derive(Clone)]
pub struct ServerApi {
    http: reqwest::Client,
    base: String,
    lang: String,
}

impl ServerApi {
    pub fn new(base: &str, lang: &str) -> Result<ServerApi> {
        let http = reqwest::Client::builder()
            // Both offered; the server prefers zstd (cheaper to decode, and smaller).
            .gzip(true)
            .zstd(true)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(no_answer)?;
        Ok(ServerApi { http, base: base.trim_end_matches('/').to_owned(), lang: lang.to_owned() })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: reqwest::Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .header(reqwest::header::ACCEPT_LANGUAGE, &self.lang);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T> {
        let response = request.send().await.map_err(no_answer)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(no_answer)?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|error| ClientError::Offline(format!("unreadable answer: {error}")));
        }
        let error: ApiError = serde_json::from_slice(&bytes).map_err(|_| ClientError::Server {
            status: status.as_u16(),
            code: if status.is_server_error() { ErrorCode::Unavailable } else { ErrorCode::InvalidRequest },
            message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        })?;
        if error.code == ErrorCode::UpdateRequired {
            return Err(ClientError::UpdateRequired(error.message));
        }
        Err(ClientError::Server { status: status.as_u16(), code: error.code, message: error.message })
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, token: Option<&str>, body: &B) -> Result<T> {
        self.send(self.request(reqwest::Method::POST, path, token).json(body)).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<Session> {
        self.post("/v1/auth/login", None, &LoginRequest { email: email.to_owned(), password: password.to_owned() })
            .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<Session> {
        self.post("/v1/auth/refresh", None, &RefreshRequest { refresh_token: refresh_token.to_owned() }).await
    }

    pub async fn push(&self, token: &str, request: &PushRequest) -> Result<PushResponse> {
        self.post("/v1/push", Some(token), request).await
    }

    /// A push whose request is already encoded as JSON (so its encoding can be timed apart).
    pub async fn push_encoded(&self, token: &str, body: Vec<u8>) -> Result<PushResponse> {
        let request = self
            .request(reqwest::Method::POST, "/v1/push", Some(token))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        self.send(request).await
    }

    pub async fn pull(&self, token: &str, request: &PullRequest) -> Result<PullResponse> {
        self.post("/v1/pull", Some(token), request).await
    }

    /// A pull whose `changes` are kept as the server's JSON text, for staging as they are.
    pub async fn pull_page(&self, token: &str, request: &PullRequest) -> Result<PulledPage> {
        self.post("/v1/pull", Some(token), request).await
    }

    pub async fn checksum(&self, token: &str) -> Result<ChecksumResponse> {
        self.send(self.request(reqwest::Method::GET, "/v1/checksum", Some(token))).await
    }

    /// Opens the live channel; the caller reads `changes` events from the byte stream.
    pub async fn events(&self, token: &str) -> Result<reqwest::Response> {
        let response = self
            .request(reqwest::Method::GET, "/v1/events", Some(token))
            .timeout(Duration::from_secs(24 * 3600))
            .send()
            .await
            .map_err(no_answer)?;
        if !response.status().is_success() {
            return Err(ClientError::Server {
                status: response.status().as_u16(),
                code: ErrorCode::Unauthorized,
                message: "the live channel was refused".into(),
            });
        }
        Ok(response)
    }
}

/// A request that got no answer, with every cause reqwest chains under it: its own message
/// alone ("error sending request for url …") does not say whether the connection was refused
/// or timed out.
fn no_answer(error: reqwest::Error) -> ClientError {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    ClientError::Offline(text)
}

/// A [`PullResponse`] whose `changes` (the array of `TableChanges`) are not decoded: they are
/// checked (`sync::check_changes`) and staged as the server wrote them.
#[derive(Debug, Deserialize)]
pub struct PulledPage {
    pub changes: Box<RawValue>,
    pub cursor: String,
    pub complete: bool,
    #[serde(default)]
    pub reset: bool,
    pub rows_sent: u64,
    pub rows_total: u64,
}

impl ClientError {
    /// Whether the error means "try again later" (network, server unavailable).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Offline(_) => true,
            ClientError::Server { status, .. } => *status >= 500 || *status == 429,
            ClientError::PushFailed(error) => error.is_transient(),
            _ => false,
        }
    }

    /// Whether the server refused the pull's cursor: the replica starts a full sync.
    pub fn is_invalid_cursor(&self) -> bool {
        matches!(self, ClientError::Server { code: ErrorCode::InvalidCursor, .. })
    }

    /// Whether the server was never heard from (no network, nothing listening, no answer).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ClientError::Offline(_))
    }

    pub fn is_expired_token(&self) -> bool {
        matches!(self, ClientError::Server { code: ErrorCode::TokenExpired, .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use taller_protocol::messages::TableChanges;
    use taller_server::config::Config;
    use taller_server::demo;
    use taller_server::testing::{TestDb, TestServer};

    /// A server that is not there: the error is `Offline` and says why (the connection was
    /// refused), not only which request failed.
    #[tokio::test]
    async fn an_unanswered_request_says_why() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        drop(listener);
        let api = ServerApi::new(&base, "es").expect("api");
        match api.login("admin@taller.test", "x").await {
            Err(ClientError::Offline(message)) => {
                assert!(message.contains("error sending request"), "{message}");
                assert!(message.to_lowercase().contains("connection refused"), "{message}");
            }
            other => panic!("expected Offline, got {other:?}"),
        }
    }

    /// The library offers zstd and gzip and gets zstd; a client that only offers gzip (older
    /// releases) still gets gzip; both decode to the rows of the uncompressed answer.
    #[tokio::test]
    async fn pulls_negotiate_zstd_and_old_clients_keep_gzip() {
        let db = TestDb::new().await;
        demo::load(&db.pool, &demo::DemoSize { parts: 30, locations: 2 }).await.expect("demo data");
        let server = TestServer::start(&db, Config::default()).await;
        let api = ServerApi::new(&server.base, "es").expect("api");
        let session = api.login("admin@taller.test", demo::DEMO_PASSWORD).await.expect("login");
        let request = PullRequest { cursor: None, limit: Some(500) };

        let raw = reqwest::Client::builder().no_gzip().no_zstd().build().expect("client");
        let pull = |accept: &'static str| {
            raw.post(format!("{}/v1/pull", server.base))
                .bearer_auth(&session.access_token)
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .header(reqwest::header::ACCEPT_ENCODING, accept)
                .json(&request)
                .send()
        };
        let encoding = |response: &reqwest::Response| {
            response.headers().get(reqwest::header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::to_owned)
        };
        let zstd = pull("gzip, zstd").await.expect("pull");
        assert_eq!(encoding(&zstd).as_deref(), Some("zstd"));
        let zstd = zstd.bytes().await.expect("body");
        assert_eq!(&zstd[..4], &[0x28, 0xb5, 0x2f, 0xfd], "a zstd frame");
        let gzip = pull("gzip").await.expect("pull");
        assert_eq!(encoding(&gzip).as_deref(), Some("gzip"));
        let plain = pull("identity").await.expect("pull");
        assert_eq!(encoding(&plain), None);
        let plain: PullResponse = serde_json::from_slice(&plain.bytes().await.expect("body")).expect("JSON");
        assert!(plain.changes.iter().any(|c| c.table == "inventario" && !c.upserts.is_empty()));
        assert!(zstd.len() * 3 < serde_json::to_vec(&plain).expect("json").len(), "compression pays");

        // Through the library (zstd decoded by reqwest), undecoded changes and decoded ones agree.
        let page = api.pull_page(&session.access_token, &request).await.expect("pull_page");
        let changes: Vec<TableChanges> = serde_json::from_str(page.changes.get()).expect("changes");
        assert_eq!(changes, plain.changes);
        let decoded = api.pull(&session.access_token, &request).await.expect("pull");
        assert_eq!(decoded.changes, plain.changes);
    }
}
