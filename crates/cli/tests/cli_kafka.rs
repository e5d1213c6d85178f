//! `ferry kafka …` end to end: a real `ferry server` on 127.0.0.1, the CLI run
//! as separate processes, their output checked.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const FERRY: &str = env!("CARGO_BIN_EXE_ferry");
/// Guard against a hung command; not an assertion on speed.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// A `ferry server` started by a test, killed (by its PID) on drop.
struct Server {
    child: Child,
    /// The PLAINTEXT listener (or the first one printed).
    bootstrap: String,
    /// Every listener printed: (name, host:port).
    listeners: Vec<(String, String)>,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Self {
        Self::start_with(
            tempfile::tempdir().unwrap(),
            &["listeners=PLAINTEXT://127.0.0.1:0"],
        )
    }

    /// Starts a server on `dir` with `--override` settings.
    fn start_with(dir: tempfile::TempDir, overrides: &[&str]) -> Self {
        let mut cmd = Command::new(FERRY);
        cmd.arg("server")
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--override", "schema.registry.listeners="]);
        for o in overrides {
            cmd.args(["--override", o]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut listeners = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("ferry server: listener ")
                && let Some((name, addr)) = rest.split_once(" on ")
            {
                listeners.push((name.to_owned(), addr.trim().to_owned()));
            }
            if line.starts_with("ferry server: ready") {
                break;
            }
        }
        // Keep draining so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let bootstrap = listeners
            .iter()
            .find(|(n, _)| n == "PLAINTEXT")
            .or(listeners.first())
            .map(|(_, a)| a.clone())
            .expect("server printed no listener line");
        Self {
            child,
            bootstrap,
            listeners,
            dir,
        }
    }

    fn listener(&self, name: &str) -> String {
        self.listeners
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| panic!("no {name} listener in {:?}", self.listeners))
    }

