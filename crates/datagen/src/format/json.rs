//! Avro values as plain JSON, as Kafka Connect's JSON converters write them:
//! a union is its branch's value (no `{"string": ...}` wrapper), an enum its
//! symbol, bytes and fixed base64 text, logical types their underlying number.

use apache_avro::types::Value as Avro;
use base64::Engine as _;
use serde_json::{Map, Number, Value};

/// `value` as a JSON document.
pub fn to_json(value: &Avro) -> Value {
    match value {
        Avro::Null => Value::Null,
        Avro::Boolean(b) => Value::Bool(*b),
        Avro::Int(n) | Avro::Date(n) | Avro::TimeMillis(n) => Value::from(*n),
        Avro::Long(n)
        | Avro::TimeMicros(n)
        | Avro::TimestampMillis(n)
        | Avro::TimestampMicros(n)
        | Avro::TimestampNanos(n)
        | Avro::LocalTimestampMillis(n)
        | Avro::LocalTimestampMicros(n)
        | Avro::LocalTimestampNanos(n) => Value::from(*n),
        Avro::Float(f) => float(f64::from(*f)),
        Avro::Double(f) => float(*f),
        Avro::Bytes(bytes) | Avro::Fixed(_, bytes) => Value::String(base64(bytes)),
        Avro::String(s) => Value::String(s.clone()),
        Avro::Enum(_, symbol) => Value::String(symbol.clone()),
        Avro::Union(_, inner) => to_json(inner),
        Avro::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Avro::Map(entries) => {
            let mut keys: Vec<&String> = entries.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .filter_map(|k| entries.get(k).map(|v| (k.clone(), to_json(v))))
                    .collect::<Map<_, _>>(),
            )
        }
        Avro::Record(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, v)| (name.clone(), to_json(v)))
                .collect(),
        ),
        Avro::Decimal(decimal) => match <Vec<u8>>::try_from(decimal) {
            Ok(bytes) => Value::String(base64(&bytes)),
            Err(_) => Value::Null,
        },
        Avro::BigDecimal(decimal) => Value::String(decimal.to_string()),
        Avro::Uuid(uuid) => Value::String(uuid.to_string()),
        Avro::Duration(duration) => {
            let bytes: [u8; 12] = (*duration).into();
            Value::String(base64(&bytes))
        }
    }
}

/// The record key text of a key field's value: strings as they are, numbers
/// and booleans in decimal, anything else as JSON; `None` for null.
pub fn key_text(value: &Avro) -> Option<String> {
    match value {
        Avro::Null => None,
        Avro::Union(_, inner) => key_text(inner),
        Avro::String(s) | Avro::Enum(_, s) => Some(s.clone()),
        other => match to_json(other) {
            Value::String(s) => Some(s),
            json => Some(json.to_string()),
        },
    }
}

fn float(f: f64) -> Value {
    Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
