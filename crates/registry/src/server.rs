//! [`RegistryServer`]: binds `schema.registry.listeners`, opens the store,
//! serves the API until shut down.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use ferry_broker::Broker;
use ferry_client::ClientConfig;
use tokio::net::TcpListener;

use crate::auth::RegistryAuth;
use crate::error::RegistryError;
use crate::exporter::{EXPORTERS_TOPIC, ExporterLog, Exporters, auto_context};
use crate::log::{KafkaSchemaLog, LocalSchemaLog, SCHEMAS_TOPIC, SchemaLog};
use crate::store::Registry;

/// Broker property naming the registry's listeners (`http://host:port`,
/// comma-separated; port 0 = any free port; empty = no registry).
pub const LISTENERS_PROPERTY: &str = "schema.registry.listeners";
/// The listener when the property is absent: Confluent's registry default.
pub const DEFAULT_LISTENERS: &str = "http://0.0.0.0:8081";
/// Prefix of the properties that point the store at another Kafka cluster:
/// `schema.registry.kafkastore.bootstrap.servers` selects it, every other
/// `schema.registry.kafkastore.<client property>` configures the client, and
/// `schema.registry.kafkastore.topic` names the topic (default `_schemas`).
pub const KAFKASTORE_PREFIX: &str = "schema.registry.kafkastore.";

/// The schema registry server.
#[derive(Debug)]
pub struct RegistryServer {
    listeners: Vec<(TcpListener, SocketAddr)>,
    registry: Arc<Registry>,
    auth: RegistryAuth,
    /// Whether another writer may share the log (remote store): follow it.
    follow: bool,
    /// The schema exporters, started by [`RegistryServer::run`].
    exporters: Option<Arc<Exporters>>,
}

