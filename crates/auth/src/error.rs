//! Error types.
//!
//! Two enums, because their audiences differ: [`AuthError`] values from a SASL
//! exchange travel back to a Kafka client inside a `SaslAuthenticate` response
//! (their `Display` text is that client-facing message and must never carry a
//! secret), while [`TlsError`] values are operator-facing configuration errors.

use std::path::PathBuf;

/// Why authentication, or one of the credential stores behind it, failed.
///
/// For the variants a broker sends to a client ([`UnsupportedMechanism`],
/// [`InvalidCredentials`], [`Malformed`]) the `Display` text is exactly the
/// message to put in the `SaslAuthenticate` response's `error_message`.
///
/// [`UnsupportedMechanism`]: AuthError::UnsupportedMechanism
/// [`InvalidCredentials`]: AuthError::InvalidCredentials
/// [`Malformed`]: AuthError::Malformed
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The client asked for a mechanism this side does not have enabled
    /// (Kafka answers `UNSUPPORTED_SASL_MECHANISM` with the enabled list).
    /// Carries the mechanism name as the client sent it.
    #[error("Unsupported SASL mechanism {0}")]
    UnsupportedMechanism(String),
    /// The credentials were wrong, the user unknown, or the request refused.
    /// The same text is used for an unknown user and a wrong password, so a
    /// client cannot tell them apart (no user enumeration).
    #[error("{0}")]
    InvalidCredentials(String),
    /// A SASL message did not follow the mechanism's grammar. The text says
    /// what was wrong, never what the secret parts contained.
    #[error("{0}")]
    Malformed(String),
    /// Client side of SCRAM: the server's final message did not prove that it
    /// knows the credential (`v=` mismatch), so the server may be an impostor.
    #[error("SCRAM server signature does not match: {0}")]
    ServerSignatureMismatch(String),
    /// A JAAS configuration string (`sasl.jaas.config`) could not be parsed.
    #[error("invalid JAAS configuration: {0}")]
    InvalidJaasConfig(String),
    /// The API-key file could not be read, written or understood.
    #[error("API key store {}: {message}", path.display())]
    ApiKeyStore {
        /// The file (or directory) involved.
        path: PathBuf,
        /// What went wrong, for the operator.
        message: String,
    },
}

impl AuthError {
    /// Shorthand for an [`AuthError::ApiKeyStore`] built from an I/O error.
    pub(crate) fn store_io(path: &std::path::Path, what: &str, err: &std::io::Error) -> Self {
        AuthError::ApiKeyStore {
            path: path.to_path_buf(),
            message: format!("{what}: {err}"),
        }
    }
}

/// Why a TLS configuration or certificate could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM input held no `CERTIFICATE` block.
    #[error("no certificate found in the {0} PEM")]
    NoCertificate(&'static str),
    /// The key PEM held no PKCS#8, PKCS#1 or SEC1 private key.
    #[error("no private key (PKCS#8, PKCS#1 or SEC1) found in the key PEM")]
    NoPrivateKey,
    /// A PEM input was not valid PEM.
    #[error("invalid PEM in the {what}: {message}")]
    Pem {
        /// Which input ("certificate chain", "CA", ...).
        what: &'static str,
        /// The parser's description.
        message: String,
    },
    /// A client config was asked for with neither a CA to trust nor
    /// `insecure_skip_verify`; ferry bundles no public root store (it runs
    /// without network access to refresh one), so the caller must choose.
    #[error(
        "no CA certificate given: pass a CA PEM (e.g. ssl.truststore) or skip verification explicitly"
    )]
    NoTrustAnchors,
    /// A host name is neither a DNS name nor an IP address.
    #[error("invalid TLS server name {0:?}")]
    InvalidServerName(String),
    /// rustls refused the configuration (bad key, unsupported algorithm, ...).
    #[error("TLS configuration rejected: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client-certificate verifier could not be built from the CA.
    #[error("client certificate verifier: {0}")]
    ClientVerifier(#[from] rustls::server::VerifierBuilderError),
    /// A server certificate was asked for without any host name.
    #[error("at least one host name is needed for a server certificate")]
    NoHostnames,
    /// Certificate generation failed.
    #[error("certificate generation failed: {0}")]
    CertificateGeneration(#[from] rcgen::Error),
}
