//! Schema text handling: reading the generator's schema (JSON with
//! comments) and deriving the schema that is registered (annotations removed).

use serde_json::{Map, Value};

use crate::error::DatagenError;

/// The annotation key the Avro Random Generator reads.
pub const ARG_PROPERTIES: &str = "arg.properties";

/// Parses schema text as JSON, allowing `//` and `/* */` comments outside
/// strings: Avro's Java parser enables Jackson's comment support and the
/// CLICKSTREAM quickstart relies on it.
pub fn parse_json(text: &str) -> Result<Value, DatagenError> {
    serde_json::from_str(&strip_comments(text)).map_err(DatagenError::SchemaJson)
}

/// Removes JSON comments, keeping string contents (and line breaks, so error
/// positions still point at the right line).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut previous = ' ';
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        out.push('\n');
                    }
                    if previous == '*' && skipped == '/' {
                        break;
                    }
                    previous = skipped;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The schema to register for generated values: the generator schema with
/// every `arg.properties` removed, and a primitive type object left with only
/// its `type` collapsed to the bare name (`{"type":"long"}` -> `"long"`).
///
/// Why: Confluent's connector converts the generator schema to a Connect
/// schema and back, which drops the generator annotations; consumers only need
/// the data's shape. Other attributes (`doc`, `logicalType`, custom ones such
/// as `format_as_time`) are kept because they are part of the user's schema.
/// Unlike Confluent's Connect round trip this does not add `connect.name`.
pub fn registered_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(object) => {
            let mut stripped = Map::new();
            for (key, value) in object {
                if key == ARG_PROPERTIES {
                    continue;
                }
                let value = match key.as_str() {
                    // Nested schemas live under these keys.
                    "type" | "items" | "values" => registered_schema(value),
                    "fields" => match value {
                        Value::Array(fields) => Value::Array(
                            fields
                                .iter()
                                .map(|field| match field {
                                    Value::Object(field) => Value::Object(
                                        field
                                            .iter()
                                            .filter(|(k, _)| k.as_str() != ARG_PROPERTIES)
                                            .map(|(k, v)| {
                                                let v = if k == "type" {
                                                    registered_schema(v)
                                                } else {
                                                    v.clone()
                                                };
                                                (k.clone(), v)
                                            })
                                            .collect(),
                                    ),
                                    other => other.clone(),
                                })
                                .collect(),
                        ),
                        other => other.clone(),
                    },
                    _ => value.clone(),
                };
                stripped.insert(key.clone(), value);
            }
            if let Some(Value::String(name)) = stripped.get("type")
                && stripped.len() == 1
                && is_primitive(name)
            {
                return Value::String(name.clone());
            }
            Value::Object(stripped)
        }
        Value::Array(branches) => Value::Array(branches.iter().map(registered_schema).collect()),
        other => other.clone(),
    }
}

/// Whether `name` is one of Avro's primitive type names.
pub fn is_primitive(name: &str) -> bool {
    matches!(
        name,
        "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_removed_but_strings_kept() {
        let text = r#"{"a": "x // not a comment", // gone
            /* gone too */ "b": "/* kept */"}"#;
        let value = parse_json(text).unwrap();
        assert_eq!(value["a"], "x // not a comment");
        assert_eq!(value["b"], "/* kept */");
    }

    #[test]
    fn annotations_are_stripped_and_primitives_collapsed() {
        let schema = parse_json(
            r#"{"type":"record","name":"r","fields":[
                {"name":"a","type":{"type":"long","arg.properties":{"range":{"min":1}}}},
                {"name":"b","type":{"type":"string","format_as_time":"x","arg.properties":{}}},
                {"name":"c","type":{"type":"array","items":{"type":"int","arg.properties":{}}}}
            ]}"#,
        )
        .unwrap();
        let stripped = registered_schema(&schema);
        assert_eq!(stripped["fields"][0]["type"], "long");
        assert_eq!(stripped["fields"][1]["type"]["format_as_time"], "x");
        assert!(stripped["fields"][1]["type"].get(ARG_PROPERTIES).is_none());
        assert_eq!(stripped["fields"][2]["type"]["items"], "int");
        assert!(!stripped.to_string().contains(ARG_PROPERTIES));
    }
}
