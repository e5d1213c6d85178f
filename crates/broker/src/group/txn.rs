//! Transactional offset commits (TxnOffsetCommit, then EndTxn).
//!
//! A transactional producer that consumes-transforms-produces commits its
//! consumer offsets inside the transaction. The offsets are staged per producer
//! id and become visible only when the transaction coordinator reports the
//! commit ([`GroupCoordinator::complete_txn_offsets`]); an abort discards them.
//! Until then OffsetFetch with `require_stable` answers UNSTABLE_OFFSET_COMMIT
//! for those partitions. Staged offsets are journaled, so a transaction that
//! the transaction coordinator completes after a restart still lands.

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::ResponseError;

use super::classic::Group;
use super::offsets::{OffsetAndMetadata, PartitionCommit, TopicPartition, validate_commit};
use super::store::{Record, StoredOffset};
use super::{GroupCoordinator, GroupError, wall_clock_ms};

/// The offsets one producer staged in its open transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PendingTxn {
    /// The producer epoch of the latest stage; older epochs are fenced.
    pub(crate) producer_epoch: i16,
    /// Staged offsets by group.
    pub(crate) offsets: BTreeMap<String, BTreeMap<TopicPartition, OffsetAndMetadata>>,
}

/// Who commits transactionally, from a TxnOffsetCommit request.
#[derive(Debug, Clone, Default)]
pub struct TxnCommitParams {
    /// The group whose offsets are committed.
    pub group_id: String,
    /// The transactional producer.
    pub producer_id: i64,
    /// Its epoch.
    pub producer_epoch: i16,
    /// The consumer's generation (v3+), -1 when not given.
    pub generation_id: i32,
    /// The consumer's member id (v3+), empty when not given.
    pub member_id: String,
    /// The consumer's `group.instance.id` (v3+).
    pub group_instance_id: Option<String>,
}

/// The partitions of `group_id` with offsets staged by an open transaction.
pub(super) fn pending_partitions(
    txns: &BTreeMap<i64, PendingTxn>,
    group_id: &str,
) -> BTreeSet<TopicPartition> {
    txns.values()
        .filter_map(|txn| txn.offsets.get(group_id))
        .flat_map(|offsets| offsets.keys().cloned())
        .collect()
}

impl GroupCoordinator {
    /// Handles TxnOffsetCommit for partitions the handler already validated:
    /// checks the consumer's membership when it sent one (v3+), then stages the
    /// offsets. Returns one error (or `None`) per partition, in order.
    pub fn txn_offset_commit(
        &self,
        params: TxnCommitParams,
        partitions: Vec<PartitionCommit>,
    ) -> Vec<Option<ResponseError>> {
        let count = partitions.len();
        let all = |error: ResponseError| vec![Some(error); count];
        if params.group_id.is_empty() {
            return all(ResponseError::InvalidGroupId);
        }
        let max_metadata = self.inner.config.offset_metadata_max_bytes;
        self.inner.with_ctx(|groups, txns, ctx| {
            if let Some(group) = groups.get(&params.group_id) {
                // v0–2 carry no member; later versions send the consumer's
                // group metadata, which must be current.
                let member_given = !params.member_id.is_empty()
                    || params.generation_id >= 0
                    || params.group_instance_id.is_some();
                if member_given
                    && let Err(error) = validate_commit(
                        group,
                        params.generation_id,
                        &params.member_id,
                        params.group_instance_id.as_deref(),
                    )
                {
                    return all(error);
                }
            }
            if txns
                .get(&params.producer_id)
                .is_some_and(|txn| txn.producer_epoch > params.producer_epoch)
            {
                return all(ResponseError::InvalidProducerEpoch);
            }
            let now_ms = wall_clock_ms();
            let mut errors = Vec::with_capacity(count);
            let mut staged = Vec::with_capacity(count);
            for commit in partitions {
                let metadata = commit.metadata.unwrap_or_default();
                if metadata.len() > max_metadata {
                    errors.push(Some(ResponseError::OffsetMetadataTooLarge));
                    continue;
                }
                errors.push(None);
                staged.push(StoredOffset {
                    topic: commit.topic,
                    partition: commit.partition,
                    offset: commit.offset,
                    leader_epoch: commit.leader_epoch,
                    metadata,
                    commit_timestamp_ms: now_ms,
                    expire_timestamp_ms: None,
                });
            }
            if staged.is_empty() {
                return errors;
            }
            if let Err(error) = stage(
                txns,
                ctx.store,
                &params.group_id,
                params.producer_id,
                params.producer_epoch,
                staged,
            ) {
                tracing::warn!(group = %params.group_id, %error, "could not journal staged offsets");
                return errors
                    .into_iter()
                    .map(|error| error.or(Some(ResponseError::CoordinatorNotAvailable)))
                    .collect();
            }
            errors
        })
    }

