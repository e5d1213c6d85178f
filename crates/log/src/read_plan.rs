//! Choosing which stored batches a read returns, as a pure function over a
//! buffer read from a segment.
//!
//! A read asks for `offset`; the answer starts with the first batch whose
//! last offset is `>= offset` (the batch containing it, or the next one after
//! a gap) and continues with whole batches while they fit in `max_bytes` and
//! start below `max_offset`. The first batch is returned even when it alone
//! is larger than `max_bytes` (KIP-74), so a consumer always makes progress.

use ferry_protocol::batch::{BATCH_HEADER_LEN, BatchHeader};

use crate::batches::last_offset;

/// The outcome of [`select`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection {
    /// Return `buf[start..end]`.
    Range {
        /// Start of the first batch.
        start: usize,
        /// End of the last whole batch included.
        end: usize,
    },
    /// The first batch starts at `start` and is `len` bytes long, more than
    /// the buffer holds: read exactly it.
    FirstBatch {
        /// Its start in the buffer.
        start: usize,
        /// Its length.
        len: usize,
    },
    /// No batch at or after the offset in the buffer: continue from
    /// `resume_at` (the first byte not examined).
    NotFound {
        /// Where the unexamined bytes start.
        resume_at: usize,
    },
    /// The first batch at or after the offset starts at or above
    /// `max_offset`: nothing may be returned.
    Bounded,
    /// Bytes at `at` are not a batch header.
    Corrupt {
        /// Position in the buffer.
        at: usize,
        /// What was wrong.
        reason: String,
    },
}

/// Picks the batches to return from `buf`, which starts at a batch boundary.
pub(crate) fn select(
    buf: &[u8],
    offset: i64,
    max_bytes: usize,
    max_offset: Option<i64>,
) -> Selection {
    let mut at = 0;
    let first = loop {
        let Some(rest) = buf.get(at..).filter(|r| r.len() >= BATCH_HEADER_LEN) else {
            return Selection::NotFound { resume_at: at };
        };
        let header = match BatchHeader::parse(rest) {
            Ok(h) => h,
            Err(e) => {
                return Selection::Corrupt {
                    at,
                    reason: e.to_string(),
                };
            }
        };
        if last_offset(&header) >= offset {
            break header;
        }
        at += header.total_len();
    };
    let below_bound = |h: &BatchHeader| max_offset.is_none_or(|m| h.base_offset < m);
    if !below_bound(&first) {
        return Selection::Bounded;
    }
    let start = at;
    let mut end = start + first.total_len();
    if end > buf.len() {
        return Selection::FirstBatch {
            start,
            len: first.total_len(),
        };
    }
    while let Some(rest) = buf.get(end..)
        && let Ok(h) = BatchHeader::parse(rest)
    {
        let next_end = end + h.total_len();
        if next_end > buf.len() || next_end - start > max_bytes || !below_bound(&h) {
            break;
        }
        end = next_end;
    }
    Selection::Range { start, end }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_batches::encode_at;
    use kafka_protocol::records::Compression;

    /// Batches at offsets 0-2, 3-4, (gap) 10-13; returns the buffer and
    /// the batch boundaries.
    fn buffer() -> (Vec<u8>, Vec<usize>) {
        let mut buf = vec![];
        let mut bounds = vec![0];
        for (base, n) in [(0, 3), (3, 2), (10, 4)] {
            buf.extend_from_slice(&encode_at(base, n, Compression::None, 0));
            bounds.push(buf.len());
        }
        (buf, bounds)
    }

    #[test]
    fn starts_at_the_containing_batch() {
        let (buf, b) = buffer();
        let all = usize::MAX;
        assert_eq!(
            select(&buf, 0, all, None),
            Selection::Range {
                start: 0,
                end: b[3]
            }
        );
        assert_eq!(
            select(&buf, 2, all, None),
            Selection::Range {
                start: 0,
                end: b[3]
            }
        );
        assert_eq!(
            select(&buf, 4, all, None),
            Selection::Range {
                start: b[1],
                end: b[3]
            }
        );
        assert_eq!(
            select(&buf, 7, all, None),
            Selection::Range {
                start: b[2],
                end: b[3]
            },
            "gap"
        );
        assert_eq!(
            select(&buf, 14, all, None),
            Selection::NotFound { resume_at: b[3] }
        );
    }

    #[test]
    fn max_bytes_and_kip_74() {
        let (buf, b) = buffer();
        assert_eq!(
            select(&buf, 0, b[2], None),
            Selection::Range {
                start: 0,
                end: b[2]
            }
        );
        assert_eq!(
            select(&buf, 0, b[2] - 1, None),
            Selection::Range {
                start: 0,
                end: b[1]
            }
        );
        assert_eq!(
            select(&buf, 0, 1, None),
            Selection::Range {
                start: 0,
                end: b[1]
            },
            "KIP-74"
        );
        assert_eq!(
            select(&buf, 0, 0, None),
            Selection::Range {
                start: 0,
                end: b[1]
            }
        );
        // A first batch cut off by the buffer asks for an exact read.
        assert_eq!(
            select(&buf[..b[2] + 70], 5, 1, None),
            Selection::FirstBatch {
                start: b[2],
                len: b[3] - b[2]
            }
        );
        // A later batch cut off by the buffer is left out.
        assert_eq!(
            select(&buf[..b[3] - 1], 0, usize::MAX, None),
            Selection::Range {
                start: 0,
                end: b[2]
            }
        );
    }

    #[test]
    fn max_offset_bounds_batch_bases() {
        let (buf, b) = buffer();
        assert_eq!(
            select(&buf, 0, usize::MAX, Some(3)),
            Selection::Range {
                start: 0,
                end: b[1]
            }
        );
        assert_eq!(
            select(&buf, 0, usize::MAX, Some(4)),
            Selection::Range {
                start: 0,
                end: b[2]
            }
        );
        assert_eq!(
            select(&buf, 0, usize::MAX, Some(11)),
            Selection::Range {
                start: 0,
                end: b[3]
            }
        );
        assert_eq!(select(&buf, 3, usize::MAX, Some(3)), Selection::Bounded);
        assert_eq!(select(&buf, 0, usize::MAX, Some(0)), Selection::Bounded);
        assert_eq!(select(&buf, 5, usize::MAX, Some(10)), Selection::Bounded);
    }

    #[test]
    fn garbage_is_reported() {
        let (mut buf, b) = buffer();
        buf[b[1] + 16] = 7; // magic of the second batch
        assert!(
            matches!(select(&buf, 4, usize::MAX, None), Selection::Corrupt { at, .. } if at == b[1])
        );
        assert_eq!(
            select(&buf, 0, usize::MAX, None),
            Selection::Range {
                start: 0,
                end: b[1]
            }
        );
        assert_eq!(
            select(&[], 0, 10, None),
            Selection::NotFound { resume_at: 0 }
        );
    }
}
