//! The OpenAPI document, served at `/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Taller sync API", description = "Push domain mutations exactly once; pull the scoped, gap-free change feed. Every /v1 request except this document carries the `taller-protocol` header."),
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
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
