//! Heartbeat: keeps a member alive; REBALANCE_IN_PROGRESS tells it to rejoin.

use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};

use super::RequestContext;
use crate::group::HeartbeatParams;

pub(crate) async fn handle(ctx: &RequestContext, req: HeartbeatRequest) -> HeartbeatResponse {
    let result = ctx.broker.groups.heartbeat(HeartbeatParams {
        group_id: req.group_id.to_string(),
        generation_id: req.generation_id,
        member_id: req.member_id.to_string(),
        group_instance_id: req.group_instance_id.as_ref().map(ToString::to_string),
    });
    HeartbeatResponse::default().with_error_code(result.err().map_or(0, |error| error.code()))
}
