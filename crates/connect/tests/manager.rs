//! The connector manager against a real broker opened in-process (JSON
//! values, which need no registry): create, produce, pause, resume, stop
//! and reopen (a restart), a saved count that lags (a crash), the
//! iterations limit, delete.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_broker::{Broker, BrokerConfig};
use ferry_client::records::decode_records;
use ferry_client::{FetchedPartition, IsolationLevel};
use ferry_connect::view::State;
use ferry_connect::{ConnectError, ConnectorManager};

const WAIT: Duration = Duration::from_secs(60);

fn broker(dir: &std::path::Path) -> Arc<Broker> {
    let config = BrokerConfig::load(None, &["num.partitions=3".to_owned()], Some(dir.to_owned()))
        .unwrap_or_else(|e| panic!("config: {e}"));
    Arc::new(Broker::open(config).unwrap_or_else(|e| panic!("open: {e}")))
}

fn config(topic: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut c: BTreeMap<String, String> = [
        ("connector.class", "DatagenSource"),
        ("kafka.topic", topic),
        ("quickstart", "ORDERS"),
        ("output.data.format", "JSON"),
        ("max.interval", "2"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (k, v) in extra {
        c.insert((*k).to_owned(), (*v).to_owned());
    }
    c
}

async fn produced(m: &ConnectorManager, name: &str) -> u64 {
    let o = m
        .offsets(name)
        .await
        .unwrap_or_else(|e| panic!("offsets: {e}"));
    let n = o.offsets[0].offset["current.iteration"];
    u64::try_from(n).unwrap_or_else(|e| panic!("{e}"))
}

async fn wait_until<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `(partition, key, value, current.iteration)` of every record in `topic`.
fn records(broker: &Broker, topic: &str) -> Vec<(i32, String, serde_json::Value, u64)> {
    let mut out = Vec::new();
    let Some(t) = broker.topic(topic) else {
        return out;
    };
    for p in t.partitions() {
        let (bytes, hw) = {
            let log = p.log.read();
            let hw = log.log_end_offset();
            if hw == 0 {
                continue;
            }
            (
                log.read(0, 64 << 20, None)
                    .unwrap_or_else(|e| panic!("read: {e}")),
                hw,
            )
        };
        let fetched = FetchedPartition {
            high_watermark: hw,
            last_stable_offset: hw,
            log_start_offset: 0,
            aborted_transactions: Vec::new(),
            records: bytes,
        };
        let decoded = decode_records(topic, p.index, &fetched, 0, IsolationLevel::ReadUncommitted)
            .unwrap_or_else(|e| panic!("decode: {e}"));
        for r in decoded {
            let key = String::from_utf8(r.key.unwrap_or_default().to_vec()).unwrap_or_default();
            let value = serde_json::from_slice(&r.value.unwrap_or_default())
                .unwrap_or_else(|e| panic!("JSON value: {e}"));
            let iteration = r
                .headers
                .iter()
                .find(|(k, _)| k == "current.iteration")
                .and_then(|(_, v)| std::str::from_utf8(v.as_ref()?).ok()?.parse().ok())
                .unwrap_or_else(|| panic!("no current.iteration header"));
            out.push((p.index, key, value, iteration));
        }
    }
    out
}

/// Iterations 0..n once each; key = orderid = iteration; murmur2 partition.
fn check(records: &[(i32, String, serde_json::Value, u64)]) {
    let mut its: Vec<u64> = records.iter().map(|r| r.3).collect();
    its.sort_unstable();
    assert_eq!(its, (0..records.len() as u64).collect::<Vec<_>>());
    for (p, key, value, it) in records {
        assert_eq!(key, &it.to_string());
        assert_eq!(value["orderid"].as_u64(), Some(*it));
        assert_eq!(
            *p,
            ferry_client::produce::partition_for_key(key.as_bytes(), 3)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_restart_and_crash() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let b = broker(dir.path());
    let m = ConnectorManager::open(Arc::clone(&b), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let info = m
        .create("orders", config("orders", &[]))
        .await
        .unwrap_or_else(|e| panic!("create: {e}"));
    assert_eq!(info.config.get("name").map(String::as_str), Some("orders"));
    assert!(matches!(
        m.create("orders", config("orders", &[])).await,
        Err(ConnectError::AlreadyExists(_))
    ));
    wait_until("records", || async { produced(&m, "orders").await >= 30 }).await;

    m.pause("orders").await.unwrap_or_else(|e| panic!("{e}"));
    wait_until("paused", || async {
        m.status("orders")
            .await
            .is_ok_and(|s| s.tasks[0].state == State::Paused)
    })
    .await;
    let at_pause = records(&b, "orders");
    assert_eq!(at_pause.len() as u64, produced(&m, "orders").await);
    check(&at_pause);
    m.resume("orders").await.unwrap_or_else(|e| panic!("{e}"));
    let n = at_pause.len() as u64;
    wait_until("more records", || async {
        produced(&m, "orders").await > n + 10
    })
    .await;

    // A clean stop and a new manager on the same broker: continues.
    m.shutdown().await;
    let stopped = records(&b, "orders").len() as u64;
    let m = ConnectorManager::open(Arc::clone(&b), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(produced(&m, "orders").await >= stopped);
    wait_until("records after reopen", || async {
        produced(&m, "orders").await > stopped + 10
    })
    .await;
    m.shutdown().await;
    check(&records(&b, "orders"));

    // A crash: the saved count lags the topic; the topic wins.
    let path = dir.path().join("connectors/orders.json");
    let mut saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
    saved["produced"] = serde_json::json!(3);
    std::fs::write(&path, saved.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let before = records(&b, "orders").len() as u64;
    let m = ConnectorManager::open(Arc::clone(&b), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_until("records after the crash", || async {
        produced(&m, "orders").await > before + 10
    })
    .await;
    m.pause("orders").await.unwrap_or_else(|e| panic!("{e}"));
    wait_until("paused", || async {
        m.status("orders")
            .await
            .is_ok_and(|s| s.tasks[0].state == State::Paused)
    })
    .await;
    check(&records(&b, "orders"));

    m.delete("orders").await.unwrap_or_else(|e| panic!("{e}"));
    assert!(m.names().await.is_empty());
    assert!(!path.exists());
    assert!(matches!(
        m.status("orders").await,
        Err(ConnectError::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iterations_limit_and_bad_configs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let b = broker(dir.path());
    let m = ConnectorManager::open(Arc::clone(&b), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    m.create(
        "five",
        config("five", &[("iterations", "5"), ("max.interval", "0")]),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    wait_until("the limit", || async {
        m.status("five")
            .await
            .is_ok_and(|s| s.tasks[0].state == State::Failed)
    })
    .await;
    let s = m.status("five").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.connector.state, State::Running);
    assert!(
        s.tasks[0]
            .trace
            .as_deref()
            .is_some_and(|t| t.contains("generated the configured 5 number of messages")),
        "{s:?}"
    );
    assert_eq!(records(&b, "five").len(), 5);

    // AVRO needs a registry; this manager has none.
    let err = m
        .create("avro", config("avro", &[("output.data.format", "AVRO")]))
        .await
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert!(err.to_string().contains("schema registry"), "{err}");
    for (key, value) in [
        ("quickstart", "NOPE"),
        ("tasks.max", "2"),
        ("kafka.topic", "a b"),
    ] {
        let err = m
            .create("bad", config("bad", &[(key, value)]))
            .await
            .err()
            .unwrap_or_else(|| panic!("{key}={value} accepted"));
        assert_eq!(err.http_status(), 400);
        assert!(err.to_string().contains(key), "{err}");
    }
    assert!(matches!(
        m.create("a/b", config("t", &[])).await,
        Err(ConnectError::BadRequest(_))
    ));
    assert_eq!(m.names().await, vec!["five".to_owned()]);
    m.shutdown().await;
}
