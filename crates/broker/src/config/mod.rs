//! Broker configuration, read the way Kafka reads it: a `server.properties` file,
//! then `--override key=value` pairs, with Kafka's names and defaults.
//!
//! Every property given is kept in [`BrokerConfig::props`] (DescribeConfigs
//! reports them); the ones ferry acts on are parsed into typed fields here, so a
//! bad value fails at start-up with the key named, not at first use.

mod listener;
pub mod topic;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use listener::{Listener, SecurityProtocol};

/// A configuration problem, reported with the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The properties file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The properties file is not valid Java properties syntax.
    #[error("cannot parse {path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// An `--override` without `=`.
    #[error("override '{0}' is not of the form key=value")]
    Override(String),
    /// A value of the wrong type or out of range.
    #[error("invalid value '{value}' for {key}: {reason}")]
    Value {
        /// The key.
        key: String,
        /// The value given.
        value: String,
        /// What is expected.
        reason: String,
    },
}

/// The broker's configuration.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// Every property as given (file, then overrides), for DescribeConfigs.
    pub props: BTreeMap<String, String>,
    /// Root of all state: cluster id, topic metadata, groups, API keys.
    pub data_dir: PathBuf,
    /// Where partition logs live (`log.dirs`, first entry; default `<data_dir>/logs`).
    pub log_dir: PathBuf,
    /// `node.id` (or `broker.id`), default 1.
    pub node_id: i32,
    /// `listeners`, with security protocols resolved.
    pub listeners: Vec<Listener>,
    /// `num.partitions`, default 1.
    pub num_partitions: i32,
    /// `auto.create.topics.enable`, default true.
    pub auto_create_topics: bool,
    /// `socket.request.max.bytes`, default 100 MiB.
    pub max_request_bytes: usize,
    /// `sasl.enabled.mechanisms`.
    pub sasl_mechanisms: Vec<String>,
    /// `log.retention.check.interval.ms`, default 300000.
    pub retention_check_interval_ms: u64,
    /// `log.flush.interval.ms`: how often partition logs are fsynced. Unset by
    /// default: as in Kafka, appends reach the page cache and survive a killed
    /// process; the OS writes them out, and a clean shutdown syncs everything.
    pub flush_interval_ms: Option<u64>,
    /// `rest.listeners` (Kafka REST v3), accepted now, served by a later issue.
    pub rest_listeners: Vec<String>,
    /// `schema.registry.listeners`, accepted now, served by a later issue.
    pub schema_registry_listeners: Vec<String>,
}

impl BrokerConfig {
    /// Loads `file` (if any), applies `overrides` (`key=value`), and resolves the
    /// data directory: `--data-dir`, else the `ferry.data.dir` property, else
    /// `./ferry-data`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the file or key at fault.
    pub fn load(
        file: Option<&Path>,
        overrides: &[String],
        data_dir: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let mut props = BTreeMap::new();
        if let Some(path) = file {
            let f = std::fs::File::open(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            let map = java_properties::read(std::io::BufReader::new(f)).map_err(|e| {
                ConfigError::Parse {
                    path: path.to_owned(),
                    reason: e.to_string(),
                }
            })?;
            props.extend(map);
        }
        for o in overrides {
            let (k, v) = o
                .split_once('=')
                .ok_or_else(|| ConfigError::Override(o.clone()))?;
            props.insert(k.trim().to_string(), v.trim().to_string());
        }
        Self::from_props(props, data_dir)
    }

    /// Builds the typed configuration from raw properties.
    pub fn from_props(
        props: BTreeMap<String, String>,
        data_dir: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let data_dir = data_dir
            .or_else(|| props.get("ferry.data.dir").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("ferry-data"));
        let log_dir = props
            .get("log.dirs")
            .or_else(|| props.get("log.dir"))
            .and_then(|v| v.split(',').map(str::trim).find(|s| !s.is_empty()))
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("logs"));
        let get = |k: &str| props.get(k).map(String::as_str);
        let node_id = parse_num(&props, "node.id")?
            .or(parse_num(&props, "broker.id")?)
            .unwrap_or(1);
        let listeners = listener::parse_listeners(
            get("listeners").unwrap_or("PLAINTEXT://:9092"),
            get("advertised.listeners"),
            get("listener.security.protocol.map"),
        )?;
        let num_partitions = parse_num(&props, "num.partitions")?.unwrap_or(1);
        if num_partitions < 1 {
            return Err(value_err("num.partitions", num_partitions, "must be >= 1"));
        }
        let auto_create_topics = parse_bool(&props, "auto.create.topics.enable")?.unwrap_or(true);
        let max_request_bytes: i64 =
            parse_num(&props, "socket.request.max.bytes")?.unwrap_or(100 * 1024 * 1024);
        if max_request_bytes < 1024 {
            return Err(value_err(
                "socket.request.max.bytes",
                max_request_bytes,
                "must be >= 1024",
            ));
        }
        let sasl_mechanisms = get("sasl.enabled.mechanisms")
            .unwrap_or("PLAIN,SCRAM-SHA-256,SCRAM-SHA-512")
            .split(',')
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
            .collect();
        let list = |k: &str| -> Vec<String> {
            get(k)
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let config = Self {
            node_id,
            listeners,
            num_partitions,
            auto_create_topics,
            max_request_bytes: max_request_bytes as usize,
            sasl_mechanisms,
            retention_check_interval_ms: parse_num(&props, "log.retention.check.interval.ms")?
                .unwrap_or(300_000),
            flush_interval_ms: parse_num(&props, "log.flush.interval.ms")?,
            rest_listeners: list("rest.listeners"),
            schema_registry_listeners: list("schema.registry.listeners"),
            data_dir,
            log_dir,
            props,
        };
        // Validate the topic-level defaults the broker supplies, so a bad
        // `log.retention.ms` fails now rather than at the first CreateTopics.
        topic::TopicConfig::resolve(&config.props, &BTreeMap::new())?;
        Ok(config)
    }

    /// A property by name.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.props.get(key).map(String::as_str)
    }

