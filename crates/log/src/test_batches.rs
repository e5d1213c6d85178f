//! Record batches built with the kafka-protocol encoder, for unit tests.

use bytes::{Bytes, BytesMut};
use ferry_protocol::batch::set_base_offset;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

/// A batch of records with the given timestamps, base offset 0.
pub(crate) fn with_timestamps(timestamps: &[i64], compression: Compression) -> Bytes {
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
            sequence: i as i32 - 1,
            timestamp: *ts,
            key: Some(Bytes::from(format!("key-{i}"))),
            value: Some(Bytes::from(format!("value {i} {}", "v".repeat(i % 17)))),
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
    .expect("encode test batch");
    buf.freeze()
}

/// A batch of `n` records with timestamps `ts0, ts0+1, ...`, base offset 0.
pub(crate) fn encode(n: usize, compression: Compression, ts0: i64) -> Bytes {
    let ts: Vec<i64> = (0..n as i64).map(|i| ts0 + i).collect();
    with_timestamps(&ts, compression)
}

/// Like [`encode`] with the base offset set to `base`.
pub(crate) fn encode_at(base: i64, n: usize, compression: Compression, ts0: i64) -> Bytes {
    let mut b = BytesMut::from(&encode(n, compression, ts0)[..]);
    set_base_offset(&mut b, base);
    b.freeze()
}
