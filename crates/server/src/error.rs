//! One error type for every handler. Every status the API returns carries the same
//! body, `{code, message, fields?}` ([`alc_domain::ErrorBody`]).

use alc_domain::ErrorCode;
use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use alc_domain::{BatchError, ErrorBody, FieldError};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// Sent as `Retry-After` (seconds) with 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            retry_after: None,
            status,
            body: ErrorBody {
                code,
                message: message.into(),
                fields: Vec::new(),
            },
        }
    }

    pub fn with_fields(mut self, fields: Vec<FieldError>) -> Self {
        self.body.fields = fields;
        self
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "There is nothing at this address.",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "This address does not accept that method.",
        )
    }

    /// Something broke on our side. The details go to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "Something went wrong on the server; nothing was changed. Try again, and tell your administrator if it persists.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<BatchError> for ApiError {
    fn from(e: BatchError) -> Self {
        match e {
            BatchError::Invalid {
                code,
                message,
                fields,
            } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).with_fields(fields),
            BatchError::Conflict { message, fields } => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
                    .with_fields(fields)
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let code = match &r {
            JsonRejection::JsonDataError(_) => ErrorCode::InvalidBody,
            JsonRejection::JsonSyntaxError(_) => ErrorCode::MalformedJson,
            JsonRejection::MissingJsonContentType(_) => ErrorCode::UnsupportedMediaType,
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::BodyTooLarge,
            _ => ErrorCode::UnreadableBody,
        };
        let message = match code {
            ErrorCode::BodyTooLarge => format!(
                "The request body is larger than the {} KiB this API accepts.",
                crate::MAX_BODY_BYTES / 1024
            ),
            ErrorCode::UnsupportedMediaType => {
                "Send the body as JSON, with the header Content-Type: application/json.".into()
            }
            _ => r.body_text(),
        };
        ApiError::new(r.status(), code, message)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidQuery,
            r.body_text(),
        )
    }
}

/// `axum::Json`, answering bad input with our error body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query`, answering bad input with our error body.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("There is nothing at this address ({}).", r.body_text()),
        )
    }
}

/// `axum::extract::Path`, answering a malformed id with our error body.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

use crate::secrets::SecretsError;
use crate::store::StoreError;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused(b) => b.into(),
            StoreError::NotFound => ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                ErrorCode::AgentNotFound,
                "This agent does not exist (it may have been removed). Go back to the list.",
            ),
            StoreError::Busy => {
                let mut e = ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::Busy,
                    "The server is busy checking sign-ins. Try again in a few seconds.",
                );
                e.retry_after = Some(5);
                e
            }
            StoreError::Secrets(e @ (SecretsError::NoKey | SecretsError::UnknownKey(_))) => {
                ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    match e {
                        SecretsError::NoKey => ErrorCode::NoSecretKey,
                        _ => ErrorCode::UnknownSecretKey,
                    },
                    e.to_string(),
                )
            }
            StoreError::UserNotFound => ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                ErrorCode::UserNotFound,
                "This console user does not exist. Reload the list.",
            ),
            other => ApiError::internal(other),
        }
    }
}
