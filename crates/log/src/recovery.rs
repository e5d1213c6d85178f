//! Recovery decisions, as pure functions over bytes and numbers.
//!
//! The segment module drives the IO: it hands [`step`] whatever bytes it has
//! buffered at a file position and acts on the answer (read more, accept a
//! batch, or truncate the file there). Keeping the decisions here lets the
//! tests feed torn and corrupt inputs without touching a disk.

use ferry_protocol::batch::{BATCH_HEADER_LEN, BatchHeader, validate};

use crate::batches::last_offset;

/// Largest offset distance from a segment's base that indexes may address.
///
/// Index entries hold relative offsets as 32-bit values; Kafka reads them as
/// signed, so the bound is `i32::MAX`, which also fits `u32`.
pub(crate) const MAX_RELATIVE_OFFSET: i64 = i32::MAX as i64;

/// Largest segment file position indexes may address (Kafka's `Int.MaxValue`).
pub(crate) const MAX_POSITION: u64 = i32::MAX as u64;

/// What a scan accepts as the next batch of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScanRules {
    /// Check every batch's CRC (the active segment after an unclean shutdown).
    pub(crate) verify_crc: bool,
    /// The segment's base offset: no batch may start below it, nor end more
    /// than [`MAX_RELATIVE_OFFSET`] above it.
    pub(crate) segment_base: i64,
    /// The next batch may not start below this (offsets only increase).
    pub(crate) min_base_offset: i64,
    /// The next batch must end below this: the next segment's base offset.
    pub(crate) offset_limit: Option<i64>,
}

/// What to do with the bytes buffered at a scan position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// A whole, acceptable batch starts here.
    Batch(BatchHeader),
    /// Buffer at least this many bytes from the position, then ask again.
    Need(usize),
    /// The segment's valid data ends here; truncate the file at this position.
    /// `torn` tells a short tail (normal after kill -9) from bad bytes.
    Stop {
        /// True when the file simply ends inside a batch.
        torn: bool,
        /// Why, for the log.
        reason: String,
    },
}

/// Decides about the batch at a scan position.
///
/// `window` holds the bytes buffered from the position (possibly fewer than a
/// batch); `left_in_file` counts the bytes from the position to the end of
/// the file.
pub(crate) fn step(window: &[u8], left_in_file: u64, rules: &ScanRules) -> Step {
    let stop = |torn: bool, reason: String| Step::Stop { torn, reason };
    if left_in_file < BATCH_HEADER_LEN as u64 {
        return stop(
            true,
            format!("{left_in_file} trailing bytes are shorter than a batch header"),
        );
    }
    if window.len() < BATCH_HEADER_LEN {
        return Step::Need(BATCH_HEADER_LEN);
    }
    let header = match BatchHeader::parse(window) {
        Ok(h) => h,
        Err(e) => return stop(false, e.to_string()),
    };
    let total = header.total_len();
    if total as u64 > left_in_file {
        return stop(
            true,
            format!("batch of {total} bytes but only {left_in_file} left in the file"),
        );
    }
    if rules.verify_crc {
        if window.len() < total {
            return Step::Need(total);
        }
        if let Err(e) = validate(window) {
            return stop(false, e.to_string());
        }
    } else if let Err(e) = header.check_counts() {
        return stop(false, e.to_string());
    }
    if header.base_offset < rules.min_base_offset.max(rules.segment_base) {
        return stop(
            false,
            format!(
                "batch base offset {} goes back below {}",
                header.base_offset,
                rules.min_base_offset.max(rules.segment_base)
            ),
        );
    }
    let last = last_offset(&header);
    if last.saturating_sub(rules.segment_base) > MAX_RELATIVE_OFFSET {
        return stop(
            false,
            format!("batch last offset {last} is too far from the segment base"),
        );
    }
    if let Some(limit) = rules.offset_limit
        && last >= limit
    {
        return stop(
            false,
            format!("batch last offset {last} overlaps the next segment at {limit}"),
        );
    }
    Step::Batch(header)
}

/// How the log start offset is settled on open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartDecision {
    /// Start the log here.
    Start(i64),
    /// The checkpoint is beyond everything on disk (data lost after the log
    /// start was persisted): drop all segments and start an empty log here,
    /// so offsets never go backwards.
    TruncateFullyTo(i64),
}

