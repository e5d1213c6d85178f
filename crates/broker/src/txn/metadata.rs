//! One transactional id's state and the rules for moving it, as Kafka's
//! `TransactionMetadata` has them. Pure data: the coordinator persists and
//! acts on what these functions decide.

use std::collections::BTreeSet;

use kafka_protocol::ResponseError;
use serde::{Deserialize, Serialize};

/// A topic partition in a transaction.
pub type TxnPartition = (String, i32);

/// Kafka's transaction states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnState {
    /// No transaction open (after InitProducerId).
    Empty,
    /// Partitions or groups were added: a transaction is open.
    Ongoing,
    /// EndTxn(commit) accepted; markers being written.
    PrepareCommit,
    /// EndTxn(abort) or a timeout accepted; markers being written.
    PrepareAbort,
    /// The last transaction committed.
    CompleteCommit,
    /// The last transaction aborted.
    CompleteAbort,
    /// The transactional id expired and is being removed.
    Dead,
}

impl TxnState {
    /// True while markers are being written.
    pub fn is_preparing(self) -> bool {
        matches!(self, Self::PrepareCommit | Self::PrepareAbort)
    }
}

/// Everything the coordinator knows about one transactional id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnMetadata {
    /// The producer's `transactional.id`.
    pub transactional_id: String,
    /// Its producer id.
    pub producer_id: i64,
    /// The producer id before the last rotation (epoch exhaustion), or -1.
    pub last_producer_id: i64,
    /// Its current epoch; older epochs are fenced.
    pub producer_epoch: i16,
    /// The epoch before the last bump, when the bump was requested with the
    /// expected epoch (KIP-360), so a retried InitProducerId is recognised.
    pub last_producer_epoch: i16,
    /// `transaction.timeout.ms` the producer asked for.
    pub timeout_ms: i32,
    /// The state.
    pub state: TxnState,
    /// Partitions in the open (or completing) transaction.
    pub partitions: BTreeSet<TxnPartition>,
    /// Consumer groups whose offsets the transaction commits.
    pub groups: BTreeSet<String>,
    /// When the open transaction began (wall clock, ms), -1 when none.
    pub start_ms: i64,
    /// Last state change (wall clock, ms).
    pub update_ms: i64,
}

/// The id/epoch a producer says it has (InitProducerId v3+, KIP-360).
pub type Expected = Option<(i64, i16)>;

/// An epoch at which a producer id is rotated rather than bumped.
pub(crate) fn epoch_exhausted(epoch: i16) -> bool {
    epoch >= i16::MAX - 1
}

impl TxnMetadata {
    /// A new transactional id with a fresh producer id at epoch 0.
    pub fn new(transactional_id: &str, producer_id: i64, timeout_ms: i32, now_ms: i64) -> Self {
        Self {
            transactional_id: transactional_id.to_string(),
            producer_id,
            last_producer_id: -1,
            producer_epoch: 0,
            last_producer_epoch: -1,
            timeout_ms,
            state: TxnState::Empty,
            partitions: BTreeSet::new(),
            groups: BTreeSet::new(),
            start_ms: -1,
            update_ms: now_ms,
        }
    }

    /// Checks the id/epoch a producer sent with a transactional request
    /// (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn).
    ///
    /// # Errors
    /// INVALID_PRODUCER_ID_MAPPING for another producer id, PRODUCER_FENCED
    /// for another epoch.
    pub fn check_producer(
        &self,
        producer_id: i64,
        producer_epoch: i16,
    ) -> Result<(), ResponseError> {
        if self.producer_id != producer_id {
            return Err(ResponseError::InvalidProducerIdMapping);
        }
        if self.producer_epoch != producer_epoch {
            return Err(ResponseError::ProducerFenced);
        }
        Ok(())
    }

    /// InitProducerId on an existing id whose state allows it (Empty or
    /// Complete*): bumps the epoch, or rotates the producer id when the epoch
    /// is exhausted (`new_producer_id` is then called). A retry of a bump the
    /// producer never saw the answer to is answered with the current epoch.
    ///
    /// # Errors
    /// PRODUCER_FENCED when the expected id/epoch is neither current nor the
    /// previous one; what `new_producer_id` fails with.
    pub fn prepare_init(
        &self,
        expected: Expected,
        timeout_ms: i32,
        now_ms: i64,
        new_producer_id: impl FnOnce() -> Result<i64, ResponseError>,
    ) -> Result<Self, ResponseError> {
        let mut next = self.clone();
        next.timeout_ms = timeout_ms;
        next.update_ms = now_ms;
        next.state = TxnState::Empty;
        next.partitions.clear();
        next.groups.clear();
        next.start_ms = -1;
        if let Some((pid, epoch)) = expected {
            let valid_id =
                pid == self.producer_id || (pid == self.last_producer_id && epoch_exhausted(epoch));
            if !valid_id {
                return Err(ResponseError::ProducerFenced);
            }
            if pid == self.last_producer_id && pid != self.producer_id {
                // The rotation happened and the producer retries: answer it.
                return Ok(next);
            }
            if epoch != self.producer_epoch {
                if epoch == self.last_producer_epoch {
                    return Ok(next);
                }
                return Err(ResponseError::ProducerFenced);
            }
        }
        if epoch_exhausted(self.producer_epoch) {
            next.last_producer_id = self.producer_id;
            next.producer_id = new_producer_id()?;
            next.producer_epoch = 0;
            next.last_producer_epoch = -1;
        } else {
            next.producer_epoch = self.producer_epoch + 1;
            next.last_producer_epoch = if expected.is_some() {
                self.producer_epoch
            } else {
                -1
            };
        }
        Ok(next)
    }

