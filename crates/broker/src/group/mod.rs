//! The consumer-group coordinator: Kafka's classic group protocol and committed
//! offsets.
//!
//! Clients find this broker with FindCoordinator, then JoinGroup/SyncGroup/
//! Heartbeat/LeaveGroup run the rebalance protocol here, and OffsetCommit/
//! OffsetFetch store their positions. The semantics follow Kafka's
//! `GroupCoordinator` as librdkafka, the Java client and confluent-kafka-python
//! expect them: member ids handed out with MEMBER_ID_REQUIRED (JoinGroup v4+),
//! join responses held until every known member rejoined or the rebalance
//! timeout passed, an initial rebalance delay for groups that were empty,
//! session-timeout eviction, and the error codes that make clients rejoin.
//!
//! # Layout
//! - [`state`]: the group states and their Kafka names.
//! - `member` / `classic`: a member, and one group's rebalance state machine
//!   (synchronous, run under the coordinator's lock).
//! - [`membership`]: JoinGroup, SyncGroup, Heartbeat, LeaveGroup. Requests that
//!   must wait (join, sync) get a `oneshot` receiver and await it with no lock held.
//! - [`offsets`]: OffsetCommit, OffsetFetch, OffsetDelete, retention.
//! - [`txn`]: offsets staged by TxnOffsetCommit until the transaction ends.
//! - [`admin`]: ListGroups, DescribeGroups, DeleteGroups and the read API used
//!   by cluster links.
//! - `store`: the append-only journal that makes offsets and group metadata
//!   survive restarts (ferry keeps no `__consumer_offsets` topic).
//! - `timers`: session, join, sync and pending-member deadlines as tokio tasks.
//! - `subscription`: reads the topics out of consumer-protocol metadata.

pub mod admin;
pub mod membership;
pub mod offsets;
pub mod state;
pub mod txn;

mod classic;
mod member;
mod store;
mod subscription;
mod timers;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use tokio::time::{Duration, Instant};

pub use admin::{GroupDescription, GroupSummary, MemberDescription};
pub use membership::{
    HeartbeatParams, JoinOutcome, JoinParams, JoinedMember, LeaveMember, LeaveOutcome, SyncOutcome,
    SyncParams,
};
pub use offsets::{
    CommitParams, FetchedOffset, OffsetAndMetadata, PartitionCommit, TopicPartition,
};
pub use state::GroupState;
pub use txn::TxnCommitParams;

use classic::{Ctx, Group};
use store::Store;
use txn::PendingTxn;

/// The broker settings of the group coordinator, under Kafka's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupConfig {
    /// `group.initial.rebalance.delay.ms` (3000): how long the first rebalance of
    /// an empty group waits for more members, so that consumers started together
    /// form one generation instead of rebalancing once per arrival.
    pub initial_rebalance_delay: Duration,
    /// `group.min.session.timeout.ms` (6000): shorter session timeouts are refused.
    pub min_session_timeout: Duration,
    /// `group.max.session.timeout.ms` (1800000): longer session timeouts are refused.
    pub max_session_timeout: Duration,
    /// `offsets.retention.minutes` (10080): how long offsets of a group without
    /// members are kept after the group became empty (or after the commit,
    /// whichever is later).
    pub offsets_retention: Duration,
    /// `offsets.retention.check.interval.ms` (600000): how often expired offsets
    /// are removed.
    pub offsets_retention_check_interval: Duration,
    /// `group.max.size` (2147483647): members beyond it get GROUP_MAX_SIZE_REACHED.
    pub max_size: usize,
    /// `offset.metadata.max.bytes` (4096): longer commit metadata gets
    /// OFFSET_METADATA_TOO_LARGE.
    pub offset_metadata_max_bytes: usize,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            initial_rebalance_delay: Duration::from_millis(3000),
            min_session_timeout: Duration::from_millis(6000),
            max_session_timeout: Duration::from_millis(1_800_000),
            offsets_retention: Duration::from_secs(10080 * 60),
            offsets_retention_check_interval: Duration::from_millis(600_000),
            max_size: i32::MAX as usize,
            offset_metadata_max_bytes: 4096,
        }
    }
}

impl GroupConfig {
    /// The Kafka config keys read by [`GroupConfig::from_lookup`], with their
    /// defaults, for DescribeConfigs.
    pub const KEYS: &'static [(&'static str, &'static str)] = &[
        ("group.initial.rebalance.delay.ms", "3000"),
        ("group.min.session.timeout.ms", "6000"),
        ("group.max.session.timeout.ms", "1800000"),
        ("group.max.size", "2147483647"),
        ("offsets.retention.minutes", "10080"),
        ("offsets.retention.check.interval.ms", "600000"),
        ("offset.metadata.max.bytes", "4096"),
    ];

    /// Builds the settings from broker properties (`lookup(key)` returns the
    /// configured value, if any); missing keys take Kafka's defaults.
    ///
    /// # Errors
    /// [`GroupError::Config`] names a key whose value is not a non-negative integer.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, GroupError> {
        let number = |key: &str, default: u64| -> Result<u64, GroupError> {
            match lookup(key) {
                None => Ok(default),
                Some(value) => value.trim().parse::<u64>().map_err(|_| GroupError::Config {
                    key: key.to_owned(),
                    value,
                }),
            }
        };
        let defaults = GroupConfig::default();
        Ok(GroupConfig {
            initial_rebalance_delay: Duration::from_millis(number(
                "group.initial.rebalance.delay.ms",
                3000,
            )?),
            min_session_timeout: Duration::from_millis(number(
                "group.min.session.timeout.ms",
                6000,
            )?),
            max_session_timeout: Duration::from_millis(number(
                "group.max.session.timeout.ms",
                1_800_000,
            )?),
            offsets_retention: Duration::from_secs(
                number("offsets.retention.minutes", 10080)?.saturating_mul(60),
            ),
            offsets_retention_check_interval: Duration::from_millis(
                number("offsets.retention.check.interval.ms", 600_000)?.max(1),
            ),
            max_size: usize::try_from(number("group.max.size", i32::MAX as u64)?)
                .unwrap_or(defaults.max_size),
            offset_metadata_max_bytes: usize::try_from(number("offset.metadata.max.bytes", 4096)?)
                .unwrap_or(defaults.offset_metadata_max_bytes),
        })
    }
}

