//! Parse, validation and textual-form tests.

use super::*;

fn parse(text: &str) -> AvroSchema {
    match AvroSchema::parse(text, &[]) {
        Ok(s) => s,
        Err(e) => panic!("{text} should parse: {e}"),
    }
}

fn reject(text: &str) -> String {
    match AvroSchema::parse(text, &[]) {
        Ok(s) => panic!("{text} should be rejected, got {}", s.compact()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn primitive_forms_are_the_bare_name() {
    assert_eq!(parse(r#""int""#).compact(), r#""int""#);
    assert_eq!(parse(r#"{"type": "string"}"#).compact(), r#""string""#);
    assert_eq!(
        parse(r#"{"type":"int","logicalType":"date"}"#).compact(),
        r#"{"type":"int","logicalType":"date"}"#
    );
    assert_eq!(
        parse(r#"{"logicalType":"decimal","scale":2,"type":"bytes","precision":4}"#).compact(),
        r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#
    );
}

#[test]
fn whitespace_and_attribute_order_do_not_change_compact() {
    let a = r#"{"type":"record","name":"Order","namespace":"io.ferry","doc":"an order",
        "fields":[{"name":"id","type":"long","doc":"key"},
                  {"name":"state","type":{"type":"enum","name":"State","symbols":["NEW","DONE"],"default":"NEW"}},
                  {"name":"tags","type":{"type":"array","items":"string"},"default":[]},
                  {"name":"note","type":["null","string"],"default":null,"aliases":["comment"]}]}"#;
    let b = r#"{
        "fields" : [
            {"type" : "long", "name" : "id", "doc" : "key"},
            {"name" : "state", "type" : {"default" : "NEW", "symbols" : ["NEW", "DONE"], "name" : "State", "type" : "enum"}},
            {"default" : [], "type" : {"items" : "string", "type" : "array"}, "name" : "tags"},
            {"aliases" : ["comment"], "default" : null, "type" : ["null", "string"], "name" : "note"}
        ],
        "doc" : "an order",
        "namespace" : "io.ferry",
        "name" : "Order",
        "type" : "record"
    }"#;
    let (a, b) = (parse(a), parse(b));
    assert_eq!(a.compact(), b.compact());
    assert_eq!(
        a.compact(),
        concat!(
            r#"{"type":"record","name":"Order","namespace":"io.ferry","doc":"an order","fields":["#,
            r#"{"name":"id","type":"long","doc":"key"},"#,
            r#"{"name":"state","type":{"type":"enum","name":"State","symbols":["NEW","DONE"],"default":"NEW"}},"#,
            r#"{"name":"tags","type":{"type":"array","items":"string"},"default":[]},"#,
            r#"{"name":"note","type":["null","string"],"default":null,"aliases":["comment"]}]}"#
        )
    );
    assert_eq!(a.normalized(), b.normalized());
}

#[test]
fn namespaces_are_written_relative_to_the_enclosing_one() {
    // The namespace given inside the name, or by attribute, is the same schema.
    let dotted = parse(
        r#"{"type":"record","name":"a.b.R","fields":[
            {"name":"f","type":{"type":"fixed","name":"F","size":4}},
            {"name":"g","type":"a.b.F"},
            {"name":"h","type":{"type":"enum","name":"c.E","symbols":["X"]}},
            {"name":"i","type":"c.E"}]}"#,
    );
    let attr = parse(
        r#"{"type":"record","name":"R","namespace":"a.b","fields":[
            {"name":"f","type":{"type":"fixed","name":"F","size":4,"namespace":"a.b"}},
            {"name":"g","type":"F"},
            {"name":"h","type":{"type":"enum","name":"E","namespace":"c","symbols":["X"]}},
            {"name":"i","type":"c.E"}]}"#,
    );
    assert_eq!(dotted.compact(), attr.compact());
    assert_eq!(
        dotted.compact(),
        concat!(
            r#"{"type":"record","name":"R","namespace":"a.b","fields":["#,
            r#"{"name":"f","type":{"type":"fixed","name":"F","size":4}},"#,
            r#"{"name":"g","type":"F"},"#,
            r#"{"name":"h","type":{"type":"enum","name":"E","namespace":"c","symbols":["X"]}},"#,
            r#"{"name":"i","type":"c.E"}]}"#
        )
    );
    assert_eq!(
        dotted.normalized(),
        concat!(
            r#"{"type":"record","name":"a.b.R","fields":["#,
            r#"{"name":"f","type":{"type":"fixed","name":"a.b.F","size":4}},"#,
            r#"{"name":"g","type":"a.b.F"},"#,
            r#"{"name":"h","type":{"type":"enum","name":"c.E","symbols":["X"]}},"#,
            r#"{"name":"i","type":"c.E"}]}"#
        )
    );
}

#[test]
fn a_nameless_namespace_inside_a_named_one_is_written_empty() {
    let s = parse(
        r#"{"type":"record","name":"R","namespace":"n","fields":[
            {"name":"f","type":{"type":"record","name":"Inner","namespace":"","fields":[]}}]}"#,
    );
    assert_eq!(
        s.compact(),
        r#"{"type":"record","name":"R","namespace":"n","fields":[{"name":"f","type":{"type":"record","name":"Inner","namespace":"","fields":[]}}]}"#
    );
}

#[test]
fn doc_defaults_order_aliases_and_custom_properties_are_kept() {
    let s = parse(
        r#"{"type":"record","name":"R","aliases":["Old"],"zeta":1,"alpha":{"k":[1,2]},"fields":[
            {"name":"f","type":{"type":"string","avro.java.string":"String"},"order":"descending","default":"x","x-pii":true},
            {"name":"g","type":"double","default":1.5,"order":"ascending"}]}"#,
    );
    assert_eq!(
        s.compact(),
        concat!(
            r#"{"type":"record","name":"R","fields":["#,
            r#"{"name":"f","type":{"type":"string","avro.java.string":"String"},"default":"x","order":"descending","x-pii":true},"#,
            r#"{"name":"g","type":"double","default":1.5}],"#,
            r#""alpha":{"k":[1,2]},"zeta":1,"aliases":["Old"]}"#
        )
    );
}

