//! The server side of a SCRAM exchange: client-first in, server-first out;
//! client-final in, server-final out.

use std::sync::Arc;

use subtle::ConstantTimeEq;

use super::message::{self, ClientFinal, ClientFirst, ServerFinal, ServerFirst};
use super::{ScramAlgorithm, ScramCredential};
use crate::authenticator::{CredentialSource, ServerSession, Step};
use crate::error::AuthError;

/// Length of the nonce the server appends to the client's.
const SERVER_NONCE_LEN: usize = 32;

/// Where the exchange stands.
#[derive(Debug)]
enum State {
    /// Waiting for client-first.
    Start,
    /// Server-first sent; waiting for client-final.
    SentServerFirst(Box<Pending>),
    /// Finished, successfully or not; further messages are refused.
    Finished,
}

/// What the server remembers between its two messages.
#[derive(Debug)]
struct Pending {
    /// The unescaped user name, which becomes the principal.
    username: String,
    /// The user's credential, or a decoy when the user is unknown.
    credential: ScramCredential,
    /// False when `credential` is a decoy: the exchange then fails at the
    /// proof whatever the client sends.
    known_user: bool,
    /// The GS2 header the client-final's channel binding must repeat.
    gs2_header: String,
    /// Client nonce + server nonce.
    nonce: String,
    /// `client-first-message-bare`.
    client_first_bare: String,
    /// The server-first message as sent.
    server_first: String,
}

/// One SCRAM authentication on the server side.
pub(crate) struct ScramServerSession {
    algorithm: ScramAlgorithm,
    credentials: Arc<dyn CredentialSource>,
    /// Fixed server nonce, for spec test vectors; `None` draws a random one.
    fixed_server_nonce: Option<String>,
    state: State,
}

impl std::fmt::Debug for ScramServerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramServerSession")
            .field("algorithm", &self.algorithm)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ScramServerSession {
    /// Starts an exchange that looks users up in `credentials`.
    pub(crate) fn new(algorithm: ScramAlgorithm, credentials: Arc<dyn CredentialSource>) -> Self {
        ScramServerSession {
            algorithm,
            credentials,
            fixed_server_nonce: None,
            state: State::Start,
        }
    }

    /// Like [`ScramServerSession::new`] with a fixed server nonce, so a test
    /// can replay a published exchange byte for byte.
    #[cfg(test)]
    pub(crate) fn with_server_nonce(
        algorithm: ScramAlgorithm,
        credentials: Arc<dyn CredentialSource>,
        server_nonce: &str,
    ) -> Self {
        ScramServerSession {
            fixed_server_nonce: Some(server_nonce.to_owned()),
            ..ScramServerSession::new(algorithm, credentials)
        }
    }

    fn failed(&self) -> AuthError {
        AuthError::InvalidCredentials(self.algorithm.failure_message())
    }

    fn on_client_first(&self, text: &str) -> Result<(Step, Box<Pending>), AuthError> {
        let first = ClientFirst::parse(text)?;
        for (key, value) in &first.extensions {
            if key == "tokenauth" {
                if value.eq_ignore_ascii_case("true") {
                    // Kafka's delegation tokens ride on SCRAM with this
                    // extension. ferry issues no tokens, so none can match.
                    return Err(AuthError::InvalidCredentials(
                        "Authentication failed: delegation token authentication (tokenauth) is not supported"
                            .to_owned(),
                    ));
                }
            } else {
                return Err(AuthError::Malformed(format!(
                    "Unsupported SCRAM extension will not be processed: {key}"
                )));
            }
        }
        if first.authzid.as_ref().is_some_and(|a| *a != first.username) {
            return Err(AuthError::InvalidCredentials(
                "Authentication failed: Client requested an authorization id that is different from username"
                    .to_owned(),
            ));
        }
        let (credential, known_user) = match self
            .credentials
            .scram_credential(&first.username, self.algorithm)
        {
            Some(c) => (c, true),
            None => (
                self.credentials
                    .decoy_credential(&first.username, self.algorithm),
                false,
            ),
        };
        let server_nonce = match &self.fixed_server_nonce {
            Some(n) => n.clone(),
            None => crate::random::nonce(SERVER_NONCE_LEN),
        };
        let nonce = format!("{}{server_nonce}", first.nonce);
        let server_first =
            ServerFirst::format(&nonce, &credential.salt_base64(), credential.iterations());
        let step = Step::Challenge(server_first.clone().into_bytes());
        let pending = Box::new(Pending {
            username: first.username,
            credential,
            known_user,
            gs2_header: first.gs2_header,
            nonce,
            client_first_bare: first.bare,
            server_first,
        });
        Ok((step, pending))
    }

    fn on_client_final(&self, text: &str, pending: &Pending) -> Result<Step, AuthError> {
        let last = ClientFinal::parse(text)?;
        if last.channel_binding != pending.gs2_header.as_bytes() {
            return Err(AuthError::Malformed(
                "SCRAM channel binding does not match the GS2 header".to_owned(),
            ));
        }
        if last.nonce != pending.nonce {
            return Err(AuthError::Malformed(
                "SCRAM nonce does not match the server's".to_owned(),
            ));
        }
        let alg = self.algorithm;
        if last.proof.len() != alg.output_len() {
            return Err(self.failed());
        }
        let auth_message = format!(
            "{},{},{}",
            pending.client_first_bare, pending.server_first, last.without_proof
        );
        let credential = &pending.credential;
        // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof
        // is good iff H(ClientKey) == StoredKey.
        let signature = alg.hmac(credential.stored_key(), auth_message.as_bytes());
        let client_key: Vec<u8> = last
            .proof
            .iter()
            .zip(&signature)
            .map(|(p, s)| p ^ s)
            .collect();
        let proof_ok = bool::from(alg.hash(&client_key).ct_eq(credential.stored_key()));
        if !(proof_ok && pending.known_user) {
            return Err(self.failed());
        }
        let server_signature = alg.hmac(credential.server_key(), auth_message.as_bytes());
        Ok(Step::Done {
            principal: pending.username.clone(),
            server_final: ServerFinal::format_verifier(&server_signature).into_bytes(),
        })
    }
}

impl ServerSession for ScramServerSession {
    fn step(&mut self, client_message: &[u8]) -> Result<Step, AuthError> {
        // Any error ends the exchange: a client gets one attempt per session.
        let state = std::mem::replace(&mut self.state, State::Finished);
        let text = message::utf8(client_message)?;
        match state {
            State::Start => {
                let (step, pending) = self.on_client_first(text)?;
                self.state = State::SentServerFirst(pending);
                Ok(step)
            }
            State::SentServerFirst(pending) => self.on_client_final(text, &pending),
            State::Finished => Err(AuthError::Malformed(
                "SCRAM exchange already finished".to_owned(),
            )),
        }
    }
}
