//! A partition: its log, and the state the data path keeps beside it.
//!
//! Besides the log, a partition keeps what Kafka keeps per partition leader:
//! - the producer state of idempotent producers (`producer_state`): epochs,
//!   last sequences, the last five batches for duplicate detection;
//! - the transaction index (`txn_index`): open transactions, which hold the
//!   last stable offset back, and aborted ones, which read_committed fetches
//!   report so consumers skip their records.
//!
//! Both are rebuilt from the log's batch headers when the partition opens (a
//! marker's type is read from its one record), so duplicate detection and
//! read_committed are right after a kill -9. Appends hold the state lock
//! across the check, the log write and the state update, so the three are
//! atomic with respect to other appends and to markers.

mod control;
mod producer_state;
mod rebuild;
mod txn_index;

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ferry_log::{AppendInfo, LogError, PartitionLog};
use ferry_protocol::BatchHeader;
use ferry_protocol::batch::{BatchError, BatchIter};
use kafka_protocol::ResponseError;
use parking_lot::{Mutex, RwLock};

pub(crate) use control::{ControlType, marker_batch, marker_type};
pub(crate) use producer_state::{Check, ProducerStates, SequenceError};
pub(crate) use txn_index::{AbortedTxn, TxnIndex};

/// The producer state and transaction index of a partition, kept together
/// because markers update both.
#[derive(Debug, Clone, Default)]
pub(crate) struct DataState {
    /// Idempotent producers.
    pub(crate) producers: ProducerStates,
    /// Open and aborted transactions.
    pub(crate) txns: TxnIndex,
}

impl DataState {
    /// Applies a data batch as stored (offsets final).
    pub(crate) fn apply_batch(&mut self, h: &BatchHeader) {
        if let Some(first) = self.producers.record_batch(h) {
            self.txns.begin(h.producer_id, first);
        }
    }

    /// Applies a COMMIT/ABORT marker stored at `offset`.
    pub(crate) fn apply_marker(
        &mut self,
        producer_id: i64,
        producer_epoch: i16,
        coordinator_epoch: i32,
        offset: i64,
        aborted: bool,
    ) {
        if let Some(done) = self.producers.record_marker(
            producer_id,
            producer_epoch,
            coordinator_epoch,
            offset,
            aborted,
        ) {
            self.txns.complete(done);
        }
    }

    /// Applies a stored batch given its bytes (markers need their record).
    pub(crate) fn apply_stored(&mut self, h: &BatchHeader, bytes: &[u8]) {
        if h.producer_id < 0 {
            return;
        }
        if h.is_control() {
            match marker_type(bytes) {
                Some(ControlType::Abort) => {
                    self.apply_marker(h.producer_id, h.producer_epoch, 0, h.base_offset, true)
                }
                Some(ControlType::Commit) => {
                    self.apply_marker(h.producer_id, h.producer_epoch, 0, h.base_offset, false)
                }
                _ => {}
            }
        } else {
            self.apply_batch(h);
        }
    }
}

/// Why a produced batch was not appended; each maps to a Kafka error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AppendError {
    /// CORRUPT_MESSAGE: bad CRC, truncated, unknown codec.
    #[error("corrupt record batch: {0}")]
    Corrupt(String),
    /// INVALID_RECORD: well-formed bytes that break a rule (counts, more than
    /// one batch, control batch from a client, magic other than 2).
    #[error("invalid record batch: {0}")]
    InvalidRecord(String),
    /// MESSAGE_TOO_LARGE: the batch is larger than `max.message.bytes`.
    #[error("record batch of {size} bytes is larger than max.message.bytes {max}")]
    TooLarge {
        /// The batch's size.
        size: usize,
        /// The topic's limit.
        max: i64,
    },
    /// The producer state refused the batch.
    #[error(transparent)]
    Sequence(#[from] SequenceError),
    /// The transaction coordinator refused it (code and reason).
    #[error("{1}")]
    Txn(ResponseError, String),
    /// KAFKA_STORAGE_ERROR.
    #[error("storage error: {0}")]
    Storage(String),
    /// INVALID_REQUEST: produce to a mirror topic.
    #[error("{0}")]
    ReadOnlyMirror(String),
}

impl AppendError {
    /// The Kafka error for this failure.
    pub(crate) fn error(&self) -> ResponseError {
        match self {
            Self::Corrupt(_) => ResponseError::CorruptMessage,
            Self::InvalidRecord(_) => ResponseError::InvalidRecord,
            Self::TooLarge { .. } => ResponseError::MessageTooLarge,
            Self::Sequence(SequenceError::StaleEpoch { .. }) => ResponseError::InvalidProducerEpoch,
            Self::Sequence(SequenceError::OutOfOrder { .. }) => {
                ResponseError::OutOfOrderSequenceNumber
            }
            Self::Sequence(SequenceError::NotTransactional(_)) => ResponseError::InvalidTxnState,
            Self::Txn(e, _) => *e,
            Self::Storage(_) => ResponseError::KafkaStorageError,
            Self::ReadOnlyMirror(_) => ResponseError::InvalidRequest,
        }
    }
}

