//! `ferry environment …`: profiles stored in `$FERRY_HOME/config.json`, and
//! later commands (`ferry kafka link`, `ferry schema-registry`) that take
//! their endpoints from the active one when given no endpoint flags.
//!
//! Every test sets `FERRY_HOME` to its own temporary directory and clears
//! the variables that would pick endpoints behind its back.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::FerryServer;

/// A `ferry` runner with its own `FERRY_HOME`.
struct Home {
    dir: tempfile::TempDir,
}

/// One CLI run.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("ferry-home-")
                .tempdir()
                .unwrap(),
        }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.json")
    }

    /// Runs `ferry args…` with `env` set, bounded by 60 s.
    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
        cmd.args(args)
            .env("FERRY_HOME", self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in [
            "FERRY_ENVIRONMENT",
            "FERRY_REST_URL",
            "CONFLUENT_REST_URL",
            "FERRY_SCHEMA_REGISTRY_URL",
            "FERRY_SCHEMA_REGISTRY_API_KEY",
            "FERRY_SCHEMA_REGISTRY_API_SECRET",
            "FERRY_API_KEY",
            "FERRY_API_SECRET",
            "FERRY_BOOTSTRAP",
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn ferry");
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().expect("wait").is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().expect("collect output");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, Some(0), "ferry {} failed: {r:?}", args.join(" "));
        r.stdout
    }

    fn fails(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(
            r.code,
            Some(1),
            "ferry {} should fail: {r:?}",
            args.join(" ")
        );
        r.stderr
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend_from_slice(&["-o", "json"]);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON: {out:?}: {e}"))
    }
}

#[test]
fn create_list_use_describe_delete() {
    let home = Home::new();
    // Nothing yet: an empty list, no file needed.
    assert_eq!(home.json(&["environment", "list"]), serde_json::json!([]));
    let created = home.ok(&[
        "environment",
        "create",
        "src",
        "--rest-url",
        "http://127.0.0.1:1/kafka",
        "--schema-registry-endpoint",
        "http://127.0.0.1:2",
        "--bootstrap",
        "127.0.0.1:3",
        "--api-key",
        "KEY",
        "--api-secret",
        "TOPSECRET",
    ]);
    assert!(
        created.contains("Created environment \"src\"."),
        "{created}"
    );
    assert!(
        !created.contains("TOPSECRET"),
        "a secret was printed: {created}"
    );
    home.ok(&[
        "environment",
        "create",
        "dest",
        "--schema-registry-endpoint",
        "http://127.0.0.1:4",
    ]);

    // The file holds secrets: mode 0600, in the documented shape.
    let mode = std::fs::metadata(home.config())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.config()).unwrap()).unwrap();
    assert_eq!(file["environments"]["src"]["api_secret"], "TOPSECRET");
    assert_eq!(
        file["environments"]["src"]["rest_url"],
        "http://127.0.0.1:1/kafka"
    );
    assert_eq!(
        file["environments"]["dest"]["schema_registry_endpoint"],
        "http://127.0.0.1:4"
    );
    assert!(file.get("current_environment").is_none(), "{file}");

    // Creating twice is refused; update changes only what is given.
    let e = home.fails(&["environment", "create", "src"]);
    assert!(e.contains("already exists"), "{e}");
    home.ok(&[
        "environment",
        "update",
        "dest",
        "--bootstrap",
        "127.0.0.1:5",
    ]);
    let d = home.json(&["environment", "describe", "dest"]);
    assert_eq!(d["bootstrap"], "127.0.0.1:5");
    assert_eq!(d["schema_registry_endpoint"], "http://127.0.0.1:4");

    // No active environment yet: describe without a name says so.
    let e = home.fails(&["environment", "describe"]);
    assert!(e.contains("no active environment"), "{e}");

    let used = home.ok(&["environment", "use", "src"]);
    assert!(used.contains("Now using \"src\""), "{used}");
    let list = home.ok(&["environment", "list"]);
    let src_row = list
        .lines()
        .find(|l| l.contains(" src "))
        .unwrap_or_default();
    let dest_row = list
        .lines()
        .find(|l| l.contains(" dest "))
        .unwrap_or_default();
    assert!(src_row.trim_start().starts_with('*'), "{list}");
    assert!(!dest_row.contains('*'), "{list}");
    let rows = home.json(&["environment", "list"]);
    assert_eq!(rows[0]["name"], "dest");
    assert_eq!(rows[0]["is_current"], false);
    assert_eq!(rows[1]["is_current"], true);

    // describe defaults to the active one and hides secrets.
    let d = home.ok(&["environment", "describe"]);
    assert!(d.contains("http://127.0.0.1:1/kafka"), "{d}");
    assert!(d.contains("[hidden]") && !d.contains("TOPSECRET"), "{d}");
    let d = home.json(&["environment", "describe"]);
    assert_eq!(
        (d["name"].as_str(), d["api_key"].as_str()),
        (Some("src"), Some("KEY"))
    );
    assert_eq!(d["api_secret"], "[hidden]");

    // $FERRY_ENVIRONMENT overrides `use` for one shell.
    let r = home.run_env(
        &["environment", "describe", "-o", "json"],
        &[("FERRY_ENVIRONMENT", "dest")],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("\"dest\""), "{r:?}");
    let r = home.run_env(
        &["environment", "describe"],
        &[("FERRY_ENVIRONMENT", "nope")],
    );
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stderr
            .contains("\"nope\" (from FERRY_ENVIRONMENT) does not exist"),
        "{r:?}"
    );

    // Unknown names are clear errors.
    let e = home.fails(&["environment", "use", "nope"]);
    assert!(e.contains("environment \"nope\" does not exist"), "{e}");

    // Deleting the active one leaves no active one.
    home.ok(&["environment", "delete", "src"]);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.config()).unwrap()).unwrap();
    assert!(file.get("current_environment").is_none(), "{file}");
    assert!(file["environments"].get("src").is_none(), "{file}");
    let e = home.fails(&["environment", "delete", "src"]);
    assert!(e.contains("does not exist"), "{e}");
}

