//! One authenticated, version-negotiated connection to one broker.
//!
//! Opening a [`BrokerConnection`] does, in order: TCP connect, TLS handshake
//! (SSL / SASL_SSL), ApiVersions, then SaslHandshake v1 + SaslAuthenticate
//! (SASL_*). Afterwards [`BrokerConnection::call`] sends any request at the
//! highest version both this client (the kafka-protocol crate's range) and the
//! broker support, with many requests in flight at once (see [`messenger`]).

mod messenger;
mod sasl;
mod transport;
mod versions;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::{Message, Request, VersionRange};

use crate::config::{ClientConfig, SaslMechanism};
use crate::error::{Error, Result};
use messenger::Messenger;
pub(crate) use messenger::api_key;

/// What a connection needs beyond the broker address, derived from [`ClientConfig`].
#[derive(Clone)]
pub struct ConnectOptions {
    /// `client.id` for request headers.
    pub client_id: String,
    /// Per-request response timeout.
    pub request_timeout: Duration,
    /// Timeout for TCP connect, TLS and SASL handshakes.
    pub connect_timeout: Duration,
    /// Largest response frame accepted.
    pub max_frame_bytes: usize,
    /// TLS settings, when the protocol uses TLS.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// SASL mechanism and credentials, when the protocol uses SASL.
    pub sasl: Option<SaslCredentials>,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("client_id", &self.client_id)
            .field("request_timeout", &self.request_timeout)
            .field("tls", &self.tls.is_some())
            .field("sasl", &self.sasl)
            .finish_non_exhaustive()
    }
}

/// A SASL mechanism with the user's credentials.
#[derive(Clone)]
pub struct SaslCredentials {
    /// The mechanism.
    pub mechanism: SaslMechanism,
    /// User name (API key).
    pub username: String,
    /// Password (API secret).
    pub password: String,
}

impl std::fmt::Debug for SaslCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslCredentials")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl ConnectOptions {
    /// Derives connection options from a client configuration, building the TLS
    /// configuration once so all connections share it.
    ///
    /// # Errors
    /// [`Error::Config`] for unusable TLS material or missing SASL credentials.
    pub fn from_config(config: &ClientConfig) -> Result<Self> {
        let tls = if config.security_protocol.uses_tls() {
            Some(sasl::tls_config(
                config.ca_pem.as_deref(),
                config.insecure_skip_verify,
            )?)
        } else {
            None
        };
        let sasl = if config.security_protocol.uses_sasl() {
            match (&config.username, &config.password) {
                (Some(u), Some(p)) => Some(SaslCredentials {
                    mechanism: config.sasl_mechanism,
                    username: u.clone(),
                    password: p.clone(),
                }),
                _ => {
                    return Err(Error::Config(format!(
                        "security.protocol {} needs a SASL username and password",
                        config.security_protocol
                    )));
                }
            }
        } else {
            None
        };
        Ok(Self {
            client_id: config.client_id.clone(),
            request_timeout: config.request_timeout,
            connect_timeout: config.connect_timeout,
            max_frame_bytes: config.max_frame_bytes,
            tls,
            sasl,
        })
    }
}

/// A ready connection to one broker: authenticated, versions negotiated.
#[derive(Debug)]
pub struct BrokerConnection {
    /// The pipelined request channel.
    messenger: Messenger,
    /// The broker's supported version range per api key (from ApiVersions).
    broker_versions: HashMap<i16, VersionRange>,
}

impl BrokerConnection {
    /// Connects to `addr` (`host:port`) and runs the TLS, ApiVersions and SASL handshakes.
    ///
    /// # Errors
    /// [`Error::Connect`], [`Error::Tls`], [`Error::Authentication`], or a
    /// protocol error when the peer does not speak Kafka.
    pub async fn connect(addr: &str, options: &ConnectOptions) -> Result<Self> {
        let (read, write) =
            transport::open(addr, options.tls.as_ref(), options.connect_timeout).await?;
        let messenger = Messenger::new(
            addr.to_owned(),
            read,
            write,
            &options.client_id,
            options.connect_timeout,
            options.max_frame_bytes,
        );
        let broker_versions = versions::negotiate(&messenger).await?;
        let mut conn = Self {
            messenger,
            broker_versions,
        };
        if let Some(creds) = &options.sasl {
            sasl::authenticate(&conn, creds).await?;
        }
        conn.messenger.set_request_timeout(options.request_timeout);
        Ok(conn)
    }

    /// The broker's `host:port`.
    pub fn addr(&self) -> &str {
        self.messenger.addr()
    }

    /// True once the connection broke; a new one must be opened.
    pub fn is_closed(&self) -> bool {
        self.messenger.closed_reason().is_some()
    }

    /// The version range the broker advertised for `api`, if it offers it.
    pub fn broker_versions(&self, api: ApiKey) -> Option<VersionRange> {
        self.broker_versions.get(&(api as i16)).copied()
    }

    /// The highest version of `R` both sides support.
    ///
    /// # Errors
    /// [`Error::UnsupportedApi`] when the ranges do not overlap.
    pub fn version_for<R: Request>(&self) -> Result<i16> {
        let api = api_key(R::KEY)?;
        let ours = <R as Message>::VERSIONS;
        let range = match self.broker_versions.get(&R::KEY) {
            Some(theirs) => ours.intersect(theirs),
            None => VersionRange { min: 1, max: 0 },
        };
        if range.is_empty() {
            return Err(Error::UnsupportedApi {
                addr: self.addr().to_owned(),
                api,
            });
        }
        Ok(range.max)
    }

    /// Sends `request` at the highest common version and waits for the response.
    ///
    /// # Errors
    /// Transport errors, timeouts, or [`Error::UnsupportedApi`]. Error codes
    /// inside the response are the caller's to read.
    pub async fn call<R: Request>(&self, request: &R) -> Result<R::Response> {
        let version = self.version_for::<R>()?;
        self.messenger.call(request, version, Duration::ZERO).await
    }

    /// Like [`call`](Self::call) at an explicit version.
    ///
    /// # Errors
    /// As for [`call`](Self::call).
    pub async fn call_at<R: Request>(&self, request: &R, version: i16) -> Result<R::Response> {
        self.messenger.call(request, version, Duration::ZERO).await
    }

    /// Like [`call`](Self::call) for requests the broker may hold for up to
    /// `extra_wait` beyond the usual timeout (long-polling Fetch, JoinGroup).
    ///
    /// # Errors
    /// As for [`call`](Self::call).
    pub async fn call_with_wait<R: Request>(
        &self,
        request: &R,
        extra_wait: Duration,
    ) -> Result<R::Response> {
        let version = self.version_for::<R>()?;
        self.messenger.call(request, version, extra_wait).await
    }

    /// [`call_with_wait`](Self::call_with_wait) at an explicit version.
    ///
    /// # Errors
    /// As for [`call`](Self::call).
    pub async fn call_at_with_wait<R: Request>(
        &self,
        request: &R,
        version: i16,
        extra_wait: Duration,
    ) -> Result<R::Response> {
        self.messenger.call(request, version, extra_wait).await
    }
}
