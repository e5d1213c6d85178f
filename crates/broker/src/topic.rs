//! Topics: their persisted metadata (name, topic id, partition count, config
//! overrides) and their partitions.
//!
//! Metadata lives in `<data_dir>/topics/<name>.json`, written atomically
//! (temp file, fsync, rename) so a crash leaves the old or the new version.
//! Partition logs live in `<log_dir>/<name>-<partition>/`, Kafka's layout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::topic::TopicConfig;
use crate::mirror::MirrorOf;
use crate::partition::Partition;

/// What is persisted about a topic.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TopicMeta {
    /// The topic's name.
    pub name: String,
    /// Its id, minted at creation, stable for the topic's life (Metadata v10+,
    /// Fetch v13+ address topics by it).
    pub id: Uuid,
    /// Number of partitions.
    pub partitions: i32,
    /// Topic-level config overrides.
    #[serde(default)]
    pub configs: BTreeMap<String, String>,
    /// Set while a cluster link mirrors into this topic: clients may read it
    /// but not write it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror: Option<MirrorOf>,
}

/// A topic and its partitions.
#[derive(Debug)]
pub struct Topic {
    /// Name (immutable).
    pub name: String,
    /// Topic id (immutable).
    pub id: Uuid,
    /// Partitions, indexed by partition number. Only ever grows.
    partitions: RwLock<Vec<Arc<Partition>>>,
    /// Config overrides and the resolved values.
    config: RwLock<(BTreeMap<String, String>, TopicConfig)>,
    /// The link mirroring into this topic, if any.
    mirror: RwLock<Option<MirrorOf>>,
}

impl Topic {
    pub(crate) fn new(
        meta: &TopicMeta,
        partitions: Vec<Arc<Partition>>,
        resolved: TopicConfig,
    ) -> Self {
        Self {
            name: meta.name.clone(),
            id: meta.id,
            partitions: RwLock::new(partitions),
            config: RwLock::new((meta.configs.clone(), resolved)),
            mirror: RwLock::new(meta.mirror.clone()),
        }
    }

    /// Number of partitions.
    pub fn partition_count(&self) -> i32 {
        self.partitions.read().len() as i32
    }

    /// One partition, if it exists.
    pub fn partition(&self, index: i32) -> Option<Arc<Partition>> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.partitions.read().get(i).cloned())
    }

    /// All partitions.
    pub fn partitions(&self) -> Vec<Arc<Partition>> {
        self.partitions.read().clone()
    }

    pub(crate) fn push_partitions(&self, more: Vec<Arc<Partition>>) {
        self.partitions.write().extend(more);
    }

    /// Topic-level overrides.
    pub fn overrides(&self) -> BTreeMap<String, String> {
        self.config.read().0.clone()
    }

    /// The resolved configuration.
    pub fn config(&self) -> TopicConfig {
        self.config.read().1.clone()
    }

    pub(crate) fn set_config(&self, overrides: BTreeMap<String, String>, resolved: TopicConfig) {
        *self.config.write() = (overrides, resolved);
    }

    /// The link mirroring into this topic; `None` for ordinary topics and
    /// for mirrors that were promoted or failed over.
    pub fn mirror(&self) -> Option<MirrorOf> {
        self.mirror.read().clone()
    }

    /// Whether a cluster link owns this topic's writes.
    pub fn is_mirror(&self) -> bool {
        self.mirror.read().is_some()
    }

    pub(crate) fn set_mirror(&self, mirror: Option<MirrorOf>) {
        *self.mirror.write() = mirror;
    }

    /// Internal topics (`__consumer_offsets`, `__transaction_state`, …) start with
    /// two underscores, as Kafka's do.
    pub fn is_internal(&self) -> bool {
        self.name.starts_with("__")
    }

    /// The persisted form.
    pub fn meta(&self) -> TopicMeta {
        TopicMeta {
            name: self.name.clone(),
            id: self.id,
            partitions: self.partition_count(),
            configs: self.overrides(),
            mirror: self.mirror(),
        }
    }
}

/// Kafka's rules for topic names: 1..=249 chars of `[a-zA-Z0-9._-]`, not `.`
/// or `..`.
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("topic name is empty".into());
    }
    if name == "." || name == ".." {
        return Err(format!("topic name '{name}' is not allowed"));
    }
    if name.len() > 249 {
        return Err(format!(
            "topic name is {} characters; at most 249 are allowed",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "topic name '{name}' contains '{c}'; only ASCII letters, digits, '.', '_' and '-' are allowed"
        ));
    }
    Ok(())
}

/// Where a topic's metadata file lives.
pub(crate) fn meta_path(data_dir: &Path, name: &str) -> PathBuf {
    data_dir.join("topics").join(format!("{name}.json"))
}

/// Where a partition's log lives.
pub(crate) fn partition_dir(log_dir: &Path, name: &str, partition: i32) -> PathBuf {
    log_dir.join(format!("{name}-{partition}"))
}

/// Writes a file atomically: temp file, fsync, rename, fsync the directory.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kafka_rules() {
        assert!(validate_name("orders.v1_x-2").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("..").is_err());
        assert!(validate_name("a/b").is_err());
        assert!(validate_name(&"x".repeat(250)).is_err());
    }
}