fn from_log(e: LogError) -> AppendError {
    match e {
        LogError::Batch(b) => from_batch(b),
        other => AppendError::Storage(other.to_string()),
    }
}

fn from_batch(e: BatchError) -> AppendError {
    match e {
        BatchError::Magic(_) | BatchError::Counts { .. } => {
            AppendError::InvalidRecord(e.to_string())
        }
        other => AppendError::Corrupt(other.to_string()),
    }
}

/// A successful produce append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Appended {
    /// Offset of the batch's first record (the original one for a duplicate).
    pub(crate) base_offset: i64,
    /// The log start offset after the append.
    pub(crate) log_start_offset: i64,
    /// True when the batch was a retry and nothing was written.
    pub(crate) duplicate: bool,
}

/// What a fetch of one partition read.
#[derive(Debug, Clone, Default)]
pub(crate) struct FetchRead {
    /// Whole batches (the first may exceed the byte limit, per KIP-74).
    pub(crate) records: Bytes,
    /// High watermark.
    pub(crate) high_watermark: i64,
    /// Last stable offset.
    pub(crate) last_stable_offset: i64,
    /// Log start offset.
    pub(crate) log_start_offset: i64,
    /// Aborted transactions overlapping the records (read_committed only).
    pub(crate) aborted: Option<Vec<AbortedTxn>>,
}

/// Why a read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ReadError {
    /// OFFSET_OUT_OF_RANGE, with the bounds for the response.
    #[error("offset {offset} is outside [{log_start}, {high_watermark}]")]
    OutOfRange {
        /// The offset asked for.
        offset: i64,
        /// The log start offset.
        log_start: i64,
        /// The high watermark.
        high_watermark: i64,
        /// The last stable offset.
        last_stable: i64,
    },
    /// KAFKA_STORAGE_ERROR.
    #[error("storage error: {0}")]
    Storage(String),
}

/// One partition of a topic on this (single) broker, which leads it.
#[derive(Debug)]
pub struct Partition {
    /// The topic's name.
    pub topic: String,
    /// The partition number.
    pub index: i32,
    /// The log. Appends take the write lock; reads share the read lock and use
    /// positional reads, so fetches never wait for one another.
    pub log: RwLock<PartitionLog>,
    /// Woken on every append so long-polling fetches can answer early.
    pub(crate) appended: Arc<tokio::sync::Notify>,
    /// Producer state and transaction index. Lock order: this, then `log`.
    state: Mutex<DataState>,
}

impl Partition {
    /// Wraps an opened log, rebuilding its producer state and transaction
    /// index from the stored batches.
    pub(crate) fn new(
        topic: &str,
        index: i32,
        log: PartitionLog,
        appended: Arc<tokio::sync::Notify>,
    ) -> Self {
        let state = match rebuild::rebuild(&log) {
            Ok(s) => s,
            Err(e) => {
                // The log opened, so its batches are readable; a failure here
                // is an IO error mid-scan. Serve the partition rather than
                // refuse it; idempotence starts afresh for its producers.
                tracing::error!(
                    topic,
                    partition = index,
                    "rebuilding producer state failed: {e}"
                );
                DataState::default()
            }
        };
        Self {
            topic: topic.to_string(),
            index,
            log: RwLock::new(log),
            appended,
            state: Mutex::new(state),
        }
    }

    /// The high watermark: on a single node, every appended batch is
    /// replicated to all (one) replicas, so it equals the log end offset.
    pub fn high_watermark(&self) -> i64 {
        self.log.read().log_end_offset()
    }

    /// The log start offset.
    pub fn log_start_offset(&self) -> i64 {
        self.log.read().log_start_offset()
    }

    /// The last stable offset: read_committed consumers read below it.
    pub fn last_stable_offset(&self) -> i64 {
        let state = self.state.lock();
        let log = self.log.read();
        state
            .txns
            .last_stable_offset(log.log_end_offset(), log.log_start_offset())
    }

    /// Producers with an open transaction here, with their current epoch.
    pub(crate) fn open_transactions(&self) -> Vec<(i64, i16)> {
        let state = self.state.lock();
        state
            .txns
            .open_transactions()
            .map(|(pid, _)| (pid, state.producers.get(pid).map_or(0, |e| e.epoch)))
            .collect()
    }

