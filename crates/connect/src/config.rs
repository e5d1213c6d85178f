//! A connector configuration: checked by `ferry_datagen`'s
//! [`DatagenConfig::parse`] (every key of Confluent Cloud's DatagenSource:
//! `kafka.topic`, `quickstart` | `schema.string`, `schema.keyfield`,
//! `output.data.format`, `max.interval`, `iterations`, `random.seed`,
//! `tasks.max`), of which the runtime keeps what paces and bounds the task.
//!
//! Values are strings, as in Kafka Connect. Keys ferry has no use for, such
//! as Confluent Cloud's `kafka.auth.mode`, `kafka.api.key`,
//! `kafka.api.secret` and `kafka.service.account.id` (the connector writes
//! into the broker it runs in, which needs no credentials), or a
//! self-managed worker's converters, are accepted and kept so that the
//! configuration reads back as it was given.

use std::collections::BTreeMap;

use ferry_datagen::DatagenConfig;
use ferry_datagen::DatagenError;

use crate::error::ConnectError;

/// The runtime settings of one connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// `kafka.topic`: where records go.
    pub topic: String,
    /// `max.interval`: each record waits a uniformly random time in
    /// `[0, max.interval)` ms, as the Java task sleeps before each poll
    /// (default 1000 ms for DatagenSource, Confluent Cloud's; 500 for the
    /// self-managed class).
    pub max_interval_ms: u64,
    /// `iterations`: how many records the task produces in all; `None`
    /// (absent, 0 or negative) is no limit.
    pub iterations: Option<u64>,
}

/// A generator error as Connect's list of invalid keys.
pub(crate) fn invalid(e: DatagenError) -> ConnectError {
    match e {
        DatagenError::Config { key, message } => {
            ConnectError::InvalidConfig(vec![format!("{key}: {message}")])
        }
        other => ConnectError::InvalidConfig(vec![other.to_string()]),
    }
}

/// Parses and checks the whole configuration (`name` included).
///
/// # Errors
/// [`ConnectError::InvalidConfig`] naming the key at fault.
pub fn parse(config: &BTreeMap<String, String>) -> Result<DatagenConfig, ConnectError> {
    DatagenConfig::parse(config).map_err(invalid)
}

/// The runtime's part of a parsed configuration.
pub fn runtime_of(parsed: &DatagenConfig) -> RuntimeConfig {
    RuntimeConfig {
        topic: parsed.kafka_topic.clone(),
        max_interval_ms: parsed.max_interval_ms,
        iterations: parsed.iterations,
    }
}

/// Checks a connector name as Kafka Connect does (not empty, no control
/// characters) plus what a file name needs (ferry stores
/// `<data_dir>/connectors/<name>.json`).
///
/// # Errors
/// [`ConnectError::BadRequest`] saying what is wrong.
pub fn check_name(name: &str) -> Result<(), ConnectError> {
    if name.trim().is_empty() {
        return Err(ConnectError::BadRequest(
            "Connector name must not be empty".into(),
        ));
    }
    if name.len() > 200 {
        return Err(ConnectError::BadRequest(format!(
            "Connector name {name:?} is longer than 200 bytes"
        )));
    }
    if name.chars().any(char::is_control) || name.contains('/') || name == "." || name == ".." {
        return Err(ConnectError::BadRequest(format!(
            "Connector name {name:?} may not contain control characters or '/', nor be '.' or '..'"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn cloud_config_reads_with_defaults() {
        let c = parse(&map(&[
            ("name", "orders"),
            ("connector.class", "DatagenSource"),
            ("kafka.topic", "sample_order_data"),
            ("quickstart", "ORDERS"),
            ("output.data.format", "AVRO"),
            ("kafka.auth.mode", "KAFKA_API_KEY"),
            ("kafka.api.key", "k"),
            ("tasks.max", "1"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let r = runtime_of(&c);
        assert_eq!(r.topic, "sample_order_data");
        assert_eq!(r.iterations, None);
        let c = parse(&map(&[
            ("name", "orders"),
            ("connector.class", "DatagenSource"),
            ("kafka.topic", "t"),
            ("quickstart", "orders"),
            ("output.data.format", "JSON"),
            ("max.interval", "1"),
            ("iterations", "10"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let r = runtime_of(&c);
        assert_eq!((r.max_interval_ms, r.iterations), (1, Some(10)));
    }

    #[test]
    fn bad_keys_are_named() {
        for (key, value) in [
            ("connector.class", "S3Sink"),
            ("max.interval", "soon"),
            ("iterations", "many"),
            ("tasks.max", "4"),
            ("quickstart", "NOPE"),
            ("output.data.format", "XML"),
        ] {
            let mut config = map(&[
                ("name", "orders"),
                ("connector.class", "DatagenSource"),
                ("kafka.topic", "t"),
                ("quickstart", "ORDERS"),
                ("output.data.format", "AVRO"),
            ]);
            config.insert(key.to_owned(), value.to_owned());
            let Err(ConnectError::InvalidConfig(errors)) = parse(&config) else {
                panic!("{key}={value} accepted");
            };
            assert!(errors.join("\n").contains(key), "{key}: {errors:?}");
        }
    }

    #[test]
    fn names_must_fit_a_file() {
        assert!(check_name("datagen-orders").is_ok());
        for bad in ["", " ", "a/b", "..", "a\nb"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
