//! DescribeCluster: the cluster id and its (one) broker.

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{BrokerId, DescribeClusterRequest, DescribeClusterResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;

pub(crate) async fn handle(
    ctx: &RequestContext,
    _req: DescribeClusterRequest,
) -> DescribeClusterResponse {
    let broker = &ctx.broker;
    let (host, port) = broker.advertised_host_port(&ctx.listener);
    let node = BrokerId(broker.node_id());
    let mut resp = DescribeClusterResponse::default()
        .with_cluster_id(StrBytes::from_string(broker.cluster_id().to_string()))
        .with_controller_id(node)
        .with_brokers(vec![
            DescribeClusterBroker::default()
                .with_broker_id(node)
                .with_host(StrBytes::from_string(host))
                .with_port(port),
        ]);
    if ctx.api_version >= 1 {
        resp = resp.with_endpoint_type(1);
    }
    resp
}
