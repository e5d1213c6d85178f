//! Rules Java's parser enforces that apache-avro 0.22 does not.
//!
//! - A full name may be defined once: Java fails with "Can't redefine";
//!   apache-avro silently accepts a second definition inside one schema
//!   (e.g. a field of fixed type `R` inside record `R`).

use std::collections::HashSet;

use serde_json::Value;

use super::AvroError;
use super::form::qualify;

/// Fails when `json` defines a full name twice or redefines one of `known`
/// (the names the references define); adds its definitions to `known`.
pub(crate) fn check_unique(json: &Value, known: &mut HashSet<String>) -> Result<(), AvroError> {
    walk(json, None, known)
}

fn walk(json: &Value, space: Option<&str>, known: &mut HashSet<String>) -> Result<(), AvroError> {
    match json {
        Value::Array(branches) => {
            for branch in branches {
                walk(branch, space, known)?;
            }
            Ok(())
        }
        Value::Object(map) => {
            match map.get("type") {
                Some(inner @ (Value::Object(_) | Value::Array(_))) => {
                    return walk(inner, space, known);
                }
                Some(Value::String(kind))
                    if matches!(kind.as_str(), "record" | "error" | "enum" | "fixed") => {}
                Some(Value::String(kind)) if kind == "array" => {
                    return map.get("items").map_or(Ok(()), |i| walk(i, space, known));
                }
                Some(Value::String(kind)) if kind == "map" => {
                    return map.get("values").map_or(Ok(()), |v| walk(v, space, known));
                }
                _ => return Ok(()),
            }
            let Some(name) = map.get("name").and_then(Value::as_str) else {
                return Ok(());
            };
            let full = if name.contains('.') {
                name.to_owned()
            } else {
                qualify(name, map.get("namespace").and_then(Value::as_str).or(space))
            };
            if !known.insert(full.clone()) {
                return Err(AvroError::Schema(format!("Can't redefine: {full}")));
            }
            let own_space = full.rsplit_once('.').map(|(s, _)| s.to_owned());
            if let Some(fields) = map.get("fields").and_then(Value::as_array) {
                for field in fields {
                    if let Some(ty) = field.get("type") {
                        walk(ty, own_space.as_deref(), known)?;
                    }
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
