//! ferry's data generator: the engine behind managed `DatagenSource`
//! connectors and `ferry datagen`.
//!
//! - [`Generator`] makes random records for any Avro schema annotated with
//!   `arg.properties` (the Avro Random Generator's hints: options,
//!   iteration, range, length, regex, prefix, suffix, keys, odds), seeded and
//!   resumable like Confluent's datagen task ([`GeneratorState`]).
//! - [`Quickstart`] holds all 38 of Confluent's quickstart schemas (ORDERS,
//!   USERS, PAGEVIEWS, STOCK_TRADES, CLICKSTREAM, ...) with their key fields.
//! - [`DatagenConfig`] parses and validates a connector config.
//! - [`ValueEncoder`] writes values as AVRO, JSON_SR, PROTOBUF (Confluent
//!   wire format, with the schema to register) or plain JSON.
//!
//! The crate does no IO: the connector runtime (a task that sleeps up to
//! `max.interval`, registers [`ValueEncoder::schema_text`] under
//! `<topic>-value`, produces `encode_key`/`encode` bytes and persists
//! [`Generator::state`]) lives in the server.
//!
//! ```
//! use ferry_datagen::{Generator, OutputFormat, Quickstart, ValueEncoder};
//!
//! let mut generator = Generator::new(Quickstart::Orders.schema(), Some(42))?
//!     .with_key_field(Quickstart::Orders.key_field())?;
//! let encoder = ValueEncoder::new(OutputFormat::Avro, &generator)?;
//! let record = generator.next_record()?;
//! assert_eq!(record.key.as_deref(), Some("0"));
//! let bytes = encoder.encode(&record.value, 1)?;
//! assert_eq!(&bytes[..5], &[0, 0, 0, 0, 1]);
//! # Ok::<(), ferry_datagen::DatagenError>(())
//! ```

pub mod config;
pub mod error;
pub mod format;
mod generator;
mod hints;
mod iteration;
mod options;
pub mod quickstart;
pub mod random;
mod regex_gen;
pub mod schema_text;
mod tree;

pub use config::{DatagenConfig, SchemaSource};
pub use error::DatagenError;
pub use format::{OutputFormat, ValueEncoder, encode_key, frame};
pub use generator::{Generator, GeneratorState, Record, task_seed};
pub use quickstart::Quickstart;
