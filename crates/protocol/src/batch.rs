//! A zero-copy view of Kafka record batches (magic v2).
//!
//! The broker stores batches exactly as producers (or, for mirror topics, source
//! clusters) wrote them. It only ever needs the 61-byte header: offsets,
//! timestamps, producer id/epoch/sequence, the transactional and control bits,
//! and the CRC. The records themselves, possibly compressed, are never touched.
//!
//! # Format
//! ```text
//!  0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8
//! 17 crc u32 (CRC-32C of bytes 21..end)  | 21 attributes i16 | 23 lastOffsetDelta i32
//! 27 baseTimestamp i64 | 35 maxTimestamp i64 | 43 producerId i64 | 51 producerEpoch i16
//! 53 baseSequence i32 | 57 recordCount i32 | 61 records…
//! ```
//! `batchLength` counts the bytes after itself, so a whole batch is
//! `12 + batchLength` bytes. Because the CRC starts at byte 21, the base offset
//! and leader epoch can be rewritten without touching the CRC: that is how a
//! leader assigns offsets to a produced batch.

use bytes::Bytes;

/// Size of the fixed record-batch header.
pub const BATCH_HEADER_LEN: usize = 61;
/// Bytes before `batchLength`'s coverage begins (baseOffset + batchLength).
pub const LOG_OVERHEAD: usize = 12;

/// The compression codec named by a batch's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// No compression.
    None,
    /// gzip.
    Gzip,
    /// Snappy (raw or xerial-framed).
    Snappy,
    /// LZ4 frame.
    Lz4,
    /// Zstandard.
    Zstd,
}

/// Why bytes are not a valid record batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Fewer bytes than a batch header, or than `batchLength` announces.
    #[error("record batch truncated: need {needed} bytes, have {have}")]
    Truncated {
        /// Bytes the header says the batch needs.
        needed: usize,
        /// Bytes present.
        have: usize,
    },
    /// `batchLength` smaller than the header it must cover.
    #[error("record batch length {0} is too small")]
    BadLength(i32),
    /// A magic byte other than 2. Message sets v0/v1 were removed from Kafka 4.
    #[error("unsupported record batch magic {0}; only magic 2 is accepted")]
    Magic(i8),
    /// CRC-32C mismatch.
    #[error("record batch CRC mismatch: header says {expected:#010x}, computed {actual:#010x}")]
    Crc {
        /// The CRC in the header.
        expected: u32,
        /// The CRC of the bytes.
        actual: u32,
    },
    /// A codec number this broker does not know.
    #[error("unknown compression codec {0}")]
    Codec(i16),
    /// `recordCount` negative or `lastOffsetDelta` inconsistent.
    #[error("record batch has invalid record count {count} / last offset delta {delta}")]
    Counts {
        /// recordCount.
        count: i32,
        /// lastOffsetDelta.
        delta: i32,
    },
}

/// A parsed record-batch header. Cheap to copy; holds no bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    /// Offset of the first record.
    pub base_offset: i64,
    /// Bytes after the `batchLength` field.
    pub batch_length: i32,
    /// Leader epoch the batch was appended under.
    pub partition_leader_epoch: i32,
    /// Always 2 for batches this crate accepts.
    pub magic: i8,
    /// CRC-32C over bytes 21..end.
    pub crc: u32,
    /// Codec, timestamp type, transactional, control, delete-horizon bits.
    pub attributes: i16,
    /// Offset of the last record minus `base_offset`.
    pub last_offset_delta: i32,
    /// Timestamp of the first record.
    pub base_timestamp: i64,
    /// Largest timestamp in the batch.
    pub max_timestamp: i64,
    /// Producer id, -1 when not idempotent.
    pub producer_id: i64,
    /// Producer epoch, -1 when not idempotent.
    pub producer_epoch: i16,
    /// Sequence of the first record, -1 when not idempotent.
    pub base_sequence: i32,
    /// Number of records.
    pub record_count: i32,
}

