//! One running link: its persisted record, its configs, the source client,
//! and the tasks that keep the mirrors up to date.
//!
//! - `source`: the source client and the link's health (availability).
//! - `discovery`: source metadata: auto-create, new partitions, deleted or
//!   recreated source topics, and the start offsets of new mirrors.
//! - `fetcher`: Fetch from the source leaders, append verbatim at the same
//!   offsets.
//! - `offset_sync`, `config_sync`: consumer offsets and topic configs.
//! - `actions`: promote, failover, pause, resume.

mod actions;
mod config_sync;
mod discovery;
mod fetcher;
mod offset_sync;
mod source;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use ferry_broker::Broker;
use ferry_broker::mirror::MirrorOf;
use parking_lot::{Mutex, RwLock};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::config::{LinkConfig, LinkSettings};
use crate::error::LinkError;
use crate::status::{LinkState, MirrorStatus, MirrorTopicError, TaskState};
use crate::store::{self, LinkRecord, MirrorRecord};
use crate::view::{LinkTask, MirrorDescription, MirrorLag, TaskError};

use source::Health;

/// What the link knows of one mirror partition's progress.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PartitionProgress {
    /// The source leader's log end offset (high watermark), as last seen.
    pub(crate) source_log_end: i64,
    /// The last source offset fetched (last offset of the last batch appended).
    pub(crate) last_fetched: Option<i64>,
    /// Bytes appended.
    pub(crate) bytes: u64,
    /// Records appended.
    pub(crate) records: u64,
}

/// A link task's last outcome.
#[derive(Debug, Clone)]
pub(crate) struct TaskStatus {
    state: TaskState,
    errors: Vec<TaskError>,
}

/// One link, running.
#[derive(Debug)]
pub(crate) struct LinkRuntime {
    pub(crate) broker: Arc<Broker>,
    data_dir: PathBuf,
    record: Mutex<LinkRecord>,
    config: RwLock<(LinkConfig, LinkSettings)>,
    health: Mutex<Health>,
    source: tokio::sync::Mutex<Option<Arc<ferry_client::Client>>>,
    /// The fetch loop's own client: its long polls would otherwise queue
    /// every admin request (metadata, ListOffsets, offsets) behind them on
    /// the one connection a broker answers in order.
    fetch_source: tokio::sync::Mutex<Option<Arc<ferry_client::Client>>>,
    progress: Mutex<HashMap<(String, i32), PartitionProgress>>,
    /// Held while a mirror's record and topic are created together, so that
    /// two creators (REST, auto-create, the crash repair) cannot interleave.
    pub(crate) creating: Mutex<()>,
    tasks: Mutex<BTreeMap<&'static str, TaskStatus>>,
    /// Woken when mirrors or configs change, so loops need not wait a tick.
    /// One per loop, woken with `notify_one`, whose stored permit also
    /// reaches a loop that was busy at the time of the change.
    pub(crate) wake_fetch: Notify,
    pub(crate) wake_discovery: Notify,
    stop: watch::Sender<bool>,
    handles: Mutex<Vec<JoinHandle<()>>>,
    /// Totals for metrics.
    pub(crate) bytes_total: AtomicU64,
    pub(crate) records_total: AtomicU64,
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl LinkRuntime {
    /// Builds the runtime of a persisted (or new) link; tasks start with
    /// [`Self::start`].
    pub(crate) fn new(
        broker: Arc<Broker>,
        record: LinkRecord,
        config: LinkConfig,
    ) -> Result<Arc<Self>, LinkError> {
        let settings = config
            .settings()
            .map_err(|e| LinkError::Invalid(e.to_string()))?;
        let data_dir = broker.config().data_dir.clone();
        let (stop, _) = watch::channel(false);
        Ok(Arc::new(Self {
            broker,
            data_dir,
            record: Mutex::new(record),
            config: RwLock::new((config, settings)),
            health: Mutex::new(Health::default()),
            source: tokio::sync::Mutex::new(None),
            fetch_source: tokio::sync::Mutex::new(None),
            progress: Mutex::new(HashMap::new()),
            creating: Mutex::new(()),
            tasks: Mutex::new(BTreeMap::new()),
            wake_fetch: Notify::new(),
            wake_discovery: Notify::new(),
            stop,
            handles: Mutex::new(Vec::new()),
            bytes_total: AtomicU64::new(0),
            records_total: AtomicU64::new(0),
        }))
    }

    /// Starts the link's tasks.
    pub(crate) fn start(self: &Arc<Self>) {
        self.reconcile_topics();
        let mut handles = self.handles.lock();
        handles.push(tokio::spawn(Arc::clone(self).discovery_loop()));
        handles.push(tokio::spawn(Arc::clone(self).fetch_loop()));
        handles.push(tokio::spawn(Arc::clone(self).offset_sync_loop()));
        handles.push(tokio::spawn(Arc::clone(self).config_sync_loop()));
    }

    /// Stops the link's tasks and waits for them.
    pub(crate) async fn stop(&self) {
        let _ = self.stop.send(true);
        self.wake_fetch.notify_waiters();
        self.wake_discovery.notify_waiters();
        let handles: Vec<_> = std::mem::take(&mut *self.handles.lock());
        for h in handles {
            h.abort();
            let _ = h.await;
        }
    }

    /// Sleeps `d`, or less when woken or stopped. Returns false once stopped.
    pub(crate) async fn pause_for(&self, d: Duration, wake: &Notify) -> bool {
        let mut stop = self.stop.subscribe();
        if *stop.borrow() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = wake.notified() => {}
            _ = stop.changed() => {}
        }
        !*self.stop.borrow()
    }

