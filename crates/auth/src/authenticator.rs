//! The server side of SASL: which mechanisms are on, where credentials come
//! from, and the per-connection sessions.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use ring::digest;
use subtle::ConstantTimeEq;

use crate::api_keys::ApiKeyStore;
use crate::error::AuthError;
use crate::mechanism::Mechanism;
use crate::plain::PlainServerSession;
use crate::scram::server::ScramServerSession;
use crate::scram::{ScramAlgorithm, ScramCredential};

/// What a [`ServerSession`] produced from one client message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send these bytes back (in the `SaslAuthenticate` response's
    /// `auth_bytes`) and wait for the client's next message.
    Challenge(Vec<u8>),
    /// Authentication succeeded.
    Done {
        /// The authenticated user name (a static user's name or an API key);
        /// Kafka would call the principal `User:<principal>`.
        principal: String,
        /// The last bytes for the client: SCRAM's `v=<ServerSignature>`, empty for PLAIN.
        server_final: Vec<u8>,
    },
}

/// One authentication exchange on one connection.
///
/// Feed it each `SaslAuthenticate` request's `auth_bytes`. Any error ends the
/// exchange: the broker answers `SASL_AUTHENTICATION_FAILED` with the error's
/// `Display` text as the message and closes the connection, as Kafka does.
pub trait ServerSession: Send {
    /// Consumes one client message.
    ///
    /// # Errors
    /// [`AuthError::InvalidCredentials`] for wrong or unknown credentials (the
    /// same text for both), [`AuthError::Malformed`] for a message that breaks
    /// the mechanism's grammar or arrives after the end.
    fn step(&mut self, client_message: &[u8]) -> Result<Step, AuthError>;
}

/// Where sessions look credentials up.
pub(crate) trait CredentialSource: Send + Sync {
    /// Whether `password` is right for `username` (PLAIN). Must take the
    /// same path for unknown users as for known ones where it can.
    fn verify_plain(&self, username: &str, password: &str) -> bool;
    /// The stored SCRAM credential, or `None` for an unknown user.
    fn scram_credential(
        &self,
        username: &str,
        algorithm: ScramAlgorithm,
    ) -> Option<ScramCredential>;
    /// A stand-in credential for an unknown user (stable per name).
    fn decoy_credential(&self, username: &str, algorithm: ScramAlgorithm) -> ScramCredential;
}

/// A static (JAAS `user_<name>`) user, held as derived material only.
struct StaticUser {
    /// SHA-256 of the password, compared in constant time for PLAIN.
    password_digest: Vec<u8>,
    /// SCRAM credentials derived at start-up with a random per-user salt,
    /// for each enabled SCRAM mechanism.
    scram: Vec<(ScramAlgorithm, ScramCredential)>,
}

/// The shared state behind an [`Authenticator`].
struct Inner {
    enabled: Vec<Mechanism>,
    static_users: HashMap<String, StaticUser>,
    api_keys: Option<ApiKeyStore>,
    /// Random per-process key for decoy salts (unknown SCRAM users).
    decoy_key: Vec<u8>,
    /// Random digest PLAIN passwords of unknown users are compared against,
    /// so the comparison happens for them too.
    decoy_digest: Vec<u8>,
}

fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

impl CredentialSource for Inner {
    fn verify_plain(&self, username: &str, password: &str) -> bool {
        let offered = sha256(password.as_bytes());
        if let Some(user) = self.static_users.get(username) {
            return bool::from(offered.ct_eq(&user.password_digest));
        }
        if let Some(store) = &self.api_keys
            && store.contains(username)
        {
            return store.verify_plain(username, password);
        }
        // Unknown user: do the static users' comparison anyway. (API keys are
        // 16 random characters, so telling them apart by timing gains nothing.)
        let _ = bool::from(offered.ct_eq(&self.decoy_digest));
        false
    }

