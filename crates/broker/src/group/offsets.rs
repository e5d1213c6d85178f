//! Committed offsets: OffsetCommit, OffsetFetch, OffsetDelete and retention.

use std::collections::BTreeSet;
use std::sync::Arc;

use kafka_protocol::ResponseError;

use super::classic::Group;
use super::state::GroupState;
use super::store::{Record, StoredOffset};
use super::{GroupCoordinator, Inner, wall_clock_ms};

/// A topic name and partition index.
pub type TopicPartition = (String, i32);

/// A committed offset, as OffsetFetch returns it and cluster links copy it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetAndMetadata {
    /// The next offset the group will consume.
    pub offset: i64,
    /// The leader epoch of the last consumed record, or -1.
    pub leader_epoch: i32,
    /// Client metadata stored with the commit.
    pub metadata: String,
    /// When it was committed (wall-clock ms).
    pub commit_timestamp_ms: i64,
    /// An explicit expiry (OffsetCommit v2–4 `retention_time_ms`), else `None`
    /// and the broker's `offsets.retention.minutes` applies.
    pub expire_timestamp_ms: Option<i64>,
}

/// One partition of an OffsetCommit or TxnOffsetCommit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionCommit {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
    /// The offset to commit.
    pub offset: i64,
    /// The leader epoch, or -1.
    pub leader_epoch: i32,
    /// Client metadata (null is stored as empty).
    pub metadata: Option<String>,
}

/// Who commits, for the generation checks of OffsetCommit.
#[derive(Debug, Clone, Default)]
pub struct CommitParams {
    /// The group.
    pub group_id: String,
    /// The committer's generation; -1 for a "simple" commit by a consumer that
    /// does not use group management.
    pub generation_id: i32,
    /// The member id; empty for simple commits.
    pub member_id: String,
    /// `group.instance.id` (v7+).
    pub group_instance_id: Option<String>,
    /// OffsetCommit v2–4 `retention_time_ms`; `None` (wire value -1) means the
    /// broker default.
    pub retention_ms: Option<i64>,
}

/// One partition's answer to OffsetFetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedOffset {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
    /// The committed offset, or -1 when there is none.
    pub offset: i64,
    /// The committed leader epoch, or -1.
    pub leader_epoch: i32,
    /// The committed metadata, empty when there is none.
    pub metadata: String,
    /// UNSTABLE_OFFSET_COMMIT when the caller requires stable offsets and a
    /// transactional commit for this partition is pending.
    pub error: Option<ResponseError>,
}

/// Checks that a commit by (`generation_id`, `member_id`) is allowed, as Kafka
/// does: members of the current generation may commit while Stable or
/// PreparingRebalance (consumers commit before rejoining); simple commits
/// (generation -1, no member) only into a group without members.
pub(super) fn validate_commit(
    group: &Group,
    generation_id: i32,
    member_id: &str,
    instance_id: Option<&str>,
) -> Result<(), ResponseError> {
    if group.state == GroupState::Dead {
        return Err(ResponseError::CoordinatorNotAvailable);
    }
    let is_simple = generation_id < 0 && member_id.is_empty() && instance_id.is_none();
    if is_simple {
        return if group.members.is_empty() {
            Ok(())
        } else {
            Err(ResponseError::UnknownMemberId)
        };
    }
    if let Some(instance) = instance_id
        && group
            .static_members
            .get(instance)
            .is_some_and(|registered| registered != member_id)
    {
        return Err(ResponseError::FencedInstanceId);
    }
    if group.state == GroupState::CompletingRebalance {
        return Err(ResponseError::RebalanceInProgress);
    }
    if !group.members.contains_key(member_id) {
        return Err(ResponseError::UnknownMemberId);
    }
    if generation_id != group.generation_id {
        return Err(ResponseError::IllegalGeneration);
    }
    Ok(())
}

