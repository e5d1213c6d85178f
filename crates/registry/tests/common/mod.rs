//! Test harness: a real broker in a temporary data directory and the
//! registry served on 127.0.0.1:0 from it, called with reqwest.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_broker::{Broker, BrokerConfig};
use ferry_registry::RegistryServer;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The content type Confluent's clients send.
pub const SR_JSON: &str = "application/vnd.schemaregistry.v1+json";

/// A running registry.
#[derive(Debug)]
pub struct Sr {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    pub data_dir: PathBuf,
    pub broker: Option<Arc<Broker>>,
    pub client: reqwest::Client,
    pub credentials: Option<(String, String)>,
    overrides: Vec<String>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?} {}", self.status, self.text))
    }

    /// Asserts a 200 and returns the JSON body.
    pub fn ok(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.text);
        assert_eq!(self.content_type, SR_JSON);
        self.json()
    }

    /// Asserts Confluent's error body.
    pub fn error(&self, status: u16, code: i64) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(self.json()["error_code"], code, "body: {}", self.text);
        assert!(
            self.json()["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("ferry-registry-")
        .tempdir()
        .unwrap_or_else(|e| panic!("tempdir: {e}"))
}

/// Starts a broker on `data_dir` with `overrides` and the registry.
pub async fn start(data_dir: &Path, overrides: &[&str]) -> Sr {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    start_with(data_dir.to_path_buf(), overrides).await
}

async fn start_with(data_dir: PathBuf, overrides: Vec<String>) -> Sr {
    let mut props: Vec<String> = vec![
        "listeners=PLAINTEXT://127.0.0.1:0".to_owned(),
        "schema.registry.listeners=http://127.0.0.1:0".to_owned(),
    ];
    props.extend(overrides.iter().cloned());
    let config = BrokerConfig::load(None, &props, Some(data_dir.clone()))
        .unwrap_or_else(|e| panic!("config: {e}"));
    let broker = Arc::new(Broker::open(config).unwrap_or_else(|e| panic!("broker: {e}")));
    let server = RegistryServer::from_broker(Arc::clone(&broker))
        .await
        .unwrap_or_else(|e| panic!("registry: {e}"));
    let addr = *server
        .local_addrs()
        .first()
        .unwrap_or_else(|| panic!("no listener"));
    assert_ne!(addr.port(), 0);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    Sr {
        url: format!("http://{addr}"),
        data_dir,
        broker: Some(broker),
        client: reqwest::Client::new(),
        credentials: None,
        overrides,
        stop: Some(stop),
        task: Some(task),
    }
}

impl Sr {
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let url = format!("{}{path}", self.url);
        let mut request = self.client.request(method, &url);
        if let Some((u, p)) = &self.credentials {
            request = request.basic_auth(u, Some(p));
        }
        if let Some(body) = body {
            request = request
                .header("content-type", SR_JSON)
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        Reply {
            status,
            content_type,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// Registers an Avro schema; returns the reply.
    pub async fn register(&self, subject: &str, schema: &str) -> Reply {
        self.post(
            &format!("/subjects/{subject}/versions"),
            serde_json::json!({ "schema": schema }),
        )
        .await
    }

    /// Registers and returns the id, asserting success.
    pub async fn register_ok(&self, subject: &str, schema: &str) -> i64 {
        let reply = self.register(subject, schema).await;
        reply.ok()["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no id: {}", reply.text))
    }

    /// Stops the registry and closes the broker.
    pub async fn stop(mut self) -> PathBuf {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap_or_else(|e| panic!("registry task: {e}"));
        }
        if let Some(broker) = self.broker.take() {
            broker.flush_all();
            drop(broker);
        }
        self.data_dir.clone()
    }

    /// Stops and starts again on the same data directory.
    pub async fn restart(self) -> Sr {
        let overrides = self.overrides.clone();
        let dir = self.stop().await;
        start_with(dir, overrides).await
    }
}
