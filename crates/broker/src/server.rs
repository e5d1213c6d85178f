//! The server: binds every listener, accepts connections, runs the periodic
//! housekeeping (retention, flush), and shuts down cleanly.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ferry_auth::Authenticator;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::config::{BrokerConfig, Listener};
use crate::connection::{self, ConnectionInfo};
use crate::state::{Broker, CatalogError, Endpoint};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Opening the data directory or a log failed.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Another process holds the data directory.
    #[error("data directory {0} is in use by another ferry server")]
    Locked(String),
    /// A listener could not bind.
    #[error("cannot listen on {listener} ({addr}): {source}")]
    Bind {
        /// Listener name.
        listener: String,
        /// Address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// TLS or SASL settings of a listener are missing or wrong.
    #[error("listener {listener}: {reason}")]
    Security {
        /// Listener name.
        listener: String,
        /// What is wrong.
        reason: String,
    },
    /// Other IO.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

struct BoundListener {
    listener: Listener,
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    authenticator: Option<Authenticator>,
}

/// A broker with its listeners bound, ready to [`run`](Server::run).
pub struct Server {
    broker: Arc<Broker>,
    bound: Vec<BoundListener>,
    /// Held for the server's life: the data directory's lock.
    _lock: std::fs::File,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("endpoints", &self.endpoints())
            .finish()
    }
}

impl Server {
    /// Opens the data directory (recovering every log) and binds the listeners.
    pub async fn bind(config: BrokerConfig) -> Result<Self, ServerError> {
        std::fs::create_dir_all(&config.data_dir)?;
        let lock = std::fs::File::create(config.data_dir.join(".lock"))?;
        if lock.try_lock().is_err() {
            return Err(ServerError::Locked(config.data_dir.display().to_string()));
        }
        let broker = Arc::new(Broker::open(config.clone())?);
        let mut bound = Vec::new();
        let mut endpoints = Vec::new();
        for l in &config.listeners {
            let host = if l.host.is_empty() {
                "0.0.0.0"
            } else {
                l.host.as_str()
            };
            let addr = format!("{host}:{}", l.port);
            let tcp = TcpListener::bind(&addr)
                .await
                .map_err(|source| ServerError::Bind {
                    listener: l.name.clone(),
                    addr: addr.clone(),
                    source,
                })?;
            let port = tcp.local_addr()?.port();
            let tls = if l.protocol.uses_tls() {
                Some(tls_acceptor(&config, l)?)
            } else {
                None
            };
            let authenticator = if l.protocol.uses_sasl() {
                Some(authenticator(&config, l)?)
            } else {
                None
            };
            endpoints.push(Endpoint {
                name: l.name.clone(),
                protocol: l.protocol.name(),
                host: l
                    .advertised_host
                    .clone()
                    .unwrap_or_else(|| advertised_default(&l.host)),
                port: l.advertised_port.unwrap_or(port),
            });
            let mut listener = l.clone();
            listener.port = port;
            bound.push(BoundListener {
                listener,
                tcp,
                tls,
                authenticator,
            });
        }
        broker.set_endpoints(endpoints);
        Ok(Self {
            broker,
            bound,
            _lock: lock,
        })
    }

    /// The shared broker state.
    pub fn broker(&self) -> &Arc<Broker> {
        &self.broker
    }

    /// The bound listeners: (name, bind host, bound port).
    pub fn endpoints(&self) -> Vec<(String, String, u16)> {
        self.bound
            .iter()
            .map(|b| {
                let host = if b.listener.host.is_empty() {
                    "0.0.0.0".into()
                } else {
                    b.listener.host.clone()
                };
                (b.listener.name.clone(), host, b.listener.port)
            })
            .collect()
    }

    /// Serves until `shutdown` completes, then stops accepting, closes every
    /// connection and flushes every log.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        for b in self.bound {
            tasks.spawn(accept_loop(Arc::clone(&self.broker), b, stop_rx.clone()));
        }
        tasks.spawn(housekeeping(Arc::clone(&self.broker), stop_rx.clone()));
        // Transactions left open by a crash must time out even if no client
        // ever talks to this broker again.
        self.broker.txn.ensure_timer(&self.broker);
        shutdown.await;
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
        // Accept loops and connections watch the same channel; give in-flight
        // requests a moment to finish, then abandon what remains.
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        tasks.abort_all();
        let broker = Arc::clone(&self.broker);
        tokio::task::spawn_blocking(move || broker.flush_all())
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        tracing::info!("shut down cleanly");
        Ok(())
    }
}

async fn accept_loop(
    broker: Arc<Broker>,
    b: BoundListener,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = b.tcp.accept() => a,
            _ = stop.changed() => break,
        };
        let (tcp, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of file descriptors and the like: back off, keep serving.
                tracing::warn!(listener = %b.listener.name, "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let info = ConnectionInfo {
            listener: b.listener.name.clone(),
            authenticator: b.authenticator.clone(),
            peer: peer.to_string(),
        };
        let broker = Arc::clone(&broker);
        let stop = stop.clone();
        let tls = b.tls.clone();
        connections.spawn(async move {
            match tls {
                None => connection::serve(broker, info, tcp, stop).await,
                Some(acceptor) => {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
                    {
                        Ok(Ok(stream)) => connection::serve(broker, info, stream, stop).await,
                        Ok(Err(e)) => {
                            tracing::info!(peer = %info.peer, "TLS handshake failed: {e}")
                        }
                        Err(_) => tracing::info!(peer = %info.peer, "TLS handshake timed out"),
                    }
                }
            }
        });
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
}

