//! OffsetFetch: a group's committed positions; v8+ asks for several groups.

use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{GroupId, OffsetFetchRequest, OffsetFetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::group::{FetchedOffset, TopicPartition};

/// Fetches one group's offsets and groups them by topic, in request order
/// (or sorted, when all topics were asked for).
fn fetch(
    ctx: &RequestContext,
    group_id: &str,
    wanted: Option<Vec<TopicPartition>>,
    require_stable: bool,
) -> Vec<(String, Vec<FetchedOffset>)> {
    let fetched = ctx
        .broker
        .groups
        .fetch_offsets(group_id, wanted.as_deref(), require_stable);
    let mut topics: Vec<(String, Vec<FetchedOffset>)> = Vec::new();
    for offset in fetched {
        match topics.last_mut() {
            Some((name, partitions)) if *name == offset.topic => partitions.push(offset),
            _ => topics.push((offset.topic.clone(), vec![offset])),
        }
    }
    topics
}

fn error_code(offset: &FetchedOffset) -> i16 {
    offset.error.map_or(0, |error| error.code())
}

pub(crate) async fn handle(ctx: &RequestContext, req: OffsetFetchRequest) -> OffsetFetchResponse {
    let version = ctx.api_version;
    let require_stable = version >= 7 && req.require_stable;
    if version >= 8 {
        let groups = req
            .groups
            .into_iter()
            .map(|group| {
                let wanted = group.topics.map(|topics| {
                    topics
                        .into_iter()
                        .flat_map(|topic| {
                            let name = topic.name.to_string();
                            topic
                                .partition_indexes
                                .into_iter()
                                .map(move |partition| (name.clone(), partition))
                        })
                        .collect()
                });
                let topics = fetch(ctx, &group.group_id, wanted, require_stable)
                    .into_iter()
                    .map(|(name, offsets)| {
                        OffsetFetchResponseTopics::default()
                            .with_name(TopicName(StrBytes::from_string(name)))
                            .with_partitions(
                                offsets
                                    .iter()
                                    .map(|offset| {
                                        OffsetFetchResponsePartitions::default()
                                            .with_partition_index(offset.partition)
                                            .with_committed_offset(offset.offset)
                                            .with_committed_leader_epoch(offset.leader_epoch)
                                            .with_metadata(Some(StrBytes::from_string(
                                                offset.metadata.clone(),
                                            )))
                                            .with_error_code(error_code(offset))
                                    })
                                    .collect(),
                            )
                    })
                    .collect();
                OffsetFetchResponseGroup::default()
                    .with_group_id(GroupId(StrBytes::from_string(group.group_id.to_string())))
                    .with_topics(topics)
            })
            .collect();
        return OffsetFetchResponse::default().with_groups(groups);
    }
    // v1 always lists topics; v2+ may send null for "all topics".
    let wanted = req.topics.map(|topics| {
        topics
            .into_iter()
            .flat_map(|topic| {
                let name = topic.name.to_string();
                topic
                    .partition_indexes
                    .into_iter()
                    .map(move |partition| (name.clone(), partition))
            })
            .collect()
    });
    let topics = fetch(ctx, &req.group_id, wanted, require_stable)
        .into_iter()
        .map(|(name, offsets)| {
            OffsetFetchResponseTopic::default()
                .with_name(TopicName(StrBytes::from_string(name)))
                .with_partitions(
                    offsets
                        .iter()
                        .map(|offset| {
                            let partition = OffsetFetchResponsePartition::default()
                                .with_partition_index(offset.partition)
                                .with_committed_offset(offset.offset)
                                .with_metadata(Some(StrBytes::from_string(offset.metadata.clone())))
                                .with_error_code(error_code(offset));
                            if version >= 5 {
                                partition.with_committed_leader_epoch(offset.leader_epoch)
                            } else {
                                partition
                            }
                        })
                        .collect(),
                )
        })
        .collect();
    OffsetFetchResponse::default().with_topics(topics)
}
