//! `ferry schema-registry subject|schema|exporter …` against real `ferry
//! server` processes serving the registry.
//!
//! Every run gets `FERRY_HOME` in a temporary directory and the endpoint
//! as a flag, so nothing on the machine changes what is tested.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::FerryServer;
use serde_json::{Value, json};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server with the schema registry on a free port.
struct Registry {
    server: FerryServer,
    url: String,
    home: tempfile::TempDir,
}

/// One CLI run.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Registry {
    fn start() -> Self {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let server = FerryServer::start(&[&format!("schema.registry.listeners={url}")]);
        Self {
            server,
            url,
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn dir(&self) -> &Path {
        self.home.path()
    }

    /// `ferry schema-registry <args…> --schema-registry-endpoint <url>`.
    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
        cmd.arg("schema-registry")
            .args(args)
            .args(["--schema-registry-endpoint", &self.url])
            .env("FERRY_HOME", self.home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in [
            "FERRY_ENVIRONMENT",
            "FERRY_SCHEMA_REGISTRY_API_KEY",
            "FERRY_SCHEMA_REGISTRY_API_SECRET",
            "http_proxy",
            "HTTP_PROXY",
            "all_proxy",
            "ALL_PROXY",
        ] {
            cmd.env_remove(var);
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

    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(
            r.code,
            Some(0),
            "ferry schema-registry {} failed: {r:?}\n--- server stderr ---\n{}",
            args.join(" "),
            self.server.stderr_tail(3000)
        );
        r.stdout
    }

    /// Runs a command that must fail; returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(
            r.code,
            Some(1),
            "ferry schema-registry {} should fail: {r:?}",
            args.join(" ")
        );
        r.stderr
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend_from_slice(&["-o", "json"]);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON: {out:?}: {e}"))
    }

    fn file(&self, name: &str, text: &str) -> String {
        let p = self.dir().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    }

    /// Registers `schema` (Avro) under `subject`; returns the id.
    fn register(&self, subject: &str, schema: &str) -> i64 {
        let file = self.file("schema.avsc", schema);
        self.json(&["schema", "create", "--subject", subject, "--schema", &file])["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no id registering {subject}"))
    }
}

const ORDER_V1: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#;
const ORDER_V2: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"note","type":"string","default":""}]}"#;

#[test]
fn subjects_and_schemas() {
    let r = Registry::start();
    assert_eq!(r.json(&["subject", "list"]), json!([]));

    // create: human output, then the same schema again gives the same id.
    let file = r.file("v1.avsc", ORDER_V1);
    let out = r.ok(&[
        "schema",
        "create",
        "--subject",
        "orders-value",
        "--schema",
        &file,
    ]);
    let id = out
        .trim()
        .strip_prefix("Successfully registered schema with ID \"")
        .and_then(|s| s.strip_suffix("\"."))
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| panic!("unexpected create output {out:?}"));
    assert_eq!(
        r.json(&[
            "schema",
            "create",
            "--subject",
            "orders-value",
            "--schema",
            &file,
            "--type",
            "avro"
        ]),
        json!({"id": id})
    );
    let id2 = r.register("orders-value", ORDER_V2);
    assert_ne!(id, id2);
    r.register("payments-value", r#""string""#);
    r.register(":.ctx:orders-value", ORDER_V1);

    // subject list / describe.
    let all = r.json(&["subject", "list"]);
    for s in ["orders-value", "payments-value", ":.ctx:orders-value"] {
        assert!(
            all.as_array().unwrap().contains(&json!({"subject": s})),
            "{s} missing from {all}"
        );
    }
    assert_eq!(
        r.json(&["subject", "list", "--prefix", "orders"]),
        json!([{"subject": "orders-value"}])
    );
    assert_eq!(
        r.json(&["subject", "list", "--prefix", ":.ctx:"]),
        json!([{"subject": ":.ctx:orders-value"}])
    );
    let human = r.ok(&["subject", "list"]);
    assert!(human.starts_with(" Subject"), "{human}");
    assert_eq!(
        r.json(&["subject", "describe", "orders-value"]),
        json!([1, 2])
    );
    let human = r.ok(&["subject", "describe", "orders-value"]);
    assert!(human.contains("Version") && human.contains(" 2"), "{human}");

    // schema describe by id and by subject/version.
    let by_id = r.json(&["schema", "describe", &id.to_string()]);
    assert_eq!(by_id["schema_id"], json!(id));
    assert_eq!(by_id["type"], "AVRO");
    let text: Value = serde_json::from_str(by_id["schema"].as_str().unwrap()).unwrap();
    assert_eq!(text["name"], "Order");
    let human = r.ok(&["schema", "describe", &id2.to_string()]);
    assert!(
        human.starts_with(&format!("Schema ID: {id2}\nType: AVRO\nSchema: {{")),
        "{human}"
    );
    let latest = r.json(&[
        "schema",
        "describe",
        "--subject",
        "orders-value",
        "--version",
        "latest",
    ]);
    assert_eq!(
        (latest["schema_id"].as_i64(), latest["version"].as_i64()),
        (Some(id2), Some(2))
    );
    let v1 = r.json(&[
        "schema",
        "describe",
        "--subject",
        "orders-value",
        "--version",
        "1",
    ]);
    assert_eq!(v1["schema_id"].as_i64(), Some(id));

    // Soft-deleted subjects appear with --deleted only.
    let (status, _) = common::http(
        "DELETE",
        &format!("{}/subjects/payments-value", r.url),
        None,
    )
    .expect("DELETE subject");
    assert_eq!(status, 200);
    let live = r.json(&["subject", "list"]);
    assert!(
        !live
            .as_array()
            .unwrap()
            .contains(&json!({"subject": "payments-value"})),
        "{live}"
    );
    let with_deleted = r.json(&["subject", "list", "--deleted"]);
    assert!(
        with_deleted
            .as_array()
            .unwrap()
            .contains(&json!({"subject": "payments-value"})),
        "{with_deleted}"
    );
    assert_eq!(
        r.json(&["subject", "describe", "payments-value", "--deleted"]),
        json!([1])
    );
}

