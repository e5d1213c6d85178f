//! Recovery after kill -9: torn tails, garbage, lost or corrupt indexes,
//! the clean-shutdown marker, the log start checkpoint.

mod common;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use bytes::Bytes;
use common::*;
use ferry_log::{LogConfig, PartitionLog};
use kafka_protocol::records::Compression;
use proptest::prelude::*;

/// Appends `sizes.len()` batches (record counts from `sizes`) and returns
/// them as stored, in order.
fn fill(log: &mut PartitionLog, sizes: &[usize]) -> Vec<(i64, i64, Bytes)> {
    for (i, n) in sizes.iter().enumerate() {
        let c = CODECS[i % CODECS.len()];
        log.append(
            mut_bytes(&batch_with(&vec![i as i64 * 10; *n], 15 + i % 40, c)),
            1,
        )
        .unwrap();
    }
    read_all(log, 0)
}

fn active_segment(dir: &Path) -> std::path::PathBuf {
    files_with(dir, ".log").pop().unwrap()
}

fn cut_and_garble(path: &Path, cut: u64, garbage: &[u8]) {
    let f = OpenOptions::new().write(true).open(path).unwrap();
    f.set_len(cut).unwrap();
    drop(f);
    let mut f = OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(garbage).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Cut the active segment anywhere, maybe append garbage: reopening
    /// keeps exactly the whole batches before the cut, and appends resume
    /// right after them.
    #[test]
    fn torn_tails_keep_exactly_the_whole_batches(
        sizes in proptest::collection::vec(1usize..12, 1..12),
        cut_frac in 0.0f64..=1.0,
        garbage in proptest::collection::vec(any::<u8>(), 0..200),
        mangled_copy in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let config = small_config(1 << 30, 100);
        let mut log = PartitionLog::open(dir.path(), config.clone()).unwrap();
        let stored = fill(&mut log, &sizes);
        drop(log); // no close(): as after kill -9
        let seg = active_segment(dir.path());
        let len = fs::metadata(&seg).unwrap().len();
        let cut = (len as f64 * cut_frac) as u64;
        // Garbage: random bytes, or a copy of the last batch with a flipped
        // body byte (valid-looking header, bad CRC).
        let garbage = if mangled_copy {
            let mut g = stored.last().unwrap().2.to_vec();
            let n = g.len();
            g[n - 1] ^= 0x40;
            g
        } else {
            garbage
        };
        let original = fs::read(&seg).unwrap();
        cut_and_garble(&seg, cut, &garbage);
        let torn = fs::read(&seg).unwrap();
        prop_assert_eq!(&torn[..cut as usize], &original[..cut as usize]);

        // Expected: the batches whose bytes are still all there. (Usually
        // those wholly before the cut; the garbage may by chance restore the
        // bytes just cut, and then that batch is whole again.)
        let mut pos = 0usize;
        let kept: Vec<_> = stored
            .iter()
            .take_while(|b| {
                let end = pos + b.2.len();
                let whole = torn.get(pos..end) == Some(&b.2[..]);
                pos = end;
                whole
            })
            .cloned()
            .collect();
        let before_cut = stored
            .iter()
            .scan(0u64, |e, b| {
                *e += b.2.len() as u64;
                Some(*e)
            })
            .take_while(|e| *e <= cut)
            .count();
        prop_assert!(kept.len() >= before_cut);
        let mut log = PartitionLog::open(dir.path(), config.clone()).unwrap();
        let expected_end = kept.last().map_or(0, |b| b.1 + 1);
        prop_assert_eq!(log.log_end_offset(), expected_end);
        prop_assert_eq!(read_all(&log, 0), kept.clone());
        let kept_len: u64 = kept.iter().map(|b| b.2.len() as u64).sum();
        prop_assert_eq!(fs::metadata(&seg).unwrap().len(), kept_len, "file truncated");
        prop_assert!(!log.recovery_report().clean_shutdown);
        // Appends continue at the recovered end, and survive another reopen.
        let info = log.append(mut_bytes(&batch(2, Compression::None, 0)), 2).unwrap();
        prop_assert_eq!(info.base_offset, expected_end);
        drop(log);
        let log = PartitionLog::open(dir.path(), config).unwrap();
        prop_assert_eq!(log.log_end_offset(), expected_end + 2);
        prop_assert_eq!(read_all(&log, 0).len(), kept.len() + 1);
    }
}

#[test]
fn torn_active_segment_leaves_older_segments_alone() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(600, 100);
    let mut log = PartitionLog::open(dir.path(), config.clone()).unwrap();
    let stored = fill(&mut log, &[5; 20]);
    let segments = log.segment_base_offsets();
    assert!(segments.len() > 3);
    drop(log);
    let seg = active_segment(dir.path());
    let len = fs::metadata(&seg).unwrap().len();
    cut_and_garble(&seg, len - 1, b"");
    let log = PartitionLog::open(dir.path(), config).unwrap();
    assert_eq!(log.segment_base_offsets(), segments);
    assert_eq!(read_all(&log, 0), stored[..stored.len() - 1].to_vec());
    assert_eq!(
        log.recovery_report().truncated_bytes,
        stored.last().unwrap().2.len() as u64 - 1
    );
}

