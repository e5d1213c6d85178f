//! Shared test harness: a real broker (in a temporary data directory), a real
//! `LinkManager` on it, and the `RestServer` on 127.0.0.1:0, called with
//! reqwest. Every server a test starts is stopped by that test.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::sync::Arc;

use ferry_broker::{Broker, BrokerConfig};
use ferry_link::LinkManager;
use ferry_rest::{RestAuth, RestServer};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A destination broker with its REST API running.
#[derive(Debug)]
pub struct Rest {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    /// The broker's cluster id.
    pub cluster_id: String,
    /// The data directory (API keys live here).
    pub data_dir: PathBuf,
    pub broker: Arc<Broker>,
    pub links: Arc<LinkManager>,
    pub client: reqwest::Client,
    /// Basic credentials sent with every request, if set.
    pub credentials: Option<(String, String)>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _tmp: tempfile::TempDir,
}

/// A response: status, content type and body (JSON when it parses).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub www_authenticate: Option<String>,
    pub text: String,
}

impl Reply {
    /// The body as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?} {}", self.status, self.text))
    }

    /// Asserts Confluent's error body with this status and `error_code`.
    pub fn assert_error(&self, status: u16, error_code: i64) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        let body = self.json();
        assert_eq!(body["error_code"], error_code, "body: {}", self.text);
        let message = body["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message: {}", self.text))
            .to_owned();
        assert!(!message.is_empty());
        message
    }
}

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Starts a broker with `overrides` and its REST server. `auth_from_config`
/// decides authentication from the broker's config (as `ferry server`
/// does); otherwise it is off.
pub async fn start(overrides: &[&str], auth_from_config: bool) -> Rest {
    install_crypto();
    let tmp = tempfile::Builder::new()
        .prefix("ferry-rest-")
        .tempdir()
        .unwrap_or_else(|e| panic!("tempdir: {e}"));
    let data_dir = tmp.path().join("data");
    let mut props: Vec<String> = vec!["listeners=PLAINTEXT://127.0.0.1:0".to_owned()];
    props.extend(overrides.iter().map(|s| s.to_string()));
    let config = BrokerConfig::load(None, &props, Some(data_dir.clone()))
        .unwrap_or_else(|e| panic!("config: {e}"));
    let auth = if auth_from_config {
        RestAuth::from_broker_config(&config).unwrap_or_else(|e| panic!("auth: {e}"))
    } else {
        RestAuth::disabled()
    };
    let broker = Arc::new(Broker::open(config).unwrap_or_else(|e| panic!("broker: {e}")));
    let links = LinkManager::open(Arc::clone(&broker)).unwrap_or_else(|e| panic!("links: {e}"));
    let server = RestServer::bind(&["http://127.0.0.1:0".to_owned()], Arc::clone(&links), auth)
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = *server
        .local_addrs()
        .first()
        .unwrap_or_else(|| panic!("no listener"));
    assert_ne!(addr.port(), 0);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    Rest {
        origin: format!("http://{addr}"),
        cluster_id: broker.cluster_id().to_owned(),
        data_dir,
        broker,
        links,
        client: reqwest::Client::new(),
        credentials: None,
        stop: Some(stop),
        task: Some(task),
        _tmp: tmp,
    }
}

impl Rest {
    /// `http://127.0.0.1:PORT/kafka/v3/clusters/<id>`.
    pub fn cluster_url(&self) -> String {
        format!("{}/kafka/v3/clusters/{}", self.origin, self.cluster_id)
    }

    /// Sends a request; `body` is sent as-is, with `Content-Type:
    /// application/json` when `json_type`.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&str>,
        json_type: bool,
    ) -> Reply {
        let mut request = self.client.request(method, url);
        if let Some((user, password)) = &self.credentials {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(body) = body {
            request = request.body(body.to_owned());
            if json_type {
                request = request.header("content-type", "application/json");
            }
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type").unwrap_or_default();
        let www_authenticate = header("www-authenticate");
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("{url}: body: {e}"));
        Reply {
            status,
            content_type,
            www_authenticate,
            text,
        }
    }

    pub async fn get(&self, url: &str) -> Reply {
        self.send(Method::GET, url, None, false).await
    }

    /// JSON request with a Content-Type header.
    pub async fn json(&self, method: Method, url: &str, body: &str) -> Reply {
        self.send(method, url, Some(body), true).await
    }

    /// Stops the REST server (graceful) and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .unwrap_or_else(|e| panic!("rest server task: {e}"));
        }
        self.links.shutdown().await;
    }
}
