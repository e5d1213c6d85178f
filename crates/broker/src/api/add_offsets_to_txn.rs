//! AddOffsetsToTxn (v0–4): a consumer group joins the producer's open
//! transaction, so that TxnOffsetCommit may stage its offsets and EndTxn
//! completes them.

use kafka_protocol::messages::{AddOffsetsToTxnRequest, AddOffsetsToTxnResponse};

use super::RequestContext;
use crate::txn::compat_error;

/// PRODUCER_FENCED exists from AddOffsetsToTxn v2 (KIP-588).
const FENCED_SINCE: i16 = 2;

pub(crate) async fn handle(
    ctx: &RequestContext,
    req: AddOffsetsToTxnRequest,
) -> AddOffsetsToTxnResponse {
    let broker = &ctx.broker;
    broker.txn.ensure_timer(broker);
    let result = if req.group_id.0.is_empty() {
        Err(kafka_protocol::ResponseError::InvalidGroupId)
    } else {
        broker.txn.add_offsets(
            &req.transactional_id.0,
            req.producer_id.0,
            req.producer_epoch,
            &req.group_id.0,
        )
    };
    let code = result
        .err()
        .map_or(0, |e| compat_error(e, ctx.api_version, FENCED_SINCE).code());
    AddOffsetsToTxnResponse::default().with_error_code(code)
}
