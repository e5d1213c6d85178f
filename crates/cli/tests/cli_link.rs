//! `ferry kafka link …` and `ferry kafka mirror …` end to end: the CLI run as
//! separate processes against real `ferry server`s (their Kafka REST API v3),
//! and the argument checks that need no server.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::FerryServer;

const FERRY: &str = env!("CARGO_BIN_EXE_ferry");
/// Guard against a hung command or server; not an assertion on speed.
const HANG_GUARD: Duration = Duration::from_secs(120);
/// How long the mirror gets to reach a state (a bound, not a measurement).
const STATE_WAIT: Duration = Duration::from_secs(60);
/// A REST URL where nothing listens: commands that must fail before any
/// request would otherwise fail with "cannot reach".
const DEAD_URL: &str = "http://127.0.0.1:1/kafka";

/// Runs `ferry <args>` with the REST/API-key environment cleared, so that
/// the caller's shell cannot change what the test sees.
fn ferry(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(FERRY)
        .args(args)
        .env_remove("FERRY_REST_URL")
        .env_remove("CONFLUENT_REST_URL")
        .env_remove("FERRY_API_KEY")
        .env_remove("FERRY_API_SECRET")
        .env_remove("FERRY_BOOTSTRAP")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ferry");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    let started = Instant::now();
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "ferry {args:?} hung; stdout: {} stderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs a command that must succeed; returns its stdout.
fn ok(args: &[&str]) -> String {
    ok_in(args, None)
}

fn ok_in(args: &[&str], stdin: Option<&str>) -> String {
    let out = ferry(args, stdin);
    assert!(
        out.status.success(),
        "ferry {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Runs a command that must fail; returns (stdout, stderr).
fn fails(args: &[&str]) -> (String, String) {
    let out = ferry(args, None);
    assert!(
        !out.status.success(),
        "ferry {args:?} should have failed; stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a command with `-o json`; returns the parsed output.
fn json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let text = ok(&all);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

// ---------------------------------------------------------------------------
// Argument handling that needs no server.

#[test]
fn a_rest_url_is_required() {
    let (_, err) = fails(&["kafka", "link", "list"]);
    assert!(err.contains("no REST URL"), "{err}");
    assert!(err.contains("--url"), "{err}");
    let (_, err) = fails(&["kafka", "mirror", "list"]);
    assert!(err.contains("no REST URL"), "{err}");
    let (_, err) = fails(&["kafka", "link", "list", "--url", "ftp://h/kafka"]);
    assert!(err.contains("http:// or https://"), "{err}");
}

#[test]
fn api_key_and_secret_come_in_pairs() {
    let (_, err) = fails(&[
        "kafka",
        "link",
        "create",
        "l",
        "--url",
        DEAD_URL,
        "--source-bootstrap-server",
        "h:9092",
        "--source-api-key",
        "KEY",
    ]);
    assert!(
        err.contains("--source-api-key and --source-api-secret must be supplied together"),
        "{err}"
    );
    let (_, err) = fails(&[
        "kafka",
        "link",
        "create",
        "l",
        "--url",
        DEAD_URL,
        "--source-api-secret",
        "SECRET",
    ]);
    assert!(
        err.contains("--source-api-key and --source-api-secret must be supplied together"),
        "{err}"
    );
    assert!(!err.contains("SECRET"), "the secret leaked: {err}");
    let (_, err) = fails(&["kafka", "link", "list", "--url", DEAD_URL, "--api-key", "K"]);
    assert!(
        err.contains("--api-key and --api-secret must be supplied together"),
        "{err}"
    );
}

#[test]
fn config_is_checked_before_any_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.properties");
    let missing = missing.to_str().expect("utf-8 path");
    let (_, err) = fails(&[
        "kafka", "link", "create", "l", "--url", DEAD_URL, "--config", missing,
    ]);
    assert!(err.contains("missing.properties"), "{err}");
    assert!(!err.contains("cannot reach"), "sent a request: {err}");

    // A link mode ferry does not serve, from a file…
    let file = dir.path().join("link.properties");
    std::fs::write(&file, "# comment\n\nlink.mode=SOURCE\n").expect("write");
    let (_, err) = fails(&[
        "kafka",
        "link",
        "create",
        "l",
        "--url",
        DEAD_URL,
        "--config",
        file.to_str().expect("utf-8 path"),
    ]);
    assert!(err.contains("link.mode=SOURCE"), "{err}");
    assert!(!err.contains("cannot reach"), "sent a request: {err}");
    // …and from k=v pairs, where the later items are parsed too.
    let (_, err) = fails(&[
        "kafka",
        "link",
        "create",
        "l",
        "--url",
        DEAD_URL,
        "--config",
        "consumer.offset.sync.ms=1000,link.mode=sideways",
    ]);
    assert!(err.contains("unrecognized link mode \"sideways\""), "{err}");

    // The deprecated --config-file reads the same file, but not with --config.
    let (_, err) = fails(&[
        "kafka",
        "link",
        "create",
        "l",
        "--url",
        DEAD_URL,
        "--config-file",
        file.to_str().expect("utf-8 path"),
    ]);
    assert!(err.contains("link.mode=SOURCE"), "{err}");
    let (_, err) = fails(&[
        "kafka",
        "link",
        "create",
        "l",
        "--url",
        DEAD_URL,
        "--config-file",
        "a",
        "--config",
        "b=c",
    ]);
    assert!(err.contains("cannot be used with"), "{err}");

    // A valid config gets as far as the (dead) server.
    let (_, err) = fails(&[
        "kafka",
        "link",
        "create",
        "l",
        "--url",
        DEAD_URL,
        "--cluster",
        "c",
        "--config",
        "consumer.offset.sync.enable=true",
    ]);
    assert!(err.contains("cannot reach the REST API"), "{err}");
}

#[test]
fn delete_without_force_needs_a_terminal() {
    let (_, err) = fails(&["kafka", "link", "delete", "a", "b", "--url", DEAD_URL]);
    assert!(err.contains("pass --force"), "{err}");
    assert!(err.contains("\"a\" and \"b\""), "{err}");
    assert!(!err.contains("cannot reach"), "sent a request: {err}");
}

// ---------------------------------------------------------------------------
// Against real servers.

/// A `ferry server` (the shared guard, killed by its PID on drop) with the
/// REST listener on a free port.
struct RestServer {
    server: FerryServer,
    bootstrap: String,
    /// `host:port` of the REST listener.
    rest: String,
    cluster_id: String,
}

/// `host:port` of a printed REST address, with or without a scheme.
fn host_port(addr: &str) -> String {
    let a = addr.trim();
    a.strip_prefix("https://")
        .or_else(|| a.strip_prefix("http://"))
        .unwrap_or(a)
        .to_owned()
}

impl RestServer {
    fn start() -> Self {
        Self::start_with(&[], &[])
    }

    /// With more Kafka listeners (`SASL_PLAINTEXT`, …) and `--override`s,
    /// applied after `rest.listeners=http://127.0.0.1:0`.
    fn start_with(listeners: &[&str], overrides: &[&str]) -> Self {
        let mut all = vec!["rest.listeners=http://127.0.0.1:0"];
        all.extend_from_slice(overrides);
        let server = FerryServer::start_with_listeners(listeners, &all);
        Self {
            bootstrap: server.bootstrap(),
            rest: host_port(&server.rest_url()),
            cluster_id: server.cluster_id().to_owned(),
            server,
        }
    }

    /// The REST base URL the CLI takes.
    fn url(&self) -> String {
        format!("http://{}/kafka", self.rest)
    }

    fn stderr(&self) -> String {
        self.server.stderr_tail(6000)
    }
}

/// `args` followed by `--url <server>`.
fn at(server: &RestServer, args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    v.push("--url".to_owned());
    v.push(server.url());
    v
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Polls `mirror describe -o json` until every partition row satisfies `f`.
fn wait_for_mirror(
    dest: &RestServer,
    link: &str,
    topic: &str,
    what: &str,
    f: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + STATE_WAIT;
    let args = at(
        dest,
        &[
            "kafka", "mirror", "describe", topic, "--link", link, "-o", "json",
        ],
    );
    loop {
        let out = ferry(&strs(&args), None);
        let rows: Option<serde_json::Value> = out
            .status
            .success()
            .then(|| serde_json::from_slice(&out.stdout).ok())
            .flatten();
        if let Some(rows) = rows
            && rows
                .as_array()
                .is_some_and(|a| !a.is_empty() && a.iter().all(&f))
        {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "mirror {topic} never became {what}; last: {} {}\n--- dest stderr ---\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            dest.stderr()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn write_link_config(dir: &Path) -> String {
    let path = dir.join("link-config.properties");
    std::fs::write(
        &path,
        "# the seed's shape\n\
         \n\
         consumer.offset.sync.enable=true\n\
         consumer.offset.group.filters={\"groupFilters\":[{\"name\":\"*\",\\\n\
         \"patternType\":\"LITERAL\",\"filterType\":\"INCLUDE\"}]}\n\
         consumer.offset.sync.ms=30000\n",
    )
    .expect("write config");
    path.to_str().expect("utf-8 path").to_owned()
}

#[test]
fn link_round_trip_with_an_unreachable_source() {
    let dest = RestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_link_config(dir.path());

    let out = ok(&strs(&at(
        &dest,
        &[
            "kafka",
            "link",
            "create",
            "bogus",
            "--source-cluster",
            "bogus-cluster-id",
            "--source-bootstrap-server",
            "127.0.0.1:1",
            "--source-api-key",
            "KEY",
            "--source-api-secret",
            "TOP-SECRET",
            "--config",
            &config,
            "--no-validate",
        ],
    )));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some("Created cluster link \"bogus\" with configs:"),
        "{out}"
    );
    let expected = [
        "\"bootstrap.servers\"=\"127.0.0.1:1\"",
        "\"consumer.offset.group.filters\"=\"{\"groupFilters\":[{\"name\":\"*\",\"patternType\":\"LITERAL\",\"filterType\":\"INCLUDE\"}]}\"",
        "\"consumer.offset.sync.enable\"=\"true\"",
        "\"consumer.offset.sync.ms\"=\"30000\"",
        "\"link.mode\"=\"DESTINATION\"",
        "\"sasl.mechanism\"=\"PLAIN\"",
        "\"security.protocol\"=\"SASL_SSL\"",
    ];
    assert_eq!(&lines[1..], &expected[..], "{out}");
    assert!(
        !out.contains("TOP-SECRET") && !out.contains("jaas"),
        "{out}"
    );

    // A dry run validates and creates nothing.
    let out = ok(&strs(&at(
        &dest,
        &[
            "kafka",
            "link",
            "create",
            "dry",
            "--source-bootstrap-server",
            "127.0.0.1:1",
            "--no-validate",
            "--dry-run",
        ],
    )));
    assert!(out.starts_with("[DRY RUN]"), "{out}");

    let links = json(&strs(&at(&dest, &["kafka", "link", "list"])));
    let links = links.as_array().expect("array");
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["link_name"], "bogus");
    assert_eq!(links[0]["source_cluster"], "bogus-cluster-id");
    assert!(links[0]["link_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(links[0]["state"].is_string());
    let table = ok(&strs(&at(&dest, &["kafka", "link", "list"])));
    assert!(
        table
            .lines()
            .next()
            .is_some_and(|h| h.contains("Name") && h.contains("State"))
    );
    assert!(table.contains("bogus"), "{table}");

    // The cluster can be named explicitly; a wrong one is the server's 404.
    let described = json(&strs(&at(
        &dest,
        &[
            "kafka",
            "link",
            "describe",
            "bogus",
            "--cluster",
            &dest.cluster_id,
        ],
    )));
    assert_eq!(described["link_name"], "bogus");
    assert_eq!(described["source_cluster"], "bogus-cluster-id");
    // No mirrors yet: no state counts.
    assert!(
        described.get("mirror_partition_states_count").is_none(),
        "{described}"
    );
    let (_, err) = fails(&strs(&at(
        &dest,
        &[
            "kafka",
            "link",
            "describe",
            "bogus",
            "--cluster",
            "no-such-cluster",
        ],
    )));
    assert!(err.contains("HTTP 404"), "{err}");
    let (_, err) = fails(&strs(&at(&dest, &["kafka", "link", "describe", "nope"])));
    assert!(err.contains("HTTP 404") && err.contains("nope"), "{err}");

    let configs = json(&strs(&at(
        &dest,
        &["kafka", "link", "configuration", "list", "bogus"],
    )));
    let find = |name: &str| {
        configs
            .as_array()
            .expect("array")
            .iter()
            .find(|c| c["config_name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {configs}"))
            .clone()
    };
    let jaas = find("sasl.jaas.config");
    assert_eq!(jaas["config_value"], serde_json::Value::Null, "{jaas}");
    assert_eq!(jaas["sensitive"], true, "{jaas}");
    assert_eq!(find("security.protocol")["config_value"], "SASL_SSL");
    assert_eq!(find("bootstrap.servers")["config_value"], "127.0.0.1:1");
    assert_eq!(
        find("dest.cluster.id")["config_value"],
        dest.cluster_id.as_str()
    );
    assert!(!configs.to_string().contains("TOP-SECRET"));
    let table = ok(&strs(&at(
        &dest,
        &["kafka", "link", "configuration", "list", "bogus"],
    )));
    assert!(
        table.contains("Config Name") && table.contains("Read-Only"),
        "{table}"
    );
    assert!(!table.contains("TOP-SECRET"), "{table}");

    let out = ok(&strs(&at(
        &dest,
        &[
            "kafka",
            "link",
            "configuration",
            "update",
            "bogus",
            "--config",
            "consumer.offset.sync.ms=5000",
        ],
    )));
    assert!(out.contains("consumer.offset.sync.ms"), "{out}");
    let configs = json(&strs(&at(
        &dest,
        &["kafka", "link", "configuration", "list", "bogus"],
    )));
    let sync_ms = configs
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["config_name"] == "consumer.offset.sync.ms")
        .expect("consumer.offset.sync.ms listed");
    assert_eq!(sync_ms["config_value"], "5000", "{sync_ms}");

    let tasks = json(&strs(&at(
        &dest,
        &["kafka", "link", "task", "list", "bogus"],
    )));
    assert!(tasks.is_array(), "{tasks}");

    // k=v pairs: pieces without '=' belong to the value before them.
    let out = ok(&strs(&at(
        &dest,
        &[
            "kafka",
            "link",
            "create",
            "kv",
            "--config",
            "bootstrap.servers=127.0.0.1:1,127.0.0.1:2,consumer.offset.sync.ms=1000",
            "--config",
            "mirror.start.offset.spec=latest",
            "--no-validate",
        ],
    )));
    assert_eq!(
        out,
        "Created cluster link \"kv\" with configs:\n\
         \"bootstrap.servers\"=\"127.0.0.1:1,127.0.0.1:2\"\n\
         \"consumer.offset.sync.ms\"=\"1000\"\n\
         \"link.mode\"=\"DESTINATION\"\n\
         \"mirror.start.offset.spec\"=\"latest\"\n"
    );
    let configs = json(&strs(&at(
        &dest,
        &["kafka", "link", "configuration", "list", "kv"],
    )));
    let bootstrap = configs
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["config_name"] == "bootstrap.servers")
        .expect("bootstrap.servers listed");
    assert_eq!(bootstrap["config_value"], "127.0.0.1:1,127.0.0.1:2");

    let out = ok(&strs(&at(
        &dest,
        &["kafka", "link", "delete", "bogus", "kv", "--force"],
    )));
    assert_eq!(out.trim(), "Deleted cluster links \"bogus\" and \"kv\".");
    let links = json(&strs(&at(&dest, &["kafka", "link", "list"])));
    assert_eq!(links.as_array().map(Vec::len), Some(0), "{links}");
    let (_, err) = fails(&strs(&at(
        &dest,
        &["kafka", "link", "delete", "bogus", "--force"],
    )));
    assert!(err.contains("bogus"), "{err}");
}

#[test]
fn mirror_round_trip_between_two_servers() {
    let source = RestServer::start();
    let dest = RestServer::start();
    let on_source = |args: &[&str], stdin: Option<&str>| {
        let mut all = args.to_vec();
        all.extend(["--bootstrap", source.bootstrap.as_str()]);
        ok_in(&all, stdin)
    };
    on_source(
        &["kafka", "topic", "create", "orders", "--partitions", "2"],
        None,
    );
    let records: String = (0..20).map(|i| format!("order-{i}\n")).collect();
    on_source(&["kafka", "topic", "produce", "orders"], Some(&records));

    ok(&strs(&at(
        &dest,
        &[
            "kafka",
            "link",
            "create",
            "l1",
            "--source-cluster",
            &source.cluster_id,
            "--source-bootstrap-server",
            &source.bootstrap,
        ],
    )));
    let out = ok(&strs(&at(
        &dest,
        &["kafka", "mirror", "create", "orders", "--link", "l1"],
    )));
    assert_eq!(out.trim(), "Created mirror topic \"orders\".");

    // Listed under every link and under its own, filtered by state.
    let all = json(&strs(&at(&dest, &["kafka", "mirror", "list"])));
    let row = all
        .as_array()
        .expect("array")
        .iter()
        .find(|m| m["mirror_topic_name"] == "orders")
        .unwrap_or_else(|| panic!("orders not listed: {all}"))
        .clone();
    assert_eq!(row["link_name"], "l1");
    assert_eq!(row["source_topic_name"], "orders");
    assert_eq!(row["num_partition"], 2);
    let stopped = json(&strs(&at(
        &dest,
        &[
            "kafka",
            "mirror",
            "list",
            "--link",
            "l1",
            "--mirror-status",
            "stopped",
        ],
    )));
    assert_eq!(stopped.as_array().map(Vec::len), Some(0), "{stopped}");
    let table = ok(&strs(&at(
        &dest,
        &["kafka", "mirror", "list", "--link", "l1"],
    )));
    assert!(table.contains("Max Per Partition Mirror Lag"), "{table}");

    // Caught up: ACTIVE, no lag, every record fetched.
    let rows = wait_for_mirror(&dest, "l1", "orders", "ACTIVE with no lag", |r| {
        r["mirror_status"] == "ACTIVE" && r["partition_mirror_lag"] == 0
    });
    let rows = rows.as_array().expect("array");
    assert_eq!(
        rows.iter()
            .map(|r| r["partition"].clone())
            .collect::<Vec<_>>(),
        vec![serde_json::json!(0), serde_json::json!(1)]
    );
    assert!(rows.iter().all(|r| r["link_name"] == "l1"
        && r["mirror_topic_name"] == "orders"
        && r["source_topic_name"] == "orders"
        && r["last_source_fetch_offset"].is_i64()
        && r["status_time_ms"].is_i64()));
    let described = json(&strs(&at(&dest, &["kafka", "link", "describe", "l1"])));
    assert_eq!(described["mirror_partition_states_count"], "ACTIVE: 2");
    let with_topics = json(&strs(&at(
        &dest,
        &["kafka", "link", "list", "--include-topics"],
    )));
    assert_eq!(with_topics[0]["topic_name"], "orders", "{with_topics}");
    let table = ok(&strs(&at(
        &dest,
        &["kafka", "mirror", "describe", "orders", "--link", "l1"],
    )));
    assert!(table.contains("Last Source Fetch Offset"), "{table}");

    let consumed = ok(&[
        "kafka",
        "topic",
        "consume",
        "orders",
        "--bootstrap",
        &dest.bootstrap,
        "--from-beginning",
        "--max-messages",
        "20",
    ]);
    let mut got: Vec<&str> = consumed.lines().collect();
    got.sort_unstable();
    let mut want: Vec<&str> = records.lines().collect();
    want.sort_unstable();
    assert_eq!(got, want);

    // Pause and resume.
    let out = ok(&strs(&at(
        &dest,
        &["kafka", "mirror", "pause", "orders", "--link", "l1"],
    )));
    assert!(
        out.contains("Mirror Topic Name") && out.contains("orders"),
        "{out}"
    );
    wait_for_mirror(&dest, "l1", "orders", "PAUSED", |r| {
        r["mirror_status"] == "PAUSED"
    });
    let resumed = json(&strs(&at(
        &dest,
        &["kafka", "mirror", "resume", "orders", "--link", "l1"],
    )));
    assert!(
        resumed.as_array().is_some_and(|a| a
            .iter()
            .all(|r| r["mirror_topic_name"] == "orders" && r["error_code"] == "")),
        "{resumed}"
    );
    wait_for_mirror(&dest, "l1", "orders", "ACTIVE again", |r| {
        r["mirror_status"] == "ACTIVE"
    });

    // A dry run changes nothing; an unknown topic fails the command.
    ok(&strs(&at(
        &dest,
        &[
            "kafka",
            "mirror",
            "pause",
            "orders",
            "--link",
            "l1",
            "--dry-run",
        ],
    )));
    let after = json(&strs(&at(
        &dest,
        &["kafka", "mirror", "describe", "orders", "--link", "l1"],
    )));
    assert!(
        after
            .as_array()
            .is_some_and(|a| a.iter().all(|r| r["mirror_status"] == "ACTIVE")),
        "{after}"
    );
    let (out, err) = fails(&strs(&at(
        &dest,
        &[
            "kafka",
            "mirror",
            "pause",
            "orders",
            "no-such-mirror",
            "--link",
            "l1",
        ],
    )));
    assert!(err.contains("no-such-mirror"), "{out}{err}");

    // Failover: STOPPED and writable.
    ok(&strs(&at(
        &dest,
        &["kafka", "mirror", "failover", "orders", "--link", "l1"],
    )));
    wait_for_mirror(&dest, "l1", "orders", "STOPPED", |r| {
        r["mirror_status"] == "STOPPED"
    });
    ok_in(
        &[
            "kafka",
            "topic",
            "produce",
            "orders",
            "--bootstrap",
            &dest.bootstrap,
        ],
        Some("after-failover\n"),
    );

    let out = ok(&strs(&at(
        &dest,
        &["kafka", "link", "delete", "l1", "--force"],
    )));
    assert_eq!(out.trim(), "Deleted cluster link \"l1\".");
}

#[test]
fn basic_auth_towards_the_rest_api() {
    // A SASL listener makes the REST API ask for the same credentials.
    let server = RestServer::start_with(
        &["SASL_PLAINTEXT"],
        &[
            "listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"alice-secret\";",
        ],
    );
    let (_, err) = fails(&strs(&at(&server, &["kafka", "link", "list"])));
    assert!(err.contains("HTTP 401"), "{err}");
    let (_, err) = fails(&strs(&at(
        &server,
        &[
            "kafka",
            "link",
            "list",
            "--api-key",
            "alice",
            "--api-secret",
            "wrong",
        ],
    )));
    assert!(err.contains("HTTP 401"), "{err}");
    let links = json(&strs(&at(
        &server,
        &[
            "kafka",
            "link",
            "list",
            "--api-key",
            "alice",
            "--api-secret",
            "alice-secret",
        ],
    )));
    assert_eq!(links.as_array().map(Vec::len), Some(0), "{links}");

    // The same from the environment, with the URL from $FERRY_REST_URL.
    let out = Command::new(FERRY)
        .args(["kafka", "link", "list", "-o", "json"])
        .env_remove("CONFLUENT_REST_URL")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env("FERRY_REST_URL", server.url())
        .env("FERRY_API_KEY", "alice")
        .env("FERRY_API_SECRET", "alice-secret")
        .stdin(Stdio::null())
        .output()
        .expect("run ferry");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
}

#[test]
fn https_with_a_private_ca() {
    let certs = tempfile::tempdir().expect("tempdir");
    let dir = certs.path().to_str().expect("utf-8 path");
    ok(&["tls", "create-certs", "--dir", dir]);
    let keystore = format!("rest.ssl.keystore.location={dir}/server-keystore.pem");
    let ca = format!("{dir}/ca.pem");
    let server = RestServer::start_with(
        &[],
        &[
            "rest.listeners=https://127.0.0.1:0",
            "rest.ssl.keystore.type=PEM",
            &keystore,
        ],
    );
    let url = format!("https://{}/kafka", server.rest);
    let links = json(&[
        "kafka",
        "link",
        "list",
        "--url",
        &url,
        "--certificate-authority-path",
        &ca,
    ]);
    assert_eq!(links.as_array().map(Vec::len), Some(0), "{links}");
    // Not trusted without the CA; accepted when verification is skipped.
    let (_, err) = fails(&["kafka", "link", "list", "--url", &url]);
    assert!(err.contains("cannot reach the REST API"), "{err}");
    ok(&[
        "kafka",
        "link",
        "list",
        "--url",
        &url,
        "--insecure-skip-tls-verify",
    ]);
}
