//! Schema exporters between two real registries (each on its own broker
//! and data directory), through the REST API only.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{Sr, start, tempdir};
use ferry_registry::exporter::auto_context;
use serde_json::{Value, json};

const USER_V1: &str = r#"{"type":"record","name":"User","namespace":"ex","fields":[{"name":"name","type":"string"}]}"#;
const USER_V2: &str = r#"{"type":"record","name":"User","namespace":"ex","fields":[{"name":"name","type":"string"},{"name":"age","type":"int","default":0}]}"#;
const USER_V3: &str = r#"{"type":"record","name":"User","namespace":"ex","fields":[{"name":"name","type":"string"},{"name":"age","type":"int","default":0},{"name":"email","type":["null","string"],"default":null}]}"#;
const ORDER: &str =
    r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"}]}"#;
const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"ex","fields":[{"name":"city","type":"string"}]}"#;
const CUSTOMER: &str = r#"{"type":"record","name":"Customer","namespace":"ex","fields":[{"name":"home","type":"ex.Address"}]}"#;

/// JAAS line of a broker whose registry requires `alice:secret`.
const SASL: [&str; 3] = [
    "listeners=SASL_PLAINTEXT://127.0.0.1:0",
    "listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"secret\";",
    "sasl.enabled.mechanisms=PLAIN",
];

/// Polls `check` until it returns `Some` (generous limit: this waits for
/// background work, it does not time it).
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

fn auto_ctx(sr: &Sr) -> String {
    let broker = sr.broker.as_ref().unwrap_or_else(|| panic!("no broker"));
    auto_context(broker.cluster_id())
}

/// Every (subject, version) → (id, schema, deleted) in every context.
async fn listing(sr: &Sr) -> BTreeMap<(String, i64), (i64, String, bool)> {
    let subjects = sr
        .get("/subjects?subjectPrefix=:*:&deleted=true")
        .await
        .ok();
    let mut out = BTreeMap::new();
    for s in subjects.as_array().cloned().unwrap_or_default() {
        let s = s.as_str().unwrap_or_default().to_owned();
        let versions = sr
            .get(&format!("/subjects/{s}/versions?deleted=true"))
            .await
            .ok();
        let live = sr.get(&format!("/subjects/{s}/versions")).await;
        let live: Vec<Value> = if live.status.is_success() {
            live.json().as_array().cloned().unwrap_or_default()
        } else {
            Vec::new()
        };
        for v in versions.as_array().cloned().unwrap_or_default() {
            let body = sr
                .get(&format!("/subjects/{s}/versions/{v}?deleted=true"))
                .await
                .ok();
            out.insert(
                (s.clone(), v.as_i64().unwrap_or_default()),
                (
                    body["id"].as_i64().unwrap_or_default(),
                    body["schema"].as_str().unwrap_or_default().to_owned(),
                    !live.contains(&v),
                ),
            );
        }
    }
    out
}

/// The source listing renamed as the exporter names things.
fn renamed(
    source: &BTreeMap<(String, i64), (i64, String, bool)>,
    rename: impl Fn(&str) -> String,
) -> BTreeMap<(String, i64), (i64, String, bool)> {
    source
        .iter()
        .map(|((s, v), value)| ((rename(s), *v), value.clone()))
        .collect()
}

/// `:.ctx:name` → `:<auto><ctx>:name`, `name` → `:<auto>:name`.
fn auto_name(auto: &str, subject: &str) -> String {
    match subject.strip_prefix(":.") {
        Some(rest) => format!(":{auto}.{rest}"),
        None => format!(":{auto}:{subject}"),
    }
}

async fn status(sr: &Sr, name: &str) -> Value {
    sr.get(&format!("/exporters/{name}/status")).await.ok()
}

