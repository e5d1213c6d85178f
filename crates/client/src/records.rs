//! Decoding fetched record batches into records, as a consumer sees them.
//!
//! The raw bytes of a Fetch response are a run of record batches that may end
//! in a truncated batch (the broker cuts at `max_bytes`). Decoding walks whole
//! batches with [`ferry_protocol::BatchIter`], then:
//! - skips control batches (transaction COMMIT/ABORT markers);
//! - under read_committed, skips the data of aborted transactions, using the
//!   response's aborted-transaction list the way Kafka's consumer does: a
//!   producer's transactional batches are dropped from the aborted
//!   transaction's first offset until that producer's ABORT marker;
//! - drops records below the fetch offset (a batch can start before it).

use std::collections::{BTreeMap, HashSet};

use bytes::Bytes;
use ferry_protocol::{BatchHeader, BatchIter};
use kafka_protocol::records::RecordBatchDecoder;

use crate::error::{Error, Result};
use crate::fetch::{AbortedTransaction, FetchedPartition, IsolationLevel};

/// One record as a consumer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRecord {
    /// The record's offset.
    pub offset: i64,
    /// Its timestamp (creation or log-append time, per the batch).
    pub timestamp: i64,
    /// The key, if any.
    pub key: Option<Bytes>,
    /// The value; `None` is a tombstone.
    pub value: Option<Bytes>,
    /// Headers, in order.
    pub headers: Vec<(String, Option<Bytes>)>,
}

/// Largest record count accepted per batch relative to its size: a record
/// needs at least 7 bytes uncompressed, and no codec compresses beyond
/// ~1000:1 on such records. A batch claiming more is corrupt; refusing it keeps
/// the decoder from reserving memory for billions of records.
const MAX_RECORDS_PER_BATCH_BYTE: i64 = 1024;

/// Decodes the records of `fetched` from offset `from` on.
///
/// # Errors
/// [`Error::Records`] when a whole batch is malformed (bad magic, CRC, codec).
/// A truncated trailing batch is not an error; it is left for the next fetch.
pub fn decode_records(
    topic: &str,
    partition: i32,
    fetched: &FetchedPartition,
    from: i64,
    isolation: IsolationLevel,
) -> Result<Vec<ConsumerRecord>> {
    let mut aborted = AbortTracker::new(match isolation {
        IsolationLevel::ReadCommitted => &fetched.aborted_transactions,
        IsolationLevel::ReadUncommitted => &[],
    });
    let mut out = Vec::new();
    for item in BatchIter::new(fetched.records.clone()) {
        let bad = |offset: i64, reason: String| Error::Records {
            topic: topic.to_owned(),
            partition,
            offset,
            reason,
        };
        let (header, bytes) = item.map_err(|e| bad(from, e.to_string()))?;
        if header.next_offset() <= from {
            continue;
        }
        let skip = aborted.skip(&header);
        if header.is_control() {
            if header.is_transactional() && is_abort_marker(&bytes) {
                aborted.end(header.producer_id);
            }
            continue;
        }
        if skip {
            continue;
        }
        check_record_count(&header).map_err(|r| bad(header.base_offset, r))?;
        let mut buf = bytes;
        let set = RecordBatchDecoder::decode(&mut buf)
            .map_err(|e| bad(header.base_offset, e.to_string()))?;
        for r in set.records {
            if r.offset < from {
                continue;
            }
            out.push(ConsumerRecord {
                offset: r.offset,
                timestamp: r.timestamp,
                key: r.key,
                value: r.value,
                headers: r
                    .headers
                    .into_iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v))
                    .collect(),
            });
        }
    }
    Ok(out)
}

/// The offset a consumer should fetch next after `fetched`: past the last whole
/// batch (control and aborted batches included), or `from` when there is none.
pub fn next_fetch_offset(fetched: &FetchedPartition, from: i64) -> i64 {
    let mut next = from;
    for (header, _) in BatchIter::new(fetched.records.clone()).flatten() {
        next = next.max(header.next_offset());
    }
    next
}

fn check_record_count(header: &BatchHeader) -> std::result::Result<(), String> {
    header.check_counts().map_err(|e| e.to_string())?;
    let limit = i64::from(header.batch_length).saturating_mul(MAX_RECORDS_PER_BATCH_BYTE);
    if i64::from(header.record_count) > limit {
        return Err(format!(
            "batch claims {} records in {} bytes",
            header.record_count, header.batch_length
        ));
    }
    Ok(())
}

/// True when a control batch holds an ABORT marker. The control record's key
/// is `version: i16, type: i16` with type 0 = ABORT, 1 = COMMIT.
fn is_abort_marker(batch: &Bytes) -> bool {
    let mut buf = batch.clone();
    match RecordBatchDecoder::decode(&mut buf) {
        Ok(set) => set.records.iter().any(|r| {
            r.key
                .as_ref()
                .and_then(|k| k.get(2..4))
                .is_some_and(|t| i16::from_be_bytes([t[0], t[1]]) == 0)
        }),
        Err(_) => false,
    }
}

/// Tracks which producers are inside an aborted transaction as batches go by.
struct AbortTracker {
    /// Aborted transactions not yet reached, by first offset.
    upcoming: BTreeMap<i64, Vec<i64>>,
    /// Producers whose current transaction is aborted.
    active: HashSet<i64>,
}

impl AbortTracker {
    fn new(list: &[AbortedTransaction]) -> Self {
        let mut upcoming: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for t in list {
            upcoming
                .entry(t.first_offset)
                .or_default()
                .push(t.producer_id);
        }
        Self {
            upcoming,
            active: HashSet::new(),
        }
    }

