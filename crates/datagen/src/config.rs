//! DatagenSource connector configs, as Confluent Cloud's managed connector
//! takes them (`connector.class=DatagenSource`), validated up front with
//! errors that name the key.
//!
//! Keys read: `connector.class`, `name`, `kafka.topic`, `quickstart` |
//! `schema.string` (exactly one), `schema.keyfield`, `output.data.format`,
//! `max.interval`, `iterations`, `random.seed`, `tasks.max`. Other keys
//! (`kafka.auth.mode`, `kafka.api.key`, ...) are Confluent Cloud plumbing and
//! are ignored, so configs written for Confluent Cloud work unchanged.

use std::collections::BTreeMap;

use crate::error::DatagenError;
use crate::format::{OutputFormat, ValueEncoder};
use crate::generator::{Generator, GeneratorState};
use crate::quickstart::Quickstart;

/// `connector.class` of Confluent Cloud's managed datagen connector.
pub const DATAGEN_SOURCE: &str = "DatagenSource";
/// `connector.class` of the self-managed connector, accepted as well.
pub const SELF_MANAGED_CLASS: &str = "io.confluent.kafka.connect.datagen.DatagenConnector";

/// `max.interval` default of the managed connector (Confluent Cloud's
/// documentation gives 1000 ms).
pub const DEFAULT_MAX_INTERVAL_MS: u64 = 1000;
/// `max.interval` default of the self-managed connector (500 ms in
/// `DatagenConnectorConfig`).
pub const SELF_MANAGED_MAX_INTERVAL_MS: u64 = 500;

/// Where the schema comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaSource {
    /// `quickstart`.
    Quickstart(Quickstart),
    /// `schema.string`: an Avro schema with `arg.properties`.
    SchemaString(String),
}

/// A validated DatagenSource config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatagenConfig {
    /// `name`: the connector's name.
    pub name: String,
    /// `kafka.topic`: where records go.
    pub kafka_topic: String,
    /// `quickstart` or `schema.string`.
    pub schema: SchemaSource,
    /// `schema.keyfield`, defaulting to the quickstart's key field; `None`
    /// writes null keys.
    pub key_field: Option<String>,
    /// `output.data.format`.
    pub output_format: OutputFormat,
    /// `max.interval`: each record waits a uniform random time in
    /// `[0, max.interval)` ms before it is generated, as Confluent's task does.
    pub max_interval_ms: u64,
    /// `iterations`: records to generate per task; `None` (a value below 1)
    /// is unbounded.
    pub iterations: Option<u64>,
    /// `random.seed`: makes the data deterministic.
    pub random_seed: Option<i64>,
    /// `tasks.max`: always 1 (the managed connector runs one task).
    pub tasks_max: u32,
}