fn i16_at(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}
fn i32_at(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn i64_at(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}

impl BatchHeader {
    /// Parses the header at the start of `bytes`, checking only that the header
    /// is present and the magic is 2 (not the CRC, not that the body is whole).
    pub fn parse(bytes: &[u8]) -> Result<Self, BatchError> {
        if bytes.len() < BATCH_HEADER_LEN {
            // The magic byte sits at 16; report it if that much is present, so a
            // v0/v1 message set gets the clearer error.
            if bytes.len() > 16 && bytes[16] as i8 != 2 {
                return Err(BatchError::Magic(bytes[16] as i8));
            }
            return Err(BatchError::Truncated {
                needed: BATCH_HEADER_LEN,
                have: bytes.len(),
            });
        }
        let magic = bytes[16] as i8;
        if magic != 2 {
            return Err(BatchError::Magic(magic));
        }
        let batch_length = i32_at(bytes, 8);
        if (batch_length as i64) < (BATCH_HEADER_LEN - LOG_OVERHEAD) as i64 {
            return Err(BatchError::BadLength(batch_length));
        }
        Ok(Self {
            base_offset: i64_at(bytes, 0),
            batch_length,
            partition_leader_epoch: i32_at(bytes, 12),
            magic,
            crc: u32::from_be_bytes([bytes[17], bytes[18], bytes[19], bytes[20]]),
            attributes: i16_at(bytes, 21),
            last_offset_delta: i32_at(bytes, 23),
            base_timestamp: i64_at(bytes, 27),
            max_timestamp: i64_at(bytes, 35),
            producer_id: i64_at(bytes, 43),
            producer_epoch: i16_at(bytes, 51),
            base_sequence: i32_at(bytes, 53),
            record_count: i32_at(bytes, 57),
        })
    }

    /// Total size of the batch on the wire and on disk.
    pub fn total_len(&self) -> usize {
        LOG_OVERHEAD + self.batch_length as usize
    }

    /// Offset of the last record.
    pub fn last_offset(&self) -> i64 {
        self.base_offset + self.last_offset_delta as i64
    }

    /// Offset the next batch would start at.
    pub fn next_offset(&self) -> i64 {
        self.last_offset() + 1
    }

    /// Sequence number of the last record (wrapping at `i32::MAX` as Kafka does).
    pub fn last_sequence(&self) -> i32 {
        if self.base_sequence < 0 {
            return -1;
        }
        let last = self.base_sequence as i64 + self.last_offset_delta as i64;
        if last > i32::MAX as i64 {
            (last - i32::MAX as i64 - 1) as i32
        } else {
            last as i32
        }
    }

    /// The compression codec.
    pub fn compression(&self) -> Result<Compression, BatchError> {
        Ok(match self.attributes & 0x07 {
            0 => Compression::None,
            1 => Compression::Gzip,
            2 => Compression::Snappy,
            3 => Compression::Lz4,
            4 => Compression::Zstd,
            other => return Err(BatchError::Codec(other)),
        })
    }

    /// True when the timestamps are LogAppendTime.
    pub fn is_log_append_time(&self) -> bool {
        self.attributes & 0x08 != 0
    }

    /// True for batches written inside a transaction.
    pub fn is_transactional(&self) -> bool {
        self.attributes & 0x10 != 0
    }

    /// True for control batches (transaction COMMIT/ABORT markers).
    pub fn is_control(&self) -> bool {
        self.attributes & 0x20 != 0
    }

    /// True when the producer is idempotent (has a producer id).
    pub fn has_producer_id(&self) -> bool {
        self.producer_id >= 0
    }

    /// Checks the counts are self-consistent (a defensive check on input).
    pub fn check_counts(&self) -> Result<(), BatchError> {
        if self.record_count < 0 || self.last_offset_delta < 0 {
            return Err(BatchError::Counts {
                count: self.record_count,
                delta: self.last_offset_delta,
            });
        }
        Ok(())
    }
}

/// Computes the CRC-32C a batch's header should carry.
pub fn compute_crc(batch: &[u8]) -> u32 {
    crc32c::crc32c(&batch[21..])
}

/// Parses the header of one whole batch and verifies its CRC and counts.
///
/// `batch` must hold exactly one batch (or at least its whole length).
pub fn validate(batch: &[u8]) -> Result<BatchHeader, BatchError> {
    let header = BatchHeader::parse(batch)?;
    if batch.len() < header.total_len() {
        return Err(BatchError::Truncated {
            needed: header.total_len(),
            have: batch.len(),
        });
    }
    header.check_counts()?;
    header.compression()?;
    let actual = compute_crc(&batch[..header.total_len()]);
    if actual != header.crc {
        return Err(BatchError::Crc {
            expected: header.crc,
            actual,
        });
    }
    Ok(header)
}

/// Where a rewrite of the base offset goes: bytes 0..8, outside the CRC.
pub fn set_base_offset(batch: &mut [u8], base_offset: i64) {
    batch[..8].copy_from_slice(&base_offset.to_be_bytes());
}

/// Rewrites the partition leader epoch: bytes 12..16, outside the CRC.
pub fn set_partition_leader_epoch(batch: &mut [u8], epoch: i32) {
    batch[12..16].copy_from_slice(&epoch.to_be_bytes());
}

/// Walks concatenated record batches in a buffer.
///
/// Yields `(header, bytes)` for each whole batch. A truncated final batch (which
/// Fetch responses may legitimately carry) ends the iteration without an error;
/// [`BatchIter::remainder`] tells how many bytes were left. A malformed header
/// yields one `Err` and then ends.
#[derive(Debug)]
pub struct BatchIter {
    buf: Bytes,
    failed: bool,
}

impl BatchIter {
    /// Iterates over the batches in `buf`.
    pub fn new(buf: Bytes) -> Self {
        Self { buf, failed: false }
    }

    /// Bytes not yet yielded (a truncated tail, after iteration ends).
    pub fn remainder(&self) -> usize {
        self.buf.len()
    }
}

impl Iterator for BatchIter {
    type Item = Result<(BatchHeader, Bytes), BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.buf.len() < BATCH_HEADER_LEN {
            return None;
        }
        match BatchHeader::parse(&self.buf) {
            Ok(header) => {
                let len = header.total_len();
                if self.buf.len() < len {
                    return None;
                }
                Some(Ok((header, self.buf.split_to(len))))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::records::{
        Compression as KCompression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    pub(crate) fn encode(n: usize, compression: KCompression) -> Bytes {
        let records: Vec<Record> = (0..n)
            .map(|i| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: 0,
                producer_id: 7,
                producer_epoch: 1,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                sequence: i as i32,
                timestamp: 1_700_000_000_000 + i as i64,
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from(format!("value {i}"))),
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
        .unwrap();
        buf.freeze()
    }

    #[test]
    fn header_matches_encoder_for_every_codec() {
        for c in [
            KCompression::None,
            KCompression::Gzip,
            KCompression::Snappy,
            KCompression::Lz4,
            KCompression::Zstd,
        ] {
            let bytes = encode(5, c);
            let h = validate(&bytes).unwrap();
            assert_eq!(h.record_count, 5);
            assert_eq!(h.last_offset_delta, 4);
            assert_eq!(h.producer_id, 7);
            assert_eq!(h.base_sequence, 0);
            assert_eq!(h.last_sequence(), 4);
            assert_eq!(h.max_timestamp, 1_700_000_000_004);
            assert_eq!(h.total_len(), bytes.len());
        }
    }

    #[test]
    fn offset_rewrite_keeps_crc_valid() {
        let mut bytes = BytesMut::from(&encode(3, KCompression::Lz4)[..]);
        set_base_offset(&mut bytes, 1234);
        set_partition_leader_epoch(&mut bytes, 9);
        let h = validate(&bytes).unwrap();
        assert_eq!(h.base_offset, 1234);
        assert_eq!(h.last_offset(), 1236);
    }

    #[test]
    fn corrupt_byte_fails_crc() {
        let mut bytes = BytesMut::from(&encode(3, KCompression::None)[..]);
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        assert!(matches!(validate(&bytes), Err(BatchError::Crc { .. })));
    }

    #[test]
    fn iterator_stops_at_truncated_tail() {
        let one = encode(2, KCompression::None);
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&one);
        buf.extend_from_slice(&one);
        buf.extend_from_slice(&one[..one.len() - 3]);
        let mut it = BatchIter::new(buf.freeze());
        assert_eq!(it.by_ref().count(), 2);
        assert_eq!(it.remainder(), one.len() - 3);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(BatchHeader::parse(&[0u8; 10]).is_err());
        let mut b = vec![0u8; 80];
        b[16] = 2;
        b[8..12].copy_from_slice(&(-5i32).to_be_bytes());
        assert!(matches!(
            BatchHeader::parse(&b),
            Err(BatchError::BadLength(-5))
        ));
        b[16] = 1;
        assert!(matches!(BatchHeader::parse(&b), Err(BatchError::Magic(1))));
    }
}
