//! The sparse offset index of one segment, as pure data.
//!
//! # Format (`NNNN.index`, Kafka's)
//! A sequence of 8-byte entries: `relative offset u32 BE | file position u32 BE`.
//! An entry `(r, p)` says the batch whose LAST offset is `base + r` starts at
//! byte `p` of the segment file (Kafka's convention). Entries strictly
//! increase in both fields. To find the batch containing offset `o`, take the
//! last entry with `r <= o - base` and scan batch headers forward from its
//! position; the first entry with `r > o - base` bounds that scan.
//!
//! The index is a cache: it can always be rebuilt from the segment, so a file
//! that fails [`OffsetIndex::from_bytes`] or [`OffsetIndex::check`] is simply
//! rebuilt.

/// Bytes per entry.
pub(crate) const ENTRY_LEN: usize = 8;

/// One offset-index entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IndexEntry {
    /// Last offset of the indexed batch minus the segment's base offset.
    pub(crate) relative_offset: u32,
    /// Byte position of the batch in the segment file.
    pub(crate) position: u32,
}

impl IndexEntry {
    /// The entry's 8 bytes on disk.
    pub(crate) fn to_bytes(self) -> [u8; ENTRY_LEN] {
        let mut out = [0u8; ENTRY_LEN];
        out[..4].copy_from_slice(&self.relative_offset.to_be_bytes());
        out[4..].copy_from_slice(&self.position.to_be_bytes());
        out
    }
}

/// The entries of one segment's offset index, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OffsetIndex {
    entries: Vec<IndexEntry>,
}

/// Clamps `offset - base` into the `u32` range used by relative offsets.
pub(crate) fn relative(offset: i64, base: i64) -> Option<u32> {
    let rel = offset.checked_sub(base)?;
    if rel < 0 {
        None
    } else {
        Some(u32::try_from(rel).unwrap_or(u32::MAX))
    }
}

