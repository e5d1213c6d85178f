//! Unit tests of the generator's per-type behaviour.

use apache_avro::types::Value as Avro;

use super::{Generator, GeneratorState, task_seed};

fn field<'a>(value: &'a Avro, name: &str) -> &'a Avro {
    match value {
        Avro::Record(fields) => &fields.iter().find(|(n, _)| n == name).unwrap().1,
        other => panic!("not a record: {other:?}"),
    }
}

/// Encodes `value` with `schema` and decodes it again.
fn round_trip(schema: &apache_avro::Schema, value: &Avro) -> Avro {
    let bytes = apache_avro::writer::datum::GenericDatumWriter::builder(schema)
        .build()
        .unwrap()
        .write_value_to_vec(value.clone())
        .unwrap();
    apache_avro::reader::datum::GenericDatumReader::builder(schema)
        .build()
        .unwrap()
        .read_value(&mut bytes.as_slice())
        .unwrap()
}

fn record(fields: &str) -> String {
    format!(r#"{{"type":"record","name":"t","namespace":"n","fields":[{fields}]}}"#)
}

#[test]
fn options_pick_only_listed_values() {
    let schema = record(
        r#"{"name":"s","type":{"type":"string","arg.properties":{"options":["a","b"]}}},
           {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y","Z"],"arg.properties":{"options":["Z"]}}},
           {"name":"r","type":{"type":"record","name":"R","fields":[{"name":"x","type":"int"},{"name":"y","type":"int","default":9}],
              "arg.properties":{"options":[{"x":1}]}}}"#,
    );
    let mut generator = Generator::new(&schema, Some(1)).unwrap();
    for _ in 0..50 {
        let value = generator.next_record().unwrap().value;
        assert!(matches!(field(&value, "s"), Avro::String(s) if s == "a" || s == "b"));
        assert_eq!(field(&value, "e"), &Avro::Enum(2, "Z".into()));
        assert_eq!(
            field(&value, "r"),
            &Avro::Record(vec![("x".into(), Avro::Int(1)), ("y".into(), Avro::Int(9))])
        );
    }
}

#[test]
fn ranges_lengths_prefix_suffix_odds_keys() {
    let schema = record(
        r#"{"name":"i","type":{"type":"int","arg.properties":{"range":{"min":-5,"max":5}}}},
           {"name":"f","type":{"type":"float","arg.properties":{"range":{"min":1.5,"max":2}}}},
           {"name":"s","type":{"type":"string","arg.properties":{"length":{"min":2,"max":4},"prefix":"<","suffix":">"}}},
           {"name":"b","type":{"type":"bytes","arg.properties":{"length":3}}},
           {"name":"a","type":{"type":"array","items":"int","arg.properties":{"length":{"max":3}}}},
           {"name":"m","type":{"type":"map","values":"long","arg.properties":{"length":2,"keys":{"regex":"k[0-9]{3}"}}}},
           {"name":"t","type":{"type":"boolean","arg.properties":{"odds":1.0}}},
           {"name":"o","type":{"type":"boolean","arg.properties":{"odds":0.0}}}"#,
    );
    let mut generator = Generator::new(&schema, Some(2)).unwrap();
    let key = regex::Regex::new("^k[0-9]{3}$").unwrap();
    for _ in 0..200 {
        let value = generator.next_record().unwrap().value;
        assert!(matches!(field(&value, "i"), Avro::Int(n) if (-5..5).contains(n)));
        assert!(matches!(field(&value, "f"), Avro::Float(x) if (1.5..2.0).contains(x)));
        let Avro::String(s) = field(&value, "s") else {
            panic!()
        };
        assert!(
            s.starts_with('<') && s.ends_with('>') && (4..=5).contains(&s.chars().count()),
            "{s:?}"
        );
        assert!(matches!(field(&value, "b"), Avro::Bytes(b) if b.len() == 3));
        assert!(matches!(field(&value, "a"), Avro::Array(a) if a.len() < 3));
        let Avro::Map(m) = field(&value, "m") else {
            panic!()
        };
        assert!(!m.is_empty() && m.len() <= 2 && m.keys().all(|k| key.is_match(k)));
        assert_eq!(field(&value, "t"), &Avro::Boolean(true));
        assert_eq!(field(&value, "o"), &Avro::Boolean(false));
    }
}

#[test]
fn unions_enums_fixed_and_recursion() {
    let schema = record(
        r#"{"name":"u","type":["null","string",{"type":"int","arg.properties":{"range":{"min":0,"max":3}}}]},
           {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
           {"name":"x","type":{"type":"fixed","name":"F","size":5}},
           {"name":"again","type":"F"},
           {"name":"list","type":{"type":"record","name":"Node","fields":[
               {"name":"next","type":["null","Node"]}]}}"#,
    );
    let mut generator = Generator::new(&schema, Some(3)).unwrap();
    let mut branches = [false; 3];
    for _ in 0..100 {
        let value = generator.next_record().unwrap().value;
        let Avro::Union(index, inner) = field(&value, "u") else {
            panic!()
        };
        branches[*index as usize] = true;
        if *index == 2 {
            assert!(matches!(**inner, Avro::Int(0..3)));
        }
        assert!(matches!(field(&value, "e"), Avro::Enum(0 | 1, _)));
        assert!(matches!(field(&value, "x"), Avro::Fixed(5, b) if b.len() == 5));
        assert!(matches!(field(&value, "again"), Avro::Fixed(5, _)));
        round_trip(generator.schema(), &value);
    }
    assert_eq!(branches, [true; 3]);
}

#[test]
fn logical_types_encode() {
    let schema = record(
        r#"{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":20,"scale":2}},
           {"name":"fd","type":{"type":"fixed","name":"FD","size":8,"logicalType":"decimal","precision":10,"scale":0}},
           {"name":"u","type":{"type":"string","logicalType":"uuid"}},
           {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis","arg.properties":{"range":{"min":0,"max":10}}}},
           {"name":"day","type":{"type":"int","logicalType":"date"}}"#,
    );
    let mut generator = Generator::new(&schema, Some(4)).unwrap();
    for _ in 0..50 {
        let value = generator.next_record().unwrap().value;
        // Values carry their logical types, exactly as a reader decodes them.
        assert_eq!(round_trip(generator.schema(), &value), value);
        assert!(matches!(field(&value, "ts"), Avro::TimestampMillis(0..10)));
        assert!(matches!(field(&value, "d"), Avro::Decimal(_)));
        assert!(matches!(field(&value, "u"), Avro::Uuid(_)));
        assert!(matches!(field(&value, "day"), Avro::Date(_)));
    }
}

#[test]
fn resume_continues_the_same_stream() {
    let schema = super::super::Quickstart::Orders.schema();
    let mut first = Generator::new(schema, Some(99)).unwrap();
    let all: Vec<_> = (0..10).map(|_| first.next_record().unwrap()).collect();
    let mut again = Generator::new(schema, Some(99)).unwrap();
    for _ in 0..4 {
        again.next_record().unwrap();
    }
    let state = again.state();
    assert_eq!(state.iteration, 4);
    let mut resumed = Generator::resume(schema, state).unwrap();
    let rest: Vec<_> = (0..6).map(|_| resumed.next_record().unwrap()).collect();
    assert_eq!(&all[4..], &rest[..]);
    assert_ne!(
        state,
        GeneratorState {
            iteration: 4,
            seed: 99
        }
    );
}

#[test]
fn task_seeds_differ_per_task() {
    assert_eq!(task_seed(5, 0), 5);
    assert_ne!(task_seed(5, 1), task_seed(5, 2));
}

#[test]
fn bad_annotations_name_the_path() {
    for (schema, needle) in [
        (
            record(
                r#"{"name":"a","type":{"type":"int","arg.properties":{"range":{"min":5,"max":5}}}}"#,
            ),
            "t.a",
        ),
        (
            record(r#"{"name":"a","type":{"type":"string","arg.properties":{"regex":"[a-"}}}"#),
            "invalid regex",
        ),
        (
            record(r#"{"name":"a","type":{"type":"string","arg.properties":{"options":[]}}}"#),
            "empty",
        ),
        (
            record(r#"{"name":"a","type":{"type":"int","arg.properties":{"options":["x"]}}}"#),
            "invalid option",
        ),
        (
            record(
                r#"{"name":"a","type":{"type":"string","arg.properties":{"options":["x"],"regex":"y"}}}"#,
            ),
            "cannot specify regex",
        ),
        (
            record(r#"{"name":"a","type":{"type":"boolean","arg.properties":{"odds":2}}}"#),
            "odds",
        ),
        (
            record(
                r#"{"name":"a","type":{"type":"string","arg.properties":{"length":{"min":4,"max":2}}}}"#,
            ),
            "length",
        ),
        (
            record(r#"{"name":"a","type":{"type":"int","arg.properties":"x"}}"#),
            "must be an object",
        ),
        (
            record(
                r#"{"name":"a","type":{"type":"bytes","arg.properties":{"iteration":{"start":1}}}}"#,
            ),
            "iteration",
        ),
    ] {
        let err = Generator::new(&schema, Some(1)).unwrap_err().to_string();
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
    assert!(Generator::new("{", None).is_err());
    assert!(
        Generator::new(
            r#"{"type":"record","name":"x","fields":[{"name":"a","type":"nope"}]}"#,
            None
        )
        .is_err()
    );
}

#[test]
fn unseeded_generators_differ() {
    let schema = super::super::Quickstart::Orders.schema();
    let a = Generator::new(schema, None).unwrap().next_record().unwrap();
    let b = Generator::new(schema, None).unwrap().next_record().unwrap();
    assert_ne!(a.value, b.value);
}

#[test]
fn huge_records_are_refused_not_built() {
    let schema = record(
        r#"{"name":"a","type":{"type":"array","arg.properties":{"length":60000},"items":
            {"type":"array","arg.properties":{"length":60000},"items":"int"}}}"#,
    );
    let mut generator = Generator::new(&schema, Some(1)).unwrap();
    let err = generator.next_record().unwrap_err().to_string();
    assert!(err.contains("more than"), "{err}");
    let fixed = record(r#"{"name":"f","type":{"type":"fixed","name":"F","size":100000000000}}"#);
    assert!(Generator::new(&fixed, Some(1)).is_err());
}
