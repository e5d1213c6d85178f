//! JSON Schema compatibility verdicts (Confluent's JSON Schema diff rules),
//! each pair checked at all seven levels.

mod common;

use common::{start, tempdir};
use ferry_registry::avro::CompatibilityLevel;
use ferry_registry::json::{self, JsonSchema};
use serde_json::json;

/// `(name, old, new, backward, forward)`: `backward` = the new schema
/// reads data valid under the old one (BACKWARD accepts the change),
/// `forward` = the old reads data valid under the new.
const PAIRS: &[(&str, &str, &str, bool, bool)] = &[
    (
        "identical",
        r#"{"type":"object","properties":{"a":{"type":"string"}}}"#,
        r#"{"properties":{"a":{"type":"string"}},"type":"object"}"#,
        true,
        true,
    ),
    (
        "title and description changed",
        r#"{"type":"object","title":"A","properties":{"a":{"type":"string"}}}"#,
        r#"{"type":"object","title":"B","description":"d","properties":{"a":{"type":"string"}}}"#,
        true,
        true,
    ),
    (
        "property removed from an open model",
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#,
        r#"{"type":"object","properties":{"a":{"type":"string"}}}"#,
        true,
        false,
    ),
    (
        "property added to an open model",
        r#"{"type":"object","properties":{"a":{"type":"string"}}}"#,
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#,
        false,
        true,
    ),
    (
        "property with an empty schema added to an open model",
        r#"{"type":"object","properties":{"a":{"type":"string"}}}"#,
        r#"{"type":"object","properties":{"a":{"type":"string"},"b":{}}}"#,
        true,
        true,
    ),
    (
        "optional property added to a closed model",
        r#"{"type":"object","additionalProperties":false,"properties":{"a":{"type":"string"}}}"#,
        r#"{"type":"object","additionalProperties":false,"properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#,
        true,
        false,
    ),
    (
        "required property without default added to a closed model",
        r#"{"type":"object","additionalProperties":false,"properties":{"a":{"type":"string"}}}"#,
        r#"{"type":"object","additionalProperties":false,"properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["b"]}"#,
        false,
        false,
    ),
    (
        "required property with default added to a closed model",
        r#"{"type":"object","additionalProperties":false,"properties":{"a":{"type":"string"}}}"#,
        r#"{"type":"object","additionalProperties":false,"properties":{"a":{"type":"string"},"b":{"type":"integer","default":0}},"required":["b"]}"#,
        true,
        false,
    ),
    (
        "property added, covered by the old additionalProperties schema",
        r#"{"type":"object","additionalProperties":{"type":"string"},"properties":{"a":{"type":"string"}}}"#,
        r#"{"type":"object","additionalProperties":{"type":"string"},"properties":{"a":{"type":"string"},"b":{"type":"string"}}}"#,
        true,
        true,
    ),
    (
        "property added, not covered by the old additionalProperties schema",
        r#"{"type":"object","additionalProperties":{"type":"string"},"properties":{"a":{"type":"string"}}}"#,
        r#"{"type":"object","additionalProperties":{"type":"string"},"properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#,
        false,
        false,
    ),
    (
        "existing property made required",
        r#"{"type":"object","properties":{"a":{"type":"string"}}}"#,
        r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}"#,
        false,
        true,
    ),
    (
        "integer widened to number",
        r#"{"type":"object","properties":{"n":{"type":"integer"}}}"#,
        r#"{"type":"object","properties":{"n":{"type":"number"}}}"#,
        true,
        false,
    ),
    (
        "number narrowed to integer",
        r#"{"type":"number"}"#,
        r#"{"type":"integer"}"#,
        false,
        true,
    ),
    (
        "string changed to integer",
        r#"{"type":"object","properties":{"a":{"type":"string"}}}"#,
        r#"{"type":"object","properties":{"a":{"type":"integer"}}}"#,
        false,
        false,
    ),
    (
        "string made nullable (type list)",
        r#"{"type":"string"}"#,
        r#"{"type":["string","null"]}"#,
        true,
        false,
    ),
    (
        "type list reordered",
        r#"{"type":["null","string"]}"#,
        r#"{"type":["string","null"]}"#,
        true,
        true,
    ),
    (
        "enum value added",
        r#"{"type":"string","enum":["a","b"]}"#,
        r#"{"type":"string","enum":["a","b","c"]}"#,
        true,
        false,
    ),
    (
        "enum value removed",
        r#"{"enum":["a","b","c"]}"#,
        r#"{"enum":["a","b"]}"#,
        false,
        true,
    ),
    (
        "maxLength relaxed",
        r#"{"type":"string","maxLength":10}"#,
        r#"{"type":"string","maxLength":20}"#,
        true,
        false,
    ),
    (
        "maxLength added",
        r#"{"type":"string"}"#,
        r#"{"type":"string","maxLength":20}"#,
        false,
        true,
    ),
    (
        "minimum tightened",
        r#"{"type":"integer","minimum":0}"#,
        r#"{"type":"integer","minimum":5}"#,
        false,
        true,
    ),
    (
        "pattern removed",
        r#"{"type":"string","pattern":"^a"}"#,
        r#"{"type":"string"}"#,
        true,
        false,
    ),
    (
        "pattern changed",
        r#"{"type":"string","pattern":"^a"}"#,
        r#"{"type":"string","pattern":"^b"}"#,
        false,
        false,
    ),
    (
        "additionalProperties false removed",
        r#"{"type":"object","additionalProperties":false,"properties":{"a":{"type":"string"}}}"#,
        r#"{"type":"object","properties":{"a":{"type":"string"}}}"#,
        true,
        false,
    ),
    (
        "array items changed string to integer",
        r#"{"type":"array","items":{"type":"string"}}"#,
        r#"{"type":"array","items":{"type":"integer"}}"#,
        false,
        false,
    ),
    (
        "array items widened integer to number",
        r#"{"type":"array","items":{"type":"integer"}}"#,
        r#"{"type":"array","items":{"type":"number"}}"#,
        true,
        false,
    ),
    (
        "uniqueItems added",
        r#"{"type":"array","items":{"type":"string"}}"#,
        r#"{"type":"array","items":{"type":"string"},"uniqueItems":true}"#,
        false,
        true,
    ),
    (
        "oneOf gains a subschema",
        r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#,
        r#"{"oneOf":[{"type":"string"},{"type":"integer"},{"type":"boolean"}]}"#,
        true,
        false,
    ),
    (
        "anyOf subschema replaced",
        r#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#,
        r#"{"anyOf":[{"type":"string"},{"type":"boolean"}]}"#,
        false,
        false,
    ),
    (
        "allOf gains a subschema",
        r#"{"allOf":[{"type":"object","properties":{"a":{"type":"string"}}}]}"#,
        r#"{"allOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"required":["a"]}]}"#,
        false,
        true,
    ),
    (
        "oneOf changed to anyOf",
        r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#,
        r#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#,
        true,
        false,
    ),
    (
        "definitions: referenced type widened",
        r##"{"type":"object","properties":{"a":{"$ref":"#/definitions/A"}},"definitions":{"A":{"type":"integer"}}}"##,
        r##"{"type":"object","properties":{"a":{"$ref":"#/definitions/A"}},"definitions":{"A":{"type":"number"}}}"##,
        true,
        false,
    ),
    (
        "$defs: referenced object loses a property",
        r##"{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"type":"object","properties":{"x":{"type":"string"},"y":{"type":"string"}}}}}"##,
        r##"{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"type":"object","properties":{"x":{"type":"string"}}}}}"##,
        true,
        false,
    ),
    (
        "recursive schema unchanged",
        r##"{"type":"object","properties":{"v":{"type":"integer"},"next":{"$ref":"#"}}}"##,
        r##"{"type":"object","properties":{"v":{"type":"integer"},"next":{"$ref":"#"}}}"##,
        true,
        true,
    ),
    (
        "recursive schema: value type narrowed",
        r##"{"type":"object","properties":{"v":{"type":"number"},"next":{"$ref":"#"}}}"##,
        r##"{"type":"object","properties":{"v":{"type":"integer"},"next":{"$ref":"#"}}}"##,
        false,
        true,
    ),
    (
        "nested object: property removed from the open inner model",
        r#"{"type":"object","properties":{"o":{"type":"object","properties":{"x":{"type":"string"},"y":{"type":"string"}}}}}"#,
        r#"{"type":"object","properties":{"o":{"type":"object","properties":{"x":{"type":"string"}}}}}"#,
        true,
        false,
    ),
    (
        "schema made empty (accepts anything)",
        r#"{"type":"object","properties":{"a":{"type":"string"}}}"#,
        r#"{}"#,
        true,
        false,
    ),
];

