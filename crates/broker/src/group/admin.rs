//! ListGroups, DescribeGroups, DeleteGroups, and the read API that cluster
//! links use to sync consumer offsets.

use std::collections::BTreeMap;

use bytes::Bytes;
use kafka_protocol::ResponseError;

use super::classic::Group;
use super::offsets::{OffsetAndMetadata, TopicPartition};
use super::state::GroupState;
use super::store::{Record, StoredOffset};
use super::{GroupCoordinator, GroupError};

/// A group as ListGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    /// The group id.
    pub group_id: String,
    /// `consumer` for consumer groups; empty for groups that only hold offsets.
    pub protocol_type: String,
    /// The group's state.
    pub state: GroupState,
    /// How many members it has.
    pub members: usize,
}

/// A member as DescribeGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    /// The member id.
    pub member_id: String,
    /// Its `group.instance.id`, if static.
    pub group_instance_id: Option<String>,
    /// The client id it connected with.
    pub client_id: String,
    /// The client's address.
    pub client_host: String,
    /// Its metadata for the group's protocol (only while Stable, as in Kafka).
    pub metadata: Bytes,
    /// Its assignment (only while Stable).
    pub assignment: Bytes,
}

/// A group as DescribeGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// The group id.
    pub group_id: String,
    /// The group's state; `Dead` for a group that does not exist.
    pub state: GroupState,
    /// The protocol type, empty if none.
    pub protocol_type: String,
    /// The generation's protocol while Stable, else empty.
    pub protocol_data: String,
    /// The members.
    pub members: Vec<MemberDescription>,
}

fn summary(group: &Group) -> GroupSummary {
    GroupSummary {
        group_id: group.id.clone(),
        protocol_type: group.protocol_type.clone().unwrap_or_default(),
        state: group.state,
        members: group.members.len(),
    }
}

impl GroupCoordinator {
    /// Every group the coordinator knows, sorted by id.
    pub fn list_groups(&self) -> Vec<GroupSummary> {
        let state = self.inner.state.lock();
        let mut groups: Vec<GroupSummary> = state.groups.values().map(summary).collect();
        groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        groups
    }

    /// One group for DescribeGroups; a group that does not exist is described
    /// as `Dead` with nothing in it, as Kafka does.
    pub fn describe_group(&self, group_id: &str) -> GroupDescription {
        let state = self.inner.state.lock();
        let Some(group) = state.groups.get(group_id) else {
            return GroupDescription {
                group_id: group_id.to_owned(),
                state: GroupState::Dead,
                protocol_type: String::new(),
                protocol_data: String::new(),
                members: Vec::new(),
            };
        };
        let stable = group.state == GroupState::Stable;
        let protocol = group.protocol_name.clone().unwrap_or_default();
        let members = group
            .members
            .values()
            .map(|member| MemberDescription {
                member_id: member.id.clone(),
                group_instance_id: member.instance_id.clone(),
                client_id: member.client_id.clone(),
                client_host: member.client_host.clone(),
                metadata: if stable {
                    member.metadata(&protocol).cloned().unwrap_or_default()
                } else {
                    Bytes::new()
                },
                assignment: if stable {
                    member.assignment.clone()
                } else {
                    Bytes::new()
                },
            })
            .collect();
        GroupDescription {
            group_id: group.id.clone(),
            state: group.state,
            protocol_type: group.protocol_type.clone().unwrap_or_default(),
            protocol_data: if stable { protocol } else { String::new() },
            members,
        }
    }

    /// Deletes groups and their offsets. Returns one error (or `None`) per
    /// group, in order: INVALID_GROUP_ID, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP.
    pub fn delete_groups(&self, group_ids: &[String]) -> Vec<Option<ResponseError>> {
        self.inner.with_ctx(|groups, _txns, ctx| {
            group_ids
                .iter()
                .map(|group_id| {
                    if group_id.is_empty() {
                        return Some(ResponseError::InvalidGroupId);
                    }
                    let Some(group) = groups.get(group_id) else {
                        return Some(ResponseError::GroupIdNotFound);
                    };
                    if group.state != GroupState::Empty || group.has_members() {
                        return Some(ResponseError::NonEmptyGroup);
                    }
                    let record = Record::DeleteGroup {
                        group: group_id.clone(),
                    };
                    if let Err(error) = ctx.store.append(&record) {
                        tracing::warn!(group = %group_id, %error, "could not journal group deletion");
                        return Some(ResponseError::CoordinatorNotAvailable);
                    }
                    groups.remove(group_id);
                    None
                })
                .collect()
        })
    }

    /// The committed offsets of a group (empty if it does not exist).
    pub fn committed_offsets(&self, group_id: &str) -> BTreeMap<TopicPartition, OffsetAndMetadata> {
        let state = self.inner.state.lock();
        state
            .groups
            .get(group_id)
            .map(|group| group.offsets.clone())
            .unwrap_or_default()
    }

    /// Whether a group has members (or members about to join): a cluster link
    /// must not overwrite the offsets of a group that is consuming here.
    pub fn has_active_members(&self, group_id: &str) -> bool {
        let state = self.inner.state.lock();
        state.groups.get(group_id).is_some_and(Group::has_members)
    }

    /// Writes offsets into a group unless it has members, creating the group if
    /// needed (cluster-link consumer offset sync). Returns whether they were
    /// written.
    ///
    /// # Errors
    /// [`GroupError`] when the journal cannot be written; nothing changes then.
    pub fn set_offsets_if_inactive(
        &self,
        group_id: &str,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<bool, GroupError> {
        self.inner.with_ctx(|groups, _txns, ctx| {
            if groups.get(group_id).is_some_and(Group::has_members) {
                return Ok(false);
            }
            if offsets.is_empty() {
                return Ok(true);
            }
            let record = Record::Commit {
                group: group_id.to_owned(),
                offsets: offsets
                    .iter()
                    .map(|(key, value)| StoredOffset::from_entry(key.clone(), value.clone()))
                    .collect(),
            };
            ctx.store.append(&record)?;
            let group = groups
                .entry(group_id.to_owned())
                .or_insert_with(|| Group::new(group_id.to_owned(), ctx.now));
            group.offsets.extend(offsets);
            Ok(true)
        })
    }
}
