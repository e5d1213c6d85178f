//! When the active segment rolls, as a pure function.

use crate::LogConfig;
use crate::recovery::{MAX_POSITION, MAX_RELATIVE_OFFSET};

/// The active segment's state and the batch about to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RollInput {
    /// Segment base offset.
    pub(crate) base_offset: i64,
    /// Current file size.
    pub(crate) size: u64,
    /// Milliseconds since the segment's rolling time (creation, or its first
    /// batch's timestamp), when the age rule applies to this write.
    pub(crate) age_ms: Option<i64>,
    /// Offset-index entries.
    pub(crate) index_entries: usize,
    /// Time-index entries.
    pub(crate) time_index_entries: usize,
    /// Bytes about to be written.
    pub(crate) write_len: u64,
    /// Last offset of what is about to be written.
    pub(crate) write_last_offset: i64,
}

/// Why a segment rolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RollReason {
    /// `segment.bytes` would be exceeded.
    Size,
    /// Older than `segment.ms`.
    Age,
    /// An index reached `segment.index.bytes`.
    IndexFull,
    /// An offset or position would not fit a 32-bit index field.
    IndexRange,
}

/// Decides whether to roll before writing. An empty segment only rolls when
/// the write's offsets cannot be indexed in it (a mirror batch far past a
/// gap); everything else may go into an empty segment, however large.
pub(crate) fn should_roll(config: &LogConfig, input: &RollInput) -> Option<RollReason> {
    let rel = input.write_last_offset.saturating_sub(input.base_offset);
    if !(0..=MAX_RELATIVE_OFFSET).contains(&rel) {
        return Some(RollReason::IndexRange);
    }
    if input.size == 0 {
        return None;
    }
    if input.size.saturating_add(input.write_len) > MAX_POSITION.saturating_add(1) {
        return Some(RollReason::IndexRange);
    }
    if input.size.saturating_add(input.write_len) > config.segment_bytes {
        return Some(RollReason::Size);
    }
    if input.age_ms.is_some_and(|age| age > config.segment_ms) {
        return Some(RollReason::Age);
    }
    if input.index_entries >= config.max_index_entries()
        || input.time_index_entries >= config.max_time_index_entries()
    {
        return Some(RollReason::IndexFull);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RollInput {
        RollInput {
            base_offset: 100,
            size: 1000,
            age_ms: Some(10),
            index_entries: 0,
            time_index_entries: 0,
            write_len: 100,
            write_last_offset: 150,
        }
    }

    fn config() -> LogConfig {
        LogConfig {
            segment_bytes: 1100,
            segment_ms: 60_000,
            segment_index_bytes: 80,
            ..LogConfig::default()
        }
    }

    #[test]
    fn each_reason() {
        let c = config();
        assert_eq!(should_roll(&c, &input()), None, "exactly full is fine");
        assert_eq!(
            should_roll(
                &c,
                &RollInput {
                    write_len: 101,
                    ..input()
                }
            ),
            Some(RollReason::Size)
        );
        assert_eq!(
            should_roll(
                &c,
                &RollInput {
                    age_ms: Some(60_001),
                    ..input()
                }
            ),
            Some(RollReason::Age)
        );
        assert_eq!(
            should_roll(
                &c,
                &RollInput {
                    age_ms: Some(60_000),
                    ..input()
                }
            ),
            None
        );
        assert_eq!(
            should_roll(
                &c,
                &RollInput {
                    index_entries: 10,
                    ..input()
                }
            ),
            Some(RollReason::IndexFull)
        );
        assert_eq!(
            should_roll(
                &c,
                &RollInput {
                    time_index_entries: 6,
                    ..input()
                }
            ),
            Some(RollReason::IndexFull)
        );
        assert_eq!(
            should_roll(
                &c,
                &RollInput {
                    time_index_entries: 5,
                    ..input()
                }
            ),
            None
        );
        assert_eq!(
            should_roll(
                &c,
                &RollInput {
                    write_last_offset: 100 + MAX_RELATIVE_OFFSET + 1,
                    ..input()
                }
            ),
            Some(RollReason::IndexRange)
        );
        let big = LogConfig {
            segment_bytes: u64::MAX,
            ..c
        };
        assert_eq!(
            should_roll(
                &big,
                &RollInput {
                    size: MAX_POSITION,
                    write_len: 2,
                    ..input()
                }
            ),
            Some(RollReason::IndexRange)
        );
    }

    #[test]
    fn empty_segments_take_anything_indexable() {
        let c = config();
        let empty = RollInput {
            size: 0,
            write_len: 1 << 20,
            age_ms: Some(i64::MAX),
            index_entries: 99,
            ..input()
        };
        assert_eq!(should_roll(&c, &empty), None);
        assert_eq!(
            should_roll(
                &c,
                &RollInput {
                    write_last_offset: i64::MAX,
                    ..empty
                }
            ),
            Some(RollReason::IndexRange)
        );
    }
}
