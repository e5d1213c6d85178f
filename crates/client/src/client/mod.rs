//! The cluster client: bootstrap, metadata cache, one connection per broker,
//! leader routing and retries.
//!
//! A [`Client`] is cheap to clone (it is an `Arc`) and safe to share between
//! tasks. Partition requests go to the partition's leader as the cached
//! metadata names it; when a broker answers NOT_LEADER_OR_FOLLOWER or
//! UNKNOWN_TOPIC_OR_PARTITION, or a connection breaks, [`Client::retry`]
//! refreshes the metadata, backs off, and tries again.

pub mod metadata;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    FindCoordinatorRequest, MetadataRequest, MetadataResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::config::ClientConfig;
use crate::connection::{BrokerConnection, ConnectOptions};
use crate::error::{Error, Result};
pub use metadata::{BrokerInfo, ClusterMetadata, PartitionMetadata, TopicMetadata};

/// A connection slot: one per broker address, filled lazily.
type Slot = Arc<tokio::sync::Mutex<Option<Arc<BrokerConnection>>>>;

/// A client for one Kafka cluster.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The configuration the client was built from.
    config: ClientConfig,
    /// Connection settings shared by all brokers (TLS config built once).
    options: ConnectOptions,
    /// The latest metadata snapshot.
    metadata: RwLock<Arc<ClusterMetadata>>,
    /// Connections by broker address.
    connections: Mutex<HashMap<String, Slot>>,
}

/// Turns a topic name into the protocol's type.
pub(crate) fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

