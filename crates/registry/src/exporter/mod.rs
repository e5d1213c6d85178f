//! Schema exporters (schema linking, reference §7): copy this registry's
//! schemas, with their ids and versions, to another Confluent-compatible
//! registry and keep following them.
//!
//! - [`model`]: the definition, validation, subject patterns, destination
//!   names (contexts and `subjectRenameFormat`), secret masking.
//! - [`status`]: STARTING, RUNNING, PAUSED, ERROR with offset, ts, trace.
//! - [`persist`]: the `_schema_exporters` topic (definitions and statuses).
//! - [`destination`]: the writes at the destination, each idempotent.
//! - `engine`: one task per running exporter, following `_schemas`.
//! - [`manager`]: [`Exporters`], the operations the REST API calls.

pub mod destination;
mod engine;
pub mod error;
pub mod manager;
pub mod model;
pub mod persist;
pub mod status;

pub use manager::Exporters;
pub use model::{ContextType, ExporterDefinition, ExporterRequest, auto_context};
pub use persist::{EXPORTERS_TOPIC, ExporterLog};
pub use status::{ExporterState, ExporterStatus};
