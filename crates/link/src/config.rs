//! Link configs: Confluent's keys and defaults (reference §2.1), validation,
//! sensitive values, and the typed [`LinkSettings`] the runtime reads.
//!
//! PLACEHOLDER shape: the link-model engineer owns and completes this file.

use std::collections::BTreeMap;

use crate::filter::{Filters, parse_group_filters, parse_topic_filters};
use crate::view::{LinkConfigChange, LinkConfigEntry};

/// A config the link cannot accept.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// `link.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMode {
    /// The link lives on the destination and pulls (default).
    Destination,
    /// Source half of a source-initiated link.
    Source,
    /// Both ways.
    Bidirectional,
}

/// `mirror.start.offset.spec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOffsetSpec {
    /// The source's log start offset.
    Earliest,
    /// The source's log end offset.
    Latest,
    /// The first offset with a timestamp at or after this (ms since epoch).
    Timestamp(i64),
}

/// Typed values the runtime uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSettings {
    /// `link.mode`.
    pub link_mode: LinkMode,
    /// `bootstrap.servers`.
    pub bootstrap_servers: String,
    /// `cluster.link.prefix`.
    pub cluster_link_prefix: Option<String>,
    /// `cluster.link.paused`.
    pub cluster_link_paused: bool,
    /// `consumer.offset.sync.enable`.
    pub consumer_offset_sync_enable: bool,
    /// `consumer.offset.sync.ms`.
    pub consumer_offset_sync_ms: u64,
    /// `consumer.offset.group.filters`; all groups when sync is enabled
    /// and no filter was given.
    pub consumer_offset_group_filters: Filters,
    /// `consumer.group.prefix.enable`.
    pub consumer_group_prefix_enable: bool,
    /// `auto.create.mirror.topics.enable`.
    pub auto_create_mirror_topics_enable: bool,
    /// `auto.create.mirror.topics.filters`.
    pub auto_create_mirror_topics_filters: Filters,
    /// `topic.config.sync.ms`.
    pub topic_config_sync_ms: u64,
    /// `topic.config.sync.include` (None: the defaults).
    pub topic_config_sync_include: Option<Vec<String>>,
    /// `mirror.start.offset.spec`.
    pub mirror_start_offset_spec: StartOffsetSpec,
    /// `replica.fetch.max.bytes`.
    pub replica_fetch_max_bytes: i32,
    /// `replica.fetch.min.bytes`.
    pub replica_fetch_min_bytes: i32,
    /// `replica.fetch.response.max.bytes`.
    pub replica_fetch_response_max_bytes: i32,
    /// `replica.fetch.wait.max.ms`.
    pub replica_fetch_wait_max_ms: u64,
    /// `replica.fetch.backoff.ms`.
    pub replica_fetch_backoff_ms: u64,
    /// `retry.backoff.ms`.
    pub retry_backoff_ms: u64,
    /// `metadata.max.age.ms`.
    pub metadata_max_age_ms: u64,
    /// `availability.check.ms`.
    pub availability_check_ms: u64,
    /// `availability.check.consecutive.failure.threshold`.
    pub availability_check_consecutive_failure_threshold: u32,
    /// `cluster.link.retry.timeout.ms`.
    pub cluster_link_retry_timeout_ms: u64,
    /// `request.timeout.ms`.
    pub request_timeout_ms: u64,
}