fn parse_listener(entry: &str) -> Result<(String, u16), RegistryError> {
    let invalid = |reason: &str| RegistryError::InvalidListener {
        listener: entry.to_owned(),
        reason: reason.to_owned(),
    };
    let (scheme, rest) = entry
        .split_once("://")
        .ok_or_else(|| invalid("expected http://host:port"))?;
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(invalid("only http:// listeners are supported"));
    }
    let authority = rest.trim_end_matches('/');
    if authority.contains('/') {
        return Err(invalid("a listener has no path; expected http://host:port"));
    }
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or_else(|| invalid("expected http://host:port"))?;
    let port = port
        .parse::<u16>()
        .map_err(|_| invalid("the port must be a number 0..65535"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    Ok((host.to_owned(), port))
}

impl RegistryServer {
    /// Everything from the broker's configuration: listeners from
    /// `schema.registry.listeners` (absent: [`DEFAULT_LISTENERS`]; empty: no
    /// listener, nothing served), the store (the local broker's `_schemas`, or the cluster of
    /// `schema.registry.kafkastore.bootstrap.servers`), and authentication
    /// ([`RegistryAuth::from_broker_config`]).
    ///
    /// # Errors
    /// Listener, store and authentication errors.
    pub async fn from_broker(broker: Arc<Broker>) -> Result<Self, RegistryError> {
        let config = broker.config();
        let listeners: Vec<String> = config
            .props
            .get(LISTENERS_PROPERTY)
            .map_or_else(|| vec![DEFAULT_LISTENERS.to_owned()], |v| vec![v.clone()]);
        let auth = RegistryAuth::from_broker_config(config)
            .map_err(|e| RegistryError::Auth(e.to_string()))?;
        let store: BTreeMap<String, String> = config
            .props
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(KAFKASTORE_PREFIX)?.to_owned(), v.clone())))
            .collect();
        let topic = store
            .get("topic")
            .cloned()
            .unwrap_or_else(|| SCHEMAS_TOPIC.to_owned());
        // Exporters live in a topic of their own next to `_schemas`.
        let exporters_topic = if topic == SCHEMAS_TOPIC {
            EXPORTERS_TOPIC.to_owned()
        } else {
            format!("{topic}_exporters")
        };
        let (log, exporter_log, follow): (Arc<dyn SchemaLog>, Arc<dyn SchemaLog>, bool) =
            match store.get("bootstrap.servers") {
                Some(bootstrap) if !listeners_empty(&listeners) => {
                    let mut client = ClientConfig::new(bootstrap);
                    let props: BTreeMap<String, String> = store
                        .iter()
                        .filter(|(k, _)| k.as_str() != "topic" && k.as_str() != "bootstrap.servers")
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    client
                        .apply_properties(&props)
                        .map_err(|e| RegistryError::Store(e.to_string()))?;
                    (
                        Arc::new(KafkaSchemaLog::connect(client.clone(), &topic).await?),
                        Arc::new(KafkaSchemaLog::connect(client, &exporters_topic).await?),
                        true,
                    )
                }
                _ if listeners_empty(&listeners) => {
                    return Ok(Self {
                        listeners: Vec::new(),
                        registry: Registry::open(Arc::new(EmptyLog)).await?,
                        auth,
                        follow: false,
                        exporters: None,
                    });
                }
                _ => (
                    Arc::new(LocalSchemaLog::open(Arc::clone(&broker), &topic)?),
                    Arc::new(LocalSchemaLog::open(Arc::clone(&broker), &exporters_topic)?),
                    false,
                ),
            };
        let registry = Registry::open(log).await?;
        let exporters = Exporters::open(
            Arc::clone(&registry),
            ExporterLog::new(exporter_log),
            auto_context(broker.cluster_id()),
        )
        .await?;
        Ok(Self::bind(&listeners, registry, auth, follow)
            .await?
            .with_exporters(exporters))
    }

    /// Binds `listeners` for an opened registry.
    ///
    /// # Errors
    /// [`RegistryError::InvalidListener`], [`RegistryError::Bind`].
    pub async fn bind(
        listeners: &[String],
        registry: Arc<Registry>,
        auth: RegistryAuth,
        follow: bool,
    ) -> Result<Self, RegistryError> {
        let mut bound = Vec::new();
        for entry in entries(listeners) {
            let (host, port) = parse_listener(entry)?;
            let bind_err = |source| RegistryError::Bind {
                listener: entry.to_owned(),
                source,
            };
            let listener = TcpListener::bind((host.as_str(), port))
                .await
                .map_err(bind_err)?;
            let addr = listener.local_addr().map_err(bind_err)?;
            bound.push((listener, addr));
        }
        Ok(Self {
            listeners: bound,
            registry,
            auth,
            follow,
            exporters: None,
        })
    }

    /// Serves `/exporters` with these exporters and runs them while the
    /// server runs.
    #[must_use]
    pub fn with_exporters(mut self, exporters: Arc<Exporters>) -> Self {
        self.exporters = Some(exporters);
        self
    }

    /// The exporters, when served.
    pub fn exporters(&self) -> Option<&Arc<Exporters>> {
        self.exporters.as_ref()
    }

    /// The bound addresses (port 0 resolved), for
    /// `ferry server: schema registry listener on host:port` lines.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().map(|(_, addr)| *addr).collect()
    }

    /// The registry behind the API.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Serves until `shutdown` completes, then stops accepting and waits for
    /// requests in flight.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let app = crate::routes::router(
            Arc::clone(&self.registry),
            self.auth,
            self.exporters.clone(),
        );
        if let Some(exporters) = &self.exporters {
            exporters.start().await;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (listener, addr) in self.listeners {
            let mut stop = stop_rx.clone();
            let app = app.clone();
            tasks.spawn(async move {
                let stopped = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                if let Err(e) = axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await
                {
                    tracing::warn!(%addr, "schema registry listener stopped: {e}");
                }
            });
        }
        if self.follow {
            let mut stop = stop_rx.clone();
            let registry = Arc::clone(&self.registry);
            tasks.spawn(async move {
                registry
                    .follow(async move {
                        let _ = stop.wait_for(|s| *s).await;
                    })
                    .await;
            });
        }
        shutdown.await;
        if let Some(exporters) = &self.exporters {
            exporters.shutdown().await;
        }
        let _ = stop_tx.send(true);
        while tasks.join_next().await.is_some() {}
    }
}

fn entries(listeners: &[String]) -> impl Iterator<Item = &str> {
    listeners
        .iter()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|l| !l.is_empty())
}

fn listeners_empty(listeners: &[String]) -> bool {
    entries(listeners).next().is_none()
}

/// The log of a registry that serves nothing (no listeners configured): so
/// `from_broker` neither creates `_schemas` nor connects anywhere.
#[derive(Debug)]
struct EmptyLog;

impl SchemaLog for EmptyLog {
    fn append(&self, _records: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> crate::log::LogFuture<'_, i64> {
        Box::pin(async {
            Err(RegistryError::Store(
                "the schema registry is not enabled".into(),
            ))
        })
    }

    fn read(&self, from: i64) -> crate::log::LogFuture<'_, crate::log::LogRead> {
        Box::pin(async move {
            Ok(crate::log::LogRead {
                records: Vec::new(),
                next_offset: from,
            })
        })
    }

    fn end_offset(&self) -> crate::log::LogFuture<'_, i64> {
        Box::pin(async { Ok(0) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_entries() {
        assert_eq!(
            parse_listener("http://127.0.0.1:0").ok(),
            Some(("127.0.0.1".to_owned(), 0))
        );
        assert_eq!(
            parse_listener("http://:8081").ok(),
            Some(("0.0.0.0".to_owned(), 8081))
        );
        for bad in ["127.0.0.1:8081", "https://h:1", "http://h", "http://h:1/x"] {
            assert!(parse_listener(bad).is_err(), "{bad}");
        }
    }
}
