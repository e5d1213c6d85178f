//! The broker's shared state: identity, the topic catalogue, and the
//! coordinators. One `Arc<Broker>` is shared by every connection.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_log::{LogConfig, PartitionLog};
use parking_lot::{Mutex, RwLock};
use uuid::Uuid;

use crate::config::topic::{self, TopicConfig};
use crate::config::{BrokerConfig, ConfigError};
use crate::mirror::MirrorOf;
use crate::partition::Partition;
use crate::topic::{Topic, TopicMeta, meta_path, partition_dir, validate_name, write_atomic};

/// Why a catalogue operation failed; each maps to a Kafka error code.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// TOPIC_ALREADY_EXISTS.
    #[error("topic '{0}' already exists")]
    TopicExists(String),
    /// UNKNOWN_TOPIC_OR_PARTITION.
    #[error("topic '{0}' does not exist")]
    UnknownTopic(String),
    /// INVALID_TOPIC_EXCEPTION.
    #[error("{0}")]
    InvalidName(String),
    /// INVALID_PARTITIONS.
    #[error("{0}")]
    InvalidPartitions(String),
    /// INVALID_REPLICATION_FACTOR.
    #[error("replication factor {0} is not possible: ferry is a single broker (use 1 or -1)")]
    InvalidReplicationFactor(i16),
    /// INVALID_CONFIG.
    #[error("{0}")]
    InvalidConfig(#[from] ConfigError),
    /// INVALID_CONFIG: a config the topic's cluster link owns.
    #[error("{0}")]
    MirrorConfig(String),
    /// KAFKA_STORAGE_ERROR.
    #[error("storage error: {0}")]
    Storage(String),
}

impl CatalogError {
    /// The Kafka error code for this failure.
    pub fn code(&self) -> i16 {
        use kafka_protocol::ResponseError as E;
        match self {
            Self::TopicExists(_) => E::TopicAlreadyExists.code(),
            Self::UnknownTopic(_) => E::UnknownTopicOrPartition.code(),
            Self::InvalidName(_) => E::InvalidTopicException.code(),
            Self::InvalidPartitions(_) => E::InvalidPartitions.code(),
            Self::InvalidReplicationFactor(_) => E::InvalidReplicationFactor.code(),
            Self::InvalidConfig(_) | Self::MirrorConfig(_) => E::InvalidConfig.code(),
            Self::Storage(_) => E::KafkaStorageError.code(),
        }
    }
}

/// The most partitions one topic may have. Each partition is a directory
/// with open files; a single request asking for tens of thousands would stall
/// the catalogue for seconds, so ferry refuses it up front.
pub const MAX_PARTITIONS_PER_TOPIC: i32 = 10_000;

/// One listener's bound and advertised endpoint, known once it is bound.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Listener name.
    pub name: String,
    /// Security protocol name.
    pub protocol: &'static str,
    /// Host clients are told to connect to.
    pub host: String,
    /// Port clients are told to connect to.
    pub port: u16,
}

/// The broker's shared state.
#[derive(Debug)]
pub struct Broker {
    config: BrokerConfig,
    cluster_id: String,
    topics: RwLock<BTreeMap<String, Arc<Topic>>>,
    /// Serialises catalogue changes (create/delete/grow) so they persist in order.
    catalog_lock: Mutex<()>,
    endpoints: RwLock<Vec<Endpoint>>,
    /// Woken on every append to any partition; long-poll fetches wait on it.
    pub(crate) appended: Arc<tokio::sync::Notify>,
    /// Producer ids and the transaction coordinator.
    pub(crate) txn: crate::txn::TransactionCoordinator,
    /// The consumer-group coordinator (classic protocol) and committed offsets.
    pub(crate) groups: crate::group::GroupCoordinator,
}

fn to_log_config(c: &TopicConfig) -> LogConfig {
    LogConfig {
        segment_bytes: c.segment_bytes.max(1) as u64,
        segment_ms: c.segment_ms,
        retention_ms: c.retention_ms,
        retention_bytes: c.retention_bytes,
        index_interval_bytes: c.index_interval_bytes.max(0) as u64,
        segment_index_bytes: c.segment_index_bytes.max(8) as u64,
    }
}

fn storage(e: impl std::fmt::Display) -> CatalogError {
    CatalogError::Storage(e.to_string())
}

