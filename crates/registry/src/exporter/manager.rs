//! [`Exporters`]: the registry's exporters, what the `/exporters` routes
//! call. Holds each definition and status, persists every change in the
//! exporters' log before answering, and runs one [`Engine`] task per
//! exporter that is not paused.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::engine::Engine;
use super::error;
use super::model::{ExporterDefinition, ExporterRequest, masked_config, merge_config};
use super::persist::ExporterLog;
use super::status::{ExporterState, ExporterStatus, now_ms};
use crate::error::{ApiError, RegistryError};
use crate::store::Registry;

/// Most exporters one registry holds (40964 beyond).
pub const MAX_EXPORTERS: usize = 1000;

#[derive(Debug)]
struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

#[derive(Debug)]
struct Entry {
    definition: ExporterDefinition,
    status: Arc<parking_lot::Mutex<ExporterStatus>>,
    running: Option<Running>,
}

/// The exporters of one registry.
#[derive(Debug)]
pub struct Exporters {
    registry: Arc<Registry>,
    store: Arc<ExporterLog>,
    auto_context: String,
    /// Serialises the API's operations (and engine starts and stops).
    entries: tokio::sync::Mutex<BTreeMap<String, Entry>>,
}

impl Exporters {
    /// Loads the stored exporters of `store` for the source `registry`;
    /// AUTO contexts are `auto_context` (see
    /// [`super::model::auto_context`]). Nothing runs before
    /// [`Exporters::start`].
    ///
    /// # Errors
    /// [`RegistryError::Store`].
    pub async fn open(
        registry: Arc<Registry>,
        store: ExporterLog,
        auto_context: String,
    ) -> Result<Arc<Self>, RegistryError> {
        let stored = store.load().await?;
        let entries = stored
            .into_iter()
            .filter_map(|(name, s)| {
                let definition = s.definition?;
                let mut status = s.status.unwrap_or_else(|| ExporterStatus::new(&name));
                status.name.clone_from(&name);
                if status.state != ExporterState::Paused {
                    status.state = ExporterState::Starting;
                }
                Some((
                    name,
                    Entry {
                        definition,
                        status: Arc::new(parking_lot::Mutex::new(status)),
                        running: None,
                    },
                ))
            })
            .collect();
        Ok(Arc::new(Self {
            registry,
            store: Arc::new(store),
            auto_context,
            entries: tokio::sync::Mutex::new(entries),
        }))
    }

    /// The context AUTO exporters write into.
    pub fn auto_context(&self) -> &str {
        &self.auto_context
    }

    /// Starts every exporter that is not paused.
    pub async fn start(&self) {
        let mut entries = self.entries.lock().await;
        for entry in entries.values_mut() {
            if entry.status.lock().state != ExporterState::Paused {
                self.spawn(entry);
            }
        }
    }

    /// Stops every running exporter and waits for them (their offsets are
    /// persisted; they resume on the next [`Exporters::start`]).
    pub async fn shutdown(&self) {
        let mut entries = self.entries.lock().await;
        for entry in entries.values_mut() {
            stop(entry).await;
        }
    }

    fn spawn(&self, entry: &mut Entry) {
        if entry.running.is_some() {
            return;
        }
        let engine = Engine {
            registry: Arc::clone(&self.registry),
            store: Arc::clone(&self.store),
            definition: entry.definition.clone(),
            status: Arc::clone(&entry.status),
            auto_context: self.auto_context.clone(),
        };
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(engine.run(stopped));
        entry.running = Some(Running { stop, task });
    }

    /// `GET /exporters`: the names, sorted.
    pub async fn names(&self) -> Vec<String> {
        self.entries.lock().await.keys().cloned().collect()
    }

    /// `POST /exporters`: validates, persists and starts a new exporter.
    ///
    /// # Errors
    /// 40950, 40951, 40952, 40960, 40964, 50001.
    pub async fn create(&self, request: ExporterRequest) -> Result<String, ApiError> {
        let definition = request.into_definition()?;
        let mut entries = self.entries.lock().await;
        if entries.contains_key(&definition.name) {
            return Err(error::already_exists(&definition.name));
        }
        if entries.len() >= MAX_EXPORTERS {
            return Err(error::too_many(MAX_EXPORTERS));
        }
        let status = ExporterStatus::new(&definition.name);
        self.store.put_both(&definition, &status).await?;
        let name = definition.name.clone();
        let mut entry = Entry {
            definition,
            status: Arc::new(parking_lot::Mutex::new(status)),
            running: None,
        };
        self.spawn(&mut entry);
        entries.insert(name.clone(), entry);
        Ok(name)
    }

    /// `GET /exporters/{name}`: the definition, secrets hidden.
    ///
    /// # Errors
    /// 40450.
    pub async fn describe(&self, name: &str) -> Result<ExporterDefinition, ApiError> {
        let entries = self.entries.lock().await;
        let entry = entries.get(name).ok_or_else(|| error::not_found(name))?;
        Ok(entry.definition.masked())
    }

