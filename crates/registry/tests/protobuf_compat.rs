//! Protobuf compatibility verdicts (Confluent's Protobuf diff rules), each
//! pair checked at all seven levels; parsing of both schema forms.

mod common;

use base64::Engine;
use common::{start, tempdir};
use ferry_registry::avro::CompatibilityLevel;
use ferry_registry::protobuf::{self, ProtobufSchema};
use prost::Message;
use serde_json::json;

const P3: &str = "syntax = \"proto3\";\npackage shop;\n";

/// `(name, old body, new body, backward, forward)`; bodies follow
/// `syntax = "proto3"; package shop;` unless they start with `syntax`.
const PAIRS: &[(&str, &str, &str, bool, bool)] = &[
    (
        "identical up to comments and layout",
        "message Order { int64 id = 1; string item = 2; }",
        "// an order\nmessage Order {\n  int64 id = 1;\n  string item = 2; // what\n}",
        true,
        true,
    ),
    (
        "field added",
        "message Order { int64 id = 1; }",
        "message Order { int64 id = 1; string item = 2; }",
        true,
        true,
    ),
    (
        "field removed",
        "message Order { int64 id = 1; string item = 2; }",
        "message Order { int64 id = 1; }",
        true,
        true,
    ),
    (
        "field renamed",
        "message Order { int64 id = 1; }",
        "message Order { int64 order_id = 1; }",
        true,
        true,
    ),
    (
        "int32 to int64 (same wire group)",
        "message Order { int32 qty = 1; }",
        "message Order { int64 qty = 1; }",
        true,
        true,
    ),
    (
        "uint32 to bool (same wire group)",
        "message Order { uint32 flag = 1; }",
        "message Order { bool flag = 1; }",
        true,
        true,
    ),
    (
        "int32 to sint32 (zigzag)",
        "message Order { int32 qty = 1; }",
        "message Order { sint32 qty = 1; }",
        false,
        false,
    ),
    (
        "fixed32 to sfixed32",
        "message Order { fixed32 n = 1; }",
        "message Order { sfixed32 n = 1; }",
        true,
        true,
    ),
    (
        "float to double",
        "message Order { float price = 1; }",
        "message Order { double price = 1; }",
        false,
        false,
    ),
    (
        "string to bytes",
        "message Order { string item = 1; }",
        "message Order { bytes item = 1; }",
        true,
        true,
    ),
    (
        "string to int32",
        "message Order { string item = 1; }",
        "message Order { int32 item = 1; }",
        false,
        false,
    ),
    (
        "enum to int32",
        "enum Kind { A = 0; B = 1; }\nmessage Order { Kind kind = 1; }",
        "enum Kind { A = 0; B = 1; }\nmessage Order { int32 kind = 1; }",
        true,
        true,
    ),
    (
        "scalar to message",
        "message Item { string name = 1; }\nmessage Order { string item = 1; }",
        "message Item { string name = 1; }\nmessage Order { Item item = 1; }",
        false,
        false,
    ),
    (
        "singular int32 to repeated",
        "message Order { int32 qty = 1; }",
        "message Order { repeated int32 qty = 1; }",
        false,
        false,
    ),
    (
        "singular string to repeated",
        "message Order { string tag = 1; }",
        "message Order { repeated string tag = 1; }",
        true,
        true,
    ),
    (
        "message added",
        "message Order { int64 id = 1; }",
        "message Order { int64 id = 1; }\nmessage Refund { int64 id = 1; }",
        true,
        false,
    ),
    (
        "message removed",
        "message Order { int64 id = 1; }\nmessage Refund { int64 id = 1; }",
        "message Order { int64 id = 1; }",
        false,
        true,
    ),
    (
        "messages reordered",
        "message Order { int64 id = 1; }\nmessage Refund { int64 id = 1; }",
        "message Refund { int64 id = 1; }\nmessage Order { int64 id = 1; }",
        true,
        true,
    ),
    (
        "package changed",
        "message Order { int64 id = 1; }",
        "syntax = \"proto3\";\npackage store;\nmessage Order { int64 id = 1; }",
        false,
        false,
    ),
    (
        "enum value added",
        "enum Kind { A = 0; }\nmessage Order { Kind kind = 1; }",
        "enum Kind { A = 0; B = 1; }\nmessage Order { Kind kind = 1; }",
        true,
        true,
    ),
    (
        "enum value removed",
        "enum Kind { A = 0; B = 1; }\nmessage Order { Kind kind = 1; }",
        "enum Kind { A = 0; }\nmessage Order { Kind kind = 1; }",
        true,
        true,
    ),
    (
        "field's message type renamed",
        "message Item { string name = 1; }\nmessage Order { Item item = 1; }",
        "message Item { string name = 1; }\nmessage Thing { string name = 1; }\nmessage Order { Thing item = 1; }",
        false,
        false,
    ),
    (
        "nested message field type changed",
        "message Order { message Line { int32 qty = 1; } Line line = 1; }",
        "message Order { message Line { string qty = 1; } Line line = 1; }",
        false,
        false,
    ),
    (
        "map value widened int32 to int64",
        "message Order { map<string, int32> counts = 1; }",
        "message Order { map<string, int64> counts = 1; }",
        true,
        true,
    ),
    (
        "map value changed int32 to string",
        "message Order { map<string, int32> counts = 1; }",
        "message Order { map<string, string> counts = 1; }",
        false,
        false,
    ),
    (
        "one existing field moved into a new oneof",
        "message Order { string email = 1; int64 id = 3; }",
        "message Order { oneof contact { string email = 1; } int64 id = 3; }",
        true,
        true,
    ),
    (
        "two existing fields moved into one oneof",
        "message Order { string email = 1; string phone = 2; }",
        "message Order { oneof contact { string email = 1; string phone = 2; } }",
        false,
        true,
    ),
    (
        "field added to a oneof",
        "message Order { oneof contact { string email = 1; } }",
        "message Order { oneof contact { string email = 1; string phone = 2; } }",
        true,
        false,
    ),
    (
        "proto3 optional added to a field",
        "message Order { int32 qty = 1; }",
        "message Order { optional int32 qty = 1; }",
        true,
        true,
    ),
    (
        "proto2 required field added",
        "syntax = \"proto2\";\npackage shop;\nmessage Order { optional int64 id = 1; }",
        "syntax = \"proto2\";\npackage shop;\nmessage Order { optional int64 id = 1; required string item = 2; }",
        false,
        false,
    ),
    (
        "proto2 optional field added",
        "syntax = \"proto2\";\npackage shop;\nmessage Order { optional int64 id = 1; }",
        "syntax = \"proto2\";\npackage shop;\nmessage Order { optional int64 id = 1; optional string item = 2; }",
        true,
        true,
    ),
];

