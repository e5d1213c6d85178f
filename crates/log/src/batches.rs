//! Pure append logic: validating a buffer of batches, assigning offsets,
//! checking mirror order, and summarising what was appended.

use ferry_protocol::batch::{
    BatchError, BatchHeader, set_base_offset, set_partition_leader_epoch, validate,
};

use crate::LogError;

/// Last offset of a batch, saturating instead of overflowing on hostile
/// headers (`BatchHeader::last_offset` would overflow near `i64::MAX`).
pub(crate) fn last_offset(header: &BatchHeader) -> i64 {
    header
        .base_offset
        .saturating_add(i64::from(header.last_offset_delta))
}

/// Offset after a batch, saturating.
pub(crate) fn next_offset(header: &BatchHeader) -> i64 {
    last_offset(header).saturating_add(1)
}

/// A validated batch and where it starts in its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Located {
    /// Byte position in the append buffer.
    pub(crate) position: usize,
    /// Its header (updated when offsets are assigned).
    pub(crate) header: BatchHeader,
}

/// What an append wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendInfo {
    /// Base offset of the first batch written.
    pub base_offset: i64,
    /// Last offset of the last batch written.
    pub last_offset: i64,
    /// Largest batch max timestamp written, -1 when none.
    pub max_timestamp: i64,
    /// Last offset of the first batch carrying `max_timestamp` (Kafka's
    /// "shallow" offset of max timestamp; -1 when none). Exact record-level
    /// answers come from [`PartitionLog::max_timestamp_offset`](crate::PartitionLog::max_timestamp_offset).
    pub offset_of_max_timestamp: i64,
    /// Headers of the batches as written (with assigned offsets and epoch).
    pub batches: Vec<BatchHeader>,
    /// Bytes written.
    pub bytes: usize,
}

/// Checks every batch in `buf` (header, counts, codec, CRC) and that the
/// buffer holds nothing but whole batches. An empty buffer is an error too:
/// Kafka rejects a produce without records.
pub(crate) fn validate_all(buf: &[u8]) -> Result<Vec<Located>, BatchError> {
    if buf.is_empty() {
        return Err(BatchError::Truncated {
            needed: ferry_protocol::batch::BATCH_HEADER_LEN,
            have: 0,
        });
    }
    let mut out = Vec::new();
    let mut position = 0;
    while let Some(rest) = buf.get(position..).filter(|r| !r.is_empty()) {
        let header = validate(rest)?;
        out.push(Located { position, header });
        position += header.total_len();
    }
    Ok(out)
}

/// Leader append from a producer: like Kafka's `LogValidator`, a batch must
/// hold at least one record and exactly as many records as offsets it spans,
/// so a producer cannot burn offsets with a doctored `lastOffsetDelta`.
/// (Mirror appends skip this: compacted source batches have fewer records.)
pub(crate) fn check_producer_counts(batches: &[Located]) -> Result<(), BatchError> {
    for b in batches {
        let h = &b.header;
        if h.record_count <= 0 || i64::from(h.record_count) != i64::from(h.last_offset_delta) + 1 {
            return Err(BatchError::Counts {
                count: h.record_count,
                delta: h.last_offset_delta,
            });
        }
    }
    Ok(())
}

/// Leader append: gives the batches consecutive offsets from `first` and the
/// leader epoch, rewriting bytes 0..8 and 12..16 of each batch (outside the
/// CRC). Fails, having possibly rewritten some batches, when offsets would
/// overflow.
pub(crate) fn assign_offsets(
    buf: &mut [u8],
    batches: &mut [Located],
    first: i64,
    leader_epoch: i32,
) -> Result<(), LogError> {
    let mut next = first;
    for b in batches.iter_mut() {
        let overflow = LogError::OffsetOverflow {
            log_end_offset: first,
        };
        let after = next
            .checked_add(i64::from(b.header.last_offset_delta))
            .and_then(|l| l.checked_add(1))
            .ok_or(overflow)?;
        if let Some(bytes) = buf.get_mut(b.position..b.position + b.header.total_len()) {
            set_base_offset(bytes, next);
            set_partition_leader_epoch(bytes, leader_epoch);
        }
        b.header.base_offset = next;
        b.header.partition_leader_epoch = leader_epoch;
        next = after;
    }
    Ok(())
}

/// Mirror append: batches keep their offsets, which must start at or after
/// `log_end` and increase from batch to batch (gaps allowed).
pub(crate) fn check_mirror_order(batches: &[Located], log_end: i64) -> Result<(), LogError> {
    let mut expected = log_end;
    for b in batches {
        if b.header.base_offset < expected {
            return Err(LogError::OffsetOutOfOrder {
                offset: b.header.base_offset,
                expected_at_least: expected,
            });
        }
        expected = b
            .header
            .base_offset
            .checked_add(i64::from(b.header.last_offset_delta))
            .and_then(|l| l.checked_add(1))
            .ok_or(LogError::OffsetOverflow {
                log_end_offset: log_end,
            })?;
    }
    Ok(())
}