    /// Fences the producer of an open transaction (timeout, or an
    /// InitProducerId while it is open) and moves to PrepareAbort: markers
    /// are then written with the bumped epoch, which the old producer cannot
    /// use any more.
    pub fn prepare_fence_and_abort(&self, now_ms: i64) -> Self {
        let mut next = self.clone();
        if !epoch_exhausted(self.producer_epoch) {
            next.producer_epoch = self.producer_epoch + 1;
        }
        next.last_producer_epoch = -1;
        next.state = TxnState::PrepareAbort;
        next.update_ms = now_ms;
        next
    }

    /// AddPartitionsToTxn / AddOffsetsToTxn: `None` when nothing changes
    /// (the partitions are already in the open transaction), else the new
    /// metadata, Ongoing.
    ///
    /// # Errors
    /// As [`check_producer`](Self::check_producer); CONCURRENT_TRANSACTIONS
    /// while markers are being written; INVALID_TXN_STATE when Dead.
    pub fn prepare_add(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        partitions: &[TxnPartition],
        group: Option<&str>,
        now_ms: i64,
    ) -> Result<Option<Self>, ResponseError> {
        self.check_producer(producer_id, producer_epoch)?;
        match self.state {
            TxnState::PrepareCommit | TxnState::PrepareAbort => {
                return Err(ResponseError::ConcurrentTransactions);
            }
            TxnState::Dead => return Err(ResponseError::InvalidTxnState),
            _ => {}
        }
        let present = partitions.iter().all(|p| self.partitions.contains(p))
            && group.is_none_or(|g| self.groups.contains(g));
        if self.state == TxnState::Ongoing && present {
            return Ok(None);
        }
        let mut next = self.clone();
        if self.state != TxnState::Ongoing {
            next.partitions.clear();
            next.groups.clear();
            next.start_ms = now_ms;
        }
        next.state = TxnState::Ongoing;
        next.partitions.extend(partitions.iter().cloned());
        if let Some(g) = group {
            next.groups.insert(g.to_string());
        }
        next.update_ms = now_ms;
        Ok(Some(next))
    }

