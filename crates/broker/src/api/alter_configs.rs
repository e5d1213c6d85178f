//! AlterConfigs (the legacy, whole-set form): the given configs become the
//! topic's complete set of overrides.

use std::collections::BTreeMap;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use super::describe_configs::{RESOURCE_BROKER, RESOURCE_TOPIC};

/// The refusal for runtime broker-config changes, shared with the incremental API.
pub(crate) fn broker_change_refused() -> (i16, String) {
    (
        ResponseError::InvalidRequest.code(),
        "ferry does not change broker configs at runtime; edit server.properties or pass --override and restart".into(),
    )
}

pub(crate) async fn handle(ctx: &RequestContext, req: AlterConfigsRequest) -> AlterConfigsResponse {
    let responses = req
        .resources
        .into_iter()
        .map(|res| {
            let outcome: Result<(), (i16, String)> = match res.resource_type {
                RESOURCE_TOPIC => {
                    let mut set = BTreeMap::new();
                    for c in &res.configs {
                        if let Some(v) = &c.value {
                            set.insert(c.name.to_string(), v.to_string());
                        }
                    }
                    ctx.broker
                        .set_topic_configs(&res.resource_name, set, req.validate_only)
                        .map_err(|e| (e.code(), e.to_string()))
                }
                RESOURCE_BROKER => Err(broker_change_refused()),
                other => Err((
                    ResponseError::InvalidRequest.code(),
                    format!("resource type {other} is not supported by ferry"),
                )),
            };
            let r = AlterConfigsResourceResponse::default()
                .with_resource_type(res.resource_type)
                .with_resource_name(res.resource_name);
            match outcome {
                Ok(()) => r,
                Err((code, msg)) => r
                    .with_error_code(code)
                    .with_error_message(Some(StrBytes::from_string(msg))),
            }
        })
        .collect();
    AlterConfigsResponse::default().with_responses(responses)
}
