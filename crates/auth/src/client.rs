//! The client side of SASL, used by ferry's Kafka client to log into brokers
//! (ferry's own and Kafka's).

use crate::error::AuthError;
use crate::mechanism::Mechanism;
use crate::plain::PlainClientSession;
use crate::scram::client::ScramClientSession;

/// One login in progress. Drive it with the bytes of `SaslAuthenticate`
/// requests and responses:
///
/// ```
/// # fn send(_: Vec<u8>) -> Vec<u8> { Vec::new() }
/// # fn main() -> Result<(), ferry_auth::AuthError> {
/// let mut session = ferry_auth::client_session("PLAIN", "alice", "alice-secret")?;
/// let mut outgoing = session.initial_response();
/// loop {
///     // send `outgoing` in a SaslAuthenticate request; a non-zero error code
///     // in the response ends the login there (the server refused it)
///     let reply = send(outgoing);
///     match session.step(&reply)? {
///         Some(next) => outgoing = next,
///         None => break,
///     }
/// }
/// assert!(session.is_complete());
/// # Ok(()) }
/// ```
pub trait ClientSession: Send {
    /// The first message to send (PLAIN's only message; SCRAM's client-first).
    fn initial_response(&mut self) -> Vec<u8>;

    /// Consumes the server's answer and returns the next message to send, or
    /// `None` when the exchange is done. For SCRAM, `None` comes only after
    /// the server's signature has been verified.
    ///
    /// # Errors
    /// [`AuthError::Malformed`] for an answer that breaks the mechanism's
    /// grammar (or a step after the end), [`AuthError::InvalidCredentials`]
    /// for a SCRAM `e=` error, [`AuthError::ServerSignatureMismatch`] for a
    /// server that cannot prove it knows the credential.
    fn step(&mut self, server_message: &[u8]) -> Result<Option<Vec<u8>>, AuthError>;

    /// Whether the exchange has finished successfully.
    fn is_complete(&self) -> bool;
}

/// Starts a client login with `mechanism` (its wire name).
///
/// # Errors
/// [`AuthError::UnsupportedMechanism`] for a name other than `PLAIN`,
/// `SCRAM-SHA-256` and `SCRAM-SHA-512`.
pub fn client_session(
    mechanism: &str,
    username: &str,
    password: &str,
) -> Result<Box<dyn ClientSession>, AuthError> {
    let mechanism: Mechanism = mechanism.parse()?;
    Ok(match mechanism.scram_algorithm() {
        None => Box::new(PlainClientSession::new(username, password)),
        Some(alg) => Box::new(ScramClientSession::new(alg, username, password)),
    })
}
