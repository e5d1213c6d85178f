//! Shared helpers for the ferry-log integration tests: real record batches
//! from kafka-protocol's encoder, and small-segment configs.
#![allow(dead_code, unreachable_pub)]

use bytes::{Bytes, BytesMut};
use ferry_log::{LogConfig, PartitionLog};
use ferry_protocol::batch::set_base_offset;
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

pub const CODECS: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];

/// One batch (base offset 0) with records at the given timestamps and
/// values of `value_len` bytes.
pub fn batch_with(timestamps: &[i64], value_len: usize, compression: Compression) -> Bytes {
    let records: Vec<Record> = timestamps
        .iter()
        .enumerate()
        .map(|(i, ts)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // Keep sequence - offset constant so the encoder makes ONE batch.
            sequence: i as i32 - 1,
            timestamp: *ts,
            key: Some(Bytes::from(format!("k{i}"))),
            value: Some(Bytes::from(
                (0..value_len)
                    .map(|j| (i * 31 + j * 7) as u8)
                    .collect::<Vec<u8>>(),
            )),
            headers: Default::default(),
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
    .expect("encode");
    let b = buf.freeze();
    assert_eq!(
        ferry_protocol::batch::validate(&b)
            .expect("valid")
            .total_len(),
        b.len(),
        "the encoder made exactly one batch"
    );
    b
}

/// `n` records with timestamps `ts0..`, 20-byte values.
pub fn batch(n: usize, compression: Compression, ts0: i64) -> Bytes {
    let ts: Vec<i64> = (0..n as i64).map(|i| ts0 + i).collect();
    batch_with(&ts, 20, compression)
}

/// Like [`batch`], with base offset `base` (for mirror appends).
pub fn batch_at(base: i64, n: usize, compression: Compression, ts0: i64) -> Bytes {
    let mut b = BytesMut::from(&batch(n, compression, ts0)[..]);
    set_base_offset(&mut b, base);
    b.freeze()
}

pub fn mut_bytes(b: &Bytes) -> BytesMut {
    BytesMut::from(&b[..])
}

/// A config with tiny segments and a tiny index interval, so a few batches
/// exercise rolling and index lookups.
pub fn small_config(segment_bytes: u64, index_interval_bytes: u64) -> LogConfig {
    LogConfig {
        segment_bytes,
        index_interval_bytes,
        ..LogConfig::default()
    }
}

/// Splits concatenated batches into (base offset, last offset, bytes).
pub fn split(bytes: &Bytes) -> Vec<(i64, i64, Bytes)> {
    let mut it = ferry_protocol::BatchIter::new(bytes.clone());
    let out: Vec<_> = it
        .by_ref()
        .map(|r| {
            let (h, b) = r.expect("stored batch parses");
            (h.base_offset, h.last_offset(), b)
        })
        .collect();
    assert_eq!(it.remainder(), 0, "reads return whole batches only");
    out
}

/// Decodes every record: (offset, timestamp, value).
pub fn records(bytes: &Bytes) -> Vec<(i64, i64, Option<Bytes>)> {
    let mut b = bytes.clone();
    RecordBatchDecoder::decode_all(&mut b)
        .expect("decode")
        .into_iter()
        .flat_map(|set| set.records)
        .map(|r| (r.offset, r.timestamp, r.value))
        .collect()
}

/// Reads everything from `offset` to the log end, batch by batch.
pub fn read_all(log: &PartitionLog, mut offset: i64) -> Vec<(i64, i64, Bytes)> {
    let mut out = vec![];
    loop {
        let bytes = log.read(offset, 1 << 20, None).expect("read");
        if bytes.is_empty() {
            return out;
        }
        let batches = split(&bytes);
        offset = batches.last().map(|b| b.1 + 1).expect("non-empty");
        out.extend(batches);
    }
}

/// Files in a directory with the given suffix, sorted.
pub fn files_with(dir: &std::path::Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    v.sort();
    v
}
