//! ferry's partition log: record batches stored verbatim in segment files.
//!
//! A [`PartitionLog`] owns one partition directory. It stores Kafka record
//! batches (magic v2) exactly as they arrive: a leader append only rewrites
//! the base offset and partition leader epoch, which sit outside the CRC; a
//! mirror append ([`PartitionLog::append_at_offsets`]) rewrites nothing, so
//! mirror topics serve the very bytes their source cluster wrote, at the same
//! offsets. Nothing is ever decoded or re-encoded on the data path; only
//! [`PartitionLog::offset_for_timestamp`] and
//! [`PartitionLog::max_timestamp_offset`] decode the one batch that holds
//! their answer.
//!
//! # On disk (Kafka's layout, so operators recognise it)
//! ```text
//! <dir>/00000000000000000000.log        batches, concatenated
//!      /00000000000000000000.index      sparse offset index: (relative offset u32 BE, position u32 BE)
//!      /00000000000000000000.timeindex  time index: (max timestamp i64 BE, relative offset u32 BE)
//!      /00000000000000004213.log …      the next segment, named by its base offset
//!      /log-start-offset                "0\n<log start offset>\n"
//!      /clean-shutdown                  present only between close() and the next open()
//! ```
//! Indexes are caches, rebuilt whenever missing or inconsistent.
//!
//! # Durability
//! Appends are plain positional writes: like Kafka, the page cache carries
//! them across a process crash, and [`PartitionLog::flush`] fsyncs. After a
//! kill -9, [`PartitionLog::open`] CRC-checks the active segment and cuts
//! it at the first torn or invalid batch.
//!
//! # Layout
//! Decisions are pure functions, tested without IO, in the style of
//! tikv/raft-rs; IO lives in `segment`, `scan` and `checkpoint`.
//! - `index`, `time_index`: the two sparse indexes as data (format, lookup).
//! - `indexer`: when entries are added (shared by appends and rebuilds).
//! - `recovery`: accepting or cutting the batch at a scan position; the log
//!   start on open.
//! - `roll`, `retention`: when to roll; which segments retention deletes.
//! - `batches`: validating, offset assignment, mirror order, append summary.
//! - `read_plan`: which bytes of a buffer a read returns.
//! - `timestamp`: exact record lookups inside one decoded batch.
//! - `segment`, `scan`, `checkpoint`: the files.
//! - `log`: [`PartitionLog`], tying segments together.

mod batches;
mod checkpoint;
mod config;
mod error;
mod index;
mod indexer;
mod log;
mod read_plan;
mod recovery;
mod retention;
mod roll;
mod scan;
mod segment;
#[cfg(test)]
mod test_batches;
mod time_index;
mod timestamp;

pub use batches::AppendInfo;
pub use config::LogConfig;
pub use error::LogError;
pub use ferry_protocol::BatchHeader;
pub use log::{PartitionLog, RecoveryReport};

#[cfg(test)]
mod tests {
    /// The broker shares logs across tasks behind a `RwLock`.
    #[test]
    fn partition_log_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::PartitionLog>();
        assert_send_sync::<crate::LogError>();
    }
}
