//! The store on another Kafka cluster (`schema.registry.kafkastore.*`):
//! records go to that cluster's `_schemas`, a restarted registry rebuilds
//! its state from there, and a second registry on the same topic follows
//! the first one's writes.

mod common;

use std::sync::Arc;

use common::{start, tempdir};
use ferry_broker::{BrokerConfig, Server};
use serde_json::json;
use tokio::sync::oneshot;

const V1: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#;
const V2: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":"int","default":1}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemas_live_in_the_remote_cluster() {
    let remote_dir = tempdir();
    let config = BrokerConfig::load(
        None,
        &["listeners=PLAINTEXT://127.0.0.1:0".to_owned()],
        Some(remote_dir.path().join("data")),
    )
    .unwrap_or_else(|e| panic!("config: {e}"));
    let server = Server::bind(config)
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let remote = Arc::clone(server.broker());
    let (_, host, port) = server
        .endpoints()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no endpoint"));
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));

    let store = format!("schema.registry.kafkastore.bootstrap.servers={host}:{port}");
    let dir = tempdir();
    let sr = start(dir.path(), &[store.as_str()]).await;
    assert_eq!(sr.register_ok("s", V1).await, 1);
    assert_eq!(sr.register_ok("s", V1).await, 1);
    assert_eq!(sr.register_ok("s", V2).await, 2);
    // The local broker has no _schemas; the remote one has the records.
    let local = sr.broker.clone().unwrap_or_else(|| panic!("broker"));
    assert!(local.topic("_schemas").is_none());
    drop(local);
    let topic = remote
        .topic("_schemas")
        .unwrap_or_else(|| panic!("no remote _schemas"));
    let end = topic.partition(0).map_or(0, |p| p.high_watermark());
    assert_eq!(end, 2, "two SCHEMA records");

    // A second registry on the same store sees the first one's schemas and
    // follows its later writes.
    let dir2 = tempdir();
    let sr2 = start(dir2.path(), &[store.as_str()]).await;
    assert_eq!(sr2.get("/subjects/s/versions").await.ok(), json!([1, 2]));
    let v3 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":"int","default":1},{"name":"c","type":"int","default":2}]}"#;
    assert_eq!(sr.register_ok("s", v3).await, 3);
    let mut seen = json!(null);
    for _ in 0..100 {
        seen = sr2.get("/subjects/s/versions").await.ok();
        if seen == json!([1, 2, 3]) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, json!([1, 2, 3]));
    // Writing through the second one continues the ids.
    let v4 = r#"{"type":"enum","name":"E","symbols":["X"]}"#;
    assert_eq!(sr2.register_ok("e", v4).await, 4);
    sr2.stop().await;

    // Restart: the state comes back from the remote topic.
    let sr = sr.restart().await;
    assert_eq!(sr.get("/subjects").await.ok(), json!(["e", "s"]));
    assert_eq!(sr.get("/schemas/ids/2").await.ok()["schema"], V2);
    sr.stop().await;

    let _ = stop.send(());
    serving
        .await
        .unwrap_or_else(|e| panic!("server task: {e}"))
        .unwrap_or_else(|e| panic!("server: {e}"));
}