    /// A numeric property with a default.
    pub fn num<T: std::str::FromStr>(&self, key: &str, default: T) -> Result<T, ConfigError> {
        Ok(parse_num(&self.props, key)?.unwrap_or(default))
    }

    /// The property `key` for `listener`: `listener.name.<listener lowercase>.<key>`
    /// first, then the plain key, as Kafka resolves listener-prefixed settings.
    pub fn listener_prop(&self, listener: &str, key: &str) -> Option<&str> {
        let prefixed = format!("listener.name.{}.{key}", listener.to_ascii_lowercase());
        self.get(&prefixed).or_else(|| self.get(key))
    }
}

fn value_err(key: &str, value: impl ToString, reason: &str) -> ConfigError {
    ConfigError::Value {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// Parses an optional numeric property.
pub(crate) fn parse_num<T: std::str::FromStr>(
    props: &BTreeMap<String, String>,
    key: &str,
) -> Result<Option<T>, ConfigError> {
    props
        .get(key)
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| value_err(key, v, "expected a number"))
        })
        .transpose()
}

/// Parses an optional boolean property (`true`/`false`, any case).
pub(crate) fn parse_bool(
    props: &BTreeMap<String, String>,
    key: &str,
) -> Result<Option<bool>, ConfigError> {
    props
        .get(key)
        .map(|v| match v.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(value_err(key, v, "expected true or false")),
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(overrides: &[&str]) -> Result<BrokerConfig, ConfigError> {
        let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        BrokerConfig::load(None, &o, Some(PathBuf::from("/tmp/x")))
    }

    #[test]
    fn defaults_follow_kafka() {
        let c = load(&[]).unwrap();
        assert_eq!(c.node_id, 1);
        assert_eq!(c.num_partitions, 1);
        assert!(c.auto_create_topics);
        assert_eq!(c.listeners.len(), 1);
        assert_eq!(c.listeners[0].port, 9092);
        assert_eq!(c.log_dir, PathBuf::from("/tmp/x/logs"));
    }

    #[test]
    fn overrides_apply_and_bad_values_name_the_key() {
        let c = load(&["num.partitions=6", "log.dirs=/a,/b"]).unwrap();
        assert_eq!(c.num_partitions, 6);
        assert_eq!(c.log_dir, PathBuf::from("/a"));
        let e = load(&["num.partitions=six"]).unwrap_err().to_string();
        assert!(e.contains("num.partitions"), "{e}");
        let e = load(&["log.retention.ms=soon"]).unwrap_err().to_string();
        assert!(e.contains("log.retention.ms"), "{e}");
        assert!(matches!(load(&["novalue"]), Err(ConfigError::Override(_))));
    }

    #[test]
    fn properties_file_then_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.properties");
        std::fs::write(&path, "# comment\nnum.partitions = 3\nnode.id=7\n").unwrap();
        let c = BrokerConfig::load(Some(&path), &["node.id=9".into()], None).unwrap();
        assert_eq!(c.num_partitions, 3);
        assert_eq!(c.node_id, 9);
    }

    #[test]
    fn listener_prefixed_properties_win() {
        let c = load(&[
            "ssl.keystore.location=/plain",
            "listener.name.external.ssl.keystore.location=/ext",
        ])
        .unwrap();
        assert_eq!(
            c.listener_prop("EXTERNAL", "ssl.keystore.location"),
            Some("/ext")
        );
        assert_eq!(
            c.listener_prop("INTERNAL", "ssl.keystore.location"),
            Some("/plain")
        );
    }
}
