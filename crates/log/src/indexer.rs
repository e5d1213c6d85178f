//! When to add index entries: the running state of one segment's indexing.
//!
//! The same rules serve appends and index rebuilds, so a rebuilt index is
//! byte-for-byte the index the appends would have written (a property the
//! recovery tests rely on). They follow Kafka's `LogSegment.append`: an entry
//! for a batch is added once more than `index.interval.bytes` of batches were
//! written since the previous entry (so the first batch never gets one), and
//! a time-index entry is added at the same moments when the running maximum
//! timestamp has grown.

use ferry_protocol::BatchHeader;

use crate::batches::last_offset;
use crate::index::{IndexEntry, OffsetIndex, relative};
use crate::time_index::{TimeIndex, TimeIndexEntry};

/// Running indexing state of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Indexer {
    /// Bytes of batches written since the last offset-index entry (counting
    /// the batch that got it).
    pub(crate) bytes_since_last_entry: u64,
    /// Largest batch max timestamp seen; -1 when none.
    pub(crate) max_timestamp: i64,
    /// Last offset of the first batch that reached `max_timestamp`; -1 when none.
    pub(crate) offset_of_max_timestamp: i64,
}

impl Default for Indexer {
    fn default() -> Self {
        Self {
            bytes_since_last_entry: 0,
            max_timestamp: -1,
            offset_of_max_timestamp: -1,
        }
    }
}

impl Indexer {
    /// State for replaying the tail of a segment from its last offset-index
    /// entry: the first replayed batch re-offers that entry (which the index
    /// refuses as a duplicate) and resets the byte count, exactly as the
    /// original append did.
    pub(crate) fn resume(interval: u64, last_time_entry: Option<(i64, i64)>) -> Self {
        let (max_timestamp, offset_of_max_timestamp) = last_time_entry.unwrap_or((-1, -1));
        Self {
            bytes_since_last_entry: interval.saturating_add(1),
            max_timestamp,
            offset_of_max_timestamp,
        }
    }

    /// Accounts for one batch written at `position` of a segment based at
    /// `base`, adding the entries that are due. Returns whether an
    /// offset-index entry point was reached.
    pub(crate) fn observe(
        &mut self,
        base: i64,
        position: u32,
        header: &BatchHeader,
        interval: u64,
        index: &mut OffsetIndex,
        time_index: &mut TimeIndex,
    ) -> bool {
        if header.max_timestamp > self.max_timestamp {
            self.max_timestamp = header.max_timestamp;
            self.offset_of_max_timestamp = last_offset(header);
        }
        let due = self.bytes_since_last_entry > interval;
        if due {
            if let Some(rel) = relative(last_offset(header), base) {
                index.push(IndexEntry {
                    relative_offset: rel,
                    position,
                });
            }
            self.push_time_entry(base, time_index);
            self.bytes_since_last_entry = 0;
        }
        self.bytes_since_last_entry = self
            .bytes_since_last_entry
            .saturating_add(header.total_len() as u64);
        due
    }

    /// Records the segment's final maximum timestamp when it stops being the
    /// active segment, so that the last time-index entry of every inactive
    /// segment holds that segment's maximum.
    pub(crate) fn finish(&self, base: i64, time_index: &mut TimeIndex) {
        self.push_time_entry(base, time_index);
    }

