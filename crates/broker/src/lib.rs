//! ferry's Kafka-protocol broker.
//!
//! A single-node broker that stock Kafka clients use unchanged. Record batches
//! are stored verbatim by [`ferry_log`], at the offsets they were given; mirror
//! topics (cluster links) append the source's batches at the source's offsets
//! through the same log.
//!
//! # Layout
//! - [`config`]: `server.properties` parsing (Kafka's broker config names) and the
//!   topic-level config catalogue with defaults, used by DescribeConfigs.
//! - [`server`]: binds the listeners, accepts connections, shuts down on signal.
//! - `connection`: one client connection: frames in, responses out in request
//!   order, TLS and SASL state.
//! - `api`: one file per Kafka API, as mini-redis has one file per command.
//!   `api/mod.rs` holds the dispatch table and the versions ferry advertises.
//! - [`state`]: the broker's shared state: cluster id, topic catalogue.
//! - [`topic`] / [`partition`]: topics and their partitions (log, producer
//!   state, transaction index, waiters for long-poll fetches).
//! - `group`: the consumer-group coordinator (classic protocol) and offsets.
//! - `txn`: idempotent-producer ids and the transaction coordinator.
//! - [`mirror`]: the mark a cluster link puts on the topics it mirrors into,
//!   which makes them read-only for clients.

pub mod config;
pub mod group;
pub mod mirror;
pub mod partition;
pub mod server;
pub mod state;
pub mod topic;
pub mod txn;

mod api;
mod connection;
mod sasl;

pub use config::BrokerConfig;
pub use server::Server;
pub use state::Broker;
