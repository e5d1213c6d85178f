//! The coordinator's journal: one JSON record per line, appended as things
//! happen, replayed and rewritten compacted on open.
//!
//! Kafka keeps this state in the `__consumer_offsets` topic; ferry keeps it in
//! `<dir>/group-journal.jsonl`. Appends are plain `write`s without fsync, like
//! Kafka's log: they survive a killed process, and a torn last line (power loss
//! or a kill mid-write) is skipped on replay. Compaction writes a new file,
//! syncs it and renames it over the old one, so a crash leaves either.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::time::{Duration, Instant};

use super::GroupError;
use super::member::Member;
use super::offsets::{OffsetAndMetadata, TopicPartition};
use super::txn::{PendingTxn, apply_stage};

/// The journal file's name under the coordinator's directory.
const JOURNAL: &str = "group-journal.jsonl";

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Record {
    /// Offsets committed (OffsetCommit) for a group.
    Commit {
        group: String,
        offsets: Vec<StoredOffset>,
    },
    /// Offsets removed (OffsetDelete, expiry).
    DeleteOffsets {
        group: String,
        partitions: Vec<TopicPartition>,
    },
    /// A group's metadata after a generation became Stable or the group Empty.
    Group {
        group: String,
        snapshot: GroupSnapshot,
    },
    /// A group and its offsets deleted (DeleteGroups, expiry).
    DeleteGroup { group: String },
    /// Offsets staged by a transactional producer.
    TxnStage {
        producer_id: i64,
        producer_epoch: i16,
        group: String,
        offsets: Vec<StoredOffset>,
    },
    /// The end of a producer's transaction.
    TxnEnd { producer_id: i64, commit: bool },
}

/// A committed offset as journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StoredOffset {
    pub(super) topic: String,
    pub(super) partition: i32,
    pub(super) offset: i64,
    pub(super) leader_epoch: i32,
    pub(super) metadata: String,
    pub(super) commit_timestamp_ms: i64,
    #[serde(default)]
    pub(super) expire_timestamp_ms: Option<i64>,
}

impl StoredOffset {
    pub(super) fn into_entry(self) -> (TopicPartition, OffsetAndMetadata) {
        (
            (self.topic, self.partition),
            OffsetAndMetadata {
                offset: self.offset,
                leader_epoch: self.leader_epoch,
                metadata: self.metadata,
                commit_timestamp_ms: self.commit_timestamp_ms,
                expire_timestamp_ms: self.expire_timestamp_ms,
            },
        )
    }

    pub(super) fn from_entry((topic, partition): TopicPartition, value: OffsetAndMetadata) -> Self {
        StoredOffset {
            topic,
            partition,
            offset: value.offset,
            leader_epoch: value.leader_epoch,
            metadata: value.metadata,
            commit_timestamp_ms: value.commit_timestamp_ms,
            expire_timestamp_ms: value.expire_timestamp_ms,
        }
    }
}

/// A group's metadata as journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct GroupSnapshot {
    pub(super) generation_id: i32,
    pub(super) protocol_type: Option<String>,
    pub(super) protocol_name: Option<String>,
    pub(super) leader_id: Option<String>,
    pub(super) state_timestamp_ms: i64,
    pub(super) members: Vec<StoredMember>,
}

/// A member as journaled (binary metadata and assignment in base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StoredMember {
    pub(super) member_id: String,
    pub(super) group_instance_id: Option<String>,
    pub(super) client_id: String,
    pub(super) client_host: String,
    pub(super) session_timeout_ms: u64,
    pub(super) rebalance_timeout_ms: u64,
    pub(super) protocol_type: String,
    /// (protocol name, base64 metadata)
    pub(super) protocols: Vec<(String, String)>,
    /// base64
    pub(super) assignment: String,
}

impl StoredMember {
    pub(super) fn from_member(member: &Member) -> Self {
        StoredMember {
            member_id: member.id.clone(),
            group_instance_id: member.instance_id.clone(),
            client_id: member.client_id.clone(),
            client_host: member.client_host.clone(),
            session_timeout_ms: u64::try_from(member.session_timeout.as_millis())
                .unwrap_or(u64::MAX),
            rebalance_timeout_ms: u64::try_from(member.rebalance_timeout.as_millis())
                .unwrap_or(u64::MAX),
            protocol_type: member.protocol_type.clone(),
            protocols: member
                .protocols
                .iter()
                .map(|(name, metadata)| (name.clone(), STANDARD.encode(metadata)))
                .collect(),
            assignment: STANDARD.encode(&member.assignment),
        }
    }

