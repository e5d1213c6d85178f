//! Produce (v3–13): one record batch per partition, appended verbatim.
//!
//! Every batch is checked as Kafka checks it (magic 2, CRC, counts, one batch
//! per partition, `max.message.bytes`), then against the idempotent
//! producer's sequence and epoch, and, for transactional batches, against the
//! producer's open transaction. Compressed batches are stored untouched. On a
//! single node acks 1 and -1 both mean "appended to the log"; acks 0 gets no
//! response at all (the handler returns `None`).

use kafka_protocol::ResponseError;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::partition::AppendError;
use crate::topic::Topic;

pub(crate) async fn handle(ctx: &RequestContext, req: ProduceRequest) -> Option<ProduceResponse> {
    let broker = &ctx.broker;
    broker.txn.ensure_timer(broker);
    let v = ctx.api_version;
    let acks_valid = matches!(req.acks, -1..=1);
    let mut responses = Vec::with_capacity(req.topic_data.len());
    for t in req.topic_data {
        let topic = if v >= 13 {
            broker.topic_by_id(t.topic_id)
        } else {
            broker.topic(t.name.as_str())
        };
        let unknown = if v >= 13 {
            ResponseError::UnknownTopicId
        } else {
            ResponseError::UnknownTopicOrPartition
        };
        let max_message_bytes = topic.as_ref().map_or(0, |t| t.config().max_message_bytes);
        let partition_responses = t
            .partition_data
            .into_iter()
            .map(|pd| {
                let outcome = if !acks_valid {
                    Err(AppendError::Txn(
                        ResponseError::InvalidRequiredAcks,
                        format!("acks {}", req.acks),
                    ))
                } else {
                    match &topic {
                        None => Err(AppendError::Txn(unknown, "unknown topic".into())),
                        Some(topic) => append(
                            ctx,
                            topic,
                            pd.index,
                            pd.records.as_deref(),
                            max_message_bytes,
                        ),
                    }
                };
                partition_response(v, pd.index, outcome)
            })
            .collect();
        let mut r = TopicProduceResponse::default().with_partition_responses(partition_responses);
        if v >= 13 {
            r = r.with_topic_id(t.topic_id);
        } else {
            r = r.with_name(t.name);
        }
        responses.push(r);
    }
    if req.acks == 0 {
        return None;
    }
    Some(ProduceResponse::default().with_responses(responses))
}

/// Appends one partition's batch.
fn append(
    ctx: &RequestContext,
    topic: &Topic,
    index: i32,
    records: Option<&[u8]>,
    max_message_bytes: i64,
) -> Result<crate::partition::Appended, AppendError> {
    let Some(partition) = topic.partition(index) else {
        return Err(AppendError::Txn(
            ResponseError::UnknownTopicOrPartition,
            format!("{} has no partition {index}", topic.name),
        ));
    };
    if let Some(refusal) = refuse_writes(topic) {
        return Err(refusal);
    }
    let txn = &ctx.broker.txn;
    partition.append_produce(records.unwrap_or_default(), max_message_bytes, |h| {
        txn.check_produce(h.producer_id, h.producer_epoch, &topic.name, index)
    })
}

/// Mirror topics are written only by their cluster link: while a link
/// mirrors into a topic, Produce is refused with INVALID_REQUEST (a permanent
/// error, so producers fail at once instead of retrying) and a message saying
/// how to make the topic writable. Nothing is written.
fn refuse_writes(topic: &Topic) -> Option<AppendError> {
    let mirror = topic.mirror()?;
    Some(AppendError::ReadOnlyMirror(format!(
        "topic '{}' is a read-only mirror of '{}' on cluster link '{}'; promote or fail over the mirror to write to it",
        topic.name, mirror.source_topic, mirror.link_name
    )))
}

fn partition_response(
    v: i16,
    index: i32,
    outcome: Result<crate::partition::Appended, AppendError>,
) -> PartitionProduceResponse {
    let r = PartitionProduceResponse::default().with_index(index);
    match outcome {
        Ok(a) => {
            let r = r
                .with_base_offset(a.base_offset)
                .with_log_append_time_ms(-1);
            if v >= 5 {
                r.with_log_start_offset(a.log_start_offset)
            } else {
                r
            }
        }
        Err(e) => {
            tracing::debug!(partition = index, "produce refused: {e}");
            let r = r
                .with_error_code(e.error().code())
                .with_base_offset(-1)
                .with_log_append_time_ms(-1);
            if v >= 8 {
                r.with_error_message(Some(StrBytes::from_string(e.to_string())))
            } else {
                r
            }
        }
    }
}
