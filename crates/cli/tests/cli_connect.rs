//! Managed datagen end to end: `ferry connect cluster …` run as separate
//! processes against a real `ferry server` (REST listener plus schema
//! registry), its records read back with rdkafka, its value schema asked of
//! the registry over HTTP.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{FerryServer, rdkafka_config, wait_for};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;

const FERRY: &str = env!("CARGO_BIN_EXE_ferry");
/// Guard against a hung command; not an assertion on speed.
const HANG_GUARD: Duration = Duration::from_secs(120);
/// How long the connector gets to reach a state or a count (a bound).
const WAIT: Duration = Duration::from_secs(60);
const PARTITIONS: i32 = 3;
const TOPIC: &str = "sample_order_data";

/// Runs `ferry <args>` with the REST environment variables cleared.
fn ferry(args: &[&str]) -> Output {
    let mut child = Command::new(FERRY)
        .args(args)
        .env_remove("FERRY_REST_URL")
        .env_remove("CONFLUENT_REST_URL")
        .env_remove("FERRY_API_KEY")
        .env_remove("FERRY_API_SECRET")
        .env_remove("FERRY_ENVIRONMENT")
        .env(
            "FERRY_HOME",
            std::env::temp_dir().join("ferry-cli-connect-home"),
        )
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ferry");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > HANG_GUARD {
            let _ = child.kill();
            panic!("ferry {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ok(args: &[&str]) -> String {
    let out = ferry(args);
    assert!(
        out.status.success(),
        "ferry {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails(args: &[&str]) -> String {
    let out = ferry(args);
    assert!(
        !out.status.success(),
        "ferry {args:?} succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// GET `url` as JSON.
fn get_json(url: &str) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let resp = reqwest::get(url).await.expect("GET");
        assert!(resp.status().is_success(), "GET {url}: {}", resp.status());
        resp.json::<Value>().await.expect("JSON")
    })
}

/// A free port for the registry, kept across restarts.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn describe(server: &FerryServer, name: &str) -> Value {
    let url = format!("{}/kafka", server.rest_url());
    let text = ok(&[
        "connect", "cluster", "describe", name, "--url", &url, "-o", "json",
    ]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("describe JSON: {e}: {text}"))
}

fn produced(d: &Value) -> u64 {
    d["offsets"]["offsets"][0]["offset"]["current.iteration"]
        .as_u64()
        .unwrap_or_else(|| panic!("no current.iteration in {d}"))
}

fn task_state(d: &Value) -> String {
    d["tasks"][0]["state"].as_str().unwrap_or("").to_owned()
}

/// Sum of the partitions' log end offsets, as a consumer sees them.
fn end_offsets(server: &FerryServer, topic: &str) -> i64 {
    let c: BaseConsumer = rdkafka_config(server)
        .set("group.id", "cli-connect-watermarks")
        .create()
        .expect("consumer");
    (0..PARTITIONS)
        .map(|p| {
            c.fetch_watermarks(topic, p, Duration::from_secs(30))
                .map(|(_, hi)| hi)
                .unwrap_or(0)
        })
        .sum()
}

/// One record as read back.
#[derive(Debug)]
struct Seen {
    partition: i32,
    key: String,
    value: Vec<u8>,
    iteration: u64,
}

/// Reads every partition of `topic` to its end (the connector is paused or
/// gone, so the end stays put).
fn read_all(server: &FerryServer, topic: &str) -> Vec<Seen> {
    let consumer: BaseConsumer = rdkafka_config(server)
        .set("group.id", "cli-connect-reader")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .expect("tpl");
    }
    consumer.assign(&tpl).expect("assign");
    let mut at_end = BTreeSet::new();
    let mut got = Vec::new();
    let deadline = Instant::now() + WAIT;
    while at_end.len() < PARTITIONS as usize {
        assert!(Instant::now() < deadline, "reading {topic} did not finish");
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Ok(m)) => {
                at_end.remove(&m.partition());
                let headers = m.headers().expect("headers");
                let iteration = headers
                    .iter()
                    .find(|h| h.key == "current.iteration")
                    .and_then(|h| h.value)
                    .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
                    .expect("current.iteration header");
                got.push(Seen {
                    partition: m.partition(),
                    key: String::from_utf8(m.key().expect("key").to_vec()).expect("utf-8 key"),
                    value: m.payload().expect("value").to_vec(),
                    iteration,
                });
            }
            Some(Err(KafkaError::PartitionEOF(p))) => {
                at_end.insert(p);
            }
            Some(Err(e)) => panic!("reading {topic}: {e}"),
        }
    }
    got
}

fn write_config(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write config file");
    path.to_string_lossy().into_owned()
}

