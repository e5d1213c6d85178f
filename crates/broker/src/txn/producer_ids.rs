//! Producer-id allocation. Ids are handed out from blocks whose end is
//! persisted before any id of the block is used, so a restart (even after
//! kill -9) continues after the last reserved block and never reuses an id:
//! a reused id would let a new producer's batches be mistaken for an old
//! one's duplicates.
//!
//! # Format
//! `<data_dir>/txn/producer-id-block`: one decimal number and a newline, the
//! first id not yet reserved.

use std::path::{Path, PathBuf};

use crate::topic::write_atomic;

/// Ids reserved per write.
pub(crate) const BLOCK_SIZE: i64 = 1000;

/// Hands out producer ids.
#[derive(Debug)]
pub(crate) struct ProducerIdManager {
    path: PathBuf,
    next: i64,
    block_end: i64,
}

impl ProducerIdManager {
    /// Opens the block file in `dir` (a missing file starts at 0).
    pub(crate) fn open(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join("producer-id-block");
        let next = match std::fs::read_to_string(&path) {
            Ok(text) => text.trim().parse::<i64>().map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(e),
        };
        Ok(Self {
            path,
            next,
            block_end: next,
        })
    }

    /// The next producer id, reserving (and persisting) a new block first
    /// when the current one is used up.
    pub(crate) fn next_id(&mut self) -> std::io::Result<i64> {
        if self.next >= self.block_end {
            let end = self.next.saturating_add(BLOCK_SIZE);
            write_atomic(&self.path, format!("{end}\n").as_bytes())?;
            self.block_end = end;
        }
        let id = self.next;
        self.next += 1;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_never_reused_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = ProducerIdManager::open(dir.path()).unwrap();
        let first: Vec<i64> = (0..3).map(|_| m.next_id().unwrap()).collect();
        assert_eq!(first, [0, 1, 2]);
        drop(m);
        // A restart skips the rest of the reserved block.
        let mut m = ProducerIdManager::open(dir.path()).unwrap();
        assert_eq!(m.next_id().unwrap(), BLOCK_SIZE);
        for _ in 0..BLOCK_SIZE {
            m.next_id().unwrap();
        }
        assert_eq!(m.next_id().unwrap(), 2 * BLOCK_SIZE + 1);
        drop(m);
        let mut m = ProducerIdManager::open(dir.path()).unwrap();
        assert_eq!(m.next_id().unwrap(), 3 * BLOCK_SIZE);
    }

    #[test]
    fn a_garbled_block_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("producer-id-block"), "x").unwrap();
        assert!(ProducerIdManager::open(dir.path()).is_err());
    }
}
