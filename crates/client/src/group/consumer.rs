//! A consumer-group member: Kafka's classic group protocol, client side.
//!
//! [`GroupConsumer::join`] finds the coordinator, joins (JoinGroup, protocol
//! type "consumer", the range assignor), computes the assignment when elected
//! leader, collects its own with SyncGroup, and starts at the committed
//! offsets (or at the reset position when nothing was committed). A background
//! task heartbeats; when the coordinator answers REBALANCE_IN_PROGRESS (or
//! forgets the member) the next [`poll`](GroupConsumer::poll) commits and
//! rejoins. [`close`](GroupConsumer::close) commits and leaves the group so the
//! remaining members rebalance at once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    GroupId, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, OffsetCommitRequest,
    SyncGroupRequest,
};
use kafka_protocol::protocol::StrBytes;

use super::assignor::{RANGE, assign_range};
use super::protocol::{
    decode_assignment, decode_subscription, encode_assignment, encode_subscription,
};
use crate::admin::OffsetSpec;
use crate::client::{Client, topic_name};
use crate::error::{Error, Result};
use crate::fetch::{FetchOptions, FetchTarget, IsolationLevel};
use crate::records::{ConsumerRecord, decode_records, next_fetch_offset};

const PROTOCOL_TYPE: &str = "consumer";
const UNKNOWN_MEMBER_ID: i16 = 25;
const ILLEGAL_GENERATION: i16 = 22;
const REBALANCE_IN_PROGRESS: i16 = 27;
const MEMBER_ID_REQUIRED: i16 = 79;
const OFFSET_OUT_OF_RANGE: i16 = 1;
/// Join attempts before giving up (rebalances, coordinator moves).
const MAX_JOIN_ATTEMPTS: u32 = 20;

/// Where to start a partition that has no committed offset: `auto.offset.reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OffsetReset {
    /// The log start.
    Earliest,
    /// The log end: only new records.
    #[default]
    Latest,
}

/// Settings of a group member.
#[derive(Debug, Clone)]
pub struct GroupConsumerConfig {
    /// `group.id`.
    pub group_id: String,
    /// Subscribed topics.
    pub topics: Vec<String>,
    /// `session.timeout.ms`.
    pub session_timeout: Duration,
    /// `max.poll.interval.ms`, sent as the rebalance timeout.
    pub rebalance_timeout: Duration,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval: Duration,
    /// `auto.offset.reset`.
    pub offset_reset: OffsetReset,
    /// Fetch settings (isolation level, wait, sizes).
    pub fetch: FetchOptions,
}

impl GroupConsumerConfig {
    /// Kafka's consumer defaults for `group_id` subscribed to `topics`.
    pub fn new(group_id: &str, topics: Vec<String>) -> Self {
        Self {
            group_id: group_id.to_owned(),
            topics,
            session_timeout: Duration::from_secs(45),
            rebalance_timeout: Duration::from_secs(300),
            heartbeat_interval: Duration::from_secs(3),
            offset_reset: OffsetReset::Latest,
            fetch: FetchOptions::default(),
        }
    }
}

/// A record with the partition it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolledRecord {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// The record.
    pub record: ConsumerRecord,
}

/// A member of a consumer group.
#[derive(Debug)]
pub struct GroupConsumer {
    client: Client,
    config: GroupConsumerConfig,
    member_id: String,
    generation_id: i32,
    assignment: BTreeMap<String, Vec<i32>>,
    /// Next offset to fetch per assigned partition.
    positions: BTreeMap<(String, i32), i64>,
    /// Positions as of the last successful commit.
    committed: BTreeMap<(String, i32), i64>,
    /// Set by the heartbeat task when the group needs a rejoin.
    rejoin_needed: Arc<AtomicBool>,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for GroupConsumer {
    fn drop(&mut self) {
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
    }
}

impl GroupConsumer {
    /// Joins the group and positions every assigned partition.
    ///
    /// # Errors
    /// Kafka errors from the coordinator (e.g. GROUP_AUTHORIZATION_FAILED),
    /// connection errors.
    pub async fn join(client: Client, config: GroupConsumerConfig) -> Result<Self> {
        let mut me = Self {
            client,
            config,
            member_id: String::new(),
            generation_id: -1,
            assignment: BTreeMap::new(),
            positions: BTreeMap::new(),
            committed: BTreeMap::new(),
            rejoin_needed: Arc::new(AtomicBool::new(false)),
            heartbeat: None,
        };
        me.rejoin().await?;
        Ok(me)
    }