    fn push_time_entry(&self, base: i64, time_index: &mut TimeIndex) {
        if let Some(rel) = relative(self.offset_of_max_timestamp, base) {
            time_index.maybe_push(TimeIndexEntry {
                timestamp: self.max_timestamp,
                relative_offset: rel,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(base: i64, delta: i32, len: usize, max_ts: i64) -> BatchHeader {
        BatchHeader {
            base_offset: base,
            batch_length: (len - 12) as i32,
            partition_leader_epoch: 0,
            magic: 2,
            crc: 0,
            attributes: 0,
            last_offset_delta: delta,
            base_timestamp: max_ts,
            max_timestamp: max_ts,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            record_count: delta + 1,
        }
    }

    /// Golden: 100-byte batches of 2 records, interval 250. Entries land on
    /// the 4th, 7th, ... batch (after > 250 bytes), keyed by LAST offset.
    #[test]
    fn entries_follow_kafkas_rule() {
        let (mut idx, mut tidx, mut ix) = (
            OffsetIndex::default(),
            TimeIndex::default(),
            Indexer::default(),
        );
        let ts = [10, 30, 20, 40, 40, 35, 50];
        let mut due = vec![];
        for (i, t) in ts.iter().enumerate() {
            let h = header(1000 + 2 * i as i64, 1, 100, *t);
            due.push(ix.observe(1000, 100 * i as u32, &h, 250, &mut idx, &mut tidx));
        }
        assert_eq!(due, [false, false, false, true, false, false, true]);
        assert_eq!(
            idx.bytes_from(0),
            [
                IndexEntry {
                    relative_offset: 7,
                    position: 300
                }
                .to_bytes(),
                IndexEntry {
                    relative_offset: 13,
                    position: 600
                }
                .to_bytes()
            ]
            .concat()
        );
        // At batch 3 the max is 40 first reached by batch 3 (last offset 1007);
        // at batch 6 it is 50 (last offset 1013).
        assert_eq!(
            tidx.lookup(45),
            Some(TimeIndexEntry {
                timestamp: 40,
                relative_offset: 7
            })
        );
        assert_eq!(
            tidx.lookup(i64::MAX),
            Some(TimeIndexEntry {
                timestamp: 50,
                relative_offset: 13
            })
        );
        assert_eq!((ix.max_timestamp, ix.offset_of_max_timestamp), (50, 1013));
        assert_eq!(ix.bytes_since_last_entry, 100);
    }

    #[test]
    fn finish_records_the_final_maximum() {
        let (mut idx, mut tidx, mut ix) = (
            OffsetIndex::default(),
            TimeIndex::default(),
            Indexer::default(),
        );
        ix.observe(0, 0, &header(0, 0, 80, 5), 4096, &mut idx, &mut tidx);
        ix.observe(0, 80, &header(1, 0, 80, 9), 4096, &mut idx, &mut tidx);
        assert_eq!(tidx.len(), 0);
        ix.finish(0, &mut tidx);
        assert_eq!(
            tidx.last(),
            Some(TimeIndexEntry {
                timestamp: 9,
                relative_offset: 1
            })
        );
        assert_eq!(idx.len(), 0);
    }

    /// Replaying from the last entry with `resume` reproduces the same state
    /// as appending everything from scratch.
    #[test]
    fn resume_reproduces_the_append_state() {
        let batches: Vec<BatchHeader> = (0..40)
            .map(|i| header(i * 3, 2, 60 + (i as usize * 37) % 300, (i * 7919) % 500))
            .collect();
        let (mut idx, mut tidx, mut ix) = (
            OffsetIndex::default(),
            TimeIndex::default(),
            Indexer::default(),
        );
        let mut positions = vec![];
        let mut pos = 0u32;
        for h in &batches {
            positions.push(pos);
            ix.observe(0, pos, h, 500, &mut idx, &mut tidx);
            pos += h.total_len() as u32;
        }
        let last = idx.last().unwrap();
        let start = positions.iter().position(|p| *p == last.position).unwrap();
        let (mut idx2, mut tidx2) = (idx.clone(), tidx.clone());
        let t = tidx
            .last()
            .map(|e| (e.timestamp, i64::from(e.relative_offset)));
        let mut ix2 = Indexer::resume(500, t);
        for (h, p) in batches[start..].iter().zip(&positions[start..]) {
            ix2.observe(0, *p, h, 500, &mut idx2, &mut tidx2);
        }
        assert_eq!(ix2, ix);
        assert_eq!(idx2, idx);
        assert_eq!(tidx2, tidx);
    }
}