/// Checks what the orders connector wrote: wire format with `id`, keys =
/// order ids = iterations, murmur2 partitions, iterations 0..n exactly once.
fn check_records(records: &[Seen], id: u32) {
    let mut iterations: Vec<u64> = records.iter().map(|r| r.iteration).collect();
    iterations.sort_unstable();
    let want: Vec<u64> = (0..records.len() as u64).collect();
    assert_eq!(iterations, want, "iterations are 0..n, each once");
    for r in records {
        assert!(r.value.len() > 5, "short value");
        assert_eq!(r.value[0], 0, "magic byte");
        let got_id = u32::from_be_bytes([r.value[1], r.value[2], r.value[3], r.value[4]]);
        assert_eq!(got_id, id, "schema id in the wire format");
        assert_eq!(r.key, r.iteration.to_string(), "key = orderid = iteration");
        assert_eq!(
            r.partition,
            ferry_client::produce::partition_for_key(r.key.as_bytes(), PARTITIONS),
            "key {} lands where Kafka's default partitioner puts it",
            r.key
        );
    }
}

#[test]
fn orders_datagen_lifecycle() {
    let registry_port = free_port();
    let registry = format!("http://127.0.0.1:{registry_port}");
    let mut server = FerryServer::start(&[
        "rest.listeners=http://127.0.0.1:0",
        &format!("schema.registry.listeners={registry}"),
        &format!("num.partitions={PARTITIONS}"),
    ]);
    let dir = server.data_dir().parent().expect("tmp").to_path_buf();
    let config = write_config(
        &dir,
        "orders.json",
        &format!(
            r#"{{"name": "orders", "connector.class": "DatagenSource", "kafka.topic": "{TOPIC}",
                "quickstart": "ORDERS", "output.data.format": "AVRO", "max.interval": "10",
                "tasks.max": "1", "kafka.auth.mode": "KAFKA_API_KEY",
                "kafka.api.key": "KEY", "kafka.api.secret": "SECRET"}}"#
        ),
    );
    let url = format!("{}/kafka", server.rest_url());
    let out = ok(&[
        "connect",
        "cluster",
        "create",
        "--config-file",
        &config,
        "--url",
        &url,
    ]);
    assert!(out.contains("Created connector \"orders\""), "{out}");

    // Running: records arrive, the schema is registered under <topic>-value.
    wait_for("records", WAIT, || {
        (produced(&describe(&server, "orders")) >= 50).then_some(())
    });
    let d = describe(&server, "orders");
    assert_eq!(d["connector"]["status"], "RUNNING", "{d}");
    assert_eq!(task_state(&d), "RUNNING", "{d}");
    let secret = d["configs"]
        .as_array()
        .and_then(|c| c.iter().find(|e| e["config"] == "kafka.api.secret"))
        .expect("secret row");
    assert_ne!(secret["value"], "SECRET", "secrets are not printed");
    let latest = get_json(&format!(
        "{registry}/subjects/{TOPIC}-value/versions/latest"
    ));
    let id = u32::try_from(latest["id"].as_u64().expect("id")).expect("id fits");
    let schema = latest["schema"].as_str().expect("schema");
    assert!(
        schema.contains("\"orders\"") && schema.contains("\"orderid\""),
        "{schema}"
    );
    assert!(!schema.contains("arg.properties"), "{schema}");
    let list = ok(&["connect", "cluster", "list", "--url", &url]);
    assert!(
        list.contains("orders") && list.contains("RUNNING"),
        "{list}"
    );

    // Pause: production stops and stays stopped.
    let out = ok(&["connect", "cluster", "pause", "orders", "--url", &url]);
    assert!(out.contains("Paused connector \"orders\""), "{out}");
    wait_for("paused task", WAIT, || {
        (task_state(&describe(&server, "orders")) == "PAUSED").then_some(())
    });
    let at_pause = end_offsets(&server, TOPIC);
    let records = read_all(&server, TOPIC);
    assert_eq!(
        records.len() as i64,
        at_pause,
        "nothing written while paused"
    );
    check_records(&records, id);
    assert_eq!(produced(&describe(&server, "orders")), at_pause as u64);

    // Resume: production continues where it stopped.
    ok(&["connect", "cluster", "resume", "orders", "--url", &url]);
    wait_for("records after resume", WAIT, || {
        (end_offsets(&server, TOPIC) > at_pause + 20).then_some(())
    });

    // A crash (SIGKILL) and a restart: the connector comes back RUNNING and
    // continues the iterations without repeating one.
    server.kill9();
    server.restart();
    let url = format!("{}/kafka", server.rest_url());
    let before = end_offsets(&server, TOPIC);
    wait_for("records after restart", WAIT, || {
        (end_offsets(&server, TOPIC) > before + 20).then_some(())
    });
    let d = serde_json::from_str::<Value>(&ok(&[
        "connect", "cluster", "describe", "orders", "--url", &url, "-o", "json",
    ]))
    .expect("json");
    assert_eq!(task_state(&d), "RUNNING", "{d}");
    ok(&["connect", "cluster", "pause", "orders", "--url", &url]);
    wait_for("paused again", WAIT, || {
        (task_state(&describe(&server, "orders")) == "PAUSED").then_some(())
    });
    let records = read_all(&server, TOPIC);
    assert!(records.len() as i64 > before, "records after the restart");
    check_records(&records, id);

    // A clean restart keeps it paused.
    server.terminate();
    server.restart();
    let url = format!("{}/kafka", server.rest_url());
    let d = describe(&server, "orders");
    assert_eq!(d["connector"]["status"], "PAUSED", "{d}");

    // Delete: gone from the list and from disk; the topic stays.
    let out = ok(&[
        "connect",
        "cluster",
        "delete",
        "orders",
        "--url",
        &url,
        "--force",
        "--cluster",
        server.cluster_id(),
    ]);
    assert!(out.contains("Deleted connector \"orders\""), "{out}");
    let list = ok(&["connect", "cluster", "list", "--url", &url, "-o", "json"]);
    assert_eq!(
        serde_json::from_str::<Value>(&list).expect("json"),
        Value::Array(vec![])
    );
    assert!(!server.data_dir().join("connectors/orders.json").exists());
    let err = fails(&["connect", "cluster", "describe", "orders", "--url", &url]);
    assert!(
        err.contains("Connector orders not found") && err.contains("404"),
        "{err}"
    );
    assert!(end_offsets(&server, TOPIC) > 0);
}

