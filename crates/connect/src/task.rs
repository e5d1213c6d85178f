//! The one task of a connector: sets up (topic, value schema), then
//! generates and appends records paced by `max.interval`, following the
//! manager's [`Control`] (run, pause, stop).
//!
//! As Confluent's task, each record waits a random time in
//! `[0, max.interval)` ms; records that fall due together are appended as
//! one batch per partition. When `iterations` records exist the task stops
//! producing and shows FAILED with the trace Confluent's task throws
//! ("Stopping connector: generated the configured N number of messages")
//! while the connector itself stays RUNNING: what Kafka Connect shows for
//! the self-managed connector.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use ferry_broker::Broker;
use ferry_client::ProduceRecord;
use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::{RuntimeConfig, parse, runtime_of};
use crate::registrar::SchemaRegistrar;
use crate::sink::{LocalTopic, MAX_BATCH_RECORDS};
use crate::source::{self, RecordSource, SourcePosition};
use crate::store::{ConnectorStore, StoredConnector};
use crate::view::State;

/// How often a running task saves its position (records produced, seed).
pub(crate) const SAVE_EVERY: Duration = Duration::from_secs(1);

/// The longest a task lets its schedule fall behind before it stops
/// catching up (after a slow disk or a paused process).
const MAX_LAG: Duration = Duration::from_secs(1);

/// What the manager wants the task to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// Produce.
    Run,
    /// Stay set up, produce nothing.
    Pause,
    /// Save and end.
    Stop,
}

/// What the task and the manager share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The stored form; whoever changes it saves it.
    pub(crate) stored: Mutex<StoredConnector>,
    /// The task's state and trace.
    pub(crate) status: Mutex<(State, Option<String>)>,
    /// Records produced (also in `stored.produced` at the last save).
    pub(crate) produced: AtomicU64,
    /// `(subject, id)` of the registered value schema.
    pub(crate) schema: Mutex<Option<(String, i32)>>,
}

impl Shared {
    pub(crate) fn new(stored: StoredConnector) -> Self {
        let produced = stored.produced;
        Self {
            stored: Mutex::new(stored),
            status: Mutex::new((State::Unassigned, None)),
            produced: AtomicU64::new(produced),
            schema: Mutex::new(None),
        }
    }

    fn set(&self, state: State, trace: Option<String>) {
        *self.status.lock() = (state, trace);
    }
}

/// Saves the shared stored form, serialised by its lock.
pub(crate) async fn save(store: &ConnectorStore, shared: &Arc<Shared>) {
    let store = store.clone();
    let shared = Arc::clone(shared);
    let saved = tokio::task::spawn_blocking(move || {
        let stored = shared.stored.lock();
        store.save(&stored)
    })
    .await;
    match saved {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("saving connector: {e}"),
        Err(e) => tracing::warn!("saving connector: {e}"),
    }
}

/// Everything a task needs.
#[derive(Debug)]
pub(crate) struct TaskContext {
    pub(crate) broker: Arc<Broker>,
    pub(crate) registrar: Option<Arc<dyn SchemaRegistrar>>,
    pub(crate) store: ConnectorStore,
    pub(crate) shared: Arc<Shared>,
}

/// A uniformly random wait in `[0, max)` ms, as `(long) (max * random())`.
fn interval(max_ms: u64) -> Duration {
    if max_ms == 0 {
        Duration::ZERO
    } else {
        Duration::from_millis(rand::random_range(0..max_ms))
    }
}

/// Connect's three headers, values as decimal text (what its default
/// header converter writes for longs).
fn headers(generation: u64, iteration: u64) -> Vec<(String, Option<Bytes>)> {
    vec![
        (
            "task.generation".to_owned(),
            Some(Bytes::from(generation.to_string())),
        ),
        ("task.id".to_owned(), Some(Bytes::from_static(b"0"))),
        (
            "current.iteration".to_owned(),
            Some(Bytes::from(iteration.to_string())),
        ),
    ]
}

impl TaskContext {
    /// Waits while paused. `false` when told to stop.
    async fn wait_running(&self, control: &mut watch::Receiver<Control>) -> bool {
        loop {
            let now = *control.borrow_and_update();
            match now {
                Control::Run => return true,
                Control::Stop => return false,
                Control::Pause => self.shared.set(State::Paused, None),
            }
            if control.changed().await.is_err() {
                return false;
            }
        }
    }

    /// Shows FAILED with `trace` and waits for the manager to stop the task
    /// (a restart is a new task).
    async fn fail(&self, trace: String, control: &mut watch::Receiver<Control>) {
        tracing::warn!(
            connector = %self.shared.stored.lock().name,
            "connector task failed: {trace}"
        );
        self.shared.set(State::Failed, Some(trace));
        self.save_position(None).await;
        while *control.borrow_and_update() != Control::Stop {
            if control.changed().await.is_err() {
                return;
            }
        }
    }