/// Summarises validated, offset-final batches.
pub(crate) fn summarize(batches: &[Located], bytes: usize) -> AppendInfo {
    let mut max_timestamp = -1;
    let mut offset_of_max_timestamp = -1;
    for b in batches {
        if b.header.max_timestamp > max_timestamp {
            max_timestamp = b.header.max_timestamp;
            offset_of_max_timestamp = last_offset(&b.header);
        }
    }
    AppendInfo {
        base_offset: batches.first().map_or(-1, |b| b.header.base_offset),
        last_offset: batches.last().map_or(-1, |b| last_offset(&b.header)),
        max_timestamp,
        offset_of_max_timestamp,
        batches: batches.iter().map(|b| b.header).collect(),
        bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_batches::{encode, encode_at};
    use ferry_protocol::batch::BatchHeader;
    use kafka_protocol::records::Compression;

    #[test]
    fn validate_all_splits_and_rejects() {
        let mut buf = encode(3, Compression::None, 1000).to_vec();
        buf.extend_from_slice(&encode(2, Compression::Zstd, 2000));
        let located = validate_all(&buf).unwrap();
        assert_eq!(located.len(), 2);
        assert_eq!(located[1].position, located[0].header.total_len());
        assert!(validate_all(&[]).is_err());
        assert!(matches!(
            validate_all(&buf[..buf.len() - 1]),
            Err(BatchError::Truncated { .. })
        ));
        let n = buf.len();
        buf[n - 1] ^= 0x55;
        assert!(matches!(validate_all(&buf), Err(BatchError::Crc { .. })));
    }

    #[test]
    fn assign_offsets_rewrites_outside_the_crc() {
        let mut buf = encode(3, Compression::Lz4, 0).to_vec();
        buf.extend_from_slice(&encode(4, Compression::Gzip, 0));
        let mut located = validate_all(&buf).unwrap();
        assign_offsets(&mut buf, &mut located, 500, 7).unwrap();
        let again = validate_all(&buf).unwrap();
        assert_eq!(again, located, "CRC still valid, headers as reported");
        assert_eq!(
            again
                .iter()
                .map(|b| (b.header.base_offset, b.header.partition_leader_epoch))
                .collect::<Vec<_>>(),
            [(500, 7), (503, 7)]
        );
        let mut located = validate_all(&buf).unwrap();
        assert!(matches!(
            assign_offsets(&mut buf, &mut located, i64::MAX - 3, 0),
            Err(LogError::OffsetOverflow { .. })
        ));
    }

    #[test]
    fn producer_counts_must_match_offsets() {
        let buf = encode(3, Compression::None, 0);
        let mut located = validate_all(&buf).unwrap();
        assert!(check_producer_counts(&located).is_ok());
        located[0].header.last_offset_delta = 5;
        assert!(matches!(
            check_producer_counts(&located),
            Err(BatchError::Counts { count: 3, delta: 5 })
        ));
        located[0].header.last_offset_delta = -1;
        located[0].header.record_count = 0;
        assert!(check_producer_counts(&located).is_err());
    }

    #[test]
    fn mirror_order() {
        let mut buf = encode_at(10, 2, Compression::None, 0).to_vec();
        buf.extend_from_slice(&encode_at(20, 2, Compression::None, 0));
        let located = validate_all(&buf).unwrap();
        assert!(check_mirror_order(&located, 0).is_ok());
        assert!(check_mirror_order(&located, 10).is_ok());
        assert!(matches!(
            check_mirror_order(&located, 11),
            Err(LogError::OffsetOutOfOrder {
                offset: 10,
                expected_at_least: 11
            })
        ));
        let mut buf = encode_at(10, 2, Compression::None, 0).to_vec();
        buf.extend_from_slice(&encode_at(11, 2, Compression::None, 0));
        let located = validate_all(&buf).unwrap();
        assert!(matches!(
            check_mirror_order(&located, 0),
            Err(LogError::OffsetOutOfOrder {
                offset: 11,
                expected_at_least: 12
            })
        ));
    }

    #[test]
    fn summary_picks_first_batch_with_max_timestamp() {
        let h = |base: i64, ts: i64| Located {
            position: 0,
            header: BatchHeader {
                base_offset: base,
                batch_length: 49,
                partition_leader_epoch: 0,
                magic: 2,
                crc: 0,
                attributes: 0,
                last_offset_delta: 1,
                base_timestamp: ts,
                max_timestamp: ts,
                producer_id: -1,
                producer_epoch: -1,
                base_sequence: -1,
                record_count: 2,
            },
        };
        let info = summarize(&[h(0, 5), h(2, 9), h(4, 9), h(6, 1)], 244);
        assert_eq!(
            (
                info.base_offset,
                info.last_offset,
                info.max_timestamp,
                info.offset_of_max_timestamp,
                info.bytes
            ),
            (0, 7, 9, 3, 244)
        );
        assert_eq!(info.batches.len(), 4);
    }
}
