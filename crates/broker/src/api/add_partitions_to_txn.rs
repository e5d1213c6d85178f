//! AddPartitionsToTxn: partitions join the producer's open transaction.
//!
//! v0–3 is the client form (one transaction). v4+ is the broker form (a batch
//! of transactions, optionally `verify_only`, KIP-890) which partition
//! leaders send to the coordinator; it is answered too. As in Kafka, when any
//! partition of a transaction is unknown, those get UNKNOWN_TOPIC_OR_PARTITION
//! and the others OPERATION_NOT_ATTEMPTED, and nothing is added.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnResult, AddPartitionsToTxnTopicResult,
};
use kafka_protocol::messages::{AddPartitionsToTxnRequest, AddPartitionsToTxnResponse};

use super::RequestContext;
use crate::state::Broker;
use crate::txn::{TxnPartition, compat_error};

/// PRODUCER_FENCED exists from AddPartitionsToTxn v2 (KIP-588).
const FENCED_SINCE: i16 = 2;

pub(crate) async fn handle(
    ctx: &RequestContext,
    req: AddPartitionsToTxnRequest,
) -> AddPartitionsToTxnResponse {
    let broker = &ctx.broker;
    broker.txn.ensure_timer(broker);
    let v = ctx.api_version;
    if v <= 3 {
        let results = add(
            broker,
            &req.v3_and_below_transactional_id.0,
            req.v3_and_below_producer_id.0,
            req.v3_and_below_producer_epoch,
            &req.v3_and_below_topics,
            false,
            v,
        );
        return AddPartitionsToTxnResponse::default().with_results_by_topic_v3_and_below(results);
    }
    let results = req
        .transactions
        .iter()
        .map(|t| {
            AddPartitionsToTxnResult::default()
                .with_transactional_id(t.transactional_id.clone())
                .with_topic_results(add(
                    broker,
                    &t.transactional_id.0,
                    t.producer_id.0,
                    t.producer_epoch,
                    &t.topics,
                    t.verify_only,
                    v,
                ))
        })
        .collect();
    AddPartitionsToTxnResponse::default().with_results_by_transaction(results)
}

fn add(
    broker: &Broker,
    transactional_id: &str,
    producer_id: i64,
    producer_epoch: i16,
    topics: &[AddPartitionsToTxnTopic],
    verify_only: bool,
    v: i16,
) -> Vec<AddPartitionsToTxnTopicResult> {
    let requested: Vec<TxnPartition> = topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| (t.name.0.to_string(), *p)))
        .collect();
    let exists = |(t, p): &TxnPartition| broker.topic(t).and_then(|t| t.partition(*p)).is_some();
    // One error (or none) per requested partition, in request order.
    let codes: Vec<Option<ResponseError>> = if requested.iter().all(exists) {
        let outcome = if verify_only {
            broker
                .txn
                .verify_partitions(transactional_id, producer_id, producer_epoch, &requested)
                .map(|found| {
                    found
                        .into_iter()
                        .map(|ok| (!ok).then_some(ResponseError::InvalidTxnState))
                        .collect()
                })
        } else {
            broker
                .txn
                .add_partitions(transactional_id, producer_id, producer_epoch, &requested)
                .map(|()| vec![None; requested.len()])
        };
        outcome.unwrap_or_else(|e| vec![Some(compat_error(e, v, FENCED_SINCE)); requested.len()])
    } else {
        requested
            .iter()
            .map(|tp| {
                Some(if exists(tp) {
                    ResponseError::OperationNotAttempted
                } else {
                    ResponseError::UnknownTopicOrPartition
                })
            })
            .collect()
    };
    let mut codes = codes.into_iter();
    topics
        .iter()
        .map(|t| {
            let results = t
                .partitions
                .iter()
                .map(|p| {
                    let code = codes.next().flatten().map_or(0, |e| e.code());
                    AddPartitionsToTxnPartitionResult::default()
                        .with_partition_index(*p)
                        .with_partition_error_code(code)
                })
                .collect();
            AddPartitionsToTxnTopicResult::default()
                .with_name(t.name.clone())
                .with_results_by_partition(results)
        })
        .collect()
}