/// (name, default, sensitive, read-only after creation)
const KEYS: &[(&str, &str, bool, bool)] = &[
    ("link.mode", "DESTINATION", false, true),
    ("connection.mode", "OUTBOUND", false, true),
    ("bootstrap.servers", "", false, false),
    ("security.protocol", "PLAINTEXT", false, false),
    ("sasl.mechanism", "GSSAPI", false, false),
    ("sasl.jaas.config", "", true, false),
    ("cluster.link.prefix", "", false, true),
    ("cluster.link.paused", "false", false, false),
    ("consumer.offset.sync.enable", "false", false, false),
    ("consumer.offset.sync.ms", "30000", false, false),
    ("consumer.offset.group.filters", "", false, false),
    ("consumer.group.prefix.enable", "false", false, false),
    ("auto.create.mirror.topics.enable", "false", false, false),
    ("auto.create.mirror.topics.filters", "", false, false),
    ("topic.config.sync.ms", "5000", false, false),
    ("topic.config.sync.include", "", false, false),
    ("mirror.start.offset.spec", "earliest", false, false),
    ("replica.fetch.max.bytes", "5242880", false, false),
    ("replica.fetch.min.bytes", "1", false, false),
    ("replica.fetch.response.max.bytes", "10485760", false, false),
    ("replica.fetch.wait.max.ms", "500", false, false),
    ("replica.fetch.backoff.ms", "1000", false, false),
    ("retry.backoff.ms", "100", false, false),
    ("metadata.max.age.ms", "300000", false, false),
    ("availability.check.ms", "60000", false, false),
    (
        "availability.check.consecutive.failure.threshold",
        "5",
        false,
        false,
    ),
    ("cluster.link.retry.timeout.ms", "300000", false, true),
    ("request.timeout.ms", "30000", false, false),
];

/// A link's configs: the values set explicitly; defaults fill the rest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkConfig {
    set: BTreeMap<String, String>,
}

fn is_sensitive(key: &str) -> bool {
    key.ends_with("jaas.config") || key.contains("password") || key.ends_with("keystore.key")
}

impl LinkConfig {
    /// Validates explicitly set configs.
    pub fn new(set: BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let config = Self { set };
        config.settings()?;
        Ok(config)
    }

    /// The explicitly set values (persisted as is; may hold secrets).
    pub fn explicit(&self) -> &BTreeMap<String, String> {
        &self.set
    }

    /// A value, explicit or default.
    pub fn get(&self, key: &str) -> Option<String> {
        self.set.get(key).cloned().or_else(|| {
            KEYS.iter()
                .find(|(k, ..)| *k == key)
                .map(|(_, d, ..)| (*d).to_string())
        })
    }

    /// The listing of `GET …/configs`: every known key and every set key,
    /// sensitive values as None.
    pub fn describe(&self) -> Vec<LinkConfigEntry> {
        let mut out: BTreeMap<String, LinkConfigEntry> = BTreeMap::new();
        for (k, d, sensitive, ro) in KEYS {
            let set = self.set.get(*k);
            out.insert(
                (*k).to_string(),
                LinkConfigEntry {
                    name: (*k).to_string(),
                    value: if *sensitive {
                        None
                    } else {
                        Some(set.cloned().unwrap_or_else(|| (*d).to_string()))
                    },
                    is_default: set.is_none(),
                    is_read_only: *ro,
                    is_sensitive: *sensitive,
                    source: if set.is_some() {
                        "DYNAMIC_CLUSTER_LINK_CONFIG".into()
                    } else {
                        "DEFAULT_CONFIG".into()
                    },
                    synonyms: Vec::new(),
                },
            );
        }
        for (k, v) in &self.set {
            out.entry(k.clone()).or_insert_with(|| LinkConfigEntry {
                name: k.clone(),
                value: (!is_sensitive(k)).then(|| v.clone()),
                is_default: false,
                is_read_only: false,
                is_sensitive: is_sensitive(k),
                source: "DYNAMIC_CLUSTER_LINK_CONFIG".into(),
                synonyms: Vec::new(),
            });
        }
        out.into_values().collect()
    }

    /// Applies changes, refusing read-only keys.
    pub fn alter(&self, changes: &[LinkConfigChange]) -> Result<Self, ConfigError> {
        let mut set = self.set.clone();
        for change in changes {
            match change {
                LinkConfigChange::Set { name, value } => {
                    set.insert(name.clone(), value.clone());
                }
                LinkConfigChange::Delete { name } => {
                    set.remove(name);
                }
            }
        }
        Self::new(set)
    }

