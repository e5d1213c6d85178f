//! Leader appends and reads: byte identity, offsets, reads by offset,
//! max_bytes (KIP-74), max_offset, segment rolling.

mod common;

use bytes::{Bytes, BytesMut};
use common::*;
use ferry_log::{LogConfig, LogError, PartitionLog};
use kafka_protocol::records::Compression;

#[test]
fn round_trip_is_byte_identical_for_every_codec() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    let mut sent = vec![];
    for (i, c) in CODECS.iter().enumerate() {
        let b = batch(3 + i, *c, 1_700_000_000_000);
        let info = log.append(mut_bytes(&b), 4).unwrap();
        // What was written is the input with base offset and epoch set.
        let mut expected = BytesMut::from(&b[..]);
        ferry_protocol::batch::set_base_offset(&mut expected, info.base_offset);
        ferry_protocol::batch::set_partition_leader_epoch(&mut expected, 4);
        assert_eq!(expected[17..], b[17..], "CRC and body untouched");
        sent.push(expected.freeze());
    }
    let stored = read_all(&log, 0);
    assert_eq!(stored.len(), 5);
    for (s, e) in stored.iter().zip(&sent) {
        assert_eq!(&s.2, e);
    }
    // And the records decode back to what was encoded.
    let all: Vec<u8> = sent.iter().flat_map(|b| b.to_vec()).collect();
    let recs = records(&Bytes::from(all));
    assert_eq!(recs.len(), 3 + 4 + 5 + 6 + 7);
    assert_eq!(
        recs.iter().map(|r| r.0).collect::<Vec<_>>(),
        (0..25).collect::<Vec<_>>()
    );
    // Reopen: same bytes.
    drop(log);
    let log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    let again = read_all(&log, 0);
    assert_eq!(again, stored);
}

#[test]
fn offsets_are_assigned_contiguously() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (0, 0));
    let mut expect = 0;
    for n in [1, 5, 2, 10] {
        // Producers send base offset 0; a multi-batch append is assigned in order.
        let mut two = mut_bytes(&batch(n, Compression::Lz4, 1000));
        two.extend_from_slice(&batch(1, Compression::None, 2000));
        let info = log.append(two, 0).unwrap();
        assert_eq!(info.base_offset, expect);
        assert_eq!(info.last_offset, expect + n as i64);
        assert_eq!(info.batches.len(), 2);
        assert_eq!(info.batches[1].base_offset, expect + n as i64);
        assert_eq!(info.max_timestamp, 2000);
        assert_eq!(info.offset_of_max_timestamp, expect + n as i64);
        expect += n as i64 + 1;
        assert_eq!(log.log_end_offset(), expect);
    }
    let stored = read_all(&log, 0);
    let mut next = 0;
    for (base, last, _) in stored {
        assert_eq!(base, next);
        next = last + 1;
    }
    assert_eq!(next, log.log_end_offset());
}

#[test]
fn invalid_input_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    log.append(mut_bytes(&batch(2, Compression::None, 0)), 0)
        .unwrap();
    let size = log.size_bytes();

    let good = batch(2, Compression::None, 0);
    let mut bad = mut_bytes(&batch(2, Compression::Gzip, 0));
    let n = bad.len();
    bad[n - 1] ^= 0xFF;
    let mut both = mut_bytes(&good);
    both.extend_from_slice(&bad);
    assert!(matches!(log.append(both, 0), Err(LogError::Batch(_))));
    let mut torn = mut_bytes(&good);
    torn.extend_from_slice(&good[..30]);
    assert!(matches!(log.append(torn, 0), Err(LogError::Batch(_))));
    assert!(matches!(
        log.append(BytesMut::new(), 0),
        Err(LogError::Batch(_))
    ));
    assert!(matches!(
        log.append(BytesMut::from(&[0u8; 100][..]), 0),
        Err(LogError::Batch(_))
    ));
    assert_eq!(log.size_bytes(), size);
    assert_eq!(log.log_end_offset(), 2);
}

#[test]
fn read_at_a_mid_batch_offset_returns_the_containing_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), small_config(1 << 30, 0)).unwrap();
    for _ in 0..10 {
        log.append(mut_bytes(&batch(10, Compression::Snappy, 0)), 0)
            .unwrap();
    }
    for offset in 0..100 {
        let b = split(&log.read(offset, 1, None).unwrap());
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].0, offset / 10 * 10, "offset {offset}");
    }
    assert!(log.read(100, 1000, None).unwrap().is_empty(), "log end");
    assert!(matches!(
        log.read(101, 1000, None),
        Err(LogError::OffsetOutOfRange {
            offset: 101,
            start: 0,
            end: 100
        })
    ));
    assert!(matches!(
        log.read(-1, 1000, None),
        Err(LogError::OffsetOutOfRange { .. })
    ));
}

#[test]
fn max_bytes_returns_whole_batches_and_at_least_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    let big = batch_with(&[5; 50], 200, Compression::None);
    log.append(mut_bytes(&big), 0).unwrap();
    let small = batch(1, Compression::None, 0);
    for _ in 0..5 {
        log.append(mut_bytes(&small), 0).unwrap();
    }
    // KIP-74: a batch larger than max_bytes still comes back, alone.
    let r = log.read(0, 100, None).unwrap();
    assert_eq!(r.len(), big.len());
    assert_eq!(split(&r).len(), 1);
    // Exact fits.
    let r = log.read(50, small.len() * 3, None).unwrap();
    assert_eq!(split(&r).len(), 3);
    let r = log.read(50, small.len() * 3 - 1, None).unwrap();
    assert_eq!(split(&r).len(), 2);
    let r = log.read(0, big.len() + small.len(), None).unwrap();
    assert_eq!(split(&r).iter().map(|b| b.0).collect::<Vec<_>>(), [0, 50]);
}