impl OffsetIndex {
    /// Parses an index file's contents, rejecting a size that is not a whole
    /// number of entries or entries that do not strictly increase.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if !bytes.len().is_multiple_of(ENTRY_LEN) {
            return Err(format!(
                "size {} is not a multiple of {ENTRY_LEN}",
                bytes.len()
            ));
        }
        let mut index = Self::default();
        for chunk in bytes.chunks_exact(ENTRY_LEN) {
            let entry = IndexEntry {
                relative_offset: u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]),
                position: u32::from_be_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]),
            };
            if !index.push(entry) {
                return Err(format!("entry {entry:?} does not increase"));
            }
        }
        Ok(index)
    }

    /// Appends an entry if it strictly increases on the last one; returns
    /// whether it did.
    pub(crate) fn push(&mut self, entry: IndexEntry) -> bool {
        if let Some(last) = self.entries.last()
            && (entry.relative_offset <= last.relative_offset || entry.position <= last.position)
        {
            return false;
        }
        self.entries.push(entry);
        true
    }

    /// Checks the entries fit a segment of `segment_size` bytes whose last
    /// relative offset is `last_relative` (None when empty).
    pub(crate) fn check(
        &self,
        segment_size: u64,
        last_relative: Option<u32>,
    ) -> Result<(), String> {
        let Some(last) = self.entries.last() else {
            return Ok(());
        };
        if u64::from(last.position) >= segment_size {
            return Err(format!(
                "last entry position {} is past the segment end {segment_size}",
                last.position
            ));
        }
        match last_relative {
            Some(end) if last.relative_offset <= end => Ok(()),
            _ => Err(format!(
                "last entry relative offset {} is past the segment's last offset",
                last.relative_offset
            )),
        }
    }

    /// The last entry whose relative offset is `<= target`: where a forward
    /// scan for `target` may start. None means "from position 0".
    pub(crate) fn lookup(&self, target: u32) -> Option<IndexEntry> {
        let n = self
            .entries
            .partition_point(|e| e.relative_offset <= target);
        n.checked_sub(1).and_then(|i| self.entries.get(i).copied())
    }

    /// The first entry whose relative offset is `> target`: the batch holding
    /// `target` starts at or before its position.
    pub(crate) fn upper_bound(&self, target: u32) -> Option<IndexEntry> {
        let n = self
            .entries
            .partition_point(|e| e.relative_offset <= target);
        self.entries.get(n).copied()
    }

    /// The last entry.
    pub(crate) fn last(&self) -> Option<IndexEntry> {
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
    use proptest::prelude::*;

    fn e(r: u32, p: u32) -> IndexEntry {
        IndexEntry {
            relative_offset: r,
            position: p,
        }
    }

    #[test]
    fn lookup_and_upper_bound() {
        let mut idx = OffsetIndex::default();
        assert!(idx.push(e(9, 4100)));
        assert!(idx.push(e(20, 8300)));
        assert!(!idx.push(e(20, 9000)), "relative offsets must increase");
        assert!(!idx.push(e(30, 8300)), "positions must increase");
        assert_eq!(idx.lookup(0), None);
        assert_eq!(idx.lookup(8), None);
        assert_eq!(idx.lookup(9), Some(e(9, 4100)));
        assert_eq!(idx.lookup(19), Some(e(9, 4100)));
        assert_eq!(idx.lookup(u32::MAX), Some(e(20, 8300)));
        assert_eq!(idx.upper_bound(8), Some(e(9, 4100)));
        assert_eq!(idx.upper_bound(9), Some(e(20, 8300)));
        assert_eq!(idx.upper_bound(20), None);
    }

    #[test]
    fn file_bytes_round_trip_and_golden() {
        let mut idx = OffsetIndex::default();
        idx.push(e(1, 2));
        idx.push(e(0x0102_0304, 0x0506_0708));
        let bytes = idx.bytes_from(0);
        assert_eq!(
            bytes,
            [0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8],
            "big-endian relative offset then position"
        );
        assert_eq!(OffsetIndex::from_bytes(&bytes), Ok(idx.clone()));
        assert_eq!(idx.bytes_from(1), bytes[8..].to_vec());
        assert!(idx.bytes_from(5).is_empty());
    }

    #[test]
    fn bad_files_are_rejected() {
        assert!(OffsetIndex::from_bytes(&[0; 7]).is_err());
        let mut bytes = e(5, 100).to_bytes().to_vec();
        bytes.extend(e(4, 200).to_bytes());
        assert!(OffsetIndex::from_bytes(&bytes).is_err());
        let idx = OffsetIndex::from_bytes(&e(5, 100).to_bytes()).unwrap();
        assert!(idx.check(101, Some(5)).is_ok());
        assert!(idx.check(100, Some(5)).is_err(), "position past end");
        assert!(idx.check(101, Some(4)).is_err(), "offset past last");
        assert!(idx.check(101, None).is_err());
        assert!(OffsetIndex::default().check(0, None).is_ok());
    }

    #[test]
    fn relative_offsets() {
        assert_eq!(relative(10, 10), Some(0));
        assert_eq!(relative(9, 10), None);
        assert_eq!(relative(i64::MAX, 0), Some(u32::MAX));
        assert_eq!(relative(i64::MIN, 1), None);
    }

    proptest! {
        /// lookup returns the last entry at or below the target, upper_bound
        /// the first above it, compared with a linear scan.
        #[test]
        fn lookup_matches_linear_scan(mut rels in proptest::collection::btree_set(0u32..10_000, 0..50), target in 0u32..10_100) {
            let mut idx = OffsetIndex::default();
            let rels: Vec<u32> = std::mem::take(&mut rels).into_iter().collect();
            for (i, r) in rels.iter().enumerate() {
                prop_assert!(idx.push(e(*r, i as u32 * 10)));
            }
            let expect_lookup = rels.iter().enumerate().rev().find(|(_, r)| **r <= target).map(|(i, r)| e(*r, i as u32 * 10));
            let expect_upper = rels.iter().enumerate().find(|(_, r)| **r > target).map(|(i, r)| e(*r, i as u32 * 10));
            prop_assert_eq!(idx.lookup(target), expect_lookup);
            prop_assert_eq!(idx.upper_bound(target), expect_upper);
        }
    }
}
