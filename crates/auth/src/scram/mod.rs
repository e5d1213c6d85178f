//! SCRAM (RFC 5802, RFC 7677) as Kafka implements it: no channel binding
//! (`n,,` GS2 header), no SASLprep (the password's UTF-8 bytes are used as
//! they are, as Kafka's `ScramFormatter` does), 4096 to 16384 iterations, and
//! the `tokenauth` extension as the only one Kafka knows.
//!
//! # Layout
//! - this file: the hash choice ([`ScramAlgorithm`]), the stored credential
//!   ([`ScramCredential`]) and the key derivations both sides share;
//! - `message`: the four messages' grammar (parse and format);
//! - `server` / `client`: the two state machines.

pub(crate) mod client;
pub(crate) mod message;
pub(crate) mod server;

use std::fmt;
use std::num::NonZeroU32;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::{digest, hmac, pbkdf2};
use subtle::ConstantTimeEq;

use crate::error::AuthError;
use crate::mechanism::Mechanism;

/// Iterations used for credentials ferry creates (Kafka's default for
/// `kafka-configs --add-config 'SCRAM-SHA-256=[password=...]'`).
pub const DEFAULT_ITERATIONS: u32 = 4096;
/// Fewest iterations accepted, on stored credentials and from a server
/// (Kafka's `ScramMechanism` minimum for both SHA-256 and SHA-512).
pub const MIN_ITERATIONS: u32 = 4096;
/// Most iterations accepted (Kafka's `ScramMechanism` maximum). The bound also
/// keeps a hostile server from making a client spin on key derivation.
pub const MAX_ITERATIONS: u32 = 16384;

/// [`DEFAULT_ITERATIONS`] as the type key derivation takes (evaluated at compile time).
const DEFAULT_ROUNDS: NonZeroU32 = match NonZeroU32::new(DEFAULT_ITERATIONS) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};

/// Length of the random salts ferry generates, in bytes.
pub(crate) const SALT_LEN: usize = 32;

/// The hash a SCRAM mechanism is built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScramAlgorithm {
    /// SHA-256, for `SCRAM-SHA-256`.
    Sha256,
    /// SHA-512, for `SCRAM-SHA-512`.
    Sha512,
}

impl ScramAlgorithm {
    /// The SASL mechanism using this hash.
    pub fn mechanism(self) -> Mechanism {
        match self {
            ScramAlgorithm::Sha256 => Mechanism::ScramSha256,
            ScramAlgorithm::Sha512 => Mechanism::ScramSha512,
        }
    }

    /// Output size of the hash, which is also the size of every key and proof.
    pub fn output_len(self) -> usize {
        self.digest_algorithm().output_len()
    }

    /// The message a Kafka broker sends for any failed SCRAM exchange
    /// (`SaslServerAuthenticator` maps every `SaslException` to it), used for
    /// wrong passwords and unknown users alike.
    pub fn failure_message(self) -> String {
        format!(
            "Authentication failed during authentication due to invalid credentials with SASL mechanism {}",
            self.mechanism().name()
        )
    }

    fn digest_algorithm(self) -> &'static digest::Algorithm {
        match self {
            ScramAlgorithm::Sha256 => &digest::SHA256,
            ScramAlgorithm::Sha512 => &digest::SHA512,
        }
    }

    fn hmac_algorithm(self) -> hmac::Algorithm {
        match self {
            ScramAlgorithm::Sha256 => hmac::HMAC_SHA256,
            ScramAlgorithm::Sha512 => hmac::HMAC_SHA512,
        }
    }

    fn pbkdf2_algorithm(self) -> pbkdf2::Algorithm {
        match self {
            ScramAlgorithm::Sha256 => pbkdf2::PBKDF2_HMAC_SHA256,
            ScramAlgorithm::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
        }
    }

    /// `HMAC(key, data)`.
    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        let key = hmac::Key::new(self.hmac_algorithm(), key);
        hmac::sign(&key, data).as_ref().to_vec()
    }

    /// `H(data)`.
    pub(crate) fn hash(self, data: &[u8]) -> Vec<u8> {
        digest::digest(self.digest_algorithm(), data)
            .as_ref()
            .to_vec()
    }

    /// `SaltedPassword := Hi(password, salt, i)`, where `Hi` is PBKDF2 with
    /// this hash's HMAC and an output as long as the hash.
    pub(crate) fn salted_password(
        self,
        password: &[u8],
        salt: &[u8],
        iterations: NonZeroU32,
    ) -> Vec<u8> {
        let mut out = vec![0u8; self.output_len()];
        pbkdf2::derive(
            self.pbkdf2_algorithm(),
            iterations,
            salt,
            password,
            &mut out,
        );
        out
    }

    /// `ClientKey := HMAC(SaltedPassword, "Client Key")`.
    pub(crate) fn client_key(self, salted_password: &[u8]) -> Vec<u8> {
        self.hmac(salted_password, b"Client Key")
    }

    /// `ServerKey := HMAC(SaltedPassword, "Server Key")`.
    pub(crate) fn server_key(self, salted_password: &[u8]) -> Vec<u8> {
        self.hmac(salted_password, b"Server Key")
    }
}

