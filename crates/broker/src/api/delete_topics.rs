//! DeleteTopics: by name (all versions) or by topic id (v6+).

use kafka_protocol::ResponseError;
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::RequestContext;

pub(crate) async fn handle(ctx: &RequestContext, req: DeleteTopicsRequest) -> DeleteTopicsResponse {
    let v = ctx.api_version;
    let broker = &ctx.broker;
    // v0–5 send names; v6+ send (name | id) pairs.
    let targets: Vec<(Option<String>, Uuid)> = if v >= 6 {
        req.topics
            .into_iter()
            .map(|t| (t.name.map(|n| n.0.to_string()), t.topic_id))
            .collect()
    } else {
        req.topic_names
            .into_iter()
            .map(|n| (Some(n.0.to_string()), Uuid::nil()))
            .collect()
    };
    let responses = targets
        .into_iter()
        .map(|(name, id)| {
            let resolved = match &name {
                Some(n) => Some(n.clone()),
                None => broker.topic_by_id(id).map(|t| t.name.clone()),
            };
            let (error, message, topic_id) = match resolved {
                None => (
                    ResponseError::UnknownTopicId.code(),
                    format!("no topic has id {id}"),
                    id,
                ),
                Some(n) => {
                    let tid = broker.topic(&n).map(|t| t.id).unwrap_or(id);
                    match broker.delete_topic(&n) {
                        Ok(()) => (0, String::new(), tid),
                        Err(e) => (e.code(), e.to_string(), tid),
                    }
                }
            };
            let mut r = DeletableTopicResult::default()
                .with_name(name.clone().map(|n| TopicName(StrBytes::from_string(n))))
                .with_error_code(error);
            if v >= 6 {
                r = r.with_topic_id(topic_id);
            }
            if v >= 5 && error != 0 {
                r = r.with_error_message(Some(StrBytes::from_string(message)));
            }
            r
        })
        .collect();
    DeleteTopicsResponse::default().with_responses(responses)
}
