//! `ferry kafka topic produce`: lines from stdin become records.
//!
//! Lines are read on a blocking thread and produced in batches: whatever has
//! arrived is sent together (up to 1000 records per partition per request), so
//! a piped file goes fast and an interactive line is sent at once. Keyed
//! records go to the partition Kafka's default partitioner picks; unkeyed ones
//! rotate over the partitions batch by batch.

use std::collections::BTreeMap;
use std::io::BufRead;

use bytes::Bytes;
use clap::{Args, ValueEnum};
use ferry_client::produce::partition_for_key;
use ferry_client::{Acks, ProduceRecord};
use kafka_protocol::records::Compression;

use super::args::ConnectionArgs;

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
    #[arg(long, default_value = ":", value_name = "SEP")]
    key_separator: String,
    /// Compression codec.
    #[arg(long, value_enum, default_value_t)]
    compression: Codec,
    /// Wait for the leader only instead of all in-sync replicas.
    #[arg(long)]
    acks_leader: bool,
    #[command(flatten)]
    conn: ConnectionArgs,
}

/// Splits `line` into record parts.
fn to_record(line: &str, parse_key: bool, separator: &str) -> anyhow::Result<ProduceRecord> {
    let (key, value) = if parse_key {
        let (k, v) = line.split_once(separator).ok_or_else(|| {
            anyhow::anyhow!("line has no key separator '{separator}' (with --parse-key): {line}")
        })?;
        (Some(Bytes::copy_from_slice(k.as_bytes())), v)
    } else {
        (None, line)
    };
    Ok(ProduceRecord {
        key,
        value: Some(Bytes::copy_from_slice(value.as_bytes())),
        ..ProduceRecord::default()
    })
}

pub(crate) async fn run(args: ProduceArgs) -> anyhow::Result<()> {
    let client = super::connect(&args.conn).await?;
    let topic = client.refresh_topic(&args.name).await?;
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
    let mut done = false;
    while !done {
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
            let line = line.strip_suffix('\r').unwrap_or(&line);
            let record = to_record(line, args.parse_key, &args.key_separator)?;
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_at_first_separator() {
        let r = to_record("k1:v:1", true, ":").unwrap();
        assert_eq!(r.key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(r.value.as_deref(), Some(&b"v:1"[..]));
        let r = to_record("plain", false, ":").unwrap();
        assert!(r.key.is_none());
        assert!(to_record("nokey", true, ":").is_err());
    }
}