    /// Client properties for reaching the source (`bootstrap.servers`,
    /// `security.protocol`, `sasl.*`, `ssl.*`).
    pub fn client_properties(&self) -> BTreeMap<String, String> {
        self.set
            .iter()
            .filter(|(k, _)| {
                k.as_str() == "bootstrap.servers"
                    || k.as_str() == "security.protocol"
                    || k.starts_with("sasl.")
                    || k.starts_with("ssl.")
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The typed values.
    pub fn settings(&self) -> Result<LinkSettings, ConfigError> {
        let s = |k: &str| self.get(k).unwrap_or_default();
        let b = |k: &str| -> Result<bool, ConfigError> {
            match s(k).to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                v => Err(ConfigError(format!("{k}={v}: expected true or false"))),
            }
        };
        let n = |k: &str| -> Result<u64, ConfigError> {
            s(k).parse()
                .map_err(|_| ConfigError(format!("{k}={}: expected a number", s(k))))
        };
        let offset_sync = b("consumer.offset.sync.enable")?;
        let mut groups = parse_group_filters(&s("consumer.offset.group.filters"))
            .map_err(|e| ConfigError(format!("consumer.offset.group.filters: {e}")))?;
        if offset_sync && groups.is_empty() {
            groups = Filters::all();
        }
        let spec = match s("mirror.start.offset.spec").as_str() {
            "earliest" => StartOffsetSpec::Earliest,
            "latest" => StartOffsetSpec::Latest,
            other => {
                return Err(ConfigError(format!(
                    "mirror.start.offset.spec={other}: expected earliest, latest or an ISO-8601 timestamp"
                )));
            }
        };
        Ok(LinkSettings {
            link_mode: match s("link.mode").as_str() {
                "DESTINATION" => LinkMode::Destination,
                "SOURCE" => LinkMode::Source,
                "BIDIRECTIONAL" => LinkMode::Bidirectional,
                other => return Err(ConfigError(format!("link.mode={other}"))),
            },
            bootstrap_servers: s("bootstrap.servers"),
            cluster_link_prefix: Some(s("cluster.link.prefix")).filter(|p| !p.is_empty()),
            cluster_link_paused: b("cluster.link.paused")?,
            consumer_offset_sync_enable: offset_sync,
            consumer_offset_sync_ms: n("consumer.offset.sync.ms")?,
            consumer_offset_group_filters: groups,
            consumer_group_prefix_enable: b("consumer.group.prefix.enable")?,
            auto_create_mirror_topics_enable: b("auto.create.mirror.topics.enable")?,
            auto_create_mirror_topics_filters: parse_topic_filters(&s(
                "auto.create.mirror.topics.filters",
            ))
            .map_err(|e| ConfigError(format!("auto.create.mirror.topics.filters: {e}")))?,
            topic_config_sync_ms: n("topic.config.sync.ms")?,
            topic_config_sync_include: Some(s("topic.config.sync.include"))
                .filter(|v| !v.is_empty())
                .map(|v| v.split(',').map(|x| x.trim().to_string()).collect()),
            mirror_start_offset_spec: spec,
            replica_fetch_max_bytes: n("replica.fetch.max.bytes")? as i32,
            replica_fetch_min_bytes: n("replica.fetch.min.bytes")? as i32,
            replica_fetch_response_max_bytes: n("replica.fetch.response.max.bytes")? as i32,
            replica_fetch_wait_max_ms: n("replica.fetch.wait.max.ms")?,
            replica_fetch_backoff_ms: n("replica.fetch.backoff.ms")?,
            retry_backoff_ms: n("retry.backoff.ms")?,
            metadata_max_age_ms: n("metadata.max.age.ms")?,
            availability_check_ms: n("availability.check.ms")?,
            availability_check_consecutive_failure_threshold: n(
                "availability.check.consecutive.failure.threshold",
            )? as u32,
            cluster_link_retry_timeout_ms: n("cluster.link.retry.timeout.ms")?,
            request_timeout_ms: n("request.timeout.ms")?,
        })
    }
}
