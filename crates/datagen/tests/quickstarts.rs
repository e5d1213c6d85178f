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
                    other => panic!("unexpected {other}"),
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
            let Avro::Record(fields) = &record.value else {
                panic!()
            };
            for (name, value) in fields {
                let decoded = message.get_field_by_name(name).unwrap();
                match (value, decoded.as_ref()) {
                    (Avro::String(s), prost_reflect::Value::String(d)) => assert_eq!(s, d),
                    (Avro::Int(n), prost_reflect::Value::I32(d)) => assert_eq!(n, d),
                    (Avro::Long(n), prost_reflect::Value::I64(d)) => assert_eq!(n, d),
                    (Avro::Double(n), prost_reflect::Value::F64(d)) => assert_eq!(n, d),
                    (Avro::Record(_), prost_reflect::Value::Message(m)) => {
                        assert_eq!(m.descriptor().name(), "address");
                    }
                    (v, d) => panic!("{quickstart}.{name}: {v:?} decoded as {d:?}"),
                }
            }
        }
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
