//! DeleteRecords (v0–2): moves partitions' log start offsets up.
//!
//! Offset -1 means the high watermark; anything else beyond it (or below -1)
//! is OFFSET_OUT_OF_RANGE. An offset below the current start changes nothing
//! and answers with the current start. The log persists the new start and
//! deletes the segments wholly below it. Compacted topics refuse with
//! POLICY_VIOLATION, as in Kafka.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};

use super::RequestContext;
use crate::partition::ReadError;

pub(crate) async fn handle(
    ctx: &RequestContext,
    req: DeleteRecordsRequest,
) -> DeleteRecordsResponse {
    let broker = &ctx.broker;
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let topic = broker.topic(&t.name.0);
            let partitions = t
                .partitions
                .into_iter()
                .map(|p| {
                    let r = DeleteRecordsPartitionResult::default()
                        .with_partition_index(p.partition_index)
                        .with_low_watermark(-1);
                    let Some(topic) = &topic else {
                        return r.with_error_code(ResponseError::UnknownTopicOrPartition.code());
                    };
                    let Some(partition) = topic.partition(p.partition_index) else {
                        return r.with_error_code(ResponseError::UnknownTopicOrPartition.code());
                    };
                    if topic.config().compact {
                        return r.with_error_code(ResponseError::PolicyViolation.code());
                    }
                    match partition.delete_records(p.offset) {
                        Ok(low) => r.with_low_watermark(low),
                        Err(ReadError::OutOfRange { .. }) => {
                            r.with_error_code(ResponseError::OffsetOutOfRange.code())
                        }
                        Err(ReadError::Storage(e)) => {
                            tracing::error!(topic = %topic.name, partition = p.partition_index, "delete records failed: {e}");
                            r.with_error_code(ResponseError::KafkaStorageError.code())
                        }
                    }
                })
                .collect();
            DeleteRecordsTopicResult::default()
                .with_name(t.name)
                .with_partitions(partitions)
        })
        .collect();
    DeleteRecordsResponse::default().with_topics(topics)
}
