//! Metadata: brokers, topics, partitions and their leaders.
//!
//! ferry is a single broker, so it leads every partition with itself as the
//! only replica. Brokers are advertised with the endpoint of the listener the
//! request arrived on, so clients behind different listeners (inside and
//! outside a proxy) each get addresses they can reach.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::RequestContext;
use crate::topic::{Topic, validate_name};

pub(crate) async fn handle(ctx: &RequestContext, req: MetadataRequest) -> MetadataResponse {
    let broker = &ctx.broker;
    let v = ctx.api_version;
    let node = BrokerId(broker.node_id());
    let (host, port) = broker.advertised_host_port(&ctx.listener);

    // v0: an empty list means "all topics"; v1+: null means all, empty means none.
    let wanted = match req.topics {
        None => None,
        Some(t) if t.is_empty() && v == 0 => None,
        Some(t) => Some(t),
    };
    // Before v4 the request has no flag and auto-creation is implied.
    let may_create = v < 4 || req.allow_auto_topic_creation;

    let topics = match wanted {
        None => broker
            .topics()
            .iter()
            .map(|t| topic_entry(ctx, t))
            .collect(),
        Some(requested) => requested
            .into_iter()
            .map(|r| match r.name {
                Some(name) => {
                    let name = name.0.to_string();
                    if let Err(reason) = validate_name(&name) {
                        tracing::debug!("metadata for invalid topic name: {reason}");
                        return error_topic(
                            Some(name),
                            Uuid::nil(),
                            ResponseError::InvalidTopicException,
                        );
                    }
                    let found = if may_create {
                        broker.auto_create(&name)
                    } else {
                        broker.topic(&name)
                    };
                    match found {
                        Some(t) => topic_entry(ctx, &t),
                        None => error_topic(
                            Some(name),
                            Uuid::nil(),
                            ResponseError::UnknownTopicOrPartition,
                        ),
                    }
                }
                None => match broker.topic_by_id(r.topic_id) {
                    Some(t) => topic_entry(ctx, &t),
                    None => error_topic(None, r.topic_id, ResponseError::UnknownTopicId),
                },
            })
            .collect(),
    };

    let mut resp = MetadataResponse::default()
        .with_brokers(vec![
            MetadataResponseBroker::default()
                .with_node_id(node)
                .with_host(StrBytes::from_string(host))
                .with_port(port),
        ])
        .with_topics(topics);
    if v >= 1 {
        resp = resp.with_controller_id(node);
    }
    if v >= 2 {
        resp = resp.with_cluster_id(Some(StrBytes::from_string(broker.cluster_id().to_string())));
    }
    resp
}

fn error_topic(name: Option<String>, id: Uuid, error: ResponseError) -> MetadataResponseTopic {
    MetadataResponseTopic::default()
        .with_error_code(error.code())
        .with_name(name.map(|n| TopicName(StrBytes::from_string(n))))
        .with_topic_id(id)
}

fn topic_entry(ctx: &RequestContext, topic: &Topic) -> MetadataResponseTopic {
    let node = BrokerId(ctx.broker.node_id());
    let partitions = (0..topic.partition_count())
        .map(|p| {
            let mut part = MetadataResponsePartition::default()
                .with_partition_index(p)
                .with_leader_id(node)
                .with_replica_nodes(vec![node])
                .with_isr_nodes(vec![node]);
            if ctx.api_version >= 7 {
                part = part.with_leader_epoch(0);
            }
            part
        })
        .collect();
    let mut t = MetadataResponseTopic::default()
        .with_name(Some(TopicName(StrBytes::from_string(topic.name.clone()))))
        .with_partitions(partitions);
    if ctx.api_version >= 1 {
        t = t.with_is_internal(topic.is_internal());
    }
    if ctx.api_version >= 10 {
        t = t.with_topic_id(topic.id);
    }
    t
}
