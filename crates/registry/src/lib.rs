//! ferry's schema registry, Confluent-API compatible.
//!
//! # Layout
//! - [`avro`]: Avro schemas: parsing, the normalised form the registry
//!   stores and compares, and compatibility verdicts that follow Java Avro's
//!   schema resolution.

pub mod avro;
