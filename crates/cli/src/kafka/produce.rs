//! `ferry kafka topic produce`: lines from stdin become records.
//!
//! Lines are read on a blocking thread and produced in batches: whatever has
//! arrived is sent together (up to 1000 records per partition per request), so
//! a piped file goes fast and an interactive line is sent at once. Keyed
//! records go to the partition Kafka's default partitioner picks; unkeyed ones
//! rotate over the partitions batch by batch.
//!
//! With `--value-format` avro, jsonschema or protobuf and `--schema`, the
//! schema is registered under `--subject` (default `<topic>-value`, the
//! TopicNameStrategy) or, when `--schema` is a number (or `--schema-id` is
//! given), that registered schema is used; each line is then a JSON
//! document, checked and encoded against the schema and sent in Confluent's
//! wire format. Keys likewise with `--parse-key --key-format … --key-schema`
//! (subject `<topic>-key`); a schema-based key is the shortest prefix of
//! the line before a delimiter that is valid JSON. Empty lines are skipped.
//! A line that does not fit the schema stops the command, as in the
//! `confluent` CLI: the lines before it are sent, the error names the line,
//! and the exit status is non-zero.

use std::collections::BTreeMap;
use std::io::BufRead;

use bytes::Bytes;
use clap::{Args, ValueEnum};
use ferry_client::produce::partition_for_key;
use ferry_client::{Acks, ProduceRecord};
use kafka_protocol::records::Compression;

use super::args::ConnectionArgs;
use super::value_format::registry::{RegistryArgs, read_references_file};
use super::value_format::{Encoder, Format, SchemaChoice};

/// Records per produce request per partition.
const MAX_BATCH: usize = 1000;

/// Compression codecs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Codec {
    /// No compression.
    #[default]
    None,
    /// gzip.
    Gzip,
    /// Snappy.
    Snappy,
    /// LZ4.
    Lz4,
    /// Zstandard.
    Zstd,
}

impl Codec {
    fn compression(self) -> Compression {
        match self {
            Self::None => Compression::None,
            Self::Gzip => Compression::Gzip,
            Self::Snappy => Compression::Snappy,
            Self::Lz4 => Compression::Lz4,
            Self::Zstd => Compression::Zstd,
        }
    }
}

/// `ferry kafka topic produce`.
#[derive(Debug, Args)]
pub(crate) struct ProduceArgs {
    /// Topic name.
    name: String,
    /// Split each line into key and value at the first separator.
    #[arg(long)]
    parse_key: bool,
    /// The key separator for --parse-key.
    #[arg(long, alias = "key-separator", default_value = ":", value_name = "SEP")]
    delimiter: String,
    /// How values are written: string sends each line as it is; avro,
    /// jsonschema and protobuf take one JSON document per line and write it
    /// in Confluent's wire format with --schema.
    #[arg(long, value_enum, default_value_t)]
    value_format: Format,
    /// The value schema: a file (.avsc, .json, .proto) to register, or the
    /// id of a registered schema.
    #[arg(long, value_name = "FILE|ID")]
    schema: Option<String>,
    /// The id of a registered value schema (instead of --schema).
    #[arg(long, value_name = "ID", conflicts_with = "schema")]
    schema_id: Option<i32>,
    /// The subject to register the value schema under (default
    /// `<topic>-value`); `:.ctx:subject` registers in a context.
    #[arg(long, value_name = "SUBJECT")]
    subject: Option<String>,
    /// JSON file listing the value schema's references
    /// (`[{"name", "subject", "version"}]`).
    #[arg(long, value_name = "FILE")]
    references: Option<std::path::PathBuf>,
    /// How keys are written (as --value-format), with --parse-key.
    #[arg(long, value_enum, default_value_t)]
    key_format: Format,
    /// The key schema: a file to register under `<topic>-key`, or an id.
    #[arg(long, value_name = "FILE|ID")]
    key_schema: Option<String>,
    /// JSON file listing the key schema's references.
    #[arg(long, value_name = "FILE")]
    key_references: Option<std::path::PathBuf>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Compression codec.
    #[arg(long, value_enum, default_value_t)]
    compression: Codec,
    /// Wait for the leader only instead of all in-sync replicas.
    #[arg(long)]
    acks_leader: bool,
    #[command(flatten)]
    conn: ConnectionArgs,
}

/// How lines become record bytes.
#[derive(Debug, Default)]
struct Encoders {
    parse_key: bool,
    separator: String,
    key: Option<Encoder>,
    value: Option<Encoder>,
}

impl Encoders {
    /// Splits `line` into record parts and encodes them.
    fn to_record(&self, line: &str) -> anyhow::Result<ProduceRecord> {
        let (key, value) = if self.parse_key {
            let (k, v) = split_key(line, &self.separator, self.key.is_some())?;
            let k = match &self.key {
                Some(e) => e.encode(k).map_err(|e| e.context("key"))?,
                None => k.as_bytes().to_vec(),
            };
            (Some(Bytes::from(k)), v)
        } else {
            (None, line)
        };
        let value = match &self.value {
            Some(e) => e.encode(value)?,
            None => value.as_bytes().to_vec(),
        };
        Ok(ProduceRecord {
            key,
            value: Some(Bytes::from(value)),
            ..ProduceRecord::default()
        })
    }
}