    /// Appends one produced batch after Kafka's checks: exactly one valid
    /// magic-2 batch, within `max_message_bytes`, consistent counts, no
    /// control batch; then the producer's sequence and epoch. Transactional
    /// batches are also passed to `txn_check` (is the partition in the
    /// producer's transaction?) while the state lock is held, so an EndTxn
    /// marker cannot slip between the check and the append.
    ///
    /// A duplicate (a retry of one of the producer's last five batches) is
    /// answered with the original offsets and nothing is written.
    pub(crate) fn append_produce(
        &self,
        records: &[u8],
        max_message_bytes: i64,
        txn_check: impl FnOnce(&BatchHeader) -> Result<(), AppendError>,
    ) -> Result<Appended, AppendError> {
        let h = check_client_batch(records, max_message_bytes)?;
        let appended = {
            let mut state = self.state.lock();
            if h.is_transactional() {
                txn_check(&h)?;
            }
            if let Check::Duplicate(dup) = state.producers.check(&h)? {
                let log_start_offset = self.log.read().log_start_offset();
                return Ok(Appended {
                    base_offset: dup.first_offset,
                    log_start_offset,
                    duplicate: true,
                });
            }
            let mut log = self.log.write();
            let info = log.append(BytesMut::from(records), 0).map_err(from_log)?;
            for stored in &info.batches {
                state.apply_batch(stored);
            }
            Appended {
                base_offset: info.base_offset,
                log_start_offset: log.log_start_offset(),
                duplicate: false,
            }
        };
        self.appended.notify_waiters();
        Ok(appended)
    }

    /// Writes a COMMIT or ABORT marker for `producer_id` and updates the
    /// transaction index. Returns the marker's offset.
    pub(crate) fn append_marker(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        commit: bool,
        coordinator_epoch: i32,
        timestamp_ms: i64,
    ) -> Result<i64, AppendError> {
        let batch = marker_batch(
            producer_id,
            producer_epoch,
            commit,
            coordinator_epoch,
            timestamp_ms,
        );
        let offset = {
            let mut state = self.state.lock();
            let info = self.log.write().append(batch, 0).map_err(from_log)?;
            state.apply_marker(
                producer_id,
                producer_epoch,
                coordinator_epoch,
                info.base_offset,
                !commit,
            );
            info.base_offset
        };
        self.appended.notify_waiters();
        Ok(offset)
    }

    /// Mirror append (cluster links): the source's batches at the source's
    /// offsets, verbatim. Producer state and the transaction index follow the
    /// source's transactional batches and markers without enforcing anything.
    ///
    /// # Errors
    /// As [`PartitionLog::append_at_offsets`].
    pub fn append_mirrored(&self, batches: Bytes) -> Result<AppendInfo, LogError> {
        let info = {
            let mut state = self.state.lock();
            let info = self.log.write().append_at_offsets(batches.clone())?;
            for (h, bytes) in BatchIter::new(batches).flatten() {
                state.apply_stored(&h, &bytes);
            }
            info
        };
        self.appended.notify_waiters();
        Ok(info)
    }

    /// Reads for a fetch from `offset`: up to the last stable offset for
    /// read_committed, the high watermark otherwise. At most `max_bytes`
    /// unless `min_one` (the first non-empty partition of a response, KIP-74)
    /// lets a larger first batch through whole.
    pub(crate) fn read_for_fetch(
        &self,
        offset: i64,
        max_bytes: usize,
        read_committed: bool,
        min_one: bool,
    ) -> Result<FetchRead, ReadError> {
        let (high_watermark, log_start_offset, last_stable_offset) = {
            let state = self.state.lock();
            let log = self.log.read();
            let hw = log.log_end_offset();
            let start = log.log_start_offset();
            (hw, start, state.txns.last_stable_offset(hw, start))
        };
        let out_of_range = || ReadError::OutOfRange {
            offset,
            log_start: log_start_offset,
            high_watermark,
            last_stable: last_stable_offset,
        };
        if offset < log_start_offset || offset > high_watermark {
            return Err(out_of_range());
        }
        let mut read = FetchRead {
            records: Bytes::new(),
            high_watermark,
            last_stable_offset,
            log_start_offset,
            aborted: read_committed.then(Vec::new),
        };
        let upper = if read_committed {
            last_stable_offset
        } else {
            high_watermark
        };
        if offset >= upper || (max_bytes == 0 && !min_one) {
            return Ok(read);
        }
        let bytes = match self.log.read().read(offset, max_bytes, Some(upper)) {
            Ok(b) => b,
            Err(LogError::OffsetOutOfRange { start, end, .. }) => {
                return Err(ReadError::OutOfRange {
                    offset,
                    log_start: start,
                    high_watermark: end,
                    last_stable: last_stable_offset.min(end),
                });
            }
            Err(e) => return Err(ReadError::Storage(e.to_string())),
        };
        if bytes.len() > max_bytes && !min_one {
            return Ok(read);
        }
        if read_committed && !bytes.is_empty() {
            let end = BatchIter::new(bytes.clone())
                .flatten()
                .last()
                .map_or(offset, |(h, _)| {
                    h.base_offset.saturating_add(i64::from(h.last_offset_delta)) + 1
                });
            let state = self.state.lock();
            read.aborted = Some(state.txns.aborted_between(offset, end));
        }
        read.records = bytes;
        Ok(read)
    }

