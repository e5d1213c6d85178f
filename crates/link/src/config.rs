//! Link configs: Confluent's keys and defaults (reference §2.1), validation,
//! sensitive values, and the typed [`LinkSettings`] the runtime reads.
//!
//! A [`LinkConfig`] holds only the values set explicitly (that is what is
//! persisted); the [`CATALOGUE`] supplies defaults, types and flags. Every
//! constructor validates, so a `LinkConfig` in hand is always usable.
//!
//! # Keys
//! - Every key of the catalogue is accepted. Other keys are accepted only
//!   under `sasl.`, `ssl.`, `local.sasl.` and `local.ssl.` (Kafka client
//!   settings: stored and listed, read by ferry's client if it knows them);
//!   anything else is refused as unknown, so a misspelt key fails loudly.
//! - `link.prefix` is a read-only alias of `cluster.link.prefix`: it is
//!   listed, and writes to it (at creation or later) are silently ignored.
//!
//! # Where ferry differs from, or goes beyond, Confluent
//! - `consumer.offset.sync.enable=true` without `consumer.offset.group.filters`
//!   syncs every group (Confluent syncs none and logs a warning).
//! - `acl.sync.enable=true` is refused: ferry does not sync ACLs yet.
//!   `acl.filters` is still parsed and checked.
//! - Towards the remote cluster ferry speaks SASL PLAIN and SCRAM only, and
//!   trusts PEM certificates only (`ssl.ca.location`, `ssl.truststore.location`
//!   with PEM, `ssl.truststore.certificates`); client certificates
//!   (`ssl.keystore.*`) are refused. These checks run at creation, so a link
//!   that cannot connect is not created.

mod catalogue;
mod timestamp;
mod values;

use std::collections::{BTreeMap, BTreeSet};

pub use catalogue::{
    ALWAYS_SYNCED_TOPIC_CONFIGS, CATALOGUE, CONNECTION_MODES, ConfigDef, ConfigType, LINK_MODES,
    LINK_PREFIX_SYNONYM, PRINTABLE, SASL_MECHANISMS, SECURITY_PROTOCOLS, config_def,
    is_accepted_extra_key, is_sensitive_name,
};
pub use timestamp::parse_iso8601_millis;

use crate::filter::{
    AclFilters, Filters, parse_acl_filters, parse_group_filters, parse_topic_filters,
};
use crate::view::{LinkConfigChange, LinkConfigEntry};
use catalogue::FEATURE_FILTERS;
use values::{invalid, is_topic_char, parse_bool};

/// A config the link cannot accept; the message names the key (and the
/// value, unless it is secret).
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

impl LinkMode {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Destination => "DESTINATION",
            Self::Source => "SOURCE",
            Self::Bidirectional => "BIDIRECTIONAL",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Destination, Self::Source, Self::Bidirectional]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// `connection.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionMode {
    /// This side opens the connections (default).
    Outbound,
    /// The remote side connects to this one.
    Inbound,
}

impl ConnectionMode {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Outbound => "OUTBOUND",
            Self::Inbound => "INBOUND",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Outbound, Self::Inbound]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
    }
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

impl StartOffsetSpec {
    /// Parses `earliest`, `latest` (any case) or an ISO-8601 date-time with
    /// a zone (see [`parse_iso8601_millis`]).
    ///
    /// # Errors
    /// What is wrong with the value.
    pub fn parse(value: &str) -> Result<Self, String> {
        let v = value.trim();
        if v.eq_ignore_ascii_case("earliest") {
            Ok(Self::Earliest)
        } else if v.eq_ignore_ascii_case("latest") {
            Ok(Self::Latest)
        } else {
            values::timestamp(v).map(Self::Timestamp).map_err(|e| {
                format!("expected earliest, latest or an ISO-8601 timestamp such as 2024-05-01T12:00:00Z ({e})")
            })
        }
    }
}