fn parse(text: &str) -> JsonSchema {
    JsonSchema::parse(text, &[]).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// What each level should answer for a pair with these directions.
fn expected(level: CompatibilityLevel, backward: bool, forward: bool) -> bool {
    (!level.is_backward() || backward) && (!level.is_forward() || forward)
}

#[test]
fn pairs_at_every_level() {
    let mut failures = Vec::new();
    for (name, old, new, backward, forward) in PAIRS {
        let (old, new) = (parse(old), parse(new));
        for level in CompatibilityLevel::ALL {
            let messages = json::check(level, &new, std::slice::from_ref(&old));
            let want = expected(level, *backward, *forward);
            if messages.is_empty() != want {
                failures.push(format!(
                    "{name} at {level}: expected compatible={want}, got {messages:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn transitive_levels_check_every_version() {
    // v1 → v2 drops property b (BACKWARD ok); v3 adds b back as a string
    // where v1 had an integer: fine against v2 (open model) under FORWARD,
    // but not against v1.
    let v1 =
        parse(r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#);
    let v2 = parse(r#"{"type":"object","properties":{"a":{"type":"string"}}}"#);
    let v3 =
        parse(r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}}}"#);
    let history = [v2, v1];
    assert!(json::check(CompatibilityLevel::Forward, &v3, &history).is_empty());
    let messages = json::check(CompatibilityLevel::ForwardTransitive, &v3, &history);
    assert!(!messages.is_empty());
    assert!(
        messages
            .iter()
            .all(|m| m.contains("oldSchemaVersionIndex: 1")),
        "{messages:?}"
    );
}

#[test]
fn references_resolve_by_name() {
    let customer_v1 = r#"{"type":"object","properties":{"id":{"type":"integer"}}}"#;
    let customer_v2 = r#"{"type":"object","properties":{"id":{"type":"number"}}}"#;
    let order = r#"{"type":"object","properties":{"customer":{"$ref":"customer.json"}}}"#;
    let refs = |c: &str| vec![("customer.json".to_owned(), c.to_owned())];
    let old = JsonSchema::parse(order, &refs(customer_v1)).unwrap();
    let new = JsonSchema::parse(order, &refs(customer_v2)).unwrap();
    assert!(
        json::check(
            CompatibilityLevel::Backward,
            &new,
            std::slice::from_ref(&old)
        )
        .is_empty()
    );
    let messages = json::check(
        CompatibilityLevel::Forward,
        &new,
        std::slice::from_ref(&old),
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("TYPE_NARROWED") && m.contains("#/properties/customer")),
        "{messages:?}"
    );
    // A URL ending in the reference name, with a pointer into it.
    let url = r##"{"properties":{"c":{"$ref":"https://example.com/schemas/customer.json#/properties/id"}}}"##;
    JsonSchema::parse(url, &refs(customer_v1)).unwrap();
    // Without the reference the $ref is dangling: invalid (42201).
    let err = JsonSchema::parse(order, &[]).unwrap_err();
    assert!(err.contains("customer.json"), "{err}");
    let err = JsonSchema::parse(r##"{"$ref":"#/definitions/Nope"}"##, &[]).unwrap_err();
    assert!(err.contains("#/definitions/Nope"), "{err}");
}

#[test]
fn messages_name_the_difference_and_path() {
    let old = parse(r#"{"type":"object","properties":{"a":{"type":"string"}}}"#);
    let new =
        parse(r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#);
    let messages = json::check(
        CompatibilityLevel::Backward,
        &new,
        std::slice::from_ref(&old),
    );
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert!(
        m.starts_with("{oldSchemaVersionIndex: 0, direction: BACKWARD}"),
        "{m}"
    );
    assert!(m.contains("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"), "{m}");
    assert!(m.contains("#/properties/b"), "{m}");
}

/// Through the HTTP API: a compatible change registers, an incompatible one
/// is 409 naming the difference, `/compatibility` agrees, references
/// resolve by name, and the subject's level applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_applies_json_rules() {
    let dir = tempdir();
    let sr = start(dir.path(), &[]).await;
    let v1 = r#"{"type":"object","properties":{"id":{"type":"integer"},"item":{"type":"string"}}}"#;
    let v2 = r#"{"type":"object","properties":{"id":{"type":"number"},"item":{"type":"string"}}}"#;
    let added = r#"{"type":"object","properties":{"id":{"type":"number"},"item":{"type":"string"},"note":{"type":"string"}}}"#;
    let register = |schema: &str| json!({"schema": schema, "schemaType": "JSON"});
    let id1 = sr
        .post("/subjects/orders/versions", register(v1))
        .await
        .ok()["id"]
        .clone();
    let id2 = sr
        .post("/subjects/orders/versions", register(v2))
        .await
        .ok()["id"]
        .clone();
    assert_ne!(id1, id2);
    let refused = sr.post("/subjects/orders/versions", register(added)).await;
    refused.error(409, 40901);
    assert!(
        refused
            .text
            .contains("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"),
        "{}",
        refused.text
    );
    let verdict = sr
        .post(
            "/compatibility/subjects/orders/versions/latest",
            register(added),
        )
        .await
        .ok();
    assert_eq!(verdict["is_compatible"], false);
    // Under FORWARD the same change is fine.
    sr.put("/config/orders", json!({"compatibility": "FORWARD"}))
        .await
        .ok();
    sr.post("/subjects/orders/versions", register(added))
        .await
        .ok();

    // A reference by name.
    let customer = r#"{"type":"object","properties":{"name":{"type":"string"}}}"#;
    sr.post("/subjects/customer/versions", register(customer))
        .await
        .ok();
    let with_ref = json!({
        "schema": r#"{"type":"object","properties":{"customer":{"$ref":"customer.json"}}}"#,
        "schemaType": "JSON",
        "references": [{"name": "customer.json", "subject": "customer", "version": 1}],
    });
    sr.post("/subjects/invoice/versions", with_ref).await.ok();
    let dangling = json!({
        "schema": r#"{"type":"object","properties":{"customer":{"$ref":"customer.json"}}}"#,
        "schemaType": "JSON",
    });
    sr.post("/subjects/invoice2/versions", dangling)
        .await
        .error(422, 42201);
    sr.stop().await;
}
