//! JoinGroup: enter or rejoin a classic group; may wait for the rebalance.

use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::group::JoinParams;

pub(crate) async fn handle(ctx: &RequestContext, req: JoinGroupRequest) -> JoinGroupResponse {
    let version = ctx.api_version;
    let params = JoinParams {
        group_id: req.group_id.to_string(),
        member_id: req.member_id.to_string(),
        group_instance_id: req.group_instance_id.as_ref().map(ToString::to_string),
        client_id: ctx.client_id.clone().unwrap_or_default(),
        client_host: ctx.client_host.clone(),
        session_timeout_ms: req.session_timeout_ms,
        // v0 has no rebalance timeout; Kafka uses the session timeout.
        rebalance_timeout_ms: if version >= 1 {
            req.rebalance_timeout_ms
        } else {
            req.session_timeout_ms
        },
        protocol_type: req.protocol_type.to_string(),
        protocols: req
            .protocols
            .into_iter()
            .map(|protocol| (protocol.name.to_string(), protocol.metadata))
            .collect(),
        // KIP-394: from v4 a first join gets MEMBER_ID_REQUIRED and rejoins.
        require_known_member_id: version >= 4,
    };
    let outcome = ctx.broker.groups.join_group(params).await;
    let members = outcome
        .members
        .into_iter()
        .map(|member| {
            JoinGroupResponseMember::default()
                .with_member_id(StrBytes::from_string(member.member_id))
                .with_group_instance_id(member.group_instance_id.map(StrBytes::from_string))
                .with_metadata(member.metadata)
        })
        .collect();
    // The protocol name is nullable only from v7; older clients get "".
    let protocol_name = match outcome.protocol_name {
        Some(name) => Some(StrBytes::from_string(name)),
        None if version >= 7 => None,
        None => Some(StrBytes::default()),
    };
    JoinGroupResponse::default()
        .with_error_code(outcome.error.map_or(0, |error| error.code()))
        .with_generation_id(outcome.generation_id)
        .with_protocol_type(outcome.protocol_type.map(StrBytes::from_string))
        .with_protocol_name(protocol_name)
        .with_leader(StrBytes::from_string(outcome.leader_id))
        .with_member_id(StrBytes::from_string(outcome.member_id))
        .with_members(members)
}

#[cfg(test)]
mod tests;
