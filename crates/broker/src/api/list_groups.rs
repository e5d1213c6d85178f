//! ListGroups: every group, filtered by state (v4+) and type (v5+).

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{GroupId, ListGroupsRequest, ListGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;

/// ferry's groups all speak the classic protocol (KIP-848's `consumer` type is
/// not served).
const GROUP_TYPE: &str = "classic";

pub(crate) async fn handle(ctx: &RequestContext, req: ListGroupsRequest) -> ListGroupsResponse {
    let version = ctx.api_version;
    let states: Vec<String> = if version >= 4 {
        req.states_filter.iter().map(|s| s.to_string()).collect()
    } else {
        Vec::new()
    };
    let types: Vec<String> = if version >= 5 {
        req.types_filter.iter().map(|t| t.to_string()).collect()
    } else {
        Vec::new()
    };
    let groups = ctx
        .broker
        .groups
        .list_groups()
        .into_iter()
        .filter(|group| {
            states.is_empty()
                || states
                    .iter()
                    .any(|state| state.eq_ignore_ascii_case(group.state.name()))
        })
        .filter(|_| types.is_empty() || types.iter().any(|t| t.eq_ignore_ascii_case(GROUP_TYPE)))
        .map(|group| {
            ListedGroup::default()
                .with_group_id(GroupId(StrBytes::from_string(group.group_id)))
                .with_protocol_type(StrBytes::from_string(group.protocol_type))
                .with_group_state(StrBytes::from_static_str(group.state.name()))
                .with_group_type(StrBytes::from_static_str(GROUP_TYPE))
        })
        .collect();
    ListGroupsResponse::default().with_groups(groups)
}
