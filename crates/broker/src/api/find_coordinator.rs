//! FindCoordinator: ferry is a single node, so it coordinates every group
//! (key type 0) and every transactional id (key type 1) itself.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;

/// Key types Kafka defines: 0 = group, 1 = transaction.
fn is_known_key_type(key_type: i8) -> bool {
    key_type == 0 || key_type == 1
}

pub(crate) async fn handle(
    ctx: &RequestContext,
    req: FindCoordinatorRequest,
) -> FindCoordinatorResponse {
    let (host, port) = ctx.broker.advertised_host_port(&ctx.listener);
    let node = BrokerId(ctx.broker.node_id());
    let known = is_known_key_type(req.key_type);
    if ctx.api_version >= 4 {
        // v4+ batches keys; every answer is per key.
        let coordinators = req
            .coordinator_keys
            .into_iter()
            .map(|key| {
                let coordinator = Coordinator::default().with_key(key);
                if known {
                    coordinator
                        .with_node_id(node)
                        .with_host(StrBytes::from_string(host.clone()))
                        .with_port(port)
                } else {
                    coordinator
                        .with_node_id(BrokerId(-1))
                        .with_port(-1)
                        .with_error_code(ResponseError::InvalidRequest.code())
                        .with_error_message(Some(StrBytes::from_static_str("unknown key type")))
                }
            })
            .collect();
        return FindCoordinatorResponse::default().with_coordinators(coordinators);
    }
    if known {
        FindCoordinatorResponse::default()
            .with_node_id(node)
            .with_host(StrBytes::from_string(host))
            .with_port(port)
    } else {
        let response = FindCoordinatorResponse::default()
            .with_error_code(ResponseError::InvalidRequest.code())
            .with_node_id(BrokerId(-1))
            .with_port(-1);
        if ctx.api_version >= 1 {
            response.with_error_message(Some(StrBytes::from_static_str("unknown key type")))
        } else {
            response
        }
    }
}