#[test]
fn references_are_sent_and_shown() {
    let r = Registry::start();
    let base_id = r.register(
        "address",
        r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#,
    );
    let schema = r.file(
        "customer.avsc",
        r#"{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"address","type":"shop.Address"}]}"#,
    );
    let refs = r.file(
        "refs.json",
        r#"[{"name":"shop.Address","subject":"address","version":1}]"#,
    );
    let id = r.json(&[
        "schema",
        "create",
        "--subject",
        "customer",
        "--schema",
        &schema,
        "--references",
        &refs,
    ])["id"]
        .as_i64()
        .unwrap();
    let shown = r.json(&["schema", "describe", &id.to_string(), "--show-references"]);
    assert_eq!(
        shown["references"],
        json!([{"name": "shop.Address", "subject": "address", "version": 1}])
    );
    let referenced = &shown["referenced_schemas"];
    assert_eq!(referenced.as_array().map(Vec::len), Some(1), "{shown}");
    assert_eq!(referenced[0]["schema_id"].as_i64(), Some(base_id));
    assert_eq!(referenced[0]["subject"], "address");
    let human = r.ok(&["schema", "describe", &id.to_string(), "--show-references"]);
    assert!(
        human.contains("References:\n\tshop.Address -> address 1"),
        "{human}"
    );
    assert!(
        human.contains("Referenced schema (subject address, version 1):"),
        "{human}"
    );

    // Without --show-references only the names are listed.
    let plain = r.json(&["schema", "describe", &id.to_string()]);
    assert!(plain.get("referenced_schemas").is_none(), "{plain}");

    let bad = r.file("bad-refs.json", r#"{"name":"x"}"#);
    let e = r.fails(&[
        "schema",
        "create",
        "--subject",
        "c2",
        "--schema",
        &schema,
        "--references",
        &bad,
    ]);
    assert!(e.contains("JSON array"), "{e}");
}

#[test]
fn registry_errors_show_confluents_code_and_message() {
    let r = Registry::start();
    let bad = r.file(
        "bad.avsc",
        r#"{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}"#,
    );
    let e = r.fails(&["schema", "create", "--subject", "x", "--schema", &bad]);
    assert!(e.contains("HTTP 422, error code 42201"), "{e}");
    let e = r.fails(&["subject", "describe", "missing"]);
    assert!(e.contains("HTTP 404, error code 40401"), "{e}");
    let e = r.fails(&["schema", "describe", "987654"]);
    assert!(e.contains("error code 40403"), "{e}");
    let e = r.fails(&[
        "schema",
        "describe",
        "--subject",
        "missing",
        "--version",
        "1",
    ]);
    assert!(e.contains("error code 40401"), "{e}");
    r.register("x", ORDER_V1);
    let e = r.fails(&["schema", "describe", "--subject", "x", "--version", "9"]);
    assert!(e.contains("error code 40402"), "{e}");
    // An incompatible change (BACKWARD by default): a new field without default.
    let incompatible = r.file(
        "v3.avsc",
        r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"must","type":"string"}]}"#,
    );
    let e = r.fails(&[
        "schema",
        "create",
        "--subject",
        "x",
        "--schema",
        &incompatible,
    ]);
    assert!(e.contains("HTTP 409"), "{e}");

    // Flag mistakes are caught before any request.
    let e = r.fails(&["schema", "describe"]);
    assert!(
        e.contains("give a schema ID, or --subject and --version"),
        "{e}"
    );
    let e = r.fails(&["schema", "describe", "1", "--version", "1"]);
    assert!(e.contains("not both"), "{e}");
    let e = r.fails(&[
        "schema",
        "create",
        "--subject",
        "x",
        "--schema",
        "/does/not/exist",
    ]);
    assert!(e.contains("cannot read --schema"), "{e}");

    // Nothing listening: a transport error, not a hang.
    let gone = format!("http://127.0.0.1:{}", free_port());
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "schema-registry",
            "subject",
            "list",
            "--schema-registry-endpoint",
            &gone,
        ])
        .env("FERRY_HOME", r.dir())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&gone),
        "{out:?}"
    );
}

