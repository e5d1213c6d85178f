//! The mirror fetcher: one Fetch per source leader for every mirrored
//! partition, the returned batches appended at their own offsets.
//!
//! The next offset to fetch is always the mirror partition's log end, so a
//! crash (the destination killed mid-append) resumes exactly where the
//! recovered log ends: batches are whole or absent after recovery, and a
//! batch is never appended twice because appends must come after the end.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use ferry_client::{FetchOptions, FetchTarget, FetchedPartition, IsolationLevel};
use ferry_log::LogError;
use ferry_protocol::batch::{BatchError, BatchIter};

use super::LinkRuntime;
use crate::status::{MirrorStatus, MirrorTopicError};

/// The batches of a fetch that the mirror can append after `next`: whole
/// batches only (a fetch may end in a partial one), none wholly below
/// `next`. Returns the bytes, a zero-copy slice of `records`, and the base
/// offset of the first batch.
pub(crate) fn appendable(records: &Bytes, next: i64) -> Result<Option<(Bytes, i64)>, BatchError> {
    let mut start = None;
    let mut pos = 0usize;
    let mut end = 0usize;
    let mut first_base = 0;
    for item in BatchIter::new(records.clone()) {
        let (header, bytes) = item?;
        let len = bytes.len();
        if start.is_none() {
            if header.last_offset() < next {
                pos += len;
                continue;
            }
            start = Some(pos);
            first_base = header.base_offset;
            end = pos;
        }
        end += len;
        pos += len;
    }
    Ok(start.map(|s| (records.slice(s..end), first_base)))
}

impl LinkRuntime {
    /// (source topic → mirror) and the fetch targets of the mirrors that
    /// are fetching.
    fn fetch_targets(&self) -> (HashMap<String, String>, Vec<FetchTarget>) {
        let mut names = HashMap::new();
        let mut targets = Vec::new();
        for (mirror, m) in self.mirrors() {
            if m.status != MirrorStatus::Active {
                continue;
            }
            let Some(topic) = self.broker.topic(&mirror) else {
                continue;
            };
            for p in topic.partitions() {
                targets.push(FetchTarget {
                    topic: m.source_topic.clone(),
                    partition: p.index,
                    offset: p.high_watermark(),
                });
            }
            names.insert(m.source_topic.clone(), mirror);
        }
        (names, targets)
    }

    pub(crate) async fn fetch_loop(self: Arc<Self>) {
        let mut stop = self.stop.subscribe();
        loop {
            if *stop.borrow() {
                return;
            }
            let settings = self.settings();
            let backoff = Duration::from_millis(settings.replica_fetch_backoff_ms.max(10));
            if settings.cluster_link_paused {
                if !self
                    .pause_for(Duration::from_secs(1), &self.wake_fetch)
                    .await
                {
                    return;
                }
                continue;
            }
            let (names, targets) = self.fetch_targets();
            if targets.is_empty() {
                if !self
                    .pause_for(Duration::from_millis(500), &self.wake_fetch)
                    .await
                {
                    return;
                }
                continue;
            }
            let client = match self.fetch_client().await {
                Ok(c) => c,
                Err(e) => {
                    self.source_failed(&e);
                    if !self.pause_for(backoff, &self.wake_fetch).await {
                        return;
                    }
                    continue;
                }
            };
            let options = FetchOptions {
                max_wait: Duration::from_millis(settings.replica_fetch_wait_max_ms),
                min_bytes: settings.replica_fetch_min_bytes,
                max_bytes: settings.replica_fetch_response_max_bytes,
                partition_max_bytes: settings.replica_fetch_max_bytes,
                isolation: IsolationLevel::ReadUncommitted,
            };
            // A new ACTIVE mirror, a resume or new configs wake the loop
            // out of its long poll: the abandoned request's connection is
            // dropped so its late answer cannot be mistaken for another's.
            let results = tokio::select! {
                r = client.fetch_many(&targets, &options) => r,
                _ = self.wake_fetch.notified() => {
                    drop(client);
                    self.reset_fetch_client().await;
                    continue;
                }
                _ = stop.changed() => return,
            };
            let mut any_ok = false;
            let mut failure = None;
            for (target, result) in results {
                let Some(mirror) = names.get(&target.topic) else {
                    continue;
                };
                match result {
                    Ok(fetched) => {
                        any_ok = true;
                        self.apply_fetch(mirror, &target, fetched);
                    }
                    Err(e) => {
                        tracing::debug!(link = %self.name(), mirror, partition = target.partition, "fetch failed: {e}");
                        if Self::is_source_failure(&e) {
                            failure = Some(e);
                        } else if e.kafka_error()
                            == Some(kafka_protocol::ResponseError::OffsetOutOfRange)
                        {
                            self.resync_log_start(&client, mirror, &target).await;
                        } else {
                            // Unknown partition or topic, stale leadership:
                            // ask the source again next round.
                            client.forget_topics();
                        }
                    }
                }
            }
            if any_ok {
                self.source_ok();
            } else if let Some(e) = failure {
                self.source_failed(&e);
                if !self.pause_for(backoff, &self.wake_fetch).await {
                    return;
                }
            } else if !self
                .pause_for(Duration::from_millis(50), &self.wake_fetch)
                .await
            {
                return;
            }
        }
    }

