//! [`LinkManager`]: the links of this (destination) cluster, and every
//! operation the REST API offers on them.

use std::sync::Arc;

use ferry_broker::Broker;

use crate::error::LinkError;
use crate::status::MirrorStatus;
use crate::view::{
    AlterMirrorResult, CreateLink, CreateMirror, LinkConfigChange, LinkConfigEntry,
    LinkDescription, MirrorAction, MirrorDescription, MirrorSelection,
};

/// The cluster's links.
#[derive(Debug)]
pub struct LinkManager {
    broker: Arc<Broker>,
}

impl LinkManager {
    /// Loads the persisted links of the broker's data directory and starts
    /// them.
    ///
    /// # Errors
    /// [`LinkError::Storage`] when a link file cannot be read.
    pub fn open(broker: Arc<Broker>) -> Result<Arc<Self>, LinkError> {
        Ok(Arc::new(Self { broker }))
    }

    /// This cluster's id (REST `GET /clusters`).
    pub fn cluster_id(&self) -> &str {
        self.broker.cluster_id()
    }

    /// The broker.
    pub fn broker(&self) -> &Arc<Broker> {
        &self.broker
    }

    /// Creates a link (`POST /clusters/{id}/links?link_name=…`).
    ///
    /// # Errors
    /// Invalid name or configs, an existing link, an unreachable source or a
    /// source cluster id that does not match (when `validate_link`).
    pub async fn create_link(&self, request: CreateLink) -> Result<(), LinkError> {
        Err(LinkError::Invalid(format!(
            "creating link {} is not wired yet",
            request.link_name
        )))
    }

    /// All links.
    pub fn list_links(&self, _include_tasks: bool) -> Vec<LinkDescription> {
        Vec::new()
    }

    /// One link.
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`].
    pub fn describe_link(
        &self,
        name: &str,
        _include_tasks: bool,
    ) -> Result<LinkDescription, LinkError> {
        Err(LinkError::LinkNotFound(name.to_string()))
    }

    /// Deletes a link. Without `force`, refused while a mirror of the link is
    /// not STOPPED.
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`], [`LinkError::LinkInUse`].
    pub async fn delete_link(
        &self,
        name: &str,
        _force: bool,
        _validate_only: bool,
    ) -> Result<(), LinkError> {
        Err(LinkError::LinkNotFound(name.to_string()))
    }

    /// The link's config listing (sensitive values null).
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`].
    pub fn link_configs(&self, name: &str) -> Result<Vec<LinkConfigEntry>, LinkError> {
        Err(LinkError::LinkNotFound(name.to_string()))
    }

    /// Changes link configs (`configs:alter`, single PUT/DELETE).
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`], [`LinkError::Invalid`] (read-only key,
    /// bad value); nothing changes then.
    pub fn alter_link_configs(
        &self,
        name: &str,
        _changes: Vec<LinkConfigChange>,
        _validate_only: bool,
    ) -> Result<(), LinkError> {
        Err(LinkError::LinkNotFound(name.to_string()))
    }

    /// Creates a mirror topic on a link.
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`], [`LinkError::SourceTopicNotFound`],
    /// [`LinkError::TopicExists`], [`LinkError::Invalid`].
    pub async fn create_mirror(&self, link: &str, _request: CreateMirror) -> Result<(), LinkError> {
        Err(LinkError::LinkNotFound(link.to_string()))
    }

    /// Mirrors of one link (`Some`) or of all links (`None`, path `links/-`),
    /// optionally only those in `status`.
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`].
    pub fn list_mirrors(
        &self,
        _link: Option<&str>,
        _status: Option<MirrorStatus>,
    ) -> Result<Vec<MirrorDescription>, LinkError> {
        Ok(Vec::new())
    }

    /// One mirror.
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`], [`LinkError::MirrorNotFound`].
    pub fn describe_mirror(
        &self,
        link: &str,
        _topic: &str,
        _include_state_transition_errors: bool,
    ) -> Result<MirrorDescription, LinkError> {
        Err(LinkError::LinkNotFound(link.to_string()))
    }

    /// Promote, failover, pause or resume mirrors; one result per topic
    /// (a topic's failure does not fail the call).
    ///
    /// # Errors
    /// [`LinkError::LinkNotFound`], [`LinkError::Invalid`] (bad pattern).
    pub async fn alter_mirrors(
        &self,
        link: &str,
        _action: MirrorAction,
        _selection: MirrorSelection,
        _validate_only: bool,
    ) -> Result<Vec<AlterMirrorResult>, LinkError> {
        Err(LinkError::LinkNotFound(link.to_string()))
    }

    /// Appends the Prometheus text exposition of link metrics to `out`.
    pub fn render_metrics(&self, out: &mut String) {
        crate::metrics::render(self, out);
    }

    /// Stops every link's tasks (server shutdown).
    pub async fn shutdown(&self) {}
}