#[test]
fn max_offset_bounds_batch_base_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    for _ in 0..4 {
        log.append(mut_bytes(&batch(5, Compression::Zstd, 0)), 0)
            .unwrap();
    }
    let bases = |r: Bytes| split(&r).iter().map(|b| b.0).collect::<Vec<_>>();
    assert_eq!(
        bases(log.read(0, 1 << 20, Some(20)).unwrap()),
        [0, 5, 10, 15]
    );
    assert_eq!(bases(log.read(0, 1 << 20, Some(15)).unwrap()), [0, 5, 10]);
    assert_eq!(bases(log.read(0, 1 << 20, Some(11)).unwrap()), [0, 5, 10]);
    assert_eq!(bases(log.read(7, 1 << 20, Some(10)).unwrap()), [5]);
    assert!(
        log.read(10, 1 << 20, Some(10)).unwrap().is_empty(),
        "at the bound"
    );
    assert!(log.read(0, 1 << 20, Some(0)).unwrap().is_empty());
    // The bound wins over KIP-74.
    assert!(log.read(12, 1, Some(10)).unwrap().is_empty());
}

#[test]
fn segments_roll_and_reads_cross_them() {
    let dir = tempfile::tempdir().unwrap();
    let one = batch(3, Compression::None, 0);
    // Room for 4 batches per segment.
    let config = small_config(one.len() as u64 * 4, 0);
    let mut log = PartitionLog::open(dir.path(), config.clone()).unwrap();
    for _ in 0..30 {
        log.append(mut_bytes(&one), 0).unwrap();
    }
    assert_eq!(log.log_end_offset(), 90);
    let bases = log.segment_base_offsets();
    assert_eq!(bases, (0..8).map(|i| i * 12).collect::<Vec<_>>());
    assert_eq!(files_with(dir.path(), ".log").len(), 8);
    assert_eq!(files_with(dir.path(), ".index").len(), 8);
    assert_eq!(files_with(dir.path(), ".timeindex").len(), 8);
    assert!(
        dir.path().join("00000000000000000012.log").exists(),
        "Kafka's names"
    );
    assert_eq!(log.size_bytes(), one.len() as u64 * 30);
    // Every offset reads the right batch, including at segment edges.
    for offset in 0..90 {
        let b = split(&log.read(offset, 1 << 20, None).unwrap());
        assert_eq!(b[0].0, offset / 3 * 3);
        // A read stays within one segment.
        assert!(b.len() <= 4);
        assert!(b.iter().all(|x| x.0 / 12 == offset / 12));
    }
    assert_eq!(read_all(&log, 0).len(), 30);
    // A multi-batch append larger than a segment spreads over segments.
    let mut many = BytesMut::new();
    for _ in 0..9 {
        many.extend_from_slice(&one);
    }
    let info = log.append(many, 0).unwrap();
    assert_eq!((info.base_offset, info.last_offset), (90, 116));
    assert_eq!(read_all(&log, 0).len(), 39);
    // A batch larger than a segment is written alone.
    let huge = batch_with(&[1; 40], 100, Compression::None);
    assert!(huge.len() as u64 > config.segment_bytes);
    log.append(mut_bytes(&huge), 0).unwrap();
    log.append(mut_bytes(&one), 0).unwrap();
    let segs = log.segment_base_offsets();
    assert_eq!(&segs[segs.len() - 2..], &[117, 157]);
    drop(log);
    let log = PartitionLog::open(dir.path(), config).unwrap();
    assert_eq!(log.log_end_offset(), 160);
    assert_eq!(read_all(&log, 0).len(), 41);
}

#[test]
fn index_full_rolls() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        index_interval_bytes: 0,
        segment_index_bytes: 24, // 3 offset entries, 2 time entries
        ..LogConfig::default()
    };
    let mut log = PartitionLog::open(dir.path(), config).unwrap();
    for i in 0..20 {
        log.append(mut_bytes(&batch(1, Compression::None, i)), 0)
            .unwrap();
    }
    assert!(log.segment_base_offsets().len() > 3);
    for offset in 0..20 {
        assert_eq!(split(&log.read(offset, 1, None).unwrap())[0].0, offset);
    }
}

#[test]
fn segment_ms_rolls_a_segment_whose_first_batch_is_old() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    // A fresh segment's age counts from its creation (wall clock), so old
    // record timestamps alone do not roll it on every append...
    log.append(mut_bytes(&batch(1, Compression::None, 1000)), 0)
        .unwrap();
    log.append(mut_bytes(&batch(1, Compression::None, 1000)), 0)
        .unwrap();
    assert_eq!(log.segment_base_offsets(), [0]);
    drop(log);
    // ...but after a restart the first batch's timestamp dates it, as in
    // Kafka, and a segment older than segment.ms rolls on the next append.
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    log.append(mut_bytes(&batch(1, Compression::None, 1000)), 0)
        .unwrap();
    assert_eq!(log.segment_base_offsets(), [0, 2]);
    // A long segment.ms keeps it.
    drop(log);
    let config = LogConfig {
        segment_ms: i64::MAX,
        ..LogConfig::default()
    };
    let mut log = PartitionLog::open(dir.path(), config).unwrap();
    log.append(mut_bytes(&batch(1, Compression::None, 1000)), 0)
        .unwrap();
    assert_eq!(log.segment_base_offsets(), [0, 2]);
}