/// Splits a line at the key separator: the first one, or for a JSON key
/// the first one after which the key is valid JSON.
fn split_key<'a>(
    line: &'a str,
    separator: &str,
    json_key: bool,
) -> anyhow::Result<(&'a str, &'a str)> {
    let missing =
        || anyhow::anyhow!("line has no key separator '{separator}' (with --parse-key): {line}");
    if !json_key {
        return line.split_once(separator).ok_or_else(missing);
    }
    for (at, _) in line.match_indices(separator) {
        let (k, rest) = line.split_at(at);
        if serde_json::from_str::<serde_json::Value>(k.trim()).is_ok() {
            return Ok((k.trim(), rest.get(separator.len()..).unwrap_or_default()));
        }
    }
    Err(missing())
}

/// Sets up the encoders: registers or fetches the schemas.
async fn encoders(args: &ProduceArgs) -> anyhow::Result<Encoders> {
    let value_choice = match (&args.schema, args.schema_id) {
        (_, Some(id)) => Some(SchemaChoice::Id(id)),
        (Some(s), None) => Some(SchemaChoice::parse(s)),
        (None, None) => None,
    };
    let key_choice = args.key_schema.as_deref().map(SchemaChoice::parse);
    if key_choice.is_some() && !args.parse_key {
        anyhow::bail!("--key-schema needs --parse-key");
    }
    for (format, choice, flag) in [
        (args.value_format, &value_choice, "--value-format"),
        (args.key_format, &key_choice, "--key-format"),
    ] {
        if format != Format::String && choice.is_none() {
            anyhow::bail!(
                "{flag} {} needs a schema: --{}schema FILE|ID",
                format!("{format:?}").to_lowercase(),
                if flag == "--key-format" { "key-" } else { "" }
            );
        }
    }
    let mut out = Encoders {
        parse_key: args.parse_key,
        separator: args.delimiter.clone(),
        ..Encoders::default()
    };
    if value_choice.is_none() && key_choice.is_none() {
        return Ok(out);
    }
    let registry = args.registry.client()?;
    if let Some(choice) = &value_choice {
        let subject = args
            .subject
            .clone()
            .unwrap_or_else(|| format!("{}-value", args.name));
        let refs = match &args.references {
            Some(p) => read_references_file(p)?,
            None => Vec::new(),
        };
        out.value =
            Some(Encoder::prepare(&registry, args.value_format, choice, &subject, &refs).await?);
    }
    if let Some(choice) = &key_choice {
        let subject = format!("{}-key", args.name);
        let refs = match &args.key_references {
            Some(p) => read_references_file(p)?,
            None => Vec::new(),
        };
        out.key =
            Some(Encoder::prepare(&registry, args.key_format, choice, &subject, &refs).await?);
    }
    Ok(out)
}

pub(crate) async fn run(args: ProduceArgs) -> anyhow::Result<()> {
    let encoders = encoders(&args).await?;
    let client = super::connect(&args.conn).await?;
    let topic = client.refresh_topic(&args.name).await?;
    let schema_based = encoders.key.is_some() || encoders.value.is_some();
    let partitions = i32::try_from(topic.partitions.len())
        .unwrap_or(i32::MAX)
        .max(1);
    let acks = if args.acks_leader {
        Acks::Leader
    } else {
        Acks::All
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<String>>(4 * MAX_BATCH);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    let mut next_partition = 0i32;
    let mut produced = 0u64;
    let mut line_number = 0u64;
    let mut failed: Option<anyhow::Error> = None;
    let mut done = false;
    while !done && failed.is_none() {
        // Wait for one line, then take whatever else is already there.
        let mut lines = Vec::new();
        match rx.recv().await {
            Some(line) => lines.push(line?),
            None => break,
        }
        while lines.len() < MAX_BATCH * partitions.unsigned_abs() as usize {
            match rx.try_recv() {
                Ok(line) => lines.push(line?),
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                    done = true;
                    break;
                }
            }
        }
        let mut by_partition: BTreeMap<i32, Vec<ProduceRecord>> = BTreeMap::new();
        for line in lines {
            line_number += 1;
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if schema_based && line.trim().is_empty() {
                continue;
            }
            let record = match encoders.to_record(line) {
                Ok(r) => r,
                Err(e) => {
                    // Stop here; what came before is still sent.
                    failed = Some(e.context(format!("line {line_number} not sent")));
                    break;
                }
            };
            let partition = match &record.key {
                Some(k) => partition_for_key(k, partitions),
                None => next_partition,
            };
            by_partition.entry(partition).or_default().push(record);
        }
        next_partition = (next_partition + 1) % partitions;
        for (partition, records) in by_partition {
            for chunk in records.chunks(MAX_BATCH) {
                client
                    .produce(
                        &args.name,
                        partition,
                        chunk,
                        args.compression.compression(),
                        acks,
                    )
                    .await?;
                produced += chunk.len() as u64;
            }
        }
    }
    eprintln!("Produced {produced} record(s) to topic \"{}\".", args.name);
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_at_first_separator() {
        let keyed = Encoders {
            parse_key: true,
            separator: ":".into(),
            ..Encoders::default()
        };
        let r = keyed.to_record("k1:v:1").unwrap();
        assert_eq!(r.key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(r.value.as_deref(), Some(&b"v:1"[..]));
        let r = Encoders::default().to_record("plain").unwrap();
        assert!(r.key.is_none());
        assert!(keyed.to_record("nokey").is_err());
    }

    #[test]
    fn json_keys_split_after_a_whole_json_document() {
        let (k, v) = split_key(r#"{"a":"x:y"}:{"v":1}"#, ":", true).unwrap();
        assert_eq!(k, r#"{"a":"x:y"}"#);
        assert_eq!(v, r#"{"v":1}"#);
        assert_eq!(split_key("7:{}", ":", true).unwrap(), ("7", "{}"));
        assert!(split_key(r#"{"a":1}"#, ":", true).is_err());
    }
}
