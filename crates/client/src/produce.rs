//! Produce: records into partitions.
//!
//! Records are encoded into one v2 record batch (kafka-protocol's encoder, any
//! codec) and sent to the partition's leader; [`Client::produce_raw`] sends
//! already-encoded batches untouched. The default partitioner matches Kafka's
//! Java client for keyed records (murmur2 of the key, positive, modulo the
//! partition count), so keys land where other Kafka producers put them.

use bytes::{Bytes, BytesMut};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, Record,
    RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use crate::client::{Client, topic_name};
use crate::error::{Error, Result};

/// A record to produce.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProduceRecord {
    /// The key, if any.
    pub key: Option<Bytes>,
    /// The value; `None` produces a tombstone.
    pub value: Option<Bytes>,
    /// Headers, in order.
    pub headers: Vec<(String, Option<Bytes>)>,
    /// Creation timestamp in ms; `None` means now.
    pub timestamp: Option<i64>,
}

/// Kafka's `acks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Acks {
    /// Wait for the leader only.
    Leader,
    /// Wait for all in-sync replicas (`acks=all`, -1).
    #[default]
    All,
}

impl Acks {
    fn code(self) -> i16 {
        match self {
            Self::Leader => 1,
            Self::All => -1,
        }
    }
}

/// Where a produced batch landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProduceAck {
    /// Offset assigned to the first record.
    pub base_offset: i64,
    /// Log-append time when the topic uses it, else -1.
    pub log_append_time_ms: i64,
}

/// Encodes `records` as one or more v2 record batches (non-idempotent).
///
/// # Errors
/// [`Error::Protocol`] when the encoder refuses (e.g. a codec failure).
pub fn encode_batch(records: &[ProduceRecord], compression: Compression) -> Result<Bytes> {
    let now = now_ms();
    let records: Vec<Record> = records
        .iter()
        .enumerate()
        .map(|(i, r)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
            producer_id: NO_PRODUCER_ID,
            producer_epoch: NO_PRODUCER_EPOCH,
            timestamp_type: TimestampType::Creation,
            offset: i64::try_from(i).unwrap_or(i64::MAX),
            // The encoder starts a new batch whenever `offset - sequence`
            // changes and writes the first record's sequence as the batch's
            // base sequence; counting up from -1 keeps one batch whose base
            // sequence is -1 (no producer id).
            sequence: NO_SEQUENCE.wrapping_add(i32::try_from(i).unwrap_or(i32::MAX)),
            timestamp: r.timestamp.unwrap_or(now),
            key: r.key.clone(),
            value: r.value.clone(),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (StrBytes::from_string(k.clone()), v.clone()))
                .collect::<IndexMap<_, _>>(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression,
        },
    )
    .map_err(|e| Error::Protocol(format!("encode record batch: {e}")))?;
    Ok(buf.freeze())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Kafka's murmur2 (the Java client's `Utils.murmur2`), seed 0x9747b28c.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    let mut h: u32 = SEED ^ (len as u32);
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if let Some(&b) = tail.first() {
        h ^= u32::from(b);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition Kafka's default partitioner picks for `key`.
pub fn partition_for_key(key: &[u8], partitions: i32) -> i32 {
    if partitions <= 0 {
        return 0;
    }
    (murmur2(key) & 0x7fff_ffff) % partitions
}

impl Client {
    /// Produces `records` to one partition as a single batch.
    ///
    /// # Errors
    /// Kafka errors (e.g. MESSAGE_TOO_LARGE), [`Error::UnknownTopic`];
    /// stale leadership is retried.
    pub async fn produce(
        &self,
        topic: &str,
        partition: i32,
        records: &[ProduceRecord],
        compression: Compression,
        acks: Acks,
    ) -> Result<ProduceAck> {
        let batch = encode_batch(records, compression)?;
        self.produce_raw(topic, partition, batch, acks).await
    }

    /// Sends already-encoded record batches to one partition, unchanged.
    ///
    /// # Errors
    /// As for [`produce`](Self::produce).
    pub async fn produce_raw(
        &self,
        topic: &str,
        partition: i32,
        batches: Bytes,
        acks: Acks,
    ) -> Result<ProduceAck> {
        let context = format!("produce to {topic}-{partition}");
        self.retry(&context, || async {
            let conn = self.leader(topic, partition).await?;
            let id = self.topic_metadata(topic).await?.topic_id;
            let mut version = conn.version_for::<ProduceRequest>()?;
            if id.is_nil() {
                version = version.min(12);
            }
            let request = ProduceRequest::default()
                .with_acks(acks.code())
                .with_timeout_ms(
                    i32::try_from(self.config().request_timeout.as_millis()).unwrap_or(i32::MAX),
                )
                .with_topic_data(vec![
                    TopicProduceData::default()
                        .with_name(topic_name(topic))
                        .with_topic_id(id)
                        .with_partition_data(vec![
                            PartitionProduceData::default()
                                .with_index(partition)
                                .with_records(Some(batches.clone())),
                        ]),
                ]);
            let response: ProduceResponse = conn.call_at(&request, version).await?;
            let p = response
                .responses
                .iter()
                .find(|t| t.name.0.as_str() == topic || (!id.is_nil() && t.topic_id == id))
                .and_then(|t| t.partition_responses.iter().find(|p| p.index == partition))
                .ok_or_else(|| {
                    Error::Protocol(format!("produce response has no {topic}-{partition}"))
                })?;
            if p.error_code != 0 {
                let detail = p
                    .error_message
                    .as_ref()
                    .map(|m| m.as_str().to_owned())
                    .or_else(|| {
                        p.record_errors.first().and_then(|e| {
                            e.batch_index_error_message
                                .as_ref()
                                .map(|m| m.as_str().to_owned())
                        })
                    });
                return Err(Error::kafka(
                    p.error_code,
                    detail.as_deref(),
                    context.clone(),
                ));
            }
            Ok(ProduceAck {
                base_offset: p.base_offset,
                log_append_time_ms: p.log_append_time_ms,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafka() {
        // Values from Kafka's UtilsTest.testMurmur2.
        assert_eq!(murmur2(b"21"), -973932308);
        assert_eq!(murmur2(b"foobar"), -790332482);
        assert_eq!(murmur2(b"a-little-bit-long-string"), -985981536);
        assert_eq!(murmur2(b"a-little-bit-longer-string"), -1486304829);
        assert_eq!(
            murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"),
            -58897971
        );
        assert_eq!(murmur2(b"abc"), 479470107);
        assert!((0..6).contains(&partition_for_key(b"order-17", 6)));
    }

    #[test]
    fn encoded_batch_is_valid_and_decodable() {
        let records = vec![
            ProduceRecord {
                key: Some(Bytes::from_static(b"k")),
                value: Some(Bytes::from_static(b"v1")),
                headers: vec![("h".into(), Some(Bytes::from_static(b"x")))],
                timestamp: Some(5),
            },
            ProduceRecord {
                value: Some(Bytes::from_static(b"v2")),
                ..ProduceRecord::default()
            },
        ];
        let bytes = encode_batch(&records, Compression::Snappy).unwrap();
        let header = ferry_protocol::batch::validate(&bytes).unwrap();
        assert_eq!(header.record_count, 2);
        let mut b = bytes.clone();
        let set = kafka_protocol::records::RecordBatchDecoder::decode(&mut b).unwrap();
        assert_eq!(set.records[0].timestamp, 5);
        assert_eq!(set.records[1].value.as_deref(), Some(&b"v2"[..]));
        assert_eq!(set.records[0].headers.len(), 1);
    }
}
