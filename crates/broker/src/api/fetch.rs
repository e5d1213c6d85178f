//! Fetch (v4–18): whole stored batches, byte for byte, with long polling.
//!
//! - `isolation_level` 1 (read_committed) reads below the last stable offset
//!   and lists the aborted transactions overlapping what it returns; 0 reads
//!   to the high watermark.
//! - `max_wait_ms`/`min_bytes`: when fewer than `min_bytes` are available the
//!   request waits for appends (the broker's `appended` notifier) until the
//!   deadline, re-reading after each wake-up. No lock is held while waiting.
//! - `max_bytes`/`partition_max_bytes` bound the response, except that the
//!   first batch of the first partition with data is always returned whole
//!   (KIP-74), so a consumer can always make progress.
//! - Fetch sessions (KIP-227) are refused the way Kafka refuses them when its
//!   session cache is full: full fetches are answered with session id 0 ("no
//!   session created"), so clients keep sending full fetches; an incremental
//!   fetch (epoch other than 0 and -1) names a session this broker never
//!   created and gets FETCH_SESSION_ID_NOT_FOUND. librdkafka (2.0 and 2.12)
//!   always sends session 0 / epoch -1.
//! - v13+ address topics by id (UNKNOWN_TOPIC_ID when unknown).

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::fetch_response::{
    AbortedTransaction, FetchableTopicResponse, PartitionData,
};
use kafka_protocol::messages::{FetchRequest, FetchResponse, ProducerId};

use super::RequestContext;
use crate::partition::ReadError;
use crate::state::Broker;

pub(crate) async fn handle(ctx: &RequestContext, req: FetchRequest) -> FetchResponse {
    let broker = &ctx.broker;
    broker.txn.ensure_timer(broker);
    let v = ctx.api_version;
    if v >= 7 && req.session_epoch != 0 && req.session_epoch != -1 {
        return FetchResponse::default()
            .with_error_code(ResponseError::FetchSessionIdNotFound.code())
            .with_session_id(0);
    }
    let max_wait = Duration::from_millis(u64::try_from(req.max_wait_ms).unwrap_or(0));
    let deadline = tokio::time::Instant::now() + max_wait;
    loop {
        // Register interest before reading, so an append between the read and
        // the wait still wakes this request.
        let notified = broker.appended.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (responses, bytes, errors) = read_all(broker, &req, v);
        let enough = i64::try_from(bytes).unwrap_or(i64::MAX) >= i64::from(req.min_bytes);
        if enough || errors || tokio::time::Instant::now() >= deadline {
            return FetchResponse::default()
                .with_session_id(0)
                .with_responses(responses);
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}

/// Reads every requested partition once. Returns the topics, the bytes of
/// records read, and whether any partition has an error.
fn read_all(
    broker: &Broker,
    req: &FetchRequest,
    v: i16,
) -> (Vec<FetchableTopicResponse>, usize, bool) {
    let read_committed = req.isolation_level == 1;
    let mut remaining = usize::try_from(req.max_bytes).unwrap_or(0);
    let mut min_one = true;
    let mut total = 0usize;
    let mut errors = false;
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in &req.topics {
        let topic = if v >= 13 {
            broker.topic_by_id(t.topic_id)
        } else {
            broker.topic(&t.topic.0)
        };
        let mut partitions = Vec::with_capacity(t.partitions.len());
        for fp in &t.partitions {
            let mut pd = PartitionData::default()
                .with_partition_index(fp.partition)
                .with_high_watermark(-1)
                .with_records(Some(Bytes::new()));
            if !read_committed {
                pd = pd.with_aborted_transactions(None);
            }
            let partition = topic.as_ref().and_then(|t| t.partition(fp.partition));
            let Some(partition) = partition else {
                let e = if v >= 13 && topic.is_none() {
                    ResponseError::UnknownTopicId
                } else {
                    ResponseError::UnknownTopicOrPartition
                };
                errors = true;
                partitions.push(pd.with_error_code(e.code()));
                continue;
            };
            // This broker leads every partition at epoch 0; a client that
            // believes in a later epoch has metadata this broker never gave.
            if v >= 9 && fp.current_leader_epoch > 0 {
                errors = true;
                partitions.push(pd.with_error_code(ResponseError::UnknownLeaderEpoch.code()));
                continue;
            }
            let limit = usize::try_from(fp.partition_max_bytes)
                .unwrap_or(0)
                .min(remaining);
            match partition.read_for_fetch(fp.fetch_offset, limit, read_committed, min_one) {
                Ok(read) => {
                    let n = read.records.len();
                    if n > 0 {
                        min_one = false;
                    }
                    remaining = remaining.saturating_sub(n);
                    total += n;
                    pd = pd
                        .with_high_watermark(read.high_watermark)
                        .with_last_stable_offset(read.last_stable_offset)
                        .with_records(Some(read.records));
                    if v >= 5 {
                        pd = pd.with_log_start_offset(read.log_start_offset);
                    }
                    if let Some(aborted) = read.aborted {
                        pd = pd.with_aborted_transactions(Some(
                            aborted
                                .into_iter()
                                .map(|a| {
                                    AbortedTransaction::default()
                                        .with_producer_id(ProducerId(a.producer_id))
                                        .with_first_offset(a.first_offset)
                                })
                                .collect(),
                        ));
                    }
                }
                Err(ReadError::OutOfRange {
                    log_start,
                    high_watermark,
                    last_stable,
                    ..
                }) => {
                    errors = true;
                    pd = pd
                        .with_error_code(ResponseError::OffsetOutOfRange.code())
                        .with_high_watermark(high_watermark)
                        .with_last_stable_offset(last_stable);
                    if v >= 5 {
                        pd = pd.with_log_start_offset(log_start);
                    }
                }
                Err(ReadError::Storage(e)) => {
                    tracing::error!(topic = %partition.topic, partition = partition.index, "fetch read failed: {e}");
                    errors = true;
                    pd = pd.with_error_code(ResponseError::KafkaStorageError.code());
                }
            }
            partitions.push(pd);
        }
        let mut r = FetchableTopicResponse::default().with_partitions(partitions);
        if v >= 13 {
            r = r.with_topic_id(t.topic_id);
        } else {
            r = r.with_topic(t.topic.clone());
        }
        topics.push(r);
    }
    (topics, total, errors)
}

#[cfg(test)]
mod tests;
