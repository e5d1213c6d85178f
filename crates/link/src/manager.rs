//! [`LinkManager`]: the links of this (destination) cluster, and every
//! operation the REST API offers on them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferry_broker::Broker;
use parking_lot::RwLock;
use uuid::Uuid;

use crate::config::{LinkConfig, LinkMode};
use crate::error::LinkError;
use crate::runtime::{LinkRuntime, now_ms};
use crate::status::{LinkState, MirrorStatus};
use crate::store::{self, LinkRecord};
use crate::view::{
    AlterMirrorResult, CategoryCount, CreateLink, CreateMirror, LinkConfigChange, LinkConfigEntry,
    LinkDescription, MirrorAction, MirrorDescription, MirrorSelection,
};

/// The cluster's links.
#[derive(Debug)]
pub struct LinkManager {
    broker: Arc<Broker>,
    links: RwLock<BTreeMap<String, Arc<LinkRuntime>>>,
    /// Serialises creations and deletions.
    admin: tokio::sync::Mutex<()>,
}

/// Kafka prints ids (cluster, topic) as unpadded base64url of the UUID.
fn link_id_string(id: Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn invalid(e: impl std::fmt::Display) -> LinkError {
    LinkError::Invalid(e.to_string())
}

impl LinkManager {
    /// Loads the persisted links of the broker's data directory and starts
    /// them. Must be called inside a tokio runtime.
    ///
    /// # Errors
    /// [`LinkError::Storage`] when a link file cannot be read.
    pub fn open(broker: Arc<Broker>) -> Result<Arc<Self>, LinkError> {
        let manager = Arc::new(Self {
            links: RwLock::new(BTreeMap::new()),
            admin: tokio::sync::Mutex::new(()),
            broker,
        });
        for record in store::load_all(&manager.broker.config().data_dir)? {
            let config = match LinkConfig::new(record.configs.clone()) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(link = %record.name, "link configs no longer valid, link not started: {e}");
                    continue;
                }
            };
            let name = record.name.clone();
            let runtime = LinkRuntime::new(Arc::clone(&manager.broker), record, config)?;
            runtime.start();
            tracing::info!(link = %name, "cluster link started");
            manager.links.write().insert(name, runtime);
        }
        Ok(manager)
    }

    /// This cluster's id (REST `GET /clusters`).
    pub fn cluster_id(&self) -> &str {
        self.broker.cluster_id()
    }

    /// The broker.
    pub fn broker(&self) -> &Arc<Broker> {
        &self.broker
    }

    fn runtime(&self, name: &str) -> Result<Arc<LinkRuntime>, LinkError> {
        self.links
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| LinkError::LinkNotFound(name.to_string()))
    }

    /// Creates a link (`POST /clusters/{id}/links?link_name=…`).
    ///
    /// # Errors
    /// Invalid name or configs, an existing link, an unreachable source or a
    /// source cluster id that does not match (when `validate_link`).
    pub async fn create_link(&self, request: CreateLink) -> Result<(), LinkError> {
        let _admin = self.admin.lock().await;
        crate::config::validate_link_name(&request.link_name).map_err(invalid)?;
        if self.links.read().contains_key(&request.link_name) {
            return Err(LinkError::LinkExists(request.link_name));
        }
        let config = LinkConfig::new(request.configs.clone()).map_err(invalid)?;
        let settings = config.settings().map_err(invalid)?;
        if settings.link_mode != LinkMode::Destination
            || config.get("connection.mode").as_deref() != Some("OUTBOUND")
        {
            return Err(LinkError::Invalid(
                "ferry serves destination-initiated links (link.mode=DESTINATION, connection.mode=OUTBOUND); source-initiated and bidirectional links are not supported yet".into(),
            ));
        }
        if settings.bootstrap_servers.trim().is_empty() {
            return Err(LinkError::Invalid(
                "bootstrap.servers is required: the source cluster's bootstrap servers".into(),
            ));
        }
        let record = LinkRecord {
            name: request.link_name.clone(),
            id: Uuid::new_v4(),
            source_cluster_id: request.source_cluster_id.clone(),
            configs: config.explicit().clone(),
            created_ms: now_ms(),
            mirrors: BTreeMap::new(),
        };
        let runtime = LinkRuntime::new(Arc::clone(&self.broker), record.clone(), config)?;
        if request.validate_link {
            let client = tokio::time::timeout(
                Duration::from_millis(settings.request_timeout_ms.clamp(1000, 60_000)),
                runtime.source_client(),
            )
            .await
            .map_err(|_| LinkError::Source("timed out connecting to the source cluster".into()))?
            .map_err(|e| LinkError::Source(e.to_string()))?;
            let seen = client.cached_metadata().cluster_id.clone();
            if let (Some(expected), Some(seen)) = (&request.source_cluster_id, &seen)
                && expected != seen
            {
                return Err(LinkError::Source(format!(
                    "the source cluster's id is '{seen}', not '{expected}'"
                )));
            }
        }
        if request.validate_only {
            return Ok(());
        }
        store::save(&self.broker.config().data_dir, &record)?;
        runtime.start();
        tracing::info!(link = %request.link_name, "cluster link created");
        self.links.write().insert(request.link_name, runtime);
        Ok(())
    }

    fn describe(&self, runtime: &LinkRuntime, include_tasks: bool) -> LinkDescription {
        let record = runtime.record();
        let id = link_id_string(record.id);
        let (link_error, link_error_message) = runtime.link_error();
        let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
        for (name, m) in &record.mirrors {
            let partitions = self
                .broker
                .topic(name)
                .map_or(0, |t| t.partition_count() as u64);
            *counts
                .entry(runtime.effective_status(m).category())
                .or_default() += partitions;
        }
        LinkDescription {
            source_cluster_id: record
                .source_cluster_id
                .clone()
                .or_else(|| runtime.seen_source_cluster_id()),
            destination_cluster_id: None,
            remote_cluster_id: None,
            link_name: record.name.clone(),
            link_id: id.clone(),
            cluster_link_id: id,
            topic_names: record.mirrors.keys().cloned().collect(),
            link_error,
            link_error_message,
            link_state: runtime.link_state(),
            tasks: include_tasks.then(|| runtime.tasks()),
            category_counts: Some(
                counts
                    .into_iter()
                    .map(|(state_category, count)| CategoryCount {
                        state_category: state_category.to_string(),
                        count,
                    })
                    .collect(),
            ),
        }
    }

    /// All links.
    pub fn list_links(&self, include_tasks: bool) -> Vec<LinkDescription> {
        let links: Vec<_> = self.links.read().values().cloned().collect();
        links
            .iter()
            .map(|l| self.describe(l, include_tasks))
            .collect()
    }

    /// One link.
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`].
    pub fn describe_link(
        &self,
        name: &str,
        include_tasks: bool,
    ) -> Result<LinkDescription, LinkError> {
        let runtime = self.runtime(name)?;
        Ok(self.describe(&runtime, include_tasks))
    }

    /// The state of a link (metrics).
    pub fn link_state(&self, name: &str) -> Option<LinkState> {
        self.runtime(name).ok().map(|r| r.link_state())
    }

    /// Deletes a link. Without `force`, refused while a mirror of the link is
    /// still mirroring; with it, those mirrors are stopped (their topics
    /// become writable) first.
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`], [`LinkError::LinkInUse`].
    pub async fn delete_link(
        &self,
        name: &str,
        force: bool,
        validate_only: bool,
    ) -> Result<(), LinkError> {
        let _admin = self.admin.lock().await;
        let runtime = self.runtime(name)?;
        let busy: Vec<String> = runtime
            .mirrors()
            .into_iter()
            .filter(|(_, m)| !matches!(m.status, MirrorStatus::Stopped | MirrorStatus::Failed))
            .map(|(n, _)| n)
            .collect();
        if !busy.is_empty() && !force {
            return Err(LinkError::LinkInUse(name.to_string(), busy.join(", ")));
        }
        if validate_only {
            return Ok(());
        }
        runtime.stop().await;
        for (mirror, m) in runtime.mirrors() {
            if m.status != MirrorStatus::Stopped
                && let Err(e) = runtime.stop_mirroring(&mirror)
            {
                tracing::warn!(mirror, "stopping the mirror of a deleted link: {e}");
            }
        }
        store::remove(&self.broker.config().data_dir, name)?;
        self.links.write().remove(name);
        tracing::info!(link = name, "cluster link deleted");
        Ok(())
    }

    /// The link's config listing (sensitive values null).
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`].
    pub fn link_configs(&self, name: &str) -> Result<Vec<LinkConfigEntry>, LinkError> {
        Ok(self.runtime(name)?.config().describe())
    }

    /// Changes link configs (`configs:alter`, single PUT/DELETE).
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`], [`LinkError::Invalid`] (read-only key,
    /// bad value); nothing changes then.
    pub fn alter_link_configs(
        &self,
        name: &str,
        changes: Vec<LinkConfigChange>,
        validate_only: bool,
    ) -> Result<(), LinkError> {
        let runtime = self.runtime(name)?;
        let next = runtime.config().alter(&changes).map_err(invalid)?;
        if validate_only {
            return Ok(());
        }
        runtime.set_config(next)
    }

    /// Creates a mirror topic on a link.
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`], [`LinkError::SourceTopicNotFound`],
    /// [`LinkError::TopicExists`], [`LinkError::Invalid`].
    pub async fn create_mirror(&self, link: &str, request: CreateMirror) -> Result<(), LinkError> {
        let runtime = self.runtime(link)?;
        let source_topic = request.source_topic_name.trim().to_string();
        if source_topic.is_empty() {
            return Err(LinkError::Invalid("source_topic_name is required".into()));
        }
        let expected = runtime.mirror_name(&source_topic);
        let mirror = request
            .mirror_topic_name
            .clone()
            .unwrap_or(expected.clone());
        if mirror != expected {
            return Err(LinkError::Invalid(format!(
                "the mirror of '{source_topic}' on link '{link}' must be named '{expected}'"
            )));
        }
        if let Some(rf) = request.replication_factor
            && rf != -1
            && rf != 1
            && rf != 3
        {
            return Err(LinkError::Invalid(format!(
                "replication_factor {rf} is not possible: ferry is a single broker"
            )));
        }
        if runtime
            .mirrors()
            .values()
            .any(|m| m.source_topic == source_topic && m.status != MirrorStatus::Stopped)
        {
            return Err(LinkError::TopicExists(mirror));
        }
        let mut configs = BTreeMap::new();
        for (k, v) in &request.configs {
            if ferry_broker::mirror::sync_category(k) == ferry_broker::mirror::SyncCategory::Always
            {
                return Err(LinkError::Invalid(format!(
                    "Cannot set configuration '{k}' for mirror topic '{mirror}'"
                )));
            }
            let v = ferry_broker::config::topic::validate(k, v).map_err(invalid)?;
            configs.insert(k.clone(), v);
        }
        if self.broker.topic(&mirror).is_some() {
            return Err(LinkError::TopicExists(mirror));
        }
        let client = runtime
            .source_client()
            .await
            .map_err(|e| LinkError::Source(e.to_string()))?;
        let metadata = client
            .refresh_topic(&source_topic)
            .await
            .map_err(|e| match e {
                ferry_client::Error::UnknownTopic(t) => LinkError::SourceTopicNotFound(t),
                other => LinkError::Source(other.to_string()),
            })?;
        if metadata.error_code != 0 {
            return Err(LinkError::SourceTopicNotFound(source_topic));
        }
        runtime.add_mirror(&source_topic, &mirror, &metadata, configs)
    }

    /// Mirrors of one link (`Some`) or of all links (`None`, path `links/-`),
    /// optionally only those in `status`.
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`].
    pub fn list_mirrors(
        &self,
        link: Option<&str>,
        status: Option<MirrorStatus>,
    ) -> Result<Vec<MirrorDescription>, LinkError> {
        let runtimes: Vec<Arc<LinkRuntime>> = match link {
            Some(name) => vec![self.runtime(name)?],
            None => self.links.read().values().cloned().collect(),
        };
        let mut out = Vec::new();
        for runtime in runtimes {
            for (name, m) in runtime.mirrors() {
                let d = runtime.describe_mirror(&name, &m, false);
                if status.is_none_or(|s| s == d.mirror_status) {
                    out.push(d);
                }
            }
        }
        Ok(out)
    }

    /// One mirror.
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`], [`LinkError::MirrorNotFound`].
    pub fn describe_mirror(
        &self,
        link: &str,
        topic: &str,
        include_state_transition_errors: bool,
    ) -> Result<MirrorDescription, LinkError> {
        let runtime = self.runtime(link)?;
        let mirrors = runtime.mirrors();
        let m = mirrors
            .get(topic)
            .ok_or_else(|| LinkError::MirrorNotFound {
                link: link.to_string(),
                topic: topic.to_string(),
            })?;
        Ok(runtime.describe_mirror(topic, m, include_state_transition_errors))
    }

    /// Promote, failover, pause or resume mirrors; one result per topic
    /// (a topic's failure does not fail the call).
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`], [`LinkError::Invalid`] (bad pattern).
    pub async fn alter_mirrors(
        &self,
        link: &str,
        action: MirrorAction,
        selection: MirrorSelection,
        validate_only: bool,
    ) -> Result<Vec<AlterMirrorResult>, LinkError> {
        let runtime = self.runtime(link)?;
        let mut names = selection.names.clone();
        if let Some(pattern) = &selection.pattern {
            let re = regex::Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| LinkError::Invalid(format!("mirror_topic_name_pattern: {e}")))?;
            names.extend(runtime.mirrors().keys().filter(|n| re.is_match(n)).cloned());
        }
        if names.is_empty() {
            return Err(LinkError::Invalid(
                "name at least one mirror topic (mirror_topic_names or mirror_topic_name_pattern)"
                    .into(),
            ));
        }
        names.dedup();
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let outcome = runtime.act(&name, action, validate_only).await;
            let (error_code, error_message) = match outcome {
                Ok(()) => (None, None),
                Err((code, message)) => (Some(code), Some(message)),
            };
            out.push(AlterMirrorResult {
                mirror_lags: runtime.lags(&name),
                mirror_topic_name: name,
                error_code,
                error_message,
                messages_truncated: None,
                partition_level_truncation_data: Vec::new(),
            });
        }
        Ok(out)
    }

    /// Appends the Prometheus text exposition of link metrics to `out`.
    pub fn render_metrics(&self, out: &mut String) {
        let links: Vec<_> = self.links.read().values().cloned().collect();
        crate::metrics::render(&links, out);
    }

    /// Stops every link's tasks (server shutdown).
    pub async fn shutdown(&self) {
        let links: Vec<_> = self.links.read().values().cloned().collect();
        for l in links {
            l.stop().await;
        }
    }
}