    /// Runs `ferry <args>` against this server, feeding `stdin`.
    fn ferry(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(FERRY)
            .args(args)
            .env("FERRY_BOOTSTRAP", &self.bootstrap)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input.as_bytes()).unwrap();
        }
        let started = Instant::now();
        loop {
            if child.try_wait().unwrap().is_some() {
                return child.wait_with_output().unwrap();
            }
            if started.elapsed() > HANG_GUARD {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
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
    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.ferry(args, stdin);
        assert!(
            out.status.success(),
            "ferry {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command that must fail; returns its stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.ferry(args, None);
        assert!(
            !out.status.success(),
            "ferry {args:?} should have failed; stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let text = self.ok(&all, None);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }
}

fn lines(n: usize, prefix: &str) -> String {
    (0..n).map(|i| format!("{prefix}-{i}\n")).collect()
}

#[test]
fn topic_create_list_describe_delete() {
    let s = Server::start();
    let out = s.ok(
        &[
            "kafka",
            "topic",
            "create",
            "orders",
            "--partitions",
            "3",
            "--config",
            "retention.ms=123456,cleanup.policy=delete",
        ],
        None,
    );
    assert_eq!(out.trim(), "Created topic \"orders\".");
    let err = s.fails(&["kafka", "topic", "create", "orders", "--partitions", "3"]);
    assert!(err.contains("topic 'orders' already exists"), "{err}");

    let table = s.ok(&["kafka", "topic", "list"], None);
    let row = table
        .lines()
        .find(|l| l.split('|').next().map(str::trim) == Some("orders"))
        .unwrap_or_else(|| panic!("no orders row in:\n{table}"));
    assert_eq!(row.split('|').nth(3).map(str::trim), Some("3"), "{row}");

    let list = s.json(&["kafka", "topic", "list"]);
    let orders = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "orders")
        .unwrap();
    assert_eq!(orders["partition_count"], 3);

    let d = s.json(&["kafka", "topic", "describe", "orders"]);
    assert_eq!(d["name"], "orders");
    assert_eq!(d["partitions"].as_array().unwrap().len(), 3);
    assert!(d["topic_id"].as_str().unwrap().len() == 36);
    let retention = d["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "retention.ms")
        .expect("retention.ms in configs");
    assert_eq!(retention["value"], "123456");
    assert_eq!(retention["source"], "DYNAMIC_TOPIC_CONFIG");
    assert_eq!(retention["is_default"], false);
    let human = s.ok(&["kafka", "topic", "describe", "orders"], None);
    assert!(
        human.contains("Latest Offset") && human.contains("retention.ms"),
        "{human}"
    );

    let yaml = s.ok(
        &["kafka", "topic", "describe", "orders", "-o", "yaml"],
        None,
    );
    assert!(yaml.contains("name: orders"), "{yaml}");

    let out = s.ok(&["kafka", "topic", "delete", "orders"], None);
    assert_eq!(out.trim(), "Deleted topic \"orders\".");
    let list = s.json(&["kafka", "topic", "list"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|t| t["name"] != "orders")
    );
    let err = s.fails(&["kafka", "topic", "describe", "orders"]);
    assert!(err.contains("topic 'orders' does not exist"), "{err}");
    let err = s.fails(&["kafka", "topic", "delete", "orders"]);
    assert!(err.contains("topic 'orders' does not exist"), "{err}");
}

#[test]
fn produced_lines_come_back_from_the_beginning() {
    let s = Server::start();
    // One partition: order is preserved exactly.
    s.ok(
        &["kafka", "topic", "create", "one", "--partitions", "1"],
        None,
    );
    let input = lines(200, "v");
    s.ok(
        &["kafka", "topic", "produce", "one", "--compression", "lz4"],
        Some(&input),
    );
    let out = s.ok(
        &[
            "kafka",
            "topic",
            "consume",
            "one",
            "--from-beginning",
            "--max-messages",
            "200",
        ],
        None,
    );
    assert_eq!(out, input);

    // Three partitions, keyed: every line back once, keys printed.
    s.ok(
        &["kafka", "topic", "create", "three", "--partitions", "3"],
        None,
    );
    let keyed: String = (0..60).map(|i| format!("key{}:val{i}\n", i % 7)).collect();
    s.ok(
        &["kafka", "topic", "produce", "three", "--parse-key"],
        Some(&keyed),
    );
    let out = s.ok(
        &[
            "kafka",
            "topic",
            "consume",
            "three",
            "--from-beginning",
            "--print-key",
            "--key-separator",
            ":",
            "--timeout-ms",
            "2000",
        ],
        None,
    );
    let mut got: Vec<&str> = out.lines().collect();
    let mut want: Vec<&str> = keyed.lines().collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);

    // The same key always lands in the same partition.
    let d = s.json(&["kafka", "topic", "describe", "three"]);
    let total: i64 = d["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["latest_offset"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 60);
}

#[test]
fn group_consume_commits_offsets_and_lag_drops_to_zero() {
    let s = Server::start();
    s.ok(
        &["kafka", "topic", "create", "events", "--partitions", "2"],
        None,
    );
    let input = lines(30, "e");
    s.ok(&["kafka", "topic", "produce", "events"], Some(&input));

    // Take 10, then the rest: nothing lost or repeated across the commit.
    let first = s.ok(
        &[
            "kafka",
            "topic",
            "consume",
            "events",
            "--group",
            "g1",
            "--from-beginning",
            "--max-messages",
            "10",
        ],
        None,
    );
    assert_eq!(first.lines().count(), 10);
    let rest = s.ok(
        &[
            "kafka",
            "topic",
            "consume",
            "events",
            "--group",
            "g1",
            "--from-beginning",
            "--timeout-ms",
            "3000",
        ],
        None,
    );
    let mut all: Vec<&str> = first.lines().chain(rest.lines()).collect();
    all.sort_unstable();
    let mut want: Vec<&str> = input.lines().collect();
    want.sort_unstable();
    assert_eq!(all, want);

    let groups = s.json(&["kafka", "consumer", "group", "list"]);
    assert!(
        groups
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["group_id"] == "g1"),
        "{groups}"
    );
    let d = s.json(&["kafka", "consumer", "group", "describe", "g1"]);
    // The consumers left the group on exit (LeaveGroup), so it is empty now.
    assert_eq!(d["state"], "Empty", "{d}");
    assert_eq!(d["members"].as_array().unwrap().len(), 0, "{d}");
    let parts = d["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{d}");
    let mut committed = 0;
    for p in parts {
        assert_eq!(p["topic"], "events");
        assert_eq!(p["lag"], 0, "{p}");
        assert_eq!(p["current_offset"], p["log_end_offset"], "{p}");
        committed += p["current_offset"].as_i64().unwrap();
    }
    assert_eq!(committed, 30);
    let human = s.ok(&["kafka", "consumer", "group", "describe", "g1"], None);
    assert!(
        human.contains("Log End Offset") && human.contains("events"),
        "{human}"
    );

    // Nothing new: a third run with the group prints nothing.
    let none = s.ok(
        &[
            "kafka",
            "topic",
            "consume",
            "events",
            "--group",
            "g1",
            "--timeout-ms",
            "1500",
        ],
        None,
    );
    assert_eq!(none, "");
    let err = s.fails(&["kafka", "consumer", "group", "describe", "no-such-group"]);
    assert!(err.contains("no-such-group"), "{err}");
}

#[test]
fn unreachable_broker_is_reported_plainly() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = Command::new(FERRY)
        .args([
            "kafka",
            "topic",
            "list",
            "--bootstrap",
            &format!("127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "cannot reach 127.0.0.1:{port}: connection refused"
        )),
        "{err}"
    );
}

/// The link engine's path: batches fetched raw are the batches produced, byte
/// for byte after the offset and leader-epoch fields the broker assigns.
#[test]
fn client_fetch_raw_returns_produced_batches_verbatim() {
    use ferry_client::admin::{NewTopic, OffsetSpec};
    use ferry_client::produce::encode_batch;
    use ferry_client::{Acks, Client, ClientConfig, IsolationLevel, ProduceRecord};
    use kafka_protocol::records::Compression;

    let s = Server::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = Client::connect(ClientConfig::new(&s.bootstrap))
            .await
            .unwrap();
        client.create_topic(&NewTopic::new("raw", 1)).await.unwrap();
        let mut sent = Vec::new();
        for (i, codec) in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ]
        .into_iter()
        .enumerate()
        {
            let records: Vec<ProduceRecord> = (0..5)
                .map(|j| ProduceRecord {
                    key: Some(format!("k{j}").into_bytes().into()),
                    value: Some(format!("batch {i} record {j}").into_bytes().into()),
                    ..ProduceRecord::default()
                })
                .collect();
            let batch = encode_batch(&records, codec).unwrap();
            let ack = client
                .produce_raw("raw", 0, batch.clone(), Acks::All)
                .await
                .unwrap();
            assert_eq!(ack.base_offset, 5 * i as i64);
            sent.push(batch);
        }
        let fetched = client
            .fetch_raw("raw", 0, 0, 1 << 20, IsolationLevel::ReadUncommitted)
            .await
            .unwrap();
        assert_eq!(fetched.high_watermark, 25);
        let got: Vec<bytes::Bytes> = ferry_protocol::BatchIter::new(fetched.records.clone())
            .map(|b| b.unwrap().1)
            .collect();
        assert_eq!(got.len(), sent.len());
        for (i, (g, s)) in got.iter().zip(&sent).enumerate() {
            assert_eq!(g.len(), s.len(), "batch {i} length");
            assert_eq!(&g[8..12], &s[8..12], "batch {i} batchLength");
            assert_eq!(&g[16..], &s[16..], "batch {i} bytes after the leader epoch");
            let h = ferry_protocol::batch::validate(g).unwrap();
            assert_eq!(h.base_offset, 5 * i as i64);
        }
        let decoded = ferry_client::records::decode_records(
            "raw",
            0,
            &fetched,
            7,
            IsolationLevel::ReadUncommitted,
        )
        .unwrap();
        assert_eq!(decoded.len(), 18);
        assert_eq!(decoded[0].offset, 7);
        assert_eq!(decoded[0].value.as_deref(), Some(&b"batch 1 record 2"[..]));

        // Many requests in flight on one connection at once.
        let mut calls = tokio::task::JoinSet::new();
        for i in 0..40 {
            let c = client.clone();
            calls.spawn(async move {
                c.fetch_raw("raw", 0, i % 25, 1 << 16, IsolationLevel::ReadUncommitted)
                    .await
                    .map(|f| f.high_watermark)
            });
        }
        let mut answered = 0;
        while let Some(r) = calls.join_next().await {
            assert_eq!(r.unwrap().unwrap(), 25);
            answered += 1;
        }
        assert_eq!(answered, 40);

        let ends = client
            .list_offsets(
                &[("raw".into(), 0)],
                OffsetSpec::Latest,
                IsolationLevel::ReadUncommitted,
            )
            .await
            .unwrap();
        assert_eq!(ends[&("raw".to_owned(), 0)].offset, 25);
        client.create_partitions("raw", 3).await.unwrap();
        assert_eq!(
            client.refresh_topic("raw").await.unwrap().partitions.len(),
            3
        );
    });
}