    pub(crate) fn wake(&self) {
        self.wake_fetch.notify_one();
        self.wake_discovery.notify_one();
    }

    pub(crate) fn name(&self) -> String {
        self.record.lock().name.clone()
    }

    pub(crate) fn settings(&self) -> LinkSettings {
        self.config.read().1.clone()
    }

    pub(crate) fn config(&self) -> LinkConfig {
        self.config.read().0.clone()
    }

    pub(crate) fn record(&self) -> LinkRecord {
        self.record.lock().clone()
    }

    pub(crate) fn mirror_of(&self, source_topic: &str) -> MirrorOf {
        let r = self.record.lock();
        MirrorOf {
            link_name: r.name.clone(),
            link_id: r.id,
            source_topic: source_topic.to_string(),
        }
    }

    /// Replaces the configs (validated by the caller) and persists them.
    pub(crate) fn set_config(&self, config: LinkConfig) -> Result<(), LinkError> {
        let settings = config
            .settings()
            .map_err(|e| LinkError::Invalid(e.to_string()))?;
        self.update_record(|r| r.configs = config.explicit().clone())?;
        *self.config.write() = (config, settings);
        // A new bootstrap or credentials take effect on the next connection.
        if let Ok(mut source) = self.source.try_lock() {
            *source = None;
        }
        if let Ok(mut source) = self.fetch_source.try_lock() {
            *source = None;
        }
        self.wake();
        Ok(())
    }

    /// Changes the record and persists it; the change is kept in memory only
    /// if it was written.
    pub(crate) fn update_record<T>(
        &self,
        change: impl FnOnce(&mut LinkRecord) -> T,
    ) -> Result<T, LinkError> {
        let mut record = self.record.lock();
        let mut next = record.clone();
        let out = change(&mut next);
        if next != *record {
            store::save(&self.data_dir, &next)?;
            *record = next;
        }
        Ok(out)
    }

    /// Moves a mirror to `status` (persisted).
    pub(crate) fn set_mirror_status(
        &self,
        mirror: &str,
        status: MirrorStatus,
        error: MirrorTopicError,
    ) -> Result<(), LinkError> {
        self.update_record(|r| {
            if let Some(m) = r.mirrors.get_mut(mirror)
                && (m.status != status || m.error != error)
            {
                tracing::info!(link = %r.name, mirror, from = m.status.as_str(), to = status.as_str(), ?error, "mirror state change");
                m.status = status;
                m.error = error;
                m.state_time_ms = now_ms();
            }
        })
    }

    /// Puts a mirror in FAILED.
    pub(crate) fn fail_mirror(&self, mirror: &str, error: MirrorTopicError, message: String) {
        tracing::warn!(link = %self.name(), mirror, ?error, "mirror failed: {message}");
        let result = self.update_record(|r| {
            if let Some(m) = r.mirrors.get_mut(mirror)
                && m.status != MirrorStatus::Failed
            {
                m.status = MirrorStatus::Failed;
                m.error = error;
                m.state_time_ms = now_ms();
                m.transition_errors.push(TaskError {
                    error_code: format!("{error:?}"),
                    error_message: message,
                });
            }
        });
        if let Err(e) = result {
            tracing::error!("could not persist mirror failure: {e}");
        }
    }

    /// Makes the catalogue and the record agree after a crash between the
    /// two writes of a mirror creation: a mirror in the record whose topic is
    /// missing is created again (nothing was mirrored into it yet); a topic
    /// marked for this link but missing from the record is adopted.
    fn reconcile_topics(&self) {
        let record = self.record();
        for (name, m) in &record.mirrors {
            if m.status == MirrorStatus::Stopped
                && self.broker.topic(name).is_some_and(|t| t.is_mirror())
                && let Err(e) = self.broker.stop_mirror(name)
            {
                tracing::error!("finishing the stop of mirror {name}: {e}");
            }
        }
        for topic in self.broker.topics() {
            if let Some(m) = topic.mirror()
                && m.link_id == record.id
                && !record.mirrors.contains_key(&topic.name)
            {
                let adopted = MirrorRecord {
                    source_topic: m.source_topic.clone(),
                    source_topic_id: None,
                    status: MirrorStatus::PendingMirror,
                    error: MirrorTopicError::NoError,
                    state_time_ms: now_ms(),
                    stopped_log_end_offsets: Vec::new(),
                    transition_errors: Vec::new(),
                };
                let name = topic.name.clone();
                if let Err(e) = self.update_record(|r| r.mirrors.insert(name, adopted)) {
                    tracing::error!("adopting mirror {}: {e}", topic.name);
                }
            }
        }
    }

