//! The registry's REST API against a real broker-backed store.

mod common;

use common::{start, tempdir};
use serde_json::json;

const V1: &str = r#"{"type":"record","name":"User","namespace":"ex","fields":[{"name":"name","type":"string"}]}"#;
/// V1 plus a field with a default: backward compatible.
const V2: &str = r#"{"type":"record","name":"User","namespace":"ex","fields":[{"name":"name","type":"string"},{"name":"age","type":"int","default":0}]}"#;
/// V1 plus a field without a default: not backward compatible.
const V2_BAD: &str = r#"{"type":"record","name":"User","namespace":"ex","fields":[{"name":"name","type":"string"},{"name":"email","type":"string"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_is_idempotent_and_ids_are_shared_across_subjects() {
    let dir = tempdir();
    let sr = start(dir.path(), &[]).await;
    let id = sr.register_ok("users-value", V1).await;
    assert_eq!(id, 1);
    // Same schema, same subject, other whitespace: same id, no new version.
    let spaced = V1.replace(',', " , ");
    assert_eq!(sr.register_ok("users-value", &spaced).await, id);
    assert_eq!(
        sr.get("/subjects/users-value/versions").await.ok(),
        json!([1])
    );
    // Same schema in another subject: same id, version 1 there.
    assert_eq!(sr.register_ok("other-value", V1).await, id);
    let id2 = sr.register_ok("users-value", V2).await;
    assert_eq!(id2, 2);
    assert_eq!(
        sr.get("/subjects/users-value/versions").await.ok(),
        json!([1, 2])
    );
    assert_eq!(
        sr.get("/subjects").await.ok(),
        json!(["other-value", "users-value"])
    );
    assert_eq!(
        sr.get("/subjects?offset=1&limit=1").await.ok(),
        json!(["users-value"])
    );
    assert_eq!(
        sr.get("/subjects?offset=0&limit=-1").await.ok(),
        json!(["other-value", "users-value"])
    );
    assert_eq!(
        sr.get("/subjects?subjectPrefix=users").await.ok(),
        json!(["users-value"])
    );

    let latest = sr.get("/subjects/users-value/versions/latest").await.ok();
    assert_eq!(latest["version"], 2);
    assert_eq!(latest["id"], 2);
    assert_eq!(latest["subject"], "users-value");
    assert!(
        latest.get("schemaType").is_none(),
        "AVRO is implicit: {latest}"
    );
    assert_eq!(
        sr.get("/subjects/users-value/versions/-1").await.ok(),
        latest
    );
    let first = sr.get("/subjects/users-value/versions/1").await.ok();
    assert_eq!(first["schema"], V1);
    let raw = sr.get("/subjects/users-value/versions/1/schema").await.ok();
    assert_eq!(raw["name"], "User");

    let by_id = sr.get("/schemas/ids/1").await.ok();
    assert_eq!(by_id["schema"], V1);
    assert_eq!(sr.get("/schemas/ids/1/schema").await.ok()["name"], "User");
    assert_eq!(
        sr.get("/schemas/ids/1/subjects").await.ok(),
        json!(["other-value", "users-value"])
    );
    assert_eq!(
        sr.get("/schemas/ids/1/versions").await.ok(),
        json!([{"subject":"other-value","version":1},{"subject":"users-value","version":1}])
    );
    assert_eq!(
        sr.get("/schemas/types").await.ok(),
        json!(["JSON", "PROTOBUF", "AVRO"])
    );

    // Lookup.
    let found = sr
        .post("/subjects/users-value", json!({ "schema": V2 }))
        .await
        .ok();
    assert_eq!(
        (found["version"].clone(), found["id"].clone()),
        (json!(2), json!(2))
    );
    sr.post("/subjects/users-value", json!({ "schema": V2_BAD }))
        .await
        .error(404, 40403);
    sr.post("/subjects/nobody", json!({ "schema": V1 }))
        .await
        .error(404, 40401);

    // Errors.
    sr.get("/subjects/nobody/versions").await.error(404, 40401);
    sr.get("/subjects/nobody/versions/1")
        .await
        .error(404, 40401);
    sr.get("/subjects/users-value/versions/9")
        .await
        .error(404, 40402);
    sr.get("/subjects/users-value/versions/abc")
        .await
        .error(422, 42202);
    sr.get("/subjects/users-value/versions/0")
        .await
        .error(422, 42202);
    sr.get("/schemas/ids/99").await.error(404, 40403);
    sr.register("users-value", r#"{"type":"record","name":"X"}"#)
        .await
        .error(422, 42201);
    sr.register("users-value", "not json")
        .await
        .error(422, 42201);
    sr.post(
        "/subjects/users-value/versions",
        json!({"schema": "{}", "schemaType": "XML"}),
    )
    .await
    .error(422, 42201);
    sr.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_without_content_type_are_accepted() {
    let dir = tempdir();
    let sr = start(dir.path(), &[]).await;
    let response = sr
        .client
        .post(format!("{}/subjects/t-value/versions", sr.url))
        .body(json!({ "schema": "\"string\"" }).to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status().as_u16(), 200);
    let response = sr
        .client
        .post(format!("{}/subjects/t-value/versions", sr.url))
        .header("content-type", "application/json")
        .body(json!({ "schema": "\"string\"" }).to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.unwrap_or_default(), r#"{"id":1}"#);
    sr.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compatibility_is_enforced_per_level() {
    let dir = tempdir();
    let sr = start(dir.path(), &[]).await;
    assert_eq!(
        sr.get("/config").await.ok(),
        json!({"compatibilityLevel": "BACKWARD"})
    );
    sr.register_ok("s", V1).await;
    sr.register("s", V2_BAD).await.error(409, 40901);
    let check = sr
        .post(
            "/compatibility/subjects/s/versions/latest?verbose=true",
            json!({ "schema": V2_BAD }),
        )
        .await
        .ok();
    assert_eq!(check["is_compatible"], false);
    assert!(!check["messages"].as_array().is_some_and(Vec::is_empty));
    assert_eq!(
        sr.post(
            "/compatibility/subjects/s/versions",
            json!({ "schema": V2 })
        )
        .await
        .ok(),
        json!({"is_compatible": true})
    );
    sr.post(
        "/compatibility/subjects/s/versions/7",
        json!({ "schema": V2 }),
    )
    .await
    .error(404, 40402);
    sr.post(
        "/compatibility/subjects/none/versions/1",
        json!({ "schema": V2 }),
    )
    .await
    .error(404, 40401);

    // Subject-level config.
    sr.get("/config/s").await.error(404, 40408);
    assert_eq!(
        sr.get("/config/s?defaultToGlobal=true").await.ok(),
        json!({"compatibilityLevel": "BACKWARD"})
    );
    sr.put("/config/s", json!({"compatibility": "BOGUS"}))
        .await
        .error(422, 42203);
    assert_eq!(
        sr.put("/config/s", json!({"compatibility": "NONE"}))
            .await
            .ok(),
        json!({"compatibility": "NONE"})
    );
    assert_eq!(
        sr.get("/config/s").await.ok(),
        json!({"compatibilityLevel": "NONE"})
    );
    assert_eq!(sr.register_ok("s", V2_BAD).await, 2);
    // Back to the global level, which FULL makes stricter.
    assert_eq!(
        sr.delete("/config/s").await.ok(),
        json!({"compatibilityLevel": "NONE"})
    );
    assert_eq!(
        sr.put("/config", json!({"compatibility": "FULL"}))
            .await
            .ok(),
        json!({"compatibility": "FULL"})
    );
    // V1 reads V2_BAD data (extra field ignored) but V2_BAD cannot read V1
    // data (email has no default): not FULL compatible with version 2.
    sr.register("s", V1).await.ok(); // already version 1: idempotent
    let v3 = r#"{"type":"record","name":"User","namespace":"ex","fields":[{"name":"name","type":"string"}]}"#;
    assert_eq!(sr.register_ok("s", v3).await, 1);
    sr.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soft_then_permanent_deletes() {
    let dir = tempdir();
    let sr = start(dir.path(), &[]).await;
    sr.register_ok("d", V1).await;
    sr.register_ok("d", V2).await;
    // Version deletes.
    sr.delete("/subjects/d/versions/1?permanent=true")
        .await
        .error(404, 40407);
    assert_eq!(sr.delete("/subjects/d/versions/1").await.ok(), json!(1));
    sr.delete("/subjects/d/versions/1").await.error(404, 40406);
    assert_eq!(sr.get("/subjects/d/versions").await.ok(), json!([2]));
    assert_eq!(
        sr.get("/subjects/d/versions?deleted=true").await.ok(),
        json!([1, 2])
    );
    sr.get("/subjects/d/versions/1").await.error(404, 40402);
    assert_eq!(
        sr.get("/subjects/d/versions/1?deleted=true").await.ok()["id"],
        1
    );
    // Ids still resolve after a soft delete.
    sr.get("/schemas/ids/1").await.ok();
    assert_eq!(
        sr.delete("/subjects/d/versions/1?permanent=true")
            .await
            .ok(),
        json!(1)
    );
    // Subject deletes.
    sr.delete("/subjects/d?permanent=true")
        .await
        .error(404, 40405);
    assert_eq!(sr.delete("/subjects/d").await.ok(), json!([2]));
    sr.delete("/subjects/d").await.error(404, 40404);
    assert_eq!(sr.get("/subjects").await.ok(), json!([]));
    assert_eq!(sr.get("/subjects?deleted=true").await.ok(), json!(["d"]));
    sr.get("/subjects/d/versions").await.error(404, 40401);
    assert_eq!(
        sr.delete("/subjects/d?permanent=true").await.ok(),
        json!([2])
    );
    sr.delete("/subjects/d").await.error(404, 40401);
    sr.get("/schemas/ids/2").await.error(404, 40403);
    // Ids are never reused, also across a restart.
    let other = r#"{"type":"enum","name":"E","symbols":["A"]}"#;
    assert_eq!(sr.register_ok("e", other).await, 3);
    let sr = sr.restart().await;
    let another = r#"{"type":"fixed","name":"F","size":4}"#;
    assert_eq!(sr.register_ok("f", another).await, 4);
    sr.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modes_gate_writes_and_imports() {
    let dir = tempdir();
    let sr = start(dir.path(), &[]).await;
    assert_eq!(sr.get("/mode").await.ok(), json!({"mode": "READWRITE"}));
    sr.register_ok("m", V1).await;
    // Explicit ids need IMPORT.
    sr.post(
        "/subjects/m2/versions",
        json!({"schema": V1, "id": 100, "version": 1}),
    )
    .await
    .error(422, 42205);
    sr.put("/mode", json!({"mode": "FOO"}))
        .await
        .error(422, 42204);
    sr.put("/mode", json!({"mode": "IMPORT"}))
        .await
        .error(422, 42205);
    assert_eq!(
        sr.put("/mode/m", json!({"mode": "READONLY"})).await.ok(),
        json!({"mode": "READONLY"})
    );
    sr.register("m", V2).await.error(422, 42205);
    sr.delete("/subjects/m").await.error(422, 42205);
    sr.get("/mode/other").await.error(404, 40409);
    assert_eq!(
        sr.get("/mode/other?defaultToGlobal=true").await.ok(),
        json!({"mode": "READWRITE"})
    );
    assert_eq!(sr.delete("/mode/m").await.ok(), json!({"mode": "READONLY"}));
    sr.register_ok("m", V2).await;

    // A context in IMPORT mode takes the exporter's write path.
    assert_eq!(
        sr.put("/mode/:.imp:", json!({"mode": "IMPORT"})).await.ok(),
        json!({"mode": "IMPORT"})
    );
    let id = sr
        .post(
            "/subjects/:.imp:m/versions",
            json!({"schema": V2, "id": 42, "version": 5}),
        )
        .await
        .ok();
    assert_eq!(id, json!({"id": 42}));
    let v = sr.get("/subjects/:.imp:m/versions/5").await.ok();
    assert_eq!(
        (v["id"].clone(), v["subject"].clone()),
        (json!(42), json!(":.imp:m"))
    );
    // Writes without an id are refused in IMPORT mode.
    sr.register(":.imp:n", V1).await.error(422, 42205);
    // Re-sending the same import is idempotent; another schema under the id is not.
    assert_eq!(
        sr.post(
            "/subjects/:.imp:m/versions",
            json!({"schema": V2, "id": 42, "version": 5}),
        )
        .await
        .ok(),
        json!({"id": 42})
    );
    sr.post(
        "/subjects/:.imp:x/versions",
        json!({"schema": V1, "id": 42, "version": 1}),
    )
    .await
    .error(422, 42207);
    // Imported extremes do not overflow the next id or version.
    sr.post(
        "/subjects/:.imp:max/versions",
        json!({"schema": "\"int\"", "id": i32::MAX, "version": i32::MAX}),
    )
    .await
    .ok();
    sr.put("/mode/:.imp:?force=true", json!({"mode": "READWRITE"}))
        .await
        .ok();
    sr.register(":.imp:fresh", "\"long\"")
        .await
        .error(500, 50001);
    sr.register(":.imp:max", "\"int\"").await.ok();
    sr.put("/mode/:.imp:?force=true", json!({"mode": "IMPORT"}))
        .await
        .ok();
    // IMPORT on a non-empty context needs force.
    sr.put("/mode/:.imp:", json!({"mode": "IMPORT"}))
        .await
        .error(422, 42205);
    sr.put("/mode/:.imp:?force=true", json!({"mode": "IMPORT"}))
        .await
        .ok();
    sr.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contexts_have_their_own_ids() {
    let dir = tempdir();
    let sr = start(dir.path(), &[]).await;
    assert_eq!(sr.register_ok("a", V1).await, 1);
    assert_eq!(sr.register_ok("b", V2).await, 2);
    // A new context starts its own ids.
    assert_eq!(sr.register_ok(":.ctx:c", V2_BAD).await, 1);
    assert_eq!(sr.get("/contexts").await.ok(), json!([".", ".ctx"]));
    assert_eq!(
        sr.get("/subjects?subjectPrefix=:.ctx:").await.ok(),
        json!([":.ctx:c"])
    );
    assert_eq!(sr.get("/subjects").await.ok(), json!([":.ctx:c", "a", "b"]));
    // Context-addressed paths.
    assert_eq!(
        sr.get("/contexts/.ctx/subjects/c/versions").await.ok(),
        json!([1])
    );
    assert_eq!(
        sr.get("/contexts/.ctx/subjects").await.ok(),
        json!([":.ctx:c"])
    );
    assert_eq!(
        sr.get("/contexts/.ctx/schemas/ids/1").await.ok()["schema"],
        V2_BAD
    );
    sr.put("/contexts/.ctx/config", json!({"compatibility": "NONE"}))
        .await
        .ok();
    assert_eq!(
        sr.get("/config/:.ctx:").await.ok(),
        json!({"compatibilityLevel": "NONE"})
    );
    // Unqualified id 1 is the default context's.
    assert_eq!(sr.get("/schemas/ids/1").await.ok()["schema"], V1);
    // Qualified by ?subject=.
    let in_ctx = sr.get("/schemas/ids/1?subject=:.ctx:c").await.ok();
    assert_eq!(in_ctx["schema"], V2_BAD);
    assert_eq!(
        sr.get("/schemas/ids/1/subjects?subject=:.ctx:").await.ok(),
        json!([":.ctx:c"])
    );
    // An id only a non-default context holds resolves unqualified.
    sr.put("/mode/:.exp:", json!({"mode": "IMPORT"})).await.ok();
    sr.post(
        "/subjects/:.exp:orders-value/versions",
        json!({"schema": V2_BAD, "id": 77, "version": 1}),
    )
    .await
    .ok();
    assert_eq!(sr.get("/schemas/ids/77").await.ok()["schema"], V2_BAD);
    // When two contexts hold it, the first in sorted order wins (as
    // Confluent's lookup), also for an unqualified `?subject=`; a qualified
    // one picks its own context.
    sr.put("/mode/:.exp2:", json!({"mode": "IMPORT"}))
        .await
        .ok();
    sr.post(
        "/subjects/:.exp2:orders-value/versions",
        json!({"schema": V1, "id": 77, "version": 1}),
    )
    .await
    .ok();
    assert_eq!(sr.get("/schemas/ids/77").await.ok()["schema"], V2_BAD);
    assert_eq!(
        sr.get("/schemas/ids/77?subject=orders-value").await.ok()["schema"],
        V2_BAD
    );
    assert_eq!(
        sr.get("/schemas/ids/77?subject=:.exp2:orders-value")
            .await
            .ok()["schema"],
        V1
    );
    sr.get("/schemas/ids/77?subject=:.none:orders-value")
        .await
        .error(404, 40403);
    sr.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_json_and_protobuf() {
    let dir = tempdir();
    let sr = start(dir.path(), &[]).await;
    let address = r#"{"type":"record","name":"Address","namespace":"ex","fields":[{"name":"city","type":"string"}]}"#;
    sr.register_ok("address", address).await;
    let person = r#"{"type":"record","name":"Person","namespace":"ex","fields":[{"name":"home","type":"ex.Address"}]}"#;
    let reply = sr
        .post(
            "/subjects/person/versions",
            json!({"schema": person, "references": [{"name": "ex.Address", "subject": "address", "version": 1}]}),
        )
        .await
        .ok();
    assert_eq!(reply["id"], 2);
    let v = sr.get("/subjects/person/versions/1").await.ok();
    assert_eq!(
        v["references"],
        json!([{"name": "ex.Address", "subject": "address", "version": 1}])
    );
    assert_eq!(
        sr.get("/subjects/address/versions/1/referencedby")
            .await
            .ok(),
        json!([2])
    );
    // Without the reference the name is unknown.
    sr.register("person2", person).await.error(422, 42201);
    sr.post(
        "/subjects/person3/versions",
        json!({"schema": person, "references": [{"name": "ex.Address", "subject": "address", "version": 9}]}),
    )
    .await
    .error(422, 42201);

    let json_schema = r#"{"type":"object","properties":{"a":{"type":"string"}}}"#;
    let id = sr
        .post(
            "/subjects/j/versions",
            json!({"schema": json_schema, "schemaType": "JSON"}),
        )
        .await
        .ok()["id"]
        .clone();
    let got = sr.get(&format!("/schemas/ids/{id}")).await.ok();
    assert_eq!(got["schemaType"], "JSON");
    sr.post(
        "/subjects/j/versions",
        json!({"schema": "{\"type\": 5}", "schemaType": "JSON"}),
    )
    .await
    .error(422, 42201);
    let proto = "syntax = \"proto3\";\nmessage M { string a = 1; }\n";
    sr.post(
        "/subjects/p/versions",
        json!({"schema": proto, "schemaType": "PROTOBUF"}),
    )
    .await
    .ok();
    sr.post(
        "/subjects/p/versions",
        json!({"schema": "message M { ", "schemaType": "PROTOBUF"}),
    )
    .await
    .error(422, 42201);
    // A type change is incompatible under BACKWARD.
    sr.post(
        "/subjects/p/versions",
        json!({"schema": json_schema, "schemaType": "JSON"}),
    )
    .await
    .error(409, 40901);
    sr.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_rebuilds_identical_state() {
    let dir = tempdir();
    let sr = start(dir.path(), &[]).await;
    sr.register_ok("a", V1).await;
    sr.register_ok("a", V2).await;
    sr.register_ok(":.ctx:b", V1).await;
    sr.delete("/subjects/a/versions/1").await.ok();
    sr.put("/config/a", json!({"compatibility": "FULL"}))
        .await
        .ok();
    sr.put("/mode/:.ctx:b", json!({"mode": "READONLY"}))
        .await
        .ok();
    let paths = [
        "/subjects?deleted=true",
        "/subjects/a/versions?deleted=true",
        "/subjects/a/versions/1?deleted=true",
        "/subjects/a/versions/2",
        "/subjects/:.ctx:b/versions/1",
        "/schemas/ids/1",
        "/schemas/ids/2",
        "/config/a",
        "/mode/:.ctx:b",
        "/contexts",
    ];
    let mut before = Vec::new();
    for p in paths {
        before.push(sr.get(p).await.ok());
    }
    let sr = sr.restart().await;
    for (p, expected) in paths.iter().zip(&before) {
        assert_eq!(&sr.get(p).await.ok(), expected, "{p}");
    }
    // The next id continues.
    let next = r#"{"type":"enum","name":"E","symbols":["A"]}"#;
    assert_eq!(sr.register_ok("c", next).await, 3);
    // The store is the _schemas topic, compacted, one partition.
    let broker = sr.broker.clone().unwrap_or_else(|| panic!("broker"));
    let topic = broker
        .topic("_schemas")
        .unwrap_or_else(|| panic!("no _schemas topic"));
    assert_eq!(topic.partition_count(), 1);
    assert_eq!(
        topic.overrides().get("cleanup.policy").map(String::as_str),
        Some("compact")
    );
    drop(broker);
    sr.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_when_the_broker_requires_sasl() {
    let dir = tempdir();
    let mut sr = start(
        dir.path(),
        &[
            "listeners=SASL_PLAINTEXT://127.0.0.1:0",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"secret\";",
            "sasl.enabled.mechanisms=PLAIN",
        ],
    )
    .await;
    let reply = sr.get("/subjects").await;
    reply.error(401, 401);
    sr.credentials = Some(("alice".to_owned(), "wrong".to_owned()));
    sr.get("/subjects").await.error(401, 401);
    sr.credentials = Some(("alice".to_owned(), "secret".to_owned()));
    assert_eq!(sr.get("/subjects").await.ok(), json!([]));
    sr.stop().await;
}
