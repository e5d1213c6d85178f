//! Every quickstart generates 100 records that validate against its schema
//! and encode in every output format; the encodings decode back.

use apache_avro::types::Value as Avro;
use ferry_datagen::format::json::to_json;
use ferry_datagen::{Generator, OutputFormat, Quickstart, ValueEncoder};
use prost_reflect::{DynamicMessage, ReflectMessage};

const RECORDS: usize = 100;

fn generator(quickstart: Quickstart) -> Generator {
    Generator::new(quickstart.schema(), Some(7))
        .unwrap()
        .with_key_field(quickstart.key_field())
        .unwrap()
}

#[test]
fn values_validate_and_keys_are_the_key_field() {
    for quickstart in Quickstart::ALL {
        let mut generator = generator(quickstart);
        let schema = generator.schema().clone();
        for _ in 0..RECORDS {
            let record = generator.next_record().unwrap();
            assert!(
                record.value.validate(&schema),
                "{quickstart}: {:?}",
                record.value
            );
            let Avro::Record(fields) = &record.value else {
                panic!()
            };
            let key = fields
                .iter()
                .find(|(n, _)| n == quickstart.key_field())
                .unwrap();
            let expected = match &key.1 {
                Avro::String(s) => s.clone(),
                other => to_json(other).to_string(),
            };
            assert_eq!(
                record.key.as_deref(),
                Some(expected.as_str()),
                "{quickstart}"
            );
        }
    }
}

#[test]
fn avro_values_decode_with_the_registered_schema() {
    for quickstart in Quickstart::ALL {
        let mut generator = generator(quickstart);
        let encoder = ValueEncoder::new(OutputFormat::Avro, &generator).unwrap();
        let schema = apache_avro::Schema::parse_str(encoder.schema_text().unwrap()).unwrap();
        let reader = apache_avro::reader::datum::GenericDatumReader::builder(&schema)
            .build()
            .unwrap();
        for _ in 0..RECORDS {
            let record = generator.next_record().unwrap();
            let bytes = encoder.encode(&record.value, 9).unwrap();
            assert_eq!(&bytes[..5], &[0, 0, 0, 0, 9]);
            assert_eq!(
                reader.read_value(&mut &bytes[5..]).unwrap(),
                record.value,
                "{quickstart}"
            );
        }
    }
}

#[test]
fn json_and_json_sr_documents_follow_the_derived_schema() {
    for quickstart in Quickstart::ALL {
        let mut generator = generator(quickstart);
        let plain = ValueEncoder::new(OutputFormat::Json, &generator).unwrap();
        assert!(plain.schema_text().is_none());
        let sr = ValueEncoder::new(OutputFormat::JsonSr, &generator).unwrap();
        let json_schema: serde_json::Value =
            serde_json::from_str(sr.schema_text().unwrap()).unwrap();
        assert_eq!(json_schema["type"], "object");
        let properties = json_schema["properties"].as_object().unwrap();
        for _ in 0..RECORDS {
            let record = generator.next_record().unwrap();
            let bytes = plain.encode(&record.value, 0).unwrap();
            assert_eq!(bytes, to_json(&record.value).to_string().into_bytes());
            let document: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let framed = sr.encode(&record.value, 3).unwrap();
            assert_eq!(&framed[..5], &[0, 0, 0, 0, 3]);
            assert_eq!(&framed[5..], &bytes[..]);
            let object = document.as_object().unwrap();
            assert_eq!(object.len(), properties.len(), "{quickstart}");
            for (name, value) in object {
                let expected = properties[name]["type"].as_str().unwrap();
                let actual = match value {
                    serde_json::Value::String(_) => "string",
                    serde_json::Value::Number(n) if n.is_i64() => "integer",
                    serde_json::Value::Number(_) => "number",
                    serde_json::Value::Object(_) => "object",
                    serde_json::Value::Array(_) => "array",
                    serde_json::Value::Bool(_) => "boolean",
                    serde_json::Value::Null => "null",
                };
                assert!(
                    actual == expected || (actual == "integer" && expected == "number"),
                    "{quickstart}.{name}: {actual} vs {expected}"
                );
            }
        }
    }
}

