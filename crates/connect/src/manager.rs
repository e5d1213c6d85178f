//! [`ConnectorManager`]: the connectors of one `ferry server`, the API the
//! REST layer calls (Kafka Connect's operations).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ferry_broker::Broker;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{check_name, parse};
use crate::error::ConnectError;
use crate::registrar::SchemaRegistrar;
use crate::store::{ConnectorStore, StoredConnector};
use crate::task::{self, Control, Shared, TaskContext};
use crate::view::{
    ConnectorInfo, ConnectorOffsets, ConnectorState, ConnectorStatus, SourceOffset, State, TaskId,
    TaskInfo, TaskState,
};

/// How long a stopping task gets to save before it is abandoned.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// One connector and its running task.
#[derive(Debug)]
struct Running {
    shared: Arc<Shared>,
    control: watch::Sender<Control>,
    handle: JoinHandle<()>,
}

/// The connectors of this server: created, persisted, resumed at start,
/// paused, resumed, restarted and deleted as Kafka Connect's REST API asks.
#[derive(Debug)]
pub struct ConnectorManager {
    broker: Arc<Broker>,
    registrar: Option<Arc<dyn SchemaRegistrar>>,
    store: ConnectorStore,
    connectors: tokio::sync::Mutex<BTreeMap<String, Running>>,
}

impl ConnectorManager {
    /// Loads `<data_dir>/connectors` and starts every stored connector
    /// (paused ones stay paused). `registrar` registers value schemas; without
    /// one, connectors of formats with schemas fail with a clear trace.
    /// Needs a Tokio runtime.
    ///
    /// # Errors
    /// [`ConnectError::Storage`] when the directory cannot be created.
    pub async fn open(
        broker: Arc<Broker>,
        registrar: Option<Arc<dyn SchemaRegistrar>>,
    ) -> Result<Arc<Self>, ConnectError> {
        let store = ConnectorStore::open(&broker.config().data_dir)?;
        let manager = Arc::new(Self {
            broker,
            registrar,
            store,
            connectors: tokio::sync::Mutex::new(BTreeMap::new()),
        });
        let stored = manager.store.load_all();
        let mut map = manager.connectors.lock().await;
        for mut c in stored {
            if let Some(topic) = parse(&c.config).ok().map(|r| r.kafka_topic) {
                let broker = Arc::clone(&manager.broker);
                let found = tokio::task::spawn_blocking(move || {
                    crate::resume::next_iteration_in_topic(&broker, &topic)
                })
                .await
                .ok()
                .flatten();
                if let Some(next) = found
                    && next > c.produced
                {
                    tracing::info!(
                        connector = %c.name,
                        saved = c.produced,
                        topic = next,
                        "resuming after the last record in the topic"
                    );
                    c.produced = next;
                }
            }
            tracing::info!(connector = %c.name, produced = c.produced, paused = c.paused, "resuming connector");
            let name = c.name.clone();
            let running = manager.spawn(c).await;
            map.insert(name, running);
        }
        drop(map);
        Ok(manager)
    }

    /// The broker the connectors write to.
    pub fn broker(&self) -> &Arc<Broker> {
        &self.broker
    }

    /// Starts a task for `stored` (its generation advanced and saved).
    async fn spawn(&self, mut stored: StoredConnector) -> Running {
        stored.generation += 1;
        let paused = stored.paused;
        let shared = Arc::new(Shared::new(stored));
        task::save(&self.store, &shared).await;
        let (control, rx) = watch::channel(if paused { Control::Pause } else { Control::Run });
        let ctx = TaskContext {
            broker: Arc::clone(&self.broker),
            registrar: self.registrar.clone(),
            store: self.store.clone(),
            shared: Arc::clone(&shared),
        };
        let handle = tokio::spawn(task::run(ctx, rx));
        Running {
            shared,
            control,
            handle,
        }
    }

    /// Stops a task and waits (bounded) for its last save.
    async fn stop(running: Running) -> StoredConnector {
        let _ = running.control.send(Control::Stop);
        let mut handle = running.handle;
        if tokio::time::timeout(STOP_WAIT, &mut handle).await.is_err() {
            handle.abort();
        }
        let mut stored = running.shared.stored.lock().clone();
        stored.produced = running.shared.produced.load(Ordering::SeqCst);
        stored
    }

    /// Checks a configuration fully (every key, and that a format with a
    /// schema has a registry to register it in) without creating anything.
    ///
    /// # Errors
    /// [`ConnectError::InvalidConfig`].
    pub fn validate(&self, config: &BTreeMap<String, String>) -> Result<(), ConnectError> {
        let source = crate::source::build(config, 0, None)?;
        match source.value_schema() {
            Some(schema) if self.registrar.is_none() => {
                let format = config
                    .get("output.data.format")
                    .map_or(schema.schema_type, |f| f.trim());
                Err(ConnectError::InvalidConfig(vec![format!(
                    "output.data.format: {format} values need a schema registry, and this server runs none (set schema.registry.listeners, or use JSON)"
                )]))
            }
            _ => Ok(()),
        }
    }

