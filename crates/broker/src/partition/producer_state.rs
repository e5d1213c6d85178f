//! Idempotent-producer state of one partition: per producer id, its epoch, the
//! metadata of its last five batches, and the first offset of its open
//! transaction here.
//!
//! The rules are Kafka's (`ProducerAppendInfo`/`ProducerStateEntry`):
//! - a batch whose sequence range equals one of the producer's last five (same
//!   epoch) is a retry: it is acknowledged with the offsets it got the first
//!   time and not written again;
//! - an epoch below the producer's current one is a zombie:
//!   INVALID_PRODUCER_EPOCH;
//! - a new (higher) epoch must start at sequence 0;
//! - within an epoch, the next batch must start right after the last sequence,
//!   wrapping from `i32::MAX` to 0;
//! - a producer this partition has never seen is accepted at any sequence
//!   (its state may have gone with retention or DeleteRecords), as Kafka does
//!   since KIP-360;
//! - a producer with an open transaction here may only write transactional
//!   batches until its marker.
//!
//! The table is pure data; the partition holds it under its append lock and
//! calls [`ProducerStates::check`] before, [`ProducerStates::record_batch`]
//! after, each append.

use std::collections::{HashMap, VecDeque};

use ferry_protocol::BatchHeader;

/// How many batches per producer are remembered for duplicate detection.
/// librdkafka and the Java client keep at most five requests in flight per
/// partition with idempotence on, so a retry is always among the last five.
pub(crate) const MAX_CACHED_BATCHES: usize = 5;

/// What the partition remembers of one appended batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchMeta {
    /// Sequence of the first record.
    pub(crate) first_seq: i32,
    /// Sequence of the last record (wrapped).
    pub(crate) last_seq: i32,
    /// Offset of the first record as stored.
    pub(crate) first_offset: i64,
    /// Offset of the last record as stored.
    pub(crate) last_offset: i64,
    /// The batch's max timestamp.
    pub(crate) max_timestamp: i64,
}

/// One producer id's state in this partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ProducerEntry {
    /// The newest epoch seen (from data or a marker).
    pub(crate) epoch: i16,
    /// The last batches of `epoch`, oldest first, at most [`MAX_CACHED_BATCHES`].
    pub(crate) batches: VecDeque<BatchMeta>,
    /// First offset of the producer's open transaction in this partition.
    pub(crate) txn_first_offset: Option<i64>,
    /// Coordinator epoch of the last marker.
    pub(crate) coordinator_epoch: i32,
}

impl ProducerEntry {
    fn last_seq(&self) -> Option<i32> {
        self.batches.back().map(|b| b.last_seq)
    }

    fn find(&self, first_seq: i32, last_seq: i32) -> Option<BatchMeta> {
        self.batches
            .iter()
            .find(|b| b.first_seq == first_seq && b.last_seq == last_seq)
            .copied()
    }

    /// Moves to `epoch`, forgetting the batches of an older one.
    fn set_epoch(&mut self, epoch: i16) {
        if epoch != self.epoch {
            self.epoch = epoch;
            self.batches.clear();
        }
    }
}

/// Why a batch was refused; each is a Kafka error code for the partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SequenceError {
    /// INVALID_PRODUCER_EPOCH: the batch's epoch is older than the producer's.
    #[error("producer {producer_id} epoch {epoch} is older than the current epoch {current}")]
    StaleEpoch {
        /// Producer id.
        producer_id: i64,
        /// The batch's epoch.
        epoch: i16,
        /// The producer's current epoch here.
        current: i16,
    },
    /// OUT_OF_ORDER_SEQUENCE_NUMBER: a gap, or a new epoch not starting at 0.
    #[error(
        "producer {producer_id} sequence {first_seq} does not follow {last_seq} (epoch {epoch})"
    )]
    OutOfOrder {
        /// Producer id.
        producer_id: i64,
        /// The batch's epoch.
        epoch: i16,
        /// The batch's first sequence.
        first_seq: i32,
        /// The last sequence written (-1 when none in this epoch).
        last_seq: i32,
    },
    /// INVALID_TXN_STATE: a non-transactional batch from a producer whose
    /// transaction is open here.
    #[error("producer {0} has an open transaction here and sent a non-transactional batch")]
    NotTransactional(i64),
}

