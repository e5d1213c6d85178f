//! PEM inputs: certificate chains, private keys and CA bundles.

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::TlsError;

/// Every `CERTIFICATE` block in `pem`, in order (other blocks, such as a key
/// in the same file, are skipped).
///
/// # Errors
/// [`TlsError::Pem`] for broken PEM, [`TlsError::NoCertificate`] if there is none.
pub(crate) fn certificates(
    pem: &[u8],
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            what,
            message: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(what));
    }
    Ok(certs)
}

/// The first private key in `pem`: PKCS#8 (`PRIVATE KEY`), PKCS#1
/// (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
///
/// # Errors
/// [`TlsError::NoPrivateKey`] if there is none, [`TlsError::Pem`] for broken PEM.
pub(crate) fn private_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => TlsError::NoPrivateKey,
        other => TlsError::Pem {
            what: "private key",
            message: other.to_string(),
        },
    })
}

/// A root store holding every certificate of a CA PEM bundle.
///
/// # Errors
/// As [`certificates`], and [`TlsError::Rustls`] for a certificate rustls cannot use as a root.
pub(crate) fn root_store(pem: &[u8], what: &'static str) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(pem, what)? {
        roots.add(cert)?;
    }
    Ok(roots)
}
