//! Per-partition log settings, named after Kafka's topic configs.

/// How a [`PartitionLog`](crate::PartitionLog) rolls, indexes and retains its segments.
///
/// Each field carries the Kafka topic config it implements, so that
/// DescribeConfigs/AlterConfigs can map them one to one. `Default` gives
/// Kafka's defaults. Changes made through
/// [`PartitionLog::set_config`](crate::PartitionLog::set_config) apply from
/// the next append or retention pass; existing segments are not rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `segment.bytes`: roll the active segment when an append would make it
    /// larger than this. A single batch larger than this still gets written,
    /// alone in its own segment.
    pub segment_bytes: u64,
    /// `segment.ms`: roll the active segment once it is older than this, so
    /// that time-based retention can delete it.
    pub segment_ms: i64,
    /// `retention.ms`: delete segments whose newest record is older than this.
    /// Negative (Kafka uses -1) means unlimited.
    pub retention_ms: i64,
    /// `retention.bytes`: delete the oldest segments while the log is larger
    /// than this. Negative (Kafka uses -1) means unlimited.
    pub retention_bytes: i64,
    /// `index.interval.bytes`: add one sparse offset-index (and time-index)
    /// entry per this many bytes of batches. Smaller means faster lookups and
    /// bigger indexes.
    pub index_interval_bytes: u64,
    /// `segment.index.bytes`: the largest an index file may grow; the active
    /// segment rolls when either of its indexes is full.
    pub segment_index_bytes: u64,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            segment_bytes: 1 << 30,
            segment_ms: 7 * 24 * 60 * 60 * 1000,
            retention_ms: 7 * 24 * 60 * 60 * 1000,
            retention_bytes: -1,
            index_interval_bytes: 4096,
            segment_index_bytes: 10 * 1024 * 1024,
        }
    }
}

impl LogConfig {
    /// Entries an offset index may hold (8 bytes each), at least one.
    pub(crate) fn max_index_entries(&self) -> usize {
        usize::try_from(self.segment_index_bytes / crate::index::ENTRY_LEN as u64)
            .unwrap_or(usize::MAX)
            .max(1)
    }

    /// Entries a time index may hold (12 bytes each), at least one.
    pub(crate) fn max_time_index_entries(&self) -> usize {
        usize::try_from(self.segment_index_bytes / crate::time_index::ENTRY_LEN as u64)
            .unwrap_or(usize::MAX)
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_kafkas() {
        let c = LogConfig::default();
        assert_eq!(c.segment_bytes, 1_073_741_824);
        assert_eq!(c.segment_ms, 604_800_000);
        assert_eq!(c.retention_ms, 604_800_000);
        assert_eq!(c.retention_bytes, -1);
        assert_eq!(c.index_interval_bytes, 4096);
        assert_eq!(c.segment_index_bytes, 10_485_760);
        assert_eq!(c.max_index_entries(), 1_310_720);
        assert_eq!(c.max_time_index_entries(), 873_813);
    }
}
