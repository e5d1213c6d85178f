//! Links as persisted: one JSON file per link under `<data_dir>/links/`,
//! written atomically (temp file, fsync, rename) with mode 0600 because it
//! holds the link's secrets (`sasl.jaas.config`). Only state transitions are
//! written here; mirrored data and its offsets live in the partition logs.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::LinkError;
use crate::status::{MirrorStatus, MirrorTopicError};
use crate::view::TaskError;

/// One link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LinkRecord {
    pub(crate) name: String,
    pub(crate) id: Uuid,
    #[serde(default)]
    pub(crate) source_cluster_id: Option<String>,
    /// Explicitly set configs, secrets included.
    pub(crate) configs: BTreeMap<String, String>,
    pub(crate) created_ms: i64,
    /// Mirror topics by mirror name.
    #[serde(default)]
    pub(crate) mirrors: BTreeMap<String, MirrorRecord>,
}

/// One mirror topic of a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MirrorRecord {
    pub(crate) source_topic: String,
    /// The source topic's id when the mirror was set up; a different id later
    /// means the source topic was deleted and created again.
    #[serde(default)]
    pub(crate) source_topic_id: Option<Uuid>,
    pub(crate) status: MirrorStatus,
    pub(crate) error: MirrorTopicError,
    pub(crate) state_time_ms: i64,
    /// Partition log end offsets when mirroring stopped.
    #[serde(default)]
    pub(crate) stopped_log_end_offsets: Vec<i64>,
    #[serde(default)]
    pub(crate) transition_errors: Vec<TaskError>,
}

/// The directory of link files.
pub(crate) fn links_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("links")
}

fn link_path(data_dir: &Path, name: &str) -> PathBuf {
    links_dir(data_dir).join(format!("{name}.json"))
}

/// Every persisted link.
pub(crate) fn load_all(data_dir: &Path) -> Result<Vec<LinkRecord>, LinkError> {
    let dir = links_dir(data_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(storage(&dir, e)),
    };
    let mut links = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| storage(&dir, e))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| storage(&path, e))?;
        let record: LinkRecord = serde_json::from_slice(&bytes).map_err(|e| storage(&path, e))?;
        links.push(record);
    }
    links.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(links)
}

/// Writes a link atomically.
pub(crate) fn save(data_dir: &Path, record: &LinkRecord) -> Result<(), LinkError> {
    let dir = links_dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(|e| storage(&dir, e))?;
    let path = link_path(data_dir, &record.name);
    let json = serde_json::to_vec_pretty(record).map_err(|e| storage(&path, e))?;
    let tmp = path.with_extension("json.tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(|e| storage(&tmp, e))?;
        file.write_all(&json).map_err(|e| storage(&tmp, e))?;
        file.sync_all().map_err(|e| storage(&tmp, e))?;
    }
    std::fs::rename(&tmp, &path).map_err(|e| storage(&path, e))?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes a link's file.
pub(crate) fn remove(data_dir: &Path, name: &str) -> Result<(), LinkError> {
    let path = link_path(data_dir, name);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(storage(&path, e)),
    }
}

fn storage(path: &Path, e: impl std::fmt::Display) -> LinkError {
    LinkError::Storage(format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_round_trip_and_are_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut record = LinkRecord {
            name: "cross-cloud-link".into(),
            id: Uuid::new_v4(),
            source_cluster_id: Some("src".into()),
            configs: BTreeMap::from([("sasl.jaas.config".into(), "secret".into())]),
            created_ms: 1,
            mirrors: BTreeMap::new(),
        };
        record.mirrors.insert(
            "orders".into(),
            MirrorRecord {
                source_topic: "orders".into(),
                source_topic_id: Some(Uuid::new_v4()),
                status: MirrorStatus::Active,
                error: MirrorTopicError::NoError,
                state_time_ms: 2,
                stopped_log_end_offsets: Vec::new(),
                transition_errors: Vec::new(),
            },
        );
        save(dir.path(), &record).expect("save");
        assert_eq!(load_all(dir.path()).expect("load"), vec![record.clone()]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(link_path(dir.path(), &record.name))
                .expect("stat")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        remove(dir.path(), &record.name).expect("remove");
        assert!(load_all(dir.path()).expect("load").is_empty());
    }
}
