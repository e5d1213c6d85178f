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

pub mod auth;
pub mod avro;
pub mod error;
pub mod log;
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
