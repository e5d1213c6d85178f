//! Which segments retention deletes, as pure functions.
//!
//! Each policy answers with a count: the oldest `n` segments go. Like Kafka,
//! a policy stops at the first segment it would keep (segments are deleted
//! oldest first, never from the middle), and may include the active (last)
//! segment if it is not empty; the log then rolls first so that an empty
//! active segment remains.

/// What retention needs to know about a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentSummary {
    /// Base offset.
    pub(crate) base_offset: i64,
    /// File size in bytes.
    pub(crate) size: u64,
    /// Newest record timestamp (falls back to the file's modification time
    /// when no batch carries a timestamp).
    pub(crate) max_timestamp: i64,
}

/// Takes oldest segments while `deletable(segment, next)` holds, never an
/// empty last segment.
fn prefix(
    segments: &[SegmentSummary],
    mut deletable: impl FnMut(&SegmentSummary, Option<&SegmentSummary>) -> bool,
) -> usize {
    let mut n = 0;
    for (i, seg) in segments.iter().enumerate() {
        let next = segments.get(i + 1);
        if next.is_none() && seg.size == 0 {
            break;
        }
        if !deletable(seg, next) {
            break;
        }
        n += 1;
    }
    n
}

/// `retention.ms`: segments whose newest record is older than
/// `now_ms - retention_ms`. Negative `retention_ms` means unlimited.
pub(crate) fn breached_by_time(
    segments: &[SegmentSummary],
    now_ms: i64,
    retention_ms: i64,
) -> usize {
    if retention_ms < 0 {
        return 0;
    }
    let cutoff = now_ms.saturating_sub(retention_ms);
    prefix(segments, |s, _| s.max_timestamp < cutoff)
}

/// `retention.bytes`: oldest segments while what remains is still at least
/// as large as the limit (Kafka's rule: a segment goes if the log minus it is
/// still `>= retention.bytes`). Negative `retention_bytes` means unlimited.
pub(crate) fn breached_by_size(segments: &[SegmentSummary], retention_bytes: i64) -> usize {
    let Ok(limit) = u64::try_from(retention_bytes) else {
        return 0;
    };
    let total: u64 = segments.iter().map(|s| s.size).sum();
    let Some(mut excess) = total.checked_sub(limit) else {
        return 0;
    };
    prefix(segments, |s, _| match excess.checked_sub(s.size) {
        Some(rest) => {
            excess = rest;
            true
        }
        None => false,
    })
}

/// Segments wholly below the log start offset: those whose successor starts
/// at or below it (the last segment is never one of them).
pub(crate) fn below_log_start(segments: &[SegmentSummary], log_start: i64) -> usize {
    prefix(segments, |_, next| {
        next.is_some_and(|n| n.base_offset <= log_start)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(base_offset: i64, size: u64, max_timestamp: i64) -> SegmentSummary {
        SegmentSummary {
            base_offset,
            size,
            max_timestamp,
        }
    }

    #[test]
    fn time_retention_takes_an_old_prefix() {
        let segs = [
            seg(0, 10, 100),
            seg(5, 10, 300),
            seg(9, 10, 150),
            seg(12, 10, 400),
        ];
        assert_eq!(
            breached_by_time(&segs, 1000, 850),
            1,
            "stops at the first young segment"
        );
        assert_eq!(breached_by_time(&segs, 1000, 600), 3);
        assert_eq!(breached_by_time(&segs, 1000, 0), 4, "active too");
        assert_eq!(breached_by_time(&segs, 1000, -1), 0);
        assert_eq!(breached_by_time(&segs, 1000, 900), 0, "boundary is strict");
        let with_empty_active = [seg(0, 10, 100), seg(5, 0, -1)];
        assert_eq!(breached_by_time(&with_empty_active, 1000, 0), 1);
    }

    #[test]
    fn size_retention_keeps_at_least_the_limit() {
        let segs = [
            seg(0, 100, 0),
            seg(1, 100, 0),
            seg(2, 100, 0),
            seg(3, 50, 0),
        ];
        assert_eq!(breached_by_size(&segs, 350), 0);
        assert_eq!(breached_by_size(&segs, 250), 1);
        assert_eq!(breached_by_size(&segs, 249), 1);
        assert_eq!(breached_by_size(&segs, 150), 2);
        assert_eq!(breached_by_size(&segs, 50), 3);
        assert_eq!(breached_by_size(&segs, 0), 4);
        assert_eq!(breached_by_size(&segs, -1), 0);
    }

    #[test]
    fn log_start_deletes_wholly_covered_segments() {
        let segs = [seg(0, 1, 0), seg(10, 1, 0), seg(20, 1, 0)];
        assert_eq!(below_log_start(&segs, 9), 0);
        assert_eq!(below_log_start(&segs, 10), 1);
        assert_eq!(below_log_start(&segs, 25), 2, "never the active segment");
    }
}
