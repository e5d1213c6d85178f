//! Where a resumed connector continues: the saved count of records
//! produced, raised to one past the highest `current.iteration` header in
//! the last batch of each partition of its topic. The saved count lags by
//! up to `SAVE_EVERY` (1 s) after a crash; the topic does not, so
//! iterations (order ids) continue without repeating. Records of other
//! producers in the topic carry no such header and are ignored.

use ferry_broker::Broker;
use ferry_client::records::decode_records;
use ferry_client::{FetchedPartition, IsolationLevel};

/// Bytes read from the end of each partition: more than one batch of
/// generated records (at most [`crate::sink::MAX_BATCH_RECORDS`] small ones).
const TAIL_BYTES: usize = 4 << 20;

/// One past the highest `current.iteration` in the last batch of each
/// partition of `topic` whose `task.generation` header is present; `None`
/// when no such record is found (or the topic does not exist).
pub fn next_iteration_in_topic(broker: &Broker, topic: &str) -> Option<u64> {
    let topic = broker.topic(topic)?;
    let mut best: Option<u64> = None;
    for partition in topic.partitions() {
        let (bytes, from, hw) = {
            let log = partition.log.read();
            let end = log.log_end_offset();
            let from = end - 1;
            if from < log.log_start_offset() {
                continue;
            }
            match log.read(from, TAIL_BYTES, None) {
                Ok(b) => (b, from, end),
                Err(e) => {
                    tracing::debug!("reading the tail of {}: {e}", partition.topic);
                    continue;
                }
            }
        };
        let fetched = FetchedPartition {
            high_watermark: hw,
            last_stable_offset: hw,
            log_start_offset: -1,
            aborted_transactions: Vec::new(),
            records: bytes,
        };
        // Decode the whole last batch: its records before `from` count too.
        let first = ferry_protocol::batch::BatchIter::new(fetched.records.clone())
            .flatten()
            .next()
            .map_or(from, |(h, _)| h.base_offset);
        let Ok(records) = decode_records(
            &partition.topic,
            partition.index,
            &fetched,
            first,
            IsolationLevel::ReadUncommitted,
        ) else {
            continue;
        };
        for r in records {
            let header = |name: &str| {
                r.headers
                    .iter()
                    .find(|(k, _)| k == name)
                    .and_then(|(_, v)| v.as_ref())
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
            };
            if header("task.generation").is_none() {
                continue;
            }
            if let Some(i) = header("current.iteration") {
                best = Some(best.map_or(i + 1, |b| b.max(i + 1)));
            }
        }
    }
    best
}
