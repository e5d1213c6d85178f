//! Rebuilding a partition's producer state and transaction index from its log
//! when it opens.
//!
//! Kafka snapshots producer state; ferry replays the batch headers instead,
//! which the log reads without touching record bodies. Only markers need
//! their one record read, to tell COMMIT from ABORT. The replay starts at the
//! log start offset: producers whose batches retention removed are unknown
//! afterwards, and accepted at any sequence, as in Kafka.

use ferry_log::{LogError, PartitionLog};

use super::DataState;

/// Replays every stored batch from the log start.
///
/// # Errors
/// Log read errors.
pub(crate) fn rebuild(log: &PartitionLog) -> Result<DataState, LogError> {
    let mut state = DataState::default();
    for h in log.batch_headers(log.log_start_offset())? {
        if h.producer_id < 0 {
            continue;
        }
        if h.is_control() {
            // The read returns the batch at this offset whole (KIP-74 rule).
            let bytes = log.read(h.base_offset, h.total_len(), None)?;
            state.apply_stored(&h, &bytes);
        } else {
            state.apply_batch(&h);
        }
    }
    Ok(state)
}
