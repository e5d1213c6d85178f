//! Partition data path against a real log in a temporary directory.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ferry_log::{LogConfig, PartitionLog};
use ferry_protocol::batch::BatchIter;
use kafka_protocol::ResponseError;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use super::*;

/// One batch of `n` records from producer `pid`/`epoch` starting at `seq`.
pub(crate) fn batch(pid: i64, epoch: i16, seq: i32, n: usize, transactional: bool) -> Bytes {
    let records: Vec<Record> = (0..n)
        .map(|i| Record {
            transactional,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: pid,
            producer_epoch: epoch,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // kafka_protocol's encoder splits batches where sequences stop
            // following offsets, so non-idempotent records count up too.
            sequence: seq + i as i32,
            timestamp: 1_700_000_000_000 + i as i64,
            key: None,
            value: Some(Bytes::from(format!("p{pid}-s{}", seq + i as i32))),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .unwrap();
    buf.freeze()
}

fn open(dir: &std::path::Path) -> Partition {
    let log = PartitionLog::open(dir, LogConfig::default()).unwrap();
    Partition::new("t", 0, log, Arc::new(tokio::sync::Notify::new()))
}

fn no_txn(_: &BatchHeader) -> Result<(), AppendError> {
    Ok(())
}

fn produce(p: &Partition, bytes: &Bytes) -> Result<Appended, AppendError> {
    p.append_produce(bytes, 1 << 20, no_txn)
}

#[test]
fn duplicates_are_acknowledged_with_original_offsets_and_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    let b0 = batch(1, 0, 0, 3, false);
    let b1 = batch(1, 0, 3, 2, false);
    assert_eq!(produce(&p, &b0).unwrap().base_offset, 0);
    assert_eq!(produce(&p, &b1).unwrap().base_offset, 3);
    let again = produce(&p, &b0).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.base_offset, 0);
    assert_eq!(p.high_watermark(), 5, "the retry wrote nothing");
    let gap = produce(&p, &batch(1, 0, 9, 1, false)).unwrap_err();
    assert_eq!(gap.error(), ResponseError::OutOfOrderSequenceNumber);
    assert_eq!(
        produce(&p, &batch(1, 0, 5, 1, false)).unwrap().base_offset,
        5
    );
}

#[test]
fn client_batches_are_checked_like_kafka() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    let one = batch(-1, -1, 0, 2, false);
    let mut two = BytesMut::from(&one[..]);
    two.extend_from_slice(&one);
    assert_eq!(
        produce(&p, &two.freeze()).unwrap_err().error(),
        ResponseError::InvalidRecord
    );
    let mut corrupt = BytesMut::from(&one[..]);
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    assert_eq!(
        produce(&p, &corrupt.freeze()).unwrap_err().error(),
        ResponseError::CorruptMessage
    );
    let too_big = p
        .append_produce(&one, (one.len() - 1) as i64, no_txn)
        .unwrap_err();
    assert_eq!(too_big.error(), ResponseError::MessageTooLarge);
    let marker = marker_batch(1, 0, true, 0, 0);
    assert_eq!(
        produce(&p, &marker.freeze()).unwrap_err().error(),
        ResponseError::InvalidRecord
    );
    assert_eq!(
        produce(&p, &Bytes::new()).unwrap_err().error(),
        ResponseError::InvalidRecord
    );
    assert_eq!(p.high_watermark(), 0, "nothing invalid was written");
    // The transactional check runs for transactional batches only.
    let refuse = |_: &BatchHeader| {
        Err(AppendError::Txn(
            ResponseError::InvalidTxnState,
            "no".into(),
        ))
    };
    let t = batch(3, 0, 0, 1, true);
    assert_eq!(
        p.append_produce(&t, 1 << 20, refuse).unwrap_err().error(),
        ResponseError::InvalidTxnState
    );
    assert!(p.append_produce(&one, 1 << 20, refuse).is_ok());
}

/// Two transactions interleaved with plain data: producer 10 aborts, 20
/// commits, and the reads at each isolation level see what they should.
fn interleaved(p: &Partition) {
    produce(p, &batch(-1, -1, 0, 2, false)).unwrap(); // 0-1
    produce(p, &batch(10, 0, 0, 2, true)).unwrap(); // 2-3 (txn 10)
    produce(p, &batch(20, 0, 0, 1, true)).unwrap(); // 4 (txn 20)
    produce(p, &batch(-1, -1, 0, 1, false)).unwrap(); // 5
    assert_eq!(p.last_stable_offset(), 2);
    assert_eq!(p.append_marker(20, 0, true, 0, 0).unwrap(), 6);
    assert_eq!(p.last_stable_offset(), 2, "txn 10 still open");
    produce(p, &batch(10, 0, 2, 1, true)).unwrap(); // 7
    assert_eq!(p.append_marker(10, 0, false, 0, 0).unwrap(), 8);
    assert_eq!(p.last_stable_offset(), 9);
}

fn offsets(records: &Bytes) -> Vec<i64> {
    BatchIter::new(records.clone())
        .flatten()
        .map(|(h, _)| h.base_offset)
        .collect()
}

