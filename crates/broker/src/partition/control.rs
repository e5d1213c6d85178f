//! Transaction markers: the control batches EndTxn writes into every partition
//! of a transaction, and reading their type back.
//!
//! # Format
//! A marker is a magic-2 batch with the transactional (0x10) and control
//! (0x20) attribute bits, the producer's id and epoch, base sequence -1, and
//! one uncompressed record:
//! ```text
//! key   = version i16 (0) | type i16 (0 = ABORT, 1 = COMMIT)
//! value = version i16 (0) | coordinator epoch i32
//! ```
//! The batch is built by hand rather than by `kafka_protocol`'s encoder so the
//! bytes are exactly what Kafka writes; the tests decode it back with that
//! crate's decoder.

use bytes::{BufMut, BytesMut};
use ferry_protocol::batch::{BATCH_HEADER_LEN, compute_crc};

/// Attribute bits of a transaction marker batch.
const MARKER_ATTRIBUTES: i16 = 0x10 | 0x20;

/// The two control record types this broker writes and understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ControlType {
    /// The transaction is aborted: read_committed consumers skip its records.
    Abort,
    /// The transaction is committed.
    Commit,
    /// A control record of another kind (KRaft's, or a future one); it ends
    /// no transaction.
    Other(i16),
}

impl ControlType {
    fn code(self) -> i16 {
        match self {
            Self::Abort => 0,
            Self::Commit => 1,
            Self::Other(c) => c,
        }
    }

    fn from_code(code: i16) -> Self {
        match code {
            0 => Self::Abort,
            1 => Self::Commit,
            other => Self::Other(other),
        }
    }
}

/// Writes an unsigned-zigzag varint (Kafka's record field encoding).
fn put_varint(buf: &mut BytesMut, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        buf.put_u8((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
    buf.put_u8(z as u8);
}

/// Reads a zigzag varint at `*at`, advancing it; None when malformed.
fn get_varint(b: &[u8], at: &mut usize) -> Option<i64> {
    let mut z: u64 = 0;
    for shift in (0..70).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        z |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(((z >> 1) as i64) ^ -((z & 1) as i64));
        }
    }
    None
}

/// Builds a COMMIT or ABORT marker batch (base offset 0; the log assigns it).
pub(crate) fn marker_batch(
    producer_id: i64,
    producer_epoch: i16,
    commit: bool,
    coordinator_epoch: i32,
    timestamp_ms: i64,
) -> BytesMut {
    let kind = if commit {
        ControlType::Commit
    } else {
        ControlType::Abort
    };
    let mut record = BytesMut::with_capacity(16);
    record.put_i8(0); // record attributes
    put_varint(&mut record, 0); // timestamp delta
    put_varint(&mut record, 0); // offset delta
    put_varint(&mut record, 4); // key length
    record.put_i16(0); // key version
    record.put_i16(kind.code());
    put_varint(&mut record, 6); // value length
    record.put_i16(0); // value version
    record.put_i32(coordinator_epoch);
    put_varint(&mut record, 0); // header count

    let mut b = BytesMut::with_capacity(BATCH_HEADER_LEN + record.len() + 2);
    b.put_i64(0); // base offset
    b.put_i32(0); // batch length, patched below
    b.put_i32(0); // partition leader epoch
    b.put_i8(2); // magic
    b.put_u32(0); // crc, patched below
    b.put_i16(MARKER_ATTRIBUTES);
    b.put_i32(0); // last offset delta
    b.put_i64(timestamp_ms);
    b.put_i64(timestamp_ms);
    b.put_i64(producer_id);
    b.put_i16(producer_epoch);
    b.put_i32(-1); // base sequence
    b.put_i32(1); // record count
    put_varint(&mut b, record.len() as i64);
    b.put_slice(&record);
    let batch_length = (b.len() - 12) as i32;
    b[8..12].copy_from_slice(&batch_length.to_be_bytes());
    let crc = compute_crc(&b);
    b[17..21].copy_from_slice(&crc.to_be_bytes());
    b
}

/// The type of the (first) control record of a stored control batch, or None
/// when the batch holds no readable control record (an empty batch, or a
/// compressed one, which Kafka never writes for markers).
pub(crate) fn marker_type(batch: &[u8]) -> Option<ControlType> {
    let attributes = i16::from_be_bytes([*batch.get(21)?, *batch.get(22)?]);
    if attributes & 0x07 != 0 || attributes & 0x20 == 0 {
        return None;
    }
    let mut at = BATCH_HEADER_LEN;
    let _length = get_varint(batch, &mut at)?;
    at += 1; // record attributes
    let _ts_delta = get_varint(batch, &mut at)?;
    let _offset_delta = get_varint(batch, &mut at)?;
    let key_len = get_varint(batch, &mut at)?;
    if key_len < 4 {
        return None;
    }
    let key = batch.get(at..at + 4)?;
    Some(ControlType::from_code(i16::from_be_bytes([key[2], key[3]])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::records::RecordBatchDecoder;

    #[test]
    fn marker_decodes_with_kafka_protocol_and_has_a_valid_crc() {
        for (commit, code) in [(true, 1i16), (false, 0i16)] {
            let bytes = marker_batch(4242, 7, commit, 3, 1_700_000_000_123);
            let h = ferry_protocol::batch::validate(&bytes).expect("valid CRC and counts");
            assert!(h.is_control() && h.is_transactional());
            assert_eq!(
                (h.producer_id, h.producer_epoch, h.base_sequence),
                (4242, 7, -1)
            );
            assert_eq!(
                (h.record_count, h.last_offset_delta, h.total_len()),
                (1, 0, bytes.len())
            );
            assert_eq!(h.max_timestamp, 1_700_000_000_123);

            let mut buf = bytes.clone().freeze();
            let set =
                RecordBatchDecoder::decode(&mut buf).expect("kafka_protocol decodes the marker");
            assert_eq!(set.records.len(), 1);
            let r = &set.records[0];
            assert!(r.control && r.transactional);
            assert_eq!(r.producer_id, 4242);
            assert_eq!(r.producer_epoch, 7);
            assert_eq!(r.timestamp, 1_700_000_000_123);
            let mut key = vec![0, 0];
            key.extend_from_slice(&code.to_be_bytes());
            assert_eq!(r.key.as_deref(), Some(&key[..]));
            assert_eq!(r.value.as_deref(), Some(&[0u8, 0, 0, 0, 0, 3][..]));
            assert!(r.headers.is_empty());

            let want = if commit {
                ControlType::Commit
            } else {
                ControlType::Abort
            };
            assert_eq!(marker_type(&bytes), Some(want));
        }
    }

    #[test]
    fn marker_type_rejects_non_control_and_garbage() {
        let mut bytes = marker_batch(1, 0, true, 0, 0);
        assert_eq!(marker_type(&bytes[..BATCH_HEADER_LEN + 3]), None);
        bytes[22] &= !0x20;
        assert_eq!(marker_type(&bytes), None);
        assert_eq!(marker_type(&[0u8; 10]), None);
        assert_eq!(marker_type(&[0xffu8; 90]), None);
    }

    #[test]
    fn varints_round_trip() {
        for v in [
            0i64,
            1,
            -1,
            63,
            -64,
            64,
            300,
            -300,
            i64::from(i32::MAX),
            i64::MIN,
            i64::MAX,
        ] {
            let mut b = BytesMut::new();
            put_varint(&mut b, v);
            let mut at = 0;
            assert_eq!(get_varint(&b, &mut at), Some(v));
            assert_eq!(at, b.len());
        }
    }
}
