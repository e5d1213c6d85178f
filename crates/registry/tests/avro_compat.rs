//! Writer/reader resolution table: verdicts per the Avro specification's
//! schema resolution rules (as Java Avro's `SchemaCompatibility` applies
//! them), the registry's verdict for every compatibility level derived from
//! them, and where apache-avro 0.22's own checker disagrees.

use apache_avro::schema_compatibility::{Compatibility, SchemaCompatibility};
use ferry_registry::avro::{AvroSchema, CompatibilityLevel, can_read, check};

/// One schema change: `old` is registered, `new` is proposed.
struct Pair {
    name: &'static str,
    old: &'static str,
    new: &'static str,
    /// The new schema reads data written with the old one (BACKWARD).
    new_reads_old: bool,
    /// The old schema reads data written with the new one (FORWARD).
    old_reads_new: bool,
}

const fn pair(
    name: &'static str,
    old: &'static str,
    new: &'static str,
    new_reads_old: bool,
    old_reads_new: bool,
) -> Pair {
    Pair {
        name,
        old,
        new,
        new_reads_old,
        old_reads_new,
    }
}

const NODE_INT: &str = r#"{"type":"record","name":"Node","fields":[{"name":"value","type":"int"},{"name":"next","type":["null","Node"],"default":null}]}"#;
const NODE_LONG: &str = r#"{"type":"record","name":"Node","fields":[{"name":"value","type":"long"},{"name":"next","type":["null","Node"],"default":null}]}"#;
const NODE_TAGGED: &str = r#"{"type":"record","name":"Node","fields":[{"name":"value","type":"int"},{"name":"next","type":["null","Node"],"default":null},{"name":"tag","type":"string","default":""}]}"#;
const NODE_UNTAGGED_REQUIRED: &str = r#"{"type":"record","name":"Node","fields":[{"name":"value","type":"int"},{"name":"next","type":["null","Node"],"default":null},{"name":"tag","type":"string"}]}"#;

