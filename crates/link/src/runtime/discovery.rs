//! Source metadata, polled every few seconds: mirrors created automatically
//! for new source topics that pass the link's filters, partitions added at
//! the source added to the mirror, deleted or recreated source topics
//! failing their mirror, and new mirrors started at
//! `mirror.start.offset.spec`.
//!
//! Confluent polls at `metadata.max.age.ms` (5 minutes by default); ferry
//! polls at most every 5 s so new topics appear well within 10 s.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use ferry_client::admin::OffsetSpec;
use ferry_client::{Client, Error as ClientError, IsolationLevel, TopicMetadata};

use super::{LinkRuntime, now_ms};
use crate::config::StartOffsetSpec;
use crate::error::LinkError;
use crate::status::{MirrorStatus, MirrorTopicError, TaskState};
use crate::store::MirrorRecord;
use crate::view::TaskError;

/// Topics a link never mirrors: Kafka's and Confluent's internal topics and
/// the schema registry's `_schemas` (schemas travel by schema linking).
pub(crate) fn is_internal_topic(name: &str, flagged_internal: bool) -> bool {
    flagged_internal
        || name.starts_with("__")
        || name.starts_with("_confluent")
        || name == "_schemas"
}

impl LinkRuntime {
    pub(crate) async fn discovery_loop(self: Arc<Self>) {
        loop {
            let settings = self.settings();
            let interval = Duration::from_millis(settings.metadata_max_age_ms.clamp(100, 5000));
            if !settings.cluster_link_paused {
                match self.discover().await {
                    Ok(()) => {
                        self.source_ok();
                        self.set_task("AutoCreateMirror", TaskState::Active, Vec::new());
                    }
                    Err(e) => {
                        if Self::is_source_failure(&e) {
                            self.source_failed(&e);
                        }
                        self.set_task(
                            "AutoCreateMirror",
                            TaskState::InError,
                            vec![TaskError {
                                error_code: "INTERNAL_ERROR".into(),
                                error_message: e.to_string(),
                            }],
                        );
                    }
                }
            }
            if !self.pause_for(interval, &self.wake_discovery).await {
                return;
            }
        }
    }