    /// `name` into `config` (Connect keeps it there), checking a `name` the
    /// config already has.
    fn named(
        name: &str,
        mut config: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, ConnectError> {
        check_name(name)?;
        match config.get("name") {
            Some(n) if n != name => {
                return Err(ConnectError::BadRequest(format!(
                    "Connector name configuration ({n}) doesn't match connector name in the URL ({name})"
                )));
            }
            _ => {}
        }
        config.insert("name".to_owned(), name.to_owned());
        Ok(config)
    }

    /// `POST /connectors`: creates and starts a connector.
    ///
    /// # Errors
    /// [`ConnectError::AlreadyExists`], [`ConnectError::InvalidConfig`],
    /// [`ConnectError::BadRequest`], [`ConnectError::Storage`].
    pub async fn create(
        &self,
        name: &str,
        config: BTreeMap<String, String>,
    ) -> Result<ConnectorInfo, ConnectError> {
        let config = Self::named(name, config)?;
        let mut map = self.connectors.lock().await;
        if map.contains_key(name) {
            return Err(ConnectError::AlreadyExists(name.to_owned()));
        }
        self.validate(&config)?;
        let stored = StoredConnector {
            name: name.to_owned(),
            config,
            paused: false,
            produced: 0,
            seed: None,
            generation: 0,
        };
        self.store.save(&stored)?;
        tracing::info!(connector = name, "created connector");
        let running = self.spawn(stored).await;
        let info = info_of(&running.shared.stored.lock());
        map.insert(name.to_owned(), running);
        Ok(info)
    }

    /// `PUT /connectors/{name}/config`: creates, or replaces the
    /// configuration and restarts the task (the count of records produced
    /// carries over, as Connect's source offsets do). The bool is true when
    /// the connector was created.
    ///
    /// # Errors
    /// As [`Self::create`].
    pub async fn put_config(
        &self,
        name: &str,
        config: BTreeMap<String, String>,
    ) -> Result<(ConnectorInfo, bool), ConnectError> {
        let config = Self::named(name, config)?;
        let mut map = self.connectors.lock().await;
        let Some(running) = map.remove(name) else {
            drop(map);
            return self.create(name, config).await.map(|i| (i, true));
        };
        if let Err(e) = self.validate(&config) {
            map.insert(name.to_owned(), running);
            return Err(e);
        }
        let mut stored = Self::stop(running).await;
        stored.config = config;
        self.store.save(&stored)?;
        let running = self.spawn(stored).await;
        let info = info_of(&running.shared.stored.lock());
        map.insert(name.to_owned(), running);
        Ok((info, false))
    }

    /// `GET /connectors`: the names, sorted.
    pub async fn names(&self) -> Vec<String> {
        self.connectors.lock().await.keys().cloned().collect()
    }

    /// `GET /connectors/{name}`.
    ///
    /// # Errors
    /// [`ConnectError::NotFound`].
    pub async fn info(&self, name: &str) -> Result<ConnectorInfo, ConnectError> {
        let map = self.connectors.lock().await;
        let running = map
            .get(name)
            .ok_or_else(|| ConnectError::NotFound(name.to_owned()))?;
        Ok(info_of(&running.shared.stored.lock()))
    }

    /// `GET /connectors/{name}/config`.
    ///
    /// # Errors
    /// [`ConnectError::NotFound`].
    pub async fn config(&self, name: &str) -> Result<BTreeMap<String, String>, ConnectError> {
        Ok(self.info(name).await?.config)
    }

    /// `GET /connectors/{name}/tasks`.
    ///
    /// # Errors
    /// [`ConnectError::NotFound`].
    pub async fn tasks(&self, name: &str) -> Result<Vec<TaskInfo>, ConnectError> {
        let info = self.info(name).await?;
        Ok(info
            .tasks
            .into_iter()
            .map(|id| TaskInfo {
                id,
                config: info.config.clone(),
            })
            .collect())
    }

    /// The worker id shown in statuses: the broker's advertised address.
    fn worker_id(&self) -> String {
        let (host, port) = self.broker.advertised_host_port("");
        format!("{host}:{port}")
    }

    /// `GET /connectors/{name}/status`.
    ///
    /// # Errors
    /// [`ConnectError::NotFound`].
    pub async fn status(&self, name: &str) -> Result<ConnectorStatus, ConnectError> {
        let map = self.connectors.lock().await;
        let running = map
            .get(name)
            .ok_or_else(|| ConnectError::NotFound(name.to_owned()))?;
        let paused = running.shared.stored.lock().paused;
        let (task_state, trace) = running.shared.status.lock().clone();
        let worker_id = self.worker_id();
        let connector_state = if paused {
            State::Paused
        } else {
            State::Running
        };
        Ok(ConnectorStatus {
            name: name.to_owned(),
            connector: ConnectorState {
                state: connector_state,
                worker_id: worker_id.clone(),
                trace: None,
            },
            tasks: vec![TaskState {
                id: 0,
                state: task_state,
                worker_id,
                trace,
            }],
            kind: "source".to_owned(),
        })
    }

    /// `GET /connectors/{name}/offsets`: records produced so far (the next
    /// `current.iteration`), the task generation and the saved seed.
    ///
    /// # Errors
    /// [`ConnectError::NotFound`].
    pub async fn offsets(&self, name: &str) -> Result<ConnectorOffsets, ConnectError> {
        let map = self.connectors.lock().await;
        let running = map
            .get(name)
            .ok_or_else(|| ConnectError::NotFound(name.to_owned()))?;
        let (generation, seed) = {
            let s = running.shared.stored.lock();
            (s.generation, s.seed)
        };
        let produced = running.shared.produced.load(Ordering::SeqCst);
        let mut offset = BTreeMap::new();
        offset.insert(
            "current.iteration".to_owned(),
            i64::try_from(produced).unwrap_or(i64::MAX),
        );
        offset.insert(
            "task.generation".to_owned(),
            i64::try_from(generation).unwrap_or(i64::MAX),
        );
        if let Some(seed) = seed {
            offset.insert("random.seed".to_owned(), seed);
        }
        Ok(ConnectorOffsets {
            offsets: vec![SourceOffset {
                partition: BTreeMap::from([("task.id".to_owned(), 0)]),
                offset,
            }],
        })
    }

    /// `(subject, id)` of the value schema the connector registered, once
    /// it has.
    ///
    /// # Errors
    /// [`ConnectError::NotFound`].
    pub async fn value_schema(&self, name: &str) -> Result<Option<(String, i32)>, ConnectError> {
        let map = self.connectors.lock().await;
        let running = map
            .get(name)
            .ok_or_else(|| ConnectError::NotFound(name.to_owned()))?;
        Ok(running.shared.schema.lock().clone())
    }

    /// Sets and saves the paused flag, and tells the task.
    async fn set_paused(&self, name: &str, paused: bool) -> Result<(), ConnectError> {
        let map = self.connectors.lock().await;
        let running = map
            .get(name)
            .ok_or_else(|| ConnectError::NotFound(name.to_owned()))?;
        running.shared.stored.lock().paused = paused;
        task::save(&self.store, &running.shared).await;
        let _ = running
            .control
            .send(if paused { Control::Pause } else { Control::Run });
        tracing::info!(
            connector = name,
            paused,
            "connector {}",
            if paused { "paused" } else { "resumed" }
        );
        Ok(())
    }

    /// `PUT /connectors/{name}/pause`: the task stops producing; the state
    /// survives restarts.
    ///
    /// # Errors
    /// [`ConnectError::NotFound`].
    pub async fn pause(&self, name: &str) -> Result<(), ConnectError> {
        self.set_paused(name, true).await
    }

    /// `PUT /connectors/{name}/resume`.
    ///
    /// # Errors
    /// [`ConnectError::NotFound`].
    pub async fn resume(&self, name: &str) -> Result<(), ConnectError> {
        self.set_paused(name, false).await
    }

    /// `POST /connectors/{name}/restart`: a new task (next generation) from
    /// the saved position; what brings a FAILED task back.
    ///
    /// # Errors
    /// [`ConnectError::NotFound`], [`ConnectError::Storage`].
    pub async fn restart(&self, name: &str) -> Result<(), ConnectError> {
        let mut map = self.connectors.lock().await;
        let running = map
            .remove(name)
            .ok_or_else(|| ConnectError::NotFound(name.to_owned()))?;
        let stored = Self::stop(running).await;
        let running = self.spawn(stored).await;
        map.insert(name.to_owned(), running);
        Ok(())
    }

    /// `DELETE /connectors/{name}`: stops the task and forgets the
    /// connector; the topic and its records stay, as with Connect.
    ///
    /// # Errors
    /// [`ConnectError::NotFound`], [`ConnectError::Storage`].
    pub async fn delete(&self, name: &str) -> Result<(), ConnectError> {
        let mut map = self.connectors.lock().await;
        let running = map
            .remove(name)
            .ok_or_else(|| ConnectError::NotFound(name.to_owned()))?;
        Self::stop(running).await;
        self.store.remove(name)?;
        tracing::info!(connector = name, "deleted connector");
        Ok(())
    }

    /// Stops every task after a last save (server shutdown).
    pub async fn shutdown(&self) {
        let mut map = self.connectors.lock().await;
        for (_, running) in std::mem::take(&mut *map) {
            Self::stop(running).await;
        }
    }
}

fn info_of(stored: &StoredConnector) -> ConnectorInfo {
    ConnectorInfo {
        name: stored.name.clone(),
        config: stored.config.clone(),
        tasks: vec![TaskId {
            connector: stored.name.clone(),
            task: 0,
        }],
        kind: "source".to_owned(),
    }
}
