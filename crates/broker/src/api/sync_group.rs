//! SyncGroup: the leader hands in the assignment; everyone gets their part.

use kafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::group::SyncParams;

pub(crate) async fn handle(ctx: &RequestContext, req: SyncGroupRequest) -> SyncGroupResponse {
    let params = SyncParams {
        group_id: req.group_id.to_string(),
        generation_id: req.generation_id,
        member_id: req.member_id.to_string(),
        group_instance_id: req.group_instance_id.as_ref().map(ToString::to_string),
        // Absent before v5 (None), so not checked then.
        protocol_type: req.protocol_type.as_ref().map(ToString::to_string),
        protocol_name: req.protocol_name.as_ref().map(ToString::to_string),
        assignments: req
            .assignments
            .into_iter()
            .map(|assignment| (assignment.member_id.to_string(), assignment.assignment))
            .collect(),
    };
    let outcome = ctx.broker.groups.sync_group(params).await;
    SyncGroupResponse::default()
        .with_error_code(outcome.error.map_or(0, |error| error.code()))
        .with_protocol_type(outcome.protocol_type.map(StrBytes::from_string))
        .with_protocol_name(outcome.protocol_name.map(StrBytes::from_string))
        .with_assignment(outcome.assignment)
}
