//! ferry's HTTP side: the Kafka REST API v3 for cluster links and the
//! Prometheus `/metrics` endpoint, served on `rest.listeners`.
//!
//! # Layout
//! - [`RestServer`] (here): binds the listeners, serves, shuts down gracefully.
//! - [`RestAuth`] (`auth`): HTTP Basic with the broker's credentials, on when
//!   the broker requires authentication.
//! - `routes`: one file per resource (clusters, links, link configs,
//!   mirrors, metrics), each under `/kafka/v3` (Confluent Platform's embedded
//!   REST base) and `/v3` (standalone REST Proxy style).
//! - [`RestTls`] (`tls`): `https://` listeners with the broker's PEM keystore.
//! - `envelope`: the `kind`/`metadata` wrapping; `error`: [`RestError`] and
//!   Confluent's `{"error_code","message"}` error body.
//!
//! # Wiring (what `ferry server` does)
//! ```text
//! let links = LinkManager::open(Arc::clone(server.broker()))?;
//! let rest = RestServer::from_broker(Arc::clone(&links)).await?; // no listeners: serves nothing
//! for addr in rest.local_addrs() { println!("ferry server: rest listener on {addr}"); }
//! // run both with one shutdown signal, e.g. a watch channel:
//! tokio::join!(server.run(stopped()), rest.run(stopped()));
//! links.shutdown().await;
//! ```
//!
//! # Choices
//! - Creating a link or a mirror answers 204, as Confluent Platform does
//!   (Confluent Cloud sends an empty 201).
//! - `/metrics` sits behind the same Basic authentication as the API when
//!   authentication is on: scrape it with Prometheus' `basic_auth` and an
//!   API key.
//! - Request bodies are JSON whatever the Content-Type says; an empty body
//!   counts as `{}`.

mod auth;
mod connect;
mod envelope;
mod error;
mod routes;
mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use ferry_link::LinkManager;
use tokio::net::TcpListener;

pub use auth::RestAuth;
pub use error::RestError;
pub use tls::RestTls;

/// A bound socket, plain or to be wrapped in TLS.
#[derive(Debug)]
enum Bound {
    Http(TcpListener),
    Https(TcpListener, RestTls),
}

/// The Kafka REST v3 server: bound listeners plus the application.
#[derive(Debug)]
pub struct RestServer {
    listeners: Vec<(Bound, SocketAddr)>,
    app: axum::Router,
}

