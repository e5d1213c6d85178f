//! HTTP Basic authentication for the registry, with the broker's
//! credentials: on when some Kafka listener uses SASL, checked against the
//! SASL listeners' JAAS static users and the API keys of
//! `<data_dir>/api-keys.json`, through [`ferry_auth::Authenticator`]'s PLAIN
//! exchange (so the same API key works for Kafka, REST and the registry).

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use ferry_auth::{ApiKeyStore, Authenticator, Mechanism, Step};
use ferry_broker::BrokerConfig;

use crate::error::{ApiError, RegistryError};

/// Whether requests need credentials, and where they are checked.
#[derive(Debug, Clone)]
pub struct RegistryAuth {
    verifier: Option<Authenticator>,
}

impl RegistryAuth {
    /// Open: every request is served.
    pub fn disabled() -> Self {
        Self { verifier: None }
    }

    /// Basic authentication against static users and, if given, API keys.
    pub fn basic(static_users: HashMap<String, String>, api_keys: Option<ApiKeyStore>) -> Self {
        Self {
            verifier: Some(Authenticator::new(
                vec![Mechanism::Plain],
                static_users,
                api_keys,
            )),
        }
    }

    /// On when any Kafka listener uses SASL, as the REST API decides.
    ///
    /// # Errors
    /// [`RegistryError::Auth`] for a bad JAAS config or API-keys file.
    pub fn from_broker_config(config: &BrokerConfig) -> Result<Self, RegistryError> {
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
                if key
                    .strip_prefix(&prefix)
                    .is_some_and(|rest| rest.ends_with(".sasl.jaas.config"))
                {
                    let parsed = ferry_auth::parse_plain_jaas(value)
                        .map_err(|e| RegistryError::Auth(format!("{key}: {e}")))?;
                    users.extend(parsed);
                }
            }
        }
        let store =
            ApiKeyStore::open(&config.data_dir).map_err(|e| RegistryError::Auth(e.to_string()))?;
        Ok(Self::basic(users, Some(store)))
    }

    /// Whether requests must carry credentials.
    pub fn is_required(&self) -> bool {
        self.verifier.is_some()
    }

    async fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(verifier) = &self.verifier else {
            return Ok(());
        };
        let (user, password) = basic_credentials(headers)?;
        let verifier = verifier.clone();
        // API keys are checked with a PBKDF2 derivation: off the I/O threads.
        let accepted = tokio::task::spawn_blocking(move || {
            let Ok(mut session) = verifier.start(Mechanism::Plain.name()) else {
                return false;
            };
            let message = format!("\0{user}\0{password}");
            matches!(session.step(message.as_bytes()), Ok(Step::Done { .. }))
        })
        .await
        .unwrap_or(false);
        if accepted {
            Ok(())
        } else {
            Err(ApiError::unauthorized("Unauthorized"))
        }
    }
}

fn basic_credentials(headers: &HeaderMap) -> Result<(String, String), ApiError> {
    let missing = || ApiError::unauthorized("Unauthorized");
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(missing());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| missing())?;
    let text = String::from_utf8(decoded).map_err(|_| missing())?;
    let (user, password) = text.split_once(':').ok_or_else(missing)?;
    Ok((user.to_owned(), password.to_owned()))
}

/// Middleware: 401 before any route when credentials are required and
/// missing or wrong.
pub(crate) async fn require(
    State(auth): State<RegistryAuth>,
    request: Request,
    next: Next,
) -> Response {
    match auth.check(request.headers()).await {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}
