//! TLS for Kafka listeners and client connections: rustls configs built
//! with the ring provider passed in explicitly (no process-wide default
//! provider needs installing), PEM inputs, and certificate generation.
//!
//! Trust: a client config needs either a CA PEM to trust or an explicit
//! `insecure_skip_verify`. ferry bundles no public root store (it cannot
//! refresh one without network access, and Kafka deployments mostly use
//! private CAs), so a CA must be given even for publicly signed brokers:
//! e.g. the system bundle `/etc/ssl/certs/ca-certificates.crt`.

mod certs;
mod insecure;
mod pem;

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, ServerConfig};
use rustls_pki_types::ServerName;

pub use certs::{GeneratedCerts, generate_ca_and_server};

use crate::error::TlsError;

/// The ring crypto provider every ferry TLS config uses.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the config for a TLS listener (Kafka `SSL` / `SASL_SSL`).
///
/// `cert_chain_pem` holds the server certificate followed by any
/// intermediates; `key_pem` its private key (PKCS#8, PKCS#1 or SEC1). One PEM
/// file holding both key and chain works too: pass it as both arguments.
/// With `client_ca_pem`, clients must present a certificate signed by one of
/// its CAs (Kafka's `ssl.client.auth=required`).
///
/// # Errors
/// [`TlsError`] for unparsable PEM, a missing certificate or key, a key that
/// does not match or that rustls cannot use, or an unusable client CA.
pub fn server_config(
    cert_chain_pem: &[u8],
    key_pem: &[u8],
    client_ca_pem: Option<&[u8]>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = pem::certificates(cert_chain_pem, "certificate chain")?;
    let key = pem::private_key(key_pem)?;
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()?;
    let builder = match client_ca_pem {
        Some(ca) => {
            let roots = pem::root_store(ca, "client CA")?;
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build()?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(builder.with_single_cert(chain, key)?))
}

/// Builds the config for connecting to a TLS broker.
///
/// With `insecure_skip_verify` any server certificate is accepted (the
/// handshake signature is still checked) and `ca_pem` is ignored; otherwise
/// the server must chain to a CA in `ca_pem`.
///
/// # Errors
/// [`TlsError::NoTrustAnchors`] with neither a CA nor `insecure_skip_verify`;
/// [`TlsError`] for an unparsable CA.
pub fn client_config(
    ca_pem: Option<&[u8]>,
    insecure_skip_verify: bool,
) -> Result<Arc<ClientConfig>, TlsError> {
    build_client_config(ca_pem, insecure_skip_verify, None)
}

/// Like [`client_config`], presenting a client certificate (for brokers with
/// `ssl.client.auth=required`). `cert_chain_pem` and `key_pem` are read as
/// in [`server_config`].
///
/// # Errors
/// As [`client_config`], plus PEM and key errors for the identity.
pub fn client_config_with_identity(
    ca_pem: Option<&[u8]>,
    insecure_skip_verify: bool,
    cert_chain_pem: &[u8],
    key_pem: &[u8],
) -> Result<Arc<ClientConfig>, TlsError> {
    build_client_config(
        ca_pem,
        insecure_skip_verify,
        Some((cert_chain_pem, key_pem)),
    )
}

fn build_client_config(
    ca_pem: Option<&[u8]>,
    insecure_skip_verify: bool,
    identity: Option<(&[u8], &[u8])>,
) -> Result<Arc<ClientConfig>, TlsError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()?;
    let builder = if insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(insecure::SkipServerVerification::new(
                provider,
            )))
    } else {
        let ca = ca_pem.ok_or(TlsError::NoTrustAnchors)?;
        builder.with_root_certificates(pem::root_store(ca, "CA")?)
    };
    let config = match identity {
        Some((chain, key)) => builder.with_client_auth_cert(
            pem::certificates(chain, "client certificate chain")?,
            pem::private_key(key)?,
        )?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The name to verify a broker's certificate against: a DNS name, or an IP
/// address (checked against the certificate's IP SANs).
///
/// # Errors
/// [`TlsError::InvalidServerName`] for anything else.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    // Accept "[::1]" as written in bootstrap addresses.
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    ServerName::try_from(bare.to_owned()).map_err(|_| TlsError::InvalidServerName(host.to_owned()))
}