    /// Stages offsets for `group_id` in the open transaction of `producer_id`
    /// (for callers that did their own validation).
    ///
    /// # Errors
    /// [`GroupError`] when the journal cannot be written; nothing is staged then.
    pub fn stage_txn_offsets(
        &self,
        group_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<(), GroupError> {
        let staged = offsets
            .into_iter()
            .map(|(key, value)| StoredOffset::from_entry(key, value))
            .collect();
        self.inner.with_ctx(|_groups, txns, ctx| {
            stage(
                txns,
                ctx.store,
                group_id,
                producer_id,
                producer_epoch,
                staged,
            )
        })
    }

    /// Ends the transaction of `producer_id` in every group it committed
    /// offsets to: on commit the staged offsets become the committed ones, on
    /// abort they are dropped. Called by the transaction coordinator when it
    /// writes the EndTxn markers. A producer with nothing staged is a no-op.
    ///
    /// # Errors
    /// [`GroupError`] when the journal cannot be written; the transaction stays
    /// pending then, so that the caller can retry.
    pub fn complete_txn_offsets(&self, producer_id: i64, commit: bool) -> Result<(), GroupError> {
        self.inner.with_ctx(|groups, txns, ctx| {
            if !txns.contains_key(&producer_id) {
                return Ok(());
            }
            ctx.store.append(&Record::TxnEnd {
                producer_id,
                commit,
            })?;
            let Some(txn) = txns.remove(&producer_id) else {
                return Ok(());
            };
            if commit {
                for (group_id, offsets) in txn.offsets {
                    let group = groups
                        .entry(group_id.clone())
                        .or_insert_with(|| Group::new(group_id, ctx.now));
                    group.offsets.extend(offsets);
                }
            }
            Ok(())
        })
    }

    /// Whether `group_id` has offsets staged by an open transaction.
    pub fn has_pending_txn_offsets(&self, group_id: &str) -> bool {
        let state = self.inner.state.lock();
        !pending_partitions(&state.txns, group_id).is_empty()
    }
}

/// Journals and stages offsets.
fn stage(
    txns: &mut BTreeMap<i64, PendingTxn>,
    store: &mut super::store::Store,
    group_id: &str,
    producer_id: i64,
    producer_epoch: i16,
    offsets: Vec<StoredOffset>,
) -> Result<(), GroupError> {
    let record = Record::TxnStage {
        producer_id,
        producer_epoch,
        group: group_id.to_owned(),
        offsets,
    };
    store.append(&record)?;
    if let Record::TxnStage { offsets, .. } = record {
        apply_stage(txns, group_id, producer_id, producer_epoch, offsets);
    }
    Ok(())
}

/// Adds staged offsets to the producer's pending transaction (also used by the
/// journal replay).
pub(super) fn apply_stage(
    txns: &mut BTreeMap<i64, PendingTxn>,
    group_id: &str,
    producer_id: i64,
    producer_epoch: i16,
    offsets: Vec<StoredOffset>,
) {
    let txn = txns.entry(producer_id).or_default();
    txn.producer_epoch = txn.producer_epoch.max(producer_epoch);
    let staged = txn.offsets.entry(group_id.to_owned()).or_default();
    for stored in offsets {
        let (key, value) = stored.into_entry();
        staged.insert(key, value);
    }
}
