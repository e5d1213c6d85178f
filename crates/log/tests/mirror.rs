//! Mirror appends (cluster links): batches keep their offsets and bytes.

mod common;

use bytes::{Bytes, BytesMut};
use common::*;
use ferry_log::{LogConfig, LogError, PartitionLog};
use kafka_protocol::records::Compression;

/// Batches at 0-2, 10-13, 14, (gap) 100-104, one per codec.
fn source() -> Vec<Bytes> {
    vec![
        batch_at(0, 3, Compression::Gzip, 100),
        batch_at(10, 4, Compression::Snappy, 200),
        batch_at(14, 1, Compression::Lz4, 300),
        batch_at(100, 5, Compression::Zstd, 400),
        batch_at(105, 2, Compression::None, 500),
    ]
}

fn concat(parts: &[Bytes]) -> Bytes {
    let mut b = BytesMut::new();
    for p in parts {
        b.extend_from_slice(p);
    }
    b.freeze()
}

#[test]
fn gaps_read_back_identical_at_the_same_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), small_config(1 << 30, 0)).unwrap();
    let src = source();
    let info = log.append_at_offsets(concat(&src[..2])).unwrap();
    assert_eq!(
        (info.base_offset, info.last_offset, info.bytes),
        (0, 13, src[0].len() + src[1].len())
    );
    log.append_at_offsets(src[2].clone()).unwrap();
    log.append_at_offsets(concat(&src[3..])).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (0, 107));

    let stored = read_all(&log, 0);
    assert_eq!(
        stored.iter().map(|b| b.2.clone()).collect::<Vec<_>>(),
        src,
        "bytes on disk == bytes given"
    );
    // Reads from inside a gap return the next batch.
    for (offset, base) in [
        (3, 10),
        (9, 10),
        (12, 10),
        (15, 100),
        (50, 100),
        (99, 100),
        (106, 105),
    ] {
        let r = split(&log.read(offset, 1, None).unwrap());
        assert_eq!(r[0].0, base, "read at {offset}");
    }
    assert!(log.read(107, 1 << 20, None).unwrap().is_empty());
    // And after reopening (index rebuilt by the recovery scan).
    drop(log);
    let log = PartitionLog::open(dir.path(), small_config(1 << 30, 0)).unwrap();
    assert_eq!(log.log_end_offset(), 107);
    assert_eq!(
        read_all(&log, 0)
            .iter()
            .map(|b| b.2.clone())
            .collect::<Vec<_>>(),
        src
    );
    assert_eq!(split(&log.read(50, 1, None).unwrap())[0].0, 100);
}

#[test]
fn order_is_enforced_and_nothing_written_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    log.append_at_offsets(batch_at(0, 5, Compression::None, 0))
        .unwrap();
    let size = log.size_bytes();
    assert!(matches!(
        log.append_at_offsets(batch_at(4, 1, Compression::None, 0)),
        Err(LogError::OffsetOutOfOrder {
            offset: 4,
            expected_at_least: 5
        })
    ));
    let overlapping = concat(&[
        batch_at(5, 3, Compression::None, 0),
        batch_at(7, 1, Compression::None, 0),
    ]);
    assert!(matches!(
        log.append_at_offsets(overlapping),
        Err(LogError::OffsetOutOfOrder {
            offset: 7,
            expected_at_least: 8
        })
    ));
    let mut corrupt = BytesMut::from(&batch_at(5, 1, Compression::None, 0)[..]);
    corrupt[30] ^= 1;
    assert!(matches!(
        log.append_at_offsets(corrupt.freeze()),
        Err(LogError::Batch(_))
    ));
    assert_eq!(log.size_bytes(), size);
    assert_eq!(log.log_end_offset(), 5);
    // Epochs are kept as the source wrote them.
    let mut epoch9 = BytesMut::from(&batch_at(5, 1, Compression::None, 0)[..]);
    ferry_protocol::batch::set_partition_leader_epoch(&mut epoch9, 9);
    let epoch9 = epoch9.freeze();
    let info = log.append_at_offsets(epoch9.clone()).unwrap();
    assert_eq!(info.batches[0].partition_leader_epoch, 9);
    assert_eq!(log.read(5, 1 << 20, None).unwrap(), epoch9);
}

#[test]
fn an_empty_log_starts_at_the_first_mirrored_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    let b = batch_at(5000, 3, Compression::Zstd, 0);
    log.append_at_offsets(b.clone()).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (5000, 5003));
    assert_eq!(log.segment_base_offsets(), [5000]);
    assert!(matches!(
        log.read(4999, 100, None),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    assert_eq!(log.read(5000, 100, None).unwrap(), b);
    drop(log);
    let log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (5000, 5003));
}

#[test]
fn offset_jumps_beyond_an_index_range_roll_a_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    let far = 10 + (1i64 << 33);
    let src = concat(&[
        batch_at(0, 2, Compression::None, 0),
        batch_at(far, 2, Compression::Lz4, 0),
    ]);
    log.append_at_offsets(src.clone()).unwrap();
    assert_eq!(log.segment_base_offsets(), [0, far]);
    assert_eq!(split(&log.read(2, 1 << 20, None).unwrap())[0].0, far);
    let all: Vec<u8> = read_all(&log, 0)
        .iter()
        .flat_map(|b| b.2.to_vec())
        .collect();
    assert_eq!(all, src.to_vec());
    drop(log);
    let log = PartitionLog::open(dir.path(), LogConfig::default()).unwrap();
    assert_eq!(log.log_end_offset(), far + 2);
}