/// Typed values the runtime uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSettings {
    /// `link.mode`.
    pub link_mode: LinkMode,
    /// `connection.mode`.
    pub connection_mode: ConnectionMode,
    /// `bootstrap.servers` (empty when unset).
    pub bootstrap_servers: String,
    /// `cluster.link.prefix` (None when unset or empty).
    pub cluster_link_prefix: Option<String>,
    /// `cluster.link.paused`.
    pub cluster_link_paused: bool,
    /// `consumer.offset.sync.enable`.
    pub consumer_offset_sync_enable: bool,
    /// `consumer.offset.sync.ms`.
    pub consumer_offset_sync_ms: u64,
    /// `consumer.offset.group.filters`. When offset sync is enabled and no
    /// filter was given, this is [`Filters::all`]: ferry then syncs every
    /// group (Confluent would sync none).
    pub consumer_offset_group_filters: Filters,
    /// `consumer.group.prefix.enable`.
    pub consumer_group_prefix_enable: bool,
    /// `auto.create.mirror.topics.enable`.
    pub auto_create_mirror_topics_enable: bool,
    /// `auto.create.mirror.topics.filters` (empty: no topic is selected).
    pub auto_create_mirror_topics_filters: Filters,
    /// `acl.sync.enable` (always false in a validated config: not supported).
    pub acl_sync_enable: bool,
    /// `acl.sync.ms`.
    pub acl_sync_ms: u64,
    /// `acl.filters`.
    pub acl_filters: AclFilters,
    /// `topic.config.sync.ms`.
    pub topic_config_sync_ms: u64,
    /// `topic.config.sync.include` (None: the defaults).
    pub topic_config_sync_include: Option<Vec<String>>,
    /// `mirror.start.offset.spec`.
    pub mirror_start_offset_spec: StartOffsetSpec,
    /// `num.cluster.link.fetchers`.
    pub num_cluster_link_fetchers: u32,
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
    /// `replica.socket.timeout.ms`.
    pub replica_socket_timeout_ms: u64,
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
    /// `socket.connection.setup.timeout.ms`.
    pub socket_connection_setup_timeout_ms: u64,
    /// `connections.max.idle.ms` (-1: never close).
    pub connections_max_idle_ms: i64,
}

/// Checks a link name (reference §1.1): not empty, not `.` or `..`, at most
/// 200 characters of `[a-zA-Z0-9._-]`. The name becomes a file name under
/// the data directory, so these rules also keep it a safe one.
///
/// # Errors
/// What is wrong with the name.
pub fn validate_link_name(name: &str) -> Result<(), ConfigError> {
    if name.is_empty() {
        return Err(ConfigError("Cluster link name must not be empty".into()));
    }
    if name == "." || name == ".." {
        return Err(ConfigError(format!("Cluster link name cannot be '{name}'")));
    }
    if name.chars().count() > 200 {
        return Err(ConfigError(
            "Cluster link name is illegal: it cannot be longer than 200 characters".into(),
        ));
    }
    if let Some(c) = name.chars().find(|c| !is_topic_char(*c)) {
        return Err(ConfigError(format!(
            "Cluster link name '{name}' is illegal: '{c}' is not allowed (only ASCII letters, digits, '.', '_' and '-')"
        )));
    }
    Ok(())
}

/// A link's configs: the values set explicitly; the catalogue's defaults
/// fill the rest. `Debug` shows sensitive values as `[hidden]`, so a link
/// logged by accident does not leak its credentials.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct LinkConfig {
    set: BTreeMap<String, String>,
}

impl std::fmt::Debug for LinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: BTreeMap<&str, &str> = self
            .set
            .iter()
            .map(|(k, v)| {
                let v = if is_sensitive_name(k) {
                    "[hidden]"
                } else {
                    v.as_str()
                };
                (k.as_str(), v)
            })
            .collect();
        f.debug_struct("LinkConfig").field("set", &shown).finish()
    }
}

