//! Certificate generation (rcgen, ring): a throwaway CA and a server
//! certificate it signs, for tests, `ferry tls create-certs` and demos.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};

use crate::error::TlsError;

/// PEM output of [`generate_ca_and_server`].
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedCerts {
    /// The CA certificate: what clients trust (`ssl.truststore` / `ssl.ca.location`).
    pub ca_pem: String,
    /// The server's chain: its certificate followed by the CA's, what the
    /// listener presents.
    pub server_cert_pem: String,
    /// The server's private key (ECDSA P-256, PKCS#8).
    pub server_key_pem: String,
}

impl std::fmt::Debug for GeneratedCerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedCerts")
            .field("ca_pem", &self.ca_pem)
            .field("server_cert_pem", &self.server_cert_pem)
            .field("server_key_pem", &"<redacted>")
            .finish()
    }
}

/// The current calendar year, near enough for validity bounds.
fn current_year() -> i32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // 31,556,952 s is the mean Gregorian year.
    1970 + i32::try_from(secs / 31_556_952).unwrap_or(0)
}

/// Generates a CA and a server certificate it signs, valid for every name in
/// `hostnames` (IP literals become IP SANs, the rest DNS SANs; the first name
/// is also the subject CN). Validity runs from the start of last year for ten
/// years. The server certificate allows both server and client auth, so the
/// same files serve a mutual-TLS test.
///
/// # Errors
/// [`TlsError::NoHostnames`] for an empty `hostnames`,
/// [`TlsError::CertificateGeneration`] for a name rcgen refuses.
pub fn generate_ca_and_server(hostnames: &[String]) -> Result<GeneratedCerts, TlsError> {
    let first = hostnames.first().ok_or(TlsError::NoHostnames)?;
    let year = current_year();
    let not_before = rcgen::date_time_ymd(year - 1, 1, 1);
    let not_after = rcgen::date_time_ymd(year + 9, 1, 1);

    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = DistinguishedName::new();
    // A distinct name per CA: clients then report a certificate from another
    // generated CA as "unknown issuer" rather than as a bad signature.
    ca_params.distinguished_name.push(
        DnType::CommonName,
        format!("ferry test CA {}", crate::random::nonce(8)),
    );
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "ferry");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

    let mut params = CertificateParams::default();
    params.subject_alt_names = hostnames
        .iter()
        .map(|h| match h.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => Ok(SanType::DnsName(h.clone().try_into()?)),
        })
        .collect::<Result<Vec<_>, rcgen::Error>>()?;
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, first.as_str());
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = not_after;
    let server_key = KeyPair::generate()?;
    let server_cert = params.signed_by(&server_key, &ca)?;

    let ca_pem = ca.pem();
    Ok(GeneratedCerts {
        server_cert_pem: format!("{}{}", server_cert.pem(), ca_pem),
        ca_pem,
        server_key_pem: server_key.serialize_pem(),
    })
}
