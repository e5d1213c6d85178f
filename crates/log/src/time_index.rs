//! The sparse time index of one segment, as pure data.
//!
//! # Format (`NNNN.timeindex`, Kafka's)
//! A sequence of 12-byte entries: `timestamp i64 BE | relative offset u32 BE`.
//! An entry `(t, r)` says: `t` is the largest timestamp of any batch up to and
//! including the batch whose last offset is `base + r`, and that batch is the
//! first to reach it. Timestamps strictly increase from entry to entry, so
//! every batch before the one holding `base + r` has a max timestamp below `t`.
//!
//! To find the first record with timestamp `>= ts`, take the last entry with
//! `t <= ts` and scan batch headers forward from the batch holding `base + r`
//! (or from the segment start when there is none).

/// Bytes per entry.
pub(crate) const ENTRY_LEN: usize = 12;

/// One time-index entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeIndexEntry {
    /// The running maximum timestamp of the segment at this point.
    pub(crate) timestamp: i64,
    /// Last offset of the batch that first reached it, minus the base offset.
    pub(crate) relative_offset: u32,
}

impl TimeIndexEntry {
    /// The entry's 12 bytes on disk.
    pub(crate) fn to_bytes(self) -> [u8; ENTRY_LEN] {
        let mut out = [0u8; ENTRY_LEN];
        out[..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..].copy_from_slice(&self.relative_offset.to_be_bytes());
        out
    }
}

/// The entries of one segment's time index, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TimeIndex {
    entries: Vec<TimeIndexEntry>,
}

impl TimeIndex {
    /// Parses a time-index file's contents, rejecting a partial entry or
    /// entries whose timestamps do not strictly increase (or whose offsets
    /// go backwards).
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if !bytes.len().is_multiple_of(ENTRY_LEN) {
            return Err(format!(
                "size {} is not a multiple of {ENTRY_LEN}",
                bytes.len()
            ));
        }
        let mut index = Self::default();
        for chunk in bytes.chunks_exact(ENTRY_LEN) {
            let mut ts = [0u8; 8];
            ts.copy_from_slice(&chunk[..8]);
            let entry = TimeIndexEntry {
                timestamp: i64::from_be_bytes(ts),
                relative_offset: u32::from_be_bytes([chunk[8], chunk[9], chunk[10], chunk[11]]),
            };
            if !index.maybe_push(entry) {
                return Err(format!("entry {entry:?} does not increase"));
            }
        }
        Ok(index)
    }

    /// Appends an entry when its timestamp is above the last one's (and not
    /// a missing timestamp, -1) and its offset does not go backwards.
    /// Returns whether it did.
    pub(crate) fn maybe_push(&mut self, entry: TimeIndexEntry) -> bool {
        let ok = match self.entries.last() {
            Some(last) => {
                entry.timestamp > last.timestamp && entry.relative_offset >= last.relative_offset
            }
            None => entry.timestamp >= 0,
        };
        if ok {
            self.entries.push(entry);
        }
        ok
    }

    /// Checks the entries end at or before relative offset `last_relative`
    /// (None for an empty segment).
    pub(crate) fn check(&self, last_relative: Option<u32>) -> Result<(), String> {
        let Some(last) = self.entries.last() else {
            return Ok(());
        };
        match last_relative {
            Some(end) if last.relative_offset <= end => Ok(()),
            _ => Err(format!(
                "last entry relative offset {} is past the segment's last offset",
                last.relative_offset
            )),
        }
    }

    /// The last entry with `timestamp <= ts`.
    pub(crate) fn lookup(&self, ts: i64) -> Option<TimeIndexEntry> {
        let n = self.entries.partition_point(|e| e.timestamp <= ts);
        n.checked_sub(1).and_then(|i| self.entries.get(i).copied())
    }

    /// The last entry.
    pub(crate) fn last(&self) -> Option<TimeIndexEntry> {
        self.entries.last().copied()
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entries from `from` onwards, as file bytes.
    pub(crate) fn bytes_from(&self, from: usize) -> Vec<u8> {
        self.entries
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .flat_map(|e| e.to_bytes())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(timestamp: i64, relative_offset: u32) -> TimeIndexEntry {
        TimeIndexEntry {
            timestamp,
            relative_offset,
        }
    }

    #[test]
    fn only_increasing_timestamps_are_kept() {
        let mut idx = TimeIndex::default();
        assert!(
            !idx.maybe_push(e(-1, 0)),
            "missing timestamps are not indexed"
        );
        assert!(idx.maybe_push(e(100, 3)));
        assert!(!idx.maybe_push(e(100, 7)));
        assert!(!idx.maybe_push(e(90, 9)));
        assert!(!idx.maybe_push(e(200, 2)), "offsets never go back");
        assert!(idx.maybe_push(e(200, 9)));
        assert_eq!(idx.len(), 2);
        assert_eq!(idx.lookup(99), None);
        assert_eq!(idx.lookup(100), Some(e(100, 3)));
        assert_eq!(idx.lookup(199), Some(e(100, 3)));
        assert_eq!(idx.lookup(i64::MAX), Some(e(200, 9)));
        assert!(idx.check(Some(9)).is_ok());
        assert!(idx.check(Some(8)).is_err());
    }

    #[test]
    fn golden_bytes_round_trip() {
        let mut idx = TimeIndex::default();
        idx.maybe_push(e(0x0102_0304_0506_0708, 0x0A0B_0C0D));
        let bytes = idx.bytes_from(0);
        assert_eq!(bytes, [1, 2, 3, 4, 5, 6, 7, 8, 0x0A, 0x0B, 0x0C, 0x0D]);
        assert_eq!(TimeIndex::from_bytes(&bytes), Ok(idx));
        assert!(TimeIndex::from_bytes(&bytes[..11]).is_err());
        let mut twice = bytes.clone();
        twice.extend_from_slice(&bytes);
        assert!(TimeIndex::from_bytes(&twice).is_err(), "equal timestamps");
    }
}
