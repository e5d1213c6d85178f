//! HTTPS for `https://` entries of `rest.listeners`, with the broker's PEM
//! keystore.
//!
//! Connections are accepted by a background task that runs each TLS
//! handshake in its own task (bounded by [`HANDSHAKE_TIMEOUT`]), so a slow or
//! silent client never holds up the others; finished handshakes are handed
//! to axum through [`TlsListener`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ferry_broker::BrokerConfig;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::error::RestError;

/// How long a client gets to complete the TLS handshake.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The server certificate and key `https://` listeners present.
#[derive(Debug, Clone)]
pub struct RestTls {
    config: Arc<ServerConfig>,
}

impl RestTls {
    /// Uses a ready rustls server config (e.g. from
    /// [`ferry_auth::server_config`]).
    pub fn new(config: Arc<ServerConfig>) -> Self {
        Self { config }
    }

    /// Reads the keystore from the broker's properties, each key looked up
    /// as `rest.<key>` first, then as the first TLS Kafka listener resolves
    /// it (`listener.name.<l>.<key>`, then `<key>`), so that by default
    /// the REST listener shows the broker's certificate. Keys:
    /// `ssl.keystore.location` (a PEM file with chain and key) or
    /// `ssl.keystore.certificate.chain` + `ssl.keystore.key` (inline PEM);
    /// `ssl.keystore.type` must be PEM if set. `None` when no keystore is
    /// configured.
    ///
    /// # Errors
    /// [`RestError::Tls`] for an unreadable file or unusable PEM.
    pub fn from_broker_config(config: &BrokerConfig) -> Result<Option<Self>, RestError> {
        let tls_listener = config.listeners.iter().find(|l| l.protocol.uses_tls());
        let get = |key: &str| -> Option<String> {
            config
                .get(&format!("rest.{key}"))
                .or_else(|| tls_listener.and_then(|l| config.listener_prop(&l.name, key)))
                .or_else(|| config.get(key))
                .map(str::to_owned)
        };
        if let Some(t) = get("ssl.keystore.type")
            && !t.eq_ignore_ascii_case("PEM")
        {
            return Err(RestError::Tls(format!(
                "ssl.keystore.type={t} is not supported; use PEM"
            )));
        }
        let (chain, key) = match (
            get("ssl.keystore.location"),
            get("ssl.keystore.certificate.chain"),
            get("ssl.keystore.key"),
        ) {
            (Some(path), _, _) => {
                let pem = std::fs::read(&path)
                    .map_err(|e| RestError::Tls(format!("ssl.keystore.location={path}: {e}")))?;
                (pem.clone(), pem)
            }
            (None, Some(chain), Some(key)) => (chain.into_bytes(), key.into_bytes()),
            _ => return Ok(None),
        };
        let server = ferry_auth::server_config(&chain, &key, None)
            .map_err(|e| RestError::Tls(e.to_string()))?;
        Ok(Some(Self::new(server)))
    }
}

/// A TLS listener for `axum::serve`: yields connections whose handshake is done.
#[derive(Debug)]
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    acceptor: JoinHandle<()>,
}

impl TlsListener {
    /// Starts accepting on `listener`.
    pub(crate) fn new(listener: TcpListener, local: SocketAddr, tls: &RestTls) -> Self {
        let (tx, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(Arc::clone(&tls.config));
        let acceptor = tokio::spawn(accept_loop(listener, acceptor, tx));
        Self {
            ready,
            local,
            acceptor,
        }
    }
}

impl Drop for TlsListener {
    /// Serving ended: stop accepting.
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: back off, as axum does.
                tracing::warn!("rest listener accept: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    let _ = ready.send((stream, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, "rest TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(%peer, "rest TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept task is gone (only when dropped): nothing more comes.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
