//! Kafka wire-protocol glue for ferry.
//!
//! ferry speaks the Kafka protocol through the [`kafka_protocol`] crate, which is
//! generated from Kafka's message specs. This crate holds what that crate leaves to
//! its users, and what every other ferry crate needs on the wire:
//!
//! - [`frame`]: the 4-byte size prefix, with a frame-size cap so that a hostile
//!   size cannot make us buffer gigabytes.
//! - [`request`]: a guarded request-header parse (the crate's own header decoder
//!   slices without checking lengths) and response encoding.
//! - [`guard`]: the global allocator that keeps hostile array counts from aborting
//!   the process (see its docs for why this is needed at all).
//! - [`batch`]: a zero-copy view of record-batch headers (magic v2), CRC-32C
//!   checks, and an iterator that walks concatenated batches and stops at a
//!   truncated tail. Batches are never decoded or re-encoded on the data path:
//!   mirror topics depend on their bytes staying the same.
//!
//! # Layout
//! The crate does no IO; it operates on `Bytes` only.

pub mod batch;
pub mod frame;
pub mod guard;
pub mod request;

pub use batch::{BatchError, BatchHeader, BatchIter, Compression};
pub use frame::{DEFAULT_MAX_FRAME_BYTES, FrameCodec};
pub use request::{RequestError, RequestFrame, encode_response};
