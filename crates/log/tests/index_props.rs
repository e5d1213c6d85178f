//! Property tests for index lookups: random batch sizes, index intervals and
//! segment sizes; every offset must read the batch that contains it, before
//! and after reopening with or without index files.

mod common;

use std::fs;

use common::*;
use ferry_log::PartitionLog;
use proptest::prelude::*;

fn check_every_offset(
    log: &PartitionLog,
    stored: &[(i64, i64, bytes::Bytes)],
) -> Result<(), TestCaseError> {
    for (i, (base, last, bytes)) in stored.iter().enumerate() {
        for offset in *base..=*last {
            let got = log.read(offset, 1, None).unwrap();
            prop_assert_eq!(&got, bytes, "offset {}", offset);
            // A larger read starts at the same batch and continues in order.
            let more = split(&log.read(offset, 1 << 16, None).unwrap());
            prop_assert_eq!(more[0].0, *base);
            for (j, b) in more.iter().enumerate() {
                prop_assert_eq!(&b.2, &stored[i + j].2);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn every_offset_reads_its_batch(
        batches in proptest::collection::vec((1usize..30, 0usize..400, 0usize..5), 1..40),
        interval in 0u64..3000,
        segment_bytes in 300u64..6000,
        mirror_gaps in proptest::collection::vec(0i64..50, 40),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let config = small_config(segment_bytes, interval);
        let mut log = PartitionLog::open(dir.path(), config.clone()).unwrap();
        let mirror = mirror_gaps[0] % 2 == 0;
        let mut next = 0;
        for (i, (n, value_len, codec)) in batches.iter().enumerate() {
            let ts: Vec<i64> = (0..*n as i64).map(|k| k * 3 + i as i64).collect();
            let b = batch_with(&ts, *value_len, CODECS[*codec]);
            if mirror {
                let mut b = mut_bytes(&b);
                next += mirror_gaps[i];
                ferry_protocol::batch::set_base_offset(&mut b, next);
                log.append_at_offsets(b.freeze()).unwrap();
                next += *n as i64;
            } else {
                log.append(mut_bytes(&b), 0).unwrap();
            }
        }
        let stored = read_all(&log, log.log_start_offset());
        prop_assert_eq!(stored.len(), batches.len());
        check_every_offset(&log, &stored)?;

        // Unclean reopen: active segment rescanned, others loaded.
        drop(log);
        let log = PartitionLog::open(dir.path(), config.clone()).unwrap();
        check_every_offset(&log, &stored)?;

        // Without any index files.
        drop(log);
        for p in files_with(dir.path(), ".index").into_iter().chain(files_with(dir.path(), ".timeindex")) {
            fs::remove_file(p).unwrap();
        }
        let log = PartitionLog::open(dir.path(), config).unwrap();
        check_every_offset(&log, &stored)?;
    }
}
