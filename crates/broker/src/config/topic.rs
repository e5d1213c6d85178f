//! Topic-level configuration: Kafka's topic configs, their broker-level
//! synonyms and defaults, validation, and the effective view DescribeConfigs
//! reports.
//!
//! A topic's effective value of `retention.ms` comes from, in order: the
//! topic's own override (source `DYNAMIC_TOPIC_CONFIG`), the broker's
//! `log.retention.ms` (or `.minutes`/`.hours`) in server.properties
//! (`STATIC_BROKER_CONFIG`), or Kafka's default (`DEFAULT_CONFIG`).

use std::collections::BTreeMap;

use super::{ConfigError, value_err};

/// The type of a config value, with Kafka's DescribeConfigs type codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    /// true/false.
    Boolean = 1,
    /// Free text or an enumeration.
    String = 2,
    /// 32-bit integer.
    Int = 3,
    /// 64-bit integer.
    Long = 5,
    /// Floating point.
    Double = 6,
    /// Comma-separated list.
    List = 7,
}

/// One topic config Kafka defines.
#[derive(Debug, Clone, Copy)]
pub struct TopicConfigDef {
    /// The topic-level name.
    pub name: &'static str,
    /// Broker-level synonyms, most specific first (e.g. `log.retention.ms`,
    /// `log.retention.minutes`, `log.retention.hours`), with the factor that
    /// converts each to the topic config's unit.
    pub synonyms: &'static [(&'static str, i64)],
    /// Kafka's default, as text.
    pub default: &'static str,
    /// Its type.
    pub kind: ConfigType,
    /// Allowed values for enumerations (empty: any value of the type).
    pub allowed: &'static [&'static str],
    /// Smallest allowed numeric value.
    pub min: Option<i64>,
    /// A one-line description.
    pub doc: &'static str,
}

const MAX: &str = "9223372036854775807";

macro_rules! def {
    ($name:expr, [$($syn:expr),*], $default:expr, $kind:ident, [$($allowed:expr),*], $min:expr, $doc:expr) => {
        TopicConfigDef { name: $name, synonyms: &[$($syn),*], default: $default,
            kind: ConfigType::$kind, allowed: &[$($allowed),*], min: $min, doc: $doc }
    };
}

/// Every topic config, in Kafka's alphabetical order.
pub const TOPIC_CONFIGS: &[TopicConfigDef] = &[
    def!(
        "cleanup.policy",
        [("log.cleanup.policy", 1)],
        "delete",
        List,
        ["delete", "compact"],
        None,
        "Retention policy: delete old segments, or compact by key."
    ),
    def!(
        "compression.type",
        [("compression.type", 1)],
        "producer",
        String,
        ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"],
        None,
        "Codec of stored batches; `producer` keeps the producer's."
    ),
    def!(
        "delete.retention.ms",
        [("log.cleaner.delete.retention.ms", 1)],
        "86400000",
        Long,
        [],
        Some(0),
        "How long delete tombstones are kept for compacted topics."
    ),
    def!(
        "file.delete.delay.ms",
        [("log.segment.delete.delay.ms", 1)],
        "60000",
        Long,
        [],
        Some(0),
        "Delay before a deleted segment's file is removed."
    ),
    def!(
        "flush.messages",
        [("log.flush.interval.messages", 1)],
        MAX,
        Long,
        [],
        Some(1),
        "Messages between forced fsyncs."
    ),
    def!(
        "flush.ms",
        [("log.flush.interval.ms", 1)],
        MAX,
        Long,
        [],
        Some(0),
        "Milliseconds between forced fsyncs."
    ),
    def!(
        "index.interval.bytes",
        [("log.index.interval.bytes", 1)],
        "4096",
        Int,
        [],
        Some(0),
        "Bytes of batches between offset index entries."
    ),
    def!(
        "max.compaction.lag.ms",
        [("log.cleaner.max.compaction.lag.ms", 1)],
        MAX,
        Long,
        [],
        Some(1),
        "Longest a message stays ineligible for compaction."
    ),
    def!(
        "max.message.bytes",
        [("message.max.bytes", 1)],
        "1048588",
        Int,
        [],
        Some(0),
        "Largest record batch the topic accepts."
    ),
    def!(
        "message.timestamp.after.max.ms",
        [("log.message.timestamp.after.max.ms", 1)],
        "3600000",
        Long,
        [],
        Some(0),
        "How far in the future a CreateTime timestamp may be."
    ),
    def!(
        "message.timestamp.before.max.ms",
        [("log.message.timestamp.before.max.ms", 1)],
        MAX,
        Long,
        [],
        Some(0),
        "How far in the past a CreateTime timestamp may be."
    ),
    def!(
        "message.timestamp.type",
        [("log.message.timestamp.type", 1)],
        "CreateTime",
        String,
        ["CreateTime"],
        None,
        "Timestamp type; ferry keeps producers' CreateTime (batches are never rewritten)."
    ),
    def!(
        "min.cleanable.dirty.ratio",
        [("log.cleaner.min.cleanable.ratio", 1)],
        "0.5",
        Double,
        [],
        None,
        "Dirty ratio that makes a log eligible for compaction."
    ),
    def!(
        "min.compaction.lag.ms",
        [("log.cleaner.min.compaction.lag.ms", 1)],
        "0",
        Long,
        [],
        Some(0),
        "Shortest time a message stays uncompacted."
    ),
    def!(
        "min.insync.replicas",
        [("min.insync.replicas", 1)],
        "1",
        Int,
        [],
        Some(1),
        "Replicas that must acknowledge acks=all writes."
    ),
    def!(
        "preallocate",
        [("log.preallocate", 1)],
        "false",
        Boolean,
        [],
        None,
        "Preallocate segment files."
    ),
    def!(
        "retention.bytes",
        [("log.retention.bytes", 1)],
        "-1",
        Long,
        [],
        Some(-1),
        "Size at which old segments are deleted; -1 for no limit."
    ),
    def!(
        "retention.ms",
        [
            ("log.retention.ms", 1),
            ("log.retention.minutes", 60_000),
            ("log.retention.hours", 3_600_000)
        ],
        "604800000",
        Long,
        [],
        Some(-1),
        "Age at which old segments are deleted; -1 for no limit."
    ),
    def!(
        "segment.bytes",
        [("log.segment.bytes", 1)],
        "1073741824",
        Int,
        [],
        Some(14),
        "Size of one segment file."
    ),
    def!(
        "segment.index.bytes",
        [("log.index.size.max.bytes", 1)],
        "10485760",
        Int,
        [],
        Some(4),
        "Largest offset index per segment."
    ),
    def!(
        "segment.jitter.ms",
        [
            ("log.roll.jitter.ms", 1),
            ("log.roll.jitter.hours", 3_600_000)
        ],
        "0",
        Long,
        [],
        Some(0),
        "Random jitter subtracted from segment.ms."
    ),
    def!(
        "segment.ms",
        [("log.roll.ms", 1), ("log.roll.hours", 3_600_000)],
        "604800000",
        Long,
        [],
        Some(1),
        "Age at which the active segment is rolled."
    ),
    def!(
        "unclean.leader.election.enable",
        [("unclean.leader.election.enable", 1)],
        "false",
        Boolean,
        [],
        None,
        "Allow out-of-sync replicas to become leader."
    ),
];

