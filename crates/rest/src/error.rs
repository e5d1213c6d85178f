//! Errors: [`RestError`] for setting the server up, and `ApiError`, the
//! `{"error_code":int,"message":string}` body every failed request gets.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_link::LinkError;
use serde::Serialize;

/// Why the REST server could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// A `rest.listeners` entry is not `http://host:port`.
    #[error("rest.listeners entry {listener:?}: {reason}")]
    InvalidListener {
        /// The entry as given.
        listener: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An `https://` listener but no keystore to serve it with.
    #[error(
        "rest.listeners entry {0:?}: https needs a PEM keystore: set ssl.keystore.location (or rest.ssl.keystore.location), or use http://"
    )]
    HttpsWithoutKeystore(String),
    /// The keystore for `https://` listeners is unusable.
    #[error("REST TLS: {0}")]
    Tls(String),
    /// The address could not be bound (in use, not local, …).
    #[error("binding rest listener {listener}: {source}")]
    Bind {
        /// The entry as given.
        listener: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The broker's authentication settings could not be read (bad JAAS
    /// config, unreadable `api-keys.json`).
    #[error("REST authentication setup: {0}")]
    Auth(String),
}

/// Confluent's REST error body.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error_code: i32,
    message: &'a str,
}

/// A failed request: HTTP status plus Confluent's error body.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    error_code: i32,
    message: String,
    /// Sends `WWW-Authenticate: Basic realm="ferry"` (401 only).
    challenge: bool,
}

impl ApiError {
    /// A request ferry cannot act on (bad JSON, bad query value, missing field).
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 400, message)
    }

    /// No such resource.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, 404, message)
    }

    /// Missing or wrong credentials (Confluent's 40101).
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self {
            challenge: true,
            ..Self::new(StatusCode::UNAUTHORIZED, 40101, message)
        }
    }

    /// Any status with its own `error_code`.
    pub(crate) fn new(status: StatusCode, error_code: i32, message: impl Into<String>) -> Self {
        Self {
            status,
            error_code,
            message: message.into(),
            challenge: false,
        }
    }

    /// The unknown-cluster answer, worded as Confluent's REST server words it.
    pub(crate) fn cluster_not_found(cluster_id: &str) -> Self {
        Self::not_found(format!("Cluster {cluster_id} cannot be found."))
    }
}

impl From<LinkError> for ApiError {
    fn from(e: LinkError) -> Self {
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, e.error_code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error_code: self.error_code,
            message: &self.message,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"ferry\""),
            );
        }
        response
    }
}
