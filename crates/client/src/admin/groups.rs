//! ListGroups, DescribeGroups, OffsetFetch, and consumer lag.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::join_all;
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{
    DescribeGroupsRequest, GroupId, ListGroupsRequest, OffsetFetchRequest,
};
use kafka_protocol::protocol::StrBytes;

use crate::client::{Client, topic_name};
use crate::error::{Error, Result};
use crate::fetch::IsolationLevel;
use crate::group::protocol::{decode_assignment, decode_subscription};

use super::OffsetSpec;

/// A group as ListGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    /// Group id.
    pub group_id: String,
    /// "consumer" for consumer groups, "" for offset-only groups.
    pub protocol_type: String,
    /// State (Stable, Empty, …); empty when the broker predates ListGroups v4.
    pub state: String,
}

/// One member of a described group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// Member id (the "consumer id" of Kafka's tools).
    pub member_id: String,
    /// Static membership id, if any.
    pub group_instance_id: Option<String>,
    /// The member's `client.id`.
    pub client_id: String,
    /// The member's host as the broker saw it.
    pub client_host: String,
    /// Subscribed topics (consumer groups only).
    pub subscription: Vec<String>,
    /// Assigned partitions (consumer groups only).
    pub assignment: BTreeMap<String, Vec<i32>>,
}

/// A group as DescribeGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// Group id.
    pub group_id: String,
    /// State: Stable, PreparingRebalance, CompletingRebalance, Empty, Dead.
    pub state: String,
    /// Protocol type ("consumer").
    pub protocol_type: String,
    /// Chosen protocol (assignor name, e.g. "range").
    pub protocol: String,
    /// Members.
    pub members: Vec<GroupMember>,
}

/// One partition's committed position and lag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Committed offset; `None` when nothing was committed.
    pub current_offset: Option<i64>,
    /// Log end offset (high watermark).
    pub log_end_offset: i64,
    /// `log_end_offset - current_offset`; `None` without a commit.
    pub lag: Option<i64>,
    /// The member assigned the partition, if any.
    pub member_id: Option<String>,
    /// That member's host.
    pub client_host: Option<String>,
    /// That member's client id.
    pub client_id: Option<String>,
}

/// Kafka's GROUP_ID_NOT_FOUND.
const GROUP_ID_NOT_FOUND: i16 = 69;

impl Client {
    /// Every group on every broker, sorted by id.
    ///
    /// # Errors
    /// Connection or Kafka errors from any broker.
    pub async fn list_groups(&self) -> Result<Vec<GroupListing>> {
        let md = self.refresh_metadata(Some(&[])).await?;
        let calls = md.brokers.keys().map(|id| async move {
            let conn = self.broker(*id).await?;
            let response = conn.call(&ListGroupsRequest::default()).await?;
            if response.error_code != 0 {
                return Err(Error::kafka(
                    response.error_code,
                    None,
                    format!("list groups on {}", conn.addr()),
                ));
            }
            Ok(response
                .groups
                .into_iter()
                .map(|g| GroupListing {
                    group_id: g.group_id.0.as_str().to_owned(),
                    protocol_type: g.protocol_type.as_str().to_owned(),
                    state: g.group_state.as_str().to_owned(),
                })
                .collect::<Vec<_>>())
        });
        let mut all: BTreeMap<String, GroupListing> = BTreeMap::new();
        for r in join_all(calls).await {
            for g in r? {
                all.insert(g.group_id.clone(), g);
            }
        }
        Ok(all.into_values().collect())
    }

