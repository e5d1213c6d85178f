//! The JSON shapes of Kafka Connect's REST API, shared by the server
//! (`ferry-rest`) and the CLI (`ferry connect …`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A connector's or task's state, spelled as Connect spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Working (or, for a connector, its tasks are in charge).
    Running,
    /// Stopped by `PUT …/pause` until `PUT …/resume`.
    Paused,
    /// Stopped by an error; the `trace` says which. `POST …/restart` or
    /// `PUT …/resume` tries again.
    Failed,
    /// Being set up.
    Unassigned,
}

impl State {
    /// Connect's spelling (`RUNNING`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Failed => "FAILED",
            Self::Unassigned => "UNASSIGNED",
        }
    }
}

/// `{"connector": name, "task": n}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskId {
    /// The connector's name.
    pub connector: String,
    /// The task's number (always 0 in ferry).
    pub task: u32,
}

/// `GET /connectors/{name}` and the answer to a create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorInfo {
    /// The name.
    pub name: String,
    /// The configuration as given (with `name`).
    pub config: BTreeMap<String, String>,
    /// Its tasks.
    pub tasks: Vec<TaskId>,
    /// `source`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The connector's part of a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorState {
    /// Its state.
    pub state: State,
    /// Where it runs (`host:port` of the Kafka listener ferry advertises).
    pub worker_id: String,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// One task's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskState {
    /// The task's number.
    pub id: u32,
    /// Its state.
    pub state: State,
    /// Where it runs.
    pub worker_id: String,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// `GET /connectors/{name}/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorStatus {
    /// The name.
    pub name: String,
    /// The connector's state.
    pub connector: ConnectorState,
    /// Each task's state.
    pub tasks: Vec<TaskState>,
    /// `source`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// One entry of `GET /connectors/{name}/tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInfo {
    /// Which task.
    pub id: TaskId,
    /// Its configuration.
    pub config: BTreeMap<String, String>,
}

/// The body of `POST /connectors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateConnector {
    /// The name.
    pub name: String,
    /// The configuration.
    pub config: BTreeMap<String, String>,
}

/// One entry of `GET /connector-plugins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// The class name to put in `connector.class`.
    pub class: String,
    /// `source`.
    #[serde(rename = "type")]
    pub kind: String,
    /// ferry's version.
    pub version: String,
}

/// One entry of `GET /connectors/{name}/offsets`: the source partition
/// (`{"task.id": 0}`) and its offset as Confluent's datagen task stores it
/// (`current.iteration`, `task.generation`, `random.seed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceOffset {
    /// `{"task.id": 0}`.
    pub partition: BTreeMap<String, i64>,
    /// `current.iteration` (records produced), `task.generation`, and
    /// `random.seed` once saved.
    pub offset: BTreeMap<String, i64>,
}

/// `GET /connectors/{name}/offsets` (Kafka Connect 3.5's shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorOffsets {
    /// One entry per task.
    pub offsets: Vec<SourceOffset>,
}