/// Checks that an iteration count is within Kafka's bounds.
pub(crate) fn checked_iterations(iterations: u32) -> Result<NonZeroU32, AuthError> {
    if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
        return Err(AuthError::Malformed(format!(
            "SCRAM iteration count {iterations} is outside the accepted range {MIN_ITERATIONS}..={MAX_ITERATIONS}"
        )));
    }
    NonZeroU32::new(iterations)
        .ok_or_else(|| AuthError::Malformed("SCRAM iteration count is zero".to_owned()))
}

/// What a server stores for one SCRAM user: enough to verify a client proof
/// and to prove itself, but not the password (RFC 5802 §3).
///
/// `Debug` prints the salt and iterations only: `StoredKey` and `ServerKey`
/// are secret-equivalent (they let their holder pose as the server).
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredential {
    salt: Vec<u8>,
    iterations: u32,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl ScramCredential {
    /// Rebuilds a credential from stored parts, checking them.
    ///
    /// # Errors
    /// [`AuthError::Malformed`] if `iterations` is outside
    /// [`MIN_ITERATIONS`]`..=`[`MAX_ITERATIONS`], the salt is empty, or a key's
    /// length does not match the hash.
    pub fn new(
        algorithm: ScramAlgorithm,
        salt: Vec<u8>,
        iterations: u32,
        stored_key: Vec<u8>,
        server_key: Vec<u8>,
    ) -> Result<Self, AuthError> {
        checked_iterations(iterations)?;
        if salt.is_empty() {
            return Err(AuthError::Malformed("SCRAM salt is empty".to_owned()));
        }
        let len = algorithm.output_len();
        if stored_key.len() != len || server_key.len() != len {
            return Err(AuthError::Malformed(format!(
                "SCRAM keys for {} must be {len} bytes",
                algorithm.mechanism()
            )));
        }
        Ok(ScramCredential {
            salt,
            iterations,
            stored_key,
            server_key,
        })
    }

    /// Derives the credential for `password` with the given salt and
    /// iteration count.
    ///
    /// # Errors
    /// [`AuthError::Malformed`] for an iteration count out of bounds or an empty salt.
    pub fn derive(
        algorithm: ScramAlgorithm,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, AuthError> {
        let rounds = checked_iterations(iterations)?;
        if salt.is_empty() {
            return Err(AuthError::Malformed("SCRAM salt is empty".to_owned()));
        }
        let salted = algorithm.salted_password(password.as_bytes(), salt, rounds);
        let client_key = algorithm.client_key(&salted);
        Ok(ScramCredential {
            salt: salt.to_vec(),
            iterations,
            stored_key: algorithm.hash(&client_key),
            server_key: algorithm.server_key(&salted),
        })
    }

    /// Derives a credential for `password` with a fresh random salt and
    /// [`DEFAULT_ITERATIONS`].
    pub fn generate(algorithm: ScramAlgorithm, password: &str) -> Self {
        let salt = crate::random::bytes(SALT_LEN);
        let rounds = DEFAULT_ROUNDS;
        let salted = algorithm.salted_password(password.as_bytes(), &salt, rounds);
        let client_key = algorithm.client_key(&salted);
        ScramCredential {
            salt,
            iterations: rounds.get(),
            stored_key: algorithm.hash(&client_key),
            server_key: algorithm.server_key(&salted),
        }
    }

    /// A credential nobody can authenticate against, for unknown users: its
    /// salt is derived from `username` under a per-process `key`, so repeated
    /// probes for the same name see the same salt, just as for a real user.
    pub(crate) fn decoy(algorithm: ScramAlgorithm, key: &[u8], username: &str) -> Self {
        let mut salt_input = b"salt:".to_vec();
        salt_input.extend_from_slice(username.as_bytes());
        let mut salt = algorithm.hmac(key, &salt_input);
        salt.truncate(SALT_LEN);
        let mut keys_input = b"keys:".to_vec();
        keys_input.extend_from_slice(username.as_bytes());
        let stored_key = algorithm.hmac(key, &keys_input);
        let server_key = algorithm.hash(&stored_key);
        ScramCredential {
            salt,
            iterations: DEFAULT_ITERATIONS,
            stored_key,
            server_key,
        }
    }

    /// Checks a plaintext password against this credential (how PLAIN logins
    /// are verified against SCRAM-only material): recomputes `StoredKey` and
    /// compares in constant time.
    pub fn verify_password(&self, algorithm: ScramAlgorithm, password: &str) -> bool {
        let Ok(rounds) = checked_iterations(self.iterations) else {
            return false;
        };
        let salted = algorithm.salted_password(password.as_bytes(), &self.salt, rounds);
        let stored_key = algorithm.hash(&algorithm.client_key(&salted));
        bool::from(stored_key.ct_eq(&self.stored_key))
    }

    /// The salt sent to clients in the server-first message.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The PBKDF2 iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// `StoredKey := H(ClientKey)`.
    pub fn stored_key(&self) -> &[u8] {
        &self.stored_key
    }

    /// `ServerKey := HMAC(SaltedPassword, "Server Key")`.
    pub fn server_key(&self) -> &[u8] {
        &self.server_key
    }

    /// The salt in base64, as sent on the wire and stored in files.
    pub(crate) fn salt_base64(&self) -> String {
        BASE64.encode(&self.salt)
    }
}

impl fmt::Debug for ScramCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramCredential")
            .field("salt", &BASE64.encode(&self.salt))
            .field("iterations", &self.iterations)
            .field("stored_key", &"<redacted>")
            .field("server_key", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_matches_verify_and_rejects_other_passwords() {
        for alg in [ScramAlgorithm::Sha256, ScramAlgorithm::Sha512] {
            let cred = ScramCredential::generate(alg, "s3cret");
            assert_eq!(cred.stored_key().len(), alg.output_len());
            assert!(cred.verify_password(alg, "s3cret"));
            assert!(!cred.verify_password(alg, "s3cret "));
            assert!(!cred.verify_password(alg, ""));
        }
    }

    #[test]
    fn iterations_out_of_bounds_are_rejected() {
        let err = ScramCredential::derive(ScramAlgorithm::Sha256, "p", b"salt", 4095).unwrap_err();
        assert!(matches!(err, AuthError::Malformed(_)));
        assert!(ScramCredential::derive(ScramAlgorithm::Sha256, "p", b"salt", 16385).is_err());
        let len = ScramAlgorithm::Sha256.output_len();
        assert!(
            ScramCredential::new(
                ScramAlgorithm::Sha256,
                b"salt".to_vec(),
                1000,
                vec![0; len],
                vec![0; len]
            )
            .is_err()
        );
        assert!(
            ScramCredential::new(
                ScramAlgorithm::Sha256,
                b"salt".to_vec(),
                4096,
                vec![0; len],
                vec![0; len - 1]
            )
            .is_err()
        );
    }

    #[test]
    fn debug_redacts_keys() {
        let cred = ScramCredential::generate(ScramAlgorithm::Sha256, "pw");
        let text = format!("{cred:?}");
        assert!(text.contains("<redacted>"));
        assert!(!text.contains(&BASE64.encode(cred.stored_key())));
    }

    #[test]
    fn decoy_salt_is_stable_per_user_and_differs_between_users() {
        let key = [7u8; 32];
        let a1 = ScramCredential::decoy(ScramAlgorithm::Sha512, &key, "alice");
        let a2 = ScramCredential::decoy(ScramAlgorithm::Sha512, &key, "alice");
        let b = ScramCredential::decoy(ScramAlgorithm::Sha512, &key, "bob");
        assert_eq!(a1.salt(), a2.salt());
        assert_ne!(a1.salt(), b.salt());
        assert_eq!(a1.salt().len(), SALT_LEN);
    }
}
