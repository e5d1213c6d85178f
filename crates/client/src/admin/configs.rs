//! DescribeConfigs for topics: every effective config with its source.

use kafka_protocol::messages::DescribeConfigsRequest;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::protocol::StrBytes;

use crate::client::Client;
use crate::error::{Error, Result};

/// Kafka's ConfigResource type for topics.
const RESOURCE_TOPIC: i8 = 2;
/// Kafka's ConfigResource type for brokers.
const RESOURCE_BROKER: i8 = 4;

/// Where a config's effective value comes from (Kafka's `ConfigSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// Set on the topic.
    DynamicTopic,
    /// Set dynamically for one broker.
    DynamicBroker,
    /// Set dynamically for all brokers.
    DynamicDefaultBroker,
    /// From the broker's server.properties.
    StaticBroker,
    /// Kafka's built-in default.
    Default,
    /// Anything else the broker reports.
    Unknown,
}

impl ConfigSource {
    fn from_code(code: i8) -> Self {
        match code {
            1 => Self::DynamicTopic,
            2 => Self::DynamicBroker,
            3 => Self::DynamicDefaultBroker,
            4 => Self::StaticBroker,
            5 => Self::Default,
            _ => Self::Unknown,
        }
    }

    /// The name Kafka's tools print (`DYNAMIC_TOPIC_CONFIG`, `DEFAULT_CONFIG`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DynamicTopic => "DYNAMIC_TOPIC_CONFIG",
            Self::DynamicBroker => "DYNAMIC_BROKER_CONFIG",
            Self::DynamicDefaultBroker => "DYNAMIC_DEFAULT_BROKER_CONFIG",
            Self::StaticBroker => "STATIC_BROKER_CONFIG",
            Self::Default => "DEFAULT_CONFIG",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// One config of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// Config name.
    pub name: String,
    /// Effective value (`None` for sensitive or unset values).
    pub value: Option<String>,
    /// Where the value comes from.
    pub source: ConfigSource,
    /// True when the value is Kafka's default.
    pub is_default: bool,
    /// True when the config cannot be changed.
    pub read_only: bool,
    /// True for secrets (the value is withheld).
    pub is_sensitive: bool,
}

impl Client {
    /// Every effective config of topic `name`, defaults included, sorted by name.
    ///
    /// # Errors
    /// [`Error::UnknownTopic`], or the broker's error.
    pub async fn describe_topic_configs(&self, name: &str) -> Result<Vec<ConfigEntry>> {
        self.describe_configs(RESOURCE_TOPIC, name).await
    }

    /// Every effective config of broker `node_id`.
    ///
    /// # Errors
    /// The broker's error.
    pub async fn describe_broker_configs(&self, node_id: i32) -> Result<Vec<ConfigEntry>> {
        self.describe_configs(RESOURCE_BROKER, &node_id.to_string())
            .await
    }

    async fn describe_configs(&self, resource_type: i8, name: &str) -> Result<Vec<ConfigEntry>> {
        let request = DescribeConfigsRequest::default()
            .with_include_synonyms(true)
            .with_resources(vec![
                DescribeConfigsResource::default()
                    .with_resource_type(resource_type)
                    .with_resource_name(StrBytes::from_string(name.to_owned()))
                    .with_configuration_keys(None),
            ]);
        let context = format!("describe configs of '{name}'");
        let response = self
            .retry(&context, || async {
                let conn = if resource_type == RESOURCE_BROKER {
                    self.broker(name.parse().unwrap_or(-1)).await?
                } else {
                    self.any_broker().await?
                };
                conn.call(&request).await
            })
            .await?;
        let result = response
            .results
            .first()
            .ok_or_else(|| Error::Protocol("DescribeConfigs response is empty".into()))?;
        if result.error_code == 3 {
            return Err(Error::UnknownTopic(name.to_owned()));
        }
        if result.error_code != 0 {
            return Err(Error::kafka(
                result.error_code,
                result.error_message.as_ref().map(|m| m.as_str()),
                context,
            ));
        }
        let mut out: Vec<ConfigEntry> = result
            .configs
            .iter()
            .map(|c| {
                let source = ConfigSource::from_code(c.config_source);
                ConfigEntry {
                    name: c.name.as_str().to_owned(),
                    value: c.value.as_ref().map(|v| v.as_str().to_owned()),
                    source,
                    is_default: source == ConfigSource::Default,
                    read_only: c.read_only,
                    is_sensitive: c.is_sensitive,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}
