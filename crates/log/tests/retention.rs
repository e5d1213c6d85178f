//! Log start offset (DeleteRecords), retention by time and size, batch
//! headers for producer-state rebuilds, delete and flush.

mod common;

use common::*;
use ferry_log::{LogConfig, LogError, PartitionLog};
use kafka_protocol::records::Compression;

const DAY: i64 = 24 * 60 * 60 * 1000;
const NOW: i64 = 1_800_000_000_000;

/// 10 segments of 3 batches x 2 records; segment `i` has timestamps
/// around `NOW - (10 - i) days`.
fn ten_segments(dir: &std::path::Path, config: LogConfig) -> PartitionLog {
    let one = batch(2, Compression::None, 0);
    let config = LogConfig {
        segment_bytes: one.len() as u64 * 3,
        ..config
    };
    let mut log = PartitionLog::open(dir, config).unwrap();
    for i in 0..30 {
        let ts = NOW - (10 - i / 3) * DAY + i;
        log.append(mut_bytes(&batch(2, Compression::None, ts)), 0)
            .unwrap();
    }
    assert_eq!(
        log.segment_base_offsets(),
        (0..10).map(|i| i * 6).collect::<Vec<_>>()
    );
    log
}

#[test]
fn advance_log_start_persists_and_deletes_covered_segments() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = ten_segments(dir.path(), LogConfig::default());
    assert_eq!(log.advance_log_start_offset(3).unwrap(), 3);
    assert_eq!(
        log.segment_base_offsets().len(),
        10,
        "mid-segment: nothing deleted"
    );
    assert!(matches!(
        log.read(2, 100, None),
        Err(LogError::OffsetOutOfRange {
            offset: 2,
            start: 3,
            ..
        })
    ));
    assert_eq!(
        split(&log.read(3, 1, None).unwrap())[0].0,
        2,
        "containing batch, as Kafka"
    );
    assert_eq!(log.advance_log_start_offset(1).unwrap(), 3, "never down");
    assert_eq!(log.advance_log_start_offset(13).unwrap(), 13);
    assert_eq!(log.segment_base_offsets()[0], 12);
    assert_eq!(files_with(dir.path(), ".log").len(), 8);
    assert_eq!(files_with(dir.path(), ".index").len(), 8);
    drop(log);
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!(log.log_start_offset(), 13, "persisted");
    assert_eq!(
        log.advance_log_start_offset(1000).unwrap(),
        60,
        "never past the end"
    );
    assert_eq!(log.segment_base_offsets(), [54], "the active segment stays");
    assert!(log.read(60, 100, None).unwrap().is_empty());
    assert_eq!(log.offset_for_timestamp(0).unwrap(), None);
    assert_eq!(log.max_timestamp_offset().unwrap(), None);
    drop(log);
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (60, 60));
    // Appends continue after it.
    assert_eq!(
        log.append(mut_bytes(&batch(1, Compression::None, 0)), 0)
            .unwrap()
            .base_offset,
        60
    );
}

#[test]
fn time_retention_deletes_old_segments_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        retention_ms: 7 * DAY + DAY / 2,
        ..LogConfig::default()
    };
    let mut log = ten_segments(dir.path(), config.clone());
    // Segments 0, 1, 2 hold data older than 7.5 days.
    assert_eq!(log.enforce_retention(NOW).unwrap(), 3);
    assert_eq!(log.segment_base_offsets()[0], 18);
    assert_eq!(log.log_start_offset(), 18);
    assert_eq!(log.enforce_retention(NOW).unwrap(), 0, "idempotent");
    drop(log);
    let log = PartitionLog::open(dir.path(), config).unwrap();
    assert_eq!(log.log_start_offset(), 18);
    assert_eq!(read_all(&log, 18).len(), 21);
}

#[test]
fn time_retention_rolls_and_deletes_the_active_segment_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = ten_segments(dir.path(), LogConfig::default());
    let mut config = log.config().clone();
    config.retention_ms = DAY / 2;
    log.set_config(config);
    assert_eq!(log.enforce_retention(NOW + DAY).unwrap(), 10);
    assert_eq!(log.segment_base_offsets(), [60]);
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (60, 60));
    assert_eq!(log.size_bytes(), 0);
    assert_eq!(
        log.enforce_retention(NOW + 2 * DAY).unwrap(),
        0,
        "an empty active segment stays"
    );
    assert_eq!(
        log.append(mut_bytes(&batch(1, Compression::None, NOW)), 0)
            .unwrap()
            .base_offset,
        60
    );
}

#[test]
fn unlimited_retention_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        retention_ms: -1,
        retention_bytes: -1,
        ..LogConfig::default()
    };
    let mut log = ten_segments(dir.path(), config);
    assert_eq!(log.enforce_retention(i64::MAX).unwrap(), 0);
    assert_eq!(log.segment_base_offsets().len(), 10);
}

#[test]
fn size_retention_keeps_at_least_retention_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = ten_segments(dir.path(), LogConfig::default());
    let seg = log.size_bytes() / 10;
    let mut config = log.config().clone();
    config.retention_bytes = (seg * 4 + seg / 2) as i64;
    log.set_config(config);
    assert_eq!(log.enforce_retention(NOW).unwrap(), 5);
    assert_eq!(log.size_bytes(), seg * 5);
    assert_eq!(log.log_start_offset(), 30);
    let mut config = log.config().clone();
    config.retention_bytes = 0;
    log.set_config(config);
    assert_eq!(
        log.enforce_retention(NOW).unwrap(),
        5,
        "all of it, active included"
    );
    assert_eq!(
        (
            log.log_start_offset(),
            log.log_end_offset(),
            log.size_bytes()
        ),
        (60, 60, 0)
    );
}

#[test]
fn batch_headers_from_an_offset_without_reading_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = ten_segments(dir.path(), LogConfig::default());
    let all = log.batch_headers(0).unwrap();
    assert_eq!(all.len(), 30);
    assert_eq!(
        all.iter().map(|h| h.base_offset).collect::<Vec<_>>(),
        (0..30).map(|i| i * 2).collect::<Vec<_>>()
    );
    assert!(all.iter().all(|h| h.record_count == 2 && h.magic == 2));
    let from = log.batch_headers(25).unwrap();
    assert_eq!(
        from[0].base_offset, 24,
        "starts with the batch containing the offset"
    );
    assert_eq!(from.len(), 18);
    assert!(log.batch_headers(60).unwrap().is_empty());
    // Idempotent-producer fields come through untouched.
    let info = log
        .append(mut_bytes(&batch(3, Compression::Zstd, NOW)), 5)
        .unwrap();
    let last = *log.batch_headers(info.base_offset).unwrap().last().unwrap();
    assert_eq!(last, info.batches[0]);
    assert_eq!(last.partition_leader_epoch, 5);
}

#[test]
fn flush_close_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("topic-0");
    let mut log = PartitionLog::open(&path, LogConfig::default()).unwrap();
    assert_eq!(log.dir(), path);
    log.append(mut_bytes(&batch(2, Compression::None, 0)), 0)
        .unwrap();
    log.flush().unwrap();
    log.close().unwrap();
    let log = PartitionLog::open(&path, LogConfig::default()).unwrap();
    assert!(log.recovery_report().clean_shutdown);
    assert_eq!(log.log_end_offset(), 2);
    log.delete().unwrap();
    assert!(!path.exists());
}