/// SASL PLAIN and SCRAM with an API key, over plain TCP and over TLS; a wrong
/// secret is refused with an authentication error.
#[test]
fn sasl_and_tls_with_api_keys() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let certs = dir.path().join("certs");
    let out = Command::new(FERRY)
        .args(["api-key", "create", "-o", "json", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (api_key, secret) = (
        key["api_key"].as_str().unwrap().to_owned(),
        key["api_secret"].as_str().unwrap().to_owned(),
    );
    let out = Command::new(FERRY)
        .args(["tls", "create-certs", "--dir"])
        .arg(&certs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keystore = format!(
        "ssl.keystore.location={}",
        certs.join("server-keystore.pem").display()
    );
    let ca = certs.join("ca.pem").display().to_string();
    let s = Server::start_with(
        dir,
        &[
            "listeners=SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0",
            "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
            &keystore,
        ],
    );
    let plain = s.listener("SASL_PLAINTEXT");
    let tls = s.listener("SASL_SSL");
    for mechanism in ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] {
        let topic = format!("t-{mechanism}");
        let out = s.ok(
            &[
                "kafka",
                "topic",
                "create",
                &topic,
                "--partitions",
                "1",
                "--bootstrap",
                &plain,
                "--api-key",
                &api_key,
                "--api-secret",
                &secret,
                "--sasl-mechanism",
                mechanism,
            ],
            None,
        );
        assert!(out.contains("Created topic"), "{out}");
    }
    s.ok(
        &[
            "kafka",
            "topic",
            "produce",
            "t-PLAIN",
            "--bootstrap",
            &tls,
            "--api-key",
            &api_key,
            "--api-secret",
            &secret,
            "--ca-cert",
            &ca,
            "--sasl-mechanism",
            "SCRAM-SHA-512",
        ],
        Some("over tls\n"),
    );
    // The same over a Kafka client properties file.
    let props = s.dir.path().join("client.properties");
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={tls}\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-256\n\
             sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
             username=\"{api_key}\" password=\"{secret}\";\nssl.ca.location={ca}\n"
        ),
    )
    .unwrap();
    let props = props.display().to_string();
    let out = s.ok(
        &[
            "kafka",
            "topic",
            "consume",
            "t-PLAIN",
            "--from-beginning",
            "--max-messages",
            "1",
            "--command-config",
            &props,
        ],
        None,
    );
    assert_eq!(out, "over tls\n");
    let list = s.ok(
        &["kafka", "topic", "list", "--command-config", &props],
        None,
    );
    assert!(list.contains("t-SCRAM-SHA-256"), "{list}");

    for mechanism in ["PLAIN", "SCRAM-SHA-256"] {
        let err = s.fails(&[
            "kafka",
            "topic",
            "list",
            "--bootstrap",
            &plain,
            "--api-key",
            &api_key,
            "--api-secret",
            "wrong",
            "--sasl-mechanism",
            mechanism,
        ]);
        assert!(err.contains("authentication failed"), "{mechanism}: {err}");
    }
    let err = s.fails(&["kafka", "topic", "list", "--bootstrap", &plain]);
    assert!(
        err.contains("does this listener require SASL or TLS"),
        "{err}"
    );
    let err = s.fails(&[
        "kafka",
        "topic",
        "list",
        "--bootstrap",
        &tls,
        "--security-protocol",
        "SASL_SSL",
        "--api-key",
        &api_key,
        "--api-secret",
        &secret,
    ]);
    assert!(err.contains("--ca-cert"), "{err}");
}

/// Two members of one group share the partitions; between them nothing is lost.
#[test]
fn two_group_members_split_the_partitions() {
    let s = Server::start();
    s.ok(
        &["kafka", "topic", "create", "shared", "--partitions", "4"],
        None,
    );
    let input = lines(80, "s");
    s.ok(&["kafka", "topic", "produce", "shared"], Some(&input));
    let spawn = || {
        Command::new(FERRY)
            .args([
                "kafka",
                "topic",
                "consume",
                "shared",
                "--group",
                "pair",
                "--from-beginning",
                "--timeout-ms",
                "6000",
            ])
            .env("FERRY_BOOTSTRAP", &s.bootstrap)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn();
    let b = spawn();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for out in [&a, &b] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut got: Vec<String> = [&a, &b]
        .iter()
        .flat_map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    got.sort_unstable();
    got.dedup();
    let mut want: Vec<String> = input.lines().map(str::to_owned).collect();
    want.sort_unstable();
    assert_eq!(got, want);
    let d = s.json(&["kafka", "consumer", "group", "describe", "pair"]);
    let committed: i64 = d["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["current_offset"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(committed, 80, "{d}");
}
