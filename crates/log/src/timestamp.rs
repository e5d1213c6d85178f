//! Finding records by timestamp inside one stored batch.
//!
//! Only the single batch that must hold the answer is decoded (with
//! kafka-protocol's decoder, which also decompresses); nothing is written
//! back. For LogAppendTime batches every record's timestamp is the batch's
//! max timestamp, as in Kafka.

use bytes::Bytes;
use ferry_protocol::BatchHeader;
use kafka_protocol::records::{Record, RecordBatchDecoder};

use crate::LogError;

fn decode(batch: Bytes, header: &BatchHeader) -> Result<Vec<Record>, LogError> {
    // The decoder reserves `recordCount` records up front. A batch cannot
    // hold more records than offsets, nor (uncompressed) more than its body
    // has room for at 7 bytes per record: refuse doctored counts before the
    // decoder allocates for them.
    let body = header
        .total_len()
        .saturating_sub(ferry_protocol::batch::BATCH_HEADER_LEN);
    let count = i64::from(header.record_count);
    let uncompressed = header.attributes & 0x07 == 0;
    if count > i64::from(header.last_offset_delta) + 1 || (uncompressed && count * 7 > body as i64)
    {
        return Err(LogError::Decode {
            base_offset: header.base_offset,
            reason: format!("implausible record count {count}"),
        });
    }
    let mut buf = batch;
    RecordBatchDecoder::decode(&mut buf)
        .map(|set| set.records)
        .map_err(|e| LogError::Decode {
            base_offset: header.base_offset,
            reason: e.to_string(),
        })
}

fn timestamp_of(record: &Record, header: &BatchHeader) -> i64 {
    if header.is_log_append_time() {
        header.max_timestamp
    } else {
        record.timestamp
    }
}

/// `(offset, timestamp)` of the first record at or above `min_offset` whose
/// timestamp is `>= ts`.
pub(crate) fn first_at_or_after(
    batch: Bytes,
    header: &BatchHeader,
    ts: i64,
    min_offset: i64,
) -> Result<Option<(i64, i64)>, LogError> {
    Ok(decode(batch, header)?
        .iter()
        .filter(|r| r.offset >= min_offset)
        .map(|r| (r.offset, timestamp_of(r, header)))
        .find(|(_, t)| *t >= ts))
}

/// Offset of the first record at or above `min_offset` whose timestamp is
/// exactly `ts`.
pub(crate) fn first_with(
    batch: Bytes,
    header: &BatchHeader,
    ts: i64,
    min_offset: i64,
) -> Result<Option<i64>, LogError> {
    Ok(decode(batch, header)?
        .iter()
        .filter(|r| r.offset >= min_offset)
        .find(|r| timestamp_of(r, header) == ts)
        .map(|r| r.offset))
}

/// `(offset, timestamp)` of the first record at or above `min_offset`
/// carrying the batch's largest timestamp among those records.
pub(crate) fn max_record(
    batch: Bytes,
    header: &BatchHeader,
    min_offset: i64,
) -> Result<Option<(i64, i64)>, LogError> {
    let mut best: Option<(i64, i64)> = None;
    for r in decode(batch, header)?
        .iter()
        .filter(|r| r.offset >= min_offset)
    {
        let t = timestamp_of(r, header);
        if best.is_none_or(|(_, b)| t > b) {
            best = Some((r.offset, t));
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_batches::with_timestamps;
    use bytes::BytesMut;
    use ferry_protocol::batch::{set_base_offset, validate};
    use kafka_protocol::records::Compression;

    #[test]
    fn exact_record_lookup_for_every_codec() {
        for c in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let mut b = BytesMut::from(&with_timestamps(&[50, 10, 70, 70, 60], c)[..]);
            set_base_offset(&mut b, 100);
            let b = b.freeze();
            let h = validate(&b).unwrap();
            assert_eq!(
                first_at_or_after(b.clone(), &h, 0, 0).unwrap(),
                Some((100, 50))
            );
            assert_eq!(
                first_at_or_after(b.clone(), &h, 51, 0).unwrap(),
                Some((102, 70))
            );
            assert_eq!(
                first_at_or_after(b.clone(), &h, 10, 101).unwrap(),
                Some((101, 10))
            );
            assert_eq!(first_at_or_after(b.clone(), &h, 65, 104).unwrap(), None);
            assert_eq!(first_at_or_after(b.clone(), &h, 71, 0).unwrap(), None);
            assert_eq!(first_with(b.clone(), &h, 70, 0).unwrap(), Some(102));
            assert_eq!(first_with(b.clone(), &h, 70, 103).unwrap(), Some(103));
            assert_eq!(first_with(b.clone(), &h, 71, 0).unwrap(), None);
            assert_eq!(max_record(b.clone(), &h, 0).unwrap(), Some((102, 70)));
            assert_eq!(max_record(b.clone(), &h, 103).unwrap(), Some((103, 70)));
            assert_eq!(max_record(b, &h, 104).unwrap(), Some((104, 60)));
        }
    }

    #[test]
    fn log_append_time_uses_the_batch_timestamp() {
        let mut b = BytesMut::from(&with_timestamps(&[5, 6, 7], Compression::None)[..]);
        // Set the LogAppendTime bit and the max timestamp, then fix the CRC.
        b[22] |= 0x08;
        b[35..43].copy_from_slice(&900i64.to_be_bytes());
        let crc = ferry_protocol::batch::compute_crc(&b);
        b[17..21].copy_from_slice(&crc.to_be_bytes());
        let b = b.freeze();
        let h = validate(&b).unwrap();
        assert!(h.is_log_append_time());
        assert_eq!(
            first_at_or_after(b.clone(), &h, 100, 0).unwrap(),
            Some((0, 900))
        );
        assert_eq!(first_with(b, &h, 900, 1).unwrap(), Some(1));
    }

    #[test]
    fn undecodable_bytes_are_an_error() {
        let b = with_timestamps(&[5], Compression::None);
        let h = validate(&b).unwrap();
        let mut bad = BytesMut::from(&b[..]);
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(matches!(
            first_at_or_after(bad.freeze(), &h, 0, 0),
            Err(LogError::Decode { .. })
        ));
    }
}