#[test]
fn different_schemas_have_different_compact_forms() {
    let a = parse(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
    let b = parse(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}"#);
    let c = parse(r#"{"type":"record","name":"R","doc":"d","fields":[{"name":"a","type":"int"}]}"#);
    assert_ne!(a.compact(), b.compact());
    assert_ne!(a.compact(), c.compact());
}

#[test]
fn invalid_schemas_are_rejected_with_a_reason() {
    let cases = [
        ("not json", "{"),
        ("unknown type", r#""integer""#),
        (
            "unknown named type",
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"Missing"}]}"#,
        ),
        ("record without fields", r#"{"type":"record","name":"R"}"#),
        ("record without name", r#"{"type":"record","fields":[]}"#),
        (
            "field without type",
            r#"{"type":"record","name":"R","fields":[{"name":"a"}]}"#,
        ),
        (
            "bad default type",
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#,
        ),
        (
            "duplicate field names",
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}"#,
        ),
        (
            "duplicate enum symbols",
            r#"{"type":"enum","name":"E","symbols":["A","A"]}"#,
        ),
        ("enum without symbols", r#"{"type":"enum","name":"E"}"#),
        ("fixed without size", r#"{"type":"fixed","name":"F"}"#),
        ("array without items", r#"{"type":"array"}"#),
        ("map without values", r#"{"type":"map"}"#),
        (
            "invalid name",
            r#"{"type":"record","name":"1R","fields":[]}"#,
        ),
        ("duplicate union branch", r#"["int","int"]"#),
        ("nested union", r#"["null",["int","string"]]"#),
        ("number as schema", "42"),
        (
            "enum default not a symbol",
            r#"{"type":"enum","name":"E","symbols":["A"],"default":"B"}"#,
        ),
        (
            "redefined name",
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"fixed","name":"R","size":1}}]}"#,
        ),
    ];
    let mut accepted = Vec::new();
    for (what, text) in cases {
        match AvroSchema::parse(text, &[]) {
            Ok(_) => accepted.push(what),
            Err(e) => assert!(e.to_string().starts_with("Invalid schema"), "{what}: {e}"),
        }
    }
    assert!(
        accepted.is_empty(),
        "accepted invalid schemas: {accepted:?}"
    );
    assert!(reject("{").contains("JSON"));
}

#[test]
fn references_resolve_named_types_and_stay_references() {
    let address = AvroReference {
        name: "io.ferry.Address".to_owned(),
        schema: r#"{"type":"record","name":"Address","namespace":"io.ferry","fields":[{"name":"city","type":"string"}]}"#.to_owned(),
    };
    let text = r#"{"type":"record","name":"Customer","namespace":"io.ferry","fields":[{"name":"home","type":"io.ferry.Address"}]}"#;
    let customer = match AvroSchema::parse(text, std::slice::from_ref(&address)) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        customer.compact(),
        r#"{"type":"record","name":"Customer","namespace":"io.ferry","fields":[{"name":"home","type":"Address"}]}"#
    );
    // Without the reference the name is unknown.
    assert!(AvroSchema::parse(text, &[]).is_err());
    // A broken reference is reported as such.
    let broken = AvroReference {
        name: "x".to_owned(),
        schema: "{".to_owned(),
    };
    let err = AvroSchema::parse(text, &[broken])
        .err()
        .map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains("reference x")));
    // Compatibility follows the reference: a reader with a city default added
    // to the referenced type reads the old data.
    let address2 = AvroReference {
        name: "io.ferry.Address".to_owned(),
        schema: r#"{"type":"record","name":"Address","namespace":"io.ferry","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string"}]}"#.to_owned(),
    };
    let customer2 = match AvroSchema::parse(text, &[address2]) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let found = can_read(&customer, &customer2).err().unwrap_or_default();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].kind,
        IncompatibilityKind::ReaderFieldMissingDefaultValue
    );
    assert_eq!(found[0].location, "/fields/0/type/fields/1");
    assert!(can_read(&customer2, &customer).is_ok());
}