    /// The state a mirror shows: its own, unless the link is paused or the
    /// source unavailable.
    pub(crate) fn effective_status(&self, m: &MirrorRecord) -> MirrorStatus {
        match m.status {
            MirrorStatus::Active | MirrorStatus::PendingMirror => match self.link_state() {
                LinkState::Paused => MirrorStatus::LinkPaused,
                LinkState::Unavailable => MirrorStatus::SourceUnavailable,
                LinkState::Failed => MirrorStatus::LinkFailed,
                _ => m.status,
            },
            other => other,
        }
    }

    pub(crate) fn progress(&self, mirror: &str, partition: i32) -> PartitionProgress {
        self.progress
            .lock()
            .get(&(mirror.to_string(), partition))
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn record_progress(
        &self,
        mirror: &str,
        partition: i32,
        f: impl FnOnce(&mut PartitionProgress),
    ) {
        f(self
            .progress
            .lock()
            .entry((mirror.to_string(), partition))
            .or_default());
    }

    /// Per-partition lag of a mirror.
    pub(crate) fn lags(&self, mirror: &str) -> Vec<MirrorLag> {
        let Some(topic) = self.broker.topic(mirror) else {
            return Vec::new();
        };
        topic
            .partitions()
            .iter()
            .map(|p| {
                let progress = self.progress(mirror, p.index);
                let end = p.high_watermark();
                MirrorLag {
                    partition: p.index,
                    lag: (progress.source_log_end - end).max(0),
                    last_source_fetch_offset: progress.last_fetched.unwrap_or(-1),
                }
            })
            .collect()
    }

    pub(crate) fn describe_mirror(
        &self,
        mirror: &str,
        m: &MirrorRecord,
        include_errors: bool,
    ) -> MirrorDescription {
        let lags = self.lags(mirror);
        MirrorDescription {
            link_name: self.name(),
            mirror_topic_name: mirror.to_string(),
            source_topic_name: m.source_topic.clone(),
            num_partitions: self.broker.topic(mirror).map_or(0, |t| t.partition_count()),
            mirror_lags: lags,
            mirror_status: self.effective_status(m),
            mirror_topic_error: m.error,
            state_time_ms: m.state_time_ms,
            mirror_state_transition_errors: include_errors.then(|| m.transition_errors.clone()),
        }
    }

    pub(crate) fn set_task(&self, name: &'static str, state: TaskState, errors: Vec<TaskError>) {
        self.tasks.lock().insert(name, TaskStatus { state, errors });
    }

    pub(crate) fn tasks(&self) -> Vec<LinkTask> {
        let settings = self.settings();
        let link_state = self.link_state();
        let known = self.tasks.lock().clone();
        [
            ("AclSync", false),
            (
                "AutoCreateMirror",
                settings.auto_create_mirror_topics_enable,
            ),
            ("ConsumerOffsetSync", settings.consumer_offset_sync_enable),
            ("TopicConfigsSync", true),
        ]
        .into_iter()
        .map(|(name, enabled)| {
            let (state, errors) = if !enabled {
                (TaskState::NotConfigured, Vec::new())
            } else {
                match link_state {
                    LinkState::Paused => (TaskState::LinkPaused, Vec::new()),
                    LinkState::Unavailable => (TaskState::LinkUnavailable, Vec::new()),
                    LinkState::Failed => (TaskState::LinkFailed, Vec::new()),
                    _ => known
                        .get(name)
                        .map_or((TaskState::Active, Vec::new()), |t| {
                            (t.state, t.errors.clone())
                        }),
                }
            };
            LinkTask {
                task_name: name.to_string(),
                state,
                errors,
            }
        })
        .collect()
    }

    /// One mirror's own (persisted) status.
    pub(crate) fn mirror_status(&self, mirror: &str) -> Option<MirrorStatus> {
        self.record.lock().mirrors.get(mirror).map(|m| m.status)
    }

    /// Mirror names of this link with their records.
    pub(crate) fn mirrors(&self) -> BTreeMap<String, MirrorRecord> {
        self.record.lock().mirrors.clone()
    }

    /// The mirror's name for a source topic (`cluster.link.prefix`).
    pub(crate) fn mirror_name(&self, source_topic: &str) -> String {
        match self.settings().cluster_link_prefix {
            Some(prefix) => format!("{prefix}{source_topic}"),
            None => source_topic.to_string(),
        }
    }
}
