//! Fetch: record batches out of partitions, raw.
//!
//! [`Client::fetch_raw`] returns the partition's bytes exactly as the broker
//! sent them, so that a cluster link can append them to a mirror unchanged;
//! [`crate::records::decode_records`] turns them into records for display.
//! Requests are addressed by topic name below Fetch v13 and by topic id from
//! v13 on; both are filled in, and responses are matched either way.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use futures::future::join_all;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{BrokerId, FetchRequest, FetchResponse};

use crate::client::{Client, topic_name};
use crate::error::{Error, Result};

/// Which records a fetch may return: Kafka's `isolation.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationLevel {
    /// Everything up to the high watermark, open and aborted transactions included.
    #[default]
    ReadUncommitted,
    /// Only up to the last stable offset; aborted data is listed so it can be skipped.
    ReadCommitted,
}

impl IsolationLevel {
    fn code(self) -> i8 {
        match self {
            Self::ReadUncommitted => 0,
            Self::ReadCommitted => 1,
        }
    }
}

impl std::str::FromStr for IsolationLevel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "read_uncommitted" => Ok(Self::ReadUncommitted),
            "read_committed" => Ok(Self::ReadCommitted),
            other => Err(Error::Config(format!(
                "unknown isolation level '{other}' (expected read_committed or read_uncommitted)"
            ))),
        }
    }
}

/// An aborted transaction listed in a read_committed Fetch response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortedTransaction {
    /// The producer whose transaction was aborted.
    pub producer_id: i64,
    /// The first offset of the aborted transaction.
    pub first_offset: i64,
}

/// One partition's share of a Fetch response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedPartition {
    /// The high watermark (next offset to be committed to all replicas).
    pub high_watermark: i64,
    /// The last stable offset (-1 when the broker does not report it).
    pub last_stable_offset: i64,
    /// The log start offset (-1 when the broker does not report it).
    pub log_start_offset: i64,
    /// Aborted transactions overlapping the returned data (read_committed).
    pub aborted_transactions: Vec<AbortedTransaction>,
    /// The record batches, verbatim; may end with a truncated batch.
    pub records: Bytes,
}

/// Knobs of a Fetch request.
#[derive(Debug, Clone, Copy)]
pub struct FetchOptions {
    /// Longest the broker may wait for `min_bytes` to accumulate.
    pub max_wait: Duration,
    /// Bytes the broker should wait for before answering.
    pub min_bytes: i32,
    /// Cap on the whole response.
    pub max_bytes: i32,
    /// Cap per partition.
    pub partition_max_bytes: i32,
    /// Isolation level.
    pub isolation: IsolationLevel,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            max_wait: Duration::from_millis(500),
            min_bytes: 1,
            max_bytes: 50 * 1024 * 1024,
            partition_max_bytes: 1024 * 1024,
            isolation: IsolationLevel::ReadUncommitted,
        }
    }
}

/// A partition and the offset to fetch it from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FetchTarget {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
    /// Offset of the first record wanted.
    pub offset: i64,
}

/// The outcome of fetching one [`FetchTarget`].
pub type FetchOutcome = (FetchTarget, Result<FetchedPartition>);

impl Client {
    /// Fetches one partition's raw record batches starting at `offset`.
    ///
    /// Waits up to 500 ms for data; retries on stale leadership.
    ///
    /// # Errors
    /// Kafka errors (e.g. OFFSET_OUT_OF_RANGE), [`Error::UnknownTopic`],
    /// connection errors after retries.
    pub async fn fetch_raw(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        max_bytes: i32,
        isolation: IsolationLevel,
    ) -> Result<FetchedPartition> {
        let options = FetchOptions {
            max_bytes,
            partition_max_bytes: max_bytes,
            isolation,
            ..FetchOptions::default()
        };
        let target = FetchTarget {
            topic: topic.to_owned(),
            partition,
            offset,
        };
        self.retry(&format!("fetch {topic}-{partition}"), || async {
            let mut results = self
                .fetch_from_leader(std::slice::from_ref(&target), &options)
                .await?;
            match results.pop() {
                Some((_, r)) => r,
                None => Err(Error::Protocol("empty fetch result".into())),
            }
        })
        .await
    }

