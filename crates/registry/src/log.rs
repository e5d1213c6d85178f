//! Where the registry's records live: the `_schemas` topic, behind
//! [`SchemaLog`], on the local ferry broker ([`LocalSchemaLog`]) or on any
//! Kafka cluster ([`KafkaSchemaLog`]).
//!
//! The topic has one partition and `cleanup.policy=compact`, as Confluent's
//! registry creates it; the registry's state is the fold of its records in
//! offset order ([`crate::state::State`]).

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ferry_broker::Broker;
use ferry_broker::topic::Topic;
use ferry_client::admin::{NewTopic, OffsetSpec};
use ferry_client::produce::encode_batch;
use ferry_client::records::{decode_records, next_fetch_offset};
use ferry_client::{Acks, Client, ClientConfig, FetchedPartition, IsolationLevel, ProduceRecord};
use kafka_protocol::records::Compression;

use crate::error::RegistryError;

/// The topic's default name (Confluent's `kafkastore.topic` default).
pub const SCHEMAS_TOPIC: &str = "_schemas";

/// Largest read per call: well above any single registry record, so a
/// whole batch always fits (a truncated batch would stall the fold).
const READ_BYTES: usize = 8 << 20;

/// A boxed future of a log operation.
pub type LogFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, RegistryError>> + Send + 'a>>;

/// One record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Its offset.
    pub offset: i64,
    /// The key (JSON, see [`crate::record`]).
    pub key: Bytes,
    /// The value; `None` is a tombstone.
    pub value: Option<Bytes>,
}

/// What one read returned.
#[derive(Debug, Clone, Default)]
pub struct LogRead {
    /// Records at or after the offset asked for.
    pub records: Vec<LogRecord>,
    /// Where the next read should start.
    pub next_offset: i64,
}

/// An append-only, totally ordered log of key/value records.
pub trait SchemaLog: Send + Sync + fmt::Debug {
    /// Appends records in order; durable when the future completes (fsynced
    /// locally, `acks=all` remotely). Returns the last record's offset.
    fn append(&self, records: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> LogFuture<'_, i64>;
    /// Reads records from `from`; may return none, even before the end.
    fn read(&self, from: i64) -> LogFuture<'_, LogRead>;
    /// The offset after the last record.
    fn end_offset(&self) -> LogFuture<'_, i64>;
}

fn produce_records(records: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Vec<ProduceRecord> {
    records
        .into_iter()
        .map(|(k, v)| ProduceRecord {
            key: Some(Bytes::from(k)),
            value: v.map(Bytes::from),
            headers: Vec::new(),
            timestamp: None,
        })
        .collect()
}

fn decode(records: Bytes, from: i64, hw: i64) -> Result<LogRead, RegistryError> {
    let fetched = FetchedPartition {
        high_watermark: hw,
        last_stable_offset: hw,
        log_start_offset: -1,
        aborted_transactions: Vec::new(),
        records,
    };
    let decoded = decode_records(
        SCHEMAS_TOPIC,
        0,
        &fetched,
        from,
        IsolationLevel::ReadUncommitted,
    )
    .map_err(|e| RegistryError::Store(e.to_string()))?;
    Ok(LogRead {
        records: decoded
            .into_iter()
            .filter_map(|r| {
                Some(LogRecord {
                    offset: r.offset,
                    key: r.key?,
                    value: r.value,
                })
            })
            .collect(),
        next_offset: next_fetch_offset(&fetched, from),
    })
}

/// `_schemas` on the broker this process runs.
#[derive(Debug, Clone)]
pub struct LocalSchemaLog {
    broker: Arc<Broker>,
    topic: String,
}

impl LocalSchemaLog {
    /// Opens (creating if missing: one partition, compacted) the topic.
    ///
    /// # Errors
    /// [`RegistryError::Store`] when the topic cannot be created.
    pub fn open(broker: Arc<Broker>, topic: &str) -> Result<Self, RegistryError> {
        if broker.topic(topic).is_none() {
            let mut configs = BTreeMap::new();
            configs.insert("cleanup.policy".to_owned(), "compact".to_owned());
            match broker.create_topic(topic, 1, 1, configs) {
                Ok(_) => {}
                Err(e) if broker.topic(topic).is_some() => {
                    tracing::debug!("{topic} appeared meanwhile: {e}");
                }
                Err(e) => {
                    return Err(RegistryError::Store(format!("creating {topic}: {e}")));
                }
            }
        }
        Ok(Self {
            broker,
            topic: topic.to_owned(),
        })
    }

    fn topic(&self) -> Result<Arc<Topic>, RegistryError> {
        self.broker
            .topic(&self.topic)
            .ok_or_else(|| RegistryError::Store(format!("topic {} does not exist", self.topic)))
    }
}

impl SchemaLog for LocalSchemaLog {
    fn append(&self, records: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> LogFuture<'_, i64> {
        Box::pin(async move {
            let batch = encode_batch(&produce_records(records), Compression::None)
                .map_err(|e| RegistryError::Store(e.to_string()))?;
            let partition = self.topic()?.partition(0).ok_or_else(|| {
                RegistryError::Store(format!("{} has no partition 0", self.topic))
            })?;
            tokio::task::spawn_blocking(move || {
                let mut log = partition.log.write();
                let info = log
                    .append(BytesMut::from(&batch[..]), 0)
                    .map_err(|e| RegistryError::Store(e.to_string()))?;
                log.flush()
                    .map_err(|e| RegistryError::Store(e.to_string()))?;
                Ok(info.last_offset)
            })
            .await
            .map_err(|e| RegistryError::Store(e.to_string()))?
        })
    }

    fn read(&self, from: i64) -> LogFuture<'_, LogRead> {
        Box::pin(async move {
            let partition = self.topic()?.partition(0).ok_or_else(|| {
                RegistryError::Store(format!("{} has no partition 0", self.topic))
            })?;
            let (bytes, hw, start) = {
                let log = partition.log.read();
                let start = log.log_start_offset();
                let hw = log.log_end_offset();
                let from = from.max(start);
                if from >= hw {
                    return Ok(LogRead {
                        records: Vec::new(),
                        next_offset: from,
                    });
                }
                let bytes = log
                    .read(from, READ_BYTES, None)
                    .map_err(|e| RegistryError::Store(e.to_string()))?;
                (bytes, hw, from)
            };
            decode(bytes, start, hw)
        })
    }

    fn end_offset(&self) -> LogFuture<'_, i64> {
        Box::pin(async move {
            let partition = self.topic()?.partition(0).ok_or_else(|| {
                RegistryError::Store(format!("{} has no partition 0", self.topic))
            })?;
            Ok(partition.high_watermark())
        })
    }
}

