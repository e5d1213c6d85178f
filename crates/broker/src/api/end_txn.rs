//! EndTxn (v0–5): commits or aborts the producer's open transaction.
//!
//! The coordinator writes a COMMIT or ABORT marker into every partition of
//! the transaction, completes the group offsets TxnOffsetCommit staged, and
//! returns the transactional id to Complete{Commit,Abort}. v5 (transaction
//! version 2, KIP-890) is answered with the producer's current id and epoch;
//! ferry does not advertise the `transaction.version` feature, so clients use
//! the classic protocol and never expect an epoch bump from EndTxn.

use kafka_protocol::messages::{EndTxnRequest, EndTxnResponse, ProducerId};

use super::RequestContext;
use crate::txn::compat_error;

/// PRODUCER_FENCED exists from EndTxn v2 (KIP-588).
const FENCED_SINCE: i16 = 2;

pub(crate) async fn handle(ctx: &RequestContext, req: EndTxnRequest) -> EndTxnResponse {
    let broker = std::sync::Arc::clone(&ctx.broker);
    broker.txn.ensure_timer(&broker);
    let id = req.transactional_id.0.to_string();
    let (pid, epoch, commit) = (req.producer_id.0, req.producer_epoch, req.committed);
    let b = std::sync::Arc::clone(&broker);
    // Markers are disk appends and the journal is fsynced: off the workers.
    let result = tokio::task::spawn_blocking(move || b.txn.end_txn(&b, &id, pid, epoch, commit))
        .await
        .unwrap_or(Err(kafka_protocol::ResponseError::CoordinatorNotAvailable));
    let mut resp = EndTxnResponse::default();
    if let Err(e) = result {
        resp = resp.with_error_code(compat_error(e, ctx.api_version, FENCED_SINCE).code());
    }
    if ctx.api_version >= 5 {
        resp = resp
            .with_producer_id(ProducerId(pid))
            .with_producer_epoch(epoch);
    }
    resp
}
