//! Idempotent-producer ids and the transaction coordinator.
//!
//! Kafka's transaction coordinator keeps, per `transactional.id`, the
//! producer id and epoch, the state (Empty, Ongoing, PrepareCommit,
//! PrepareAbort, CompleteCommit, CompleteAbort, Dead), and the partitions and
//! consumer groups of the open transaction. EndTxn writes a COMMIT or ABORT
//! marker into every partition of the transaction and completes the offsets
//! TxnOffsetCommit staged in the groups. Open transactions older than their
//! `transaction.timeout.ms` are aborted by a background task, with the epoch
//! bumped so the stuck producer is fenced.
//!
//! ferry is one node, so the coordinator writes markers into its own
//! partitions directly rather than sending WriteTxnMarkers, and its state
//! lives in a journal file (`journal`) instead of a `__transaction_state`
//! topic. A state change is journaled before it is acted on: a crash between
//! PrepareCommit and CompleteCommit is finished on the next start
//! ([`TransactionCoordinator::recover`]).
//!
//! # Layout
//! - [`metadata`]: one transactional id's state and its transitions (pure).
//! - `journal`: the persisted state.
//! - `producer_ids`: producer-id blocks under `<data_dir>/txn/`.
//! - `complete`: writing markers and completing group offsets.
//! - `timeouts`: the background abort of expired transactions.

pub mod metadata;

mod complete;
mod journal;
mod producer_ids;
mod timeouts;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use kafka_protocol::ResponseError;
use parking_lot::Mutex;

use crate::partition::AppendError;
use journal::Journal;
pub use metadata::{Expected, TxnMetadata, TxnPartition, TxnState};
use producer_ids::ProducerIdManager;

/// The coordinator epoch written into markers. A single node never changes
/// coordinator, so it stays 0.
pub(crate) const COORDINATOR_EPOCH: i32 = 0;

/// Why the coordinator could not open.
#[derive(Debug, thiserror::Error)]
pub enum TxnError {
    /// The `txn` directory, the producer-id block or the journal could not
    /// be read or written.
    #[error("transaction state in {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A broker setting has a value that is not a number.
    #[error("invalid value {value:?} for {key}: expected a positive integer")]
    Config {
        /// The Kafka config key.
        key: String,
        /// The value given.
        value: String,
    },
}

/// The coordinator's broker settings (Kafka's names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnConfig {
    /// `transaction.max.timeout.ms`: the largest `transaction.timeout.ms` a
    /// producer may ask for.
    pub max_timeout_ms: i32,
    /// `transaction.abort.timed.out.transaction.cleanup.interval.ms`: how
    /// often expired transactions are looked for.
    pub abort_check_interval_ms: u64,
    /// `transactional.id.expiration.ms`: idle transactional ids (no open
    /// transaction) are forgotten after this long.
    pub id_expiration_ms: i64,
}

impl Default for TxnConfig {
    fn default() -> Self {
        Self {
            max_timeout_ms: 900_000,
            abort_check_interval_ms: 10_000,
            id_expiration_ms: 604_800_000,
        }
    }
}

impl TxnConfig {
    /// The config keys read, with Kafka's defaults (for DescribeConfigs).
    pub const KEYS: &'static [(&'static str, &'static str)] = &[
        ("transaction.max.timeout.ms", "900000"),
        (
            "transaction.abort.timed.out.transaction.cleanup.interval.ms",
            "10000",
        ),
        ("transactional.id.expiration.ms", "604800000"),
    ];

    /// Reads the settings through `lookup` (the broker's properties).
    ///
    /// # Errors
    /// [`TxnError::Config`] for a value that is not a positive integer.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, TxnError> {
        fn num<T: std::str::FromStr + PartialOrd + Default>(
            lookup: &impl Fn(&str) -> Option<String>,
            key: &str,
            default: T,
        ) -> Result<T, TxnError> {
            match lookup(key) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<T>() {
                    Ok(n) if n > T::default() => Ok(n),
                    _ => Err(TxnError::Config {
                        key: key.to_string(),
                        value: v,
                    }),
                },
            }
        }
        let d = Self::default();
        Ok(Self {
            max_timeout_ms: num(&lookup, "transaction.max.timeout.ms", d.max_timeout_ms)?,
            abort_check_interval_ms: num(
                &lookup,
                "transaction.abort.timed.out.transaction.cleanup.interval.ms",
                d.abort_check_interval_ms,
            )?,
            id_expiration_ms: num(
                &lookup,
                "transactional.id.expiration.ms",
                d.id_expiration_ms,
            )?,
        })
    }
}