    fn scram_credential(
        &self,
        username: &str,
        algorithm: ScramAlgorithm,
    ) -> Option<ScramCredential> {
        if let Some(user) = self.static_users.get(username) {
            return user
                .scram
                .iter()
                .find(|(a, _)| *a == algorithm)
                .map(|(_, c)| c.clone());
        }
        self.api_keys
            .as_ref()
            .and_then(|store| store.scram_credential(username, algorithm.mechanism()))
    }

    fn decoy_credential(&self, username: &str, algorithm: ScramAlgorithm) -> ScramCredential {
        ScramCredential::decoy(algorithm, &self.decoy_key, username)
    }
}

/// The broker's SASL front door: the enabled mechanisms and the credentials
/// behind them. Cheap to clone (one `Arc`), `Send + Sync`; build one per
/// listener and call [`Authenticator::start`] per `SaslHandshake`.
///
/// Credentials come from two places, static users first:
/// - static users from the listener's JAAS config (`user_<name>="<password>"`).
///   Their passwords are kept only as a SHA-256 digest (for PLAIN) and as SCRAM
///   credentials derived at construction with a random per-user salt, so SCRAM
///   works for them without any stored SCRAM material (Kafka itself would need
///   `kafka-configs --add-config SCRAM-SHA-256=...`). Deriving costs one PBKDF2
///   run per user and SCRAM mechanism at construction (about a millisecond each).
/// - the API-key store, where the key is the user name and the secret the password.
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("enabled", &self.inner.enabled)
            .field("static_users", &self.inner.static_users.len())
            .field("api_keys", &self.inner.api_keys)
            .finish()
    }
}

impl Authenticator {
    /// Builds an authenticator for the `enabled` mechanisms (duplicates
    /// dropped), with plaintext `static_users` (name → password) and an
    /// optional API-key store.
    pub fn new(
        enabled: Vec<Mechanism>,
        static_users: HashMap<String, String>,
        api_keys: Option<ApiKeyStore>,
    ) -> Self {
        let mut mechanisms: Vec<Mechanism> = Vec::new();
        for m in enabled {
            if !mechanisms.contains(&m) {
                mechanisms.push(m);
            }
        }
        let scram_algorithms: Vec<ScramAlgorithm> = mechanisms
            .iter()
            .filter_map(|m| m.scram_algorithm())
            .collect();
        let static_users = static_users
            .into_iter()
            .map(|(name, password)| {
                let user = StaticUser {
                    password_digest: sha256(password.as_bytes()),
                    scram: scram_algorithms
                        .iter()
                        .map(|&alg| (alg, ScramCredential::generate(alg, &password)))
                        .collect(),
                };
                (name, user)
            })
            .collect();
        Authenticator {
            inner: Arc::new(Inner {
                enabled: mechanisms,
                static_users,
                api_keys,
                decoy_key: crate::random::bytes(32),
                decoy_digest: crate::random::bytes(32),
            }),
        }
    }

    /// The enabled mechanisms' wire names, for the `SaslHandshake` response.
    pub fn mechanisms(&self) -> Vec<&'static str> {
        self.inner.enabled.iter().map(|m| m.name()).collect()
    }

    /// Starts an exchange for the mechanism the client named.
    ///
    /// # Errors
    /// [`AuthError::UnsupportedMechanism`] if the name is unknown or not enabled.
    pub fn start(&self, mechanism: &str) -> Result<Box<dyn ServerSession>, AuthError> {
        let mechanism = Mechanism::from_name(mechanism)
            .filter(|m| self.inner.enabled.contains(m))
            .ok_or_else(|| AuthError::UnsupportedMechanism(mechanism.to_owned()))?;
        let credentials: Arc<dyn CredentialSource> = Arc::<Inner>::clone(&self.inner);
        Ok(match mechanism.scram_algorithm() {
            None => Box::new(PlainServerSession::new(credentials)),
            Some(alg) => Box::new(ScramServerSession::new(alg, credentials)),
        })
    }
}

#[cfg(test)]
mod tests;