    /// Mirror partitions follow their source's log start offset, also past
    /// their own end (records deleted at the source before they were
    /// mirrored, or a mirror that starts at `latest` or a timestamp).
    /// Returns the new log start offset.
    ///
    /// # Errors
    /// Storage errors.
    pub fn follow_log_start_offset(&self, offset: i64) -> Result<i64, LogError> {
        let mut state = self.state.lock();
        let start = self.log.write().jump_log_start_offset(offset)?;
        state.txns.prune_below(start);
        drop(state);
        self.appended.notify_waiters();
        Ok(start)
    }

    /// Restarts an empty mirror partition at `offset` (see
    /// [`PartitionLog::restart_empty_at`]).
    ///
    /// # Errors
    /// The log is not empty; storage errors.
    pub fn restart_empty_mirror_at(&self, offset: i64) -> Result<(), LogError> {
        let _state = self.state.lock();
        self.log.write().restart_empty_at(offset)
    }

    /// DeleteRecords: moves the log start to `offset` (-1: the high
    /// watermark). Returns the new low watermark.
    pub(crate) fn delete_records(&self, offset: i64) -> Result<i64, ReadError> {
        let mut state = self.state.lock();
        let mut log = self.log.write();
        let hw = log.log_end_offset();
        let target = if offset == -1 { hw } else { offset };
        if target < 0 || target > hw {
            return Err(ReadError::OutOfRange {
                offset,
                log_start: log.log_start_offset(),
                high_watermark: hw,
                last_stable: hw,
            });
        }
        let start = log
            .advance_log_start_offset(target)
            .map_err(|e| ReadError::Storage(e.to_string()))?;
        state.txns.prune_below(start);
        Ok(start)
    }
}

/// Kafka's checks on a produced partition's records (`ProduceRequest` and
/// `LogValidator`): one whole magic-2 batch with a valid CRC, at most
/// `max_message_bytes`, `recordCount == lastOffsetDelta + 1 > 0`, not a
/// control batch, and a sequence when it has a producer id.
pub(crate) fn check_client_batch(
    records: &[u8],
    max_message_bytes: i64,
) -> Result<BatchHeader, AppendError> {
    if records.is_empty() {
        return Err(AppendError::InvalidRecord(
            "a produce request must carry one record batch per partition".into(),
        ));
    }
    // The header only: the log verifies the CRC when it appends (once), and
    // a duplicate is answered without reading the body at all.
    let h = BatchHeader::parse(records).map_err(from_batch)?;
    if records.len() < h.total_len() {
        return Err(AppendError::Corrupt(format!(
            "record batch truncated: {} of {} bytes",
            records.len(),
            h.total_len()
        )));
    }
    h.check_counts().map_err(from_batch)?;
    h.compression().map_err(from_batch)?;
    if records.len() > h.total_len() {
        return Err(AppendError::InvalidRecord(
            "produce requests v3+ may carry exactly one record batch per partition".into(),
        ));
    }
    if i64::try_from(records.len()).unwrap_or(i64::MAX) > max_message_bytes {
        return Err(AppendError::TooLarge {
            size: records.len(),
            max: max_message_bytes,
        });
    }
    if h.record_count <= 0 || i64::from(h.last_offset_delta) + 1 != i64::from(h.record_count) {
        return Err(AppendError::InvalidRecord(format!(
            "record count {} does not match last offset delta {}",
            h.record_count, h.last_offset_delta
        )));
    }
    if h.is_control() {
        return Err(AppendError::InvalidRecord(
            "clients may not write control batches".into(),
        ));
    }
    if h.producer_id >= 0 && h.base_sequence < 0 {
        return Err(AppendError::InvalidRecord(format!(
            "producer {} sent base sequence {}",
            h.producer_id, h.base_sequence
        )));
    }
    if h.is_transactional() && h.producer_id < 0 {
        return Err(AppendError::InvalidRecord(
            "a transactional batch needs a producer id".into(),
        ));
    }
    Ok(h)
}

#[cfg(test)]
pub(crate) mod tests;