/// Errors of the coordinator's own operations (not Kafka error codes, which
/// are returned in the outcomes of the request methods).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    /// The journal under the data directory could not be created, read or written.
    #[error("group journal {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A journal record could not be encoded.
    #[error("encoding a group journal record: {0}")]
    Encode(#[from] serde_json::Error),
    /// A broker setting of the coordinator has a value that is not a number.
    #[error("invalid value {value:?} for {key}: expected a non-negative integer")]
    Config {
        /// The Kafka config key.
        key: String,
        /// The value given.
        value: String,
    },
}

/// The group coordinator of this broker. Cheap to clone: all clones share one
/// coordinator.
#[derive(Debug, Clone)]
pub struct GroupCoordinator {
    inner: Arc<Inner>,
}

/// The shared state behind [`GroupCoordinator`].
#[derive(Debug)]
pub(crate) struct Inner {
    config: GroupConfig,
    state: Mutex<State>,
}

/// Everything under the coordinator's one lock. One lock is enough: no
/// operation holds it for more than a map update and one journal write.
#[derive(Debug)]
struct State {
    groups: HashMap<String, Group>,
    txns: BTreeMap<i64, PendingTxn>,
    store: Store,
    next_serial: u64,
}

impl GroupCoordinator {
    /// Opens the coordinator's journal under `dir` (created if missing),
    /// replays it, rewrites it compacted, and restores groups and offsets.
    ///
    /// Members of groups that were Stable come back with a fresh session
    /// timeout; this needs a tokio runtime (for their timers), and without one
    /// they are dropped and the group starts Empty. Called inside a runtime, it
    /// also starts the background task that expires old offsets.
    ///
    /// # Errors
    /// [`GroupError::Io`] when the directory or journal cannot be read or written.
    pub fn open(dir: &Path, config: GroupConfig) -> Result<Self, GroupError> {
        let (mut store, loaded) = Store::open(dir)?;
        let runtime = tokio::runtime::Handle::try_current().is_ok();
        let mut next_serial = 0;
        let mut groups = HashMap::new();
        let timers = {
            let mut ctx = Ctx {
                config: &config,
                store: &mut store,
                next_serial: &mut next_serial,
                timers: Vec::new(),
                now: Instant::now(),
            };
            for (id, loaded_group) in loaded.groups {
                let group = match loaded_group.snapshot {
                    Some(snapshot) => Group::restore(
                        id.clone(),
                        snapshot,
                        loaded_group.offsets,
                        runtime,
                        &mut ctx,
                    ),
                    None => {
                        let mut group = Group::new(id.clone(), ctx.now);
                        group.offsets = loaded_group.offsets;
                        group
                    }
                };
                groups.insert(id, group);
            }
            ctx.timers
        };
        let inner = Arc::new(Inner {
            config,
            state: Mutex::new(State {
                groups,
                txns: loaded.txns,
                store,
                next_serial,
            }),
        });
        timers::arm(&inner, timers);
        inner.expire_offsets();
        timers::start_retention_task(&inner);
        Ok(GroupCoordinator { inner })
    }

    /// The settings the coordinator runs with.
    pub fn config(&self) -> &GroupConfig {
        &self.inner.config
    }
}

impl Inner {
    /// Runs `f` under the lock with a transition context, then arms the timers
    /// it asked for once the lock is released.
    fn with_ctx<R>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut HashMap<String, Group>, &mut BTreeMap<i64, PendingTxn>, &mut Ctx<'_>) -> R,
    ) -> R {
        let (result, timers) = {
            let mut guard = self.state.lock();
            let State {
                groups,
                txns,
                store,
                next_serial,
            } = &mut *guard;
            let mut ctx = Ctx {
                config: &self.config,
                store,
                next_serial,
                timers: Vec::new(),
                now: Instant::now(),
            };
            let result = f(groups, txns, &mut ctx);
            let timers = ctx.timers;
            if store.needs_compaction()
                && let Err(error) = store.compact(&store::live_records(groups, txns))
            {
                tracing::warn!(%error, "could not compact the group journal");
            }
            (result, timers)
        };
        timers::arm(self, timers);
        result
    }
}

/// Milliseconds since the Unix epoch: commit timestamps and retention are
/// wall-clock based because they survive restarts.
pub(crate) fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