/// The result of checking a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Not idempotent, or in sequence: append it.
    Append,
    /// A retry of a batch already stored: answer with its offsets.
    Duplicate(BatchMeta),
}

/// A transaction completed by a marker, for the transaction index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CompletedTxn {
    /// Producer id.
    pub(crate) producer_id: i64,
    /// First offset of the transaction's data here.
    pub(crate) first_offset: i64,
    /// Offset of the marker.
    pub(crate) last_offset: i64,
    /// True for ABORT.
    pub(crate) aborted: bool,
}

/// Whether `next` directly follows `last`, wrapping at `i32::MAX`.
pub(crate) fn in_sequence(last: i32, next: i32) -> bool {
    i64::from(next) == i64::from(last) + 1 || (next == 0 && last == i32::MAX)
}

/// Producer state of one partition.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProducerStates {
    entries: HashMap<i64, ProducerEntry>,
}

impl ProducerStates {
    /// One producer's entry.
    pub(crate) fn get(&self, producer_id: i64) -> Option<&ProducerEntry> {
        self.entries.get(&producer_id)
    }

    /// Checks a client batch (not yet written) against the producer's state.
    ///
    /// # Errors
    /// [`SequenceError`] when the batch must be refused.
    pub(crate) fn check(&self, h: &BatchHeader) -> Result<Check, SequenceError> {
        if h.producer_id < 0 {
            return Ok(Check::Append);
        }
        let Some(entry) = self.entries.get(&h.producer_id) else {
            return Ok(Check::Append);
        };
        let (first_seq, last_seq) = (h.base_sequence, h.last_sequence());
        if h.producer_epoch == entry.epoch
            && let Some(dup) = entry.find(first_seq, last_seq)
        {
            return Ok(Check::Duplicate(dup));
        }
        if h.producer_epoch < entry.epoch {
            return Err(SequenceError::StaleEpoch {
                producer_id: h.producer_id,
                epoch: h.producer_epoch,
                current: entry.epoch,
            });
        }
        let out_of_order = |last| SequenceError::OutOfOrder {
            producer_id: h.producer_id,
            epoch: h.producer_epoch,
            first_seq,
            last_seq: last,
        };
        if h.producer_epoch != entry.epoch {
            if first_seq != 0 {
                return Err(out_of_order(-1));
            }
        } else {
            let last = entry.last_seq().unwrap_or(-1);
            if !in_sequence(last, first_seq) {
                return Err(out_of_order(last));
            }
        }
        if entry.txn_first_offset.is_some() && !h.is_transactional() {
            return Err(SequenceError::NotTransactional(h.producer_id));
        }
        Ok(Check::Append)
    }

    /// Records a data batch as written (with its final offsets). Returns the
    /// first offset of a transaction this batch began, if it began one.
    pub(crate) fn record_batch(&mut self, h: &BatchHeader) -> Option<i64> {
        if h.producer_id < 0 || h.is_control() {
            return None;
        }
        let entry = self
            .entries
            .entry(h.producer_id)
            .or_insert_with(|| ProducerEntry {
                epoch: h.producer_epoch,
                ..ProducerEntry::default()
            });
        entry.set_epoch(h.producer_epoch);
        if h.base_sequence >= 0 {
            entry.batches.push_back(BatchMeta {
                first_seq: h.base_sequence,
                last_seq: h.last_sequence(),
                first_offset: h.base_offset,
                last_offset: h.base_offset.saturating_add(i64::from(h.last_offset_delta)),
                max_timestamp: h.max_timestamp,
            });
            while entry.batches.len() > MAX_CACHED_BATCHES {
                entry.batches.pop_front();
            }
        }
        if h.is_transactional() && entry.txn_first_offset.is_none() {
            entry.txn_first_offset = Some(h.base_offset);
            return Some(h.base_offset);
        }
        None
    }

