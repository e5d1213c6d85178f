//! What the broker knows of mirror topics: which link owns a topic's writes,
//! and which topic configs the link owns.
//!
//! The cluster-link engine (crates/link) creates mirror topics and appends
//! the source's batches to them; the broker only enforces that while a topic
//! is mirrored clients cannot write it (Produce), grow it (CreatePartitions)
//! or change the configs the link keeps in sync with the source.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The marker on a topic that a cluster link is mirroring into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorOf {
    /// The link's name.
    pub link_name: String,
    /// The link's id (a link deleted and created again is another link).
    pub link_id: Uuid,
    /// The topic on the source cluster.
    pub source_topic: String,
}

/// Topic configs always taken from the source and immutable on a mirror
/// (reference §1.8, "Always").
pub const ALWAYS_SYNCED: &[&str] = &[
    "cleanup.policy",
    "max.message.bytes",
    "message.timestamp.type",
    "message.timestamp.difference.max.ms",
];

/// Topic configs synced when listed in `topic.config.sync.include` (by
/// default all of them), else settable on the mirror ("Configurable").
pub const CONFIGURABLE_SYNCED: &[&str] = &[
    "min.compaction.lag.ms",
    "max.compaction.lag.ms",
    "compression.type",
    "segment.bytes",
    "segment.ms",
    "min.insync.replicas",
    "segment.jitter.ms",
    "segment.index.bytes",
    "flush.messages",
    "flush.ms",
    "index.interval.bytes",
    "min.cleanable.dirty.ratio",
    "file.delete.delay.ms",
    "preallocate",
    "confluent.segment.speculative.prefetch.enable",
    "unclean.leader.election.enable",
    "message.downconversion.enable",
    "delete.retention.ms",
    "retention.bytes",
    "retention.ms",
    "message.timestamp.before.max.ms",
    "message.timestamp.after.max.ms",
];

/// How the link treats one topic config of a mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncCategory {
    /// Synced, immutable on the mirror.
    Always,
    /// Synced if `topic.config.sync.include` lists it.
    Configurable,
    /// Never synced; local to the mirror.
    Independent,
}

/// The category of `name`. Unknown keys count as Always, as Confluent's
/// rules do, except Confluent's and ferry's own placement, schema
/// validation and throttle settings, which are local.
pub fn sync_category(name: &str) -> SyncCategory {
    if ALWAYS_SYNCED.contains(&name) {
        SyncCategory::Always
    } else if CONFIGURABLE_SYNCED.contains(&name) {
        SyncCategory::Configurable
    } else if name.starts_with("confluent.")
        || name.ends_with(".replication.throttled.replicas")
        || name.starts_with("remote.storage")
        || name.starts_with("local.retention")
    {
        SyncCategory::Independent
    } else {
        SyncCategory::Always
    }
}