    /// The member id the coordinator gave this member.
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The current generation.
    pub fn generation_id(&self) -> i32 {
        self.generation_id
    }

    /// The partitions currently assigned to this member.
    pub fn assignment(&self) -> &BTreeMap<String, Vec<i32>> {
        &self.assignment
    }

    /// The next offset to be consumed per assigned partition.
    pub fn positions(&self) -> &BTreeMap<(String, i32), i64> {
        &self.positions
    }

    /// Fetches the next records from the assigned partitions, waiting up to
    /// the configured fetch wait. Rejoins first if the group is rebalancing.
    ///
    /// # Errors
    /// Non-retriable errors (corrupt records, authorization); transient
    /// partition errors are skipped until the next poll.
    pub async fn poll(&mut self) -> Result<Vec<PolledRecord>> {
        if self.rejoin_needed.swap(false, Ordering::SeqCst) {
            // Keep what was consumed: the next owner starts after it.
            if let Err(e) = self.commit().await {
                tracing::debug!(%e, "commit before rejoin failed");
            }
            self.rejoin().await?;
        }
        if self.positions.is_empty() {
            tokio::time::sleep(self.config.fetch.max_wait).await;
            return Ok(Vec::new());
        }
        let targets: Vec<FetchTarget> = self
            .positions
            .iter()
            .map(|((t, p), o)| FetchTarget {
                topic: t.clone(),
                partition: *p,
                offset: *o,
            })
            .collect();
        let results = self.client.fetch_many(&targets, &self.config.fetch).await;
        // Positions change only after the last await below, so a poll that is
        // cancelled (Ctrl-C) never skips records it did not hand out.
        let mut out = Vec::new();
        let mut advanced = Vec::new();
        let mut out_of_range = Vec::new();
        let mut any_ok = false;
        for (target, result) in results {
            let fetched = match result {
                Ok(f) => f,
                Err(e) if e.kafka_error().map(|k| k.code()) == Some(OFFSET_OUT_OF_RANGE) => {
                    out_of_range.push((target.topic, target.partition));
                    continue;
                }
                Err(e) if e.is_retriable() || e.is_stale_metadata() => {
                    tracing::debug!(%e, "fetch {}-{}", target.topic, target.partition);
                    continue;
                }
                Err(e) => return Err(e),
            };
            any_ok = true;
            let records = decode_records(
                &target.topic,
                target.partition,
                &fetched,
                target.offset,
                self.config.fetch.isolation,
            )?;
            let next = next_fetch_offset(&fetched, target.offset);
            advanced.push(((target.topic.clone(), target.partition), next));
            out.extend(records.into_iter().map(|record| PolledRecord {
                topic: target.topic.clone(),
                partition: target.partition,
                record,
            }));
        }
        for (topic, partition) in out_of_range {
            let reset = self.reset_position(&topic, partition).await?;
            advanced.push(((topic, partition), reset));
        }
        if !any_ok && out.is_empty() {
            // Everything failed transiently: do not spin.
            tokio::time::sleep(self.config.fetch.max_wait).await;
        }
        for (key, next) in advanced {
            // A rebalance in between may have taken the partition away.
            if let Some(position) = self.positions.get_mut(&key) {
                *position = next;
            }
        }
        Ok(out)
    }

    /// Moves the position of an assigned partition: the next poll fetches from
    /// `offset`, and the next commit stores it. Used to hand back records that
    /// were polled but not processed.
    pub fn seek(&mut self, topic: &str, partition: i32, offset: i64) {
        if let Some(position) = self.positions.get_mut(&(topic.to_owned(), partition)) {
            *position = offset;
        }
    }