/// Where an effective value came from, with Kafka's DescribeConfigs codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// A topic override.
    DynamicTopic = 1,
    /// server.properties or `--override`.
    StaticBroker = 4,
    /// Kafka's default.
    Default = 5,
}

/// One effective value, as DescribeConfigs reports it.
#[derive(Debug, Clone)]
pub struct ConfigEntry {
    /// The config's definition.
    pub def: &'static TopicConfigDef,
    /// The effective value.
    pub value: String,
    /// Where it came from.
    pub source: ConfigSource,
    /// Lower-precedence values that exist (name, value, source), for synonyms.
    pub synonyms: Vec<(String, String, ConfigSource)>,
}

/// Looks a topic config up by name.
pub fn def(name: &str) -> Option<&'static TopicConfigDef> {
    TOPIC_CONFIGS.iter().find(|d| d.name == name)
}

fn broker_value(
    def: &TopicConfigDef,
    broker: &BTreeMap<String, String>,
) -> Option<(String, String)> {
    def.synonyms.iter().find_map(|(key, factor)| {
        let v = broker.get(*key)?;
        if *factor == 1 {
            return Some((key.to_string(), v.clone()));
        }
        // `log.retention.hours=1` means `retention.ms=3600000`.
        let n: i64 = v.trim().parse().ok()?;
        Some((key.to_string(), n.saturating_mul(*factor).to_string()))
    })
}

/// Checks one value against its definition; returns it normalised.
pub fn validate(name: &str, value: &str) -> Result<String, ConfigError> {
    let d = def(name).ok_or_else(|| value_err(name, value, "unknown topic config"))?;
    let v = value.trim();
    let bad = |why: &str| value_err(name, value, why);
    match d.kind {
        ConfigType::Boolean => {
            let b = v.to_ascii_lowercase();
            if b != "true" && b != "false" {
                return Err(bad("expected true or false"));
            }
            return Ok(b);
        }
        ConfigType::Int | ConfigType::Long => {
            let n: i64 = v.parse().map_err(|_| bad("expected a whole number"))?;
            if d.kind == ConfigType::Int && i32::try_from(n).is_err() {
                return Err(bad("out of range for an int"));
            }
            if let Some(min) = d.min
                && n < min
            {
                return Err(bad(&format!("must be at least {min}")));
            }
        }
        ConfigType::Double => {
            v.parse::<f64>().map_err(|_| bad("expected a number"))?;
        }
        ConfigType::String => {
            if !d.allowed.is_empty() && !d.allowed.contains(&v) {
                return Err(bad(&format!("must be one of {}", d.allowed.join(", "))));
            }
        }
        ConfigType::List => {
            for item in v.split(',').map(str::trim) {
                if !d.allowed.is_empty() && !d.allowed.contains(&item) {
                    return Err(bad(&format!(
                        "items must be among {}",
                        d.allowed.join(", ")
                    )));
                }
            }
        }
    }
    Ok(v.to_string())
}

