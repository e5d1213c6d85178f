//! DatagenSource connector configs: what is accepted, defaults, and errors
//! that name the key.

use std::collections::BTreeMap;

use ferry_datagen::{DatagenConfig, DatagenError, OutputFormat, Quickstart, SchemaSource};

fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The seed walkthrough's connector, as Confluent Cloud takes it.
fn orders() -> BTreeMap<String, String> {
    config(&[
        ("connector.class", "DatagenSource"),
        ("name", "DatagenSourceConnector_0"),
        ("kafka.auth.mode", "KAFKA_API_KEY"),
        ("kafka.api.key", "KEY"),
        ("kafka.api.secret", "SECRET"),
        ("kafka.topic", "sample_order_data"),
        ("output.data.format", "AVRO"),
        ("quickstart", "ORDERS"),
        ("tasks.max", "1"),
    ])
}

fn error_key(map: &BTreeMap<String, String>) -> String {
    match DatagenConfig::parse(map) {
        Err(DatagenError::Config { key, .. }) => key,
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn the_seed_connector_parses_with_defaults() {
    let parsed = DatagenConfig::parse(&orders()).unwrap();
    assert_eq!(parsed.name, "DatagenSourceConnector_0");
    assert_eq!(parsed.kafka_topic, "sample_order_data");
    assert_eq!(parsed.schema, SchemaSource::Quickstart(Quickstart::Orders));
    assert_eq!(parsed.key_field.as_deref(), Some("orderid"));
    assert_eq!(parsed.output_format, OutputFormat::Avro);
    assert_eq!(parsed.max_interval_ms, 1000);
    assert_eq!(parsed.iterations, None);
    assert_eq!(parsed.random_seed, None);
    let mut generator = parsed.generator().unwrap();
    assert_eq!(generator.next_record().unwrap().key.as_deref(), Some("0"));
}

#[test]
fn optional_keys_are_read() {
    let mut map = orders();
    map.insert("quickstart".into(), "stock_trades".into());
    map.insert("output.data.format".into(), "json_sr".into());
    map.insert("max.interval".into(), "10".into());
    map.insert("iterations".into(), "5".into());
    map.insert("random.seed".into(), "-42".into());
    let parsed = DatagenConfig::parse(&map).unwrap();
    assert_eq!(
        parsed.schema,
        SchemaSource::Quickstart(Quickstart::StockTrades)
    );
    assert_eq!(parsed.key_field.as_deref(), Some("symbol"));
    assert_eq!(parsed.output_format, OutputFormat::JsonSr);
    assert_eq!(
        (
            parsed.max_interval_ms,
            parsed.iterations,
            parsed.random_seed
        ),
        (10, Some(5), Some(-42))
    );
    let mut a = parsed.generator().unwrap();
    let mut b = parsed.generator().unwrap();
    assert_eq!(a.next_record().unwrap(), b.next_record().unwrap());
    assert!(!parsed.is_done(&a.state()));
    map.insert("iterations".into(), "-1".into());
    assert_eq!(DatagenConfig::parse(&map).unwrap().iterations, None);
}

#[test]
fn schema_string_with_its_own_key_field() {
    let mut map = orders();
    map.remove("quickstart");
    map.insert(
        "schema.string".into(),
        r#"{"type":"record","name":"r","fields":[{"name":"id","type":{"type":"long","arg.properties":{"iteration":{"start":100}}}}]}"#.into(),
    );
    assert_eq!(DatagenConfig::parse(&map).unwrap().key_field, None);
    map.insert("schema.keyfield".into(), "id".into());
    let parsed = DatagenConfig::parse(&map).unwrap();
    assert_eq!(
        parsed
            .generator()
            .unwrap()
            .next_record()
            .unwrap()
            .key
            .as_deref(),
        Some("100")
    );
}

/// A change to a good config that makes it bad.
type Edit = dyn Fn(&mut BTreeMap<String, String>);

#[test]
fn bad_configs_name_the_key() {
    let cases: Vec<(&str, Box<Edit>)> = vec![
        (
            "connector.class",
            Box::new(|m| drop(m.remove("connector.class"))),
        ),
        (
            "connector.class",
            Box::new(|m| drop(m.insert("connector.class".into(), "S3Sink".into()))),
        ),
        ("name", Box::new(|m| drop(m.remove("name")))),
        ("kafka.topic", Box::new(|m| drop(m.remove("kafka.topic")))),
        (
            "kafka.topic",
            Box::new(|m| drop(m.insert("kafka.topic".into(), "bad topic!".into()))),
        ),
        (
            "quickstart",
            Box::new(|m| drop(m.insert("quickstart".into(), "ORDERZ".into()))),
        ),
        ("quickstart", Box::new(|m| drop(m.remove("quickstart")))),
        (
            "quickstart",
            Box::new(|m| drop(m.insert("schema.string".into(), "{}".into()))),
        ),
        (
            "schema.filename",
            Box::new(|m| drop(m.insert("schema.filename".into(), "/tmp/x.avsc".into()))),
        ),
        (
            "schema.keyfield",
            Box::new(|m| drop(m.insert("schema.keyfield".into(), "nope".into()))),
        ),
        (
            "output.data.format",
            Box::new(|m| drop(m.insert("output.data.format".into(), "XML".into()))),
        ),
        (
            "output.data.format",
            Box::new(|m| drop(m.remove("output.data.format"))),
        ),
        (
            "max.interval",
            Box::new(|m| drop(m.insert("max.interval".into(), "-5".into()))),
        ),
        (
            "iterations",
            Box::new(|m| drop(m.insert("iterations".into(), "many".into()))),
        ),
        (
            "random.seed",
            Box::new(|m| drop(m.insert("random.seed".into(), "1.5".into()))),
        ),
        (
            "tasks.max",
            Box::new(|m| drop(m.insert("tasks.max".into(), "2".into()))),
        ),
        (
            "schema.string",
            Box::new(|m| {
                m.remove("quickstart");
                m.insert(
                    "schema.string".into(),
                    r#"{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"int","arg.properties":{"range":{"min":3,"max":1}}}}]}"#.into(),
                );
            }),
        ),
        (
            "schema.string",
            Box::new(|m| {
                m.remove("quickstart");
                m.insert("schema.string".into(), "not json".into());
            }),
        ),
    ];
    for (key, edit) in cases {
        let mut map = orders();
        edit(&mut map);
        assert_eq!(error_key(&map), key, "{map:?}");
    }
}

#[test]
fn formats_that_cannot_express_the_schema_are_refused_at_creation() {
    let mut map = orders();
    map.remove("quickstart");
    map.insert("output.data.format".into(), "PROTOBUF".into());
    map.insert(
        "schema.string".into(),
        r#"{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"array","items":{"type":"array","items":"int"}}}]}"#.into(),
    );
    assert_eq!(error_key(&map), "output.data.format");
    map.insert("output.data.format".into(), "AVRO".into());
    DatagenConfig::parse(&map).unwrap();
}