/// The state under the coordinator's lock.
#[derive(Debug)]
struct Inner {
    /// Every known transactional id.
    txns: HashMap<String, TxnMetadata>,
    /// Current producer id → transactional id.
    by_producer: HashMap<i64, String>,
    /// The journal.
    journal: Journal,
}

impl Inner {
    /// Journals `m` and makes it current; on a journal failure nothing
    /// changes.
    fn put(&mut self, m: TxnMetadata) -> Result<(), ResponseError> {
        let id = m.transactional_id.clone();
        let previous = self.txns.insert(id.clone(), m.clone());
        if let Err(e) = self.journal.put(&m, &self.txns) {
            tracing::error!(transactional_id = %id, "cannot journal transaction state: {e}");
            match previous {
                Some(p) => self.txns.insert(id, p),
                None => self.txns.remove(&id),
            };
            return Err(ResponseError::CoordinatorNotAvailable);
        }
        if let Some(old) = previous
            && old.producer_id != m.producer_id
        {
            self.by_producer.remove(&old.producer_id);
        }
        self.by_producer.insert(m.producer_id, id);
        Ok(())
    }

    fn rebuild_index(&mut self) {
        self.by_producer = self
            .txns
            .values()
            .map(|m| (m.producer_id, m.transactional_id.clone()))
            .collect();
    }
}

/// The transaction coordinator and producer-id allocator of this broker.
#[derive(Debug)]
pub struct TransactionCoordinator {
    config: TxnConfig,
    producer_ids: Mutex<ProducerIdManager>,
    inner: Mutex<Inner>,
    /// Set once the timeout task runs.
    timer_started: AtomicBool,
}

