//! Real TLS handshakes over 127.0.0.1 with configs from `ferry_auth::tls`.

use std::sync::Arc;

use ferry_auth::TlsError;
use ferry_auth::tls::{self, GeneratedCerts};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// The rustls error inside an I/O error from tokio-rustls.
fn rustls_error(err: &std::io::Error) -> Option<&rustls::Error> {
    err.get_ref()?.downcast_ref::<rustls::Error>()
}

fn certs() -> GeneratedCerts {
    tls::generate_ca_and_server(&["localhost".into(), "127.0.0.1".into()]).unwrap()
}

/// Serves one connection: completes the handshake and echoes one line.
/// Returns the server side's handshake result.
async fn serve_once(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
) -> std::io::Result<()> {
    let (tcp, _) = listener.accept().await?;
    let mut stream = TlsAcceptor::from(config).accept(tcp).await?;
    let mut buf = [0u8; 5];
    stream.read_exact(&mut buf).await?;
    stream.write_all(&buf).await?;
    stream.shutdown().await
}

/// Connects to a fresh server using `server_config` with `client_config`,
/// naming the server `host`; returns (client result, server result).
async fn handshake(
    server_config: Arc<rustls::ServerConfig>,
    client_config: Arc<rustls::ClientConfig>,
    host: &str,
) -> (std::io::Result<Vec<u8>>, std::io::Result<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(serve_once(listener, server_config));
    let name = tls::server_name(host).unwrap();
    let client = async {
        let tcp = TcpStream::connect(addr).await?;
        let mut stream = TlsConnector::from(client_config).connect(name, tcp).await?;
        stream.write_all(b"hello").await?;
        let mut echoed = Vec::new();
        stream.read_to_end(&mut echoed).await?;
        Ok(echoed)
    }
    .await;
    let server = server.await.unwrap();
    (client, server)
}

#[tokio::test]
async fn handshake_succeeds_with_the_generated_ca_for_dns_and_ip_names() {
    let certs = certs();
    let server = tls::server_config(
        certs.server_cert_pem.as_bytes(),
        certs.server_key_pem.as_bytes(),
        None,
    )
    .unwrap();
    let client = tls::client_config(Some(certs.ca_pem.as_bytes()), false).unwrap();
    for host in ["localhost", "127.0.0.1"] {
        let (c, s) = handshake(Arc::clone(&server), Arc::clone(&client), host).await;
        assert_eq!(c.unwrap(), b"hello", "{host}");
        s.unwrap();
    }
}

#[tokio::test]
async fn client_trusting_another_ca_fails_and_so_does_a_wrong_name() {
    let certs = certs();
    let other = self::certs();
    let server = tls::server_config(
        certs.server_cert_pem.as_bytes(),
        certs.server_key_pem.as_bytes(),
        None,
    )
    .unwrap();
    let stranger = tls::client_config(Some(other.ca_pem.as_bytes()), false).unwrap();
    let (c, s) = handshake(Arc::clone(&server), stranger, "localhost").await;
    let err = c.unwrap_err();
    assert!(
        matches!(
            rustls_error(&err),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        ),
        "{err:?}"
    );
    assert!(s.is_err());

    let trusting = tls::client_config(Some(certs.ca_pem.as_bytes()), false).unwrap();
    let (c, _) = handshake(Arc::clone(&server), trusting, "example.com").await;
    let err = c.unwrap_err();
    assert!(
        matches!(
            rustls_error(&err),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            ))
        ),
        "{err:?}"
    );

    // Skipping verification connects regardless.
    let insecure = tls::client_config(None, true).unwrap();
    let (c, s) = handshake(server, insecure, "example.com").await;
    assert_eq!(c.unwrap(), b"hello");
    s.unwrap();
}

#[tokio::test]
async fn one_pem_with_key_and_chain_works() {
    let certs = certs();
    let combined = format!("{}{}", certs.server_key_pem, certs.server_cert_pem);
    let server = tls::server_config(combined.as_bytes(), combined.as_bytes(), None).unwrap();
    let client = tls::client_config(Some(certs.ca_pem.as_bytes()), false).unwrap();
    let (c, s) = handshake(server, client, "localhost").await;
    assert_eq!(c.unwrap(), b"hello");
    s.unwrap();
}

#[tokio::test]
async fn required_client_certificates_are_enforced() {
    let certs = certs();
    let server = tls::server_config(
        certs.server_cert_pem.as_bytes(),
        certs.server_key_pem.as_bytes(),
        Some(certs.ca_pem.as_bytes()),
    )
    .unwrap();
    let with_identity = tls::client_config_with_identity(
        Some(certs.ca_pem.as_bytes()),
        false,
        certs.server_cert_pem.as_bytes(),
        certs.server_key_pem.as_bytes(),
    )
    .unwrap();
    let (c, s) = handshake(Arc::clone(&server), with_identity, "localhost").await;
    assert_eq!(c.unwrap(), b"hello");
    s.unwrap();

    // In TLS 1.3 the client learns of the refusal only when it reads.
    let anonymous = tls::client_config(Some(certs.ca_pem.as_bytes()), false).unwrap();
    let (c, s) = handshake(server, anonymous, "localhost").await;
    assert!(c.is_err());
    let err = s.unwrap_err();
    assert!(
        matches!(
            rustls_error(&err),
            Some(rustls::Error::NoCertificatesPresented)
        ),
        "{err:?}"
    );
}

#[test]
fn config_errors_are_specific() {
    let certs = certs();
    let other = self::certs();
    assert!(matches!(
        tls::client_config(None, false),
        Err(TlsError::NoTrustAnchors)
    ));
    assert!(matches!(
        tls::server_config(b"", certs.server_key_pem.as_bytes(), None),
        Err(TlsError::NoCertificate(_))
    ));
    assert!(matches!(
        tls::server_config(
            certs.server_cert_pem.as_bytes(),
            certs.ca_pem.as_bytes(),
            None
        ),
        Err(TlsError::NoPrivateKey)
    ));
    // A key that does not belong to the certificate.
    assert!(matches!(
        tls::server_config(
            certs.server_cert_pem.as_bytes(),
            other.server_key_pem.as_bytes(),
            None
        ),
        Err(TlsError::Rustls(_))
    ));
    assert!(matches!(
        tls::generate_ca_and_server(&[]),
        Err(TlsError::NoHostnames)
    ));
    assert!(tls::server_name("[::1]").is_ok());
    assert!(matches!(
        tls::server_name("not a host"),
        Err(TlsError::InvalidServerName(_))
    ));
    assert!(!format!("{certs:?}").contains(&certs.server_key_pem));
}
