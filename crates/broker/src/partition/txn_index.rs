//! The transaction index of one partition: which transactions are open (they
//! hold the last stable offset back) and which were aborted (read_committed
//! consumers are told to skip their records).
//!
//! The last stable offset (LSO) is the first offset of the oldest open
//! transaction, or the high watermark when none is open: a read_committed
//! fetch returns nothing at or above it, because whether those records count
//! is not decided yet. Aborted transactions are kept as `(producer id, first
//! offset, marker offset)`; a fetch returns those overlapping the offsets it
//! returns, and the consumer drops that producer's records from the first
//! offset up to the marker.

use std::collections::BTreeSet;

use super::producer_state::CompletedTxn;

/// An aborted transaction, as a Fetch response lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AbortedTxn {
    /// Producer id.
    pub(crate) producer_id: i64,
    /// First offset of its data in this partition.
    pub(crate) first_offset: i64,
    /// Offset of its ABORT marker.
    pub(crate) last_offset: i64,
}

/// Open and aborted transactions of one partition.
#[derive(Debug, Clone, Default)]
pub(crate) struct TxnIndex {
    /// Open transactions as `(first offset, producer id)`, ordered so the
    /// oldest is first.
    open: BTreeSet<(i64, i64)>,
    /// Aborted transactions in marker order (so ordered by `last_offset`).
    aborted: Vec<AbortedTxn>,
}

impl TxnIndex {
    /// A transaction began at `first_offset`.
    pub(crate) fn begin(&mut self, producer_id: i64, first_offset: i64) {
        self.open.insert((first_offset, producer_id));
    }

    /// A marker ended a transaction.
    pub(crate) fn complete(&mut self, txn: CompletedTxn) {
        self.open.remove(&(txn.first_offset, txn.producer_id));
        if txn.aborted {
            self.aborted.push(AbortedTxn {
                producer_id: txn.producer_id,
                first_offset: txn.first_offset,
                last_offset: txn.last_offset,
            });
        }
    }

    /// The last stable offset given the high watermark and log start.
    pub(crate) fn last_stable_offset(&self, high_watermark: i64, log_start: i64) -> i64 {
        let first_open = self.open.first().map_or(high_watermark, |(f, _)| *f);
        first_open.min(high_watermark).max(log_start)
    }

    /// Producers with an open transaction, with its first offset.
    pub(crate) fn open_transactions(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.open.iter().map(|(f, p)| (*p, *f))
    }

    /// Aborted transactions overlapping `[from, to)`: their marker is at or
    /// after `from` and their data starts before `to`.
    pub(crate) fn aborted_between(&self, from: i64, to: i64) -> Vec<AbortedTxn> {
        let start = self.aborted.partition_point(|t| t.last_offset < from);
        self.aborted
            .get(start..)
            .unwrap_or_default()
            .iter()
            .filter(|t| t.first_offset < to)
            .copied()
            .collect()
    }

    /// Forgets aborted transactions wholly below the log start.
    pub(crate) fn prune_below(&mut self, log_start: i64) {
        let cut = self.aborted.partition_point(|t| t.last_offset < log_start);
        if cut > 0 {
            self.aborted.drain(..cut);
        }
    }

    /// Number of aborted transactions remembered.
    #[cfg(test)]
    pub(crate) fn aborted_len(&self) -> usize {
        self.aborted.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(producer_id: i64, first_offset: i64, last_offset: i64, aborted: bool) -> CompletedTxn {
        CompletedTxn {
            producer_id,
            first_offset,
            last_offset,
            aborted,
        }
    }

    #[test]
    fn lso_follows_the_oldest_open_transaction_with_interleaving() {
        let mut ix = TxnIndex::default();
        assert_eq!(ix.last_stable_offset(10, 0), 10);
        // Producer 1 opens at 10, producer 2 at 12, then non-transactional data to 20.
        ix.begin(1, 10);
        ix.begin(2, 12);
        assert_eq!(ix.last_stable_offset(20, 0), 10);
        // Producer 2 commits first: producer 1 still holds the LSO.
        ix.complete(done(2, 12, 20, false));
        assert_eq!(ix.last_stable_offset(21, 0), 10);
        // Producer 1 aborts: everything up to the high watermark is stable.
        ix.complete(done(1, 10, 21, true));
        assert_eq!(ix.last_stable_offset(22, 0), 22);
        // A new transaction of producer 2 holds it again.
        ix.begin(2, 22);
        assert_eq!(ix.last_stable_offset(30, 0), 22);
        // Never below the log start.
        assert_eq!(ix.last_stable_offset(30, 25), 25);
    }

    #[test]
    fn aborted_ranges_overlapping_a_fetch_are_returned() {
        let mut ix = TxnIndex::default();
        ix.begin(1, 0);
        ix.complete(done(1, 0, 5, true));
        ix.begin(2, 6);
        ix.begin(3, 7);
        ix.complete(done(3, 7, 9, false));
        ix.complete(done(2, 6, 10, true));
        ix.begin(1, 20);
        ix.complete(done(1, 20, 30, true));
        let ids = |v: Vec<AbortedTxn>| {
            v.iter()
                .map(|t| (t.producer_id, t.first_offset))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(ix.aborted_between(0, 100)), [(1, 0), (2, 6), (1, 20)]);
        // A fetch of [6, 11) overlaps only producer 2's aborted transaction.
        assert_eq!(ids(ix.aborted_between(6, 11)), [(2, 6)]);
        // [5, 6) still contains producer 1's marker.
        assert_eq!(ids(ix.aborted_between(5, 6)), [(1, 0)]);
        // [11, 20) overlaps nothing; [11, 21) overlaps the third.
        assert!(ix.aborted_between(11, 20).is_empty());
        assert_eq!(ids(ix.aborted_between(11, 21)), [(1, 20)]);
        ix.prune_below(11);
        assert_eq!(ix.aborted_len(), 1);
        assert_eq!(ids(ix.aborted_between(0, 100)), [(1, 20)]);
    }
}
