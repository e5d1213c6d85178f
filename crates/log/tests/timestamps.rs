//! ListOffsets support: exact record lookups by timestamp and the record
//! with the largest timestamp, checked against brute force.

mod common;

use std::fs;

use bytes::Bytes;
use common::*;
use ferry_log::{LogConfig, PartitionLog};
use proptest::prelude::*;

/// Every record in the log at or after the log start: (offset, timestamp).
fn all_records(log: &PartitionLog) -> Vec<(i64, i64)> {
    let bytes: Vec<u8> = read_all(log, log.log_start_offset())
        .iter()
        .flat_map(|b| b.2.to_vec())
        .collect();
    records(&Bytes::from(bytes))
        .into_iter()
        .map(|r| (r.0, r.1))
        .filter(|r| r.0 >= log.log_start_offset())
        .collect()
}

fn brute_first_at_or_after(recs: &[(i64, i64)], ts: i64) -> Option<(i64, i64)> {
    recs.iter().copied().find(|r| r.1 >= ts)
}

fn brute_max(recs: &[(i64, i64)]) -> Option<(i64, i64)> {
    let mut best: Option<(i64, i64)> = None;
    for r in recs {
        if best.is_none_or(|b| r.1 > b.1) {
            best = Some(*r);
        }
    }
    best
}

fn check(log: &PartitionLog) -> Result<(), TestCaseError> {
    let recs = all_records(log);
    let lo = recs.iter().map(|r| r.1).min().unwrap_or(0);
    let hi = recs.iter().map(|r| r.1).max().unwrap_or(0);
    for ts in lo - 2..=hi + 2 {
        prop_assert_eq!(
            log.offset_for_timestamp(ts).unwrap(),
            brute_first_at_or_after(&recs, ts),
            "ts {}",
            ts
        );
    }
    prop_assert_eq!(log.max_timestamp_offset().unwrap(), brute_max(&recs));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn timestamp_lookups_are_exact(
        batches in proptest::collection::vec(
            (proptest::collection::vec(0i64..200, 1..12), 0usize..5),
            1..25,
        ),
        interval in 0u64..600,
        segment_bytes in 200u64..3000,
        cut in 0usize..100,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let config = small_config(segment_bytes, interval);
        let mut log = PartitionLog::open(dir.path(), config.clone()).unwrap();
        for (ts, codec) in &batches {
            log.append(mut_bytes(&batch_with(ts, 10, CODECS[*codec])), 0).unwrap();
        }
        check(&log)?;
        // With a log start in the middle of the log (maybe mid-batch, maybe
        // cutting off the maximum).
        let start = log.log_end_offset() * cut as i64 / 100;
        log.advance_log_start_offset(start).unwrap();
        check(&log)?;
        // After reopening without time indexes.
        drop(log);
        for p in files_with(dir.path(), ".timeindex") {
            fs::remove_file(p).unwrap();
        }
        let log = PartitionLog::open(dir.path(), config).unwrap();
        check(&log)?;
    }
}

#[test]
fn per_record_examples() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!(log.offset_for_timestamp(0).unwrap(), None);
    assert_eq!(log.max_timestamp_offset().unwrap(), None);
    log.append(mut_bytes(&batch_with(&[100, 300, 200], 5, CODECS[4])), 0)
        .unwrap();
    log.append(
        mut_bytes(&batch_with(&[150, 300, 400, 50], 5, CODECS[2])),
        0,
    )
    .unwrap();
    assert_eq!(log.offset_for_timestamp(0).unwrap(), Some((0, 100)));
    assert_eq!(log.offset_for_timestamp(101).unwrap(), Some((1, 300)));
    assert_eq!(log.offset_for_timestamp(300).unwrap(), Some((1, 300)));
    assert_eq!(log.offset_for_timestamp(301).unwrap(), Some((5, 400)));
    assert_eq!(log.offset_for_timestamp(401).unwrap(), None);
    assert_eq!(log.max_timestamp_offset().unwrap(), Some((5, 400)));
    log.advance_log_start_offset(6).unwrap();
    assert_eq!(log.max_timestamp_offset().unwrap(), Some((6, 50)));
    assert_eq!(log.offset_for_timestamp(0).unwrap(), Some((6, 50)));
}