    /// EndTxn: `None` when the transaction already ended this way (a retry),
    /// else the PrepareCommit/PrepareAbort metadata.
    ///
    /// # Errors
    /// As [`check_producer`](Self::check_producer); CONCURRENT_TRANSACTIONS
    /// while this same ending is in progress; INVALID_TXN_STATE otherwise.
    pub fn prepare_end(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        commit: bool,
        now_ms: i64,
    ) -> Result<Option<Self>, ResponseError> {
        self.check_producer(producer_id, producer_epoch)?;
        match (self.state, commit) {
            (TxnState::Ongoing, _) => {
                let mut next = self.clone();
                next.state = if commit {
                    TxnState::PrepareCommit
                } else {
                    TxnState::PrepareAbort
                };
                next.update_ms = now_ms;
                Ok(Some(next))
            }
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) => Ok(None),
            (TxnState::PrepareCommit, true) | (TxnState::PrepareAbort, false) => {
                Err(ResponseError::ConcurrentTransactions)
            }
            _ => Err(ResponseError::InvalidTxnState),
        }
    }

    /// After the markers: CompleteCommit/CompleteAbort, nothing in the
    /// transaction any more.
    pub fn completed(&self, now_ms: i64) -> Self {
        let mut next = self.clone();
        next.state = if self.state == TxnState::PrepareCommit {
            TxnState::CompleteCommit
        } else {
            TxnState::CompleteAbort
        };
        next.partitions.clear();
        next.groups.clear();
        next.start_ms = -1;
        next.update_ms = now_ms;
        next
    }

    /// True when an open transaction has outlived its timeout.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.state == TxnState::Ongoing
            && self.start_ms >= 0
            && now_ms.saturating_sub(self.start_ms) > i64::from(self.timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(t: &str, p: i32) -> TxnPartition {
        (t.to_string(), p)
    }

    fn never() -> Result<i64, ResponseError> {
        panic!("no rotation expected")
    }

    #[test]
    fn a_full_transaction_cycle() {
        let m = TxnMetadata::new("tx", 1000, 60_000, 0);
        let m = m.prepare_init(None, 60_000, 1, never).unwrap();
        assert_eq!(
            (m.producer_id, m.producer_epoch, m.state),
            (1000, 1, TxnState::Empty)
        );
        // Ending with nothing open is an error.
        assert_eq!(
            m.prepare_end(1000, 1, true, 2),
            Err(ResponseError::InvalidTxnState)
        );
        let m = m
            .prepare_add(1000, 1, &[tp("a", 0)], None, 5)
            .unwrap()
            .unwrap();
        assert_eq!((m.state, m.start_ms), (TxnState::Ongoing, 5));
        assert_eq!(m.prepare_add(1000, 1, &[tp("a", 0)], None, 6), Ok(None));
        let m = m.prepare_add(1000, 1, &[], Some("g"), 7).unwrap().unwrap();
        assert_eq!(
            m.start_ms, 5,
            "adding to an open transaction keeps its start"
        );
        assert!(m.groups.contains("g") && m.partitions.contains(&tp("a", 0)));
        // Wrong id / epoch.
        assert_eq!(
            m.prepare_add(999, 1, &[], None, 8),
            Err(ResponseError::InvalidProducerIdMapping)
        );
        assert_eq!(
            m.prepare_end(1000, 0, true, 8),
            Err(ResponseError::ProducerFenced)
        );
        let p = m.prepare_end(1000, 1, true, 9).unwrap().unwrap();
        assert_eq!(p.state, TxnState::PrepareCommit);
        assert_eq!(
            p.prepare_end(1000, 1, true, 9),
            Err(ResponseError::ConcurrentTransactions)
        );
        assert_eq!(
            p.prepare_end(1000, 1, false, 9),
            Err(ResponseError::InvalidTxnState)
        );
        assert_eq!(
            p.prepare_add(1000, 1, &[tp("b", 0)], None, 9),
            Err(ResponseError::ConcurrentTransactions)
        );
        let c = p.completed(10);
        assert_eq!(c.state, TxnState::CompleteCommit);
        assert!(c.partitions.is_empty() && c.groups.is_empty());
        // A retried commit succeeds; an abort now is a state error.
        assert_eq!(c.prepare_end(1000, 1, true, 11), Ok(None));
        assert_eq!(
            c.prepare_end(1000, 1, false, 11),
            Err(ResponseError::InvalidTxnState)
        );
        // The next transaction starts fresh.
        let n = c
            .prepare_add(1000, 1, &[tp("b", 1)], None, 12)
            .unwrap()
            .unwrap();
        assert_eq!(n.partitions.len(), 1);
        assert_eq!(n.start_ms, 12);
    }

    #[test]
    fn timeouts_fence_the_producer() {
        let m = TxnMetadata::new("tx", 1, 100, 0)
            .prepare_add(1, 0, &[tp("a", 0)], None, 1000)
            .unwrap()
            .unwrap();
        assert!(!m.is_expired(1100));
        assert!(m.is_expired(1101));
        let f = m.prepare_fence_and_abort(1101);
        assert_eq!((f.state, f.producer_epoch), (TxnState::PrepareAbort, 1));
        let done = f.completed(1102);
        assert_eq!(done.state, TxnState::CompleteAbort);
        // The zombie (epoch 0) is fenced everywhere.
        assert_eq!(
            done.prepare_end(1, 0, true, 1103),
            Err(ResponseError::ProducerFenced)
        );
        assert_eq!(
            done.prepare_add(1, 0, &[], None, 1103),
            Err(ResponseError::ProducerFenced)
        );
    }

    #[test]
    fn kip_360_retries_and_rotation() {
        let m = TxnMetadata::new("tx", 1, 100, 0);
        // The producer bumps from (1, 0) ...
        let b = m.prepare_init(Some((1, 0)), 100, 1, never).unwrap();
        assert_eq!((b.producer_epoch, b.last_producer_epoch), (1, 0));
        // ... loses the answer and retries with (1, 0): same answer, no bump.
        let r = b.prepare_init(Some((1, 0)), 100, 2, never).unwrap();
        assert_eq!(r.producer_epoch, 1);
        // A zombie with an older epoch is fenced.
        let c = b.prepare_init(Some((1, 1)), 100, 3, never).unwrap();
        assert_eq!(c.producer_epoch, 2);
        assert_eq!(
            c.prepare_init(Some((1, 0)), 100, 4, never),
            Err(ResponseError::ProducerFenced)
        );
        assert_eq!(
            c.prepare_init(Some((7, 0)), 100, 4, never),
            Err(ResponseError::ProducerFenced)
        );
        // At the top of the epoch range the producer id rotates.
        let mut top = c.clone();
        top.producer_epoch = i16::MAX - 1;
        let rot = top.prepare_init(None, 100, 5, || Ok(55)).unwrap();
        assert_eq!(
            (rot.producer_id, rot.producer_epoch, rot.last_producer_id),
            (55, 0, 1)
        );
        // The old id with its exhausted epoch, retried, gets the new id.
        let again = rot
            .prepare_init(Some((1, i16::MAX - 1)), 100, 6, never)
            .unwrap();
        assert_eq!((again.producer_id, again.producer_epoch), (55, 0));
    }
}