#[test]
fn iterations_limit_then_failed_task_with_confluents_trace() {
    let mut server = FerryServer::start(&["rest.listeners=http://127.0.0.1:0"]);
    let dir = server.data_dir().parent().expect("tmp").to_path_buf();
    let config = write_config(
        &dir,
        "users.json",
        r#"{"name": "users", "config": {"connector.class": "DatagenSource",
            "kafka.topic": "users", "quickstart": "USERS", "output.data.format": "JSON",
            "max.interval": 0, "iterations": 7}}"#,
    );
    let url = format!("{}/kafka", server.rest_url());
    ok(&[
        "connect",
        "cluster",
        "create",
        "--config-file",
        &config,
        "--url",
        &url,
    ]);
    let d = wait_for("the limit", WAIT, || {
        let d = describe(&server, "users");
        (task_state(&d) == "FAILED").then_some(d)
    });
    assert_eq!(produced(&d), 7, "{d}");
    let trace = d["tasks"][0]["trace"].as_str().unwrap_or("");
    assert!(
        trace.contains("Stopping connector: generated the configured 7 number of messages"),
        "{trace}"
    );
    assert_eq!(end_offsets(&server, "users"), 7);
    // JSON values are plain documents, no wire-format header.
    let c: BaseConsumer = rdkafka_config(&server)
        .set("group.id", "cli-connect-json")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("users", 0, Offset::Beginning)
        .expect("tpl");
    c.assign(&tpl).expect("assign");
    let m = wait_for("a users record", WAIT, || {
        match c.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => Some(m.detach()),
            _ => None,
        }
    });
    let v: Value = serde_json::from_slice(m.payload().expect("payload")).expect("JSON value");
    assert!(v.get("userid").is_some(), "{v}");
    // A server without a registry refuses AVRO up front.
    let avro = write_config(
        &dir,
        "avro.json",
        r#"{"name": "a", "connector.class": "DatagenSource", "kafka.topic": "a",
            "quickstart": "ORDERS", "output.data.format": "AVRO"}"#,
    );
    let err = fails(&[
        "connect",
        "cluster",
        "create",
        "--config-file",
        &avro,
        "--url",
        &url,
    ]);
    assert!(err.contains("schema registry"), "{err}");
    server.terminate();
}