fn text(body: &str) -> String {
    if body.starts_with("syntax") {
        body.to_owned()
    } else {
        format!("{P3}{body}")
    }
}

fn parse(body: &str) -> ProtobufSchema {
    let t = text(body);
    ProtobufSchema::parse(&t, &[]).unwrap_or_else(|e| panic!("{t}: {e}"))
}

fn expected(level: CompatibilityLevel, backward: bool, forward: bool) -> bool {
    (!level.is_backward() || backward) && (!level.is_forward() || forward)
}

#[test]
fn pairs_at_every_level() {
    let mut failures = Vec::new();
    for (name, old, new, backward, forward) in PAIRS {
        let (old, new) = (parse(old), parse(new));
        for level in CompatibilityLevel::ALL {
            let messages = protobuf::check(level, &new, std::slice::from_ref(&old));
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
    // v1 has int32 qty = 2; v2 drops it; v3 reuses 2 as a string: fine
    // against v2, not against v1.
    let v1 = parse("message Order { int64 id = 1; int32 qty = 2; }");
    let v2 = parse("message Order { int64 id = 1; }");
    let v3 = parse("message Order { int64 id = 1; string qty = 2; }");
    let history = [v2, v1];
    assert!(protobuf::check(CompatibilityLevel::Backward, &v3, &history).is_empty());
    let messages = protobuf::check(CompatibilityLevel::BackwardTransitive, &v3, &history);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("oldSchemaVersionIndex: 1")
                && m.contains("FIELD_SCALAR_KIND_CHANGED")),
        "{messages:?}"
    );
}