    /// Describes group `group`: state, protocol, members and their assignments.
    ///
    /// # Errors
    /// [`Error::UnknownGroup`] when the coordinator does not know it.
    pub async fn describe_group(&self, group: &str) -> Result<GroupDescription> {
        let request = DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(StrBytes::from_string(group.to_owned()))]);
        let context = format!("describe group '{group}'");
        let response = self
            .retry(&context, || async {
                let response = self.coordinator(group).await?.call(&request).await?;
                // Coordinator moves show up per group; retry them.
                if let Some(g) = response.groups.first()
                    && matches!(g.error_code, 14..=16)
                {
                    return Err(Error::kafka(g.error_code, None, context.clone()));
                }
                Ok(response)
            })
            .await?;
        let g = response
            .groups
            .into_iter()
            .next()
            .ok_or_else(|| Error::Protocol("DescribeGroups response is empty".into()))?;
        if g.error_code == GROUP_ID_NOT_FOUND
            || (g.error_code == 0 && g.group_state.as_str() == "Dead")
        {
            return Err(Error::UnknownGroup(group.to_owned()));
        }
        if g.error_code != 0 {
            return Err(Error::kafka(
                g.error_code,
                g.error_message.as_ref().map(|m| m.as_str()),
                context,
            ));
        }
        let is_consumer = g.protocol_type.as_str() == "consumer";
        let members = g
            .members
            .iter()
            .map(|m| GroupMember {
                member_id: m.member_id.as_str().to_owned(),
                group_instance_id: m.group_instance_id.as_ref().map(|s| s.as_str().to_owned()),
                client_id: m.client_id.as_str().to_owned(),
                client_host: m.client_host.as_str().to_owned(),
                subscription: if is_consumer {
                    decode_subscription(&m.member_metadata).unwrap_or_default()
                } else {
                    Vec::new()
                },
                assignment: if is_consumer {
                    decode_assignment(&m.member_assignment).unwrap_or_default()
                } else {
                    BTreeMap::new()
                },
            })
            .collect();
        Ok(GroupDescription {
            group_id: g.group_id.0.as_str().to_owned(),
            state: g.group_state.as_str().to_owned(),
            protocol_type: g.protocol_type.as_str().to_owned(),
            protocol: g.protocol_data.as_str().to_owned(),
            members,
        })
    }

    /// The offsets committed by `group`: for `topics` (topic → partitions), or
    /// for every partition it committed when `None`.
    ///
    /// # Errors
    /// Kafka errors from the coordinator.
    pub async fn committed_offsets(
        &self,
        group: &str,
        topics: Option<&BTreeMap<String, Vec<i32>>>,
    ) -> Result<BTreeMap<(String, i32), i64>> {
        let context = format!("fetch committed offsets of group '{group}'");
        self.retry(&context, || async {
            let conn = self.coordinator(group).await?;
            // v10 addresses topics by id only; v9 and below by name.
            let version = conn.version_for::<OffsetFetchRequest>()?.min(9);
            let gid = GroupId(StrBytes::from_string(group.to_owned()));
            let request = if version >= 8 {
                OffsetFetchRequest::default().with_groups(vec![
                    OffsetFetchRequestGroup::default()
                        .with_group_id(gid)
                        .with_topics(topics.map(|ts| {
                            ts.iter()
                                .map(|(t, ps)| {
                                    OffsetFetchRequestTopics::default()
                                        .with_name(topic_name(t))
                                        .with_topic_id(
                                            self.cached_metadata()
                                                .topic(t)
                                                .map(|m| m.topic_id)
                                                .unwrap_or_default(),
                                        )
                                        .with_partition_indexes(ps.clone())
                                })
                                .collect()
                        })),
                ])
            } else {
                OffsetFetchRequest::default()
                    .with_group_id(gid)
                    .with_topics(topics.map(|ts| {
                        ts.iter()
                            .map(|(t, ps)| {
                                OffsetFetchRequestTopic::default()
                                    .with_name(topic_name(t))
                                    .with_partition_indexes(ps.clone())
                            })
                            .collect()
                    }))
            };
            let response = conn.call_at(&request, version).await?;
            let mut out = BTreeMap::new();
            let mut partition_error = None;
            if version >= 8 {
                let g = response
                    .groups
                    .first()
                    .ok_or_else(|| Error::Protocol("OffsetFetch response has no group".into()))?;
                if g.error_code != 0 {
                    return Err(Error::kafka(g.error_code, None, context.clone()));
                }
                let md = self.cached_metadata();
                for t in &g.topics {
                    let name = if t.name.0.is_empty() {
                        md.topic_name_by_id(t.topic_id)
                            .unwrap_or_default()
                            .to_owned()
                    } else {
                        t.name.0.as_str().to_owned()
                    };
                    for p in &t.partitions {
                        if p.error_code != 0 {
                            partition_error.get_or_insert(p.error_code);
                        } else if p.committed_offset >= 0 {
                            out.insert((name.clone(), p.partition_index), p.committed_offset);
                        }
                    }
                }
            } else {
                if response.error_code != 0 {
                    return Err(Error::kafka(response.error_code, None, context.clone()));
                }
                for t in &response.topics {
                    for p in &t.partitions {
                        if p.error_code != 0 {
                            partition_error.get_or_insert(p.error_code);
                        } else if p.committed_offset >= 0 {
                            out.insert(
                                (t.name.0.as_str().to_owned(), p.partition_index),
                                p.committed_offset,
                            );
                        }
                    }
                }
            }
            if let Some(code) = partition_error
                && code != 3
            {
                return Err(Error::kafka(code, None, context.clone()));
            }
            Ok(out)
        })
        .await
    }

    /// Per-partition committed offset, log end offset and lag for `group`,
    /// covering every partition it committed and every partition assigned to
    /// a member, as `kafka-consumer-groups --describe` shows it.
    ///
    /// # Errors
    /// As for [`describe_group`](Self::describe_group) and
    /// [`committed_offsets`](Self::committed_offsets).
    pub async fn group_lag(&self, group: &str) -> Result<(GroupDescription, Vec<PartitionLag>)> {
        let description = self.describe_group(group).await?;
        let committed = self.committed_offsets(group, None).await?;
        let mut owners: BTreeMap<(String, i32), &super::GroupMember> = BTreeMap::new();
        for m in &description.members {
            for (t, ps) in &m.assignment {
                for p in ps {
                    owners.insert((t.clone(), *p), m);
                }
            }
        }
        let partitions: BTreeSet<(String, i32)> =
            committed.keys().chain(owners.keys()).cloned().collect();
        let partitions: Vec<(String, i32)> = partitions.into_iter().collect();
        let ends = if partitions.is_empty() {
            BTreeMap::new()
        } else {
            self.list_offsets(
                &partitions,
                OffsetSpec::Latest,
                IsolationLevel::ReadUncommitted,
            )
            .await?
        };
        let rows = partitions
            .into_iter()
            .map(|key| {
                let current = committed.get(&key).copied();
                let end = ends.get(&key).map(|o| o.offset).unwrap_or(-1);
                let owner = owners.get(&key);
                PartitionLag {
                    lag: current.map(|c| (end - c).max(0)),
                    current_offset: current,
                    log_end_offset: end,
                    member_id: owner.map(|m| m.member_id.clone()),
                    client_host: owner.map(|m| m.client_host.clone()),
                    client_id: owner.map(|m| m.client_id.clone()),
                    topic: key.0,
                    partition: key.1,
                }
            })
            .collect();
        Ok((description, rows))
    }
}
