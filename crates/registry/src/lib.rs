//! ferry's schema registry, Confluent-API compatible.
//!
//! # Layout
//! - [`avro`]: Avro schemas: parsing, the normalised form the registry
//!   stores and compares, and compatibility verdicts that follow Java Avro's
//!   schema resolution.
//! - [`schema`]: per-type parsing (AVRO, JSON, PROTOBUF) and what is enforced.
//! - [`subject`]: qualified subjects and contexts (`:.ctx:subject`).
//! - [`record`]: the `_schemas` records (Confluent's key/value format).
//! - [`log`]: [`SchemaLog`], the `_schemas` topic on the local broker or on
//!   any Kafka cluster.
//! - [`state`]: the fold of the log; [`store`]: [`Registry`], the operations.
//! - [`client`]: [`client::RegistryClient`], a client of any
//!   Confluent-compatible registry (exporters, the CLI).
//! - [`exporter`]: schema exporters (schema linking): definitions, the
//!   `_schema_exporters` topic, one export task per running exporter,
//!   writes to the destination through [`client::RegistryClient`].
//! - `routes`: the HTTP API; [`auth`]: HTTP Basic; [`server`]:
//!   [`RegistryServer`].
//!
//! # Wiring (what `ferry server` does)
//! ```text
//! let registry = RegistryServer::from_broker(Arc::clone(server.broker())).await?;
//! for addr in registry.local_addrs() {
//!     println!("ferry server: schema registry listener on {addr}");
//! }
//! tokio::join!(server.run(stopped()), rest.run(stopped()), registry.run(stopped()));
//! ```

//! # Choices
//! - Storage: the records are Confluent's (see [`record`]), subjects stored
//!   qualified. The local store appends to `_schemas` through the partition
//!   log and fsyncs before answering; the remote store produces with
//!   `acks=all`. Every write is folded back from the log before the HTTP
//!   answer, so the in-memory state is always the fold a restart rebuilds.
//! - IDs are per context: the next id is one more than the highest id the
//!   fold ever saw in that context, including versions since deleted
//!   permanently (their SCHEMA record precedes the tombstone in the log).
//!   Once compaction removes both, such an id could come back; ferry does
//!   not compact yet.
//! - The same schema (same type, same canonical form, same references)
//!   registered in another subject of the same context gets the same id,
//!   also when the earlier one was soft deleted.
//! - Compatibility at the subject's level (subject, then context `:.ctx:`,
//!   then global, then BACKWARD): AVRO by [`avro::check`] (Java Avro's
//!   schema resolution), JSON by [`json::check`] (Confluent's JSON Schema
//!   diff), PROTOBUF by [`protobuf::check`] (Confluent's Protobuf diff); a
//!   change of schema type is refused at every level but NONE.
//! - Modes resolve the same way (subject, context, global, READWRITE).
//!   Registration with an `id` needs IMPORT; without one, READWRITE; READONLY
//!   also refuses deletes. IMPORT stores the text verbatim, unchecked.
//! - Unqualified `GET /schemas/ids/{id}` looks in the default context, then
//!   in the other contexts when exactly one schema holds the id there.
//! - `GET /subjects` lists every context's subjects (`subjectPrefix`
//!   narrows it, `:*:` means all).
//! - Authentication: HTTP Basic when the broker requires SASL ([`auth`]).
//! - Exporters (see [`exporter`]) follow `_schemas` itself, in offset order,
//!   from an offset persisted in a separate compacted topic
//!   (`_schema_exporters`; `<topic>_exporters` for a non-default store
//!   topic), so a restart of either side resumes without loss, and replays
//!   are harmless (registrations carry their id and version). AUTO context:
//!   `.lsrc-` + the Kafka cluster id's letters and digits. Destination
//!   config: `schema.registry.url` (first of the list),
//!   `basic.auth.credentials.source` USER_INFO or URL,
//!   `basic.auth.user.info`, `schema.registry.ssl.truststore.location` (a
//!   PEM file); other auth schemes are refused (40951). A failing
//!   destination puts the exporter in ERROR (with the failure as trace) and
//!   it retries with backoff (up to 2 s) until RUNNING again. Credentials
//!   are stored unencrypted in the exporters' topic and shown as `[hidden]`.
//!   With a shared remote store, every ferry serving it runs the exporters
//!   (their writes are idempotent, but they are not coordinated).
//!
//! # Not there yet
//! `metadata`/`ruleSet`,
//! the `format` query parameter, https listeners, `DELETE /contexts/{ctx}`.

pub mod auth;
pub mod avro;
pub mod client;
pub mod error;
pub mod exporter;
pub mod json;
pub mod log;
pub mod protobuf;
pub mod record;
mod routes;
pub mod schema;
pub mod server;
pub mod state;
pub mod store;
pub mod subject;
pub mod types;

pub use auth::RegistryAuth;
pub use error::{ApiError, RegistryError};
pub use log::{KafkaSchemaLog, LocalSchemaLog, SchemaLog};
pub use server::RegistryServer;
pub use store::Registry;