/// The base64 `FileDescriptorProto` confluent-kafka-python registers for
/// `shop.Order { int64 id = 1; string item = 2; }` (built here by hand).
fn order_descriptor_base64() -> String {
    use prost_types::field_descriptor_proto::{Label, Type};
    use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};
    let field = |name: &str, number: i32, ty: Type| FieldDescriptorProto {
        name: Some(name.to_owned()),
        number: Some(number),
        label: Some(Label::Optional as i32),
        r#type: Some(ty as i32),
        ..Default::default()
    };
    let file = FileDescriptorProto {
        name: Some("shop_order.proto".to_owned()),
        package: Some("shop".to_owned()),
        syntax: Some("proto3".to_owned()),
        message_type: vec![DescriptorProto {
            name: Some("Order".to_owned()),
            field: vec![field("id", 1, Type::Int64), field("item", 2, Type::String)],
            ..Default::default()
        }],
        ..Default::default()
    };
    base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec())
}

#[test]
fn descriptor_and_text_forms_are_the_same_schema() {
    let from_text = parse("message Order { int64 id = 1; string item = 2; }");
    let from_descriptor = ProtobufSchema::parse(&order_descriptor_base64(), &[]).unwrap();
    assert_eq!(from_text.identity(), from_descriptor.identity());
    let other = parse("message Order { int64 id = 1; string note = 2; }");
    assert_ne!(from_text.identity(), other.identity());
    // Evolving a descriptor-registered schema with text is checked too.
    let incompatible = parse("message Order { int64 id = 1; int32 item = 2; }");
    assert!(
        !protobuf::check(
            CompatibilityLevel::Backward,
            &incompatible,
            std::slice::from_ref(&from_descriptor)
        )
        .is_empty()
    );
}

#[test]
fn invalid_schemas_are_rejected() {
    let bad = [
        "syntax = \"proto3\"; message M { string a = 1; ",
        "syntax = \"proto9\"; message M {}",
        "hello",
        "syntax = \"proto3\"; message M { Unknown a = 1; }",
        "syntax = \"proto3\"; message M { string a = 1; int32 b = 1; }",
        "syntax = \"proto3\"; package x;",
        // Truncated descriptor: field 1 claims 7 bytes, 2 follow.
        "CgdhLg==",
    ];
    let deep = format!(
        "syntax = \"proto3\"; {} {}",
        "message M { ".repeat(100_000),
        "}".repeat(100_000)
    );
    let err = ProtobufSchema::parse(&deep, &[]).unwrap_err();
    assert!(err.contains("nested"), "{err}");
    for t in bad {
        let err = ProtobufSchema::parse(t, &[])
            .err()
            .unwrap_or_else(|| panic!("accepted {t:?}"));
        assert!(err.starts_with("Invalid protobuf schema"), "{err}");
    }
}