impl LinkConfig {
    /// Validates explicitly set configs: known keys (see the module docs),
    /// each value against its type, and the rules between keys. A
    /// `link.prefix` entry is dropped (it is a read-only alias).
    ///
    /// # Errors
    /// The first problem found, naming the key.
    pub fn new(mut set: BTreeMap<String, String>) -> Result<Self, ConfigError> {
        set.remove(LINK_PREFIX_SYNONYM);
        let config = Self { set };
        config.validate()?;
        Ok(config)
    }

    /// The explicitly set values (persisted as is; may hold secrets).
    pub fn explicit(&self) -> &BTreeMap<String, String> {
        &self.set
    }

    /// A value, explicit or default; None when neither exists (a null
    /// default or an unknown key). `link.prefix` reads `cluster.link.prefix`.
    pub fn get(&self, key: &str) -> Option<String> {
        self.value(key).map(str::to_string)
    }

    fn value(&self, key: &str) -> Option<&str> {
        let key = if key == LINK_PREFIX_SYNONYM {
            "cluster.link.prefix"
        } else {
            key
        };
        self.set
            .get(key)
            .map(String::as_str)
            .or_else(|| config_def(key).and_then(|d| d.default))
    }

    /// The effective value, "" when unset.
    fn text(&self, key: &str) -> &str {
        self.value(key).unwrap_or("")
    }

    /// The listing of `GET …/configs`: every catalogue key, the alias
    /// `link.prefix`, and every other key set explicitly, sorted by name.
    /// Secret values are always None; so are null defaults. `source` is
    /// `DYNAMIC_CLUSTER_LINK_CONFIG` for explicit values, else
    /// `DEFAULT_CONFIG`.
    pub fn describe(&self) -> Vec<LinkConfigEntry> {
        let mut out: BTreeMap<String, LinkConfigEntry> = BTreeMap::new();
        for def in CATALOGUE {
            let set = self.set.get(def.name);
            let synonyms = if def.name == "cluster.link.prefix" {
                vec![LINK_PREFIX_SYNONYM.to_string()]
            } else {
                Vec::new()
            };
            out.insert(
                def.name.to_string(),
                entry(
                    def.name,
                    set.map(String::as_str).or(def.default),
                    set.is_some(),
                    def.read_only,
                    def.sensitive,
                    synonyms,
                ),
            );
        }
        let prefix = self.set.get("cluster.link.prefix");
        out.insert(
            LINK_PREFIX_SYNONYM.to_string(),
            entry(
                LINK_PREFIX_SYNONYM,
                prefix.map(String::as_str),
                prefix.is_some(),
                true,
                false,
                vec!["cluster.link.prefix".to_string()],
            ),
        );
        for (name, value) in &self.set {
            if !out.contains_key(name) {
                out.insert(
                    name.clone(),
                    entry(
                        name,
                        Some(value),
                        true,
                        false,
                        is_sensitive_name(name),
                        Vec::new(),
                    ),
                );
            }
        }
        out.into_values().collect()
    }