/// Waits (bounded) until `ok` holds for the exporter's status.
fn wait_status(r: &Registry, name: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = r.json(&["exporter", "status", "describe", name]);
        if ok(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "exporter {name} not {what} in 30 s: {status}\n--- server stderr ---\n{}",
            r.server.stderr_tail(4000)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The seed's command between two servers, then every exporter command.
#[test]
fn exporter_commands_between_two_registries() {
    let source = Registry::start();
    let dest = Registry::start();
    let id = source.register("orders-value", ORDER_V1);
    let ctx_id = source.register(":.team:payments-value", r#""string""#);

    // config.txt as the seed's Terraform writes it.
    let config = source.file(
        "config.txt",
        &format!(
            "schema.registry.url={}\nbasic.auth.credentials.source=USER_INFO\nbasic.auth.user.info=KEY:SECRET\n",
            dest.url
        ),
    );
    let out = source.ok(&[
        "exporter",
        "create",
        "cross-cloud-exporter",
        "--subjects",
        ":*:",
        "--config",
        &config,
        "--context-type",
        "none",
    ]);
    assert_eq!(out, "Created schema exporter \"cross-cloud-exporter\".\n");
    assert_eq!(
        source.json(&["exporter", "list"]),
        json!(["cross-cloud-exporter"])
    );
    let human = source.ok(&["exporter", "list"]);
    assert!(human.contains("cross-cloud-exporter"), "{human}");

    let described = source.json(&["exporter", "describe", "cross-cloud-exporter"]);
    assert_eq!(described["name"], "cross-cloud-exporter");
    assert_eq!(described["subjects"], ":*:");
    assert_eq!(described["subject_format"], "${subject}");
    assert_eq!(described["context_type"], "NONE");
    assert_eq!(described["context"], ".");
    assert_eq!(described["config"]["schema.registry.url"], json!(dest.url));
    assert_ne!(
        described["config"]["basic.auth.user.info"], "KEY:SECRET",
        "{described}"
    );
    let human = source.ok(&["exporter", "describe", "cross-cloud-exporter"]);
    for field in [
        "Name",
        "Subjects",
        "Subject Format",
        "Context Type",
        "Context",
        "Config",
    ] {
        assert!(
            human.contains(&format!("| {field} ")),
            "{field} missing: {human}"
        );
    }
    let config_shown = source.json(&[
        "exporter",
        "configuration",
        "describe",
        "cross-cloud-exporter",
    ]);
    assert_eq!(config_shown["schema.registry.url"], json!(dest.url));

    // It runs and copies both contexts with the same ids.
    let status = wait_status(&source, "cross-cloud-exporter", "RUNNING", |s| {
        s["state"] == "RUNNING"
    });
    assert_eq!(status["name"], "cross-cloud-exporter");
    assert!(
        status.get("offset").is_some() && status.get("timestamp").is_some(),
        "{status}"
    );
    assert_eq!(status["error_trace"], "");
    let human = source.ok(&["exporter", "status", "describe", "cross-cloud-exporter"]);
    for field in ["Name", "State", "Offset", "Timestamp", "Error Trace"] {
        assert!(
            human.contains(&format!("| {field} ")),
            "{field} missing: {human}"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let subjects = dest.json(&["subject", "list"]);
        let list = subjects.as_array().unwrap();
        if list.contains(&json!({"subject": "orders-value"}))
            && list.contains(&json!({"subject": ":.team:payments-value"}))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not exported in 30 s: {subjects}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        dest.json(&[
            "schema",
            "describe",
            "--subject",
            "orders-value",
            "--version",
            "1"
        ])["schema_id"]
            .as_i64(),
        Some(id)
    );
    assert_eq!(
        dest.json(&[
            "schema",
            "describe",
            "--subject",
            ":.team:payments-value",
            "--version",
            "1"
        ])["schema_id"]
            .as_i64(),
        Some(ctx_id)
    );

    // Updating or deleting a running exporter is refused by the registry.
    let e = source.fails(&[
        "exporter",
        "update",
        "cross-cloud-exporter",
        "--subjects",
        "orders-value",
    ]);
    assert!(e.contains("40963"), "{e}");

    assert_eq!(
        source.ok(&["exporter", "pause", "cross-cloud-exporter"]),
        "Paused schema exporter \"cross-cloud-exporter\".\n"
    );
    wait_status(&source, "cross-cloud-exporter", "PAUSED", |s| {
        s["state"] == "PAUSED"
    });
    let out = source.ok(&[
        "exporter",
        "update",
        "cross-cloud-exporter",
        "--subjects",
        "orders-value,payments-value",
        "--context-type",
        "custom",
        "--context-name",
        "site1",
    ]);
    assert_eq!(out, "Updated schema exporter \"cross-cloud-exporter\".\n");
    let described = source.json(&["exporter", "describe", "cross-cloud-exporter"]);
    assert_eq!(described["subjects"], "orders-value, payments-value");
    assert_eq!(
        (
            described["context_type"].as_str(),
            described["context"].as_str()
        ),
        (Some("CUSTOM"), Some("site1"))
    );
    // The config survives an update that does not name it.
    assert_eq!(described["config"]["schema.registry.url"], json!(dest.url));

    assert_eq!(
        source.ok(&["exporter", "reset", "cross-cloud-exporter"]),
        "Reset schema exporter \"cross-cloud-exporter\".\n"
    );
    assert_eq!(
        source.ok(&["exporter", "resume", "cross-cloud-exporter"]),
        "Resumed schema exporter \"cross-cloud-exporter\".\n"
    );
    wait_status(&source, "cross-cloud-exporter", "RUNNING", |s| {
        s["state"] == "RUNNING"
    });
    let e = source.fails(&["exporter", "resume", "cross-cloud-exporter"]);
    assert!(e.contains("40961"), "{e}");

    // delete: needs --force without a terminal; the registry wants it paused.
    let e = source.fails(&["exporter", "delete", "cross-cloud-exporter"]);
    assert!(e.contains("--force"), "{e}");
    source.ok(&["exporter", "pause", "cross-cloud-exporter"]);
    let out = source.ok(&["exporter", "delete", "cross-cloud-exporter", "--force"]);
    assert_eq!(out, "Deleted schema exporter \"cross-cloud-exporter\".\n");
    assert_eq!(source.json(&["exporter", "list"]), json!([]));
    let e = source.fails(&["exporter", "describe", "cross-cloud-exporter"]);
    assert!(e.contains("HTTP 404, error code 40450"), "{e}");
}

#[test]
fn exporter_flags_are_checked_before_any_request() {
    let r = Registry::start();
    let e = r.fails(&[
        "exporter",
        "create",
        "e",
        "--context-name",
        "x",
        "--config",
        "schema.registry.url=http://d",
    ]);
    assert!(
        e.contains("--context-name may only be given with --context-type custom"),
        "{e}"
    );
    let e = r.fails(&[
        "exporter",
        "create",
        "e",
        "--context-type",
        "custom",
        "--config",
        "a=b",
    ]);
    assert!(e.contains("--context-name is required"), "{e}");
    let e = r.fails(&["exporter", "create", "e", "--config", "/does/not/exist.txt"]);
    assert!(e.contains("/does/not/exist.txt"), "{e}");
    let e = r.fails(&["exporter", "update", "e"]);
    assert!(e.contains("nothing to update"), "{e}");
}
