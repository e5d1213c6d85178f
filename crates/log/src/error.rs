//! The log's error type.

use std::path::PathBuf;

use ferry_protocol::BatchError;

/// Why a log operation failed.
///
/// The broker maps these to Kafka error codes: [`LogError::Batch`] to
/// `CORRUPT_MESSAGE`, [`LogError::OffsetOutOfRange`] to `OFFSET_OUT_OF_RANGE`,
/// [`LogError::OffsetOutOfOrder`] to `OUT_OF_ORDER_SEQUENCE_NUMBER`/`INVALID_RECORD`
/// (mirror fetchers treat it as a divergence), and the IO and corruption
/// variants to `KAFKA_STORAGE_ERROR`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// A file operation failed; `path` says which file or directory.
    #[error("log IO error on {path}: {source}")]
    Io {
        /// The file or directory being accessed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Appended bytes are not valid record batches (bad CRC, counts, magic,
    /// a truncated tail, or no batch at all). Nothing was written.
    #[error("invalid record batch: {0}")]
    Batch(#[from] BatchError),
    /// A read or lookup asked for an offset outside `[start, end]`.
    #[error("offset {offset} is out of range: log start {start}, log end {end}")]
    OffsetOutOfRange {
        /// The offset asked for.
        offset: i64,
        /// The log start offset.
        start: i64,
        /// The log end offset.
        end: i64,
    },
    /// A mirror append whose batch would not come after what is already in
    /// the log (or after the previous batch of the same append).
    #[error("batch base offset {offset} is out of order: expected at least {expected_at_least}")]
    OffsetOutOfOrder {
        /// The offending batch's base offset.
        offset: i64,
        /// The smallest base offset that would have been accepted.
        expected_at_least: i64,
    },
    /// Assigning offsets would overflow a 64-bit offset.
    #[error("offset overflow assigning offsets after {log_end_offset}")]
    OffsetOverflow {
        /// The log end offset at the time.
        log_end_offset: i64,
    },
    /// A stored batch could not be decoded while looking up a timestamp.
    #[error("stored batch at offset {base_offset} could not be decoded: {reason}")]
    Decode {
        /// Base offset of the stored batch.
        base_offset: i64,
        /// What the decoder said.
        reason: String,
    },
    /// A segment file holds bytes that are not batches where batches should be
    /// (found on a read; recovery truncates what it finds on open).
    #[error("corrupt segment {path} at position {position}: {reason}")]
    Corrupt {
        /// The segment file.
        path: PathBuf,
        /// Byte position in the file.
        position: u64,
        /// What was wrong.
        reason: String,
    },
    /// A file name in the log directory looked like a segment but its base
    /// offset could not be parsed, or the checkpoint file is unreadable.
    #[error("unreadable log file {path}: {reason}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

/// Attaches a path to `std::io::Error`s.
pub(crate) trait IoContext<T> {
    /// Wraps the error as [`LogError::Io`] naming `path`.
    fn at(self, path: &std::path::Path) -> Result<T, LogError>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T, LogError> {
        self.map_err(|source| LogError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