impl Client {
    /// Connects to the cluster: reaches a bootstrap server and loads the
    /// broker list.
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid configuration; otherwise the error of
    /// the last bootstrap server tried (e.g. "cannot reach …: connection refused").
    pub async fn connect(config: ClientConfig) -> Result<Self> {
        config.validate()?;
        let options = ConnectOptions::from_config(&config)?;
        let client = Self {
            inner: Arc::new(Inner {
                config,
                options,
                metadata: RwLock::new(Arc::new(ClusterMetadata::default())),
                connections: Mutex::new(HashMap::new()),
            }),
        };
        match client.refresh_metadata(Some(&[])).await {
            Ok(_) => Ok(client),
            // A broker that hangs up on the first request is most often a
            // listener expecting SASL or TLS from a client that sent neither.
            Err(Error::ConnectionClosed { addr, reason })
                if !client.inner.config.security_protocol.uses_sasl() =>
            {
                Err(Error::ConnectionClosed {
                    addr,
                    reason: format!(
                        "{reason} (security.protocol is {}; does this listener require SASL or TLS?)",
                        client.inner.config.security_protocol
                    ),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The configuration this client was built from.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The cached metadata, without asking the cluster.
    pub fn cached_metadata(&self) -> Arc<ClusterMetadata> {
        Arc::clone(
            &self
                .inner
                .metadata
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// A connection to `addr`, opened on first use and reopened after it broke.
    ///
    /// # Errors
    /// Connection, TLS and authentication errors.
    pub async fn connection_to(&self, addr: &str) -> Result<Arc<BrokerConnection>> {
        let slot: Slot = {
            let mut map = self
                .inner
                .connections
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            Arc::clone(map.entry(addr.to_owned()).or_default())
        };
        let mut guard = slot.lock().await;
        if let Some(conn) = guard.as_ref()
            && !conn.is_closed()
        {
            return Ok(Arc::clone(conn));
        }
        let conn = Arc::new(BrokerConnection::connect(addr, &self.inner.options).await?);
        *guard = Some(Arc::clone(&conn));
        Ok(conn)
    }

    /// A connection to broker `node_id`.
    ///
    /// # Errors
    /// [`Error::Protocol`] when the node is not in the metadata; connection errors.
    pub async fn broker(&self, node_id: i32) -> Result<Arc<BrokerConnection>> {
        let addr = match self.cached_metadata().brokers.get(&node_id) {
            Some(b) => b.addr(),
            None => {
                let md = self.refresh_metadata(Some(&[])).await?;
                md.brokers
                    .get(&node_id)
                    .map(BrokerInfo::addr)
                    .ok_or_else(|| {
                        Error::Protocol(format!("broker {node_id} is not in the cluster metadata"))
                    })?
            }
        };
        self.connection_to(&addr).await
    }

    /// A connection to any live broker: known brokers first, then the
    /// bootstrap servers.
    ///
    /// # Errors
    /// The last connection error when none can be reached.
    pub async fn any_broker(&self) -> Result<Arc<BrokerConnection>> {
        let mut candidates: Vec<String> = self
            .cached_metadata()
            .brokers
            .values()
            .map(BrokerInfo::addr)
            .collect();
        for b in &self.inner.config.bootstrap {
            if !candidates.contains(b) {
                candidates.push(b.clone());
            }
        }
        let mut last = Error::Config("no bootstrap servers".into());
        for addr in candidates {
            match self.connection_to(&addr).await {
                Ok(c) => return Ok(c),
                // Authentication and TLS failures will not differ between brokers.
                Err(e @ (Error::Authentication(_) | Error::Tls { .. })) => return Err(e),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// A connection to the controller (where admin requests go), or to any
    /// broker when the controller is unknown.
    ///
    /// # Errors
    /// Connection errors.
    pub async fn controller(&self) -> Result<Arc<BrokerConnection>> {
        let id = self.cached_metadata().controller_id;
        if id >= 0
            && let Ok(c) = self.broker(id).await
        {
            return Ok(c);
        }
        self.any_broker().await
    }

    /// Fetches metadata for `topics` (`None`: every topic; `Some(&[])`: brokers
    /// only) and merges it into the cache.
    ///
    /// # Errors
    /// Connection errors, or a protocol error.
    pub async fn refresh_metadata(
        &self,
        topics: Option<&[String]>,
    ) -> Result<Arc<ClusterMetadata>> {
        let request = MetadataRequest::default().with_topics(topics.map(|ts| {
            ts.iter()
                .map(|t| MetadataRequestTopic::default().with_name(Some(topic_name(t))))
                .collect()
        }));
        let send = |conn: Arc<BrokerConnection>| {
            let request = request.clone();
            async move {
                let version = conn.version_for::<MetadataRequest>()?;
                // The flag exists from v4; before it, brokers never auto-create
                // for a client that did not ask (and the field must stay unset).
                let request = if version >= 4 {
                    request.with_allow_auto_topic_creation(false)
                } else {
                    request
                };
                conn.call_at(&request, version).await
            }
        };
        let response: MetadataResponse = match send(self.any_broker().await?).await {
            Ok(r) => r,
            Err(e) if e.is_retriable() => send(self.any_broker().await?).await?,
            Err(e) => return Err(e),
        };
        let mut next = (*self.cached_metadata()).clone();
        next.merge(&response, topics.is_none());
        let next = Arc::new(next);
        *self
            .inner
            .metadata
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::clone(&next);
        Ok(next)
    }

    /// Metadata of one topic, from the cache or else from the cluster.
    ///
    /// # Errors
    /// [`Error::UnknownTopic`] when the cluster does not have it.
    pub async fn topic_metadata(&self, topic: &str) -> Result<TopicMetadata> {
        if let Some(t) = self.cached_metadata().topic(topic) {
            return Ok(t.clone());
        }
        self.refresh_topic(topic).await
    }

    /// Metadata of one topic, always asked of the cluster.
    ///
    /// # Errors
    /// [`Error::UnknownTopic`] when the cluster does not have it.
    pub async fn refresh_topic(&self, topic: &str) -> Result<TopicMetadata> {
        let md = self.refresh_metadata(Some(&[topic.to_owned()])).await?;
        let t = md
            .topic(topic)
            .cloned()
            .ok_or_else(|| Error::UnknownTopic(topic.to_owned()))?;
        if t.error_code != 0 {
            return Err(Error::kafka(t.error_code, None, format!("topic '{topic}'")));
        }
        Ok(t)
    }

    /// The leader of `topic`-`partition`, from cached metadata.
    ///
    /// # Errors
    /// [`Error::UnknownTopic`], [`Error::UnknownPartition`], or a retriable
    /// LEADER_NOT_AVAILABLE error when the partition has no leader.
    pub async fn leader_id(&self, topic: &str, partition: i32) -> Result<i32> {
        let t = self.topic_metadata(topic).await?;
        let p = t
            .partition(partition)
            .ok_or_else(|| Error::UnknownPartition {
                topic: topic.to_owned(),
                partition,
            })?;
        if p.leader < 0 {
            return Err(Error::kafka(
                5,
                None,
                format!("partition {topic}-{partition}"),
            ));
        }
        Ok(p.leader)
    }

    /// A connection to the leader of `topic`-`partition`.
    ///
    /// # Errors
    /// As for [`leader_id`](Self::leader_id), plus connection errors.
    pub async fn leader(&self, topic: &str, partition: i32) -> Result<Arc<BrokerConnection>> {
        let id = self.leader_id(topic, partition).await?;
        self.broker(id).await
    }

    /// The coordinator of consumer group `group` (FindCoordinator).
    ///
    /// # Errors
    /// Kafka errors from FindCoordinator, connection errors.
    pub async fn coordinator(&self, group: &str) -> Result<Arc<BrokerConnection>> {
        self.retry(&format!("find coordinator for group '{group}'"), || async {
            let conn = self.any_broker().await?;
            let version = conn.version_for::<FindCoordinatorRequest>()?;
            let key = StrBytes::from_string(group.to_owned());
            let request = if version >= 4 {
                FindCoordinatorRequest::default().with_coordinator_keys(vec![key])
            } else {
                FindCoordinatorRequest::default().with_key(key)
            };
            let response = conn.call_at(&request, version).await?;
            let (code, message, host, port) = if version >= 4 {
                let c = response.coordinators.first().ok_or_else(|| {
                    Error::Protocol("FindCoordinator response without coordinators".into())
                })?;
                (
                    c.error_code,
                    c.error_message.clone(),
                    c.host.clone(),
                    c.port,
                )
            } else {
                (
                    response.error_code,
                    response.error_message.clone(),
                    response.host.clone(),
                    response.port,
                )
            };
            if code != 0 {
                return Err(Error::kafka(
                    code,
                    message.as_ref().map(|m| m.as_str()),
                    format!("find coordinator for group '{group}'"),
                ));
            }
            let info = BrokerInfo {
                node_id: -1,
                host: host.as_str().to_owned(),
                port,
                rack: None,
            };
            self.connection_to(&info.addr()).await
        })
        .await
    }

    /// Runs `attempt` until it succeeds, fails with a non-retriable error, or
    /// the configured retries are used up. Before each retry it refreshes the
    /// metadata when the error says it is stale, and sleeps an exponentially
    /// growing backoff (capped at one second).
    ///
    /// # Errors
    /// The first non-retriable error, or [`Error::RetriesExhausted`].
    pub async fn retry<T, F, Fut>(&self, context: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let attempts = self.inner.config.retries.max(1);
        let mut backoff = self.inner.config.retry_backoff;
        let mut n = 0;
        loop {
            n += 1;
            let err = match attempt().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if !err.is_retriable() && !err.is_stale_metadata() {
                return Err(err);
            }
            if n >= attempts {
                return Err(Error::RetriesExhausted {
                    context: context.to_owned(),
                    attempts: n,
                    last: Box::new(err),
                });
            }
            tracing::debug!(%err, attempt = n, "{context}: retrying");
            if err.is_stale_metadata() || matches!(err, Error::ConnectionClosed { .. }) {
                // A failed refresh is retried by the next attempt anyway.
                let _ = self.refresh_metadata(Some(&[])).await;
                self.forget_topics();
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    }

    /// Drops cached topic metadata so that the next lookup asks the cluster.
    pub fn forget_topics(&self) {
        let mut md = (*self.cached_metadata()).clone();
        md.topics.clear();
        *self
            .inner
            .metadata
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(md);
    }
}