impl Broker {
    /// Opens the data directory: reads or mints the cluster id, loads every
    /// topic and recovers its partition logs.
    pub fn open(config: BrokerConfig) -> Result<Self, CatalogError> {
        std::fs::create_dir_all(&config.data_dir).map_err(storage)?;
        std::fs::create_dir_all(&config.log_dir).map_err(storage)?;
        let cluster_id = load_or_create_cluster_id(&config.data_dir, config.node_id)?;
        let txn_config = crate::txn::TxnConfig::from_lookup(|k| config.props.get(k).cloned())
            .map_err(storage)?;
        let txn =
            crate::txn::TransactionCoordinator::open(&config.data_dir.join("txn"), txn_config)
                .map_err(storage)?;
        let group_config = crate::group::GroupConfig::from_lookup(|k| config.props.get(k).cloned())
            .map_err(storage)?;
        let groups =
            crate::group::GroupCoordinator::open(&config.data_dir.join("groups"), group_config)
                .map_err(storage)?;
        let broker = Self {
            txn,
            groups,
            cluster_id,
            topics: RwLock::new(BTreeMap::new()),
            catalog_lock: Mutex::new(()),
            endpoints: RwLock::new(Vec::new()),
            appended: Arc::new(tokio::sync::Notify::new()),
            config,
        };
        broker.load_topics()?;
        // Partitions rebuilt their producer state and transaction index when
        // they opened; finish transactions a crash left half-completed.
        broker.txn.recover(&broker);
        Ok(broker)
    }

