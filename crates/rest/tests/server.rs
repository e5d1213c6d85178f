//! `RestServer` itself: listener parsing, several listeners, shutdown.

mod common;

use std::sync::Arc;

use ferry_broker::{Broker, BrokerConfig};
use ferry_link::LinkManager;
use ferry_rest::{RestAuth, RestError, RestServer};

fn links(dir: &std::path::Path) -> Arc<LinkManager> {
    links_with(dir, &[])
}

fn links_with(dir: &std::path::Path, overrides: &[String]) -> Arc<LinkManager> {
    let config = BrokerConfig::load(None, overrides, Some(dir.to_path_buf()))
        .unwrap_or_else(|e| panic!("config: {e}"));
    let broker = Arc::new(Broker::open(config).unwrap_or_else(|e| panic!("broker: {e}")));
    LinkManager::open(broker).unwrap_or_else(|e| panic!("links: {e}"))
}

#[tokio::test]
async fn https_without_keystore_and_bad_listeners_are_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let links = links(dir.path());
    let https = RestServer::bind(
        &["https://127.0.0.1:0".to_owned()],
        Arc::clone(&links),
        RestAuth::disabled(),
    )
    .await;
    assert!(
        matches!(https, Err(RestError::HttpsWithoutKeystore(_))),
        "{https:?}"
    );
    let bad = RestServer::bind(
        &["127.0.0.1:8090".to_owned()],
        Arc::clone(&links),
        RestAuth::disabled(),
    )
    .await;
    assert!(
        matches!(bad, Err(RestError::InvalidListener { .. })),
        "{bad:?}"
    );
}

#[tokio::test]
async fn several_listeners_serve_until_shutdown() {
    common::install_crypto();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let links = links(dir.path());
    // One property value with two entries, as `rest.listeners` may hold.
    let server = RestServer::bind(
        &["http://127.0.0.1:0, http://localhost:0".to_owned()],
        Arc::clone(&links),
        RestAuth::disabled(),
    )
    .await
    .unwrap_or_else(|e| panic!("bind: {e}"));
    let addrs = server.local_addrs();
    assert_eq!(addrs.len(), 2);
    assert!(addrs.iter().all(|a| a.port() != 0));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    for addr in &addrs {
        let body: serde_json::Value = client
            .get(format!("http://{addr}/kafka/v3/clusters"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{addr}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{addr}: {e}"));
        assert_eq!(body["data"][0]["cluster_id"], links.cluster_id());
    }
    let _ = stop.send(());
    task.await.unwrap_or_else(|e| panic!("{e}"));
    for addr in &addrs {
        let after = reqwest::Client::new()
            .get(format!("http://{addr}/kafka/v3/clusters"))
            .send()
            .await;
        assert!(after.is_err(), "{addr} still serves after shutdown");
    }
}

/// `rest.listeners=https://…` with the broker's `ssl.keystore.location` (one
/// PEM file with chain and key): a client trusting the CA gets the API, and
/// the plain listener next to it still serves http.
#[tokio::test]
async fn https_listener_uses_the_broker_keystore() {
    common::install_crypto();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let certs = ferry_auth::tls::generate_ca_and_server(&["127.0.0.1".to_owned()])
        .unwrap_or_else(|e| panic!("{e}"));
    let keystore = dir.path().join("server.pem");
    std::fs::write(
        &keystore,
        format!("{}{}", certs.server_cert_pem, certs.server_key_pem),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let links = links_with(
        &dir.path().join("data"),
        &[
            "rest.listeners=https://127.0.0.1:0,http://127.0.0.1:0".to_owned(),
            format!("ssl.keystore.location={}", keystore.display()),
        ],
    );
    let server = RestServer::from_broker(Arc::clone(&links))
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addrs = server.local_addrs();
    assert_eq!(addrs.len(), 2);
    assert_eq!(
        server.urls(),
        [
            format!("https://{}", addrs[0]),
            format!("http://{}", addrs[1])
        ]
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let ca =
        reqwest::Certificate::from_pem(certs.ca_pem.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let client = reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let https = format!("https://{}/kafka/v3/clusters", addrs[0]);
    let body: serde_json::Value = client
        .get(&https)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{https}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{https}: {e}"));
    assert_eq!(body["data"][0]["cluster_id"], links.cluster_id());
    // Plain http to the https port is not served.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/kafka/v3/clusters", addrs[0]))
        .send()
        .await;
    assert!(plain.is_err() || plain.is_ok_and(|r| !r.status().is_success()));
    let http = format!("http://{}/kafka/v3/clusters", addrs[1]);
    let status = reqwest::Client::new()
        .get(&http)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{http}: {e}"))
        .status();
    assert_eq!(status, 200);
    let _ = stop.send(());
    task.await.unwrap_or_else(|e| panic!("{e}"));
}