impl DatagenConfig {
    /// Parses and validates a connector config. The schema is compiled (and
    /// for the output format derived) once here, so every error a running
    /// connector could meet at start surfaces at creation.
    pub fn parse(config: &BTreeMap<String, String>) -> Result<Self, DatagenError> {
        let get = |key: &str| config.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        let class = get("connector.class").ok_or_else(|| missing("connector.class"))?;
        let self_managed = class == SELF_MANAGED_CLASS;
        if class != DATAGEN_SOURCE && !self_managed {
            return Err(DatagenError::config(
                "connector.class",
                format!("{class:?} is not supported; use {DATAGEN_SOURCE}"),
            ));
        }
        let name = get("name").ok_or_else(|| missing("name"))?.to_owned();
        let kafka_topic = get("kafka.topic").ok_or_else(|| missing("kafka.topic"))?;
        validate_topic(kafka_topic)?;
        if get("schema.filename").is_some() {
            return Err(DatagenError::config(
                "schema.filename",
                "is not supported: give the schema inline with schema.string, or a quickstart",
            ));
        }
        let schema = match (
            get("quickstart"),
            config.get("schema.string").filter(|s| !s.trim().is_empty()),
        ) {
            (Some(_), Some(_)) => {
                return Err(DatagenError::config(
                    "quickstart",
                    "cannot be set together with schema.string",
                ));
            }
            (None, None) => {
                return Err(DatagenError::config(
                    "quickstart",
                    format!(
                        "one of quickstart or schema.string is required; quickstarts: {}",
                        Quickstart::names()
                    ),
                ));
            }
            (Some(name), None) => {
                SchemaSource::Quickstart(Quickstart::parse(name).ok_or_else(|| {
                    DatagenError::config(
                        "quickstart",
                        format!(
                            "{name:?} is not a quickstart; one of {}",
                            Quickstart::names()
                        ),
                    )
                })?)
            }
            (None, Some(text)) => SchemaSource::SchemaString(text.clone()),
        };
        let key_field = match (get("schema.keyfield"), &schema) {
            (Some(field), _) => Some(field.to_owned()),
            (None, SchemaSource::Quickstart(q)) => Some(q.key_field().to_owned()),
            (None, SchemaSource::SchemaString(_)) => None,
        };
        let output_format = match get("output.data.format") {
            Some(text) => OutputFormat::parse(text).ok_or_else(|| {
                DatagenError::config(
                    "output.data.format",
                    format!("{text:?} is not one of AVRO, JSON_SR, PROTOBUF, JSON"),
                )
            })?,
            None if self_managed => OutputFormat::Avro,
            None => return Err(missing("output.data.format")),
        };
        let max_interval_ms = match get("max.interval") {
            Some(text) => text.parse::<u64>().map_err(|_| {
                DatagenError::config(
                    "max.interval",
                    format!("{text:?} is not a non-negative number of milliseconds"),
                )
            })?,
            None if self_managed => SELF_MANAGED_MAX_INTERVAL_MS,
            None => DEFAULT_MAX_INTERVAL_MS,
        };
        let iterations = match get("iterations") {
            Some(text) => {
                let n = text.parse::<i64>().map_err(|_| {
                    DatagenError::config(
                        "iterations",
                        format!("{text:?} is not an integer (below 1: unbounded)"),
                    )
                })?;
                u64::try_from(n).ok().filter(|n| *n >= 1)
            }
            None => None,
        };
        let random_seed = match get("random.seed") {
            Some(text) => Some(text.parse::<i64>().map_err(|_| {
                DatagenError::config("random.seed", format!("{text:?} is not a 64-bit integer"))
            })?),
            None => None,
        };
        let tasks_max = match get("tasks.max") {
            Some(text) => text.parse::<u32>().map_err(|_| {
                DatagenError::config("tasks.max", format!("{text:?} is not a positive integer"))
            })?,
            None => 1,
        };
        if tasks_max != 1 {
            return Err(DatagenError::config(
                "tasks.max",
                "must be 1: a datagen connector runs one task",
            ));
        }
        let parsed = DatagenConfig {
            name,
            kafka_topic: kafka_topic.to_owned(),
            schema,
            key_field,
            output_format,
            max_interval_ms,
            iterations,
            random_seed,
            tasks_max,
        };
        let generator = parsed.generator()?;
        ValueEncoder::new(output_format, &generator).map_err(|e| match e {
            DatagenError::Unsupported { .. } => {
                DatagenError::config("output.data.format", e.to_string())
            }
            other => other,
        })?;
        Ok(parsed)
    }

    /// The generator schema text.
    pub fn schema_text(&self) -> &str {
        match &self.schema {
            SchemaSource::Quickstart(q) => q.schema(),
            SchemaSource::SchemaString(text) => text,
        }
    }

    /// A fresh generator for this config (seeded with `random.seed`).
    pub fn generator(&self) -> Result<Generator, DatagenError> {
        self.with_key(Generator::new(self.schema_text(), self.random_seed))
    }

    /// A generator resuming from a persisted state.
    pub fn resume(&self, state: GeneratorState) -> Result<Generator, DatagenError> {
        self.with_key(Generator::resume(self.schema_text(), state))
    }

    /// The value encoder for [`DatagenConfig::output_format`].
    pub fn encoder(&self, generator: &Generator) -> Result<ValueEncoder, DatagenError> {
        ValueEncoder::new(self.output_format, generator)
    }

    /// Whether `state` has produced every record `iterations` allows.
    pub fn is_done(&self, state: &GeneratorState) -> bool {
        self.iterations.is_some_and(|n| state.iteration >= n)
    }

    fn with_key(
        &self,
        generator: Result<Generator, DatagenError>,
    ) -> Result<Generator, DatagenError> {
        let key = match &self.schema {
            SchemaSource::Quickstart(_) => "quickstart",
            SchemaSource::SchemaString(_) => "schema.string",
        };
        let generator = generator.map_err(|e| match e {
            DatagenError::Config { .. } => e,
            other => DatagenError::config(key, other.to_string()),
        })?;
        match &self.key_field {
            Some(field) => generator.with_key_field(field),
            None => Ok(generator),
        }
    }
}

fn missing(key: &str) -> DatagenError {
    DatagenError::config(key, "is required")
}

/// Kafka's topic name rules: 1..=249 characters of `[a-zA-Z0-9._-]`, not `.`
/// or `..`.
fn validate_topic(topic: &str) -> Result<(), DatagenError> {
    let legal = topic
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if topic.len() > 249 || !legal || topic == "." || topic == ".." {
        return Err(DatagenError::config(
            "kafka.topic",
            format!(
                "{topic:?} is not a legal topic name (1-249 characters of a-z, A-Z, 0-9, '.', '_', '-')"
            ),
        ));
    }
    Ok(())
}
