//! Errors: [`RegistryError`] for the library's callers (startup, storage),
//! and [`ApiError`], Confluent's `{"error_code","message"}` body with its HTTP
//! status (reference §8.2).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why the registry could not start or could not reach its storage.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A `schema.registry.listeners` entry is not `http://host:port`.
    #[error("invalid schema registry listener {listener:?}: {reason}")]
    InvalidListener {
        /// The entry as given.
        listener: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Binding a listener failed.
    #[error(
        "cannot bind schema registry listener {listener}: {source} (set schema.registry.listeners to another address, or empty for no registry)"
    )]
    Bind {
        /// The entry as given.
        listener: String,
        /// The socket error.
        source: std::io::Error,
    },
    /// The `_schemas` topic could not be created, written or read.
    #[error("schema store: {0}")]
    Store(String),
    /// A record in `_schemas` could not be understood (skipped when
    /// following; reported when it must not be skipped).
    #[error("schema store record at offset {offset}: {reason}")]
    Record {
        /// The record's offset.
        offset: i64,
        /// What is wrong.
        reason: String,
    },
    /// Authentication setup failed (JAAS config or API keys file).
    #[error("schema registry authentication: {0}")]
    Auth(String),
}

/// Confluent's content type for every registry response.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// An error answer: HTTP status, Confluent `error_code` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Confluent's error code (e.g. 40401).
    pub error_code: u32,
    /// Human-readable message.
    pub message: String,
}

impl ApiError {
    /// An error with explicit status and code.
    pub fn new(status: StatusCode, error_code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            error_code,
            message: message.into(),
        }
    }

    /// 40401.
    pub fn subject_not_found(subject: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            40401,
            format!("Subject '{subject}' not found."),
        )
    }

    /// 40402.
    pub fn version_not_found(version: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            40402,
            format!("Version {version} not found."),
        )
    }

    /// 40403.
    pub fn schema_not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, 40403, detail)
    }

    /// 40901.
    pub fn incompatible(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, 40901, message)
    }

    /// 42201.
    pub fn invalid_schema(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, 42201, message)
    }

    /// 42202.
    pub fn invalid_version(version: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            42202,
            format!(
                "The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
            ),
        )
    }

    /// 42205.
    pub fn not_permitted(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, 42205, message)
    }

    /// 42208.
    pub fn invalid_subject(subject: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            42208,
            format!("The specified subject '{subject}' is not valid."),
        )
    }

    /// 422 for a body that is not the expected JSON (Confluent answers
    /// unparseable bodies with 422 and the HTTP code as error code).
    pub fn bad_body(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, 422, message)
    }

    /// 401 for a missing or wrong `Authorization` header.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 401, message)
    }

    /// 50001.
    pub fn store(message: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            50001,
            format!("Error in the backend data store: {message}"),
        )
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        Self::store(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error_code": self.error_code, "message": self.message});
        let mut response = (self.status, body.to_string()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"ferry schema registry\""),
            );
        }
        response
    }
}
