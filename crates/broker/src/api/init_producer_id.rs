//! InitProducerId (v0–5): a producer id and epoch for an idempotent or
//! transactional producer.
//!
//! v6 is not advertised: kafka-protocol 0.18 encodes its response but cannot
//! decode its request.

use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};

use super::RequestContext;
use crate::txn::compat_error;

/// PRODUCER_FENCED exists from InitProducerId v4 (KIP-588).
const FENCED_SINCE: i16 = 4;

pub(crate) async fn handle(
    ctx: &RequestContext,
    req: InitProducerIdRequest,
) -> InitProducerIdResponse {
    let broker = &ctx.broker;
    broker.txn.ensure_timer(broker);
    let expected = (ctx.api_version >= 3 && (req.producer_id.0 != -1 || req.producer_epoch != -1))
        .then_some((req.producer_id.0, req.producer_epoch));
    let transactional_id = req.transactional_id.as_ref().map(|s| s.0.to_string());
    let b = std::sync::Arc::clone(broker);
    let timeout = req.transaction_timeout_ms;
    // Writing markers (aborting an open transaction) and fsyncing the
    // journal block: run it off the async workers.
    let outcome = tokio::task::spawn_blocking(move || {
        b.txn
            .init_producer_id(&b, transactional_id.as_deref(), timeout, expected)
    })
    .await
    .unwrap_or(Err(kafka_protocol::ResponseError::CoordinatorNotAvailable));
    match outcome {
        Ok((pid, epoch)) => InitProducerIdResponse::default()
            .with_producer_id(ProducerId(pid))
            .with_producer_epoch(epoch),
        Err(e) => InitProducerIdResponse::default()
            .with_error_code(compat_error(e, ctx.api_version, FENCED_SINCE).code())
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1),
    }
}
