//! A Kafka-protocol client for ferry's CLI and, later, its cluster-link engine.
//!
//! It speaks to any Kafka-compatible cluster (Apache Kafka, Confluent, Redpanda,
//! ferry itself) through the [`kafka_protocol`] crate's messages, and hands
//! fetched record batches back **verbatim** so that a mirror can append them
//! byte for byte.
//!
//! # Layout
//! - [`config`]: [`ClientConfig`], including Kafka client property names.
//! - [`connection`]: one broker connection — TCP/TLS, ApiVersions, SASL,
//!   pipelined requests by correlation id.
//! - [`client`]: [`Client`] — bootstrap, metadata cache, leader routing, retries.
//! - [`admin`]: topics, configs, partitions, groups, offsets.
//! - [`produce`] and [`fetch`]: records in and out; [`records`] decodes fetched
//!   batches for display (aborted transactions and control batches skipped).
//! - [`group`]: a consumer-group member (JoinGroup/SyncGroup/Heartbeat, range
//!   assignor, offsets) whose metadata Kafka's own tools can read.

//!
//! # Example
//! ```no_run
//! use ferry_client::{Client, ClientConfig, IsolationLevel};
//! # async fn demo() -> ferry_client::Result<()> {
//! let mut config = ClientConfig::new("source.example.com:9093");
//! config.apply_properties_file(std::path::Path::new("link-config.properties"))?;
//! let client = Client::connect(config).await?;
//! let topic = client.topic_metadata("orders").await?;
//! let fetched = client
//!     .fetch_raw("orders", 0, 0, 1 << 20, IsolationLevel::ReadUncommitted)
//!     .await?;
//! // `fetched.records` holds the source's batches byte for byte.
//! println!("{} partitions, hw {}", topic.partitions.len(), fetched.high_watermark);
//! # Ok(()) }
//! ```
//!
//! # Hostile input
//! kafka-protocol sizes arrays from counts on the wire before reading them.
//! Programs using this crate against untrusted brokers must install
//! [`ferry_protocol::guard::GuardedAllocator`] as the global allocator (the
//! `ferry` binary does, and so do these tests) so that an absurd count turns into
//! a decode error instead of an aborting allocation.

#[cfg(test)]
#[global_allocator]
static ALLOC: ferry_protocol::guard::GuardedAllocator = ferry_protocol::guard::GuardedAllocator;

pub mod admin;
pub mod client;
pub mod config;
pub mod connection;
pub mod error;
pub mod fetch;
pub mod group;
pub mod produce;
pub mod records;

pub use client::{BrokerInfo, Client, ClusterMetadata, PartitionMetadata, TopicMetadata};
pub use config::{ClientConfig, SaslMechanism, SecurityProtocol};
pub use connection::BrokerConnection;
pub use error::{Error, Result};
pub use fetch::{FetchOptions, FetchTarget, FetchedPartition, IsolationLevel};
pub use produce::{Acks, ProduceAck, ProduceRecord};
pub use records::ConsumerRecord;