/// Wall-clock milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl TransactionCoordinator {
    /// Opens (creating) `dir` (`<data_dir>/txn`): the producer-id block and
    /// the journal. Transactions left in PrepareCommit/PrepareAbort are
    /// finished by [`recover`](Self::recover) once the topics are loaded.
    ///
    /// # Errors
    /// [`TxnError::Io`].
    pub fn open(dir: &Path, config: TxnConfig) -> Result<Self, TxnError> {
        let io = |source| TxnError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let producer_ids = ProducerIdManager::open(dir).map_err(io)?;
        let (journal, txns) = Journal::open(dir).map_err(io)?;
        let mut inner = Inner {
            txns,
            by_producer: HashMap::new(),
            journal,
        };
        inner.rebuild_index();
        Ok(Self {
            config,
            producer_ids: Mutex::new(producer_ids),
            inner: Mutex::new(inner),
            timer_started: AtomicBool::new(false),
        })
    }

    /// The settings.
    pub fn config(&self) -> &TxnConfig {
        &self.config
    }

    /// A fresh producer id.
    fn new_producer_id(&self) -> Result<i64, ResponseError> {
        self.producer_ids.lock().next_id().map_err(|e| {
            tracing::error!("cannot reserve producer ids: {e}");
            ResponseError::CoordinatorNotAvailable
        })
    }

    /// A transactional id's current metadata.
    pub fn describe(&self, transactional_id: &str) -> Option<TxnMetadata> {
        self.inner.lock().txns.get(transactional_id).cloned()
    }

    /// Every known transactional id's metadata.
    pub fn list(&self) -> Vec<TxnMetadata> {
        self.inner.lock().txns.values().cloned().collect()
    }

    /// InitProducerId's decision, without the marker writing an open
    /// transaction needs (see [`crate::txn::complete`]).
    fn init_transactional(
        &self,
        transactional_id: &str,
        timeout_ms: i32,
        expected: Expected,
        now: i64,
    ) -> Result<InitStep, ResponseError> {
        let mut inner = self.inner.lock();
        let Some(current) = inner.txns.get(transactional_id).cloned() else {
            let pid = self.new_producer_id()?;
            let m = TxnMetadata::new(transactional_id, pid, timeout_ms, now);
            inner.put(m)?;
            return Ok(InitStep::Ready(pid, 0));
        };
        if let Some((pid, epoch)) = expected {
            // An expected id/epoch from another producer is fenced before
            // anything else, even while a transaction is open.
            let known = pid == current.producer_id || pid == current.last_producer_id;
            if !known || (pid == current.producer_id && epoch > current.producer_epoch) {
                return Err(ResponseError::ProducerFenced);
            }
        }
        match current.state {
            TxnState::PrepareCommit | TxnState::PrepareAbort | TxnState::Dead => {
                Err(ResponseError::ConcurrentTransactions)
            }
            TxnState::Ongoing => {
                // Fence the open transaction's producer and abort it; the
                // client retries on CONCURRENT_TRANSACTIONS and gets the next
                // epoch once the abort is complete.
                let fenced = current.prepare_fence_and_abort(now);
                inner.put(fenced.clone())?;
                Ok(InitStep::AbortFirst(fenced))
            }
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort => {
                let next =
                    current.prepare_init(expected, timeout_ms, now, || self.new_producer_id())?;
                let answer = (next.producer_id, next.producer_epoch);
                inner.put(next)?;
                Ok(InitStep::Ready(answer.0, answer.1))
            }
        }
    }

    /// AddPartitionsToTxn (client form): adds partitions to the open
    /// transaction, opening it if needed. The handler has already checked
    /// that the partitions exist.
    ///
    /// # Errors
    /// INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED, CONCURRENT_TRANSACTIONS,
    /// INVALID_TXN_STATE, COORDINATOR_NOT_AVAILABLE (journal failure).
    pub fn add_partitions(
        &self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        partitions: &[TxnPartition],
    ) -> Result<(), ResponseError> {
        self.add(
            transactional_id,
            producer_id,
            producer_epoch,
            partitions,
            None,
        )
    }

    /// AddOffsetsToTxn: adds a consumer group to the open transaction, so
    /// that TxnOffsetCommit may stage its offsets.
    ///
    /// # Errors
    /// As [`add_partitions`](Self::add_partitions).
    pub fn add_offsets(
        &self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        group_id: &str,
    ) -> Result<(), ResponseError> {
        self.add(
            transactional_id,
            producer_id,
            producer_epoch,
            &[],
            Some(group_id),
        )
    }

    fn add(
        &self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        partitions: &[TxnPartition],
        group: Option<&str>,
    ) -> Result<(), ResponseError> {
        let mut inner = self.inner.lock();
        let current = inner
            .txns
            .get(transactional_id)
            .ok_or(ResponseError::InvalidProducerIdMapping)?;
        if let Some(next) =
            current.prepare_add(producer_id, producer_epoch, partitions, group, now_ms())?
        {
            inner.put(next)?;
        }
        Ok(())
    }

    /// AddPartitionsToTxn v4+ `verify_only`: which of `partitions` are in the
    /// producer's open transaction (`Ok`) and which are not.
    ///
    /// # Errors
    /// For the whole transaction: INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED.
    pub fn verify_partitions(
        &self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        partitions: &[TxnPartition],
    ) -> Result<Vec<bool>, ResponseError> {
        let inner = self.inner.lock();
        let m = inner
            .txns
            .get(transactional_id)
            .ok_or(ResponseError::InvalidProducerIdMapping)?;
        m.check_producer(producer_id, producer_epoch)?;
        Ok(partitions
            .iter()
            .map(|p| m.state == TxnState::Ongoing && m.partitions.contains(p))
            .collect())
    }

    /// The check Produce makes for a transactional batch (under the
    /// partition's append lock): the producer's transaction is open and
    /// includes this partition.
    ///
    /// # Errors
    /// INVALID_PRODUCER_EPOCH for a fenced epoch, INVALID_TXN_STATE when the
    /// partition is not in an open transaction of this producer.
    pub(crate) fn check_produce(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        topic: &str,
        partition: i32,
    ) -> Result<(), AppendError> {
        let inner = self.inner.lock();
        let Some(m) = inner
            .by_producer
            .get(&producer_id)
            .and_then(|id| inner.txns.get(id))
        else {
            return Err(AppendError::Txn(
                ResponseError::InvalidTxnState,
                format!("producer {producer_id} has no transaction on this coordinator"),
            ));
        };
        if producer_epoch < m.producer_epoch {
            return Err(AppendError::Txn(
                ResponseError::InvalidProducerEpoch,
                format!(
                    "producer {producer_id} epoch {producer_epoch} is fenced by epoch {}",
                    m.producer_epoch
                ),
            ));
        }
        if producer_epoch != m.producer_epoch
            || m.state != TxnState::Ongoing
            || !m.partitions.contains(&(topic.to_string(), partition))
        {
            return Err(AppendError::Txn(
                ResponseError::InvalidTxnState,
                format!(
                    "{topic}-{partition} is not in an open transaction of producer {producer_id} (state {:?})",
                    m.state
                ),
            ));
        }
        Ok(())
    }

    /// What TxnOffsetCommit must check before staging offsets: the
    /// transactional id belongs to this producer id and epoch, and
    /// AddOffsetsToTxn added the group to its open transaction.
    ///
    /// # Errors
    /// INVALID_PRODUCER_ID_MAPPING (unknown id or another producer id),
    /// PRODUCER_FENCED (another epoch; map it to INVALID_PRODUCER_EPOCH for
    /// TxnOffsetCommit v0–2), INVALID_TXN_STATE (group not in an open
    /// transaction).
    pub fn check_txn_offset_commit(
        &self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        group_id: &str,
    ) -> Result<(), ResponseError> {
        let inner = self.inner.lock();
        let m = inner
            .txns
            .get(transactional_id)
            .ok_or(ResponseError::InvalidProducerIdMapping)?;
        m.check_producer(producer_id, producer_epoch)?;
        if m.state != TxnState::Ongoing || !m.groups.contains(group_id) {
            return Err(ResponseError::InvalidTxnState);
        }
        Ok(())
    }

    /// Forgets transactional ids idle for longer than
    /// `transactional.id.expiration.ms` (no open transaction).
    fn expire_ids(&self, now: i64) {
        let mut inner = self.inner.lock();
        let idle: Vec<String> = inner
            .txns
            .values()
            .filter(|m| {
                matches!(
                    m.state,
                    TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort
                ) && now.saturating_sub(m.update_ms) > self.config.id_expiration_ms
            })
            .map(|m| m.transactional_id.clone())
            .collect();
        for id in idle {
            if let Some(m) = inner.txns.remove(&id) {
                inner.by_producer.remove(&m.producer_id);
            }
            let Inner { journal, txns, .. } = &mut *inner;
            if let Err(e) = journal.remove(&id, txns) {
                tracing::warn!(transactional_id = %id, "cannot journal expiry: {e}");
            }
        }
    }
}

/// What InitProducerId does next.
#[derive(Debug)]
enum InitStep {
    /// Answer with this id and epoch.
    Ready(i64, i16),
    /// Abort this (fenced) open transaction, then answer
    /// CONCURRENT_TRANSACTIONS so the client retries.
    AbortFirst(TxnMetadata),
}

/// Maps PRODUCER_FENCED to INVALID_PRODUCER_EPOCH for request versions from
/// before KIP-588 introduced it (`fenced_since` is the first version that
/// knows it).
pub(crate) fn compat_error(error: ResponseError, version: i16, fenced_since: i16) -> ResponseError {
    if error == ResponseError::ProducerFenced && version < fenced_since {
        ResponseError::InvalidProducerEpoch
    } else {
        error
    }
}
