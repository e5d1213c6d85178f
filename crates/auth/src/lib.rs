//! ferry-auth: who may talk to a ferry broker, and how ferry proves itself
//! to other brokers.
//!
//! - SASL server mechanisms as Kafka implements them: `PLAIN` and
//!   `SCRAM-SHA-256`/`SCRAM-SHA-512` ([`Authenticator`], [`ServerSession`]).
//! - SASL client sessions for logging into ferry or Kafka brokers ([`client_session`]).
//! - Kafka JAAS configuration strings ([`parse_plain_jaas`], [`parse_jaas`]).
//! - API keys stored as SCRAM material under the data dir ([`ApiKeyStore`]).
//! - rustls configs with the ring provider and test certificates ([`tls`]).
//!
//! The SASL parts are sans-IO: they turn received bytes into bytes to send,
//! and the connection code moves them inside `SaslAuthenticate` frames.
//! Nothing here logs or formats a password, secret or derived key.
//!
//! # Layout
//! - `mechanism`: the mechanism names;
//! - `authenticator`: server-side entry point and credential lookup;
//! - `plain`, `scram/`: the mechanisms (both sides);
//! - `client`: client-side entry point;
//! - `jaas`: JAAS parsing;
//! - `api_keys/`: the API-key store and its file;
//! - `tls/`: rustls configs, PEM, certificate generation;
//! - `random`: salts, nonces, keys and secrets.

mod api_keys;
mod authenticator;
mod client;
mod error;
mod jaas;
mod mechanism;
mod plain;
mod random;
mod scram;
pub mod tls;

pub use api_keys::{API_KEY_LEN, API_SECRET_LEN, ApiKeyInfo, ApiKeyStore};
pub use authenticator::{Authenticator, ServerSession, Step};
pub use client::{ClientSession, client_session};
pub use error::{AuthError, TlsError};
pub use jaas::{JaasModule, parse_jaas, parse_plain_jaas, parse_single_jaas};
pub use mechanism::Mechanism;
pub use scram::{
    DEFAULT_ITERATIONS, MAX_ITERATIONS, MIN_ITERATIONS, ScramAlgorithm, ScramCredential,
};
pub use tls::{client_config, server_config};
