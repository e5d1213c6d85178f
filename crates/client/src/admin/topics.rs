//! CreateTopics, DeleteTopics, CreatePartitions, topic listing.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::{CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use crate::client::{Client, TopicMetadata, topic_name};
use crate::error::{Error, Result};

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    /// Name.
    pub name: String,
    /// Partition count; -1 takes the broker's `num.partitions`.
    pub partitions: i32,
    /// Replication factor; -1 takes the broker's default.
    pub replication_factor: i16,
    /// Topic configs (`cleanup.policy`, `retention.ms`, …).
    pub configs: BTreeMap<String, String>,
}

impl NewTopic {
    /// A topic with `partitions` partitions and the broker's default replication.
    pub fn new(name: &str, partitions: i32) -> Self {
        Self {
            name: name.to_owned(),
            partitions,
            replication_factor: -1,
            configs: BTreeMap::new(),
        }
    }
}

/// Kafka's TOPIC_ALREADY_EXISTS.
const TOPIC_ALREADY_EXISTS: i16 = 36;
/// Kafka's UNKNOWN_TOPIC_OR_PARTITION.
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
/// Kafka's UNKNOWN_TOPIC_ID.
const UNKNOWN_TOPIC_ID: i16 = 100;

impl Client {
    /// Creates a topic and returns its id (nil when the broker does not report one).
    ///
    /// # Errors
    /// [`Error::TopicAlreadyExists`], or the broker's error (invalid config,
    /// invalid partitions, policy violation) with its message.
    pub async fn create_topic(&self, topic: &NewTopic) -> Result<Uuid> {
        let timeout_ms = i32::try_from(self.config().request_timeout.as_millis()).unwrap_or(30_000);
        let request = CreateTopicsRequest::default()
            .with_timeout_ms(timeout_ms)
            .with_topics(vec![
                CreatableTopic::default()
                    .with_name(topic_name(&topic.name))
                    .with_num_partitions(topic.partitions)
                    .with_replication_factor(topic.replication_factor)
                    .with_configs(
                        topic
                            .configs
                            .iter()
                            .map(|(k, v)| {
                                CreatableTopicConfig::default()
                                    .with_name(StrBytes::from_string(k.clone()))
                                    .with_value(Some(StrBytes::from_string(v.clone())))
                            })
                            .collect(),
                    ),
            ]);
        let context = format!("create topic '{}'", topic.name);
        let response = self
            .retry(&context, || async {
                self.controller().await?.call(&request).await
            })
            .await?;
        let result = response
            .topics
            .iter()
            .find(|t| t.name.0.as_str() == topic.name)
            .ok_or_else(|| {
                Error::Protocol(format!("CreateTopics response lacks '{}'", topic.name))
            })?;
        match result.error_code {
            0 => Ok(result.topic_id),
            TOPIC_ALREADY_EXISTS => Err(Error::TopicAlreadyExists(topic.name.clone())),
            code => Err(Error::kafka(
                code,
                result.error_message.as_ref().map(|m| m.as_str()),
                context,
            )),
        }
    }

    /// Deletes a topic.
    ///
    /// # Errors
    /// [`Error::UnknownTopic`], or the broker's error.
    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        let timeout_ms = i32::try_from(self.config().request_timeout.as_millis()).unwrap_or(30_000);
        let request = DeleteTopicsRequest::default()
            .with_timeout_ms(timeout_ms)
            .with_topic_names(vec![topic_name(name)])
            .with_topics(vec![
                DeleteTopicState::default().with_name(Some(topic_name(name))),
            ]);
        let context = format!("delete topic '{name}'");
        let response = self
            .retry(&context, || async {
                self.controller().await?.call(&request).await
            })
            .await?;
        let result = response
            .responses
            .iter()
            .find(|t| t.name.as_ref().is_some_and(|n| n.0.as_str() == name))
            .or(response.responses.first())
            .ok_or_else(|| Error::Protocol(format!("DeleteTopics response lacks '{name}'")))?;
        self.forget_topics();
        match result.error_code {
            0 => Ok(()),
            UNKNOWN_TOPIC_OR_PARTITION | UNKNOWN_TOPIC_ID => {
                Err(Error::UnknownTopic(name.to_owned()))
            }
            code => Err(Error::kafka(
                code,
                result.error_message.as_ref().map(|m| m.as_str()),
                context,
            )),
        }
    }

    /// Raises a topic's partition count to `total`.
    ///
    /// # Errors
    /// [`Error::UnknownTopic`], or the broker's error (e.g. INVALID_PARTITIONS
    /// when `total` is not larger than the current count).
    pub async fn create_partitions(&self, name: &str, total: i32) -> Result<()> {
        let timeout_ms = i32::try_from(self.config().request_timeout.as_millis()).unwrap_or(30_000);
        let request = CreatePartitionsRequest::default()
            .with_timeout_ms(timeout_ms)
            .with_topics(vec![
                CreatePartitionsTopic::default()
                    .with_name(topic_name(name))
                    .with_count(total),
            ]);
        let context = format!("create partitions for topic '{name}'");
        let response = self
            .retry(&context, || async {
                self.controller().await?.call(&request).await
            })
            .await?;
        self.forget_topics();
        let result = response
            .results
            .first()
            .ok_or_else(|| Error::Protocol("CreatePartitions response is empty".into()))?;
        match result.error_code {
            0 => Ok(()),
            UNKNOWN_TOPIC_OR_PARTITION => Err(Error::UnknownTopic(name.to_owned())),
            code => Err(Error::kafka(
                code,
                result.error_message.as_ref().map(|m| m.as_str()),
                context,
            )),
        }
    }

    /// Every topic in the cluster, sorted by name.
    ///
    /// # Errors
    /// Connection errors.
    pub async fn list_topics(&self, include_internal: bool) -> Result<Vec<TopicMetadata>> {
        let md = self
            .retry("list topics", || async {
                self.refresh_metadata(None).await
            })
            .await?;
        Ok(md
            .topics
            .values()
            .filter(|t| include_internal || !t.is_internal)
            .cloned()
            .collect())
    }
}