#[test]
fn bad_config_files_give_clear_errors() {
    let server = FerryServer::start(&["rest.listeners=http://127.0.0.1:0"]);
    let dir = server.data_dir().parent().expect("tmp").to_path_buf();
    let url = format!("{}/kafka", server.rest_url());
    let create = |file: &str| {
        fails(&[
            "connect",
            "cluster",
            "create",
            "--config-file",
            file,
            "--url",
            &url,
        ])
    };

    let missing = dir.join("nope.json");
    let err = create(&missing.to_string_lossy());
    assert!(err.contains("cannot read the config file"), "{err}");

    let err = create(&write_config(&dir, "broken.json", "{\"name\": "));
    assert!(err.contains("not valid JSON"), "{err}");

    let err = create(&write_config(
        &dir,
        "noname.json",
        r#"{"kafka.topic": "t"}"#,
    ));
    assert!(err.contains("no \"name\""), "{err}");

    let base =
        r#""connector.class": "DatagenSource", "kafka.topic": "t", "output.data.format": "JSON""#;
    let err = create(&write_config(
        &dir,
        "quickstart.json",
        &format!(r#"{{"name": "q", {base}, "quickstart": "BANANAS"}}"#),
    ));
    assert!(
        err.contains("quickstart") && err.contains("BANANAS") && err.contains("400"),
        "{err}"
    );

    let err = create(&write_config(
        &dir,
        "class.json",
        r#"{"name": "c", "connector.class": "S3_SINK", "kafka.topic": "t", "quickstart": "ORDERS", "output.data.format": "JSON"}"#,
    ));
    assert!(err.contains("connector.class"), "{err}");

    let err = create(&write_config(
        &dir,
        "tasks.json",
        &format!(r#"{{"name": "t", {base}, "quickstart": "ORDERS", "tasks.max": "4"}}"#),
    ));
    assert!(err.contains("tasks.max"), "{err}");

    let good = write_config(
        &dir,
        "good.json",
        &format!(r#"{{"name": "g", {base}, "quickstart": "ORDERS", "max.interval": "1000"}}"#),
    );
    ok(&[
        "connect",
        "cluster",
        "create",
        "--config-file",
        &good,
        "--url",
        &url,
    ]);
    let err = create(&good);
    assert!(
        err.contains("already exists") && err.contains("409"),
        "{err}"
    );

    let err = fails(&["connect", "cluster", "pause", "ghost", "--url", &url]);
    assert!(err.contains("Connector ghost not found"), "{err}");
}

#[test]
fn datagen_in_the_foreground() {
    let registry_port = free_port();
    let registry = format!("http://127.0.0.1:{registry_port}");
    let server = FerryServer::start(&[
        &format!("schema.registry.listeners={registry}"),
        &format!("num.partitions={PARTITIONS}"),
    ]);
    let out = ferry(&[
        "datagen",
        "--bootstrap",
        &server.bootstrap(),
        "--topic",
        "fg_orders",
        "--quickstart",
        "orders",
        "--format",
        "avro",
        "--schema-registry-endpoint",
        &registry,
        "--iterations",
        "60",
        "--max-interval",
        "0",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("60/60 records"), "progress line: {err}");
    let latest = get_json(&format!(
        "{registry}/subjects/fg_orders-value/versions/latest"
    ));
    let id = u32::try_from(latest["id"].as_u64().expect("id")).expect("id fits");
    let records = read_all(&server, "fg_orders");
    assert_eq!(records.len(), 60);
    check_records(&records, id);

    let err = fails(&[
        "datagen",
        "--bootstrap",
        &server.bootstrap(),
        "--topic",
        "x",
        "--quickstart",
        "orders",
        "--iterations",
        "1",
    ]);
    assert!(err.contains("--schema-registry-endpoint"), "{err}");
    let err = fails(&[
        "datagen",
        "--bootstrap",
        &server.bootstrap(),
        "--topic",
        "x",
        "--quickstart",
        "nope",
        "--format",
        "json",
    ]);
    assert!(err.contains("quickstart"), "{err}");
}

#[test]
fn connectors_sit_behind_the_rest_authentication() {
    // A SASL listener makes the REST listener, /connectors included, ask
    // for the broker's credentials.
    let server = FerryServer::start_with_listeners(
        &["SASL_PLAINTEXT"],
        &[
            "rest.listeners=http://127.0.0.1:0",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"alice-secret\";",
        ],
    );
    let url = format!("{}/kafka", server.rest_url());
    let err = fails(&["connect", "cluster", "list", "--url", &url]);
    assert!(err.contains("HTTP 401"), "{err}");
    let err = fails(&[
        "connect",
        "cluster",
        "list",
        "--url",
        &url,
        "--api-key",
        "alice",
        "--api-secret",
        "wrong",
    ]);
    assert!(err.contains("HTTP 401"), "{err}");
    let dir = server.data_dir().parent().expect("tmp").to_path_buf();
    let config = write_config(
        &dir,
        "c.json",
        r#"{"name": "c", "connector.class": "DatagenSource", "kafka.topic": "c",
            "quickstart": "STOCK_TRADES", "output.data.format": "JSON", "max.interval": "1000"}"#,
    );
    let creds = ["--api-key", "alice", "--api-secret", "alice-secret"];
    let mut create = vec![
        "connect",
        "cluster",
        "create",
        "--config-file",
        &config,
        "--url",
        &url,
    ];
    create.extend_from_slice(&creds);
    ok(&create);
    let mut list = vec!["connect", "cluster", "list", "--url", &url, "-o", "json"];
    list.extend_from_slice(&creds);
    let listed: Value = serde_json::from_str(&ok(&list)).expect("json");
    assert_eq!(listed[0]["name"], "c", "{listed}");
}