    /// The member, alive for one session timeout from `now`. Undecodable
    /// base64 (a hand-edited journal) becomes empty bytes.
    pub(super) fn into_member(self, serial: u64, now: Instant) -> Member {
        let decode = |text: &str| Bytes::from(STANDARD.decode(text).unwrap_or_default());
        let session_timeout = Duration::from_millis(self.session_timeout_ms);
        Member {
            id: self.member_id,
            instance_id: self.group_instance_id,
            client_id: self.client_id,
            client_host: self.client_host,
            session_timeout,
            rebalance_timeout: Duration::from_millis(self.rebalance_timeout_ms),
            protocol_type: self.protocol_type,
            protocols: self
                .protocols
                .iter()
                .map(|(name, metadata)| (name.clone(), decode(metadata)))
                .collect(),
            assignment: decode(&self.assignment),
            join_waiter: None,
            sync_waiter: None,
            session_deadline: now + session_timeout,
            serial,
        }
    }
}

/// What the journal says about one group.
#[derive(Debug, Default)]
pub(super) struct LoadedGroup {
    pub(super) snapshot: Option<GroupSnapshot>,
    pub(super) offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
}

/// The state replayed from the journal.
#[derive(Debug, Default)]
pub(super) struct Loaded {
    pub(super) groups: BTreeMap<String, LoadedGroup>,
    pub(super) txns: BTreeMap<i64, PendingTxn>,
}

/// The records that rebuild the live state (online compaction).
pub(super) fn live_records(
    groups: &std::collections::HashMap<String, super::classic::Group>,
    txns: &BTreeMap<i64, PendingTxn>,
) -> Vec<Record> {
    let mut loaded = Loaded::default();
    for (id, group) in groups {
        let entry = loaded.groups.entry(id.clone()).or_default();
        if group.generation_id > 0 || group.protocol_type.is_some() {
            entry.snapshot = Some(group.snapshot());
        }
        entry.offsets = group.offsets.clone();
    }
    loaded.txns = txns.clone();
    loaded.records()
}

impl Loaded {
    fn apply(&mut self, record: Record) {
        match record {
            Record::Commit { group, offsets } => {
                let loaded = self.groups.entry(group).or_default();
                for stored in offsets {
                    let (key, value) = stored.into_entry();
                    loaded.offsets.insert(key, value);
                }
            }
            Record::DeleteOffsets { group, partitions } => {
                if let Some(loaded) = self.groups.get_mut(&group) {
                    for key in &partitions {
                        loaded.offsets.remove(key);
                    }
                }
            }
            Record::Group { group, snapshot } => {
                self.groups.entry(group).or_default().snapshot = Some(snapshot);
            }
            Record::DeleteGroup { group } => {
                self.groups.remove(&group);
            }
            Record::TxnStage {
                producer_id,
                producer_epoch,
                group,
                offsets,
            } => apply_stage(&mut self.txns, &group, producer_id, producer_epoch, offsets),
            Record::TxnEnd {
                producer_id,
                commit,
            } => {
                if let Some(txn) = self.txns.remove(&producer_id)
                    && commit
                {
                    for (group, offsets) in txn.offsets {
                        self.groups
                            .entry(group)
                            .or_default()
                            .offsets
                            .extend(offsets);
                    }
                }
            }
        }
    }

    /// The records that rebuild this state: the compacted journal.
    fn records(&self) -> Vec<Record> {
        let mut records = Vec::new();
        for (group, loaded) in &self.groups {
            if let Some(snapshot) = &loaded.snapshot {
                records.push(Record::Group {
                    group: group.clone(),
                    snapshot: snapshot.clone(),
                });
            }
            if !loaded.offsets.is_empty() {
                records.push(Record::Commit {
                    group: group.clone(),
                    offsets: loaded
                        .offsets
                        .iter()
                        .map(|(key, value)| StoredOffset::from_entry(key.clone(), value.clone()))
                        .collect(),
                });
            }
        }
        for (producer_id, txn) in &self.txns {
            for (group, offsets) in &txn.offsets {
                records.push(Record::TxnStage {
                    producer_id: *producer_id,
                    producer_epoch: txn.producer_epoch,
                    group: group.clone(),
                    offsets: offsets
                        .iter()
                        .map(|(key, value)| StoredOffset::from_entry(key.clone(), value.clone()))
                        .collect(),
                });
            }
        }
        records
    }
}

