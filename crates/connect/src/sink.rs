//! Writing generated records into a topic of the broker this process runs:
//! the topic is created with the broker's defaults when missing, keyed
//! records go to the partition Kafka's Java producer would pick (murmur2 of
//! the key bytes), records without a key to a random partition per batch.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ferry_broker::Broker;
use ferry_broker::topic::Topic;
use ferry_client::ProduceRecord;
use ferry_client::produce::{encode_batch, partition_for_key};
use kafka_protocol::records::Compression;

/// Most records in one appended batch.
pub const MAX_BATCH_RECORDS: usize = 500;

/// How often an append is retried when another writer moved the log end
/// between reading it and appending.
const APPEND_ATTEMPTS: usize = 16;

/// The topic a connector writes to, on the local broker.
#[derive(Debug, Clone)]
pub struct LocalTopic {
    broker: Arc<Broker>,
    name: String,
}

impl LocalTopic {
    /// Finds or creates the topic (the broker's `num.partitions`, default
    /// configs). A mirror topic is refused: it is read-only.
    ///
    /// # Errors
    /// Why the topic cannot be written, as text for the task's trace.
    pub fn open(broker: Arc<Broker>, name: &str) -> Result<Self, String> {
        let topic = match broker.topic(name) {
            Some(t) => t,
            None => match broker.create_topic(name, -1, -1, BTreeMap::new()) {
                Ok(t) => {
                    tracing::info!(topic = name, "connector created its topic");
                    t
                }
                Err(e) => broker
                    .topic(name)
                    .ok_or_else(|| format!("cannot create topic {name}: {e}"))?,
            },
        };
        if topic.is_mirror() {
            return Err(format!(
                "topic {name} is a mirror topic of a cluster link and is read-only"
            ));
        }
        Ok(Self {
            broker,
            name: name.to_owned(),
        })
    }

    fn topic(&self) -> Result<Arc<Topic>, String> {
        let topic = self
            .broker
            .topic(&self.name)
            .ok_or_else(|| format!("topic {} no longer exists", self.name))?;
        if topic.is_mirror() {
            return Err(format!("topic {} became a mirror topic", self.name));
        }
        Ok(topic)
    }

    /// The partition count now (it may grow while the connector runs).
    ///
    /// # Errors
    /// When the topic is gone.
    pub fn partitions(&self) -> Result<i32, String> {
        Ok(self.topic()?.partition_count())
    }

    /// Appends `records` (in order within each partition), one batch per
    /// partition. Blocking: call from a blocking thread.
    ///
    /// # Errors
    /// Storage errors and a deleted topic, as text for the task's trace.
    pub fn append(&self, records: Vec<ProduceRecord>) -> Result<(), String> {
        let topic = self.topic()?;
        let partitions = topic.partition_count().max(1);
        let unkeyed = rand::random_range(0..partitions);
        let mut by_partition: BTreeMap<i32, Vec<ProduceRecord>> = BTreeMap::new();
        for r in records {
            let p = r
                .key
                .as_ref()
                .map_or(unkeyed, |k| partition_for_key(k, partitions));
            by_partition.entry(p).or_default().push(r);
        }
        for (p, records) in by_partition {
            let partition = topic
                .partition(p)
                .ok_or_else(|| format!("{} has no partition {p}", self.name))?;
            let batch = encode_batch(&records, Compression::None).map_err(|e| e.to_string())?;
            append_at_end(&partition, &batch)?;
        }
        Ok(())
    }
}

/// Appends one encoded batch at the partition's log end through the
/// partition's append that wakes waiting fetches. The batch's base offset
/// is set to the end read just before; if another writer got in between,
/// the log refuses the offset and the append is retried.
fn append_at_end(
    partition: &ferry_broker::partition::Partition,
    batch: &Bytes,
) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..APPEND_ATTEMPTS {
        let end = partition.high_watermark();
        let mut bytes = BytesMut::from(&batch[..]);
        let Some(base) = bytes.get_mut(0..8) else {
            return Err("encoded batch is too short".into());
        };
        base.copy_from_slice(&end.to_be_bytes());
        // partitionLeaderEpoch (bytes 12..16, outside the CRC): 0, as
        // produced batches get on this single-node broker.
        if let Some(leader_epoch) = bytes.get_mut(12..16) {
            leader_epoch.copy_from_slice(&0i32.to_be_bytes());
        }
        match partition.append_mirrored(bytes.freeze()) {
            Ok(_) => return Ok(()),
            Err(ferry_log::LogError::OffsetOutOfOrder { .. }) => {
                last = "the log end moved during the append".into();
            }
            Err(e) => {
                return Err(format!(
                    "append to {}-{}: {e}",
                    partition.topic, partition.index
                ));
            }
        }
    }
    Err(format!(
        "append to {}-{}: {last} ({APPEND_ATTEMPTS} attempts)",
        partition.topic, partition.index
    ))
}