    /// Applies `PUT …/configs:alter` (or a single PUT/DELETE) and returns
    /// the validated result; `self` is unchanged.
    ///
    /// - Read-only keys (`link.mode`, `connection.mode`, `cluster.link.prefix`,
    ///   `num.cluster.link.fetchers`, … see [`ConfigDef::read_only`]) are
    ///   refused when the change would alter their value; re-sending the
    ///   current value is accepted (tools that re-apply a whole config).
    /// - Changes to `link.prefix` are silently ignored.
    /// - Turning a feature off that was on clears its filters
    ///   (`auto.create.mirror.topics.enable` → `auto.create.mirror.topics.filters`,
    ///   `consumer.offset.sync.enable` → `consumer.offset.group.filters`,
    ///   `acl.sync.enable` → `acl.filters`), unless the same request sets them.
    ///
    /// # Errors
    /// An unknown key, a read-only key, or an invalid result.
    pub fn alter(&self, changes: &[LinkConfigChange]) -> Result<Self, ConfigError> {
        let mut set = self.set.clone();
        let mut touched = BTreeSet::new();
        for change in changes {
            let (name, new_value) = match change {
                LinkConfigChange::Set { name, value } => (name.as_str(), Some(value.as_str())),
                LinkConfigChange::Delete { name } => (name.as_str(), None),
            };
            if name == LINK_PREFIX_SYNONYM {
                continue;
            }
            let def = config_def(name);
            if def.is_none() && !is_accepted_extra_key(name) {
                return Err(unknown_key(name));
            }
            if let Some(def) = def
                && def.read_only
            {
                let current = self.value(name);
                let next = new_value.or(def.default);
                if !same_value(def, current, next) {
                    return Err(ConfigError(format!(
                        "{name} cannot be changed after the cluster link is created"
                    )));
                }
                continue;
            }
            match new_value {
                Some(v) => set.insert(name.to_string(), v.to_string()),
                None => set.remove(name),
            };
            touched.insert(name);
        }
        let enabled = |set: &BTreeMap<String, String>, key: &str| {
            set.get(key).and_then(|v| parse_bool(v)).unwrap_or(false)
        };
        for (switch, filters) in FEATURE_FILTERS {
            if enabled(&self.set, switch) && !enabled(&set, switch) && !touched.contains(filters) {
                set.remove(*filters);
            }
        }
        Self::new(set)
    }

    /// The properties ferry's Kafka client (`ClientConfig::apply_properties`)
    /// needs to reach the remote cluster: `bootstrap.servers`,
    /// `security.protocol`, `request.timeout.ms`; with SASL `sasl.mechanism`,
    /// `sasl.jaas.config` (or `sasl.username`/`sasl.password`); with TLS
    /// `ssl.endpoint.identification.algorithm` and the trusted CAs, as
    /// `ssl.ca.location` (from itself or a PEM `ssl.truststore.location`) or
    /// `ssl.ca.pem` (from the in-line `ssl.truststore.certificates`).
    pub fn client_properties(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let mut put = |k: &str, v: &str| {
            out.insert(k.to_string(), v.to_string());
        };
        let bootstrap = self.text("bootstrap.servers");
        if !bootstrap.trim().is_empty() {
            put("bootstrap.servers", bootstrap);
        }
        let protocol = self.text("security.protocol").trim().to_ascii_uppercase();
        put("security.protocol", &protocol);
        put("request.timeout.ms", self.text("request.timeout.ms").trim());
        if protocol.starts_with("SASL_") {
            put(
                "sasl.mechanism",
                &self.text("sasl.mechanism").trim().to_ascii_uppercase(),
            );
            for key in ["sasl.jaas.config", "sasl.username", "sasl.password"] {
                if let Some(v) = self.set.get(key).filter(|v| !v.trim().is_empty()) {
                    put(key, v);
                }
            }
        }
        if protocol == "SSL" || protocol == "SASL_SSL" {
            put(
                "ssl.endpoint.identification.algorithm",
                self.text("ssl.endpoint.identification.algorithm").trim(),
            );
            for (from, to) in [
                ("ssl.ca.location", "ssl.ca.location"),
                ("ssl.truststore.location", "ssl.ca.location"),
                ("ssl.truststore.certificates", "ssl.ca.pem"),
            ] {
                if let Some(v) = self.set.get(from).filter(|v| !v.trim().is_empty()) {
                    put(to, v.trim());
                }
            }
        }
        out
    }

    /// The explicitly set keys of the `confluent` CLI's echo allow-list
    /// ([`PRINTABLE`], none secret), sorted by key: what `link create`
    /// prints after "with configs:".
    pub fn printable_configs(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = PRINTABLE
            .iter()
            .filter_map(|k| self.set.get(*k).map(|v| ((*k).to_string(), v.clone())))
            .collect();
        out.sort();
        out
    }

