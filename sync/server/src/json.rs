//! A JSON body extractor whose rejections are API errors with stable codes, not axum's plain
//! text.

use crate::error::ApiFailure;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::marker::PhantomData;
use taller_protocol::messages::ErrorCode;

pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<Object<T>>::from_request(request, state).await {
            Ok(axum::Json(Object(value))) => Ok(ApiJson(value)),
            Err(rejection) => Err(map_rejection(rejection)),
        }
    }
}

/// Every request body of the API is a JSON object. serde's derived structs also accept the
/// array form (`[]` would be an empty pull, `[uuid, [...]]` a push); this refuses it, so the
/// one documented shape is the only one.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        deserializer.deserialize_map(ObjectVisitor(PhantomData)).map(Object)
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

#[cfg(test)]
mod tests {
    use super::*;
    use taller_protocol::messages::{PullRequest, PushRequest};

    fn parse<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str::<Object<T>>(text).map(|Object(value)| value)
    }

    #[test]
    fn only_objects_are_bodies() {
        assert!(parse::<PullRequest>("{}").is_ok());
        assert!(parse::<PullRequest>(r#"{"limit": 5}"#).is_ok_and(|p| p.limit == Some(5)));
        assert!(serde_json::from_str::<PullRequest>("[]").is_ok(), "serde alone accepts the array form");
        for bad in ["[]", "[null, 5]", "null", "1", "\"x\""] {
            let error = parse::<PullRequest>(bad).err();
            assert!(error.as_ref().is_some_and(|e| e.is_data()), "{bad}: {error:?}");
        }
        // Unknown fields are still refused inside the object.
        assert!(parse::<PullRequest>(r#"{"since": 0}"#).is_err());
        let push = format!(r#"["{}", []]"#, uuid::Uuid::nil());
        assert!(parse::<PushRequest>(&push).is_err());
    }
}
