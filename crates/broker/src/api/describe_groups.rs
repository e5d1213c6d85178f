//! DescribeGroups: state, protocol and members (with metadata and assignment
//! while Stable) of each group asked for.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::group::GroupState;

/// Kafka's ACL operation bits for a group: READ (3), DELETE (6), DESCRIBE (8).
/// ferry has no ACLs, so every client may do all three.
const GROUP_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8);

pub(crate) async fn handle(
    ctx: &RequestContext,
    req: DescribeGroupsRequest,
) -> DescribeGroupsResponse {
    let version = ctx.api_version;
    let groups = req
        .groups
        .into_iter()
        .map(|group_id| {
            let description = ctx.broker.groups.describe_group(&group_id);
            let mut described = DescribedGroup::default()
                .with_group_id(group_id)
                .with_group_state(StrBytes::from_static_str(description.state.name()))
                .with_protocol_type(StrBytes::from_string(description.protocol_type))
                .with_protocol_data(StrBytes::from_string(description.protocol_data))
                .with_members(
                    description
                        .members
                        .into_iter()
                        .map(|member| {
                            DescribedGroupMember::default()
                                .with_member_id(StrBytes::from_string(member.member_id))
                                .with_group_instance_id(
                                    member.group_instance_id.map(StrBytes::from_string),
                                )
                                .with_client_id(StrBytes::from_string(member.client_id))
                                .with_client_host(StrBytes::from_string(member.client_host))
                                .with_member_metadata(member.metadata)
                                .with_member_assignment(member.assignment)
                        })
                        .collect(),
                );
            // v6 reports unknown groups as errors; older versions as "Dead".
            if version >= 6 && description.state == GroupState::Dead {
                let message = format!("Group {} not found.", described.group_id.as_str());
                described = described
                    .with_error_code(ResponseError::GroupIdNotFound.code())
                    .with_error_message(Some(StrBytes::from_string(message)));
            }
            if version >= 3 && req.include_authorized_operations {
                described = described.with_authorized_operations(GROUP_OPERATIONS);
            } else {
                described = described.with_authorized_operations(i32::MIN);
            }
            described
        })
        .collect();
    DescribeGroupsResponse::default().with_groups(groups)
}
