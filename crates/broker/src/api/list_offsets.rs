//! ListOffsets (v1–10): offsets by special timestamp or by time.
//!
//! - -1 LATEST: the high watermark, or the last stable offset for
//!   read_committed (v2+ `isolation_level`).
//! - -2 EARLIEST and -4 EARLIEST_LOCAL: the log start offset (all data is
//!   local).
//! - -3 MAX_TIMESTAMP (v7+): the first record with the largest timestamp.
//! - -5 LATEST_TIERED: offset -1, as Kafka answers when tiered storage is off.
//! - any other value: the first record with timestamp >= it, exact (the log
//!   decodes the one batch that holds it), or offset -1 when there is none.
//!
//! As in Kafka, answers found by timestamp at or beyond the last fetchable
//! offset (LSO or high watermark) are "not found".

use kafka_protocol::ResponseError;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use super::RequestContext;
use crate::partition::Partition;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;

pub(crate) async fn handle(ctx: &RequestContext, req: ListOffsetsRequest) -> ListOffsetsResponse {
    let broker = &ctx.broker;
    let v = ctx.api_version;
    let read_committed = v >= 2 && req.isolation_level == 1;
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let topic = broker.topic(&t.name.0);
            let partitions = t
                .partitions
                .into_iter()
                .map(|p| {
                    let r = ListOffsetsPartitionResponse::default()
                        .with_partition_index(p.partition_index);
                    let partition = topic.as_ref().and_then(|t| t.partition(p.partition_index));
                    let result = match partition {
                        None => Err(ResponseError::UnknownTopicOrPartition),
                        Some(_) if v >= 4 && p.current_leader_epoch > 0 => {
                            Err(ResponseError::UnknownLeaderEpoch)
                        }
                        Some(partition) => lookup(&partition, p.timestamp, read_committed, v),
                    };
                    match result {
                        Ok((offset, timestamp)) => {
                            let r = r.with_offset(offset).with_timestamp(timestamp);
                            if v >= 4 {
                                r.with_leader_epoch(if offset >= 0 { 0 } else { -1 })
                            } else {
                                r
                            }
                        }
                        Err(e) => r.with_error_code(e.code()),
                    }
                })
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(t.name)
                .with_partitions(partitions)
        })
        .collect();
    ListOffsetsResponse::default().with_topics(topics)
}

/// `(offset, timestamp)` for one partition.
fn lookup(
    p: &Partition,
    target: i64,
    read_committed: bool,
    v: i16,
) -> Result<(i64, i64), ResponseError> {
    let fetchable = if read_committed {
        p.last_stable_offset()
    } else {
        p.high_watermark()
    };
    let storage = |e: ferry_log::LogError| {
        tracing::error!(topic = %p.topic, partition = p.index, "offset lookup failed: {e}");
        ResponseError::KafkaStorageError
    };
    let found = |hit: Option<(i64, i64)>| match hit {
        Some((offset, ts)) if offset < fetchable => (offset, ts),
        _ => (-1, -1),
    };
    match target {
        LATEST => Ok((fetchable, -1)),
        EARLIEST | EARLIEST_LOCAL => Ok((p.log_start_offset(), -1)),
        LATEST_TIERED => Ok((-1, -1)),
        MAX_TIMESTAMP if v >= 7 => Ok(found(p.log.read().max_timestamp_offset().map_err(storage)?)),
        t if t < 0 => Err(ResponseError::UnsupportedVersion),
        t => Ok(found(
            p.log.read().offset_for_timestamp(t).map_err(storage)?,
        )),
    }
}
