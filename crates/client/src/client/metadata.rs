//! The cluster as Metadata describes it: brokers, topics, partition leaders.

use std::collections::BTreeMap;

use kafka_protocol::messages::MetadataResponse;
use uuid::Uuid;

/// One broker's advertised address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    /// `node.id`.
    pub node_id: i32,
    /// Advertised host.
    pub host: String,
    /// Advertised port.
    pub port: i32,
    /// `broker.rack`, if set.
    pub rack: Option<String>,
}

impl BrokerInfo {
    /// `host:port`, the form connections are opened with.
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One partition's placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionMetadata {
    /// Partition index.
    pub partition: i32,
    /// Leader node id; -1 when there is none.
    pub leader: i32,
    /// Leader epoch (-1 when the broker does not report it).
    pub leader_epoch: i32,
    /// Replica node ids.
    pub replicas: Vec<i32>,
    /// In-sync replica node ids.
    pub isr: Vec<i32>,
    /// Offline replica node ids.
    pub offline_replicas: Vec<i32>,
    /// Non-zero Kafka error code for this partition (e.g. LEADER_NOT_AVAILABLE).
    pub error_code: i16,
}

/// One topic's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMetadata {
    /// Topic name.
    pub name: String,
    /// Topic id (nil when the broker predates topic ids).
    pub topic_id: Uuid,
    /// True for internal topics such as `__consumer_offsets`.
    pub is_internal: bool,
    /// Partitions, sorted by index.
    pub partitions: Vec<PartitionMetadata>,
    /// Non-zero Kafka error code for the topic.
    pub error_code: i16,
}

impl TopicMetadata {
    /// The partition with index `partition`.
    pub fn partition(&self, partition: i32) -> Option<&PartitionMetadata> {
        self.partitions.iter().find(|p| p.partition == partition)
    }
}

/// A snapshot of the cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterMetadata {
    /// The cluster id (Kafka's 22-character base64 form).
    pub cluster_id: Option<String>,
    /// The controller's node id (-1 when unknown).
    pub controller_id: i32,
    /// Brokers by node id.
    pub brokers: BTreeMap<i32, BrokerInfo>,
    /// Topics by name. Holds only the topics fetched so far, unless the last
    /// refresh asked for all of them.
    pub topics: BTreeMap<String, TopicMetadata>,
}

impl ClusterMetadata {
    /// Merges a Metadata response: brokers and controller are replaced, the
    /// topics in the response replace their cached entries, and when
    /// `all_topics` the topics absent from it are dropped.
    pub(crate) fn merge(&mut self, response: &MetadataResponse, all_topics: bool) {
        self.cluster_id = response.cluster_id.as_ref().map(|c| c.as_str().to_owned());
        self.controller_id = response.controller_id.0;
        self.brokers = response
            .brokers
            .iter()
            .map(|b| {
                (
                    b.node_id.0,
                    BrokerInfo {
                        node_id: b.node_id.0,
                        host: b.host.as_str().to_owned(),
                        port: b.port,
                        rack: b.rack.as_ref().map(|r| r.as_str().to_owned()),
                    },
                )
            })
            .collect();
        if all_topics {
            self.topics.clear();
        }
        for t in &response.topics {
            let Some(name) = t.name.as_ref().map(|n| n.0.as_str().to_owned()) else {
                continue;
            };
            let mut partitions: Vec<PartitionMetadata> = t
                .partitions
                .iter()
                .map(|p| PartitionMetadata {
                    partition: p.partition_index,
                    leader: p.leader_id.0,
                    leader_epoch: p.leader_epoch,
                    replicas: p.replica_nodes.iter().map(|b| b.0).collect(),
                    isr: p.isr_nodes.iter().map(|b| b.0).collect(),
                    offline_replicas: p.offline_replicas.iter().map(|b| b.0).collect(),
                    error_code: p.error_code,
                })
                .collect();
            partitions.sort_by_key(|p| p.partition);
            // A topic the broker does not know is forgotten rather than cached.
            if t.error_code == 3 {
                self.topics.remove(&name);
                continue;
            }
            self.topics.insert(
                name.clone(),
                TopicMetadata {
                    name,
                    topic_id: t.topic_id,
                    is_internal: t.is_internal,
                    partitions,
                    error_code: t.error_code,
                },
            );
        }
    }

    /// The topic named `name`, if cached.
    pub fn topic(&self, name: &str) -> Option<&TopicMetadata> {
        self.topics.get(name)
    }

    /// The name of the topic with id `id`, if cached.
    pub fn topic_name_by_id(&self, id: Uuid) -> Option<&str> {
        self.topics
            .values()
            .find(|t| t.topic_id == id && !id.is_nil())
            .map(|t| t.name.as_str())
    }
}
