//! A JSON Schema (draft-07) for the JSON documents [`super::json::to_json`]
//! writes, derived from the Avro schema, for `output.data.format=JSON_SR`.
//!
//! The shape follows what Confluent's JSON Schema converter registers for a
//! Connect schema: records are objects titled with the record's full name,
//! fields carry `connect.index` and `connect.type` so Confluent's
//! deserializers map them back to the Avro/Connect types, optional fields
//! (`["null", T]`) are `oneOf` null and T.

use std::collections::HashMap;

use apache_avro::Schema;
use serde_json::{Map, Value, json};

use crate::error::DatagenError;

const FORMAT: &str = "JSON_SR";

/// The JSON Schema text for values of `schema`.
pub fn derive(schema: &Schema) -> Result<Value, DatagenError> {
    let mut names = HashMap::new();
    let mut derived = convert(schema, &mut names, &mut Vec::new())?;
    if let Value::Object(object) = &mut derived {
        object.insert(
            "$schema".into(),
            json!("http://json-schema.org/draft-07/schema#"),
        );
    }
    Ok(derived)
}

fn convert<'a>(
    schema: &'a Schema,
    names: &mut HashMap<String, &'a Schema>,
    open: &mut Vec<String>,
) -> Result<Value, DatagenError> {
    Ok(match schema {
        Schema::Null => json!({"type": "null"}),
        Schema::Boolean => json!({"type": "boolean"}),
        Schema::Int | Schema::Date | Schema::TimeMillis => {
            json!({"type": "integer", "connect.type": "int32"})
        }
        Schema::Long
        | Schema::TimeMicros
        | Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => json!({"type": "integer", "connect.type": "int64"}),
        Schema::Float => json!({"type": "number", "connect.type": "float32"}),
        Schema::Double => json!({"type": "number", "connect.type": "float64"}),
        Schema::String | Schema::Uuid(_) | Schema::BigDecimal => json!({"type": "string"}),
        Schema::Bytes | Schema::Decimal(_) | Schema::Duration(_) => {
            json!({"type": "string", "connect.type": "bytes"})
        }
        Schema::Fixed(fixed) => {
            names.insert(fixed.name.fullname(None), schema);
            json!({"type": "string", "connect.type": "bytes"})
        }
        Schema::Enum(enumeration) => {
            names.insert(enumeration.name.fullname(None), schema);
            json!({"type": "string", "enum": enumeration.symbols})
        }
        Schema::Array(array) => {
            json!({"type": "array", "items": convert(&array.items, names, open)?})
        }
        Schema::Map(map) => {
            json!({"type": "object", "additionalProperties": convert(&map.types, names, open)?})
        }
        Schema::Union(union) => {
            let branches = union
                .variants()
                .iter()
                .map(|branch| convert(branch, names, open))
                .collect::<Result<Vec<_>, _>>()?;
            json!({"oneOf": branches})
        }
        Schema::Record(record) => {
            let full = record.name.fullname(None);
            names.insert(full.clone(), schema);
            open.push(full.clone());
            let mut properties = Map::new();
            let mut required = Vec::new();
            for (index, field) in record.fields.iter().enumerate() {
                let mut property = convert(&field.schema, names, open)?;
                if let Value::Object(object) = &mut property {
                    object.insert("connect.index".into(), json!(index));
                }
                let nullable = matches!(&field.schema, Schema::Union(u) if u.is_nullable());
                if !nullable {
                    required.push(Value::String(field.name.clone()));
                }
                properties.insert(field.name.clone(), property);
            }
            open.pop();
            json!({
                "type": "object",
                "title": full,
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            })
        }
        Schema::Ref { name } => {
            let full = name.fullname(None);
            if open.contains(&full) {
                return Err(DatagenError::Unsupported {
                    format: FORMAT,
                    message: format!("the recursive type {full}"),
                });
            }
            let target = names
                .get(&full)
                .copied()
                .ok_or_else(|| DatagenError::Unsupported {
                    format: FORMAT,
                    message: format!("the reference to {full} before its definition"),
                })?;
            convert(target, names, open)?
        }
    })
}
