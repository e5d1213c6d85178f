//! Converting an `options` entry (JSON) to an Avro value of the annotated
//! type, with the conversions the Java generator makes: a string option for
//! `bytes` or `fixed` is its bytes, a string for an `enum` is a symbol, an
//! object for a record gives its fields (missing ones take the field's
//! default), and an option of a union is the first branch it fits.

use apache_avro::types::Value as Avro;
use serde_json::Value;

use crate::tree::{Kind, MAX_DEPTH, NodeId, SchemaTree};

/// `json` as a value of node `id`; the error says why it does not fit.
pub(crate) fn json_to_avro(
    tree: &SchemaTree,
    id: NodeId,
    json: &Value,
    depth: usize,
) -> Result<Avro, String> {
    if depth > MAX_DEPTH {
        return Err("nested too deeply".into());
    }
    let node = tree.resolve(id);
    let mismatch = |what: &str| Err(format!("expected {what}"));
    match (&node.kind, json) {
        (Kind::Null, Value::Null) => Ok(Avro::Null),
        (Kind::Null, _) => mismatch("null"),
        (Kind::Boolean, Value::Bool(b)) => Ok(Avro::Boolean(*b)),
        (Kind::Boolean, _) => mismatch("a boolean"),
        (Kind::Int, Value::Number(n)) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(Avro::Int)
            .ok_or_else(|| "expected an int".into()),
        (Kind::Int, _) => mismatch("an int"),
        (Kind::Long, Value::Number(n)) => n
            .as_i64()
            .map(Avro::Long)
            .ok_or_else(|| "expected a long".into()),
        (Kind::Long, _) => mismatch("a long"),
        (Kind::Float, Value::Number(n)) => n
            .as_f64()
            .map(|f| Avro::Float(f as f32))
            .ok_or_else(|| "expected a number".into()),
        (Kind::Double, Value::Number(n)) => n
            .as_f64()
            .map(Avro::Double)
            .ok_or_else(|| "expected a number".into()),
        (Kind::Float | Kind::Double, _) => mismatch("a number"),
        (Kind::String { .. }, Value::String(s)) => Ok(Avro::String(s.clone())),
        (Kind::String { .. }, _) => mismatch("a string"),
        (Kind::Bytes { .. }, Value::String(s)) => Ok(Avro::Bytes(s.as_bytes().to_vec())),
        (Kind::Bytes { .. }, _) => mismatch("a string (its bytes)"),
        (Kind::Fixed { size, .. }, Value::String(s)) if s.len() == *size => {
            Ok(Avro::Fixed(*size, s.as_bytes().to_vec()))
        }
        (Kind::Fixed { size, .. }, _) => Err(format!("expected a string of {size} bytes")),
        (Kind::Enum { symbols }, Value::String(s)) => symbols
            .iter()
            .position(|symbol| symbol == s)
            .map(|i| Avro::Enum(i as u32, s.clone()))
            .ok_or_else(|| format!("{s:?} is not one of the symbols {symbols:?}")),
        (Kind::Enum { .. }, _) => mismatch("an enum symbol"),
        (Kind::Array(item), Value::Array(items)) => items
            .iter()
            .map(|v| json_to_avro(tree, *item, v, depth + 1))
            .collect::<Result<_, _>>()
            .map(Avro::Array),
        (Kind::Array(_), _) => mismatch("an array"),
        (Kind::Map(value), Value::Object(entries)) => entries
            .iter()
            .map(|(k, v)| json_to_avro(tree, *value, v, depth + 1).map(|v| (k.clone(), v)))
            .collect::<Result<_, _>>()
            .map(Avro::Map),
        (Kind::Map(_), _) => mismatch("an object"),
        (Kind::Record { fields, .. }, Value::Object(object)) => {
            let mut record = Vec::with_capacity(fields.len());
            for field in fields {
                let value = match (object.get(&field.name), &field.default) {
                    (Some(v), _) | (None, Some(v)) => json_to_avro(tree, field.node, v, depth + 1)
                        .map_err(|e| format!("field {}: {e}", field.name))?,
                    (None, None) => {
                        return Err(format!(
                            "field {} is missing and has no default",
                            field.name
                        ));
                    }
                };
                record.push((field.name.clone(), value));
            }
            Ok(Avro::Record(record))
        }
        (Kind::Record { .. }, _) => mismatch("an object"),
        (Kind::Union(branches), _) => {
            let mut last = String::from("empty union");
            for (index, branch) in branches.iter().enumerate() {
                match json_to_avro(tree, *branch, json, depth + 1) {
                    Ok(value) => return Ok(Avro::Union(index as u32, Box::new(value))),
                    Err(e) => last = e,
                }
            }
            Err(format!("fits no branch of the union ({last})"))
        }
        (Kind::Ref(_), _) => Err("unresolved type reference".into()),
    }
}
