//! DescribeConfigs: every effective config of a topic or of the broker, with
//! its source, synonyms, type and documentation.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::protocol::StrBytes;

use super::RequestContext;
use crate::config::topic::{ConfigSource, ConfigType, TOPIC_CONFIGS, effective};

/// Kafka's resource type codes.
pub(crate) const RESOURCE_TOPIC: i8 = 2;
pub(crate) const RESOURCE_BROKER: i8 = 4;

/// One row of a DescribeConfigs answer before version shaping.
struct Row {
    name: String,
    value: Option<String>,
    source: i8,
    sensitive: bool,
    read_only: bool,
    kind: i8,
    doc: Option<&'static str>,
    synonyms: Vec<(String, String, i8)>,
}

/// Broker settings ferry knows beyond the topic-config synonyms, with defaults.
const BROKER_CONFIGS: &[(&str, &str, ConfigType)] = &[
    ("advertised.listeners", "", ConfigType::String),
    ("auto.create.topics.enable", "true", ConfigType::Boolean),
    ("group.initial.rebalance.delay.ms", "3000", ConfigType::Int),
    ("group.max.session.timeout.ms", "1800000", ConfigType::Int),
    ("group.min.session.timeout.ms", "6000", ConfigType::Int),
    (
        "listener.security.protocol.map",
        "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
        ConfigType::String,
    ),
    ("listeners", "PLAINTEXT://:9092", ConfigType::String),
    ("log.dirs", "", ConfigType::String),
    (
        "log.retention.check.interval.ms",
        "300000",
        ConfigType::Long,
    ),
    ("node.id", "1", ConfigType::Int),
    ("num.partitions", "1", ConfigType::Int),
    ("offsets.retention.minutes", "10080", ConfigType::Int),
    (
        "sasl.enabled.mechanisms",
        "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
        ConfigType::List,
    ),
    ("socket.request.max.bytes", "104857600", ConfigType::Int),
    ("transaction.max.timeout.ms", "900000", ConfigType::Int),
];

/// Values that must never be returned: passwords, JAAS configs, keys.
pub(crate) fn is_sensitive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("password") || n.contains("jaas") || n.contains("secret") || n.ends_with(".key")
}

fn topic_rows(ctx: &RequestContext, name: &str) -> Result<Vec<Row>, (ResponseError, String)> {
    let topic = ctx.broker.topic(name).ok_or_else(|| {
        (
            ResponseError::UnknownTopicOrPartition,
            format!("topic '{name}' does not exist"),
        )
    })?;
    Ok(effective(&ctx.broker.config().props, &topic.overrides())
        .into_iter()
        .map(|e| Row {
            name: e.def.name.to_string(),
            value: Some(e.value),
            source: e.source as i8,
            sensitive: false,
            read_only: false,
            kind: e.def.kind as i8,
            doc: Some(e.def.doc),
            synonyms: e
                .synonyms
                .into_iter()
                .map(|(n, v, s)| (n, v, s as i8))
                .collect(),
        })
        .collect())
}

fn broker_rows(ctx: &RequestContext, name: &str) -> Result<Vec<Row>, (ResponseError, String)> {
    let node = ctx.broker.node_id().to_string();
    if !name.is_empty() && name != node {
        return Err((
            ResponseError::InvalidRequest,
            format!("broker '{name}' is not this broker (node id {node})"),
        ));
    }
    let props = &ctx.broker.config().props;
    let mut rows: Vec<Row> = Vec::new();
    let mut push = |key: &str, default: Option<&str>, kind: ConfigType| {
        if rows.iter().any(|r| r.name == key) {
            return;
        }
        let (value, source) = match props.get(key) {
            Some(v) => (Some(v.clone()), ConfigSource::StaticBroker),
            None => (default.map(str::to_string), ConfigSource::Default),
        };
        let sensitive = is_sensitive(key);
        rows.push(Row {
            name: key.to_string(),
            value: if sensitive { None } else { value },
            source: source as i8,
            sensitive,
            read_only: true,
            kind: kind as i8,
            doc: None,
            synonyms: Vec::new(),
        });
    };
    for (k, d, t) in BROKER_CONFIGS {
        push(k, Some(d), *t);
    }
    for d in TOPIC_CONFIGS {
        if let Some((key, 1)) = d.synonyms.first() {
            push(key, Some(d.default), d.kind);
        }
    }
    for k in props.keys() {
        push(k, None, ConfigType::String);
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

pub(crate) async fn handle(
    ctx: &RequestContext,
    req: DescribeConfigsRequest,
) -> DescribeConfigsResponse {
    let v = ctx.api_version;
    let results = req
        .resources
        .into_iter()
        .map(|res| {
            let name = res.resource_name.to_string();
            let rows = match res.resource_type {
                RESOURCE_TOPIC => topic_rows(ctx, &name),
                RESOURCE_BROKER => broker_rows(ctx, &name),
                other => Err((
                    ResponseError::InvalidRequest,
                    format!("resource type {other} is not supported by ferry"),
                )),
            };
            let out = DescribeConfigsResult::default()
                .with_resource_type(res.resource_type)
                .with_resource_name(res.resource_name.clone());
            match rows {
                Err((e, msg)) => out
                    .with_error_code(e.code())
                    .with_error_message(Some(StrBytes::from_string(msg))),
                Ok(rows) => {
                    let keys = res.configuration_keys.as_ref();
                    let configs = rows
                        .into_iter()
                        .filter(|r| keys.is_none_or(|k| k.iter().any(|k| **k == *r.name)))
                        .map(|r| {
                            let mut c = DescribeConfigsResourceResult::default()
                                .with_name(StrBytes::from_string(r.name))
                                .with_value(r.value.map(StrBytes::from_string))
                                .with_read_only(r.read_only)
                                .with_config_source(r.source)
                                .with_is_sensitive(r.sensitive);
                            if v >= 1 && req.include_synonyms {
                                c = c.with_synonyms(
                                    r.synonyms
                                        .into_iter()
                                        .map(|(n, val, s)| {
                                            DescribeConfigsSynonym::default()
                                                .with_name(StrBytes::from_string(n))
                                                .with_value(Some(StrBytes::from_string(val)))
                                                .with_source(s)
                                        })
                                        .collect(),
                                );
                            }
                            if v >= 3 {
                                c = c.with_config_type(r.kind);
                                if req.include_documentation {
                                    c = c.with_documentation(r.doc.map(StrBytes::from_static_str));
                                }
                            }
                            c
                        })
                        .collect();
                    out.with_configs(configs)
                }
            }
        })
        .collect();
    DescribeConfigsResponse::default().with_results(results)
}