#[test]
fn references_are_imports_by_name() {
    let money_v1 = "syntax = \"proto3\";\npackage common;\nmessage Money { int64 units = 1; string currency = 2; }";
    let money_v2 = "syntax = \"proto3\";\npackage common;\nmessage Money { int64 units = 1; int32 currency = 2; }";
    let order = "syntax = \"proto3\";\npackage shop;\nimport \"common/money.proto\";\nmessage Order { common.Money total = 1; }";
    let refs = |m: &str| vec![("common/money.proto".to_owned(), m.to_owned())];
    let old = ProtobufSchema::parse(order, &refs(money_v1)).unwrap();
    let new = ProtobufSchema::parse(order, &refs(money_v2)).unwrap();
    let messages = protobuf::check(
        CompatibilityLevel::Backward,
        &new,
        std::slice::from_ref(&old),
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("FIELD_NAMED_TYPE_CHANGED")),
        "{messages:?}"
    );
    // Without the reference the import is missing.
    assert!(ProtobufSchema::parse(order, &[]).is_err());
    // Well-known types need no reference.
    let wkt = "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\nmessage E { google.protobuf.Timestamp at = 1; }";
    ProtobufSchema::parse(wkt, &[]).unwrap();
    // Nor do the files confluent-kafka treats as built in.
    let builtin = "syntax = \"proto3\";\nimport \"google/type/date.proto\";\nimport \"confluent/meta.proto\";\nimport \"confluent/type/decimal.proto\";\nmessage E {\n  google.type.Date day = 1 [(confluent.field_meta).doc = \"the day\"];\n  confluent.type.Decimal amount = 2;\n}";
    ProtobufSchema::parse(builtin, &[]).unwrap();
    // A reference given as a base64 descriptor.
    let with_descriptor_ref = "syntax = \"proto3\";\npackage other;\nimport \"shop_order.proto\";\nmessage Wrapper { shop.Order order = 1; }";
    ProtobufSchema::parse(
        with_descriptor_ref,
        &[("shop_order.proto".to_owned(), order_descriptor_base64())],
    )
    .unwrap();
}

/// Through the HTTP API: the descriptor form of a schema registered as text
/// gets the same id; a compatible change registers; an incompatible one is
/// 409 naming the difference; invalid text is 42201; imports resolve
/// through references.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_applies_protobuf_rules() {
    let dir = tempdir();
    let sr = start(dir.path(), &[]).await;
    let register = |schema: &str| json!({"schema": schema, "schemaType": "PROTOBUF"});
    let v1 = text("message Order { int64 id = 1; string item = 2; }");
    let id = sr
        .post("/subjects/orders/versions", register(&v1))
        .await
        .ok()["id"]
        .clone();
    let again = sr
        .post(
            "/subjects/orders/versions",
            register(&order_descriptor_base64()),
        )
        .await
        .ok();
    assert_eq!(again["id"], id);
    let found = sr
        .post("/subjects/orders", register(&order_descriptor_base64()))
        .await
        .ok();
    assert_eq!(found["version"], 1);

    let v2 = text("message Order { int64 id = 1; string item = 2; int32 qty = 3; }");
    sr.post("/subjects/orders/versions", register(&v2))
        .await
        .ok();
    let bad = text("message Order { int64 id = 1; int32 item = 2; int32 qty = 3; }");
    let refused = sr.post("/subjects/orders/versions", register(&bad)).await;
    refused.error(409, 40901);
    assert!(
        refused.text.contains("FIELD_SCALAR_KIND_CHANGED"),
        "{}",
        refused.text
    );
    sr.post(
        "/subjects/orders/versions",
        register("syntax = \"proto3\"; message M { Nope a = 1; }"),
    )
    .await
    .error(422, 42201);

    let money = "syntax = \"proto3\";\npackage common;\nmessage Money { int64 units = 1; }";
    sr.post("/subjects/money/versions", register(money))
        .await
        .ok();
    let order = "syntax = \"proto3\";\npackage shop;\nimport \"common/money.proto\";\nmessage Priced { common.Money total = 1; }";
    let with_ref = json!({
        "schema": order,
        "schemaType": "PROTOBUF",
        "references": [{"name": "common/money.proto", "subject": "money", "version": 1}],
    });
    sr.post("/subjects/priced/versions", with_ref).await.ok();
    sr.post("/subjects/priced2/versions", register(order))
        .await
        .error(422, 42201);
    sr.stop().await;
}
