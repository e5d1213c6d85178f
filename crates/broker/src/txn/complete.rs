//! The coordinator's operations that act on the broker: writing markers into
//! the transaction's partitions and completing the group offsets it staged.
//!
//! The coordinator lock is never held while a partition is written (the
//! produce path takes a partition's lock, then the coordinator's).

use kafka_protocol::ResponseError;

use super::metadata::{Expected, TxnMetadata, TxnState};
use super::{COORDINATOR_EPOCH, InitStep, TransactionCoordinator, now_ms};
use crate::state::Broker;

impl TransactionCoordinator {
    /// InitProducerId. Without a transactional id: a fresh producer id at
    /// epoch 0 (idempotent producer). With one: its stable producer id with
    /// the epoch bumped, fencing older instances; an open transaction is
    /// aborted first and CONCURRENT_TRANSACTIONS returned, as Kafka does.
    ///
    /// # Errors
    /// INVALID_REQUEST (empty id), INVALID_TRANSACTION_TIMEOUT,
    /// CONCURRENT_TRANSACTIONS, PRODUCER_FENCED, COORDINATOR_NOT_AVAILABLE.
    pub fn init_producer_id(
        &self,
        broker: &Broker,
        transactional_id: Option<&str>,
        timeout_ms: i32,
        expected: Expected,
    ) -> Result<(i64, i16), ResponseError> {
        let Some(id) = transactional_id else {
            return Ok((self.new_producer_id()?, 0));
        };
        if id.is_empty() {
            return Err(ResponseError::InvalidRequest);
        }
        if timeout_ms <= 0 || timeout_ms > self.config.max_timeout_ms {
            return Err(ResponseError::InvalidTransactionTimeout);
        }
        match self.init_transactional(id, timeout_ms, expected, now_ms())? {
            InitStep::Ready(pid, epoch) => Ok((pid, epoch)),
            InitStep::AbortFirst(fenced) => {
                self.complete(broker, fenced)?;
                Err(ResponseError::ConcurrentTransactions)
            }
        }
    }

    /// EndTxn: commits or aborts the open transaction: markers into every
    /// partition, group offsets completed, state CompleteCommit/CompleteAbort.
    /// A retry of an ending that already completed succeeds.
    ///
    /// # Errors
    /// INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED, CONCURRENT_TRANSACTIONS,
    /// INVALID_TXN_STATE, KAFKA_STORAGE_ERROR / COORDINATOR_NOT_AVAILABLE.
    pub fn end_txn(
        &self,
        broker: &Broker,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        commit: bool,
    ) -> Result<(), ResponseError> {
        let prepared = {
            let mut inner = self.inner.lock();
            let current = inner
                .txns
                .get(transactional_id)
                .ok_or(ResponseError::InvalidProducerIdMapping)?;
            match current.prepare_end(producer_id, producer_epoch, commit, now_ms())? {
                None => return Ok(()),
                Some(next) => {
                    inner.put(next.clone())?;
                    next
                }
            }
        };
        self.complete(broker, prepared)
    }

    /// Writes the markers of a PrepareCommit/PrepareAbort transaction,
    /// completes its group offsets and journals the Complete state. On a
    /// failure the transaction stays prepared; the timeout task retries it.
    pub(crate) fn complete(
        &self,
        broker: &Broker,
        prepared: TxnMetadata,
    ) -> Result<(), ResponseError> {
        let commit = prepared.state == TxnState::PrepareCommit;
        let now = now_ms();
        let mut failed = None;
        for (topic, index) in &prepared.partitions {
            // A partition whose topic was deleted has nothing to mark.
            let Some(partition) = broker.topic(topic).and_then(|t| t.partition(*index)) else {
                continue;
            };
            if let Err(e) = partition.append_marker(
                prepared.producer_id,
                prepared.producer_epoch,
                commit,
                COORDINATOR_EPOCH,
                now,
            ) {
                tracing::error!(
                    transactional_id = %prepared.transactional_id, topic, partition = index,
                    "cannot write transaction marker: {e}"
                );
                failed = Some(ResponseError::KafkaStorageError);
            }
        }
        if let Err(e) = complete_group_offsets(broker, prepared.producer_id, commit) {
            tracing::error!(
                transactional_id = %prepared.transactional_id,
                "cannot complete the transaction's group offsets: {e}"
            );
            failed = Some(ResponseError::CoordinatorNotAvailable);
        }
        if let Some(e) = failed {
            return Err(e);
        }
        let mut inner = self.inner.lock();
        // Only the holder of a Prepare state moves it on; check it is still
        // the same transaction before completing it.
        let still = inner.txns.get(&prepared.transactional_id).is_some_and(|m| {
            m.state == prepared.state
                && m.producer_id == prepared.producer_id
                && m.producer_epoch == prepared.producer_epoch
        });
        if still {
            inner.put(prepared.completed(now_ms()))?;
        }
        Ok(())
    }