#[test]
fn read_committed_stops_at_the_lso_and_reports_aborted_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    produce(&p, &batch(-1, -1, 0, 2, false)).unwrap();
    produce(&p, &batch(10, 0, 0, 2, true)).unwrap();
    let rc = p.read_for_fetch(0, 1 << 20, true, true).unwrap();
    assert_eq!(
        offsets(&rc.records),
        [0],
        "nothing at or after the open transaction"
    );
    assert_eq!((rc.last_stable_offset, rc.high_watermark), (2, 4));
    let rc = p.read_for_fetch(2, 1 << 20, true, true).unwrap();
    assert!(rc.records.is_empty());
    let ru = p.read_for_fetch(0, 1 << 20, false, true).unwrap();
    assert_eq!(offsets(&ru.records), [0, 2]);
    assert!(ru.aborted.is_none());

    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    interleaved(&p);
    let rc = p.read_for_fetch(0, 1 << 20, true, true).unwrap();
    assert_eq!(offsets(&rc.records), [0, 2, 4, 5, 6, 7, 8]);
    let aborted = rc.aborted.unwrap();
    assert_eq!(
        aborted,
        vec![AbortedTxn {
            producer_id: 10,
            first_offset: 2,
            last_offset: 8
        }]
    );
    // A fetch past the aborted transaction's marker is told nothing about it.
    assert_eq!(
        p.read_for_fetch(9, 1 << 20, true, true).unwrap().aborted,
        Some(vec![])
    );
    assert!(matches!(
        p.read_for_fetch(10, 1 << 20, true, true),
        Err(ReadError::OutOfRange { .. })
    ));
}

#[test]
fn state_is_rebuilt_from_the_log_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let p = open(dir.path());
        interleaved(&p);
        produce(&p, &batch(30, 2, 0, 3, false)).unwrap(); // 9-11
        produce(&p, &batch(40, 0, 0, 1, true)).unwrap(); // 12, left open
        p.log.write().flush().unwrap();
    }
    let p = open(dir.path());
    assert_eq!(
        p.last_stable_offset(),
        12,
        "producer 40's transaction is still open"
    );
    assert_eq!(p.open_transactions(), vec![(40, 0)]);
    let rc = p.read_for_fetch(0, 1 << 20, true, true).unwrap();
    assert_eq!(
        rc.aborted.unwrap(),
        vec![AbortedTxn {
            producer_id: 10,
            first_offset: 2,
            last_offset: 8
        }],
        "the ABORT marker was told apart from the COMMIT marker"
    );
    // Idempotence survives: a retry of producer 30's batch is a duplicate.
    let dup = produce(&p, &batch(30, 2, 0, 3, false)).unwrap();
    assert!(dup.duplicate);
    assert_eq!(dup.base_offset, 9);
    assert_eq!(
        produce(&p, &batch(30, 1, 3, 1, false)).unwrap_err().error(),
        ResponseError::InvalidProducerEpoch
    );
    assert_eq!(
        produce(&p, &batch(30, 2, 3, 1, false)).unwrap().base_offset,
        13
    );
    // Producer 40 closes its transaction after the restart.
    p.append_marker(40, 0, true, 0, 0).unwrap();
    assert_eq!(p.last_stable_offset(), 15);
}

#[test]
fn mirrored_batches_update_the_transaction_index() {
    let src_dir = tempfile::tempdir().unwrap();
    let src = open(src_dir.path());
    interleaved(&src);
    let all = src.read_for_fetch(0, 1 << 20, false, true).unwrap().records;
    let dir = tempfile::tempdir().unwrap();
    let mirror = open(dir.path());
    mirror.append_mirrored(all.clone()).unwrap();
    assert_eq!(mirror.high_watermark(), 9);
    let rc = mirror.read_for_fetch(0, 1 << 20, true, true).unwrap();
    assert_eq!(rc.records, all, "mirror bytes are the source's bytes");
    assert_eq!(rc.aborted.unwrap().len(), 1);
}

#[test]
fn delete_records_moves_the_low_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    produce(&p, &batch(-1, -1, 0, 5, false)).unwrap();
    assert!(matches!(
        p.delete_records(6),
        Err(ReadError::OutOfRange { .. })
    ));
    assert_eq!(p.delete_records(3).unwrap(), 3);
    assert_eq!(p.delete_records(1).unwrap(), 3, "never moves back");
    assert_eq!(p.delete_records(-1).unwrap(), 5);
    assert_eq!(p.log_start_offset(), 5);
    assert!(matches!(
        p.read_for_fetch(2, 100, false, true),
        Err(ReadError::OutOfRange { .. })
    ));
}

#[test]
fn only_the_first_partition_may_exceed_the_byte_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    let b = batch(-1, -1, 0, 20, false);
    produce(&p, &b).unwrap();
    let first = p.read_for_fetch(0, 10, false, true).unwrap();
    assert_eq!(
        first.records.len(),
        b.len(),
        "KIP-74: the first batch comes whole"
    );
    let later = p.read_for_fetch(0, 10, false, false).unwrap();
    assert!(later.records.is_empty());
}