/// Settles the log start offset on open: the checkpoint, but never below the
/// first segment's base nor (for a mirror log with a gap at its head) below
/// the first batch's base offset; never above the log end.
pub(crate) fn log_start_on_open(
    checkpoint: Option<i64>,
    first_segment_base: i64,
    first_batch_base: Option<i64>,
    log_end: i64,
) -> StartDecision {
    let checkpoint = checkpoint.unwrap_or(0);
    if checkpoint > log_end {
        return StartDecision::TruncateFullyTo(checkpoint);
    }
    let start = checkpoint
        .max(first_segment_base)
        .max(first_batch_base.unwrap_or(i64::MIN))
        .min(log_end);
    StartDecision::Start(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use ferry_protocol::batch::set_base_offset;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    fn batch(base: i64, n: usize) -> Vec<u8> {
        let records: Vec<Record> = (0..n)
            .map(|i| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: 0,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                sequence: i as i32 - 1,
                timestamp: 1000 + i as i64,
                key: None,
                value: Some(bytes::Bytes::from(vec![b'x'; 20])),
                headers: Default::default(),
            })
            .collect();
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            &records,
            &RecordEncodeOptions {
                version: 2,
                compression: Compression::None,
            },
        )
        .unwrap();
        set_base_offset(&mut buf, base);
        buf.to_vec()
    }

    fn rules(verify_crc: bool) -> ScanRules {
        ScanRules {
            verify_crc,
            segment_base: 100,
            min_base_offset: 100,
            offset_limit: None,
        }
    }

    #[test]
    fn accepts_a_whole_batch() {
        let b = batch(100, 3);
        match step(&b, b.len() as u64, &rules(true)) {
            Step::Batch(h) => assert_eq!((h.base_offset, h.last_offset()), (100, 102)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn asks_for_more_bytes_before_deciding() {
        let b = batch(100, 3);
        assert_eq!(step(&b[..10], b.len() as u64, &rules(true)), Step::Need(61));
        assert_eq!(
            step(&b[..70], b.len() as u64, &rules(true)),
            Step::Need(b.len())
        );
        // Without CRC checks the header is enough.
        assert!(matches!(
            step(&b[..61], b.len() as u64, &rules(false)),
            Step::Batch(_)
        ));
    }

    #[test]
    fn every_torn_length_stops_as_torn() {
        let b = batch(100, 3);
        for cut in 0..b.len() {
            match step(&b[..cut], cut as u64, &rules(true)) {
                Step::Stop { torn: true, .. } => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn corruption_and_disorder_stop_as_invalid() {
        let mut b = batch(100, 3);
        let n = b.len();
        b[n - 1] ^= 1;
        assert!(matches!(
            step(&b, n as u64, &rules(true)),
            Step::Stop { torn: false, .. }
        ));
        assert!(
            matches!(step(&b, n as u64, &rules(false)), Step::Batch(_)),
            "CRC only checked on request"
        );

        let b = batch(99, 1);
        assert!(matches!(
            step(&b, b.len() as u64, &rules(true)),
            Step::Stop { torn: false, .. }
        ));
        let b = batch(100, 2);
        let r = ScanRules {
            min_base_offset: 101,
            ..rules(true)
        };
        assert!(matches!(
            step(&b, b.len() as u64, &r),
            Step::Stop { torn: false, .. }
        ));
        let r = ScanRules {
            offset_limit: Some(101),
            ..rules(true)
        };
        assert!(matches!(
            step(&b, b.len() as u64, &r),
            Step::Stop { torn: false, .. }
        ));
        let b = batch(100 + MAX_RELATIVE_OFFSET, 2);
        assert!(matches!(
            step(&b, b.len() as u64, &rules(true)),
            Step::Stop { torn: false, .. }
        ));
        let zeros = [0u8; 100];
        assert!(matches!(
            step(&zeros, 100, &rules(false)),
            Step::Stop { torn: false, .. }
        ));
    }

    #[test]
    fn log_start_decisions() {
        use StartDecision::*;
        assert_eq!(log_start_on_open(None, 0, Some(0), 10), Start(0));
        assert_eq!(log_start_on_open(Some(5), 0, Some(0), 10), Start(5));
        assert_eq!(
            log_start_on_open(Some(5), 8, Some(8), 10),
            Start(8),
            "segments deleted after checkpoint"
        );
        assert_eq!(
            log_start_on_open(Some(0), 0, Some(7), 10),
            Start(7),
            "mirror gap at head"
        );
        assert_eq!(log_start_on_open(Some(10), 10, None, 10), Start(10));
        assert_eq!(
            log_start_on_open(Some(12), 0, Some(0), 10),
            TruncateFullyTo(12)
        );
    }
}