async fn housekeeping(broker: Arc<Broker>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let config = broker.config().clone();
    let mut retention = tokio::time::interval(Duration::from_millis(
        config.retention_check_interval_ms.max(100),
    ));
    let flush_every = config
        .flush_interval_ms
        .map(|ms| Duration::from_millis(ms.max(10)));
    let mut flush = tokio::time::interval(flush_every.unwrap_or(Duration::from_secs(3600)));
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = retention.tick() => {
                let b = Arc::clone(&broker);
                let now = now_ms();
                let _ = tokio::task::spawn_blocking(move || b.enforce_retention(now)).await;
            }
            _ = flush.tick(), if flush_every.is_some() => {
                let b = Arc::clone(&broker);
                let _ = tokio::task::spawn_blocking(move || b.flush_all()).await;
            }
        }
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The host to advertise when `advertised.listeners` says nothing: the bind
/// host, or for a wildcard bind the machine's host name, as Kafka does.
fn advertised_default(bind_host: &str) -> String {
    if !bind_host.is_empty() && bind_host != "0.0.0.0" && bind_host != "::" {
        return bind_host.to_string();
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

fn security_err(l: &Listener, reason: impl Into<String>) -> ServerError {
    ServerError::Security {
        listener: l.name.clone(),
        reason: reason.into(),
    }
}

/// Builds the TLS acceptor from Kafka's PEM settings: `ssl.keystore.location`
/// (a PEM file holding the certificate chain and the private key) or inline
/// `ssl.keystore.certificate.chain` + `ssl.keystore.key`; `ssl.truststore.location`
/// and `ssl.client.auth=required` for client certificates. Listener-prefixed
/// forms (`listener.name.<name>.ssl.…`) take precedence.
fn tls_acceptor(config: &BrokerConfig, l: &Listener) -> Result<TlsAcceptor, ServerError> {
    let get = |k: &str| config.listener_prop(&l.name, k);
    if let Some(t) = get("ssl.keystore.type")
        && !t.eq_ignore_ascii_case("PEM")
    {
        return Err(security_err(
            l,
            format!("ssl.keystore.type={t} is not supported; use PEM"),
        ));
    }
    let read = |key: &str, path: &str| {
        std::fs::read(path).map_err(|e| security_err(l, format!("{key}={path}: {e}")))
    };
    let (chain, key) = match (
        get("ssl.keystore.location"),
        get("ssl.keystore.certificate.chain"),
        get("ssl.keystore.key"),
    ) {
        (Some(path), _, _) => {
            let pem = read("ssl.keystore.location", path)?;
            (pem.clone(), pem)
        }
        (None, Some(chain), Some(key)) => (chain.as_bytes().to_vec(), key.as_bytes().to_vec()),
        _ => {
            return Err(security_err(
                l,
                "a TLS listener needs ssl.keystore.location (PEM with certificate chain and key) or ssl.keystore.certificate.chain and ssl.keystore.key",
            ));
        }
    };
    let client_auth = get("ssl.client.auth")
        .unwrap_or("none")
        .to_ascii_lowercase();
    let client_ca = match (client_auth.as_str(), get("ssl.truststore.location")) {
        ("required", Some(path)) => Some(read("ssl.truststore.location", path)?),
        ("required", None) => {
            return Err(security_err(
                l,
                "ssl.client.auth=required needs ssl.truststore.location",
            ));
        }
        _ => None,
    };
    let server_config = ferry_auth::server_config(&chain, &key, client_ca.as_deref())
        .map_err(|e| security_err(l, e.to_string()))?;
    Ok(TlsAcceptor::from(server_config))
}

/// Builds the SASL authenticator of a listener: its enabled mechanisms, the
/// static users of its JAAS config, and the data directory's API keys.
fn authenticator(config: &BrokerConfig, l: &Listener) -> Result<Authenticator, ServerError> {
    let mechanisms_text = config
        .listener_prop(&l.name, "sasl.enabled.mechanisms")
        .map(str::to_string)
        .unwrap_or_else(|| config.sasl_mechanisms.join(","));
    let mechanisms = ferry_auth::Mechanism::parse_list(&mechanisms_text)
        .map_err(|e| security_err(l, e.to_string()))?;
    let mut users = std::collections::HashMap::new();
    let prefix = format!("listener.name.{}.", l.name.to_ascii_lowercase());
    for (key, value) in &config.props {
        let Some(rest) = key.strip_prefix(&prefix) else {
            continue;
        };
        if rest.ends_with(".sasl.jaas.config") {
            let parsed = ferry_auth::parse_plain_jaas(value)
                .map_err(|e| security_err(l, format!("{key}: {e}")))?;
            users.extend(parsed);
        }
    }
    let store = ferry_auth::ApiKeyStore::open(&config.data_dir)
        .map_err(|e| security_err(l, e.to_string()))?;
    Ok(Authenticator::new(mechanisms, users, Some(store)))
}