    /// `GET /exporters/{name}/status`.
    ///
    /// # Errors
    /// 40450.
    pub async fn status(&self, name: &str) -> Result<ExporterStatus, ApiError> {
        let entries = self.entries.lock().await;
        let entry = entries.get(name).ok_or_else(|| error::not_found(name))?;
        let status = entry.status.lock().clone();
        Ok(status)
    }

    /// `GET /exporters/{name}/config`, secrets hidden.
    ///
    /// # Errors
    /// 40450.
    pub async fn config(&self, name: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let entries = self.entries.lock().await;
        let entry = entries.get(name).ok_or_else(|| error::not_found(name))?;
        Ok(masked_config(&entry.definition.config))
    }

    fn paused<'a>(
        entries: &'a mut BTreeMap<String, Entry>,
        name: &str,
    ) -> Result<&'a mut Entry, ApiError> {
        let entry = entries
            .get_mut(name)
            .ok_or_else(|| error::not_found(name))?;
        if entry.status.lock().state != ExporterState::Paused {
            return Err(error::not_paused(name));
        }
        Ok(entry)
    }

    /// `PUT /exporters/{name}`: changes a paused exporter's definition.
    ///
    /// # Errors
    /// 40450, 40963, 40951, 40952, 50001.
    pub async fn update(&self, name: &str, request: ExporterRequest) -> Result<(), ApiError> {
        let mut entries = self.entries.lock().await;
        let entry = Self::paused(&mut entries, name)?;
        let definition = request.update(&entry.definition)?;
        self.store.put_definition(&definition).await?;
        entry.definition = definition;
        Ok(())
    }

    /// `PUT /exporters/{name}/config`: merges config entries into a paused
    /// exporter's (see [`merge_config`]).
    ///
    /// # Errors
    /// 40450, 40963, 40951, 50001.
    pub async fn set_config(
        &self,
        name: &str,
        changes: &BTreeMap<String, Value>,
    ) -> Result<(), ApiError> {
        let mut entries = self.entries.lock().await;
        let entry = Self::paused(&mut entries, name)?;
        let mut definition = entry.definition.clone();
        definition.config = merge_config(&definition.config, changes)?;
        definition.validate()?;
        self.store.put_definition(&definition).await?;
        entry.definition = definition;
        Ok(())
    }

    /// `PUT /exporters/{name}/pause`: stops the exporter (waiting for the
    /// request in flight) and keeps its offset. Pausing a paused exporter
    /// is a no-op.
    ///
    /// # Errors
    /// 40450, 50001.
    pub async fn pause(&self, name: &str) -> Result<(), ApiError> {
        let mut entries = self.entries.lock().await;
        let entry = entries
            .get_mut(name)
            .ok_or_else(|| error::not_found(name))?;
        stop(entry).await;
        self.set_state(entry, ExporterState::Paused).await
    }

    /// `PUT /exporters/{name}/resume`: restarts a paused exporter at its
    /// offset.
    ///
    /// # Errors
    /// 40450, 40961, 50001.
    pub async fn resume(&self, name: &str) -> Result<(), ApiError> {
        let mut entries = self.entries.lock().await;
        let entry = entries
            .get_mut(name)
            .ok_or_else(|| error::not_found(name))?;
        if entry.status.lock().state != ExporterState::Paused {
            return Err(error::already_running(name));
        }
        self.set_state(entry, ExporterState::Starting).await?;
        self.spawn(entry);
        Ok(())
    }

    /// `PUT /exporters/{name}/reset`: a paused exporter's offset back to 0,
    /// so resuming exports everything again.
    ///
    /// # Errors
    /// 40450, 40963, 50001.
    pub async fn reset(&self, name: &str) -> Result<(), ApiError> {
        let mut entries = self.entries.lock().await;
        let entry = Self::paused(&mut entries, name)?;
        let snapshot = {
            let mut status = entry.status.lock();
            status.offset = 0;
            status.trace.clear();
            status.ts = now_ms();
            status.clone()
        };
        self.store.put_status(&snapshot).await?;
        Ok(())
    }

    /// `DELETE /exporters/{name}`: removes a paused exporter.
    ///
    /// # Errors
    /// 40450, 40963, 50001.
    pub async fn delete(&self, name: &str) -> Result<(), ApiError> {
        let mut entries = self.entries.lock().await;
        Self::paused(&mut entries, name)?;
        self.store.delete(name).await?;
        entries.remove(name);
        Ok(())
    }

    async fn set_state(&self, entry: &Entry, state: ExporterState) -> Result<(), ApiError> {
        let snapshot = {
            let mut status = entry.status.lock();
            status.state = state;
            status.trace.clear();
            status.ts = now_ms();
            status.clone()
        };
        self.store.put_status(&snapshot).await?;
        Ok(())
    }
}

/// Stops an entry's engine and waits until it has returned.
async fn stop(entry: &mut Entry) {
    if let Some(running) = entry.running.take() {
        let _ = running.stop.send(true);
        if let Err(e) = running.task.await {
            tracing::warn!(exporter = %entry.definition.name, "schema exporter task: {e}");
        }
    }
}