#[test]
fn protobuf_messages_decode_with_the_derived_schema() {
    for quickstart in Quickstart::ALL {
        let mut generator = generator(quickstart);
        let encoder = ValueEncoder::new(OutputFormat::Protobuf, &generator).unwrap();
        let text = encoder.schema_text().unwrap();
        // CLICKSTREAM has `time` and `_time`, which proto3 forbids together.
        let syntax = if quickstart == Quickstart::Clickstream {
            "proto2"
        } else {
            "proto3"
        };
        assert!(
            text.starts_with(&format!("syntax = \"{syntax}\";")),
            "{text}"
        );
        let proto =
            ferry_datagen::format::protobuf::ProtobufSchema::derive(generator.schema()).unwrap();
        for _ in 0..RECORDS {
            let record = generator.next_record().unwrap();
            let bytes = encoder.encode(&record.value, 4).unwrap();
            // Magic, id, message indexes [0].
            assert_eq!(&bytes[..6], &[0, 0, 0, 0, 4, 0]);
            let message = DynamicMessage::decode(proto.descriptor().clone(), &bytes[6..]).unwrap();
            assert_eq!(
                proto_json(&prost_reflect::Value::Message(message)),
                avro_json(&record.value),
                "{quickstart}"
            );
        }
    }
}

/// An Avro value in a form comparable with [`proto_json`]: enums as their
/// index, bytes and decimals as bytes, numbers as f64.
fn avro_json(value: &Avro) -> serde_json::Value {
    use serde_json::json;
    match value {
        Avro::Enum(index, _) => json!(index),
        Avro::Decimal(d) => json!(<Vec<u8>>::try_from(d).unwrap()),
        Avro::Bytes(b) | Avro::Fixed(_, b) => json!(b),
        Avro::Int(n) | Avro::Date(n) => json!(f64::from(*n)),
        Avro::Long(n) | Avro::TimestampMillis(n) => json!(*n as f64),
        Avro::Float(f) => json!(f64::from(*f)),
        Avro::Double(f) => json!(f),
        Avro::Array(items) => serde_json::Value::Array(items.iter().map(avro_json).collect()),
        Avro::Map(m) => m.iter().map(|(k, v)| (k.clone(), avro_json(v))).collect(),
        Avro::Record(fields) => fields
            .iter()
            .map(|(k, v)| (k.clone(), avro_json(v)))
            .collect(),
        Avro::Union(_, inner) => avro_json(inner),
        other => to_json(other),
    }
}

fn proto_json(value: &prost_reflect::Value) -> serde_json::Value {
    use prost_reflect::{MapKey, Value as P};
    use serde_json::json;
    match value {
        P::Bool(b) => json!(b),
        P::I32(n) => json!(f64::from(*n)),
        P::I64(n) => json!(*n as f64),
        P::F32(f) => json!(f64::from(*f)),
        P::F64(f) => json!(f),
        P::String(s) => json!(s),
        P::Bytes(b) => json!(b.to_vec()),
        P::EnumNumber(n) => json!(n),
        P::List(items) => serde_json::Value::Array(items.iter().map(proto_json).collect()),
        P::Map(m) => m
            .iter()
            .map(|(k, v)| match k {
                MapKey::String(k) => (k.clone(), proto_json(v)),
                other => panic!("map key {other:?}"),
            })
            .collect(),
        P::Message(m) => m
            .descriptor()
            .fields()
            .map(|f| (f.name().to_owned(), proto_json(&m.get_field(&f))))
            .collect(),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn orders_proto_schema_reads_like_confluents() {
    let generator = generator(Quickstart::Orders);
    let encoder = ValueEncoder::new(OutputFormat::Protobuf, &generator).unwrap();
    let text = encoder.schema_text().unwrap();
    for line in [
        "package ksql;",
        "message orders {",
        "  int64 ordertime = 1;",
        "  int32 orderid = 2;",
        "  string itemid = 3;",
        "  double orderunits = 4;",
        "  .ksql.address address = 5;",
        "message address {",
        "  int64 zipcode = 3;",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}