    /// One pass over the source's metadata.
    async fn discover(&self) -> Result<(), ClientError> {
        let client = self.source_client().await?;
        let topics = client.list_topics(true).await?;
        let by_name: HashMap<&str, &TopicMetadata> =
            topics.iter().map(|t| (t.name.as_str(), t)).collect();
        for (mirror, m) in self.mirrors() {
            if !matches!(
                m.status,
                MirrorStatus::Active | MirrorStatus::PendingMirror | MirrorStatus::Paused
            ) {
                continue;
            }
            match by_name.get(m.source_topic.as_str()) {
                None => self.fail_mirror(
                    &mirror,
                    MirrorTopicError::SourceTopicMayBeDeleted,
                    format!("source topic '{}' no longer exists", m.source_topic),
                ),
                Some(t) if t.error_code == 0 => self.check_mirror(&client, &mirror, &m, t).await?,
                Some(_) => {}
            }
        }
        let settings = self.settings();
        if settings.auto_create_mirror_topics_enable {
            let mirrored: Vec<String> = self
                .mirrors()
                .values()
                .map(|m| m.source_topic.clone())
                .collect();
            for t in &topics {
                if t.error_code != 0
                    || is_internal_topic(&t.name, t.is_internal)
                    || !settings.auto_create_mirror_topics_filters.matches(&t.name)
                    || mirrored.contains(&t.name)
                {
                    continue;
                }
                let mirror = self.mirror_name(&t.name);
                if self.broker.topic(&mirror).is_some() {
                    tracing::debug!(topic = %mirror, "not auto-creating a mirror over an existing topic");
                    continue;
                }
                match self.add_mirror(&t.name, &mirror, t, BTreeMap::new()) {
                    Ok(()) => {
                        tracing::info!(link = %self.name(), mirror, "auto-created mirror topic");
                        if let Some(m) = self.mirrors().get(&mirror) {
                            self.check_mirror(&client, &mirror, m, t).await?;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(link = %self.name(), mirror, "auto-create failed: {e}")
                    }
                }
            }
        }
        Ok(())
    }

    /// Compares a mirror with its source topic; starts it if pending.
    async fn check_mirror(
        &self,
        client: &Client,
        mirror: &str,
        m: &MirrorRecord,
        source: &TopicMetadata,
    ) -> Result<(), ClientError> {
        let source_id = (!source.topic_id.is_nil()).then_some(source.topic_id);
        match (m.source_topic_id, source_id) {
            (Some(expected), Some(now)) if expected != now => {
                self.fail_mirror(
                    mirror,
                    MirrorTopicError::SourceTopicIdChanged,
                    format!(
                        "source topic '{}' was deleted and created again (topic id {expected} is now {now})",
                        m.source_topic
                    ),
                );
                return Ok(());
            }
            (None, Some(now)) => {
                let name = mirror.to_string();
                if let Err(e) = self.update_record(|r| {
                    if let Some(m) = r.mirrors.get_mut(&name) {
                        m.source_topic_id = Some(now);
                    }
                }) {
                    tracing::warn!("{e}");
                }
            }
            _ => {}
        }
        let Some(topic) = self.broker.topic(mirror) else {
            let _creating = self.creating.lock();
            if self.broker.topic(mirror).is_some() {
                // Created by `add_mirror` meanwhile.
            } else if m.status == MirrorStatus::PendingMirror {
                // Created in the record, crashed before the topic: create it.
                if let Err(e) = self.broker.create_mirror_topic(
                    mirror,
                    (source.partitions.len() as i32).max(1),
                    BTreeMap::new(),
                    self.mirror_of(&m.source_topic),
                ) {
                    tracing::warn!(mirror, "creating the mirror topic: {e}");
                }
            } else {
                // The mirror topic was deleted (DeleteTopics): so is the mirror.
                tracing::info!(mirror, "mirror topic deleted; removing the mirror");
                let name = mirror.to_string();
                if let Err(e) = self.update_record(|r| r.mirrors.remove(&name)) {
                    tracing::warn!("{e}");
                }
            }
            return Ok(());
        };
        let source_count = source.partitions.len() as i32;
        let local_count = topic.partition_count();
        if source_count < local_count {
            self.fail_mirror(
                mirror,
                MirrorTopicError::SourcePartitionsDecreased,
                format!("source topic has {source_count} partitions, the mirror {local_count}"),
            );
            return Ok(());
        }
        if source_count > local_count {
            match self.broker.grow_mirror_partitions(mirror, source_count) {
                Ok(()) => {
                    tracing::info!(
                        mirror,
                        from = local_count,
                        to = source_count,
                        "mirror partitions added"
                    );
                    // The fetch loop's client learns the new partitions on
                    // a fresh connection.
                    self.wake();
                }
                Err(e) => tracing::warn!(mirror, "adding partitions: {e}"),
            }
        }
        if m.status == MirrorStatus::PendingMirror {
            self.start_mirror(client, mirror, m).await?;
        }
        Ok(())
    }

    /// Moves each empty partition of a new mirror to where
    /// `mirror.start.offset.spec` says mirroring starts, then makes the
    /// mirror ACTIVE.
    async fn start_mirror(
        &self,
        client: &Client,
        mirror: &str,
        m: &MirrorRecord,
    ) -> Result<(), ClientError> {
        let Some(topic) = self.broker.topic(mirror) else {
            return Ok(());
        };
        let keys: Vec<(String, i32)> = topic
            .partitions()
            .iter()
            .map(|p| (m.source_topic.clone(), p.index))
            .collect();
        let spec = match self.settings().mirror_start_offset_spec {
            StartOffsetSpec::Earliest => OffsetSpec::Earliest,
            StartOffsetSpec::Latest => OffsetSpec::Latest,
            StartOffsetSpec::Timestamp(ts) => OffsetSpec::Timestamp(ts),
        };
        let mut starts = client
            .list_offsets(&keys, spec, IsolationLevel::ReadUncommitted)
            .await?;
        if matches!(spec, OffsetSpec::Timestamp(_)) {
            // No record at or after the timestamp: start at the end.
            let missing: Vec<_> = keys
                .iter()
                .filter(|k| starts.get(*k).is_none_or(|l| l.offset < 0))
                .cloned()
                .collect();
            if !missing.is_empty() {
                let ends = client
                    .list_offsets(
                        &missing,
                        OffsetSpec::Latest,
                        IsolationLevel::ReadUncommitted,
                    )
                    .await?;
                starts.extend(ends);
            }
        }
        for p in topic.partitions() {
            let Some(start) = starts.get(&(m.source_topic.clone(), p.index)) else {
                continue;
            };
            let empty = p.high_watermark() == p.log_start_offset();
            if empty
                && start.offset > p.log_start_offset()
                && let Err(e) = p.follow_log_start_offset(start.offset)
            {
                tracing::warn!(mirror, partition = p.index, "setting the start offset: {e}");
            }
        }
        if let Err(e) =
            self.set_mirror_status(mirror, MirrorStatus::Active, MirrorTopicError::NoError)
        {
            tracing::error!("{e}");
        }
        self.wake();
        Ok(())
    }

    /// Creates a mirror: the link's record first (so a crash in between is
    /// repaired by creating the topic), then the topic, with the link's mark.
    pub(crate) fn add_mirror(
        &self,
        source_topic: &str,
        mirror: &str,
        source: &TopicMetadata,
        configs: BTreeMap<String, String>,
    ) -> Result<(), LinkError> {
        let _creating = self.creating.lock();
        if self.broker.topic(mirror).is_some() || self.mirror_status(mirror).is_some() {
            return Err(LinkError::TopicExists(mirror.to_string()));
        }
        let record = MirrorRecord {
            source_topic: source_topic.to_string(),
            source_topic_id: (!source.topic_id.is_nil()).then_some(source.topic_id),
            status: MirrorStatus::PendingMirror,
            error: MirrorTopicError::NoError,
            state_time_ms: now_ms(),
            stopped_log_end_offsets: Vec::new(),
            transition_errors: Vec::new(),
        };
        let name = mirror.to_string();
        self.update_record(|r| r.mirrors.insert(name, record))?;
        let partitions = (source.partitions.len() as i32).max(1);
        if let Err(e) = self.broker.create_mirror_topic(
            mirror,
            partitions,
            configs,
            self.mirror_of(source_topic),
        ) {
            let name = mirror.to_string();
            let _ = self.update_record(|r| r.mirrors.remove(&name));
            return Err(match e {
                ferry_broker::state::CatalogError::TopicExists(t) => LinkError::TopicExists(t),
                other => LinkError::Invalid(other.to_string()),
            });
        }
        self.wake();
        Ok(())
    }
}