    /// The typed values (every value parsed; rules between keys are checked
    /// by [`LinkConfig::new`]).
    ///
    /// With `consumer.offset.sync.enable=true` and no
    /// `consumer.offset.group.filters`, the group filters are
    /// [`Filters::all`]: ferry syncs every group, where Confluent would sync
    /// none (it only logs a warning), which defeats the point of enabling it.
    ///
    /// # Errors
    /// A value that does not parse (only possible for a config built
    /// without validation, which this type does not allow).
    pub fn settings(&self) -> Result<LinkSettings, ConfigError> {
        let link_mode = LinkMode::parse(self.text("link.mode")).ok_or_else(|| {
            self.bad("link.mode", "expected DESTINATION, SOURCE or BIDIRECTIONAL")
        })?;
        let connection_mode = ConnectionMode::parse(self.text("connection.mode"))
            .ok_or_else(|| self.bad("connection.mode", "expected OUTBOUND or INBOUND"))?;
        let consumer_offset_sync_enable = self.boolean("consumer.offset.sync.enable")?;
        let mut consumer_offset_group_filters =
            parse_group_filters(self.text("consumer.offset.group.filters"))
                .map_err(|e| self.bad("consumer.offset.group.filters", &e.0))?;
        if consumer_offset_sync_enable && consumer_offset_group_filters.is_empty() {
            consumer_offset_group_filters = Filters::all();
        }
        let spec = StartOffsetSpec::parse(self.text("mirror.start.offset.spec"))
            .map_err(|e| self.bad("mirror.start.offset.spec", &e))?;
        let include = self.text("topic.config.sync.include");
        Ok(LinkSettings {
            link_mode,
            connection_mode,
            bootstrap_servers: self.text("bootstrap.servers").trim().to_string(),
            cluster_link_prefix: Some(self.text("cluster.link.prefix"))
                .filter(|p| !p.is_empty())
                .map(str::to_string),
            cluster_link_paused: self.boolean("cluster.link.paused")?,
            consumer_offset_sync_enable,
            consumer_offset_sync_ms: self.non_negative("consumer.offset.sync.ms")?,
            consumer_offset_group_filters,
            consumer_group_prefix_enable: self.boolean("consumer.group.prefix.enable")?,
            auto_create_mirror_topics_enable: self.boolean("auto.create.mirror.topics.enable")?,
            auto_create_mirror_topics_filters: parse_topic_filters(
                self.text("auto.create.mirror.topics.filters"),
            )
            .map_err(|e| self.bad("auto.create.mirror.topics.filters", &e.0))?,
            acl_sync_enable: self.boolean("acl.sync.enable")?,
            acl_sync_ms: self.non_negative("acl.sync.ms")?,
            acl_filters: parse_acl_filters(self.text("acl.filters"))
                .map_err(|e| self.bad("acl.filters", &e.0))?,
            topic_config_sync_ms: self.non_negative("topic.config.sync.ms")?,
            topic_config_sync_include: Some(include).filter(|v| !v.trim().is_empty()).map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            }),
            mirror_start_offset_spec: spec,
            num_cluster_link_fetchers: self.non_negative("num.cluster.link.fetchers")?,
            replica_fetch_max_bytes: self.number("replica.fetch.max.bytes")?,
            replica_fetch_min_bytes: self.number("replica.fetch.min.bytes")?,
            replica_fetch_response_max_bytes: self.number("replica.fetch.response.max.bytes")?,
            replica_fetch_wait_max_ms: self.non_negative("replica.fetch.wait.max.ms")?,
            replica_fetch_backoff_ms: self.non_negative("replica.fetch.backoff.ms")?,
            replica_socket_timeout_ms: self.non_negative("replica.socket.timeout.ms")?,
            retry_backoff_ms: self.non_negative("retry.backoff.ms")?,
            metadata_max_age_ms: self.non_negative("metadata.max.age.ms")?,
            availability_check_ms: self.non_negative("availability.check.ms")?,
            availability_check_consecutive_failure_threshold: self
                .non_negative("availability.check.consecutive.failure.threshold")?,
            cluster_link_retry_timeout_ms: self.non_negative("cluster.link.retry.timeout.ms")?,
            request_timeout_ms: self.non_negative("request.timeout.ms")?,
            socket_connection_setup_timeout_ms: self
                .non_negative("socket.connection.setup.timeout.ms")?,
            connections_max_idle_ms: self.number("connections.max.idle.ms")?,
        })
    }

    fn bad(&self, key: &str, reason: &str) -> ConfigError {
        let sensitive = config_def(key).is_some_and(|d| d.sensitive);
        invalid(key, self.text(key), sensitive, reason)
    }

    fn boolean(&self, key: &str) -> Result<bool, ConfigError> {
        parse_bool(self.text(key)).ok_or_else(|| self.bad(key, "expected true or false"))
    }

    fn number<T: std::str::FromStr>(&self, key: &str) -> Result<T, ConfigError> {
        self.text(key)
            .trim()
            .parse()
            .map_err(|_| self.bad(key, "expected a number in range"))
    }

    fn non_negative<T: TryFrom<i64>>(&self, key: &str) -> Result<T, ConfigError> {
        let n: i64 = self.number(key)?;
        T::try_from(n).map_err(|_| self.bad(key, "must not be negative"))
    }

    /// Every key and value, then the rules between keys.
    fn validate(&self) -> Result<LinkSettings, ConfigError> {
        for (name, value) in &self.set {
            match config_def(name) {
                Some(def) => values::check(def, value)?,
                None if is_accepted_extra_key(name) => {}
                None => return Err(unknown_key(name)),
            }
        }
        let settings = self.settings()?;
        self.check_combinations(&settings)?;
        Ok(settings)
    }

    fn check_combinations(&self, s: &LinkSettings) -> Result<(), ConfigError> {
        if s.connection_mode == ConnectionMode::Outbound && s.bootstrap_servers.is_empty() {
            return Err(ConfigError(
                "bootstrap.servers is required for connection.mode=OUTBOUND (the remote cluster's brokers)".into(),
            ));
        }
        if s.consumer_group_prefix_enable {
            if s.cluster_link_prefix.is_none() {
                return Err(ConfigError(
                    "consumer.group.prefix.enable=true requires cluster.link.prefix".into(),
                ));
            }
            if s.link_mode == LinkMode::Bidirectional {
                return Err(ConfigError(
                    "consumer.group.prefix.enable=true is not allowed on BIDIRECTIONAL links"
                        .into(),
                ));
            }
        }
        if s.acl_sync_enable {
            if s.acl_filters.is_empty() {
                return Err(ConfigError(
                    "ACL migration is enabled but acl.filters is not set: set acl.filters or acl.sync.enable=false".into(),
                ));
            }
            if s.cluster_link_prefix.is_some() {
                return Err(ConfigError(
                    "acl.sync.enable=true cannot be combined with cluster.link.prefix".into(),
                ));
            }
            return Err(ConfigError(
                "acl.sync.enable=true: ferry does not sync ACLs yet; create the ACLs on the destination and set acl.sync.enable=false".into(),
            ));
        }
        if let Some(include) = &s.topic_config_sync_include {
            let missing: Vec<&str> = ALWAYS_SYNCED_TOPIC_CONFIGS
                .iter()
                .copied()
                .filter(|c| !include.iter().any(|i| i == c))
                .collect();
            if !missing.is_empty() {
                return Err(ConfigError(format!(
                    "topic.config.sync.include must list every always-synced config; missing: {}",
                    missing.join(", ")
                )));
            }
        }
        self.check_client()
    }

    /// What ferry's client can do towards the remote cluster.
    fn check_client(&self) -> Result<(), ConfigError> {
        let is_set = |k: &str| self.set.get(k).is_some_and(|v| !v.trim().is_empty());
        let protocol = self.text("security.protocol").trim().to_ascii_uppercase();
        if protocol.starts_with("SASL_") {
            let mechanism = self.text("sasl.mechanism").trim().to_ascii_uppercase();
            if !["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"].contains(&mechanism.as_str()) {
                let default = if self.set.contains_key("sasl.mechanism") {
                    ""
                } else {
                    " (Kafka's default; set sasl.mechanism)"
                };
                return Err(ConfigError(format!(
                    "sasl.mechanism={mechanism}{default}: ferry's link client supports PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512"
                )));
            }
            if is_set("sasl.jaas.config") {
                ferry_client::config::parse_jaas_credentials(self.text("sasl.jaas.config"))
                    .map_err(|e| {
                        invalid("sasl.jaas.config", "", true, &format!("{e} (expected a PlainLoginModule or ScramLoginModule with username and password)"))
                    })?;
            } else if !(is_set("sasl.username") && is_set("sasl.password")) {
                return Err(ConfigError(format!(
                    "security.protocol={protocol} needs sasl.jaas.config with the remote cluster's username and password"
                )));
            }
        }
        let trust: Vec<&str> = [
            "ssl.ca.location",
            "ssl.truststore.location",
            "ssl.truststore.certificates",
        ]
        .into_iter()
        .filter(|k| is_set(k))
        .collect();
        if trust.len() > 1 {
            return Err(ConfigError(format!(
                "set only one of {} (each gives the certificates to trust)",
                trust.join(", ")
            )));
        }
        if is_set("ssl.truststore.location") {
            let location = self.text("ssl.truststore.location").trim();
            let pem = self
                .text("ssl.truststore.type")
                .trim()
                .eq_ignore_ascii_case("PEM")
                || location.to_ascii_lowercase().ends_with(".pem");
            if !pem {
                return Err(invalid(
                    "ssl.truststore.location",
                    location,
                    false,
                    "ferry reads PEM truststores only: set ssl.truststore.type=PEM for a file of PEM certificates, or use ssl.ca.location",
                ));
            }
        }
        if let Some(key) = [
            "ssl.keystore.location",
            "ssl.keystore.key",
            "ssl.keystore.certificate.chain",
        ]
        .into_iter()
        .find(|k| is_set(k))
        {
            return Err(ConfigError(format!(
                "{key}: client certificates (mutual TLS) towards the remote cluster are not supported by ferry yet"
            )));
        }
        Ok(())
    }
}

/// Two spellings of a read-only value are the same value (enums compare
/// without case).
fn same_value(def: &ConfigDef, a: Option<&str>, b: Option<&str>) -> bool {
    let a = a.unwrap_or("").trim();
    let b = b.unwrap_or("").trim();
    match def.kind {
        ConfigType::Enum(_) => a.eq_ignore_ascii_case(b),
        _ => a == b,
    }
}

fn unknown_key(name: &str) -> ConfigError {
    ConfigError(format!("Unknown cluster link configuration '{name}'"))
}

fn entry(
    name: &str,
    value: Option<&str>,
    explicit: bool,
    read_only: bool,
    sensitive: bool,
    synonyms: Vec<String>,
) -> LinkConfigEntry {
    LinkConfigEntry {
        name: name.to_string(),
        value: if sensitive {
            None
        } else {
            value.map(str::to_string)
        },
        is_default: !explicit,
        is_read_only: read_only,
        is_sensitive: sensitive,
        source: if explicit {
            "DYNAMIC_CLUSTER_LINK_CONFIG".into()
        } else {
            "DEFAULT_CONFIG".into()
        },
        synonyms,
    }
}

#[cfg(test)]
mod tests;
