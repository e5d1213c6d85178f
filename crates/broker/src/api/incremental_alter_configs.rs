//! IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT on single configs.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use super::alter_configs::broker_change_refused;
use super::describe_configs::{RESOURCE_BROKER, RESOURCE_TOPIC};
use crate::config::topic::effective;

const SET: i8 = 0;
const DELETE: i8 = 1;
const APPEND: i8 = 2;
const SUBTRACT: i8 = 3;

pub(crate) async fn handle(
    ctx: &RequestContext,
    req: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let responses = req
        .resources
        .into_iter()
        .map(|res| {
            let outcome: Result<(), (i16, String)> = match res.resource_type {
                RESOURCE_TOPIC => {
                    alter_topic(ctx, &res.resource_name, &res.configs, req.validate_only)
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
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}

fn alter_topic(
    ctx: &RequestContext,
    name: &str,
    ops: &[kafka_protocol::messages::incremental_alter_configs_request::AlterableConfig],
    validate_only: bool,
) -> Result<(), (i16, String)> {
    let broker = &ctx.broker;
    let topic = broker.topic(name).ok_or_else(|| {
        (
            ResponseError::UnknownTopicOrPartition.code(),
            format!("topic '{name}' does not exist"),
        )
    })?;
    let mut overrides = topic.overrides();
    let current = effective(&broker.config().props, &overrides);
    let invalid = |msg: String| (ResponseError::InvalidConfig.code(), msg);
    for op in ops {
        let key = op.name.to_string();
        let value = op.value.as_ref().map(|v| v.to_string());
        match op.config_operation {
            SET => {
                let v = value.ok_or_else(|| invalid(format!("SET {key} needs a value")))?;
                overrides.insert(key, v);
            }
            DELETE => {
                overrides.remove(&key);
            }
            APPEND | SUBTRACT => {
                let def = crate::config::topic::def(&key)
                    .ok_or_else(|| invalid(format!("unknown topic config {key}")))?;
                if def.kind != crate::config::topic::ConfigType::List {
                    return Err(invalid(format!(
                        "{key} is not a list; APPEND/SUBTRACT need a list config"
                    )));
                }
                let base = current
                    .iter()
                    .find(|e| e.def.name == key)
                    .map(|e| e.value.clone())
                    .unwrap_or_default();
                let mut items: Vec<String> = base
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                for item in value
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    if op.config_operation == APPEND {
                        if !items.iter().any(|i| i == item) {
                            items.push(item.to_string());
                        }
                    } else {
                        items.retain(|i| i != item);
                    }
                }
                overrides.insert(key, items.join(","));
            }
            other => return Err(invalid(format!("unknown config operation {other}"))),
        }
    }
    broker
        .set_topic_configs(name, overrides, validate_only)
        .map_err(|e| (e.code(), e.to_string()))
}