    /// Fetches many partitions at once, one request per leader, all leaders in
    /// parallel. Each partition gets its own result; a stale-leader error on one
    /// partition refreshes metadata for the next call but fails only that entry.
    pub async fn fetch_many(
        &self,
        targets: &[FetchTarget],
        options: &FetchOptions,
    ) -> Vec<FetchOutcome> {
        let mut by_leader: BTreeMap<i32, Vec<FetchTarget>> = BTreeMap::new();
        let mut out = Vec::new();
        for t in targets {
            match self.leader_id(&t.topic, t.partition).await {
                Ok(id) => by_leader.entry(id).or_default().push(t.clone()),
                Err(e) => out.push((t.clone(), Err(e))),
            }
        }
        let calls = by_leader.into_iter().map(|(leader, ts)| async move {
            match self.fetch_at(leader, &ts, options).await {
                Ok(rs) => rs,
                Err(e) => ts.into_iter().map(|t| (t, Err(e.clone()))).collect(),
            }
        });
        let mut stale = false;
        for rs in join_all(calls).await {
            for (t, r) in rs {
                stale |= r.as_ref().is_err_and(Error::is_stale_metadata);
                out.push((t, r));
            }
        }
        if stale {
            self.forget_topics();
        }
        out
    }

    /// Sends one Fetch for `targets`, which must share a leader.
    async fn fetch_from_leader(
        &self,
        targets: &[FetchTarget],
        options: &FetchOptions,
    ) -> Result<Vec<FetchOutcome>> {
        let first = targets
            .first()
            .ok_or_else(|| Error::Protocol("fetch without partitions".into()))?;
        let leader = self.leader_id(&first.topic, first.partition).await?;
        let results = self.fetch_at(leader, targets, options).await?;
        // Surface a per-partition error to the retry loop of a single fetch.
        if let [(_, Err(e))] = results.as_slice() {
            return Err(e.clone());
        }
        Ok(results)
    }

    /// Sends one Fetch request to broker `leader`.
    async fn fetch_at(
        &self,
        leader: i32,
        targets: &[FetchTarget],
        options: &FetchOptions,
    ) -> Result<Vec<FetchOutcome>> {
        let conn = self.broker(leader).await?;
        let metadata = self.cached_metadata();
        let mut topics: Vec<FetchTopic> = Vec::new();
        for t in targets {
            let partition = FetchPartition::default()
                .with_partition(t.partition)
                .with_fetch_offset(t.offset)
                .with_partition_max_bytes(options.partition_max_bytes);
            if let Some(ft) = topics.iter_mut().find(|ft| ft.topic.0.as_str() == t.topic) {
                ft.partitions.push(partition);
            } else {
                let id = metadata
                    .topic(&t.topic)
                    .map(|m| m.topic_id)
                    .unwrap_or_default();
                topics.push(
                    FetchTopic::default()
                        .with_topic(topic_name(&t.topic))
                        .with_topic_id(id)
                        .with_partitions(vec![partition]),
                );
            }
        }
        let mut version = conn.version_for::<FetchRequest>()?;
        // Topic ids are needed from v13; without them (an old broker or a topic
        // whose id is unknown) stay on name-addressed versions.
        if topics.iter().any(|t| t.topic_id.is_nil()) {
            version = version.min(12);
        }
        let request = FetchRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_max_wait_ms(i32::try_from(options.max_wait.as_millis()).unwrap_or(i32::MAX))
            .with_min_bytes(options.min_bytes)
            .with_max_bytes(options.max_bytes)
            .with_isolation_level(options.isolation.code())
            .with_session_id(0)
            .with_session_epoch(-1)
            .with_topics(topics);
        let response: FetchResponse = conn
            .call_at_with_wait(&request, version, options.max_wait)
            .await?;
        if response.error_code != 0 {
            return Err(Error::kafka(
                response.error_code,
                None,
                format!("fetch from {}", conn.addr()),
            ));
        }
        let mut out = Vec::with_capacity(targets.len());
        for t in targets {
            let found = response.responses.iter().find(|r| {
                r.topic.0.as_str() == t.topic
                    || (!r.topic_id.is_nil()
                        && metadata.topic_name_by_id(r.topic_id) == Some(t.topic.as_str()))
            });
            let part = found.and_then(|r| {
                r.partitions
                    .iter()
                    .find(|p| p.partition_index == t.partition)
            });
            let result = match part {
                None => Err(Error::Protocol(format!(
                    "fetch response from {} has no {}-{}",
                    conn.addr(),
                    t.topic,
                    t.partition
                ))),
                Some(p) if p.error_code != 0 => Err(Error::kafka(
                    p.error_code,
                    None,
                    format!("fetch {}-{} at offset {}", t.topic, t.partition, t.offset),
                )),
                Some(p) => Ok(FetchedPartition {
                    high_watermark: p.high_watermark,
                    last_stable_offset: p.last_stable_offset,
                    log_start_offset: p.log_start_offset,
                    aborted_transactions: p
                        .aborted_transactions
                        .iter()
                        .flatten()
                        .map(|a| AbortedTransaction {
                            producer_id: a.producer_id.0,
                            first_offset: a.first_offset,
                        })
                        .collect(),
                    records: p.records.clone().unwrap_or_default(),
                }),
            };
            out.push((t.clone(), result));
        }
        Ok(out)
    }
}
