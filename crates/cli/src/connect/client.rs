//! A small client of Kafka Connect's REST API as `ferry server` serves it
//! on its REST listener (`/connectors…` at the listener's root).
//!
//! The URL comes from the same flags and environment as `ferry kafka link`
//! ([`RestArgs`]): that URL names the Kafka REST base (`…/kafka`), so a
//! trailing `/kafka` is dropped to reach the listener's root; a root URL
//! works as well.

use anyhow::Context as _;
use ferry_connect::view::{ConnectorInfo, ConnectorOffsets, ConnectorStatus, CreateConnector};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::kafka::rest_client::{RestArgs, RestTarget, http_client, target};

/// Connect's error body.
#[derive(Debug, serde::Deserialize)]
struct ErrorBody {
    error_code: Option<i64>,
    message: Option<String>,
}

/// A connected client.
#[derive(Debug)]
pub(crate) struct ConnectClient {
    http: reqwest::Client,
    root: Url,
    auth: Option<(String, String)>,
}

/// `http://h:8090/kafka` → `http://h:8090/`; other paths are kept.
fn connect_root(mut url: Url) -> Url {
    let path = url.path().trim_end_matches('/').to_owned();
    let root = path.strip_suffix("/kafka").unwrap_or(&path).to_owned();
    url.set_path(&format!("{root}/"));
    url.set_query(None);
    url
}

impl ConnectClient {
    /// Settles the URL and credentials from the flags or the environment.
    pub(crate) fn connect(args: &RestArgs) -> anyhow::Result<Self> {
        let RestTarget { url, auth, ca } = target(args)?;
        Ok(Self {
            http: http_client(
                ca.as_deref(),
                args.insecure_skip_tls_verify,
                std::time::Duration::from_secs(60),
            )?,
            root: connect_root(url),
            auth,
        })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.root.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    async fn exchange<B: Serialize + ?Sized>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&B>,
    ) -> anyhow::Result<bytes::Bytes> {
        let url = self.url(segments);
        let mut req = self.http.request(method.clone(), url.clone());
        if let Some((key, secret)) = &self.auth {
            req = req.basic_auth(key, Some(secret));
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach the Connect REST API: {method} {url}"))?;
        let status = resp.status();
        let bytes = resp.bytes().await.unwrap_or_default();
        if status.is_success() {
            return Ok(bytes);
        }
        let parsed = serde_json::from_slice::<ErrorBody>(&bytes).ok();
        let message = parsed
            .as_ref()
            .and_then(|b| b.message.clone())
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(&bytes);
                let t = text.trim();
                if t.is_empty() {
                    status.canonical_reason().unwrap_or("error").to_owned()
                } else {
                    t.chars().take(500).collect()
                }
            });
        let code = parsed
            .and_then(|b| b.error_code)
            .map_or_else(String::new, |c| format!(", error code {c}"));
        let hint = if status == StatusCode::NOT_FOUND && segments == ["connectors"] {
            format!(
                " (no Connect REST API at {}: is this a ferry server's rest.listeners URL?)",
                self.root
            )
        } else {
            String::new()
        };
        anyhow::bail!("{message} (HTTP {}{code}){hint}", status.as_u16())
    }

    async fn send<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&B>,
    ) -> anyhow::Result<T> {
        let bytes = self.exchange(method.clone(), segments, body).await?;
        serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "unexpected answer to {method} {}",
                self.url(segments).as_str()
            )
        })
    }

    /// `POST /connectors`.
    pub(crate) async fn create(&self, body: &CreateConnector) -> anyhow::Result<ConnectorInfo> {
        self.send(Method::POST, &["connectors"], Some(body)).await
    }

    /// `GET /connectors`.
    pub(crate) async fn names(&self) -> anyhow::Result<Vec<String>> {
        self.send(Method::GET, &["connectors"], None::<&()>).await
    }

    /// `GET /connectors/{name}`.
    pub(crate) async fn info(&self, name: &str) -> anyhow::Result<ConnectorInfo> {
        self.send(Method::GET, &["connectors", name], None::<&()>)
            .await
    }

    /// `GET /connectors/{name}/status`.
    pub(crate) async fn status(&self, name: &str) -> anyhow::Result<ConnectorStatus> {
        self.send(Method::GET, &["connectors", name, "status"], None::<&()>)
            .await
    }

    /// `GET /connectors/{name}/offsets`.
    pub(crate) async fn offsets(&self, name: &str) -> anyhow::Result<ConnectorOffsets> {
        self.send(Method::GET, &["connectors", name, "offsets"], None::<&()>)
            .await
    }

    /// `PUT /connectors/{name}/pause` or `/resume`.
    pub(crate) async fn put_action(&self, name: &str, action: &str) -> anyhow::Result<()> {
        self.exchange(Method::PUT, &["connectors", name, action], None::<&()>)
            .await
            .map(drop)
    }

    /// `DELETE /connectors/{name}`.
    pub(crate) async fn delete(&self, name: &str) -> anyhow::Result<()> {
        self.exchange(Method::DELETE, &["connectors", name], None::<&()>)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kafka_rest_base_maps_to_the_listener_root() {
        for (given, want) in [
            ("http://h:8090/kafka", "http://h:8090/"),
            ("http://h:8090/kafka/", "http://h:8090/"),
            ("http://h:8090", "http://h:8090/"),
            ("https://h/proxy/kafka", "https://h/proxy/"),
        ] {
            let url = Url::parse(given).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(connect_root(url).as_str(), want, "{given}");
        }
    }
}
