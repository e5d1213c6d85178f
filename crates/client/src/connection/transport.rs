//! Opening the byte stream to a broker: TCP, optionally wrapped in TLS.

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::error::{Error, Result};

/// The read half of a broker stream, whatever it is underneath.
pub(crate) type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
/// The write half of a broker stream.
pub(crate) type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

/// Dials `addr` and, when `tls` is given, runs the TLS handshake with the host
/// part of `addr` as the server name (SNI and certificate check).
pub(crate) async fn open(
    addr: &str,
    tls: Option<&Arc<rustls::ClientConfig>>,
    timeout: Duration,
) -> Result<(ReadHalf, WriteHalf)> {
    let tcp = tokio::time::timeout(timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| Error::Connect {
            addr: addr.to_owned(),
            reason: format!("timed out after {} ms", timeout.as_millis()),
        })?
        .map_err(|e| Error::Connect {
            addr: addr.to_owned(),
            reason: io_reason(&e),
        })?;
    // Requests are small and latency matters more than packet count.
    tcp.set_nodelay(true).ok();
    let Some(tls) = tls else {
        let (r, w) = tcp.into_split();
        return Ok((Box::new(r), Box::new(w)));
    };
    let host = host_of(addr);
    let name = ServerName::try_from(host.to_owned()).map_err(|e| Error::Tls {
        addr: addr.to_owned(),
        reason: format!("'{host}' is not a valid TLS server name: {e}"),
    })?;
    let connector = tokio_rustls::TlsConnector::from(Arc::clone(tls));
    let stream = tokio::time::timeout(timeout, connector.connect(name, tcp))
        .await
        .map_err(|_| Error::Tls {
            addr: addr.to_owned(),
            reason: format!("handshake timed out after {} ms", timeout.as_millis()),
        })?
        .map_err(|e| Error::Tls {
            addr: addr.to_owned(),
            reason: e.to_string(),
        })?;
    let (r, w) = tokio::io::split(stream);
    Ok((Box::new(r), Box::new(w)))
}

/// The host part of `host:port` (brackets stripped from an IPv6 literal).
pub(crate) fn host_of(addr: &str) -> &str {
    let host = match addr.rfind(':') {
        Some(i) => &addr[..i],
        None => addr,
    };
    host.trim_start_matches('[').trim_end_matches(']')
}

/// An io error as a short phrase: "connection refused" rather than
/// "Connection refused (os error 111)".
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionRefused => "connection refused".into(),
        ErrorKind::TimedOut => "timed out".into(),
        ErrorKind::HostUnreachable => "host unreachable".into(),
        ErrorKind::NetworkUnreachable => "network unreachable".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_parts() {
        assert_eq!(host_of("broker-1.example.com:9093"), "broker-1.example.com");
        assert_eq!(host_of("[::1]:9092"), "::1");
        assert_eq!(host_of("localhost"), "localhost");
    }

    #[tokio::test]
    async fn refused_connection_reads_plainly() {
        // Bind then drop a listener to find a port nobody listens on.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let addr = format!("127.0.0.1:{port}");
        let err = match open(&addr, None, Duration::from_secs(5)).await {
            Ok(_) => panic!("connected to a closed port"),
            Err(e) => e,
        };
        assert_eq!(
            err.to_string(),
            format!("cannot reach {addr}: connection refused")
        );
    }
}
