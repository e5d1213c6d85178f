//! Stand-in for the parts of `ferry-auth` this crate uses, until that crate
//! lands: SASL PLAIN only, and a rustls configuration from PEM roots.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// The client side of a SASL mechanism.
pub(crate) trait ClientSession: Send {
    /// The first message the client sends.
    fn initial_response(&mut self) -> Vec<u8>;
    /// Consumes a server challenge; returns the next client message, if any.
    fn step(&mut self, server_message: &[u8]) -> Result<Option<Vec<u8>>, String>;
    /// True once the client has everything it needs from the server.
    fn is_complete(&self) -> bool;
}

struct Plain {
    message: Vec<u8>,
    sent: bool,
}

impl ClientSession for Plain {
    fn initial_response(&mut self) -> Vec<u8> {
        self.sent = true;
        self.message.clone()
    }
    fn step(&mut self, _server_message: &[u8]) -> Result<Option<Vec<u8>>, String> {
        Ok(None)
    }
    fn is_complete(&self) -> bool {
        self.sent
    }
}

/// A client session for `mechanism`.
pub(crate) fn client_session(
    mechanism: &str,
    user: &str,
    password: &str,
) -> Result<Box<dyn ClientSession>, String> {
    match mechanism {
        "PLAIN" => {
            let mut message = Vec::with_capacity(user.len() + password.len() + 2);
            message.push(0);
            message.extend_from_slice(user.as_bytes());
            message.push(0);
            message.extend_from_slice(password.as_bytes());
            Ok(Box::new(Plain {
                message,
                sent: false,
            }))
        }
        other => Err(format!(
            "SASL mechanism {other} is not available in this build"
        )),
    }
}

/// A rustls client configuration trusting `ca_pem`, or nothing checked at all.
pub(crate) fn client_config(
    ca_pem: Option<&[u8]>,
    insecure_skip_verify: bool,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = if insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        if let Some(pem) = ca_pem {
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| format!("bad CA PEM: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("bad CA certificate: {e}"))?;
            }
        }
        if roots.is_empty() {
            return Err("no CA certificate given (use --ca-cert or ssl.ca.location)".into());
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