/// Waits until the exporter is RUNNING at the source log's end.
async fn caught_up(src: &Sr, name: &str) -> Value {
    let end = {
        let broker = src.broker.as_ref().unwrap_or_else(|| panic!("no broker"));
        broker
            .topic("_schemas")
            .and_then(|t| t.partition(0))
            .map_or(0, |p| p.high_watermark())
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = status(src, name).await;
        if s["state"] == "RUNNING" && s["offset"].as_i64() >= Some(end) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting for {name} to reach offset {end}: {s}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn create(src: &Sr, body: Value) -> Value {
    src.post("/exporters", body).await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_context_exporter_copies_every_context_and_follows() {
    let (sdir, ddir) = (tempdir(), tempdir());
    let src = start(sdir.path(), &[]).await;
    let dst = start(ddir.path(), &[]).await;
    let auto = auto_ctx(&src);
    assert_eq!(src.register_ok("users-value", USER_V1).await, 1);
    assert_eq!(src.register_ok("users-value", USER_V2).await, 2);
    assert_eq!(src.register_ok(":.shop:orders-value", ORDER).await, 1);
    src.register_ok("address", ADDRESS).await;
    let customer = src
        .post(
            "/subjects/customers-value/versions",
            json!({"schema": CUSTOMER, "references": [{"name":"ex.Address","subject":"address","version":1}]}),
        )
        .await
        .ok();
    assert_eq!(customer["id"], 4);

    let created = create(
        &src,
        json!({"name": "to-dst", "subjects": [":*:"], "config": {"schema.registry.url": dst.url}}),
    )
    .await;
    assert_eq!(created, json!({"name": "to-dst"}));
    caught_up(&src, "to-dst").await;

    let expected = renamed(&listing(&src).await, |s| auto_name(&auto, s));
    assert_eq!(listing(&dst).await, expected);
    assert!(expected.contains_key(&(format!(":{auto}.shop:orders-value"), 1)));
    assert_eq!(
        dst.get(&format!("/mode/:{auto}:")).await.ok(),
        json!({"mode": "IMPORT"})
    );
    assert_eq!(
        dst.get(&format!("/mode/:{auto}.shop:")).await.ok(),
        json!({"mode": "IMPORT"})
    );
    // The reference points at the exported subject.
    let exported = dst
        .get(&format!("/subjects/:{auto}:customers-value/versions/1"))
        .await
        .ok();
    assert_eq!(
        exported["references"],
        json!([{"name":"ex.Address","subject":format!(":{auto}:address"),"version":1}])
    );
    // Unqualified lookup of an id only the AUTO context holds.
    assert_eq!(dst.get("/schemas/ids/2").await.ok()["schema"], USER_V2);

    // A new registration arrives.
    let registered = Instant::now();
    assert_eq!(src.register_ok("users-value", USER_V3).await, 5);
    let subject = format!(":{auto}:users-value");
    eventually("version 3 at the destination", || async {
        let r = dst.get(&format!("/subjects/{subject}/versions/3")).await;
        (r.status.is_success() && r.json()["id"] == 5).then_some(())
    })
    .await;
    println!(
        "new registration reached the destination after {:?}",
        registered.elapsed()
    );

    // Soft delete, then permanent delete.
    src.delete("/subjects/users-value/versions/1").await.ok();
    eventually("soft delete at the destination", || async {
        let r = dst.get(&format!("/subjects/{subject}/versions")).await;
        (r.json() == json!([2, 3])).then_some(())
    })
    .await;
    assert_eq!(
        dst.get(&format!("/subjects/{subject}/versions?deleted=true"))
            .await
            .ok(),
        json!([1, 2, 3])
    );
    src.delete("/subjects/users-value/versions/1?permanent=true")
        .await
        .ok();
    eventually("permanent delete at the destination", || async {
        let r = dst
            .get(&format!("/subjects/{subject}/versions?deleted=true"))
            .await;
        (r.json() == json!([2, 3])).then_some(())
    })
    .await;
    caught_up(&src, "to-dst").await;
    let expected = renamed(&listing(&src).await, |s| auto_name(&auto, s));
    assert_eq!(listing(&dst).await, expected);
    src.stop().await;
    dst.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn none_custom_and_default_context_types() {
    let (sdir, ddir) = (tempdir(), tempdir());
    let src = start(sdir.path(), &[]).await;
    let dst = start(ddir.path(), &[]).await;
    src.register_ok("users-value", USER_V1).await;
    src.register_ok("users-value", USER_V2).await;
    // `.shop` ids 1 and 2 are other schemas than the default context's.
    src.register_ok(":.shop:a", ADDRESS).await;
    src.register_ok(":.shop:b", USER_V3).await;
    assert_eq!(src.register_ok(":.shop:orders-value", ORDER).await, 3);
    let config = json!({"schema.registry.url": dst.url});
    create(
        &src,
        json!({"name": "exact", "subjects": [":*:"], "contextType": "NONE", "config": config}),
    )
    .await;
    create(
        &src,
        json!({"name": "site", "subjects": ["users-value"], "contextType": "CUSTOM",
               "context": "site1", "subjectRenameFormat": "dc_${subject}", "config": config}),
    )
    .await;
    create(
        &src,
        json!({"name": "flat", "subjects": [":.shop:orders-value"], "contextType": "DEFAULT",
               "subjectRenameFormat": "shop_${subject}", "config": config}),
    )
    .await;
    // Into the default context, `.shop`'s id 1 clashes with another schema.
    create(
        &src,
        json!({"name": "clash", "subjects": [":.shop:a"], "contextType": "DEFAULT",
               "config": config}),
    )
    .await;
    for name in ["exact", "site", "flat"] {
        caught_up(&src, name).await;
    }
    let source = listing(&src).await;
    let mut expected = source.clone();
    for ((s, v), value) in &source {
        if s == "users-value" {
            expected.insert((format!(":.site1:dc_{s}"), *v), value.clone());
        }
        if let Some(name @ "orders-value") = s.strip_prefix(":.shop:") {
            expected.insert((format!("shop_{name}"), *v), value.clone());
        }
    }
    assert_eq!(listing(&dst).await, expected);
    // The exact copy keeps ids in the default context: plain lookups work.
    assert_eq!(dst.get("/schemas/ids/2").await.ok()["schema"], USER_V2);
    // Default-context subjects are put in IMPORT mode one by one.
    assert_eq!(
        dst.get("/mode/users-value").await.ok(),
        json!({"mode": "IMPORT"})
    );
    assert_eq!(dst.get("/mode").await.ok(), json!({"mode": "READWRITE"}));
    let clash = eventually("the clash in ERROR", || async {
        let s = status(&src, "clash").await;
        (s["state"] == "ERROR").then_some(s)
    })
    .await;
    assert!(
        clash["trace"].as_str().is_some_and(|t| t.contains("42207")),
        "{clash}"
    );
    src.stop().await;
    dst.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_semantics_and_error_codes() {
    let (sdir, ddir) = (tempdir(), tempdir());
    let src = start(sdir.path(), &[]).await;
    let dst = start(ddir.path(), &[]).await;
    src.register_ok("users-value", USER_V1).await;
    let url = dst.url.clone();
    let config = json!({"schema.registry.url": url, "basic.auth.credentials.source": "USER_INFO",
                        "basic.auth.user.info": "key:secret"});

    assert_eq!(src.get("/exporters").await.ok(), json!([]));
    src.post("/exporters", json!({"config": config}))
        .await
        .error(409, 40950);
    src.post("/exporters", json!({"name": "a b", "config": config}))
        .await
        .error(409, 40950);
    src.post("/exporters", json!({"name": "e"}))
        .await
        .error(409, 40951);
    src.post(
        "/exporters",
        json!({"name": "e", "config": {"basic.auth.user.info": "k:s"}}),
    )
    .await
    .error(409, 40951);
    src.post(
        "/exporters",
        json!({"name": "e", "config": config, "contextType": "CUSTOM"}),
    )
    .await
    .error(409, 40951);
    src.post(
        "/exporters",
        json!({"name": "e", "config": config, "subjects": ["a*b"]}),
    )
    .await
    .error(409, 40952);

    create(&src, json!({"name": "e", "config": config})).await;
    src.post("/exporters", json!({"name": "e", "config": config}))
        .await
        .error(409, 40960);
    assert_eq!(src.get("/exporters").await.ok(), json!(["e"]));
    let described = src.get("/exporters/e").await.ok();
    assert_eq!(
        described,
        json!({"name": "e", "subjects": ["*"], "subjectRenameFormat": "${subject}",
               "contextType": "AUTO", "context": ".",
               "config": {"schema.registry.url": url, "basic.auth.credentials.source": "USER_INFO",
                          "basic.auth.user.info": "[hidden]"}})
    );
    assert_eq!(
        src.get("/exporters/e/config").await.ok()["basic.auth.user.info"],
        "[hidden]"
    );
    src.get("/exporters/nope").await.error(404, 40450);
    src.get("/exporters/nope/status").await.error(404, 40450);
    src.get("/exporters/nope/config").await.error(404, 40450);
    src.put("/exporters/nope/pause", json!({}))
        .await
        .error(404, 40450);

    // Running: changes, reset and delete need a pause; resume is refused.
    caught_up(&src, "e").await;
    src.put("/exporters/e", json!({"subjects": [":*:"]}))
        .await
        .error(409, 40963);
    src.put("/exporters/e/config", json!({"x": "y"}))
        .await
        .error(409, 40963);
    src.put("/exporters/e/reset", json!({}))
        .await
        .error(409, 40963);
    src.delete("/exporters/e").await.error(409, 40963);
    src.put("/exporters/e/resume", json!({}))
        .await
        .error(409, 40961);

    // Paused.
    assert_eq!(
        src.put("/exporters/e/pause", json!({})).await.ok(),
        json!({"name": "e"})
    );
    let paused = status(&src, "e").await;
    assert_eq!(paused["state"], "PAUSED");
    assert!(paused["offset"].as_i64() > Some(0), "{paused}");
    // Nothing is exported while paused.
    src.register_ok("paused-value", ORDER).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    dst.get(&format!(
        "/subjects/:{}:paused-value/versions",
        auto_ctx(&src)
    ))
    .await
    .error(404, 40401);
    assert_eq!(status(&src, "e").await["offset"], paused["offset"]);

    src.put(
        "/exporters/e",
        json!({"subjects": [":*:"], "subjects_ignored": 1}),
    )
    .await
    .ok();
    src.put("/exporters/e", json!({"contextType": "bogus"}))
        .await
        .error(409, 40951);
    src.put(
        "/exporters/e/config",
        json!({"basic.auth.user.info": "[hidden]", "extra.key": "v"}),
    )
    .await
    .ok();
    let config_now = src.get("/exporters/e/config").await.ok();
    assert_eq!(config_now["extra.key"], "v");
    assert_eq!(
        src.get("/exporters/e").await.ok()["subjects"],
        json!([":*:"])
    );
    assert_eq!(
        src.put("/exporters/e/reset", json!({})).await.ok(),
        json!({"name": "e"})
    );
    assert_eq!(status(&src, "e").await["offset"], 0);
    assert_eq!(status(&src, "e").await["state"], "PAUSED");

    // Resume after reset exports everything again.
    src.put("/exporters/e/resume", json!({})).await.ok();
    let resumed = caught_up(&src, "e").await;
    assert_eq!(resumed["trace"], "");
    assert!(
        dst.get(&format!(
            "/subjects/:{}:paused-value/versions",
            auto_ctx(&src)
        ))
        .await
        .status
        .is_success()
    );

    // An unreachable destination: ERROR with a trace, retried.
    let closed = format!("http://127.0.0.1:{}", free_port());
    create(
        &src,
        json!({"name": "down", "config": {"schema.registry.url": closed}}),
    )
    .await;
    let failing = eventually("ERROR state", || async {
        let s = status(&src, "down").await;
        (s["state"] == "ERROR").then_some(s)
    })
    .await;
    assert!(
        failing["trace"]
            .as_str()
            .is_some_and(|t| t.contains(&closed)),
        "{failing}"
    );

    src.put("/exporters/e/pause", json!({})).await.ok();
    src.put("/exporters/e/pause", json!({})).await.ok();
    assert_eq!(src.delete("/exporters/e").await.status.as_u16(), 204);
    src.get("/exporters/e").await.error(404, 40450);
    assert_eq!(src.get("/exporters").await.ok(), json!(["down"]));
    src.stop().await;
    dst.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_of_either_side_lose_and_duplicate_nothing() {
    let (sdir, ddir) = (tempdir(), tempdir());
    let mut src = start(sdir.path(), &[]).await;
    let dst_listener = format!("schema.registry.listeners=http://127.0.0.1:{}", free_port());
    let mut overrides: Vec<&str> = SASL.to_vec();
    overrides.push(&dst_listener);
    let mut dst = start(ddir.path(), &overrides).await;
    dst.credentials = Some(("alice".to_owned(), "secret".to_owned()));
    let auto = auto_ctx(&src);
    let schema = |i: usize| {
        format!(r#"{{"type":"record","name":"R{i}","fields":[{{"name":"f","type":"int"}}]}}"#)
    };
    src.put("/config", json!({"compatibility": "NONE"}))
        .await
        .ok();
    for i in 0..5 {
        src.register_ok(&format!("s{}-value", i % 3), &schema(i))
            .await;
    }
    create(
        &src,
        json!({"name": "x", "subjects": [":*:"], "config": {
            "schema.registry.url": dst.url,
            "basic.auth.credentials.source": "USER_INFO",
            "basic.auth.user.info": "alice:secret"}}),
    )
    .await;
    caught_up(&src, "x").await;

    // The destination goes away while registrations continue.
    let ddir_path = dst.stop().await;
    for i in 5..10 {
        src.register_ok(&format!("s{}-value", i % 3), &schema(i))
            .await;
    }
    let failing = eventually("ERROR while the destination is down", || async {
        let s = status(&src, "x").await;
        (s["state"] == "ERROR").then_some(s)
    })
    .await;
    assert!(failing["trace"].as_str().is_some_and(|t| !t.is_empty()));
    dst = start(&ddir_path, &overrides).await;
    dst.credentials = Some(("alice".to_owned(), "secret".to_owned()));
    caught_up(&src, "x").await;

    // The source restarts mid-export: registrations just before stopping.
    for i in 10..15 {
        src.register_ok(&format!("s{}-value", i % 3), &schema(i))
            .await;
    }
    src.delete("/subjects/s0-value/versions/1").await.ok();
    src = src.restart().await;
    let after = status(&src, "x").await;
    assert!(after["offset"].as_i64() > Some(0), "{after}");
    for i in 15..20 {
        src.register_ok(&format!(":.ctx:s{}-value", i % 3), &schema(i))
            .await;
    }
    caught_up(&src, "x").await;

    let expected = renamed(&listing(&src).await, |s| auto_name(&auto, s));
    assert_eq!(expected.len(), 20);
    assert_eq!(listing(&dst).await, expected);
    src.stop().await;
    dst.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definitions_states_and_offsets_survive_a_restart() {
    let (sdir, ddir) = (tempdir(), tempdir());
    let src = start(sdir.path(), &[]).await;
    let dst = start(ddir.path(), &[]).await;
    src.register_ok("users-value", USER_V1).await;
    let config = json!({"schema.registry.url": dst.url, "basic.auth.user.info": "k:s"});
    create(
        &src,
        json!({"name": "runs", "subjects": [":*:"], "config": config}),
    )
    .await;
    create(
        &src,
        json!({"name": "rests", "contextType": "CUSTOM", "context": ".c", "config": config}),
    )
    .await;
    let running = caught_up(&src, "runs").await;
    caught_up(&src, "rests").await;
    src.put("/exporters/rests/pause", json!({})).await.ok();
    src.register_ok("users-value", USER_V2).await;
    let running_after = caught_up(&src, "runs").await;
    assert!(running_after["offset"].as_i64() > running["offset"].as_i64());
    let described = src.get("/exporters/rests").await.ok();
    let paused = status(&src, "rests").await;

    let src = src.restart().await;
    assert_eq!(src.get("/exporters").await.ok(), json!(["rests", "runs"]));
    assert_eq!(src.get("/exporters/rests").await.ok(), described);
    let paused_after = status(&src, "rests").await;
    assert_eq!(paused_after["state"], "PAUSED");
    assert_eq!(paused_after["offset"], paused["offset"]);
    // The running one resumes where it was (not from 0).
    let resumed = status(&src, "runs").await;
    assert_eq!(resumed["offset"], running_after["offset"]);
    src.register_ok("users-value", USER_V3).await;
    caught_up(&src, "runs").await;
    let auto = auto_ctx(&src);
    assert_eq!(
        dst.get(&format!("/subjects/:{auto}:users-value/versions"))
            .await
            .ok(),
        json!([1, 2, 3])
    );
    src.stop().await;
    dst.stop().await;
}
