//! The transaction coordinator's journal: every state change of a
//! transactional id, appended and fsynced before the client is answered, so
//! transactions survive restarts (ferry keeps no `__transaction_state` topic).
//!
//! # Format
//! `<data_dir>/txn/transactions.jsonl`: one JSON object per line, either a
//! whole [`TxnMetadata`] (`{"put": {...}}`) or a removal
//! (`{"remove": "<transactional id>"}`). The last line for an id wins. A torn
//! last line (kill -9 mid-write) is ignored. When the file holds many more
//! lines than live ids it is rewritten as a snapshot (temp file and rename).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::metadata::TxnMetadata;
use crate::topic::write_atomic;

/// One journal line.
#[derive(Debug, Serialize, Deserialize)]
enum Entry {
    /// The new state of an id.
    #[serde(rename = "put")]
    Put(TxnMetadata),
    /// An expired id.
    #[serde(rename = "remove")]
    Remove(String),
}

/// Rewrite when the journal has this many lines more than live ids.
const COMPACT_SLACK: usize = 10_000;

/// The open journal.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
    lines: usize,
}

impl Journal {
    /// Opens the journal in `dir`, returning it and the state it holds.
    pub(crate) fn open(dir: &Path) -> std::io::Result<(Self, HashMap<String, TxnMetadata>)> {
        let path = dir.join("transactions.jsonl");
        let mut txns = HashMap::new();
        let mut lines = 0;
        match File::open(&path) {
            Ok(f) => {
                for line in BufReader::new(f).split(b'\n') {
                    let line = line?;
                    if line.is_empty() {
                        continue;
                    }
                    match serde_json::from_slice::<Entry>(&line) {
                        Ok(Entry::Put(m)) => {
                            txns.insert(m.transactional_id.clone(), m);
                        }
                        Ok(Entry::Remove(id)) => {
                            txns.remove(&id);
                        }
                        Err(e) => {
                            // Only a torn tail is expected; anything else is
                            // logged and skipped rather than refusing to start.
                            tracing::warn!(path = %path.display(), "skipping unreadable transaction journal line: {e}");
                        }
                    }
                    lines += 1;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut journal = Self {
            file: OpenOptions::new().create(true).append(true).open(&path)?,
            path,
            lines,
        };
        // Start from a clean snapshot: drops torn lines and history.
        journal.rewrite(&txns)?;
        Ok((journal, txns))
    }

    /// Appends and fsyncs a state change.
    pub(crate) fn put(
        &mut self,
        m: &TxnMetadata,
        live: &HashMap<String, TxnMetadata>,
    ) -> std::io::Result<()> {
        self.append(&Entry::Put(m.clone()), live)
    }

    /// Appends and fsyncs a removal.
    pub(crate) fn remove(
        &mut self,
        id: &str,
        live: &HashMap<String, TxnMetadata>,
    ) -> std::io::Result<()> {
        self.append(&Entry::Remove(id.to_string()), live)
    }

    fn append(
        &mut self,
        entry: &Entry,
        live: &HashMap<String, TxnMetadata>,
    ) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()?;
        self.lines += 1;
        if self.lines > live.len() + COMPACT_SLACK {
            self.rewrite(live)?;
        }
        Ok(())
    }

    /// Replaces the file with one line per live id.
    fn rewrite(&mut self, live: &HashMap<String, TxnMetadata>) -> std::io::Result<()> {
        let mut text = Vec::new();
        let mut ids: Vec<&String> = live.keys().collect();
        ids.sort();
        for id in ids {
            if let Some(m) = live.get(id) {
                text.extend(
                    serde_json::to_vec(&Entry::Put(m.clone())).map_err(std::io::Error::other)?,
                );
                text.push(b'\n');
            }
        }
        write_atomic(&self.path, &text)?;
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        self.lines = live.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::txn::metadata::TxnState;

    #[test]
    fn state_survives_reopen_and_torn_tails() {
        let dir = tempfile::tempdir().unwrap();
        let mut live = HashMap::new();
        {
            let (mut j, loaded) = Journal::open(dir.path()).unwrap();
            assert!(loaded.is_empty());
            let mut a = TxnMetadata::new("a", 1, 1000, 0);
            live.insert("a".to_string(), a.clone());
            j.put(&a, &live).unwrap();
            a.state = TxnState::Ongoing;
            a.partitions.insert(("t".to_string(), 3));
            live.insert("a".to_string(), a.clone());
            j.put(&a, &live).unwrap();
            let b = TxnMetadata::new("b", 2, 1000, 0);
            live.insert("b".to_string(), b.clone());
            j.put(&b, &live).unwrap();
            live.remove("b");
            j.remove("b", &live).unwrap();
        }
        // A torn last line, as kill -9 mid-write leaves.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join("transactions.jsonl"))
            .unwrap();
        f.write_all(b"{\"put\": {\"transactional_id\": \"c\", \"produ")
            .unwrap();
        drop(f);
        let (_, loaded) = Journal::open(dir.path()).unwrap();
        assert_eq!(loaded, live);
        let a = &loaded["a"];
        assert_eq!(a.state, TxnState::Ongoing);
        assert!(a.partitions.contains(&("t".to_string(), 3)));
        // The reopened journal was compacted to one line per id.
        let text = std::fs::read_to_string(dir.path().join("transactions.jsonl")).unwrap();
        assert_eq!(text.lines().count(), 1);
    }
}