/// `_schemas` on any Kafka cluster, through ferry's client (bootstrap
/// servers and client properties, as Confluent's `kafkastore.*`).
#[derive(Debug)]
pub struct KafkaSchemaLog {
    client: Client,
    topic: String,
}

impl KafkaSchemaLog {
    /// Connects and makes sure the topic exists (one partition, compacted;
    /// replication from the cluster's default).
    ///
    /// # Errors
    /// [`RegistryError::Store`] for connection or creation failures.
    pub async fn connect(config: ClientConfig, topic: &str) -> Result<Self, RegistryError> {
        let store = |e: ferry_client::Error| RegistryError::Store(e.to_string());
        let client = Client::connect(config).await.map_err(store)?;
        let mut new = NewTopic::new(topic, 1);
        new.configs
            .insert("cleanup.policy".to_owned(), "compact".to_owned());
        match client.create_topic(&new).await {
            Ok(_) | Err(ferry_client::Error::TopicAlreadyExists(_)) => {}
            Err(e) => return Err(store(e)),
        }
        Ok(Self {
            client,
            topic: topic.to_owned(),
        })
    }
}

impl SchemaLog for KafkaSchemaLog {
    fn append(&self, records: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> LogFuture<'_, i64> {
        Box::pin(async move {
            let records = produce_records(records);
            let count = i64::try_from(records.len()).unwrap_or(1);
            let ack = self
                .client
                .produce(&self.topic, 0, &records, Compression::None, Acks::All)
                .await
                .map_err(|e| RegistryError::Store(e.to_string()))?;
            Ok(ack.base_offset + count - 1)
        })
    }

    fn read(&self, from: i64) -> LogFuture<'_, LogRead> {
        Box::pin(async move {
            let fetched = self
                .client
                .fetch_raw(
                    &self.topic,
                    0,
                    from,
                    i32::try_from(READ_BYTES).unwrap_or(i32::MAX),
                    IsolationLevel::ReadUncommitted,
                )
                .await
                .map_err(|e| RegistryError::Store(e.to_string()))?;
            decode(fetched.records, from, fetched.high_watermark)
        })
    }

    fn end_offset(&self) -> LogFuture<'_, i64> {
        Box::pin(async move {
            let key = (self.topic.clone(), 0);
            let offsets = self
                .client
                .list_offsets(
                    std::slice::from_ref(&key),
                    OffsetSpec::Latest,
                    IsolationLevel::ReadUncommitted,
                )
                .await
                .map_err(|e| RegistryError::Store(e.to_string()))?;
            Ok(offsets.get(&key).map_or(0, |o| o.offset))
        })
    }
}
