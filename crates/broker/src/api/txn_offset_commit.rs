//! TxnOffsetCommit: offsets committed inside a transaction, staged in the group
//! until EndTxn commits or aborts them.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafka_protocol::messages::{TxnOffsetCommitRequest, TxnOffsetCommitResponse};

use super::RequestContext;
use super::offset_commit::partition_exists;
use crate::group::{PartitionCommit, TxnCommitParams};

/// The first TxnOffsetCommit version that knows PRODUCER_FENCED (KIP-588).
const PRODUCER_FENCED_SINCE: i16 = 3;

/// The same error for every partition of the request.
fn all(req: TxnOffsetCommitRequest, error: ResponseError) -> TxnOffsetCommitResponse {
    let topics = req
        .topics
        .into_iter()
        .map(|topic| {
            let partitions = topic
                .partitions
                .iter()
                .map(|partition| {
                    TxnOffsetCommitResponsePartition::default()
                        .with_partition_index(partition.partition_index)
                        .with_error_code(error.code())
                })
                .collect();
            TxnOffsetCommitResponseTopic::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    TxnOffsetCommitResponse::default().with_topics(topics)
}

pub(crate) async fn handle(
    ctx: &RequestContext,
    req: TxnOffsetCommitRequest,
) -> TxnOffsetCommitResponse {
    let version = ctx.api_version;
    // The transaction coordinator knows whether AddOffsetsToTxn put this group
    // into the producer's open transaction.
    if let Err(error) = ctx.broker.txn.check_txn_offset_commit(
        &req.transactional_id,
        req.producer_id.0,
        req.producer_epoch,
        &req.group_id,
    ) {
        let error = crate::txn::compat_error(error, version, PRODUCER_FENCED_SINCE);
        return all(req, error);
    }
    let params = TxnCommitParams {
        group_id: req.group_id.to_string(),
        producer_id: req.producer_id.0,
        producer_epoch: req.producer_epoch,
        generation_id: if version >= 3 { req.generation_id } else { -1 },
        member_id: if version >= 3 {
            req.member_id.to_string()
        } else {
            String::new()
        },
        group_instance_id: req.group_instance_id.as_ref().map(ToString::to_string),
    };
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
                    leader_epoch: if version >= 2 {
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
    let mut coordinator_errors = ctx
        .broker
        .groups
        .txn_offset_commit(params, valid)
        .into_iter();
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
                    TxnOffsetCommitResponsePartition::default()
                        .with_partition_index(partition.partition_index)
                        .with_error_code(error.map_or(0, |error| error.code()))
                })
                .collect();
            TxnOffsetCommitResponseTopic::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    TxnOffsetCommitResponse::default().with_topics(topics)
}