    /// Whether `header`'s batch belongs to an aborted transaction.
    fn skip(&mut self, header: &BatchHeader) -> bool {
        // Every aborted transaction that starts at or before this batch's last
        // offset is open from here on.
        while let Some(entry) = self.upcoming.first_entry() {
            if *entry.key() > header.last_offset() {
                break;
            }
            self.active.extend(entry.remove());
        }
        header.is_transactional() && self.active.contains(&header.producer_id)
    }

    /// The producer's ABORT marker closes its aborted transaction.
    fn end(&mut self, producer_id: i64) {
        self.active.remove(&producer_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    fn record(offset: i64, pid: i64, txn: bool, control: bool, value: &[u8]) -> Record {
        Record {
            transactional: txn,
            control,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: pid,
            producer_epoch: if pid >= 0 { 0 } else { -1 },
            timestamp_type: TimestampType::Creation,
            offset,
            sequence: if pid >= 0 { offset as i32 } else { -1 },
            timestamp: 1_700_000_000_000 + offset,
            key: None,
            value: Some(Bytes::copy_from_slice(value)),
            headers: Default::default(),
        }
    }

    fn batch(records: &[Record], compression: Compression) -> Bytes {
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            records,
            &RecordEncodeOptions {
                version: 2,
                compression,
            },
        )
        .unwrap();
        buf.freeze()
    }

    fn marker(offset: i64, pid: i64, commit: bool) -> Bytes {
        let mut r = record(offset, pid, true, true, &[0, 0, 0, 0, 0, 0]);
        r.key = Some(Bytes::from(vec![0, 0, 0, u8::from(commit)]));
        batch(&[r], Compression::None)
    }

    /// Producer 1 commits offsets 0-1 (marker 2); producer 2 aborts 3-4
    /// (marker 6) while producer 1's second transaction 5 commits (marker 7);
    /// then a non-transactional record at 8.
    fn log() -> (Bytes, Vec<AbortedTransaction>) {
        let mut all = BytesMut::new();
        all.extend_from_slice(&batch(
            &[
                record(0, 1, true, false, b"c0"),
                record(1, 1, true, false, b"c1"),
            ],
            Compression::None,
        ));
        all.extend_from_slice(&marker(2, 1, true));
        all.extend_from_slice(&batch(
            &[
                record(3, 2, true, false, b"a3"),
                record(4, 2, true, false, b"a4"),
            ],
            Compression::Zstd,
        ));
        all.extend_from_slice(&batch(
            &[record(5, 1, true, false, b"c5")],
            Compression::Lz4,
        ));
        all.extend_from_slice(&marker(6, 2, false));
        all.extend_from_slice(&marker(7, 1, true));
        all.extend_from_slice(&batch(
            &[record(8, -1, false, false, b"n8")],
            Compression::Gzip,
        ));
        let aborted = vec![AbortedTransaction {
            producer_id: 2,
            first_offset: 3,
        }];
        (all.freeze(), aborted)
    }

    fn fetched(records: Bytes, aborted: Vec<AbortedTransaction>) -> FetchedPartition {
        FetchedPartition {
            high_watermark: 9,
            last_stable_offset: 9,
            log_start_offset: 0,
            aborted_transactions: aborted,
            records,
        }
    }

    fn values(rs: &[ConsumerRecord]) -> Vec<(i64, String)> {
        rs.iter()
            .map(|r| {
                (
                    r.offset,
                    String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn read_committed_skips_aborted_and_control() {
        let (bytes, aborted) = log();
        let f = fetched(bytes, aborted);
        let rs = decode_records("t", 0, &f, 0, IsolationLevel::ReadCommitted).unwrap();
        assert_eq!(
            values(&rs),
            vec![
                (0, "c0".into()),
                (1, "c1".into()),
                (5, "c5".into()),
                (8, "n8".into())
            ]
        );
        assert_eq!(next_fetch_offset(&f, 0), 9);
    }

    #[test]
    fn read_uncommitted_sees_aborted_data_but_no_markers() {
        let (bytes, aborted) = log();
        let f = fetched(bytes, aborted);
        let rs = decode_records("t", 0, &f, 0, IsolationLevel::ReadUncommitted).unwrap();
        let offsets: Vec<i64> = rs.iter().map(|r| r.offset).collect();
        assert_eq!(offsets, vec![0, 1, 3, 4, 5, 8]);
    }

    #[test]
    fn truncated_tail_is_left_for_next_fetch_and_from_offset_applies() {
        let (bytes, aborted) = log();
        let cut = bytes.slice(..bytes.len() - 5);
        let f = fetched(cut, aborted);
        let rs = decode_records("t", 0, &f, 1, IsolationLevel::ReadCommitted).unwrap();
        assert_eq!(values(&rs), vec![(1, "c1".into()), (5, "c5".into())]);
        assert_eq!(next_fetch_offset(&f, 1), 8);
    }

    #[test]
    fn corrupt_batch_is_an_error() {
        let (bytes, aborted) = log();
        let mut b = BytesMut::from(&bytes[..]);
        let last = b.len() - 1;
        b[last] ^= 0x55;
        let f = fetched(b.freeze(), aborted);
        let err = decode_records("t", 0, &f, 0, IsolationLevel::ReadUncommitted).unwrap_err();
        assert!(err.to_string().contains("t-0"), "{err}");
    }
}
