//! ferry's cluster links.
//!
//! A link lives on the destination cluster and pulls from a source cluster:
//! for every mirror topic, fetchers send Fetch to the source partition's
//! leader and append the record batches they get back, verbatim, at the
//! source's offsets (the log's append-at-offset path). Nothing is decoded or
//! recompressed; offsets, timestamps, headers, transactional batches and
//! control markers arrive as the source wrote them.
//!
//! # Layout
//! - [`config`]: the link config catalogue (Confluent's keys and defaults),
//!   validation, sensitive values; [`properties`]: `link-config.properties` and
//!   `--config k=v,…` as the `confluent` CLI parses them; [`filter`]: the topic
//!   and group filter JSON grammar.
//! - [`status`]: link and mirror states and error names; [`view`]: requests
//!   and descriptions shaped as the REST v3 bodies; [`error`]: [`LinkError`].
//! - [`manager`]: [`LinkManager`], what the REST API calls: create, describe,
//!   alter and delete links and mirrors.
//! - `store`: links and mirror states persisted under `<data_dir>/links/`.
//! - `runtime`: one running link: source client, discovery (auto-create,
//!   partition growth, deleted source topics), mirror fetchers, consumer
//!   offset sync, topic config sync, availability.
//! - [`metrics`]: Prometheus text for `/metrics`.

pub mod config;
pub mod error;
pub mod filter;
pub mod manager;
pub mod metrics;
pub mod properties;
pub mod status;
pub mod view;

mod runtime;
mod store;

pub use error::LinkError;
pub use manager::LinkManager;
