//! HTTP Basic authentication for the registry, with the broker's
//! credentials: on when some Kafka listener uses SASL, checked against the
//! SASL listeners' JAAS static users and the API keys of
//! `<data_dir>/api-keys.json`, through [`ferry_auth::Authenticator`]'s PLAIN
//! exchange (so the same API key works for Kafka, REST and the registry).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The registry's authentication is the REST API's: the same decision
/// (on when a Kafka listener uses SASL) and the same credentials.
pub type RegistryAuth = ferry_rest::RestAuth;

/// Middleware: 401 before any route when credentials are required and
/// missing or wrong.
pub(crate) async fn require(
    State(auth): State<RegistryAuth>,
    request: Request,
    next: Next,
) -> Response {
    match auth.authorize(request.headers()).await {
        Ok(()) => next.run(request).await,
        Err(message) => ApiError::unauthorized(message).into_response(),
    }
}
