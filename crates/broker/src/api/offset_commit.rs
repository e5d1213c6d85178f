//! OffsetCommit: store a group's consumed positions.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};

use super::RequestContext;
use crate::group::{CommitParams, PartitionCommit};

/// Whether `topic` exists with partition `partition`.
pub(super) fn partition_exists(ctx: &RequestContext, topic: &str, partition: i32) -> bool {
    ctx.broker
        .topic(topic)
        .is_some_and(|topic| partition >= 0 && partition < topic.partition_count())
}

pub(crate) async fn handle(ctx: &RequestContext, req: OffsetCommitRequest) -> OffsetCommitResponse {
    let version = ctx.api_version;
    let params = CommitParams {
        group_id: req.group_id.to_string(),
        generation_id: req.generation_id_or_member_epoch,
        member_id: req.member_id.to_string(),
        group_instance_id: req.group_instance_id.as_ref().map(ToString::to_string),
        // Only v2–4 carry a retention; -1 means the broker's default.
        retention_ms: (version <= 4 && req.retention_time_ms >= 0).then_some(req.retention_time_ms),
    };
    // Partitions of unknown topics are answered here; the rest go to the
    // coordinator, whose answers are put back in request order.
    let mut answers: Vec<Vec<Option<ResponseError>>> = Vec::with_capacity(req.topics.len());
    let mut valid = Vec::new();
    for topic in &req.topics {
        let mut topic_answers = Vec::with_capacity(topic.partitions.len());
        for partition in &topic.partitions {
            if partition_exists(ctx, &topic.name, partition.partition_index) {
                topic_answers.push(None);
                valid.push(PartitionCommit {
                    topic: topic.name.to_string(),
                    partition: partition.partition_index,
                    offset: partition.committed_offset,
                    leader_epoch: if version >= 6 {
                        partition.committed_leader_epoch
                    } else {
                        -1
                    },
                    metadata: partition
                        .committed_metadata
                        .as_ref()
                        .map(ToString::to_string),
                });
            } else {
                topic_answers.push(Some(ResponseError::UnknownTopicOrPartition));
            }
        }
        answers.push(topic_answers);
    }
    let mut coordinator_errors = ctx.broker.groups.commit_offsets(params, valid).into_iter();
    let topics = req
        .topics
        .into_iter()
        .zip(answers)
        .map(|(topic, topic_answers)| {
            let partitions = topic
                .partitions
                .iter()
                .zip(topic_answers)
                .map(|(partition, answer)| {
                    let error = match answer {
                        Some(error) => Some(error),
                        None => coordinator_errors.next().flatten(),
                    };
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(partition.partition_index)
                        .with_error_code(error.map_or(0, |error| error.code()))
                })
                .collect();
            OffsetCommitResponseTopic::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    OffsetCommitResponse::default().with_topics(topics)
}
