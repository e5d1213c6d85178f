//! ferry's managed connectors: `DatagenSource` connectors running inside
//! `ferry server`, the analog of Confluent Cloud's managed "DataGen Source"
//! connector, driven through Kafka Connect's REST API (served by
//! `ferry-rest`) and `ferry connect cluster …`.
//!
//! # Layout
//! - [`manager`]: [`ConnectorManager`], the operations (create, pause,
//!   resume, restart, delete, status), what the REST layer calls.
//! - [`task`]: the one task per connector: topic, schema, paced records.
//! - [`source`]: what the task needs of a generator; `datagen`: the
//!   implementation over `ferry_datagen`.
//! - [`sink`]: appends to the local broker's partitions (murmur2 keys).
//! - [`store`]: `<data_dir>/connectors/<name>.json`; [`resume`]: where a
//!   resumed connector continues.
//! - [`registrar`]: [`SchemaRegistrar`], how value schemas get registered.
//! - [`view`]: Connect's JSON shapes; [`error`]: [`ConnectError`].
//!
//! # Wiring (what `ferry server` does)
//! ```text
//! let connectors = ConnectorManager::open(Arc::clone(server.broker()), registrar).await?;
//! // REST: RestServer::with_connectors(rest, Arc::clone(&connectors))
//! // at shutdown, before the broker stops:
//! connectors.shutdown().await;
//! ```
//!
//! # Behaviour
//! - One task per connector (`tasks.max` must be 1, as for Confluent
//!   Cloud's DatagenSource). It writes in-process into the local broker:
//!   the topic is created with the broker's defaults when missing; keyed
//!   records go where Kafka's default partitioner puts them.
//! - Values are framed in the Confluent wire format with the id of the
//!   value schema, registered under `<topic>-value` (TopicNameStrategy)
//!   when the task starts. Records carry Connect's headers
//!   `task.generation`, `task.id`, `current.iteration` (decimal text).
//! - Pacing: a random wait in `[0, max.interval)` ms per record.
//! - `iterations`: after that many records the task stops producing and
//!   shows FAILED with Confluent's trace ("Stopping connector: generated
//!   the configured N number of messages"); the connector stays RUNNING.
//!   That is what Kafka Connect shows for the Java task, which throws at
//!   the limit.
//! - Persistence and restart: the configuration, the paused flag, the
//!   count of records produced and the random seed are saved (every second
//!   while running, and at every pause and stop). A restarted server
//!   resumes each connector where it was: iterations (order ids) continue,
//!   taking the topic's last `current.iteration` header when the saved
//!   count lags after a crash. Paused connectors stay paused.
//! - A FAILED task stays failed until `POST …/restart` (or a config
//!   update); `resume` only lifts a pause, as in Connect.

pub mod config;
mod datagen;
pub mod error;
pub mod manager;
pub mod registrar;
pub mod resume;
pub mod sink;
pub mod source;
pub mod store;
mod task;
pub mod view;

pub use error::ConnectError;
pub use manager::ConnectorManager;
pub use registrar::{RegisterFuture, SchemaRegistrar};