    /// After a restart (topics loaded): finishes transactions left prepared,
    /// and aborts transactions open in a partition that the coordinator does
    /// not know as open there (a coordinator record lost with the crash), so
    /// no partition's last stable offset stays stuck.
    pub fn recover(&self, broker: &Broker) {
        let prepared: Vec<TxnMetadata> = self
            .inner
            .lock()
            .txns
            .values()
            .filter(|m| m.state.is_preparing())
            .cloned()
            .collect();
        for m in prepared {
            tracing::info!(transactional_id = %m.transactional_id, state = ?m.state, "finishing transaction after restart");
            if let Err(e) = self.complete(broker, m) {
                tracing::warn!("transaction left prepared after restart: {e:?}");
            }
        }
        let open: Vec<(i64, String, i32)> = {
            let inner = self.inner.lock();
            inner
                .txns
                .values()
                .filter(|m| m.state == TxnState::Ongoing)
                .flat_map(|m| {
                    m.partitions
                        .iter()
                        .map(|(t, p)| (m.producer_id, t.clone(), *p))
                })
                .collect()
        };
        for topic in broker.topics() {
            for partition in topic.partitions() {
                for (pid, epoch) in partition.open_transactions() {
                    if open
                        .iter()
                        .any(|(p, t, i)| *p == pid && *t == topic.name && *i == partition.index)
                    {
                        continue;
                    }
                    tracing::warn!(
                        topic = %topic.name, partition = partition.index, producer_id = pid,
                        "aborting a transaction the coordinator does not know as open"
                    );
                    if let Err(e) =
                        partition.append_marker(pid, epoch, false, COORDINATOR_EPOCH, now_ms())
                    {
                        tracing::error!("cannot abort dangling transaction: {e}");
                    }
                }
            }
        }
    }

    /// One pass of the timeout task: aborts (and fences) expired open
    /// transactions, retries prepared ones a failure left behind, and forgets
    /// long-idle transactional ids.
    pub fn abort_expired(&self, broker: &Broker) {
        let now = now_ms();
        let todo: Vec<TxnMetadata> = {
            let mut inner = self.inner.lock();
            let expired: Vec<TxnMetadata> = inner
                .txns
                .values()
                .filter(|m| m.is_expired(now))
                .cloned()
                .collect();
            let mut todo: Vec<TxnMetadata> = inner
                .txns
                .values()
                .filter(|m| m.state.is_preparing() && now.saturating_sub(m.update_ms) > 1000)
                .cloned()
                .collect();
            for m in expired {
                tracing::info!(
                    transactional_id = %m.transactional_id, timeout_ms = m.timeout_ms,
                    "aborting transaction that exceeded its timeout"
                );
                let fenced = m.prepare_fence_and_abort(now);
                if inner.put(fenced.clone()).is_ok() {
                    todo.push(fenced);
                }
            }
            todo
        };
        for m in todo {
            if let Err(e) = self.complete(broker, m) {
                tracing::warn!("completing transaction failed, will retry: {e:?}");
            }
        }
        self.expire_ids(now);
    }
}

/// Makes the transaction's staged group offsets visible (commit) or drops
/// them (abort).
fn complete_group_offsets(broker: &Broker, producer_id: i64, commit: bool) -> Result<(), String> {
    broker
        .groups
        .complete_txn_offsets(producer_id, commit)
        .map_err(|e| e.to_string())
}