impl GroupCoordinator {
    /// Handles OffsetCommit for partitions the handler already validated
    /// against the topic catalogue. Returns one error (or `None`) per partition,
    /// in order. The commit is journaled before it is applied.
    pub fn commit_offsets(
        &self,
        params: CommitParams,
        partitions: Vec<PartitionCommit>,
    ) -> Vec<Option<ResponseError>> {
        let count = partitions.len();
        let all = |error: ResponseError| vec![Some(error); count];
        if params.group_id.is_empty() {
            return all(ResponseError::InvalidGroupId);
        }
        self.inner.with_ctx(|groups, _txns, ctx| {
            let simple = params.generation_id < 0
                && params.member_id.is_empty()
                && params.group_instance_id.is_none();
            if !groups.contains_key(&params.group_id) {
                if !simple {
                    return all(ResponseError::IllegalGeneration);
                }
                groups.insert(
                    params.group_id.clone(),
                    Group::new(params.group_id.clone(), ctx.now),
                );
            }
            let Some(group) = groups.get_mut(&params.group_id) else {
                return all(ResponseError::CoordinatorNotAvailable);
            };
            if let Err(error) = validate_commit(
                group,
                params.generation_id,
                &params.member_id,
                params.group_instance_id.as_deref(),
            ) {
                return all(error);
            }
            if let Some(member) = group.members.get_mut(&params.member_id) {
                member.touch(ctx.now);
            }
            let now_ms = wall_clock_ms();
            let expire = params
                .retention_ms
                .filter(|retention| *retention >= 0)
                .map(|retention| now_ms.saturating_add(retention));
            let max_metadata = ctx.config.offset_metadata_max_bytes;
            let mut errors = Vec::with_capacity(count);
            let mut accepted = Vec::with_capacity(count);
            for commit in partitions {
                let metadata = commit.metadata.unwrap_or_default();
                if metadata.len() > max_metadata {
                    errors.push(Some(ResponseError::OffsetMetadataTooLarge));
                    continue;
                }
                errors.push(None);
                accepted.push(StoredOffset {
                    topic: commit.topic,
                    partition: commit.partition,
                    offset: commit.offset,
                    leader_epoch: commit.leader_epoch,
                    metadata,
                    commit_timestamp_ms: now_ms,
                    expire_timestamp_ms: expire,
                });
            }
            if accepted.is_empty() {
                return errors;
            }
            let record = Record::Commit {
                group: params.group_id.clone(),
                offsets: accepted,
            };
            if let Err(error) = ctx.store.append(&record) {
                tracing::warn!(group = %params.group_id, %error, "could not journal offset commit");
                return errors
                    .into_iter()
                    .map(|error| error.or(Some(ResponseError::CoordinatorNotAvailable)))
                    .collect();
            }
            if let Record::Commit { offsets, .. } = record {
                for stored in offsets {
                    let (key, value) = stored.into_entry();
                    group.offsets.insert(key, value);
                }
            }
            errors
        })
    }

    /// Handles OffsetFetch for one group: the requested partitions, or every
    /// partition with a committed offset when `partitions` is `None`.
    ///
    /// Offsets staged by an open transaction are never returned; with
    /// `require_stable` the partitions that have them get UNSTABLE_OFFSET_COMMIT
    /// so that the client retries once the transaction ends.
    pub fn fetch_offsets(
        &self,
        group_id: &str,
        partitions: Option<&[TopicPartition]>,
        require_stable: bool,
    ) -> Vec<FetchedOffset> {
        let state = self.inner.state.lock();
        let group = state.groups.get(group_id);
        let pending = super::txn::pending_partitions(&state.txns, group_id);
        let wanted: Vec<TopicPartition> = match partitions {
            Some(partitions) => partitions.to_vec(),
            None => group
                .map(|group| group.offsets.keys().cloned().collect())
                .unwrap_or_default(),
        };
        wanted
            .into_iter()
            .map(|key| {
                let committed = group.and_then(|group| group.offsets.get(&key));
                let unstable = require_stable && pending.contains(&key);
                let (topic, partition) = key;
                match committed {
                    Some(_) | None if unstable => FetchedOffset {
                        topic,
                        partition,
                        offset: -1,
                        leader_epoch: -1,
                        metadata: String::new(),
                        error: Some(ResponseError::UnstableOffsetCommit),
                    },
                    Some(committed) => FetchedOffset {
                        topic,
                        partition,
                        offset: committed.offset,
                        leader_epoch: committed.leader_epoch,
                        metadata: committed.metadata.clone(),
                        error: None,
                    },
                    None => FetchedOffset {
                        topic,
                        partition,
                        offset: -1,
                        leader_epoch: -1,
                        metadata: String::new(),
                        error: None,
                    },
                }
            })
            .collect()
    }

