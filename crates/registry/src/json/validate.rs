//! The structural check of a JSON Schema: the keywords the compatibility
//! rules read must have the shapes the specification gives them.

use serde_json::Value;

/// The type names JSON Schema knows.
pub(crate) const JSON_TYPES: [&str; 7] = [
    "null", "boolean", "object", "array", "number", "string", "integer",
];

/// Checks `value` (at JSON pointer `at`) is structurally a JSON Schema: an
/// object or a boolean; `type` a known type name or a list of them;
/// `properties`, `definitions`/`$defs`, `patternProperties` objects of
/// schemas; subschema keywords schemas; `required` a list of strings;
/// `$ref` a string; the numeric limits numbers; `pattern` a string (its
/// dialect is ECMA 262, which is not checked).
pub(crate) fn check_schema(value: &Value, at: &str, depth: usize) -> Result<(), String> {
    if depth > 256 {
        return Err(format!("{at}: schema nested too deeply"));
    }
    let object = match value {
        Value::Bool(_) => return Ok(()),
        Value::Object(o) => o,
        _ => return Err(format!("{at}: a schema must be an object or a boolean")),
    };
    match object.get("type") {
        None => {}
        Some(Value::String(t)) if JSON_TYPES.contains(&t.as_str()) => {}
        Some(Value::Array(ts))
            if ts
                .iter()
                .all(|t| t.as_str().is_some_and(|t| JSON_TYPES.contains(&t))) => {}
        Some(other) => return Err(format!("{at}/type: unknown type {other}")),
    }
    for key in [
        "properties",
        "definitions",
        "$defs",
        "patternProperties",
        "dependentSchemas",
    ] {
        match object.get(key) {
            None => {}
            Some(Value::Object(children)) => {
                for (name, child) in children {
                    check_schema(child, &format!("{at}/{key}/{name}"), depth + 1)?;
                }
            }
            Some(_) => return Err(format!("{at}/{key}: must be an object")),
        }
    }
    for key in [
        "items",
        "additionalItems",
        "additionalProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
    ] {
        match object.get(key) {
            None => {}
            Some(Value::Array(children)) if key == "items" => {
                for (i, child) in children.iter().enumerate() {
                    check_schema(child, &format!("{at}/{key}/{i}"), depth + 1)?;
                }
            }
            Some(child) => check_schema(child, &format!("{at}/{key}"), depth + 1)?,
        }
    }
    for key in ["allOf", "anyOf", "oneOf", "prefixItems"] {
        match object.get(key) {
            None => {}
            Some(Value::Array(children)) if !children.is_empty() => {
                for (i, child) in children.iter().enumerate() {
                    check_schema(child, &format!("{at}/{key}/{i}"), depth + 1)?;
                }
            }
            Some(_) => return Err(format!("{at}/{key}: must be a non-empty array")),
        }
    }
    match object.get("required") {
        None | Some(Value::Bool(_)) => {}
        Some(Value::Array(names)) if names.iter().all(Value::is_string) => {}
        Some(_) => return Err(format!("{at}/required: must be an array of strings")),
    }
    match object.get("enum") {
        None | Some(Value::Array(_)) => {}
        Some(_) => return Err(format!("{at}/enum: must be an array")),
    }
    if let Some(r) = object.get("$ref")
        && !r.is_string()
    {
        return Err(format!("{at}/$ref: must be a string"));
    }
    for key in [
        "minimum",
        "maximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
    ] {
        if let Some(v) = object.get(key)
            && !v.is_number()
        {
            return Err(format!("{at}/{key}: must be a number"));
        }
    }
    if let Some(v) = object.get("pattern")
        && !v.is_string()
    {
        return Err(format!("{at}/pattern: must be a string"));
    }
    Ok(())
}
