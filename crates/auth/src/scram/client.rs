//! The client side of a SCRAM exchange, as used to log into Kafka brokers.

use subtle::ConstantTimeEq;

use super::message::{self, ClientFinal, ClientFirst, ServerFinal, ServerFirst};
use super::{ScramAlgorithm, checked_iterations};
use crate::client::ClientSession;
use crate::error::AuthError;

/// Length of the client nonce.
const CLIENT_NONCE_LEN: usize = 32;

/// Where the exchange stands.
enum State {
    /// Client-first sent (or about to be); waiting for server-first.
    AwaitServerFirst {
        /// The password, kept only until the proof is computed.
        password: String,
    },
    /// Client-final sent; waiting for the server's signature.
    AwaitServerFinal {
        /// The ServerSignature a genuine server must send.
        expected_signature: Vec<u8>,
    },
    /// The server proved itself.
    Complete,
    /// The exchange failed; further messages are refused.
    Failed,
}

/// One SCRAM login on the client side.
pub(crate) struct ScramClientSession {
    algorithm: ScramAlgorithm,
    client_first: String,
    client_first_bare: String,
    client_nonce: String,
    state: State,
}

impl std::fmt::Debug for ScramClientSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramClientSession")
            .field("algorithm", &self.algorithm)
            .field("client_first", &self.client_first)
            .finish_non_exhaustive()
    }
}

impl ScramClientSession {
    /// Starts a login as `username` with a random client nonce.
    pub(crate) fn new(algorithm: ScramAlgorithm, username: &str, password: &str) -> Self {
        Self::with_nonce(
            algorithm,
            username,
            password,
            &crate::random::nonce(CLIENT_NONCE_LEN),
        )
    }

    /// Starts a login with a chosen client nonce (spec test vectors use fixed ones).
    pub(crate) fn with_nonce(
        algorithm: ScramAlgorithm,
        username: &str,
        password: &str,
        nonce: &str,
    ) -> Self {
        let (client_first, client_first_bare) = ClientFirst::format(username, nonce);
        ScramClientSession {
            algorithm,
            client_first,
            client_first_bare,
            client_nonce: nonce.to_owned(),
            state: State::AwaitServerFirst {
                password: password.to_owned(),
            },
        }
    }

    fn on_server_first(&self, text: &str, password: &str) -> Result<(Vec<u8>, State), AuthError> {
        let first = ServerFirst::parse(text)?;
        // The server must extend our nonce, not replace it (RFC 5802 §5.1).
        if first.nonce.len() <= self.client_nonce.len()
            || !first.nonce.starts_with(&self.client_nonce)
        {
            return Err(AuthError::Malformed(
                "SCRAM server nonce does not extend the client nonce".to_owned(),
            ));
        }
        let rounds = checked_iterations(first.iterations)?;
        let alg = self.algorithm;
        let salted = alg.salted_password(password.as_bytes(), &first.salt, rounds);
        let client_key = alg.client_key(&salted);
        let stored_key = alg.hash(&client_key);
        let without_proof = ClientFinal::format_without_proof("n,,", &first.nonce);
        let auth_message = format!("{},{text},{without_proof}", self.client_first_bare);
        let client_signature = alg.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = alg.server_key(&salted);
        let expected_signature = alg.hmac(&server_key, auth_message.as_bytes());
        let client_final = format!(
            "{without_proof},p={}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, proof)
        );
        Ok((
            client_final.into_bytes(),
            State::AwaitServerFinal { expected_signature },
        ))
    }
}

impl ClientSession for ScramClientSession {
    fn initial_response(&mut self) -> Vec<u8> {
        self.client_first.clone().into_bytes()
    }

    fn step(&mut self, server_message: &[u8]) -> Result<Option<Vec<u8>>, AuthError> {
        let state = std::mem::replace(&mut self.state, State::Failed);
        let text = message::utf8(server_message)?;
        match state {
            State::AwaitServerFirst { password } => {
                let (reply, next) = self.on_server_first(text, &password)?;
                self.state = next;
                Ok(Some(reply))
            }
            State::AwaitServerFinal { expected_signature } => match ServerFinal::parse(text)? {
                ServerFinal::Error(e) => Err(AuthError::InvalidCredentials(format!(
                    "SCRAM server error: {e}"
                ))),
                ServerFinal::Verifier(signature) => {
                    if bool::from(signature.ct_eq(&expected_signature)) {
                        self.state = State::Complete;
                        Ok(None)
                    } else {
                        Err(AuthError::ServerSignatureMismatch(format!(
                            "the {} server's final message does not prove knowledge of the credential",
                            self.algorithm.mechanism()
                        )))
                    }
                }
            },
            State::Complete => {
                self.state = State::Complete;
                Err(AuthError::Malformed(
                    "SCRAM exchange already complete".to_owned(),
                ))
            }
            State::Failed => Err(AuthError::Malformed(
                "SCRAM exchange already failed".to_owned(),
            )),
        }
    }

    fn is_complete(&self) -> bool {
        matches!(self.state, State::Complete)
    }
}