    /// Commits the current positions (those changed since the last commit).
    ///
    /// # Errors
    /// Kafka errors; REBALANCE_IN_PROGRESS / ILLEGAL_GENERATION also mark the
    /// member for a rejoin.
    pub async fn commit(&mut self) -> Result<()> {
        let changed: BTreeMap<(String, i32), i64> = self
            .positions
            .iter()
            .filter(|(k, v)| self.committed.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
        let md = self.client.cached_metadata();
        for ((t, p), o) in &changed {
            let part = OffsetCommitRequestPartition::default()
                .with_partition_index(*p)
                .with_committed_offset(*o)
                .with_committed_leader_epoch(-1);
            match topics.iter_mut().find(|x| x.name.0.as_str() == t) {
                Some(x) => x.partitions.push(part),
                None => topics.push(
                    OffsetCommitRequestTopic::default()
                        .with_name(topic_name(t))
                        .with_topic_id(md.topic(t).map(|m| m.topic_id).unwrap_or_default())
                        .with_partitions(vec![part]),
                ),
            }
        }
        let request = OffsetCommitRequest::default()
            .with_group_id(self.group_id())
            .with_generation_id_or_member_epoch(self.generation_id)
            .with_member_id(StrBytes::from_string(self.member_id.clone()))
            .with_retention_time_ms(-1)
            .with_topics(topics);
        let group = self.config.group_id.clone();
        let context = format!("commit offsets of group '{group}'");
        let response = self
            .client
            .retry(&context, || async {
                let conn = self.client.coordinator(&group).await?;
                let mut version = conn.version_for::<OffsetCommitRequest>()?;
                if request.topics.iter().any(|t| t.topic_id.is_nil()) {
                    version = version.min(9);
                }
                let r = conn.call_at(&request, version).await?;
                // Coordinator moves are per partition here; retry them whole.
                if let Some(code) = r
                    .topics
                    .iter()
                    .flat_map(|t| &t.partitions)
                    .map(|p| p.error_code)
                    .find(|c| matches!(c, 14..=16))
                {
                    return Err(Error::kafka(code, None, context.clone()));
                }
                Ok(r)
            })
            .await?;
        let error = response
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .map(|p| p.error_code)
            .find(|c| *c != 0);
        if let Some(code) = error {
            if matches!(
                code,
                REBALANCE_IN_PROGRESS | ILLEGAL_GENERATION | UNKNOWN_MEMBER_ID
            ) {
                self.rejoin_needed.store(true, Ordering::SeqCst);
            }
            return Err(Error::kafka(code, None, context));
        }
        self.committed.extend(changed);
        Ok(())
    }

    /// Commits, leaves the group, and stops heartbeating.
    ///
    /// # Errors
    /// The commit's error, after still trying to leave.
    pub async fn close(mut self) -> Result<()> {
        let committed = self.commit().await;
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        if !self.member_id.is_empty() {
            let member = StrBytes::from_string(self.member_id.clone());
            let left = async {
                let conn = self.client.coordinator(&self.config.group_id).await?;
                let version = conn.version_for::<LeaveGroupRequest>()?;
                // v0-2 name one member; v3+ carry a list (and refuse the old field).
                let request = if version >= 3 {
                    LeaveGroupRequest::default()
                        .with_members(vec![MemberIdentity::default().with_member_id(member)])
                } else {
                    LeaveGroupRequest::default().with_member_id(member)
                };
                let response = conn
                    .call_at(&request.with_group_id(self.group_id()), version)
                    .await?;
                let code = response
                    .members
                    .first()
                    .map_or(response.error_code, |m| m.error_code);
                match code {
                    0 => Ok(()),
                    code => Err(Error::kafka(code, None, "leave group")),
                }
            };
            if let Err(e) = left.await {
                tracing::debug!(%e, "leave group");
            }
        }
        committed
    }

    fn group_id(&self) -> GroupId {
        GroupId(StrBytes::from_string(self.config.group_id.clone()))
    }

    /// Runs JoinGroup + SyncGroup until the member is in a stable generation,
    /// then positions the assigned partitions and restarts the heartbeat.
    async fn rejoin(&mut self) -> Result<()> {
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        let mut last = None;
        for _ in 0..MAX_JOIN_ATTEMPTS {
            match self.join_once().await {
                Ok(assignment) => {
                    self.assignment = assignment;
                    self.position_assigned().await?;
                    self.start_heartbeat();
                    return Ok(());
                }
                Err(JoinError::Retry(e)) => {
                    tracing::debug!(%e, "rejoining group");
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(JoinError::Fatal(e)) => return Err(e),
            }
        }
        Err(Error::RetriesExhausted {
            context: format!("join group '{}'", self.config.group_id),
            attempts: MAX_JOIN_ATTEMPTS,
            last: Box::new(last.unwrap_or_else(|| Error::Protocol("join failed".into()))),
        })
    }

    async fn join_once(&mut self) -> std::result::Result<BTreeMap<String, Vec<i32>>, JoinError> {
        let group = self.config.group_id.clone();
        let conn = self
            .client
            .coordinator(&group)
            .await
            .map_err(JoinError::from_error)?;
        let metadata = encode_subscription(&self.config.topics).map_err(JoinError::Fatal)?;
        let join = JoinGroupRequest::default()
            .with_group_id(self.group_id())
            .with_session_timeout_ms(millis(self.config.session_timeout))
            .with_rebalance_timeout_ms(millis(self.config.rebalance_timeout))
            .with_member_id(StrBytes::from_string(self.member_id.clone()))
            .with_protocol_type(StrBytes::from_static_str(PROTOCOL_TYPE))
            .with_protocols(vec![
                JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_static_str(RANGE))
                    .with_metadata(metadata),
            ]);
        let joined = conn
            .call_with_wait(&join, self.config.rebalance_timeout)
            .await
            .map_err(JoinError::from_error)?;
        match joined.error_code {
            0 => {}
            MEMBER_ID_REQUIRED => {
                self.member_id = joined.member_id.as_str().to_owned();
                return Err(JoinError::Retry(Error::kafka(
                    MEMBER_ID_REQUIRED,
                    None,
                    "join group",
                )));
            }
            UNKNOWN_MEMBER_ID => {
                self.member_id.clear();
                return Err(JoinError::Retry(Error::kafka(
                    UNKNOWN_MEMBER_ID,
                    None,
                    "join group",
                )));
            }
            code => {
                return Err(JoinError::from_error(Error::kafka(
                    code,
                    None,
                    format!("join group '{group}'"),
                )));
            }
        }
        self.member_id = joined.member_id.as_str().to_owned();
        self.generation_id = joined.generation_id;
        let assignments = if joined.leader == joined.member_id {
            self.leader_assign(&joined.members)
                .await
                .map_err(JoinError::from_error)?
        } else {
            Vec::new()
        };
        let protocol_name = joined
            .protocol_name
            .clone()
            .unwrap_or_else(|| StrBytes::from_static_str(RANGE));
        let sync = SyncGroupRequest::default()
            .with_group_id(self.group_id())
            .with_generation_id(self.generation_id)
            .with_member_id(StrBytes::from_string(self.member_id.clone()))
            .with_protocol_type(Some(StrBytes::from_static_str(PROTOCOL_TYPE)))
            .with_protocol_name(Some(protocol_name))
            .with_assignments(assignments);
        let synced = conn
            .call_with_wait(&sync, self.config.rebalance_timeout)
            .await
            .map_err(JoinError::from_error)?;
        match synced.error_code {
            0 => {}
            UNKNOWN_MEMBER_ID => {
                self.member_id.clear();
                return Err(JoinError::Retry(Error::kafka(
                    UNKNOWN_MEMBER_ID,
                    None,
                    "sync group",
                )));
            }
            code => {
                return Err(JoinError::from_error(Error::kafka(
                    code,
                    None,
                    format!("sync group '{group}'"),
                )));
            }
        }
        decode_assignment(&synced.assignment).map_err(JoinError::Fatal)
    }

    /// As the elected leader: range-assign every member's subscription.
    async fn leader_assign(
        &self,
        members: &[kafka_protocol::messages::join_group_response::JoinGroupResponseMember],
    ) -> Result<Vec<SyncGroupRequestAssignment>> {
        let mut subscriptions = BTreeMap::new();
        for m in members {
            let topics = decode_subscription(&m.metadata).unwrap_or_default();
            subscriptions.insert(m.member_id.as_str().to_owned(), topics);
        }
        let mut all_topics: Vec<String> = subscriptions.values().flatten().cloned().collect();
        all_topics.sort();
        all_topics.dedup();
        let md = self.client.refresh_metadata(Some(&all_topics)).await?;
        let counts: BTreeMap<String, i32> = all_topics
            .iter()
            .filter_map(|t| {
                md.topic(t).filter(|m| m.error_code == 0).map(|m| {
                    (
                        t.clone(),
                        i32::try_from(m.partitions.len()).unwrap_or(i32::MAX),
                    )
                })
            })
            .collect();
        let plan = assign_range(&subscriptions, &counts);
        plan.iter()
            .map(|(member, assignment)| {
                Ok(SyncGroupRequestAssignment::default()
                    .with_member_id(StrBytes::from_string(member.clone()))
                    .with_assignment(encode_assignment(assignment)?))
            })
            .collect()
    }

    /// Sets positions for the assignment: committed offsets, else the reset point.
    async fn position_assigned(&mut self) -> Result<()> {
        let committed = self
            .client
            .committed_offsets(&self.config.group_id, Some(&self.assignment))
            .await?;
        self.positions.clear();
        self.committed.clear();
        let mut missing = Vec::new();
        for (t, ps) in &self.assignment {
            for p in ps {
                let key = (t.clone(), *p);
                match committed.get(&key) {
                    Some(o) => {
                        self.positions.insert(key.clone(), *o);
                        self.committed.insert(key, *o);
                    }
                    None => missing.push(key),
                }
            }
        }
        if !missing.is_empty() {
            let spec = match self.config.offset_reset {
                OffsetReset::Earliest => OffsetSpec::Earliest,
                OffsetReset::Latest => OffsetSpec::Latest,
            };
            let found = self
                .client
                .list_offsets(&missing, spec, self.config.fetch.isolation)
                .await?;
            for (k, v) in found {
                self.positions.insert(k, v.offset);
            }
        }
        Ok(())
    }

    async fn reset_position(&self, topic: &str, partition: i32) -> Result<i64> {
        let spec = match self.config.offset_reset {
            OffsetReset::Earliest => OffsetSpec::Earliest,
            OffsetReset::Latest => OffsetSpec::Latest,
        };
        let key = (topic.to_owned(), partition);
        let found = self
            .client
            .list_offsets(
                std::slice::from_ref(&key),
                spec,
                IsolationLevel::ReadUncommitted,
            )
            .await?;
        found
            .get(&key)
            .map(|o| o.offset)
            .ok_or_else(|| Error::Protocol(format!("no offset for {topic}-{partition}")))
    }

    fn start_heartbeat(&mut self) {
        let client = self.client.clone();
        let flag = Arc::clone(&self.rejoin_needed);
        let request = HeartbeatRequest::default()
            .with_group_id(self.group_id())
            .with_generation_id(self.generation_id)
            .with_member_id(StrBytes::from_string(self.member_id.clone()));
        let group = self.config.group_id.clone();
        let interval = self.config.heartbeat_interval;
        self.heartbeat = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let result = match client.coordinator(&group).await {
                    Ok(conn) => conn.call(&request).await.map(|r| r.error_code),
                    Err(e) => Err(e),
                };
                match result {
                    Ok(0) => {}
                    Ok(REBALANCE_IN_PROGRESS | ILLEGAL_GENERATION | UNKNOWN_MEMBER_ID) => {
                        flag.store(true, Ordering::SeqCst);
                        return;
                    }
                    Ok(code) => tracing::debug!(code, "heartbeat error"),
                    Err(e) => tracing::debug!(%e, "heartbeat failed"),
                }
            }
        }));
    }
}

/// Whether a join failure is worth another attempt.
enum JoinError {
    Retry(Error),
    Fatal(Error),
}

impl JoinError {
    fn from_error(e: Error) -> Self {
        let code = e.kafka_error().map(|k| k.code());
        if e.is_retriable()
            || e.is_stale_metadata()
            || matches!(code, Some(REBALANCE_IN_PROGRESS | ILLEGAL_GENERATION))
        {
            JoinError::Retry(e)
        } else {
            JoinError::Fatal(e)
        }
    }
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}
