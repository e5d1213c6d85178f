//! ListOffsets: earliest, latest, by timestamp.

use std::collections::BTreeMap;

use futures::future::join_all;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{BrokerId, ListOffsetsRequest};

use crate::client::{Client, topic_name};
use crate::error::{Error, Result};
use crate::fetch::IsolationLevel;

/// Which offset to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log start offset.
    Earliest,
    /// The log end offset (high watermark, or last stable offset under read_committed).
    Latest,
    /// The first offset whose timestamp is at or after this many ms since the epoch.
    Timestamp(i64),
}

impl OffsetSpec {
    fn code(self) -> i64 {
        match self {
            Self::Earliest => -2,
            Self::Latest => -1,
            Self::Timestamp(t) => t,
        }
    }
}

/// A ListOffsets answer for one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedOffset {
    /// The offset (-1 when no record matches a timestamp lookup).
    pub offset: i64,
    /// The matching record's timestamp (-1 for earliest/latest).
    pub timestamp: i64,
}

impl Client {
    /// Looks up `spec` for each of `partitions` (topic, partition), asking each
    /// partition's leader. Stale leadership is retried.
    ///
    /// # Errors
    /// The first partition error (e.g. [`Error::UnknownTopic`]).
    pub async fn list_offsets(
        &self,
        partitions: &[(String, i32)],
        spec: OffsetSpec,
        isolation: IsolationLevel,
    ) -> Result<BTreeMap<(String, i32), ListedOffset>> {
        self.retry("list offsets", || async {
            let mut by_leader: BTreeMap<i32, Vec<(String, i32)>> = BTreeMap::new();
            for (t, p) in partitions {
                let leader = self.leader_id(t, *p).await?;
                by_leader.entry(leader).or_default().push((t.clone(), *p));
            }
            let calls = by_leader
                .into_iter()
                .map(|(leader, ps)| self.list_offsets_at(leader, ps, spec, isolation));
            let mut out = BTreeMap::new();
            for r in join_all(calls).await {
                out.extend(r?);
            }
            Ok(out)
        })
        .await
    }

    async fn list_offsets_at(
        &self,
        leader: i32,
        partitions: Vec<(String, i32)>,
        spec: OffsetSpec,
        isolation: IsolationLevel,
    ) -> Result<BTreeMap<(String, i32), ListedOffset>> {
        let conn = self.broker(leader).await?;
        let version = conn.version_for::<ListOffsetsRequest>()?;
        let mut topics: Vec<ListOffsetsTopic> = Vec::new();
        for (t, p) in &partitions {
            let part = ListOffsetsPartition::default()
                .with_partition_index(*p)
                .with_current_leader_epoch(-1)
                .with_timestamp(spec.code());
            match topics.iter_mut().find(|lt| lt.name.0.as_str() == t) {
                Some(lt) => lt.partitions.push(part),
                None => topics.push(
                    ListOffsetsTopic::default()
                        .with_name(topic_name(t))
                        .with_partitions(vec![part]),
                ),
            }
        }
        let mut request = ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(topics);
        if version >= 2 && isolation == IsolationLevel::ReadCommitted {
            request = request.with_isolation_level(1);
        }
        let response = conn.call_at(&request, version).await?;
        let mut out = BTreeMap::new();
        for (t, p) in partitions {
            let found = response
                .topics
                .iter()
                .find(|r| r.name.0.as_str() == t)
                .and_then(|r| r.partitions.iter().find(|x| x.partition_index == p))
                .ok_or_else(|| Error::Protocol(format!("ListOffsets response lacks {t}-{p}")))?;
            match found.error_code {
                0 => {}
                3 if self.refresh_topic(&t).await.is_err() => {
                    return Err(Error::UnknownTopic(t));
                }
                code => {
                    return Err(Error::kafka(code, None, format!("list offsets of {t}-{p}")));
                }
            }
            out.insert(
                (t, p),
                ListedOffset {
                    offset: found.offset,
                    timestamp: found.timestamp,
                },
            );
        }
        Ok(out)
    }
}
