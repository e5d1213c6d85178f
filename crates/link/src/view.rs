//! What the link manager takes and gives: requests and descriptions shaped as
//! the Kafka REST v3 bodies of reference §4 (field names included), minus the
//! `kind`/`metadata` envelope, which the REST layer adds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::status::{LinkErrorCode, LinkState, MirrorStatus, MirrorTopicError, TaskState};

/// `POST /clusters/{id}/links?link_name=…` with its query flags.
#[derive(Debug, Clone, Default)]
pub struct CreateLink {
    /// The link's name (`link_name` query parameter).
    pub link_name: String,
    /// `source_cluster_id`: the source's cluster id, checked against the
    /// source when `validate_link` is true.
    pub source_cluster_id: Option<String>,
    /// `destination_cluster_id` (source-initiated links; not served yet).
    pub destination_cluster_id: Option<String>,
    /// `remote_cluster_id` (bidirectional links; not served yet).
    pub remote_cluster_id: Option<String>,
    /// `configs`, already flattened to a map.
    pub configs: BTreeMap<String, String>,
    /// `validate_only=true`: check everything, create nothing.
    pub validate_only: bool,
    /// `validate_link=false`: create even if the source cannot be reached.
    pub validate_link: bool,
}

/// One link task (`include_tasks=true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTask {
    /// `AclSync`, `AutoCreateMirror`, `ConsumerOffsetSync`, `TopicConfigsSync`.
    pub task_name: String,
    /// Its state.
    pub state: TaskState,
    /// Errors of its last run.
    pub errors: Vec<TaskError>,
}

/// An error of a task or a mirror state transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskError {
    /// e.g. `AUTHENTICATION_ERROR`, `MISCONFIGURATION_ERROR`, `INTERNAL_ERROR`.
    pub error_code: String,
    /// What went wrong, for people.
    pub error_message: String,
}

/// `category_counts[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    /// `ACTIVE`, `PAUSED`, `IN_ERROR`, `PENDING`, `NOT_APPLICABLE`.
    pub state_category: String,
    /// Mirror partitions in that category.
    pub count: u64,
}

/// `KafkaLinkData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDescription {
    /// The source cluster's id (destination-initiated links).
    pub source_cluster_id: Option<String>,
    /// The destination cluster's id (source-initiated links).
    pub destination_cluster_id: Option<String>,
    /// The remote cluster's id (bidirectional links).
    pub remote_cluster_id: Option<String>,
    /// Name.
    pub link_name: String,
    /// Deprecated alias of `cluster_link_id`, still sent by Confluent.
    pub link_id: String,
    /// The link's id (a UUID, base64url as Kafka prints topic ids).
    pub cluster_link_id: String,
    /// Mirror topics of this link.
    pub topic_names: Vec<String>,
    /// Error name; `NO_ERROR` when healthy.
    pub link_error: LinkErrorCode,
    /// Error text.
    pub link_error_message: Option<String>,
    /// State.
    pub link_state: LinkState,
    /// Tasks, only with `include_tasks=true`.
    pub tasks: Option<Vec<LinkTask>>,
    /// Mirror partitions by state category.
    pub category_counts: Option<Vec<CategoryCount>>,
}

/// One entry of a link's config listing (`KafkaLinkConfigData`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkConfigEntry {
    /// Config name.
    pub name: String,
    /// Value; `None` for sensitive configs, always.
    pub value: Option<String>,
    /// Whether the value is the default.
    pub is_default: bool,
    /// Whether it can be changed after creation.
    pub is_read_only: bool,
    /// Whether it is a secret.
    pub is_sensitive: bool,
    /// `DYNAMIC_CLUSTER_LINK_CONFIG` or `DEFAULT_CONFIG`.
    pub source: String,
    /// Synonyms (e.g. `link.prefix` for `cluster.link.prefix`).
    pub synonyms: Vec<String>,
}

/// One change of `PUT …/configs:alter` (or the single-config PUT/DELETE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkConfigChange {
    /// Set `name` to `value`.
    Set {
        /// Config name.
        name: String,
        /// New value.
        value: String,
    },
    /// Reset `name` to its default.
    Delete {
        /// Config name.
        name: String,
    },
}

/// `POST …/links/{l}/mirrors`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateMirror {
    /// The topic on the source.
    pub source_topic_name: String,
    /// The mirror's name; defaults to `<cluster.link.prefix><source_topic_name>`.
    pub mirror_topic_name: Option<String>,
    /// Accepted and ignored beyond validation: ferry is single-node.
    pub replication_factor: Option<i32>,
    /// Independent topic configs set on the mirror.
    pub configs: BTreeMap<String, String>,
}

/// `mirror_lags[]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorLag {
    /// Partition.
    pub partition: i32,
    /// Source log end (as last seen) minus mirror log end.
    pub lag: i64,
    /// Last source offset fetched; -1 before the first fetch.
    pub last_source_fetch_offset: i64,
}

/// `KafkaMirrorData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorDescription {
    /// Owning link.
    pub link_name: String,
    /// The mirror topic.
    pub mirror_topic_name: String,
    /// The source topic.
    pub source_topic_name: String,
    /// Partition count.
    pub num_partitions: i32,
    /// Per-partition lag.
    pub mirror_lags: Vec<MirrorLag>,
    /// State.
    pub mirror_status: MirrorStatus,
    /// Error name when FAILED (`NO_ERROR` otherwise).
    pub mirror_topic_error: MirrorTopicError,
    /// When the state last changed (ms since the epoch).
    pub state_time_ms: i64,
    /// Only with `include_state_transition_errors=true`.
    pub mirror_state_transition_errors: Option<Vec<TaskError>>,
}

/// Which mirror action (`mirrors:<action>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MirrorAction {
    /// Final sync, then STOPPED (refused while lagging and the source is reachable).
    Promote,
    /// STOPPED now, whatever the lag.
    Failover,
    /// Stop fetching; stay read-only.
    Pause,
    /// Fetch again.
    Resume,
}

impl MirrorAction {
    /// The path segment after `mirrors:`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "promote" => Some(Self::Promote),
            "failover" => Some(Self::Failover),
            "pause" => Some(Self::Pause),
            "resume" => Some(Self::Resume),
            _ => None,
        }
    }
}

/// Which mirrors an action applies to (`AlterMirrorsRequestData`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MirrorSelection {
    /// `mirror_topic_names`.
    pub names: Vec<String>,
    /// `mirror_topic_name_pattern`: a regex over mirror names (`.*`).
    pub pattern: Option<String>,
}

/// One topic's outcome of an action (`AlterMirrorsData`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlterMirrorResult {
    /// The mirror.
    pub mirror_topic_name: String,
    /// HTTP-like code (400, 404) when this topic failed, else null.
    pub error_code: Option<i32>,
    /// Why it failed.
    pub error_message: Option<String>,
    /// Lags at the time of the action.
    pub mirror_lags: Vec<MirrorLag>,
    /// Always null (truncate-and-restore only).
    pub messages_truncated: Option<i64>,
    /// Always empty (truncate-and-restore only).
    pub partition_level_truncation_data: Vec<serde_json::Value>,
}
