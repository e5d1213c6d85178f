//! HTTP Basic authentication for the REST listener, with the credentials the
//! Kafka listeners accept.
//!
//! Confluent's REST API takes an API key and secret as Basic credentials. ferry
//! asks for them exactly when the broker itself asks Kafka clients to
//! authenticate (some listener speaks SASL_PLAINTEXT or SASL_SSL), and checks
//! them against the same sources the broker's SASL PLAIN does: the JAAS static
//! users of the SASL listeners and the API keys in `<data_dir>/api-keys.json`.
//! The check runs through [`ferry_auth::Authenticator`]'s PLAIN exchange, so
//! it has the broker's constant-time comparisons and picks up keys created
//! while the server runs.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use ferry_auth::{ApiKeyStore, Authenticator, Mechanism, Step};
use ferry_broker::BrokerConfig;

use crate::error::{ApiError, RestError};

/// Whether the REST API requires HTTP Basic credentials, and where they are
/// checked. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RestAuth {
    /// `None`: open, as the Kafka listeners are.
    verifier: Option<Authenticator>,
}

impl RestAuth {
    /// No authentication: every request is served.
    pub fn disabled() -> Self {
        Self { verifier: None }
    }

    /// Basic authentication against `static_users` (name → password) and,
    /// if given, an API-key store.
    pub fn basic(static_users: HashMap<String, String>, api_keys: Option<ApiKeyStore>) -> Self {
        Self {
            verifier: Some(Authenticator::new(
                vec![Mechanism::Plain],
                static_users,
                api_keys,
            )),
        }
    }

    /// Decides from the broker's configuration: required when any Kafka
    /// listener uses SASL, with that listener's JAAS static users
    /// (`listener.name.<l>.<mechanism>.sasl.jaas.config`, as the broker reads
    /// them) and the data directory's API keys.
    ///
    /// # Errors
    /// [`RestError::Auth`] for a JAAS config the broker would refuse too, or
    /// an `api-keys.json` that cannot be read.
    pub fn from_broker_config(config: &BrokerConfig) -> Result<Self, RestError> {
        let sasl: Vec<_> = config
            .listeners
            .iter()
            .filter(|l| l.protocol.uses_sasl())
            .collect();
        if sasl.is_empty() {
            return Ok(Self::disabled());
        }
        let mut users = HashMap::new();
        for listener in sasl {
            let prefix = format!("listener.name.{}.", listener.name.to_ascii_lowercase());
            for (key, value) in &config.props {
                let Some(rest) = key.strip_prefix(&prefix) else {
                    continue;
                };
                if rest.ends_with(".sasl.jaas.config") {
                    let parsed = ferry_auth::parse_plain_jaas(value)
                        .map_err(|e| RestError::Auth(format!("{key}: {e}")))?;
                    users.extend(parsed);
                }
            }
        }
        let store =
            ApiKeyStore::open(&config.data_dir).map_err(|e| RestError::Auth(e.to_string()))?;
        Ok(Self::basic(users, Some(store)))
    }

    /// Whether requests must carry credentials.
    pub fn is_required(&self) -> bool {
        self.verifier.is_some()
    }

    /// Checks the request's `Authorization` header; `Ok` when authentication
    /// is off or the credentials are right, else the 401 message. The
    /// schema registry checks its requests with this too.
    pub async fn authorize(&self, headers: &HeaderMap) -> Result<(), String> {
        let Some(verifier) = &self.verifier else {
            return Ok(());
        };
        let (user, password) = basic_credentials(headers)?;
        let verifier = verifier.clone();
        // API keys are checked by deriving a SCRAM key (PBKDF2): keep that
        // work off the threads that serve connections.
        let accepted = tokio::task::spawn_blocking(move || verify(&verifier, &user, &password))
            .await
            .unwrap_or(false);
        if accepted {
            Ok(())
        } else {
            Err("Unauthorized: invalid API key or secret (HTTP Basic credentials)".into())
        }
    }

    /// [`Self::authorize`] as the REST API's error.
    pub(crate) async fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        self.authorize(headers)
            .await
            .map_err(ApiError::unauthorized)
    }
}

/// Runs one SASL PLAIN exchange with the credentials.
fn verify(verifier: &Authenticator, user: &str, password: &str) -> bool {
    let Ok(mut session) = verifier.start(Mechanism::Plain.name()) else {
        return false;
    };
    let message = format!("\0{user}\0{password}");
    matches!(session.step(message.as_bytes()), Ok(Step::Done { .. }))
}

/// The user and password of an `Authorization: Basic …` header.
fn basic_credentials(headers: &HeaderMap) -> Result<(String, String), String> {
    let missing = || {
        "Unauthorized: this server requires HTTP Basic authentication with an API key and secret"
            .to_owned()
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(format!(
            "Unauthorized: the {scheme} scheme is not supported; use HTTP Basic with an API key and secret"
        ));
    }
    let malformed = || "Unauthorized: malformed HTTP Basic credentials".to_owned();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| malformed())?;
    let text = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (user, password) = text.split_once(':').ok_or_else(malformed)?;
    Ok((user.to_owned(), password.to_owned()))
}

/// Middleware: answers 401 before any route runs when credentials are
/// required and missing or wrong.
pub(crate) async fn require(
    State(auth): State<RestAuth>,
    request: Request,
    next: Next,
) -> Response {
    match auth.check(request.headers()).await {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(value).unwrap_or_else(|e| panic!("{e}")),
        );
        h
    }

    #[test]
    fn basic_header_is_split_at_the_first_colon() {
        // "alice:pa:ss"
        let (u, p) = basic_credentials(&headers("Basic YWxpY2U6cGE6c3M="))
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((u.as_str(), p.as_str()), ("alice", "pa:ss"));
        let (u, _) = basic_credentials(&headers("basic  YWxpY2U6cGE6c3M="))
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(u, "alice");
    }

    #[test]
    fn bad_headers_are_refused() {
        assert!(basic_credentials(&HeaderMap::new()).is_err());
        assert!(basic_credentials(&headers("Bearer abc")).is_err());
        assert!(basic_credentials(&headers("Basic !!!")).is_err());
        // "nocolon"
        assert!(basic_credentials(&headers("Basic bm9jb2xvbg==")).is_err());
    }

    #[tokio::test]
    async fn static_users_are_checked() {
        let mut users = HashMap::new();
        users.insert("alice".to_owned(), "secret".to_owned());
        let auth = RestAuth::basic(users, None);
        // alice:secret
        assert!(auth.check(&headers("Basic YWxpY2U6c2VjcmV0")).await.is_ok());
        // alice:wrong
        assert!(
            auth.check(&headers("Basic YWxpY2U6d3Jvbmc="))
                .await
                .is_err()
        );
        assert!(RestAuth::disabled().check(&HeaderMap::new()).await.is_ok());
    }
}