/// Splits a `rest.listeners` entry (`http://host:port` or `https://…`, host
/// optional, port 0 = any free port) into whether it is https and what to bind.
fn parse_listener(entry: &str) -> Result<(bool, String, u16), RestError> {
    let invalid = |reason: &str| RestError::InvalidListener {
        listener: entry.to_owned(),
        reason: reason.to_owned(),
    };
    let (scheme, rest) = entry
        .split_once("://")
        .ok_or_else(|| invalid("expected http://host:port"))?;
    let https = scheme.eq_ignore_ascii_case("https");
    if !https && !scheme.eq_ignore_ascii_case("http") {
        return Err(invalid("the scheme must be http or https"));
    }
    let authority = rest.trim_end_matches('/');
    if authority.contains('/') {
        return Err(invalid("a listener has no path; expected http://host:port"));
    }
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or_else(|| invalid("expected http://host:port"))?;
    let port = port
        .parse::<u16>()
        .map_err(|_| invalid("the port must be a number 0..65535"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    Ok((https, host.to_owned(), port))
}

impl RestServer {
    /// Everything from the broker's configuration: `rest.listeners`,
    /// authentication ([`RestAuth::from_broker_config`]) and, for https
    /// entries, the keystore ([`RestTls::from_broker_config`]). What
    /// `ferry server` calls.
    ///
    /// # Errors
    /// As [`RestServer::bind_tls`], [`RestAuth::from_broker_config`] and
    /// [`RestTls::from_broker_config`].
    pub async fn from_broker(links: Arc<LinkManager>) -> Result<Self, RestError> {
        let config = links.broker().config();
        let auth = RestAuth::from_broker_config(config)?;
        let tls = RestTls::from_broker_config(config)?;
        let listeners = config.rest_listeners.clone();
        Self::bind_tls(&listeners, links, auth, tls).await
    }

    /// Binds every listener (`http://host:port` entries as in the
    /// `rest.listeners` property; an entry may itself be a comma-separated
    /// list). Nothing is served until [`RestServer::run`]. `https://`
    /// entries need [`RestServer::bind_tls`].
    ///
    /// # Errors
    /// As [`RestServer::bind_tls`].
    pub async fn bind(
        listeners: &[String],
        links: Arc<LinkManager>,
        auth: RestAuth,
    ) -> Result<Self, RestError> {
        Self::bind_tls(listeners, links, auth, None).await
    }

    /// Like [`RestServer::bind`], serving `https://` entries with `tls`.
    ///
    /// # Errors
    /// [`RestError::InvalidListener`], [`RestError::HttpsWithoutKeystore`],
    /// [`RestError::Bind`]; no listener stays bound then.
    pub async fn bind_tls(
        listeners: &[String],
        links: Arc<LinkManager>,
        auth: RestAuth,
        tls: Option<RestTls>,
    ) -> Result<Self, RestError> {
        let mut bound = Vec::new();
        for entry in listeners
            .iter()
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let (https, host, port) = parse_listener(entry)?;
            let tls = match (https, &tls) {
                (false, _) => None,
                (true, Some(tls)) => Some(tls.clone()),
                (true, None) => return Err(RestError::HttpsWithoutKeystore(entry.to_owned())),
            };
            let bind_err = |source| RestError::Bind {
                listener: entry.to_owned(),
                source,
            };
            let listener = TcpListener::bind((host.as_str(), port))
                .await
                .map_err(bind_err)?;
            let addr = listener.local_addr().map_err(bind_err)?;
            let listener = match tls {
                None => Bound::Http(listener),
                Some(tls) => Bound::Https(listener, tls),
            };
            bound.push((listener, addr));
        }
        Ok(Self {
            listeners: bound,
            app: routes::router(links, auth),
        })
    }

    /// The bound addresses, in the order of the listeners (port 0 resolved),
    /// for `ferry server: rest listener on host:port` lines.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().map(|(_, addr)| *addr).collect()
    }

    /// The listeners as URLs (`http://127.0.0.1:8090`, `https://…`), in the
    /// order of [`RestServer::local_addrs`].
    pub fn urls(&self) -> Vec<String> {
        self.listeners
            .iter()
            .map(|(bound, addr)| match bound {
                Bound::Http(_) => format!("http://{addr}"),
                Bound::Https(..) => format!("https://{addr}"),
            })
            .collect()
    }

    /// Serves every listener until `shutdown` completes, then stops accepting
    /// and waits for requests in flight to finish.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        for (listener, addr) in self.listeners {
            let mut stop = stop_rx.clone();
            let app = self.app.clone();
            tasks.spawn(async move {
                let stopped = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                let served = match listener {
                    Bound::Http(listener) => {
                        axum::serve(listener, app)
                            .with_graceful_shutdown(stopped)
                            .await
                    }
                    Bound::Https(listener, tls) => {
                        let listener = tls::TlsListener::new(listener, addr, &tls);
                        axum::serve(listener, app)
                            .with_graceful_shutdown(stopped)
                            .await
                    }
                };
                if let Err(e) = served {
                    tracing::warn!(%addr, "rest listener stopped: {e}");
                }
            });
        }
        shutdown.await;
        let _ = stop_tx.send(true);
        while tasks.join_next().await.is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_entries() {
        let ok = |s: &str| parse_listener(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(ok("http://127.0.0.1:0"), (false, "127.0.0.1".to_owned(), 0));
        assert_eq!(ok("http://:8090"), (false, "0.0.0.0".to_owned(), 8090));
        assert_eq!(ok("HTTP://[::1]:8090/"), (false, "::1".to_owned(), 8090));
        assert_eq!(
            ok("https://0.0.0.0:8090"),
            (true, "0.0.0.0".to_owned(), 8090)
        );
        for bad in [
            "0.0.0.0:8090",
            "ftp://h:1",
            "http://h",
            "http://h:x",
            "http://h:1/kafka",
        ] {
            assert!(
                matches!(parse_listener(bad), Err(RestError::InvalidListener { .. })),
                "{bad}"
            );
        }
    }
}
