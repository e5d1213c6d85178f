//! CreateTopics: new topics with partition counts and config overrides.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::config::topic::effective;
use crate::state::CatalogError;

pub(crate) async fn handle(ctx: &RequestContext, req: CreateTopicsRequest) -> CreateTopicsResponse {
    let v = ctx.api_version;
    let broker = &ctx.broker;
    let mut results = Vec::with_capacity(req.topics.len());
    for t in req.topics {
        let name = t.name.0.to_string();
        let mut configs = BTreeMap::new();
        let mut outcome: Result<(), CatalogError> = Ok(());
        for c in &t.configs {
            match &c.value {
                Some(val) => {
                    configs.insert(c.name.to_string(), val.to_string());
                }
                None => {
                    outcome = Err(CatalogError::InvalidConfig(
                        crate::config::ConfigError::Value {
                            key: c.name.to_string(),
                            value: "null".into(),
                            reason: "a config in CreateTopics needs a value".into(),
                        },
                    ))
                }
            }
        }
        // Manual assignments name the partitions explicitly; this broker must
        // be the only replica of each.
        let mut partitions = t.num_partitions;
        if !t.assignments.is_empty() {
            if t.num_partitions != -1 || t.replication_factor != -1 {
                outcome = outcome.and(Err(CatalogError::InvalidPartitions(
                    "give either replica assignments or a partition count and replication factor, not both".into(),
                )));
            } else if t.assignments.iter().any(|a| {
                a.broker_ids.iter().any(|b| b.0 != broker.node_id()) || a.broker_ids.len() != 1
            }) {
                outcome = outcome.and(Err(CatalogError::InvalidPartitions(format!(
                    "replica assignments may only name broker {} (ferry is a single broker)",
                    broker.node_id()
                ))));
            }
            partitions = t.assignments.len() as i32;
        }
        let rf = if t.assignments.is_empty() {
            t.replication_factor
        } else {
            1
        };
        let created = outcome.and_then(|()| {
            if req.validate_only {
                broker
                    .check_new_topic(&name, partitions, rf, &configs)
                    .map(|(n, _)| (n, None))
            } else {
                broker
                    .create_topic(&name, partitions, rf, configs.clone())
                    .map(|topic| (topic.partition_count(), Some(topic.id)))
            }
        });
        let mut r = CreatableTopicResult::default().with_name(t.name.clone());
        match created {
            Ok((n, id)) => {
                if v >= 7 {
                    r = r.with_topic_id(id.unwrap_or_default());
                }
                if v >= 5 {
                    let entries = effective(&broker.config().props, &configs)
                        .into_iter()
                        .map(|e| {
                            CreatableTopicConfigs::default()
                                .with_name(StrBytes::from_static_str(e.def.name))
                                .with_value(Some(StrBytes::from_string(e.value)))
                                .with_config_source(e.source as i8)
                        })
                        .collect();
                    r = r
                        .with_num_partitions(n)
                        .with_replication_factor(1)
                        .with_configs(Some(entries));
                }
            }
            Err(e) => {
                r = r.with_error_code(e.code());
                if v >= 1 {
                    r = r.with_error_message(Some(StrBytes::from_string(e.to_string())));
                }
                if v >= 5 {
                    r = r.with_num_partitions(-1).with_replication_factor(-1);
                }
            }
        }
        results.push(r);
    }
    CreateTopicsResponse::default().with_topics(results)
}