#[test]
fn compatibility_levels_parse_in_confluent_spelling() {
    for level in CompatibilityLevel::ALL {
        assert_eq!(CompatibilityLevel::parse(level.as_str()), Some(level));
        assert_eq!(level.to_string(), level.as_str());
    }
    assert_eq!(
        CompatibilityLevel::parse("backward_transitive"),
        Some(CompatibilityLevel::BackwardTransitive)
    );
    assert_eq!(CompatibilityLevel::parse("SIDEWAYS"), None);
    assert_eq!(CompatibilityLevel::default(), CompatibilityLevel::Backward);
}

#[test]
fn a_type_reused_many_times_is_compared_once() {
    // 40 levels, each record holding the next level twice: 2^40 paths.
    // Without memoising compared pairs this would not finish.
    let mut types =
        String::from(r#"{"type":"record","name":"L40","fields":[{"name":"x","type":"int"}]}"#);
    for level in (0..40).rev() {
        types = format!(
            r#"{{"type":"record","name":"L{level}","fields":[{{"name":"a","type":{types}}},{{"name":"b","type":"L{}"}}]}}"#,
            level + 1
        );
    }
    let writer = parse(&types);
    let reader = parse(&types.replace(
        r#"{"name":"x","type":"int"}"#,
        r#"{"name":"x","type":"string"}"#,
    ));
    assert!(can_read(&writer, &writer).is_ok());
    let found = can_read(&writer, &reader).err().unwrap_or_default();
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|i| i.kind == IncompatibilityKind::TypeMismatch),
        "{found:?}"
    );
}