    fn load_topics(&self) -> Result<(), CatalogError> {
        let dir = self.config.data_dir.join("topics");
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(storage(e)),
        };
        for entry in entries {
            let path = entry.map_err(storage)?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(storage)?;
            let meta: TopicMeta = serde_json::from_slice(&bytes)
                .map_err(|e| storage(format!("{}: {e}", path.display())))?;
            let resolved = TopicConfig::resolve(&self.config.props, &meta.configs)?;
            let partitions = (0..meta.partitions)
                .map(|p| self.open_partition(&meta.name, p, &resolved))
                .collect::<Result<Vec<_>, _>>()?;
            let topic = Topic::new(&meta, partitions, resolved);
            self.topics
                .write()
                .insert(meta.name.clone(), Arc::new(topic));
        }
        Ok(())
    }

    fn open_partition(
        &self,
        topic: &str,
        index: i32,
        config: &TopicConfig,
    ) -> Result<Arc<Partition>, CatalogError> {
        let dir = partition_dir(&self.config.log_dir, topic, index);
        let log = PartitionLog::open(&dir, to_log_config(config))
            .map_err(|e| storage(format!("{}: {e}", dir.display())))?;
        let report = log.recovery_report();
        if report.truncated_bytes > 0 || report.rebuilt_indexes > 0 {
            tracing::warn!(
                topic,
                partition = index,
                truncated_bytes = report.truncated_bytes,
                rebuilt_indexes = report.rebuilt_indexes,
                "recovered partition log after an unclean shutdown"
            );
        }
        Ok(Arc::new(Partition::new(
            topic,
            index,
            log,
            Arc::clone(&self.appended),
        )))
    }

    /// The consumer-group coordinator (cluster links sync offsets into it).
    pub fn groups(&self) -> &crate::group::GroupCoordinator {
        &self.groups
    }

    /// The configuration the broker was started with.
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// The cluster id (Kafka's 22-character base64 form of a UUID).
    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// This broker's node id.
    pub fn node_id(&self) -> i32 {
        self.config.node_id
    }

    /// Records the listeners' endpoints once bound (port 0 resolved).
    pub(crate) fn set_endpoints(&self, endpoints: Vec<Endpoint>) {
        *self.endpoints.write() = endpoints;
    }

    /// Every listener's advertised endpoint.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        self.endpoints.read().clone()
    }

    /// The advertised endpoint of the named listener, falling back to the first.
    pub fn advertised_host_port(&self, listener: &str) -> (String, i32) {
        let eps = self.endpoints.read();
        eps.iter()
            .find(|e| e.name == listener)
            .or_else(|| eps.first())
            .map(|e| (e.host.clone(), i32::from(e.port)))
            .unwrap_or_else(|| ("localhost".into(), 9092))
    }

    /// A topic by name.
    pub fn topic(&self, name: &str) -> Option<Arc<Topic>> {
        self.topics.read().get(name).cloned()
    }

    /// A topic by id.
    pub fn topic_by_id(&self, id: Uuid) -> Option<Arc<Topic>> {
        self.topics.read().values().find(|t| t.id == id).cloned()
    }

    /// All topics, by name.
    pub fn topics(&self) -> Vec<Arc<Topic>> {
        self.topics.read().values().cloned().collect()
    }

    /// Validates a create request without creating anything (CreateTopics'
    /// `validate_only`, and the first half of [`Broker::create_topic`]).
    pub fn check_new_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        configs: &BTreeMap<String, String>,
    ) -> Result<(i32, TopicConfig), CatalogError> {
        validate_name(name).map_err(CatalogError::InvalidName)?;
        if self.topic(name).is_some() {
            return Err(CatalogError::TopicExists(name.to_string()));
        }
        let partitions = if partitions == -1 {
            self.config.num_partitions
        } else {
            partitions
        };
        if partitions < 1 {
            return Err(CatalogError::InvalidPartitions(format!(
                "number of partitions must be at least 1 (got {partitions})"
            )));
        }
        if partitions > MAX_PARTITIONS_PER_TOPIC {
            return Err(CatalogError::InvalidPartitions(format!(
                "{partitions} partitions is more than ferry allows in one topic ({MAX_PARTITIONS_PER_TOPIC})"
            )));
        }
        if !(replication_factor == -1 || replication_factor == 1) {
            return Err(CatalogError::InvalidReplicationFactor(replication_factor));
        }
        let mut checked = BTreeMap::new();
        for (k, v) in configs {
            checked.insert(k.clone(), topic::validate(k, v)?);
        }
        let resolved = TopicConfig::resolve(&self.config.props, &checked)?;
        Ok((partitions, resolved))
    }

    /// Creates a topic: persists its metadata, then opens its partition logs.
    pub fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        configs: BTreeMap<String, String>,
    ) -> Result<Arc<Topic>, CatalogError> {
        self.create_topic_with(name, partitions, replication_factor, configs, None)
    }

    /// Creates a mirror topic for a cluster link: like [`Self::create_topic`],
    /// with the link's mark, which makes it read-only for clients.
    pub fn create_mirror_topic(
        &self,
        name: &str,
        partitions: i32,
        configs: BTreeMap<String, String>,
        mirror: MirrorOf,
    ) -> Result<Arc<Topic>, CatalogError> {
        self.create_topic_with(name, partitions, -1, configs, Some(mirror))
    }

    fn create_topic_with(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        configs: BTreeMap<String, String>,
        mirror: Option<MirrorOf>,
    ) -> Result<Arc<Topic>, CatalogError> {
        let _guard = self.catalog_lock.lock();
        let (partitions, resolved) =
            self.check_new_topic(name, partitions, replication_factor, &configs)?;
        let meta = TopicMeta {
            name: name.to_string(),
            id: Uuid::new_v4(),
            partitions,
            configs,
            mirror,
        };
        let parts = (0..partitions)
            .map(|p| self.open_partition(name, p, &resolved))
            .collect::<Result<Vec<_>, _>>()?;
        self.persist(&meta)?;
        let topic = Arc::new(Topic::new(&meta, parts, resolved));
        self.topics
            .write()
            .insert(name.to_string(), Arc::clone(&topic));
        tracing::info!(topic = name, partitions, id = %meta.id, mirror = meta.mirror.is_some(), "created topic");
        Ok(topic)
    }

    /// Ends mirroring into a topic (promote, failover, link deletion): the
    /// mark goes, and the topic becomes writable. Persisted before it takes
    /// effect.
    pub fn stop_mirror(&self, name: &str) -> Result<(), CatalogError> {
        let _guard = self.catalog_lock.lock();
        let topic = self
            .topic(name)
            .ok_or_else(|| CatalogError::UnknownTopic(name.to_string()))?;
        let mut meta = topic.meta();
        meta.mirror = None;
        self.persist(&meta)?;
        topic.set_mirror(None);
        tracing::info!(topic = name, "mirroring stopped; topic is writable");
        Ok(())
    }

    /// Creates a topic with the broker's defaults if `auto.create.topics.enable`
    /// allows it (Metadata and Produce to an unknown topic).
    pub fn auto_create(&self, name: &str) -> Option<Arc<Topic>> {
        if let Some(t) = self.topic(name) {
            return Some(t);
        }
        if !self.config.auto_create_topics || name.starts_with("__") {
            return None;
        }
        match self.create_topic(name, -1, -1, BTreeMap::new()) {
            Ok(t) => Some(t),
            Err(CatalogError::TopicExists(_)) => self.topic(name),
            Err(e) => {
                tracing::warn!(topic = name, "auto-create failed: {e}");
                None
            }
        }
    }

    /// Deletes a topic: its metadata first (so a crash never resurrects it
    /// half-deleted), then its partition logs.
    pub fn delete_topic(&self, name: &str) -> Result<(), CatalogError> {
        let _guard = self.catalog_lock.lock();
        let topic = self
            .topics
            .write()
            .remove(name)
            .ok_or_else(|| CatalogError::UnknownTopic(name.to_string()))?;
        std::fs::remove_file(meta_path(&self.config.data_dir, name)).map_err(storage)?;
        for p in topic.partitions() {
            let dir = p.log.read().dir().to_path_buf();
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(dir = %dir.display(), "could not remove partition log: {e}");
            }
        }
        tracing::info!(topic = name, "deleted topic");
        Ok(())
    }

    /// Grows a topic to `total` partitions (CreatePartitions). Mirror topics
    /// refuse: their link adds partitions when the source gets them.
    pub fn create_partitions(
        &self,
        name: &str,
        total: i32,
        validate_only: bool,
    ) -> Result<(), CatalogError> {
        if let Some(m) = self.topic(name).and_then(|t| t.mirror()) {
            return Err(CatalogError::InvalidPartitions(format!(
                "topic '{name}' is a mirror of '{}' on cluster link '{}'; its partitions follow the source topic",
                m.source_topic, m.link_name
            )));
        }
        self.grow_partitions(name, total, validate_only)
    }

    /// Grows a mirror topic to the source's partition count (cluster links).
    pub fn grow_mirror_partitions(&self, name: &str, total: i32) -> Result<(), CatalogError> {
        self.grow_partitions(name, total, false)
    }

    fn grow_partitions(
        &self,
        name: &str,
        total: i32,
        validate_only: bool,
    ) -> Result<(), CatalogError> {
        let _guard = self.catalog_lock.lock();
        let topic = self
            .topic(name)
            .ok_or_else(|| CatalogError::UnknownTopic(name.to_string()))?;
        let current = topic.partition_count();
        if total <= current {
            return Err(CatalogError::InvalidPartitions(format!(
                "topic '{name}' has {current} partitions; the new count must be larger (got {total})"
            )));
        }
        if total > MAX_PARTITIONS_PER_TOPIC {
            return Err(CatalogError::InvalidPartitions(format!(
                "{total} partitions is more than ferry allows in one topic ({MAX_PARTITIONS_PER_TOPIC})"
            )));
        }
        if validate_only {
            return Ok(());
        }
        let config = topic.config();
        let more = (current..total)
            .map(|p| self.open_partition(name, p, &config))
            .collect::<Result<Vec<_>, _>>()?;
        topic.push_partitions(more);
        self.persist(&topic.meta())
    }

    /// Replaces a topic's config overrides (AlterConfigs semantics: the given
    /// set becomes the whole set). Validates everything before changing anything.
    /// On a mirror topic, the configs its link keeps in sync with the source
    /// (reference §1.8, "Always") cannot be changed.
    pub fn set_topic_configs(
        &self,
        name: &str,
        overrides: BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<(), CatalogError> {
        if let Some(topic) = self.topic(name)
            && topic.is_mirror()
        {
            let current = topic.overrides();
            let keys = current.keys().chain(overrides.keys());
            for key in keys {
                if crate::mirror::sync_category(key) == crate::mirror::SyncCategory::Always
                    && current.get(key) != overrides.get(key)
                {
                    return Err(CatalogError::MirrorConfig(format!(
                        "Cannot set configuration '{key}' for mirror topic '{name}'"
                    )));
                }
            }
        }
        self.replace_topic_configs(name, overrides, validate_only)
    }

    /// Sets a mirror topic's configs from its source (cluster links); no
    /// mirror restrictions apply.
    pub fn sync_mirror_topic_configs(
        &self,
        name: &str,
        overrides: BTreeMap<String, String>,
    ) -> Result<(), CatalogError> {
        self.replace_topic_configs(name, overrides, false)
    }

    fn replace_topic_configs(
        &self,
        name: &str,
        overrides: BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<(), CatalogError> {
        let _guard = self.catalog_lock.lock();
        let topic = self
            .topic(name)
            .ok_or_else(|| CatalogError::UnknownTopic(name.to_string()))?;
        let mut checked = BTreeMap::new();
        for (k, v) in &overrides {
            checked.insert(k.clone(), topic::validate(k, v)?);
        }
        let resolved = TopicConfig::resolve(&self.config.props, &checked)?;
        if validate_only {
            return Ok(());
        }
        for p in topic.partitions() {
            p.log.write().set_config(to_log_config(&resolved));
        }
        topic.set_config(checked, resolved);
        self.persist(&topic.meta())
    }

    fn persist(&self, meta: &TopicMeta) -> Result<(), CatalogError> {
        let json = serde_json::to_vec_pretty(meta).map_err(storage)?;
        write_atomic(&meta_path(&self.config.data_dir, &meta.name), &json).map_err(storage)
    }

    /// Runs retention on every partition (called periodically).
    pub fn enforce_retention(&self, now_ms: i64) {
        for t in self.topics() {
            for p in t.partitions() {
                if let Err(e) = p.log.write().enforce_retention(now_ms) {
                    tracing::warn!(topic = %t.name, partition = p.index, "retention failed: {e}");
                }
            }
        }
    }

    /// Flushes every partition log (periodically and at shutdown).
    pub fn flush_all(&self) {
        for t in self.topics() {
            for p in t.partitions() {
                if let Err(e) = p.log.write().flush() {
                    tracing::warn!(topic = %t.name, partition = p.index, "flush failed: {e}");
                }
            }
        }
    }
}

/// Reads `meta.properties` (Kafka's file) or creates it with a fresh cluster id.
fn load_or_create_cluster_id(data_dir: &Path, node_id: i32) -> Result<String, CatalogError> {
    let path: PathBuf = data_dir.join("meta.properties");
    if let Ok(f) = std::fs::File::open(&path) {
        let props = java_properties::read(std::io::BufReader::new(f))
            .map_err(|e| storage(format!("{}: {e}", path.display())))?;
        if let Some(id) = props.get("cluster.id") {
            return Ok(id.clone());
        }
    }
    let id = new_cluster_id();
    let text = format!("#ferry broker metadata\nversion=1\ncluster.id={id}\nnode.id={node_id}\n");
    write_atomic(&path, text.as_bytes()).map_err(storage)?;
    Ok(id)
}

/// A random UUID in Kafka's cluster-id form: URL-safe base64, no padding, 22 chars.
pub fn new_cluster_id() -> String {
    use base64::Engine;
    // As Kafka's `Uuid.randomUuid()`: never start with '-', which command
    // lines would read as a flag (`--source-cluster -Ee9…`).
    loop {
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Uuid::new_v4().as_bytes());
        if !id.starts_with('-') {
            return id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broker(dir: &Path) -> Broker {
        let config = BrokerConfig::load(None, &[], Some(dir.to_path_buf())).unwrap();
        Broker::open(config).unwrap()
    }

    #[test]
    fn cluster_id_is_stable_and_kafka_shaped() {
        let dir = tempfile::tempdir().unwrap();
        let a = broker(dir.path()).cluster_id().to_string();
        assert_eq!(a.len(), 22);
        let b = broker(dir.path()).cluster_id().to_string();
        assert_eq!(a, b);
    }

    #[test]
    fn topics_persist_with_ids_configs_and_growth() {
        let dir = tempfile::tempdir().unwrap();
        let id = {
            let b = broker(dir.path());
            let mut cfg = BTreeMap::new();
            cfg.insert("retention.ms".to_string(), "1000".to_string());
            let t = b.create_topic("orders", 3, 1, cfg).unwrap();
            assert!(matches!(
                b.create_topic("orders", 1, 1, BTreeMap::new()),
                Err(CatalogError::TopicExists(_))
            ));
            b.create_partitions("orders", 5, false).unwrap();
            assert!(b.create_partitions("orders", 2, false).is_err());
            t.id
        };
        let b = broker(dir.path());
        let t = b.topic("orders").unwrap();
        assert_eq!(t.id, id);
        assert_eq!(t.partition_count(), 5);
        assert_eq!(t.config().retention_ms, 1000);
        assert!(b.topic_by_id(id).is_some());
        b.delete_topic("orders").unwrap();
        assert!(broker(dir.path()).topic("orders").is_none());
    }

    #[test]
    fn bad_requests_are_refused_with_the_right_error() {
        let dir = tempfile::tempdir().unwrap();
        let b = broker(dir.path());
        let e = |r: Result<Arc<Topic>, CatalogError>| r.unwrap_err().code();
        use kafka_protocol::ResponseError as E;
        assert_eq!(
            e(b.create_topic("a/b", 1, 1, BTreeMap::new())),
            E::InvalidTopicException.code()
        );
        assert_eq!(
            e(b.create_topic("t", 0, 1, BTreeMap::new())),
            E::InvalidPartitions.code()
        );
        assert_eq!(
            e(b.create_topic("t", 1, 3, BTreeMap::new())),
            E::InvalidReplicationFactor.code()
        );
        let bad: BTreeMap<_, _> = [("cleanup.policy".to_string(), "x".to_string())].into();
        assert_eq!(e(b.create_topic("t", 1, 1, bad)), E::InvalidConfig.code());
        assert!(b.topic("t").is_none());
    }
}
