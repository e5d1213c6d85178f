//! LeaveGroup: one member by id (v0–2) or a batch of members (v3+).

use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::group::LeaveMember;

pub(crate) async fn handle(ctx: &RequestContext, req: LeaveGroupRequest) -> LeaveGroupResponse {
    let batched = ctx.api_version >= 3;
    let members = if batched {
        req.members
            .iter()
            .map(|member| LeaveMember {
                member_id: member.member_id.to_string(),
                group_instance_id: member.group_instance_id.as_ref().map(ToString::to_string),
            })
            .collect()
    } else {
        vec![LeaveMember {
            member_id: req.member_id.to_string(),
            group_instance_id: None,
        }]
    };
    let outcomes = ctx.broker.groups.leave_group(&req.group_id, members);
    if batched {
        let members = outcomes
            .into_iter()
            .map(|outcome| {
                MemberResponse::default()
                    .with_member_id(StrBytes::from_string(outcome.member.member_id))
                    .with_group_instance_id(
                        outcome.member.group_instance_id.map(StrBytes::from_string),
                    )
                    .with_error_code(outcome.error.map_or(0, |error| error.code()))
            })
            .collect();
        LeaveGroupResponse::default().with_members(members)
    } else {
        let error = outcomes.first().and_then(|outcome| outcome.error);
        LeaveGroupResponse::default().with_error_code(error.map_or(0, |error| error.code()))
    }
}