#[test]
fn schemas_java_accepts_parse() {
    let cases = [
        (
            "int default for float",
            r#"{"type":"record","name":"R","fields":[{"name":"f","type":"float","default":0}]}"#,
        ),
        (
            "int default for double",
            r#"{"type":"record","name":"R","fields":[{"name":"f","type":"double","default":1}]}"#,
        ),
        (
            "long default",
            r#"{"type":"record","name":"R","fields":[{"name":"f","type":"long","default":1}]}"#,
        ),
        (
            "bytes default",
            r#"{"type":"record","name":"R","fields":[{"name":"f","type":"bytes","default":"\u00ff"}]}"#,
        ),
        (
            "null default for nullable",
            r#"{"type":"record","name":"R","fields":[{"name":"f","type":["null","string"],"default":null}]}"#,
        ),
        (
            "enum default in field",
            r#"{"type":"record","name":"R","fields":[{"name":"f","type":{"type":"enum","name":"E","symbols":["A","B"]},"default":"B"}]}"#,
        ),
        (
            "fixed default",
            r#"{"type":"record","name":"R","fields":[{"name":"f","type":{"type":"fixed","name":"F","size":2},"default":"ab"}]}"#,
        ),
        (
            "record default",
            r#"{"type":"record","name":"R","fields":[{"name":"f","type":{"type":"record","name":"I","fields":[{"name":"x","type":"int"}]},"default":{"x":1}}]}"#,
        ),
        (
            "array and map defaults",
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"int"},"default":[1,2]},{"name":"m","type":{"type":"map","values":"int"},"default":{}}]}"#,
        ),
        (
            "logical types",
            r#"{"type":"record","name":"R","fields":[
            {"name":"u","type":{"type":"string","logicalType":"uuid"}},
            {"name":"t","type":{"type":"long","logicalType":"timestamp-millis"}},
            {"name":"d","type":{"type":"int","logicalType":"date"}},
            {"name":"m","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
            {"name":"x","type":{"type":"fixed","name":"Money","size":8,"logicalType":"decimal","precision":18,"scale":4}}]}"#,
        ),
        (
            "unknown logical type",
            r#"{"type":"string","logicalType":"ferry-special"}"#,
        ),
        (
            "self reference by short name",
            r#"{"type":"record","name":"Node","namespace":"n","fields":[{"name":"next","type":["null","Node"],"default":null}]}"#,
        ),
        (
            "top-level union of records",
            r#"[{"type":"record","name":"A","fields":[]},{"type":"record","name":"B","fields":[{"name":"a","type":"A"}]}]"#,
        ),
        (
            "top-level array",
            r#"{"type":"array","items":{"type":"map","values":"long"}}"#,
        ),
        (
            "same simple name in two namespaces",
            r#"{"type":"record","name":"a.R","fields":[{"name":"f","type":{"type":"record","name":"b.R","fields":[]}}]}"#,
        ),
    ];
    let mut rejected = Vec::new();
    for (what, text) in cases {
        if let Err(e) = AvroSchema::parse(text, &[]) {
            rejected.push(format!("{what}: {e}"));
        }
    }
    assert!(rejected.is_empty(), "{}", rejected.join("\n"));
}

#[test]
fn the_datagen_orders_schema_keeps_its_properties() {
    let orders = r#"{
   "namespace":"ksql",
   "name":"orders",
   "type":"record",
   "fields":[
      {"name":"ordertime","type":{"type":"long","arg.properties":{"range":{"min":1487715775521,"max":1519273364600}}}},
      {"name":"orderid","type":{"type":"int","arg.properties":{"iteration":{"start":0}}}},
      {"name":"address","type":{"name":"address","type":"record","fields":[
         {"name":"zipcode","type":{"type":"long","arg.properties":{"range":{"min":10000,"max":99999}}}}]}}
   ]
}"#;
    assert_eq!(
        parse(orders).compact(),
        concat!(
            r#"{"type":"record","name":"orders","namespace":"ksql","fields":["#,
            r#"{"name":"ordertime","type":{"type":"long","arg.properties":{"range":{"max":1519273364600,"min":1487715775521}}}},"#,
            r#"{"name":"orderid","type":{"type":"int","arg.properties":{"iteration":{"start":0}}}},"#,
            r#"{"name":"address","type":{"type":"record","name":"address","fields":["#,
            r#"{"name":"zipcode","type":{"type":"long","arg.properties":{"range":{"max":99999,"min":10000}}}}]}}]}"#
        )
    );
}