/// The effective values of every topic config for a topic with `overrides`.
pub fn effective(
    broker: &BTreeMap<String, String>,
    overrides: &BTreeMap<String, String>,
) -> Vec<ConfigEntry> {
    TOPIC_CONFIGS
        .iter()
        .map(|d| {
            let mut chain = Vec::new();
            if let Some(v) = overrides.get(d.name) {
                chain.push((d.name.to_string(), v.clone(), ConfigSource::DynamicTopic));
            }
            if let Some((k, v)) = broker_value(d, broker) {
                chain.push((k, v, ConfigSource::StaticBroker));
            }
            chain.push((
                d.name.to_string(),
                d.default.to_string(),
                ConfigSource::Default,
            ));
            let (_, value, source) = chain[0].clone();
            ConfigEntry {
                def: d,
                value,
                source,
                synonyms: chain,
            }
        })
        .collect()
}

/// The typed values the broker acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfig {
    /// `retention.ms`.
    pub retention_ms: i64,
    /// `retention.bytes`.
    pub retention_bytes: i64,
    /// `segment.bytes`.
    pub segment_bytes: i64,
    /// `segment.ms`.
    pub segment_ms: i64,
    /// `segment.index.bytes`.
    pub segment_index_bytes: i64,
    /// `index.interval.bytes`.
    pub index_interval_bytes: i64,
    /// `max.message.bytes`.
    pub max_message_bytes: i64,
    /// `cleanup.policy` contains `compact`.
    pub compact: bool,
}

impl TopicConfig {
    /// Resolves and validates the effective configuration.
    pub fn resolve(
        broker: &BTreeMap<String, String>,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let mut values = BTreeMap::new();
        for e in effective(broker, overrides) {
            // Report a bad broker-level value under the key the user wrote.
            let key = e.synonyms[0].0.clone();
            let v = validate(e.def.name, &e.value).map_err(|err| match err {
                ConfigError::Value { value, reason, .. } => {
                    ConfigError::Value { key, value, reason }
                }
                other => other,
            })?;
            values.insert(e.def.name, v);
        }
        let num = |k: &str| -> i64 { values.get(k).and_then(|v| v.parse().ok()).unwrap_or(0) };
        Ok(Self {
            retention_ms: num("retention.ms"),
            retention_bytes: num("retention.bytes"),
            segment_bytes: num("segment.bytes"),
            segment_ms: num("segment.ms"),
            segment_index_bytes: num("segment.index.bytes"),
            index_interval_bytes: num("index.interval.bytes"),
            max_message_bytes: num("max.message.bytes"),
            compact: values
                .get("cleanup.policy")
                .is_some_and(|v| v.split(',').any(|p| p.trim() == "compact")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn precedence_topic_then_broker_then_default() {
        let broker = map(&[("log.retention.hours", "1"), ("log.segment.bytes", "1000")]);
        let topic = map(&[("segment.bytes", "2000")]);
        let all = effective(&broker, &topic);
        let get = |n: &str| all.iter().find(|e| e.def.name == n).unwrap().clone();
        assert_eq!(get("retention.ms").value, "3600000");
        assert_eq!(get("retention.ms").source, ConfigSource::StaticBroker);
        assert_eq!(get("segment.bytes").value, "2000");
        assert_eq!(get("segment.bytes").source, ConfigSource::DynamicTopic);
        assert_eq!(get("segment.bytes").synonyms.len(), 3);
        assert_eq!(get("cleanup.policy").source, ConfigSource::Default);
        let c = TopicConfig::resolve(&broker, &topic).unwrap();
        assert_eq!(c.retention_ms, 3_600_000);
        assert_eq!(c.segment_bytes, 2000);
        assert_eq!(c.max_message_bytes, 1_048_588);
    }

    #[test]
    fn validation_names_the_problem() {
        assert!(validate("cleanup.policy", "compact,delete").is_ok());
        assert!(validate("cleanup.policy", "shred").is_err());
        assert!(validate("retention.ms", "-2").is_err());
        assert!(validate("max.message.bytes", "99999999999").is_err());
        assert!(validate("no.such.config", "1").is_err());
        assert!(validate("preallocate", "TRUE").is_ok());
        let err = TopicConfig::resolve(&map(&[("log.retention.ms", "x")]), &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("log.retention.ms"), "{err}");
    }
}
