//! OffsetDelete: remove committed offsets of topics a group no longer reads.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};

use super::RequestContext;
use super::offset_commit::partition_exists;

pub(crate) async fn handle(ctx: &RequestContext, req: OffsetDeleteRequest) -> OffsetDeleteResponse {
    let mut answers: Vec<Vec<Option<ResponseError>>> = Vec::with_capacity(req.topics.len());
    let mut valid = Vec::new();
    for topic in &req.topics {
        let mut topic_answers = Vec::with_capacity(topic.partitions.len());
        for partition in &topic.partitions {
            if partition_exists(ctx, &topic.name, partition.partition_index) {
                topic_answers.push(None);
                valid.push((topic.name.to_string(), partition.partition_index));
            } else {
                topic_answers.push(Some(ResponseError::UnknownTopicOrPartition));
            }
        }
        answers.push(topic_answers);
    }
    let mut coordinator_errors = match ctx.broker.groups.delete_offsets(&req.group_id, &valid) {
        Ok(errors) => errors.into_iter(),
        Err(error) => return OffsetDeleteResponse::default().with_error_code(error.code()),
    };
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
                    OffsetDeleteResponsePartition::default()
                        .with_partition_index(partition.partition_index)
                        .with_error_code(error.map_or(0, |error| error.code()))
                })
                .collect();
            OffsetDeleteResponseTopic::default()
                .with_name(topic.name)
                .with_partitions(partitions)
        })
        .collect();
    OffsetDeleteResponse::default().with_topics(topics)
}