#[test]
fn rebuilt_indexes_equal_the_ones_appends_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(900, 150);
    let mut log = PartitionLog::open(dir.path(), config.clone()).unwrap();
    let stored = fill(
        &mut log,
        &[3, 7, 1, 9, 2, 4, 4, 8, 1, 1, 6, 5, 3, 2, 9, 9, 9, 1, 2, 3],
    );
    log.flush().unwrap();
    drop(log);
    let snapshot = |suffix: &str| -> Vec<(std::path::PathBuf, Vec<u8>)> {
        files_with(dir.path(), suffix)
            .into_iter()
            .map(|p| (p.clone(), fs::read(&p).unwrap()))
            .collect()
    };
    let index = snapshot(".index");
    let time_index = snapshot(".timeindex");
    assert!(index.len() >= 3, "several segments");
    assert!(index.iter().any(|(_, b)| !b.is_empty()), "some entries");
    // Delete every index file: all are rebuilt, byte for byte.
    for (p, _) in index.iter().chain(&time_index) {
        fs::remove_file(p).unwrap();
    }
    let log = PartitionLog::open(dir.path(), config.clone()).unwrap();
    assert_eq!(snapshot(".index"), index);
    assert_eq!(snapshot(".timeindex"), time_index);
    assert_eq!(read_all(&log, 0), stored);
    drop(log);
    // Corrupt ones (partial entry; entries past the segment end; garbage)
    // are rebuilt too.
    fs::write(&index[0].0, [1, 2, 3]).unwrap();
    let mut past_end = index[1].1.clone();
    past_end.extend_from_slice(&[0, 0, 0, 200, 0, 0, 255, 255]);
    fs::write(&index[1].0, past_end).unwrap();
    fs::write(&time_index[1].0, [0xFF; 24]).unwrap();
    let log = PartitionLog::open(dir.path(), config).unwrap();
    assert_eq!(snapshot(".index"), index);
    assert_eq!(snapshot(".timeindex"), time_index);
    assert_eq!(read_all(&log, 0), stored);
    for (base, last, bytes) in &stored {
        for o in *base..=*last {
            assert_eq!(&log.read(o, 1, None).unwrap(), bytes);
        }
    }
}

#[test]
fn clean_shutdown_marker_skips_the_crc_scan_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    fill(&mut log, &[3, 3, 3]);
    log.close().unwrap();
    assert!(dir.path().join("clean-shutdown").exists());
    // Flip a body byte of the last batch: only a CRC scan can see it.
    let seg = active_segment(dir.path());
    let mut bytes = fs::read(&seg).unwrap();
    let n = bytes.len();
    bytes[n - 2] ^= 0x10;
    fs::write(&seg, &bytes).unwrap();

    let log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    assert!(log.recovery_report().clean_shutdown);
    assert!(
        !dir.path().join("clean-shutdown").exists(),
        "marker consumed"
    );
    assert_eq!(
        log.log_end_offset(),
        9,
        "no CRC scan after a clean shutdown"
    );
    drop(log); // unclean this time
    let log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    assert!(!log.recovery_report().clean_shutdown);
    assert_eq!(
        log.log_end_offset(),
        6,
        "the CRC scan cut the corrupt batch"
    );
}

#[test]
fn corrupt_middle_of_an_inactive_segment_tail_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(500, 1 << 20);
    let mut log = PartitionLog::open(dir.path(), config.clone()).unwrap();
    let stored = fill(&mut log, &[4; 12]);
    let bases = log.segment_base_offsets();
    assert!(bases.len() >= 3);
    drop(log);
    // Overwrite the header magic of the last batch of the first segment.
    let first = &files_with(dir.path(), ".log")[0];
    let in_first: Vec<_> = stored.iter().filter(|b| b.0 < bases[1]).collect();
    let pos: usize = in_first[..in_first.len() - 1]
        .iter()
        .map(|b| b.2.len())
        .sum();
    let mut bytes = fs::read(first).unwrap();
    bytes[pos + 16] = 9;
    fs::write(first, &bytes).unwrap();
    let log = PartitionLog::open(dir.path(), config).unwrap();
    // The bad batch is gone; reads step over the gap to the next segment.
    let expect: Vec<_> = stored
        .iter()
        .filter(|b| b.0 != in_first.last().unwrap().0)
        .cloned()
        .collect();
    assert_eq!(read_all(&log, 0), expect);
    assert_eq!(log.log_end_offset(), stored.last().unwrap().1 + 1);
}

#[test]
fn checkpoint_beyond_the_log_end_starts_an_empty_log_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    fill(&mut log, &[5, 5]);
    log.advance_log_start_offset(8).unwrap();
    drop(log);
    // Lose the data (as a torn write of everything would).
    let seg = active_segment(dir.path());
    cut_and_garble(&seg, 10, b"");
    let log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (8, 8));
    assert_eq!(log.segment_base_offsets(), [8]);
    assert!(!seg.exists());
}

#[test]
fn stray_files_are_cleaned_and_bad_names_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    fill(&mut log, &[2]);
    drop(log);
    fs::write(dir.path().join("00000000000000000777.index"), [0u8; 8]).unwrap();
    fs::write(dir.path().join("00000000000000000777.timeindex"), [0u8; 12]).unwrap();
    let log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    assert!(!dir.path().join("00000000000000000777.index").exists());
    assert!(!dir.path().join("00000000000000000777.timeindex").exists());
    assert_eq!(log.log_end_offset(), 2);
    drop(log);
    fs::write(dir.path().join("junk.log"), b"x").unwrap();
    assert!(matches!(
        PartitionLog::open(dir.path(), LogConfig::default()),
        Err(ferry_log::LogError::BadFile { .. })
    ));
}