    /// Appends what one partition's fetch returned.
    fn apply_fetch(&self, mirror: &str, target: &FetchTarget, fetched: FetchedPartition) {
        let Some(partition) = self
            .broker
            .topic(mirror)
            .and_then(|t| t.partition(target.partition))
        else {
            return;
        };
        self.record_progress(mirror, target.partition, |p| {
            p.source_log_end = fetched.high_watermark;
        });
        if fetched.log_start_offset > partition.log_start_offset()
            && let Err(e) = partition.follow_log_start_offset(fetched.log_start_offset)
        {
            tracing::warn!(
                mirror,
                partition = target.partition,
                "following the source log start: {e}"
            );
        }
        let next = partition.high_watermark();
        let (bytes, first_base) = match appendable(&fetched.records, next) {
            Ok(Some(found)) => found,
            Ok(None) => return,
            Err(BatchError::Magic(m)) => {
                self.fail_mirror(
                    mirror,
                    MirrorTopicError::UnsupportedMessageFormat,
                    format!(
                        "partition {} holds message format v{m} batches; only v2 can be mirrored (set mirror.start.offset.spec past them)",
                        target.partition
                    ),
                );
                return;
            }
            Err(e) => {
                tracing::warn!(
                    mirror,
                    partition = target.partition,
                    "source sent a bad batch, refetching: {e}"
                );
                return;
            }
        };
        if first_base < next {
            // The mirror starts inside a source batch (a timestamp start, or a
            // source log start inside a batch): start the empty log at the
            // batch's base so the whole batch keeps its offsets.
            if partition.log_start_offset() == next
                && let Err(e) = partition.restart_empty_mirror_at(first_base)
            {
                tracing::warn!(mirror, partition = target.partition, "{e}");
                return;
            }
        }
        // Promote or failover may have stopped the mirror while this fetch
        // was in flight; the topic is the users' now.
        if self.mirror_status(mirror) != Some(MirrorStatus::Active) {
            return;
        }
        match partition.append_mirrored(bytes) {
            Ok(info) => {
                let records = info
                    .batches
                    .iter()
                    .map(|h| u64::try_from(h.record_count).unwrap_or(0))
                    .sum::<u64>();
                self.record_progress(mirror, target.partition, |p| {
                    p.last_fetched = Some(info.last_offset);
                    p.bytes += info.bytes as u64;
                    p.records += records;
                });
                self.bytes_total
                    .fetch_add(info.bytes as u64, Ordering::Relaxed);
                self.records_total.fetch_add(records, Ordering::Relaxed);
            }
            Err(LogError::Batch(BatchError::Magic(m))) => self.fail_mirror(
                mirror,
                MirrorTopicError::UnsupportedMessageFormat,
                format!("message format v{m} cannot be mirrored"),
            ),
            Err(e) => {
                tracing::warn!(
                    mirror,
                    partition = target.partition,
                    "mirror append failed: {e}"
                );
            }
        }
    }

    /// OFFSET_OUT_OF_RANGE: the mirror's end is below the source's log start
    /// (retention or DeleteRecords at the source): jump to it.
    async fn resync_log_start(
        &self,
        client: &ferry_client::Client,
        mirror: &str,
        target: &FetchTarget,
    ) {
        let key = (target.topic.clone(), target.partition);
        let listed = client
            .list_offsets(
                std::slice::from_ref(&key),
                ferry_client::admin::OffsetSpec::Earliest,
                IsolationLevel::ReadUncommitted,
            )
            .await;
        let Ok(listed) = listed else {
            return;
        };
        let Some(start) = listed.get(&key).map(|l| l.offset) else {
            return;
        };
        if let Some(p) = self
            .broker
            .topic(mirror)
            .and_then(|t| t.partition(target.partition))
            && start > p.high_watermark()
            && let Err(e) = p.follow_log_start_offset(start)
        {
            tracing::warn!(mirror, partition = target.partition, "{e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    fn batch(base: i64, n: i64) -> Bytes {
        let records: Vec<Record> = (0..n)
            .map(|i| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: 0,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: base + i,
                sequence: -1,
                timestamp: 1_700_000_000_000,
                key: None,
                value: Some(Bytes::from_static(b"v")),
                headers: Default::default(),
            })
            .collect();
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            &records,
            &RecordEncodeOptions {
                version: 2,
                compression: Compression::None,
            },
        )
        .expect("encode");
        buf.freeze()
    }

    fn offsets(bytes: &Bytes) -> Vec<(i64, i64)> {
        BatchIter::new(bytes.clone())
            .map(|b| {
                let (h, _) = b.expect("valid batch");
                (h.base_offset, h.last_offset())
            })
            .collect()
    }

    #[test]
    fn appendable_skips_old_batches_and_drops_a_partial_tail() {
        // `batch` may split records into several batches; count in offsets.
        let (a, b, c) = (batch(0, 3), batch(3, 2), batch(5, 1));
        let mut all = BytesMut::new();
        all.extend_from_slice(&a);
        all.extend_from_slice(&b);
        all.extend_from_slice(&c[..c.len() - 7]);
        let all = all.freeze();
        let whole = offsets(&all);
        assert_eq!(
            whole.last().map(|(_, last)| *last),
            Some(4),
            "the partial tail is not a batch"
        );
        let (bytes, base) = appendable(&all, 3).expect("valid").expect("some");
        assert_eq!(base, 3);
        assert_eq!(
            bytes, b,
            "exactly the batches from offset 3, without the partial tail"
        );
        // A target inside a batch keeps that whole batch.
        let (bytes, base) = appendable(&all, 1).expect("valid").expect("some");
        assert!(base <= 1);
        assert!(
            offsets(&bytes)
                .first()
                .is_some_and(|(b, l)| *b <= 1 && *l >= 1)
        );
        assert_eq!(appendable(&all, 5).expect("valid"), None);
    }

    #[test]
    fn appendable_reports_old_message_formats() {
        let mut old = batch(0, 1).to_vec();
        old[16] = 1; // magic
        assert!(matches!(
            appendable(&Bytes::from(old), 0),
            Err(BatchError::Magic(1))
        ));
    }
}
