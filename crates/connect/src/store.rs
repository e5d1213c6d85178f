//! Where connectors live between runs: one JSON file per connector,
//! `<data_dir>/connectors/<name>.json`, owner-only (0600: a configuration
//! may carry API secrets), written atomically (temporary file, fsync,
//! rename, fsync of the directory) so a crash leaves the old or the new
//! file, never a torn one.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ConnectError;

/// One connector as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredConnector {
    /// The connector's name (also the file's name).
    pub name: String,
    /// Its configuration, as given.
    pub config: BTreeMap<String, String>,
    /// Paused by the user (`PUT …/pause`); survives restarts, as in Connect.
    #[serde(default)]
    pub paused: bool,
    /// Records produced so far: the next record's `current.iteration`. Saved
    /// at least every `SAVE_EVERY` (1 s) while running and at every
    /// stop; on resume the topic's last records may raise it (see
    /// [`crate::resume`]).
    #[serde(default)]
    pub produced: u64,
    /// The generator's random seed after the last saved record, so a
    /// resumed connector continues the same random stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// How many times the task has started (Connect's `task.generation`).
    #[serde(default)]
    pub generation: u64,
}

/// The directory of connector files.
#[derive(Debug, Clone)]
pub struct ConnectorStore {
    dir: PathBuf,
}

fn storage(what: &str, path: &Path, e: impl std::fmt::Display) -> ConnectError {
    ConnectError::Storage(format!("{what} {}: {e}", path.display()))
}

impl ConnectorStore {
    /// `<data_dir>/connectors`, created (0700) if missing.
    ///
    /// # Errors
    /// [`ConnectError::Storage`] when it cannot be created.
    pub fn open(data_dir: &Path) -> Result<Self, ConnectError> {
        let dir = data_dir.join("connectors");
        std::fs::create_dir_all(&dir).map_err(|e| storage("creating", &dir, e))?;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        Ok(Self { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Every stored connector. A file that cannot be read or parsed is
    /// logged and skipped (the server still starts), never deleted.
    pub fn load_all(&self) -> Vec<StoredConnector> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let parsed = std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    serde_json::from_slice::<StoredConnector>(&b).map_err(|e| e.to_string())
                });
            match parsed {
                Ok(c) if path.file_stem().and_then(|s| s.to_str()) == Some(c.name.as_str()) => {
                    out.push(c);
                }
                Ok(c) => tracing::warn!(
                    path = %path.display(),
                    "connector file names connector {:?}; skipped",
                    c.name
                ),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "unreadable connector file skipped: {e}")
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Writes one connector atomically.
    ///
    /// # Errors
    /// [`ConnectError::Storage`].
    pub fn save(&self, connector: &StoredConnector) -> Result<(), ConnectError> {
        let path = self.path(&connector.name);
        let tmp = self.dir.join(format!(".{}.json.tmp", connector.name));
        let bytes =
            serde_json::to_vec_pretty(connector).map_err(|e| storage("encoding", &path, e))?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| storage("writing", &tmp, e))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| storage("writing", &tmp, e))?;
        drop(file);
        std::fs::rename(&tmp, &path).map_err(|e| storage("renaming to", &path, e))?;
        if let Ok(dir) = std::fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Removes a connector's file (absent is fine).
    ///
    /// # Errors
    /// [`ConnectError::Storage`].
    pub fn remove(&self, name: &str) -> Result<(), ConnectError> {
        let path = self.path(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(storage("removing", &path, e)),
        }
        if let Ok(dir) = std::fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_remove() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = ConnectorStore::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        let mut c = StoredConnector {
            name: "orders".into(),
            config: BTreeMap::from([("kafka.topic".to_owned(), "t".to_owned())]),
            paused: false,
            produced: 0,
            seed: Some(7),
            generation: 1,
        };
        store.save(&c).unwrap_or_else(|e| panic!("{e}"));
        c.produced = 42;
        c.paused = true;
        store.save(&c).unwrap_or_else(|e| panic!("{e}"));
        let path = tmp.path().join("connectors/orders.json");
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // A stray file and a broken one are skipped, not fatal.
        std::fs::write(tmp.path().join("connectors/broken.json"), b"{")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.path().join("connectors/notes.txt"), b"x")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.load_all(), vec![c]);
        store.remove("orders").unwrap_or_else(|e| panic!("{e}"));
        store.remove("orders").unwrap_or_else(|e| panic!("{e}"));
        assert!(store.load_all().is_empty());
    }
}
