//! The source cluster client and the link's health.
//!
//! The client is connected lazily and kept; the client itself reopens broken
//! connections. Every failure to reach the source is recorded; once the
//! source has been unreachable for `availability.check.ms` ×
//! `availability.check.consecutive.failure.threshold`, the link is
//! UNAVAILABLE and its mirrors show SOURCE_UNAVAILABLE, until the next
//! success.

use std::sync::Arc;
use std::time::Duration;

use ferry_client::{Client, ClientConfig, Error as ClientError};

use super::{LinkRuntime, now_ms};
use crate::status::{LinkErrorCode, LinkState};

/// The link's view of the source's reachability.
#[derive(Debug, Clone, Default)]
pub(crate) struct Health {
    /// When the current run of failures began.
    first_failure_ms: Option<i64>,
    /// The last failure.
    last_error: Option<(LinkErrorCode, String)>,
    /// The source's cluster id, once seen.
    pub(crate) source_cluster_id: Option<String>,
}

/// Classifies a client error as Confluent's `link_error` names it.
pub(crate) fn classify(e: &ClientError) -> LinkErrorCode {
    match e {
        ClientError::Authentication(_) | ClientError::Tls { .. } => {
            LinkErrorCode::AuthenticationError
        }
        ClientError::Connect { reason, .. } if reason.contains("resolve") => {
            LinkErrorCode::UnresolvableBootstrapError
        }
        ClientError::Connect { .. } | ClientError::ConnectionClosed { .. } => {
            LinkErrorCode::BootstrapTcpConnectionFailedError
        }
        ClientError::Timeout { .. } => LinkErrorCode::TimeoutError,
        ClientError::RetriesExhausted { last, .. } => classify(last),
        _ => LinkErrorCode::Unknown,
    }
}

impl LinkRuntime {
    /// Builds the client configuration for the source from the link's
    /// configs. When the link names no CA but reaches the source over TLS,
    /// the destination broker's own `ssl.truststore.location` /
    /// `ssl.ca.location` (PEM) is trusted, as Kafka brokers trust it for
    /// their outbound connections.
    pub(crate) fn client_config(&self) -> Result<ClientConfig, ClientError> {
        let (config, settings) = {
            let c = self.config.read();
            (c.0.clone(), c.1.clone())
        };
        let mut client = ClientConfig::new(&settings.bootstrap_servers);
        client.apply_properties(&config.client_properties())?;
        if client.security_protocol.uses_tls() && client.ca_pem.is_none() {
            let props = &self.broker.config().props;
            let ca_file = props
                .get("ssl.ca.location")
                .or_else(|| props.get("ssl.truststore.location"));
            if let Some(path) = ca_file {
                client.ca_pem = Some(std::fs::read(path).map_err(|e| {
                    ClientError::Config(format!("reading the broker's CA file {path}: {e}"))
                })?);
            }
        }
        client.client_id = format!("ferry-link-{}", self.name());
        client.request_timeout = Duration::from_millis(settings.request_timeout_ms.max(1000));
        client.retries = 3;
        client.retry_backoff = Duration::from_millis(settings.retry_backoff_ms.max(10));
        Ok(client)
    }

    /// The connected source client, connecting if needed.
    pub(crate) async fn source_client(&self) -> Result<Arc<Client>, ClientError> {
        let mut slot = self.source.lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(Arc::clone(client));
        }
        let config = self.client_config()?;
        let client = Arc::new(Client::connect(config).await?);
        if let Some(id) = client.cached_metadata().cluster_id.clone() {
            self.health.lock().source_cluster_id = Some(id);
        }
        *slot = Some(Arc::clone(&client));
        Ok(client)
    }

    /// The fetch loop's client (see `LinkRuntime::fetch_source`).
    pub(crate) async fn fetch_client(&self) -> Result<Arc<Client>, ClientError> {
        let mut slot = self.fetch_source.lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(Arc::clone(client));
        }
        let client = Arc::new(Client::connect(self.client_config()?).await?);
        *slot = Some(Arc::clone(&client));
        Ok(client)
    }

    /// Drops the fetch loop's client, and with it a long poll in flight.
    pub(crate) async fn reset_fetch_client(&self) {
        *self.fetch_source.lock().await = None;
    }

    /// Records a successful exchange with the source.
    pub(crate) fn source_ok(&self) {
        let mut h = self.health.lock();
        if h.first_failure_ms.is_some() {
            tracing::info!(link = %self.name(), "source reachable again");
        }
        h.first_failure_ms = None;
        h.last_error = None;
    }

    /// Records a failure to reach the source.
    pub(crate) fn source_failed(&self, e: &ClientError) {
        let code = classify(e);
        let mut h = self.health.lock();
        if h.first_failure_ms.is_none() {
            tracing::warn!(link = %self.name(), "source unreachable: {e}");
            h.first_failure_ms = Some(now_ms());
        }
        h.last_error = Some((code, e.to_string()));
    }

    /// Whether an error means the source (not one topic) is unreachable.
    pub(crate) fn is_source_failure(e: &ClientError) -> bool {
        !matches!(classify(e), LinkErrorCode::Unknown)
    }

    /// `link_state`.
    pub(crate) fn link_state(&self) -> LinkState {
        let settings = self.settings();
        if settings.cluster_link_paused {
            return LinkState::Paused;
        }
        let h = self.health.lock();
        let window = settings.availability_check_ms.saturating_mul(u64::from(
            settings.availability_check_consecutive_failure_threshold,
        ));
        match h.first_failure_ms {
            Some(since) if now_ms() - since >= window as i64 => LinkState::Unavailable,
            _ => LinkState::Active,
        }
    }

    /// `link_error` and `link_error_message`.
    pub(crate) fn link_error(&self) -> (LinkErrorCode, Option<String>) {
        match &self.health.lock().last_error {
            Some((code, message)) => (*code, Some(message.clone())),
            None => (LinkErrorCode::NoError, None),
        }
    }

    /// The source cluster id seen on the last connection.
    pub(crate) fn seen_source_cluster_id(&self) -> Option<String> {
        self.health.lock().source_cluster_id.clone()
    }
}