    /// Records the produced count (and the source's seed) and saves.
    async fn save_position(&self, position: Option<SourcePosition>) {
        {
            let mut stored = self.shared.stored.lock();
            stored.produced = self.shared.produced.load(Ordering::SeqCst);
            if let Some(p) = position {
                stored.seed = Some(p.seed);
            }
        }
        save(&self.store, &self.shared).await;
    }

    /// Registers the value schema when the format has one.
    async fn register(&self, topic: &str, source: &mut dyn RecordSource) -> Result<(), String> {
        let Some(schema) = source.value_schema() else {
            return Ok(());
        };
        let registrar = self.registrar.as_ref().ok_or_else(|| {
            format!(
                "output format {} needs a schema registry, and this server runs none (set schema.registry.listeners)",
                schema.schema_type
            )
        })?;
        let subject = format!("{topic}-value");
        let id = registrar
            .register(&subject, schema.schema_type, &schema.text)
            .await
            .map_err(|e| format!("registering the value schema under {subject}: {e}"))?;
        source.set_schema_id(id);
        *self.shared.schema.lock() = Some((subject, id));
        Ok(())
    }

    /// Opens the topic, registers the schema: the set-up before records.
    async fn set_up(
        &self,
        runtime: &RuntimeConfig,
        source: &mut dyn RecordSource,
    ) -> Result<LocalTopic, String> {
        let broker = Arc::clone(&self.broker);
        let name = runtime.topic.clone();
        let topic = tokio::task::spawn_blocking(move || LocalTopic::open(broker, &name))
            .await
            .map_err(|e| e.to_string())??;
        self.register(&runtime.topic, source).await?;
        Ok(topic)
    }
}

/// Runs the task until told to stop.
pub(crate) async fn run(ctx: TaskContext, mut control: watch::Receiver<Control>) {
    let (config, produced, seed, generation) = {
        let s = ctx.shared.stored.lock();
        (s.config.clone(), s.produced, s.seed, s.generation)
    };
    let runtime = match parse(&config) {
        Ok(r) => runtime_of(&r),
        Err(e) => return ctx.fail(e.to_string(), &mut control).await,
    };
    let mut source = match source::build(&config, produced, seed) {
        Ok(s) => s,
        Err(e) => return ctx.fail(e.to_string(), &mut control).await,
    };
    if !ctx.wait_running(&mut control).await {
        return ctx.save_position(None).await;
    }
    let topic = match ctx.set_up(&runtime, source.as_mut()).await {
        Ok(t) => t,
        Err(e) => return ctx.fail(e, &mut control).await,
    };
    ctx.shared.set(State::Running, None);
    let mut due = Instant::now();
    let mut saved_at = Instant::now();
    loop {
        let wanted = *control.borrow_and_update();
        match wanted {
            Control::Run => {}
            Control::Pause => {
                ctx.save_position(Some(source.position())).await;
                if !ctx.wait_running(&mut control).await {
                    return ctx.save_position(Some(source.position())).await;
                }
                ctx.shared.set(State::Running, None);
                due = Instant::now();
                continue;
            }
            Control::Stop => return ctx.save_position(Some(source.position())).await,
        }
        let produced = ctx.shared.produced.load(Ordering::SeqCst);
        if let Some(limit) = runtime.iterations
            && produced >= limit
        {
            let trace = format!(
                "org.apache.kafka.connect.errors.ConnectException: Stopping connector: generated the configured {produced} number of messages"
            );
            return ctx.fail(trace, &mut control).await;
        }
        let now = Instant::now();
        if due > now {
            tokio::select! {
                () = tokio::time::sleep_until(due) => {}
                changed = control.changed() => {
                    if changed.is_err() {
                        return ctx.save_position(Some(source.position())).await;
                    }
                    continue;
                }
            }
        } else if now.duration_since(due) > MAX_LAG {
            due = now;
        }
        let now = Instant::now();
        let room = runtime
            .iterations
            .map_or(MAX_BATCH_RECORDS as u64, |l| l.saturating_sub(produced))
            .min(MAX_BATCH_RECORDS as u64);
        let mut batch = Vec::new();
        while due <= now && (batch.len() as u64) < room {
            match source.next_record() {
                Ok(r) => batch.push(ProduceRecord {
                    key: r.key,
                    value: Some(r.value),
                    headers: headers(generation, r.iteration),
                    timestamp: None,
                }),
                Err(e) => {
                    return ctx
                        .fail(format!("generating a record: {e}"), &mut control)
                        .await;
                }
            }
            due += interval(runtime.max_interval_ms);
        }
        let count = batch.len() as u64;
        let writer = topic.clone();
        let appended = tokio::task::spawn_blocking(move || writer.append(batch))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
        if let Err(e) = appended {
            return ctx.fail(e, &mut control).await;
        }
        ctx.shared.produced.fetch_add(count, Ordering::SeqCst);
        if saved_at.elapsed() >= SAVE_EVERY {
            ctx.save_position(Some(source.position())).await;
            saved_at = Instant::now();
        }
        if runtime.max_interval_ms == 0 {
            tokio::task::yield_now().await;
        }
    }
}