    /// Handles OffsetDelete.
    ///
    /// # Errors
    /// A group-level error: INVALID_GROUP_ID, GROUP_ID_NOT_FOUND, or
    /// NON_EMPTY_GROUP for a non-consumer group with members. Otherwise one
    /// error per partition: GROUP_SUBSCRIBED_TO_TOPIC for topics that members
    /// of a consumer group subscribe to.
    pub fn delete_offsets(
        &self,
        group_id: &str,
        partitions: &[TopicPartition],
    ) -> Result<Vec<Option<ResponseError>>, ResponseError> {
        if group_id.is_empty() {
            return Err(ResponseError::InvalidGroupId);
        }
        self.inner.with_ctx(|groups, _txns, ctx| {
            let group = groups
                .get_mut(group_id)
                .ok_or(ResponseError::GroupIdNotFound)?;
            let subscribed: BTreeSet<String> = if group.members.is_empty() {
                BTreeSet::new()
            } else if group.protocol_type.as_deref() == Some("consumer") {
                group.subscribed_topics()
            } else {
                return Err(ResponseError::NonEmptyGroup);
            };
            let mut errors = Vec::with_capacity(partitions.len());
            let mut deleted = Vec::new();
            for (topic, partition) in partitions {
                if subscribed.contains(topic) {
                    errors.push(Some(ResponseError::GroupSubscribedToTopic));
                } else {
                    errors.push(None);
                    if group.offsets.contains_key(&(topic.clone(), *partition)) {
                        deleted.push((topic.clone(), *partition));
                    }
                }
            }
            if !deleted.is_empty() {
                let record = Record::DeleteOffsets {
                    group: group_id.to_owned(),
                    partitions: deleted.clone(),
                };
                if let Err(error) = ctx.store.append(&record) {
                    tracing::warn!(group = group_id, %error, "could not journal offset delete");
                    return Err(ResponseError::CoordinatorNotAvailable);
                }
                for key in &deleted {
                    group.offsets.remove(key);
                }
            }
            Ok(errors)
        })
    }
}

impl Inner {
    /// Removes offsets past their retention from groups without members, then
    /// groups left with neither members nor offsets (Kafka's offset expiration).
    pub(super) fn expire_offsets(self: &Arc<Self>) {
        let retention_ms =
            i64::try_from(self.config.offsets_retention.as_millis()).unwrap_or(i64::MAX);
        self.with_ctx(|groups, txns, ctx| {
            let now_ms = wall_clock_ms();
            let mut dead_groups = Vec::new();
            for group in groups.values_mut() {
                if group.has_members() || group.state != GroupState::Empty {
                    continue;
                }
                let empty_since = group.state_timestamp_ms;
                let expired: Vec<TopicPartition> = group
                    .offsets
                    .iter()
                    .filter(|(_, offset)| {
                        let expires_at = offset.expire_timestamp_ms.unwrap_or_else(|| {
                            offset
                                .commit_timestamp_ms
                                .max(empty_since)
                                .saturating_add(retention_ms)
                        });
                        expires_at <= now_ms
                    })
                    .map(|(key, _)| key.clone())
                    .collect();
                if !expired.is_empty() {
                    let record = Record::DeleteOffsets {
                        group: group.id.clone(),
                        partitions: expired.clone(),
                    };
                    if let Err(error) = ctx.store.append(&record) {
                        tracing::warn!(group = %group.id, %error, "could not journal offset expiry");
                        continue;
                    }
                    for key in &expired {
                        group.offsets.remove(key);
                    }
                    tracing::info!(group = %group.id, count = expired.len(), "expired committed offsets");
                }
                let has_pending_txn = txns.values().any(|txn| txn.offsets.contains_key(&group.id));
                if group.offsets.is_empty() && !has_pending_txn {
                    dead_groups.push(group.id.clone());
                }
            }
            for id in dead_groups {
                let record = Record::DeleteGroup { group: id.clone() };
                if ctx.store.append(&record).is_ok() {
                    groups.remove(&id);
                }
            }
        });
    }
}