#[test]
fn flags_are_checked_and_a_corrupt_file_is_a_clear_error() {
    let home = Home::new();
    let e = home.fails(&["environment", "create", "x", "--rest-url", "localhost:8090"]);
    assert!(e.contains("--rest-url"), "{e}");
    let e = home.fails(&["environment", "create", "x", "--bootstrap", "nohost"]);
    assert!(e.contains("HOST:PORT"), "{e}");
    let e = home.fails(&["environment", "create", "x", "--api-key", "k"]);
    assert!(
        e.contains("--api-key and --api-secret must be supplied together"),
        "{e}"
    );
    let e = home.fails(&[
        "environment",
        "create",
        "x",
        "--ca-location",
        "/does/not/exist.pem",
    ]);
    assert!(e.contains("--ca-location"), "{e}");
    assert!(!home.config().exists(), "a refused create wrote the file");

    std::fs::write(home.config(), "{\"environments\": [").unwrap();
    for args in [
        &["environment", "list"][..],
        &["environment", "create", "y"][..],
        &["schema-registry", "subject", "list"][..],
        &["kafka", "link", "list"][..],
    ] {
        let e = home.fails(args);
        assert!(
            e.contains("is not a valid ferry configuration"),
            "ferry {}: {e}",
            args.join(" ")
        );
    }
    // A flag naming the endpoint needs no environment, so the broken file
    // does not stand in the way (the connection fails instead).
    let r = home.run(&[
        "schema-registry",
        "subject",
        "list",
        "--schema-registry-endpoint",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(!r.stderr.contains("valid ferry configuration"), "{r:?}");
}

#[test]
fn without_flags_or_environment_the_error_says_what_to_do() {
    let home = Home::new();
    let e = home.fails(&["schema-registry", "subject", "list"]);
    assert!(e.contains("--schema-registry-endpoint"), "{e}");
    assert!(e.contains("ferry environment"), "{e}");
    let e = home.fails(&["kafka", "link", "list"]);
    assert!(
        e.contains("no REST URL") && e.contains("--url") && e.contains("ferry environment"),
        "{e}"
    );
    // An active environment without that endpoint says so.
    home.ok(&[
        "environment",
        "create",
        "only-sr",
        "--schema-registry-endpoint",
        "http://127.0.0.1:9",
    ]);
    home.ok(&["environment", "use", "only-sr"]);
    let e = home.fails(&["kafka", "link", "list"]);
    assert!(e.contains("environment \"only-sr\" has no REST URL"), "{e}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server with the REST API and the schema registry.
fn server_with_rest_and_registry() -> (FerryServer, String) {
    let port = free_port();
    let registry = format!("schema.registry.listeners=http://127.0.0.1:{port}");
    let server = FerryServer::start(&["rest.listeners=http://127.0.0.1:0", &registry]);
    (server, format!("http://127.0.0.1:{port}"))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// The seed's flow: `environment use`, then commands with no endpoint flags.
#[test]
fn later_commands_take_their_endpoints_from_the_active_environment() {
    let (server, registry) = server_with_rest_and_registry();
    let home = Home::new();
    let rest = format!("{}/kafka", server.rest_url());
    home.ok(&[
        "environment",
        "create",
        "local",
        "--rest-url",
        &rest,
        "--schema-registry-endpoint",
        &registry,
        "--bootstrap",
        &server.bootstrap(),
    ]);
    // A second environment pointing nowhere, to show which one is used.
    home.ok(&[
        "environment",
        "create",
        "elsewhere",
        "--rest-url",
        "http://127.0.0.1:9/kafka",
        "--schema-registry-endpoint",
        "http://127.0.0.1:9",
    ]);
    home.ok(&["environment", "use", "local"]);

    assert_eq!(home.json(&["kafka", "link", "list"]), serde_json::json!([]));
    // `ferry kafka topic` takes the environment's bootstrap.
    home.ok(&["kafka", "topic", "create", "env-topic", "--partitions", "2"]);
    let topics = home.ok(&["kafka", "topic", "list"]);
    assert!(topics.contains("env-topic"), "{topics}");
    let schema = write(
        home.dir.path(),
        "s.avsc",
        r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#,
    );
    let id = home.json(&[
        "schema-registry",
        "schema",
        "create",
        "--subject",
        "orders-value",
        "--schema",
        &schema,
    ])["id"]
        .as_i64()
        .expect("an id");
    assert!(id > 0);
    let subjects = home.json(&["schema-registry", "subject", "list"]);
    assert_eq!(subjects, serde_json::json!([{"subject": "orders-value"}]));

    // --environment picks another one for one command; a flag beats both.
    let r = home.run(&[
        "schema-registry",
        "subject",
        "list",
        "--environment",
        "elsewhere",
    ]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("127.0.0.1:9"), "{r:?}");
    home.ok(&["environment", "use", "elsewhere"]);
    let listed = home.json(&[
        "schema-registry",
        "subject",
        "list",
        "--schema-registry-endpoint",
        &registry,
    ]);
    assert_eq!(listed, serde_json::json!([{"subject": "orders-value"}]));
    let links = home.json(&["kafka", "link", "list", "--url", &rest]);
    assert_eq!(links, serde_json::json!([]));
    // FERRY_ENVIRONMENT selects for the shell.
    let r = home.run_env(
        &["schema-registry", "subject", "list", "-o", "json"],
        &[("FERRY_ENVIRONMENT", "local")],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("orders-value"), "{r:?}");
}

/// An environment's API key authenticates towards its own REST API and
/// registry, and is never sent to a URL given on the command line.
#[test]
fn credentials_come_from_the_environment_for_its_own_endpoints_only() {
    let port = free_port();
    let registry = format!("http://127.0.0.1:{port}");
    let registry_override = format!("schema.registry.listeners={registry}");
    // A SASL listener makes the REST API and the registry ask for the same
    // credentials.
    let server = FerryServer::start_with_listeners(
        &["SASL_PLAINTEXT"],
        &[
            "rest.listeners=http://127.0.0.1:0",
            &registry_override,
            "listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"alice-secret\";",
        ],
    );
    let rest = format!("{}/kafka", server.rest_url());
    let home = Home::new();
    home.ok(&[
        "environment",
        "create",
        "secure",
        "--rest-url",
        &rest,
        "--schema-registry-endpoint",
        &registry,
        "--api-key",
        "alice",
        "--api-secret",
        "alice-secret",
    ]);
    home.ok(&["environment", "use", "secure"]);
    assert_eq!(home.json(&["kafka", "link", "list"]), serde_json::json!([]));
    assert_eq!(
        home.json(&["schema-registry", "subject", "list"]),
        serde_json::json!([])
    );

    // The same URLs as flags: the environment's key is not sent.
    let r = home.run(&["kafka", "link", "list", "--url", &rest]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("HTTP 401"), "{r:?}");
    let r = home.run(&[
        "schema-registry",
        "subject",
        "list",
        "--schema-registry-endpoint",
        &registry,
    ]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("HTTP 401"), "{r:?}");
    // Flags' credentials beat the environment's.
    let r = home.run(&[
        "schema-registry",
        "subject",
        "list",
        "--api-key",
        "alice",
        "--api-secret",
        "wrong",
    ]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("HTTP 401"), "{r:?}");
    // A registry-specific key is used for the registry instead.
    home.ok(&[
        "environment",
        "update",
        "secure",
        "--schema-registry-api-key",
        "alice",
        "--schema-registry-api-secret",
        "wrong",
    ]);
    let r = home.run(&["schema-registry", "subject", "list"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("HTTP 401"), "{r:?}");
    assert_eq!(home.json(&["kafka", "link", "list"]), serde_json::json!([]));
}