    /// Records a COMMIT/ABORT marker written at `offset`: the producer's open
    /// transaction here (if any) ends, and its epoch moves up to the marker's.
    pub(crate) fn record_marker(
        &mut self,
        producer_id: i64,
        producer_epoch: i16,
        coordinator_epoch: i32,
        offset: i64,
        aborted: bool,
    ) -> Option<CompletedTxn> {
        let entry = self
            .entries
            .entry(producer_id)
            .or_insert_with(|| ProducerEntry {
                epoch: producer_epoch,
                ..ProducerEntry::default()
            });
        if producer_epoch > entry.epoch {
            entry.set_epoch(producer_epoch);
        }
        entry.coordinator_epoch = coordinator_epoch;
        entry
            .txn_first_offset
            .take()
            .map(|first_offset| CompletedTxn {
                producer_id,
                first_offset,
                last_offset: offset,
                aborted,
            })
    }

    /// Producers with an open transaction here, with its first offset.
    #[cfg(test)]
    pub(crate) fn open_transactions(&self) -> Vec<(i64, i64)> {
        self.entries
            .iter()
            .filter_map(|(pid, e)| e.txn_first_offset.map(|f| (*pid, f)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn header(pid: i64, epoch: i16, seq: i32, count: i32, base: i64) -> BatchHeader {
        BatchHeader {
            base_offset: base,
            batch_length: 100,
            partition_leader_epoch: 0,
            magic: 2,
            crc: 0,
            attributes: 0,
            last_offset_delta: count - 1,
            base_timestamp: 0,
            max_timestamp: 0,
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: seq,
            record_count: count,
        }
    }

    fn txn(mut h: BatchHeader) -> BatchHeader {
        h.attributes |= 0x10;
        h
    }

    fn append(s: &mut ProducerStates, h: BatchHeader) -> Result<Check, SequenceError> {
        let c = s.check(&h)?;
        if c == Check::Append {
            s.record_batch(&h);
        }
        Ok(c)
    }

    #[test]
    fn in_order_batches_append_and_retries_are_duplicates() {
        let mut s = ProducerStates::default();
        assert_eq!(append(&mut s, header(7, 0, 0, 3, 0)), Ok(Check::Append));
        assert_eq!(append(&mut s, header(7, 0, 3, 2, 3)), Ok(Check::Append));
        // A retry of the first batch, arriving with whatever offset the client
        // left in it, is answered with the offsets it was stored at.
        match append(&mut s, header(7, 0, 0, 3, 0)) {
            Ok(Check::Duplicate(m)) => assert_eq!((m.first_offset, m.last_offset), (0, 2)),
            other => panic!("expected duplicate, got {other:?}"),
        }
        match append(&mut s, header(7, 0, 3, 2, 0)) {
            Ok(Check::Duplicate(m)) => assert_eq!((m.first_offset, m.last_offset), (3, 4)),
            other => panic!("expected duplicate, got {other:?}"),
        }
    }

    #[test]
    fn only_the_last_five_batches_are_remembered() {
        let mut s = ProducerStates::default();
        for i in 0..7 {
            assert_eq!(
                append(&mut s, header(1, 0, i, 1, i64::from(i))),
                Ok(Check::Append)
            );
        }
        assert!(matches!(
            s.check(&header(1, 0, 2, 1, 0)),
            Ok(Check::Duplicate(_))
        ));
        // Sequence 1 fell out of the cache: it is out of order now, as in Kafka.
        assert!(matches!(
            s.check(&header(1, 0, 1, 1, 0)),
            Err(SequenceError::OutOfOrder { .. })
        ));
    }

    #[test]
    fn gaps_are_out_of_order() {
        let mut s = ProducerStates::default();
        append(&mut s, header(7, 0, 0, 3, 0)).unwrap();
        assert_eq!(
            s.check(&header(7, 0, 4, 1, 0)),
            Err(SequenceError::OutOfOrder {
                producer_id: 7,
                epoch: 0,
                first_seq: 4,
                last_seq: 2
            })
        );
        // Overlapping but not identical ranges are not duplicates either.
        assert!(matches!(
            s.check(&header(7, 0, 1, 2, 0)),
            Err(SequenceError::OutOfOrder { .. })
        ));
    }

    #[test]
    fn unknown_producers_are_accepted_at_any_sequence() {
        let s = ProducerStates::default();
        assert_eq!(s.check(&header(9, 3, 42, 1, 0)), Ok(Check::Append));
        assert_eq!(s.check(&header(-1, -1, -1, 1, 0)), Ok(Check::Append));
    }

    #[test]
    fn epochs_fence_and_reset_sequences() {
        let mut s = ProducerStates::default();
        append(&mut s, header(7, 1, 0, 5, 0)).unwrap();
        assert!(matches!(
            s.check(&header(7, 0, 5, 1, 0)),
            Err(SequenceError::StaleEpoch { current: 1, .. })
        ));
        // A new epoch starts again at 0 ...
        assert!(matches!(
            s.check(&header(7, 2, 5, 1, 0)),
            Err(SequenceError::OutOfOrder { .. })
        ));
        assert_eq!(append(&mut s, header(7, 2, 0, 1, 5)), Ok(Check::Append));
        // ... and the old epoch's batches no longer count as duplicates.
        assert!(matches!(
            s.check(&header(7, 1, 0, 5, 0)),
            Err(SequenceError::StaleEpoch { .. })
        ));
        assert_eq!(s.get(7).map(|e| e.batches.len()), Some(1));
    }

    #[test]
    fn sequences_wrap_at_i32_max() {
        let mut s = ProducerStates::default();
        append(&mut s, header(7, 0, i32::MAX - 2, 1, 0)).unwrap();
        // Three records: MAX-1, MAX, 0.
        let h = header(7, 0, i32::MAX - 1, 3, 1);
        assert_eq!(h.last_sequence(), 0);
        assert_eq!(append(&mut s, h), Ok(Check::Append));
        assert_eq!(append(&mut s, header(7, 0, 1, 1, 4)), Ok(Check::Append));
        assert!(matches!(s.check(&h), Ok(Check::Duplicate(_))));
        assert!(in_sequence(i32::MAX, 0));
        assert!(!in_sequence(i32::MAX, 1));
        assert!(!in_sequence(-1, 1));
    }

    #[test]
    fn transactions_open_with_data_and_close_with_markers() {
        let mut s = ProducerStates::default();
        assert_eq!(s.check(&txn(header(5, 0, 0, 2, 10))), Ok(Check::Append));
        assert_eq!(s.record_batch(&txn(header(5, 0, 0, 2, 10))), Some(10));
        assert_eq!(s.record_batch(&txn(header(5, 0, 2, 2, 14))), None);
        assert_eq!(s.open_transactions(), vec![(5, 10)]);
        assert_eq!(
            s.check(&header(5, 0, 4, 1, 0)),
            Err(SequenceError::NotTransactional(5))
        );
        let done = s.record_marker(5, 0, 0, 20, true).unwrap();
        assert_eq!(
            done,
            CompletedTxn {
                producer_id: 5,
                first_offset: 10,
                last_offset: 20,
                aborted: true
            }
        );
        assert!(s.open_transactions().is_empty());
        // A marker for a producer with no data here completes nothing.
        assert_eq!(s.record_marker(6, 0, 0, 21, false), None);
        // A marker with a bumped epoch (timeout abort) fences the old epoch.
        s.record_marker(5, 1, 0, 22, true);
        assert!(matches!(
            s.check(&txn(header(5, 0, 4, 1, 0))),
            Err(SequenceError::StaleEpoch { .. })
        ));
        assert_eq!(s.check(&txn(header(5, 1, 0, 1, 0))), Ok(Check::Append));
    }
}