/// The open journal.
#[derive(Debug)]
pub(super) struct Store {
    path: PathBuf,
    file: File,
    /// Bytes written by the last compaction.
    compacted_bytes: u64,
    /// Bytes appended since.
    appended_bytes: u64,
    /// The compaction threshold ([`COMPACT_AFTER_BYTES`]; lowered by tests).
    pub(super) compact_after_bytes: u64,
}

/// The journal is rewritten from the live state once appends since the last
/// compaction exceed both this and the compacted size: commits repeat the same
/// partitions, so the live state stays small while the journal grows.
const COMPACT_AFTER_BYTES: u64 = 16 * 1024 * 1024;

impl Store {
    /// Opens `dir/group-journal.jsonl`, replays it (skipping a torn or corrupt
    /// line), and rewrites it compacted.
    ///
    /// # Errors
    /// [`GroupError::Io`] when the directory or file cannot be created, read,
    /// or rewritten.
    pub(super) fn open(dir: &Path) -> Result<(Store, Loaded), GroupError> {
        let io_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source: io::Error| GroupError::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let path = dir.join(JOURNAL);
        let mut loaded = Loaded::default();
        match File::open(&path) {
            Ok(file) => {
                let mut line_number = 0usize;
                for line in BufReader::new(file).split(b'\n') {
                    line_number += 1;
                    let line = line.map_err(io_error(&path))?;
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    match serde_json::from_slice::<Record>(&line) {
                        Ok(record) => loaded.apply(record),
                        Err(error) => tracing::warn!(
                            path = %path.display(),
                            line = line_number,
                            %error,
                            "skipping an unreadable group journal record (torn write?)"
                        ),
                    }
                }
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error(&path)(error)),
        }
        let (file, compacted_bytes) = rewrite(&path, &loaded.records())?;
        let store = Store {
            path,
            file,
            compacted_bytes,
            appended_bytes: 0,
            compact_after_bytes: COMPACT_AFTER_BYTES,
        };
        Ok((store, loaded))
    }

    /// Appends one record as one `write` call.
    ///
    /// # Errors
    /// [`GroupError`] when the record cannot be encoded or written.
    pub(super) fn append(&mut self, record: &Record) -> Result<(), GroupError> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .map_err(|source| GroupError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.appended_bytes = self.appended_bytes.saturating_add(line.len() as u64);
        Ok(())
    }

    /// Whether enough was appended that the journal should be rewritten.
    pub(super) fn needs_compaction(&self) -> bool {
        self.appended_bytes > self.compact_after_bytes.max(self.compacted_bytes)
    }

    /// Replaces the journal with `records` (the live state).
    ///
    /// # Errors
    /// [`GroupError::Io`]; the old journal then stays in place and in use.
    pub(super) fn compact(&mut self, records: &[Record]) -> Result<(), GroupError> {
        let (file, compacted_bytes) = rewrite(&self.path, records)?;
        self.file = file;
        self.compacted_bytes = compacted_bytes;
        self.appended_bytes = 0;
        Ok(())
    }
}

/// Writes `records` to a temporary file, syncs it, renames it over `path` and
/// returns the new file opened for appending, with its size.
fn rewrite(path: &Path, records: &[Record]) -> Result<(File, u64), GroupError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source: io::Error| GroupError::Io { path, source }
    };
    let temporary = path.with_extension("jsonl.tmp");
    let size = {
        let mut file = File::create(&temporary).map_err(io_error(&temporary))?;
        let mut buffer = Vec::new();
        for record in records {
            serde_json::to_writer(&mut buffer, record)?;
            buffer.push(b'\n');
        }
        file.write_all(&buffer).map_err(io_error(&temporary))?;
        file.sync_all().map_err(io_error(&temporary))?;
        buffer.len() as u64
    };
    fs::rename(&temporary, path).map_err(io_error(path))?;
    if let Some(parent) = path.parent()
        && let Ok(directory) = File::open(parent)
    {
        // Makes the rename durable; failure only weakens crash safety.
        let _ = directory.sync_all();
    }
    let file = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io_error(path))?;
    Ok((file, size))
}
