//! Links and mirrors end to end through the REST API: a real source broker
//! served on a Kafka listener, a destination broker with its link manager and
//! REST server. These need the link manager's real behaviour.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferry_broker::{Broker, BrokerConfig, Server};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use common::{Rest, start};

/// A source cluster on a PLAINTEXT listener.
struct Source {
    bootstrap: String,
    broker: Arc<Broker>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Source {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let config = BrokerConfig::load(
            None,
            &["listeners=PLAINTEXT://127.0.0.1:0".to_owned()],
            Some(dir.path().join("data")),
        )
        .unwrap_or_else(|e| panic!("source config: {e}"));
        let server = Server::bind(config)
            .await
            .unwrap_or_else(|e| panic!("source bind: {e}"));
        let (_, _, port) = server
            .endpoints()
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("source has no listener"));
        let broker = Arc::clone(server.broker());
        broker
            .create_topic("orders", 2, -1, BTreeMap::new())
            .unwrap_or_else(|e| panic!("create orders: {e}"));
        broker
            .create_topic("payments", 1, -1, BTreeMap::new())
            .unwrap_or_else(|e| panic!("create payments: {e}"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = server
                .run(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            bootstrap: format!("127.0.0.1:{port}"),
            broker,
            stop,
            task,
            _dir: dir,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

fn create_body(source: &Source) -> String {
    json!({
        "source_cluster_id": source.broker.cluster_id(),
        "configs": [
            {"name": "bootstrap.servers", "value": source.bootstrap},
            {"name": "consumer.offset.sync.enable", "value": "true"},
            {"name": "sasl.jaas.config", "value": "org.apache.kafka.common.security.plain.PlainLoginModule required username='k' password='s3cret';"},
        ]
    })
    .to_string()
}

async fn create_link(rest: &Rest, source: &Source, name: &str) {
    let reply = rest
        .json(
            Method::POST,
            &format!("{}/links?link_name={name}", rest.cluster_url()),
            &create_body(source),
        )
        .await;
    assert_eq!(reply.status, 204, "create link: {}", reply.text);
    assert!(reply.text.is_empty());
}

/// Polls `url` until `done` holds for its JSON body (bounded, 60 s).
async fn wait_for(rest: &Rest, url: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..600 {
        let reply = rest.get(url).await;
        if reply.status == 200 {
            last = reply.json();
            if done(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: never happened; last body {last}");
}

#[tokio::test]
async fn create_list_describe_delete_link() {
    let source = Source::start().await;
    let rest = start(&[], false).await;
    let c = rest.cluster_url();
    create_link(&rest, &source, "l1").await;

    let list = rest.get(&format!("{c}/links")).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let list = list.json();
    assert_eq!(list["kind"], "KafkaLinkDataList");
    let links = list["data"].as_array().unwrap_or_else(|| panic!("{list}"));
    assert_eq!(links.len(), 1, "{list}");
    let link = &links[0];
    assert_eq!(link["kind"], "KafkaLinkData");
    assert_eq!(link["metadata"]["self"], format!("{c}/links/l1").as_str());
    assert_eq!(
        link["metadata"]["resource_name"],
        format!("crn:///kafka={}/cluster-link=l1", rest.cluster_id).as_str()
    );
    assert_eq!(link["link_name"], "l1");
    assert_eq!(link["source_cluster_id"], source.broker.cluster_id());
    assert!(
        link["cluster_link_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(link["link_id"], link["cluster_link_id"]);

    let one = rest.get(&format!("{c}/links/l1?include_tasks=true")).await;
    assert_eq!(one.status, 200, "{}", one.text);
    let one = one.json();
    assert_eq!(one["link_name"], "l1");
    assert!(one["tasks"].is_array(), "{one}");

    // A second link of the same name conflicts.
    let again = rest
        .json(
            Method::POST,
            &format!("{c}/links?link_name=l1"),
            &create_body(&source),
        )
        .await;
    again.assert_error(409, 40902);

    let deleted = rest
        .send(Method::DELETE, &format!("{c}/links/l1"), None, false)
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    rest.get(&format!("{c}/links/l1"))
        .await
        .assert_error(404, 40403);
    rest.stop().await;
    source.stop().await;
}

#[tokio::test]
async fn validate_only_creates_nothing() {
    let source = Source::start().await;
    let rest = start(&[], false).await;
    let c = rest.cluster_url();
    let reply = rest
        .json(
            Method::POST,
            &format!("{c}/links?link_name=dry&validate_only=true"),
            &create_body(&source),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let list = rest.get(&format!("{c}/links")).await.json();
    assert_eq!(list["data"], json!([]), "{list}");
    rest.get(&format!("{c}/links/dry"))
        .await
        .assert_error(404, 40403);
    rest.stop().await;
    source.stop().await;
}

#[tokio::test]
async fn a_wrong_source_cluster_id_is_refused() {
    let source = Source::start().await;
    let rest = start(&[], false).await;
    let body = json!({
        "source_cluster_id": "not-the-source",
        "configs": [{"name": "bootstrap.servers", "value": source.bootstrap}]
    });
    let reply = rest
        .json(
            Method::POST,
            &format!("{}/links?link_name=l", rest.cluster_url()),
            &body.to_string(),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    rest.stop().await;
    source.stop().await;
}

#[tokio::test]
async fn link_configs_roundtrip() {
    let source = Source::start().await;
    let rest = start(&[], false).await;
    let l = format!("{}/links/l1", rest.cluster_url());
    create_link(&rest, &source, "l1").await;

    let list = rest.get(&format!("{l}/configs")).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let list = list.json();
    assert_eq!(list["kind"], "KafkaLinkConfigDataList");
    assert_eq!(list["metadata"]["self"], format!("{l}/configs").as_str());
    let entries = list["data"].as_array().unwrap_or_else(|| panic!("{list}"));
    let find = |name: &str| {
        entries
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {list}"))
            .clone()
    };
    let bootstrap = find("bootstrap.servers");
    assert_eq!(bootstrap["kind"], "KafkaLinkConfigData");
    assert_eq!(
        bootstrap["metadata"]["self"],
        format!("{l}/configs/bootstrap.servers").as_str()
    );
    assert_eq!(bootstrap["value"], source.bootstrap.as_str());
    assert_eq!(bootstrap["link_name"], "l1");
    assert_eq!(bootstrap["cluster_id"], rest.cluster_id.as_str());
    // Secrets are never returned.
    let jaas = find("sasl.jaas.config");
    assert!(jaas["value"].is_null(), "{jaas}");
    assert_eq!(jaas["is_sensitive"], true);
    assert!(!list.to_string().contains("s3cret"));

    let key = format!("{l}/configs/consumer.offset.sync.ms");
    let put = rest.json(Method::PUT, &key, r#"{"value":"1000"}"#).await;
    assert_eq!(put.status, 204, "{}", put.text);
    let one = rest.get(&key).await;
    assert_eq!(one.status, 200, "{}", one.text);
    let one = one.json();
    assert_eq!(one["value"], "1000");
    assert_eq!(one["is_default"], false);

    let reset = rest.send(Method::DELETE, &key, None, false).await;
    assert_eq!(reset.status, 204, "{}", reset.text);
    assert_eq!(rest.get(&key).await.json()["is_default"], true);

    let alter = rest
        .json(
            Method::PUT,
            &format!("{l}/configs:alter"),
            r#"{"data":[{"name":"consumer.offset.sync.ms","value":"2000"},{"name":"consumer.offset.sync.enable","operation":"DELETE"}]}"#,
        )
        .await;
    assert_eq!(alter.status, 204, "{}", alter.text);
    assert_eq!(rest.get(&key).await.json()["value"], "2000");

    // A validate-only batch changes nothing.
    let dry = rest
        .json(
            Method::PUT,
            &format!("{l}/configs:alter?validate_only=true"),
            r#"{"data":[{"name":"consumer.offset.sync.ms","value":"3000"}]}"#,
        )
        .await;
    assert_eq!(dry.status, 204, "{}", dry.text);
    assert_eq!(rest.get(&key).await.json()["value"], "2000");

    rest.get(&format!("{l}/configs/no.such.config"))
        .await
        .assert_error(404, 40403);
    rest.stop().await;
    source.stop().await;
}

#[tokio::test]
async fn mirrors_through_their_lifecycle() {
    let source = Source::start().await;
    let rest = start(&[], false).await;
    let c = rest.cluster_url();
    let l = format!("{c}/links/l1");
    create_link(&rest, &source, "l1").await;

    for topic in ["orders", "payments"] {
        let reply = rest
            .json(
                Method::POST,
                &format!("{l}/mirrors"),
                &json!({ "source_topic_name": topic }).to_string(),
            )
            .await;
        assert_eq!(reply.status, 204, "create mirror {topic}: {}", reply.text);
    }
    // No such topic at the source.
    rest.json(
        Method::POST,
        &format!("{l}/mirrors"),
        r#"{"source_topic_name":"missing"}"#,
    )
    .await
    .assert_error(404, 40403);

    let list = rest.get(&format!("{l}/mirrors")).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let list = list.json();
    assert_eq!(list["kind"], "KafkaMirrorDataList");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(2), "{list}");
    let all = rest.get(&format!("{c}/links/-/mirrors")).await.json();
    assert_eq!(all["data"].as_array().map(Vec::len), Some(2), "{all}");

    let orders = format!("{l}/mirrors/orders");
    let one = rest.get(&orders).await;
    assert_eq!(one.status, 200, "{}", one.text);
    let one = one.json();
    assert_eq!(one["kind"], "KafkaMirrorData");
    assert_eq!(one["metadata"]["self"], orders.as_str());
    assert_eq!(one["link_name"], "l1");
    assert_eq!(one["source_topic_name"], "orders");
    assert_eq!(one["num_partitions"], 2);
    assert_eq!(
        one["mirror_lags"].as_array().map(Vec::len),
        Some(2),
        "{one}"
    );
    rest.get(&format!("{l}/mirrors/nothing"))
        .await
        .assert_error(404, 40403);

    wait_for(&rest, &orders, "orders ACTIVE", |m| {
        m["mirror_status"] == "ACTIVE"
    })
    .await;

    let pause = rest
        .json(
            Method::POST,
            &format!("{l}/mirrors:pause"),
            r#"{"mirror_topic_names":["orders"]}"#,
        )
        .await;
    assert_eq!(pause.status, 200, "{}", pause.text);
    let pause = pause.json();
    assert_eq!(pause["kind"], "KafkaAlterMirrorsDataList");
    let results = pause["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{pause}"));
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["kind"], "AlterMirrorsData");
    assert_eq!(results[0]["mirror_topic_name"], "orders");
    assert!(results[0]["error_code"].is_null(), "{pause}");
    wait_for(&rest, &orders, "orders PAUSED", |m| {
        m["mirror_status"] == "PAUSED"
    })
    .await;
    let paused = rest
        .get(&format!("{c}/links/-/mirrors?mirror_status=PAUSED"))
        .await
        .json();
    assert_eq!(paused["data"].as_array().map(Vec::len), Some(1), "{paused}");

    let resume = rest
        .json(
            Method::POST,
            &format!("{l}/mirrors:resume"),
            r#"{"mirror_topic_name_pattern":"ord.*"}"#,
        )
        .await;
    assert_eq!(resume.status, 200, "{}", resume.text);
    wait_for(&rest, &orders, "orders ACTIVE again", |m| {
        m["mirror_status"] == "ACTIVE"
    })
    .await;

    // One unknown topic fails alone; the call is still 200.
    let failover = rest
        .json(
            Method::POST,
            &format!("{l}/mirrors:failover"),
            r#"{"mirror_topic_names":["payments","nothing"]}"#,
        )
        .await;
    assert_eq!(failover.status, 200, "{}", failover.text);
    let failover = failover.json();
    let results = failover["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{failover}"));
    let by_name = |n: &str| {
        results
            .iter()
            .find(|r| r["mirror_topic_name"] == n)
            .unwrap_or_else(|| panic!("{n}: {failover}"))
    };
    assert!(by_name("payments")["error_code"].is_null(), "{failover}");
    assert!(by_name("nothing")["error_code"].is_number(), "{failover}");
    wait_for(
        &rest,
        &format!("{l}/mirrors/payments"),
        "payments STOPPED",
        |m| m["mirror_status"] == "STOPPED",
    )
    .await;

    let promote = rest
        .json(
            Method::POST,
            &format!("{l}/mirrors:promote?validate_only=true"),
            r#"{"mirror_topic_names":["orders"]}"#,
        )
        .await;
    assert_eq!(promote.status, 200, "{}", promote.text);
    assert_ne!(rest.get(&orders).await.json()["mirror_status"], "STOPPED");

    // Deleting a link with a live mirror needs force.
    rest.send(Method::DELETE, &l, None, false)
        .await
        .assert_error(409, 40902);
    let forced = rest
        .send(Method::DELETE, &format!("{l}?force=true"), None, false)
        .await;
    assert_eq!(forced.status, 200, "{}", forced.text);
    rest.stop().await;
    source.stop().await;
}

#[tokio::test]
async fn listing_mirrors_of_an_unknown_link_is_404() {
    let rest = start(&[], false).await;
    rest.get(&format!("{}/links/nolink/mirrors", rest.cluster_url()))
        .await
        .assert_error(404, 40403);
    rest.stop().await;
}

#[tokio::test]
async fn metrics_name_the_link() {
    let source = Source::start().await;
    let rest = start(&[], false).await;
    create_link(&rest, &source, "metered").await;
    let reply = rest
        .json(
            Method::POST,
            &format!("{}/links/metered/mirrors", rest.cluster_url()),
            r#"{"source_topic_name":"orders"}"#,
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let metrics = rest.get(&format!("{}/metrics", rest.origin)).await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.text.contains("link_name=\"metered\""),
        "{}",
        metrics.text
    );
    assert!(metrics.text.contains("# TYPE"), "{}", metrics.text);
    rest.stop().await;
    source.stop().await;
}
