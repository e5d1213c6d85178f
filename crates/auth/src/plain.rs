//! SASL PLAIN (RFC 4616): one client message, `[authzid] NUL authcid NUL passwd`.
//!
//! Error texts follow Kafka's `PlainSaslServer`, so clients see the messages
//! they would see against a Kafka broker.

use std::sync::Arc;

use crate::authenticator::{CredentialSource, ServerSession, Step};
use crate::client::ClientSession;
use crate::error::AuthError;

/// Kafka's message for a wrong password or unknown user.
pub(crate) const INVALID_CREDENTIALS: &str = "Authentication failed: Invalid username or password";

/// The three fields of a PLAIN message.
#[derive(PartialEq, Eq)]
pub(crate) struct PlainMessage<'a> {
    /// Authentication identity: the user name.
    pub(crate) authcid: &'a str,
    /// The password.
    pub(crate) password: &'a str,
}

impl std::fmt::Debug for PlainMessage<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainMessage")
            .field("authcid", &self.authcid)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Parses and checks a PLAIN message.
///
/// # Errors
/// [`AuthError::Malformed`] unless there are exactly three NUL-separated UTF-8
/// fields; [`AuthError::InvalidCredentials`] for an empty user name or
/// password, or an authzid other than the user name (ferry, like Kafka, does
/// not let one user act for another).
pub(crate) fn parse(message: &[u8]) -> Result<PlainMessage<'_>, AuthError> {
    let text = std::str::from_utf8(message).map_err(|_| {
        AuthError::Malformed("Invalid SASL/PLAIN response: not valid UTF-8".to_owned())
    })?;
    let fields: Vec<&str> = text.split('\0').collect();
    let [authzid, authcid, password] = fields[..] else {
        return Err(AuthError::Malformed(format!(
            "Invalid SASL/PLAIN response: expected 3 tokens, got {}",
            fields.len()
        )));
    };
    if authcid.is_empty() {
        return Err(AuthError::InvalidCredentials(
            "Authentication failed: username not specified".to_owned(),
        ));
    }
    if password.is_empty() {
        return Err(AuthError::InvalidCredentials(
            "Authentication failed: password not specified".to_owned(),
        ));
    }
    if !authzid.is_empty() && authzid != authcid {
        return Err(AuthError::InvalidCredentials(
            "Authentication failed: Client requested an authorization id that is different from username"
                .to_owned(),
        ));
    }
    Ok(PlainMessage { authcid, password })
}

/// Formats a PLAIN message without an authzid.
pub(crate) fn format(username: &str, password: &str) -> Vec<u8> {
    format!("\0{username}\0{password}").into_bytes()
}

/// One PLAIN authentication on the server side.
pub(crate) struct PlainServerSession {
    credentials: Arc<dyn CredentialSource>,
    finished: bool,
}

impl PlainServerSession {
    /// Starts an exchange that checks passwords with `credentials`.
    pub(crate) fn new(credentials: Arc<dyn CredentialSource>) -> Self {
        PlainServerSession {
            credentials,
            finished: false,
        }
    }
}

impl std::fmt::Debug for PlainServerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainServerSession")
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl ServerSession for PlainServerSession {
    fn step(&mut self, client_message: &[u8]) -> Result<Step, AuthError> {
        if std::mem::replace(&mut self.finished, true) {
            return Err(AuthError::Malformed(
                "SASL/PLAIN exchange already finished".to_owned(),
            ));
        }
        let message = parse(client_message)?;
        if !self
            .credentials
            .verify_plain(message.authcid, message.password)
        {
            return Err(AuthError::InvalidCredentials(
                INVALID_CREDENTIALS.to_owned(),
            ));
        }
        Ok(Step::Done {
            principal: message.authcid.to_owned(),
            server_final: Vec::new(),
        })
    }
}

/// One PLAIN login on the client side.
pub(crate) struct PlainClientSession {
    message: Vec<u8>,
    complete: bool,
}

impl PlainClientSession {
    /// Prepares a login as `username`.
    pub(crate) fn new(username: &str, password: &str) -> Self {
        PlainClientSession {
            message: format(username, password),
            complete: false,
        }
    }
}

impl std::fmt::Debug for PlainClientSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainClientSession")
            .field("complete", &self.complete)
            .finish_non_exhaustive()
    }
}

impl ClientSession for PlainClientSession {
    fn initial_response(&mut self) -> Vec<u8> {
        self.message.clone()
    }

    /// The server's answer to PLAIN is empty on success (a failure arrives as
    /// an error code, outside SASL), so any answer completes the exchange.
    fn step(&mut self, _server_message: &[u8]) -> Result<Option<Vec<u8>>, AuthError> {
        if std::mem::replace(&mut self.complete, true) {
            return Err(AuthError::Malformed(
                "SASL/PLAIN exchange already complete".to_owned(),
            ));
        }
        self.message.clear();
        Ok(None)
    }

    fn is_complete(&self) -> bool {
        self.complete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_and_without_authzid() {
        let m = parse(b"\0alice\0pw").unwrap();
        assert_eq!((m.authcid, m.password), ("alice", "pw"));
        let m = parse(b"alice\0alice\0p\x01w").unwrap();
        assert_eq!((m.authcid, m.password), ("alice", "p\x01w"));
    }

    #[test]
    fn rejects_malformed_messages() {
        for bad in [&b""[..], b"alice", b"\0alice", b"\0a\0b\0c", b"\0\xff\0pw"] {
            assert!(
                matches!(parse(bad), Err(AuthError::Malformed(_))),
                "{bad:?}"
            );
        }
        for bad in [&b"\0\0pw"[..], b"\0alice\0", b"bob\0alice\0pw"] {
            assert!(
                matches!(parse(bad), Err(AuthError::InvalidCredentials(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn debug_redacts_the_password() {
        let m = parse(b"\0alice\0hunter2").unwrap();
        assert!(!format!("{m:?}").contains("hunter2"));
    }

    #[test]
    fn client_sends_one_message_and_completes_on_any_answer() {
        let mut c = PlainClientSession::new("u", "p");
        assert_eq!(c.initial_response(), b"\0u\0p");
        assert!(!c.is_complete());
        assert_eq!(c.step(b"").unwrap(), None);
        assert!(c.is_complete());
        assert!(c.step(b"").is_err());
    }
}
