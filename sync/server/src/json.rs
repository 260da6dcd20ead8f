//! A JSON body extractor whose rejections are API errors with stable codes, not axum's plain
//! text.

use crate::error::ApiFailure;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use taller_protocol::messages::ErrorCode;

pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(map_rejection(rejection)),
        }
    }
}

fn map_rejection(rejection: JsonRejection) -> ApiFailure {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiFailure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::InvalidJson,
            "Send the body as JSON with Content-Type: application/json.",
        ),
        JsonRejection::JsonDataError(error) => ApiFailure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidJson,
            format!("The JSON does not have the expected fields or types: {}", error.body_text()),
        ),
        JsonRejection::JsonSyntaxError(error) => ApiFailure::bad_request(
            ErrorCode::InvalidJson,
            format!("The body is not valid JSON: {}", error.body_text()),
        ),
        JsonRejection::BytesRejection(error) => {
            if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiFailure::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::PayloadTooLarge,
                    format!(
                        "The body is larger than {} bytes; send fewer mutations per request.",
                        taller_protocol::MAX_PUSH_BYTES
                    ),
                )
            } else {
                ApiFailure::bad_request(ErrorCode::InvalidJson, "The body could not be read.")
            }
        }
        other => ApiFailure::bad_request(ErrorCode::InvalidJson, other.body_text()),
    }
}