const TABLE: &[Pair] = &[
    // Promotions.
    pair("int to long", r#""int""#, r#""long""#, true, false),
    pair("int to float", r#""int""#, r#""float""#, true, false),
    pair("int to double", r#""int""#, r#""double""#, true, false),
    pair("long to float", r#""long""#, r#""float""#, true, false),
    pair("long to double", r#""long""#, r#""double""#, true, false),
    pair("float to double", r#""float""#, r#""double""#, true, false),
    pair("string to bytes", r#""string""#, r#""bytes""#, true, true),
    pair("long to int", r#""long""#, r#""int""#, false, true),
    pair("boolean to int", r#""boolean""#, r#""int""#, false, false),
    pair("string to int", r#""string""#, r#""int""#, false, false),
    pair(
        "null to null",
        r#""null""#,
        r#"{"type":"null"}"#,
        true,
        true,
    ),
    // Logical types resolve as their underlying types.
    pair(
        "date to timestamp-millis",
        r#"{"type":"int","logicalType":"date"}"#,
        r#"{"type":"long","logicalType":"timestamp-millis"}"#,
        true,
        false,
    ),
    pair(
        "decimal bytes to bytes",
        r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#,
        r#""bytes""#,
        true,
        true,
    ),
    // Record fields and defaults.
    pair(
        "add field with default",
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}]}"#,
        true,
        true,
    ),
    pair(
        "add field without default",
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#,
        false,
        true,
    ),
    pair(
        "remove field with default",
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#,
        true,
        true,
    ),
    pair(
        "remove field without default",
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#,
        true,
        false,
    ),
    pair(
        "promote field type",
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}"#,
        true,
        false,
    ),
    pair(
        "add optional union field with null default",
        r#"{"type":"record","name":"R","fields":[]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"u","type":["null","int"],"default":null}]}"#,
        true,
        true,
    ),
    pair(
        "rename field with reader alias",
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"b","type":"int","aliases":["a"]}]}"#,
        true,
        false,
    ),
    pair(
        "rename field without alias",
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#,
        r#"{"type":"record","name":"R","fields":[{"name":"b","type":"int"}]}"#,
        false,
        false,
    ),
    pair(
        "rename record",
        r#"{"type":"record","name":"R1","fields":[{"name":"a","type":"int"}]}"#,
        r#"{"type":"record","name":"R2","fields":[{"name":"a","type":"int"}]}"#,
        false,
        false,
    ),
    pair(
        "rename record with reader alias",
        r#"{"type":"record","name":"R1","fields":[{"name":"a","type":"int"}]}"#,
        r#"{"type":"record","name":"R2","aliases":["R1"],"fields":[{"name":"a","type":"int"}]}"#,
        true,
        false,
    ),
    pair(
        "change record namespace only",
        r#"{"type":"record","name":"a.R","fields":[{"name":"x","type":"int"}]}"#,
        r#"{"type":"record","name":"b.R","fields":[{"name":"x","type":"int"}]}"#,
        true,
        true,
    ),
    pair(
        "record to map",
        r#"{"type":"record","name":"R","fields":[]}"#,
        r#"{"type":"map","values":"int"}"#,
        false,
        false,
    ),
    // Aliases are full names qualified by the reader's namespace.
    pair(
        "rename namespaced record with short alias",
        r#"{"type":"record","name":"n.R1","fields":[]}"#,
        r#"{"type":"record","name":"n.R2","aliases":["R1"],"fields":[]}"#,
        true,
        false,
    ),
    pair(
        "alias names another namespace",
        r#"{"type":"record","name":"m.R1","fields":[]}"#,
        r#"{"type":"record","name":"n.R2","aliases":["R1"],"fields":[]}"#,
        false,
        false,
    ),
    pair(
        "alias with explicit namespace",
        r#"{"type":"record","name":"m.R1","fields":[]}"#,
        r#"{"type":"record","name":"n.R2","aliases":["m.R1"],"fields":[]}"#,
        true,
        false,
    ),
    // Nested records.
    pair(
        "nested: add field without default",
        r#"{"type":"record","name":"Outer","fields":[{"name":"r","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"int"}]}}]}"#,
        r#"{"type":"record","name":"Outer","fields":[{"name":"r","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"int"},{"name":"y","type":"int"}]}}]}"#,
        false,
        true,
    ),
    pair(
        "nested: add field with default",
        r#"{"type":"record","name":"Outer","fields":[{"name":"r","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"int"}]}}]}"#,
        r#"{"type":"record","name":"Outer","fields":[{"name":"r","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"int"},{"name":"y","type":"int","default":0}]}}]}"#,
        true,
        true,
    ),
    pair(
        "nested: narrow a field",
        r#"{"type":"record","name":"Outer","fields":[{"name":"r","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"double"}]}}]}"#,
        r#"{"type":"record","name":"Outer","fields":[{"name":"r","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"float"}]}}]}"#,
        false,
        true,
    ),
    // Enums.
    pair(
        "enum add symbol",
        r#"{"type":"enum","name":"E","symbols":["A","B"]}"#,
        r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#,
        true,
        false,
    ),
    pair(
        "enum remove symbol",
        r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#,
        r#"{"type":"enum","name":"E","symbols":["A","B"]}"#,
        false,
        true,
    ),
    pair(
        "enum remove symbol, reader default",
        r#"{"type":"enum","name":"E","symbols":["A","B","C"],"default":"A"}"#,
        r#"{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}"#,
        true,
        true,
    ),
    pair(
        "enum add symbol, old reader default",
        r#"{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}"#,
        r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#,
        true,
        true,
    ),
    pair(
        "enum rename",
        r#"{"type":"enum","name":"E1","symbols":["A"]}"#,
        r#"{"type":"enum","name":"E2","symbols":["A"]}"#,
        false,
        false,
    ),
    pair(
        "enum rename with reader alias",
        r#"{"type":"enum","name":"E1","symbols":["A"]}"#,
        r#"{"type":"enum","name":"E2","aliases":["E1"],"symbols":["A"]}"#,
        true,
        false,
    ),
    pair(
        "enum to string",
        r#"{"type":"enum","name":"E","symbols":["A"]}"#,
        r#""string""#,
        false,
        false,
    ),
    // Unions.
    pair(
        "int to nullable int",
        r#""int""#,
        r#"["null","int"]"#,
        true,
        false,
    ),
    pair(
        "union add branch",
        r#"["null","int"]"#,
        r#"["null","int","string"]"#,
        true,
        false,
    ),
    pair(
        "union remove branch",
        r#"["null","int","string"]"#,
        r#"["null","int"]"#,
        false,
        true,
    ),
    pair(
        "nullable string to string",
        r#"["null","string"]"#,
        r#""string""#,
        false,
        true,
    ),
    pair(
        "union branch promoted",
        r#"["int","string"]"#,
        r#"["long","string"]"#,
        true,
        false,
    ),
    pair(
        "int to union needing promotion",
        r#""int""#,
        r#"["null","double"]"#,
        true,
        false,
    ),
    pair(
        "union reorder",
        r#"["null","string","int"]"#,
        r#"["int","null","string"]"#,
        true,
        true,
    ),
    pair(
        "union of records, add record",
        r#"[{"type":"record","name":"A","fields":[]}]"#,
        r#"[{"type":"record","name":"A","fields":[]},{"type":"record","name":"B","fields":[]}]"#,
        true,
        false,
    ),
    // Fixed.
    pair(
        "fixed same",
        r#"{"type":"fixed","name":"F","size":4}"#,
        r#"{"type":"fixed","name":"F","size":4}"#,
        true,
        true,
    ),
    pair(
        "fixed resize",
        r#"{"type":"fixed","name":"F","size":4}"#,
        r#"{"type":"fixed","name":"F","size":8}"#,
        false,
        false,
    ),
    pair(
        "fixed rename",
        r#"{"type":"fixed","name":"F","size":4}"#,
        r#"{"type":"fixed","name":"G","size":4}"#,
        false,
        false,
    ),
    pair(
        "fixed rename with reader alias",
        r#"{"type":"fixed","name":"F","size":4}"#,
        r#"{"type":"fixed","name":"G","aliases":["F"],"size":4}"#,
        true,
        false,
    ),
    pair(
        "fixed to bytes",
        r#"{"type":"fixed","name":"F","size":4}"#,
        r#""bytes""#,
        false,
        false,
    ),
    pair(
        "fixed to nullable fixed",
        r#"{"type":"fixed","name":"F","size":4}"#,
        r#"["null",{"type":"fixed","name":"F","size":4}]"#,
        true,
        false,
    ),
    // Arrays and maps.
    pair(
        "array items promoted",
        r#"{"type":"array","items":"int"}"#,
        r#"{"type":"array","items":"long"}"#,
        true,
        false,
    ),
    pair(
        "map values promoted",
        r#"{"type":"map","values":"int"}"#,
        r#"{"type":"map","values":"double"}"#,
        true,
        false,
    ),
    pair(
        "array to map",
        r#"{"type":"array","items":"int"}"#,
        r#"{"type":"map","values":"int"}"#,
        false,
        false,
    ),
    pair(
        "array of records, add field without default",
        r#"{"type":"array","items":{"type":"record","name":"I","fields":[]}}"#,
        r#"{"type":"array","items":{"type":"record","name":"I","fields":[{"name":"x","type":"int"}]}}"#,
        false,
        true,
    ),
    // Recursive types.
    pair(
        "recursive: promote a field",
        NODE_INT,
        NODE_LONG,
        true,
        false,
    ),
    pair(
        "recursive: add field with default",
        NODE_INT,
        NODE_TAGGED,
        true,
        true,
    ),
    pair(
        "recursive: add field without default",
        NODE_INT,
        NODE_UNTAGGED_REQUIRED,
        false,
        true,
    ),
];

/// Pairs (row name, direction) where apache-avro 0.22's checker, with
/// `Partial` counted as incompatible, disagrees with the specification/Java.
/// Direction `B` = new reads old, `F` = old reads new.
/// All three are the same gap: apache-avro ignores a reader's aliases on
/// named types (records, enums, fixed), which Java and the spec honour.
const APACHE_AVRO_DISAGREES: &[(&str, char)] = &[
    ("rename record with reader alias", 'B'),
    ("rename namespaced record with short alias", 'B'),
    ("alias with explicit namespace", 'B'),
    ("enum rename with reader alias", 'B'),
    ("fixed rename with reader alias", 'B'),
];

fn parse(text: &str) -> AvroSchema {
    match AvroSchema::parse(text, &[]) {
        Ok(s) => s,
        Err(e) => panic!("{text}: {e}"),
    }
}

fn apache_avro_can_read(writer: &AvroSchema, reader: &AvroSchema) -> bool {
    matches!(
        SchemaCompatibility::can_read(writer.schema(), reader.schema()),
        Ok(Compatibility::Full)
    )
}

#[test]
fn the_table_is_large_enough() {
    assert!(TABLE.len() >= 30, "{} pairs", TABLE.len());
    let mut names: Vec<&str> = TABLE.iter().map(|p| p.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), TABLE.len(), "row names must be unique");
}

#[test]
fn can_read_matches_the_specification() {
    let mut wrong = Vec::new();
    for p in TABLE {
        let (old, new) = (parse(p.old), parse(p.new));
        let backward = can_read(&old, &new);
        let forward = can_read(&new, &old);
        if backward.is_ok() != p.new_reads_old {
            wrong.push(format!(
                "{}: new reads old: expected {}, got {:?}",
                p.name, p.new_reads_old, backward
            ));
        }
        if forward.is_ok() != p.old_reads_new {
            wrong.push(format!(
                "{}: old reads new: expected {}, got {:?}",
                p.name, p.old_reads_new, forward
            ));
        }
        // Every schema reads its own data.
        assert!(can_read(&old, &old).is_ok(), "{}: old reads itself", p.name);
        assert!(can_read(&new, &new).is_ok(), "{}: new reads itself", p.name);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_level_follows_from_the_table() {
    let mut wrong = Vec::new();
    for p in TABLE {
        let (old, new) = (parse(p.old), parse(p.new));
        let history = [old];
        for level in CompatibilityLevel::ALL {
            let expected = match level {
                CompatibilityLevel::None => true,
                CompatibilityLevel::Backward | CompatibilityLevel::BackwardTransitive => {
                    p.new_reads_old
                }
                CompatibilityLevel::Forward | CompatibilityLevel::ForwardTransitive => {
                    p.old_reads_new
                }
                CompatibilityLevel::Full | CompatibilityLevel::FullTransitive => {
                    p.new_reads_old && p.old_reads_new
                }
            };
            let messages = check(level, &new, &history);
            if messages.is_empty() != expected {
                wrong.push(format!(
                    "{} at {level}: expected compatible={expected}, got {messages:?}",
                    p.name
                ));
            }
            // With no history everything is compatible.
            assert!(check(level, &new, &[]).is_empty());
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn apache_avro_disagrees_only_where_documented() {
    let mut disagreements = Vec::new();
    for p in TABLE {
        let (old, new) = (parse(p.old), parse(p.new));
        if apache_avro_can_read(&old, &new) != p.new_reads_old {
            disagreements.push((p.name, 'B'));
        }
        if apache_avro_can_read(&new, &old) != p.old_reads_new {
            disagreements.push((p.name, 'F'));
        }
    }
    assert_eq!(disagreements, APACHE_AVRO_DISAGREES);
}

/// Verdicts per level for `new` against a history (newest first).
fn verdicts(new: &str, history_newest_first: &[&str]) -> Vec<(CompatibilityLevel, bool)> {
    let new = parse(new);
    let history: Vec<AvroSchema> = history_newest_first.iter().map(|t| parse(t)).collect();
    CompatibilityLevel::ALL
        .into_iter()
        .map(|level| (level, check(level, &new, &history).is_empty()))
        .collect()
}

fn expect(pairs: &[(CompatibilityLevel, bool)]) -> Vec<(CompatibilityLevel, bool)> {
    pairs.to_vec()
}

use CompatibilityLevel::{
    Backward, BackwardTransitive, Forward, ForwardTransitive, Full, FullTransitive, None as NoCheck,
};

const V1_A: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
const V2_AB_DEFAULT: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}]}"#;
const V3_AB_DEFAULT_C: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"},{"name":"c","type":"long","default":0}]}"#;
const NEW_AB_REQUIRED: &str = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"},{"name":"c","type":"long","default":0}]}"#;

#[test]
fn transitive_backward_checks_every_version() {
    // `b` loses its default: the latest two versions wrote `b`, v1 did not.
    let got = verdicts(NEW_AB_REQUIRED, &[V3_AB_DEFAULT_C, V2_AB_DEFAULT, V1_A]);
    assert_eq!(
        got,
        expect(&[
            (NoCheck, true),
            (Backward, true),
            (BackwardTransitive, false),
            (Forward, true),
            (ForwardTransitive, true),
            (Full, true),
            (FullTransitive, false),
        ])
    );
}

#[test]
fn transitive_forward_checks_every_version() {
    // `c` is dropped: v3 gave it a default so v3 still reads new data, v1
    // required it and cannot.
    let v1 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"c","type":"int"}]}"#;
    let v2 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"c","type":"int"},{"name":"d","type":"int","default":1}]}"#;
    let v3 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"c","type":"int","default":0}]}"#;
    let new = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
    let got = verdicts(new, &[v3, v2, v1]);
    assert_eq!(
        got,
        expect(&[
            (NoCheck, true),
            (Backward, true),
            (BackwardTransitive, true),
            (Forward, true),
            (ForwardTransitive, false),
            (Full, true),
            (FullTransitive, false),
        ])
    );
}

#[test]
fn an_incompatible_latest_fails_every_level_but_none() {
    // Latest is a string field; new makes it an int: neither direction works.
    let v1 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
    let v2 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}"#;
    let v3 = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#;
    let got = verdicts(V1_A, &[v3, v2, v1]);
    assert_eq!(
        got,
        expect(&[
            (NoCheck, true),
            (Backward, false),
            (BackwardTransitive, false),
            (Forward, false),
            (ForwardTransitive, false),
            (Full, false),
            (FullTransitive, false),
        ])
    );
}

#[test]
fn messages_name_the_reason_and_the_location() {
    let new = parse(NEW_AB_REQUIRED);
    let history = [parse(V1_A)];
    let messages = check(Backward, &new, &history);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{}",
        messages[0]
    );
    assert!(messages[0].contains("/fields/1"), "{}", messages[0]);
    assert!(messages[0].contains("'b'"), "{}", messages[0]);

    let e1 = parse(r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#);
    let e2 = parse(r#"{"type":"enum","name":"E","symbols":["A"]}"#);
    let messages = check(Backward, &e2, &[e1]);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("MISSING_ENUM_SYMBOLS") && messages[0].contains("[B, C]"),
        "{}",
        messages[0]
    );
}
