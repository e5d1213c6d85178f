//! Parsing and validating schema text per type, and the forms the registry
//! stores and compares.
//!
//! What is enforced:
//! - AVRO: full parse through [`crate::avro`] (references resolved), the
//!   stored text is Java's `Schema.toString()` form ([`AvroSchema::compact`])
//!   or, with `normalize=true`, [`AvroSchema::normalized`]; compatibility by
//!   [`crate::avro::check`].
//! - JSON: the text must be JSON and structurally a JSON Schema (an object or
//!   a boolean; `type` a known type name or a list of them; `properties`,
//!   `definitions`/`$defs` objects of schemas; `required` a list of strings).
//!   Stored as given. Compatibility: only a change of schema type is refused;
//!   JSON Schema evolution rules are not checked yet.
//! - PROTOBUF: the `.proto` text gets a light syntax check (balanced braces,
//!   at least one `message`, `enum` or `service`, an optional `syntax`
//!   statement naming proto2/proto3); the base64 `FileDescriptorProto` form
//!   (what confluent-kafka-python's serializer sends) must decode to valid
//!   protobuf wire format. Stored as given, served as stored (the `format`
//!   query parameter is not applied). Compatibility as for JSON.

use serde_json::Value;

use crate::avro::{AvroReference, AvroSchema};
use crate::types::SchemaType;

/// A parsed schema of any type.
#[derive(Debug, Clone)]
pub enum ParsedSchema {
    /// Avro, fully parsed.
    Avro(AvroSchema),
    /// JSON Schema, as JSON.
    Json(Value),
    /// Protobuf text.
    Protobuf(String),
}

impl ParsedSchema {
    /// Parses `text` of `schema_type`; `references` are the referenced
    /// schemas' `(name, text)` pairs (transitively). The error is the 42201
    /// message.
    pub fn parse(
        schema_type: SchemaType,
        text: &str,
        references: &[(String, String)],
    ) -> Result<ParsedSchema, String> {
        match schema_type {
            SchemaType::Avro => {
                let refs: Vec<AvroReference> = references
                    .iter()
                    .map(|(name, schema)| AvroReference {
                        name: name.clone(),
                        schema: schema.clone(),
                    })
                    .collect();
                AvroSchema::parse(text, &refs)
                    .map(ParsedSchema::Avro)
                    .map_err(|e| e.to_string())
            }
            SchemaType::Json => {
                let value: Value = serde_json::from_str(text)
                    .map_err(|e| format!("Invalid schema: not valid JSON: {e}"))?;
                check_json_schema(&value, "#").map_err(|e| format!("Invalid JSON schema: {e}"))?;
                Ok(ParsedSchema::Json(value))
            }
            SchemaType::Protobuf => {
                check_protobuf(text).map_err(|e| format!("Invalid protobuf schema: {e}"))?;
                Ok(ParsedSchema::Protobuf(text.to_owned()))
            }
        }
    }

    /// The text to store: Avro's canonical printing (normalised on demand),
    /// the other types as given.
    pub fn stored_text(&self, original: &str, normalize: bool) -> String {
        match self {
            Self::Avro(s) if normalize => s.normalized(),
            Self::Avro(s) => s.compact().to_owned(),
            Self::Json(_) | Self::Protobuf(_) => original.to_owned(),
        }
    }

    /// The identity the registry compares to decide "same schema, same id":
    /// Avro's canonical text, JSON re-printed with sorted keys, Protobuf
    /// with whitespace runs collapsed.
    pub fn identity(&self) -> String {
        match self {
            Self::Avro(s) => s.compact().to_owned(),
            Self::Json(v) => v.to_string(),
            Self::Protobuf(t) => t.split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }
}

/// The identity of stored text that may not parse (imported verbatim):
/// parse when possible, else the text with whitespace collapsed.
pub fn identity_of(schema_type: SchemaType, text: &str, references: &[(String, String)]) -> String {
    match ParsedSchema::parse(schema_type, text, references) {
        Ok(p) => p.identity(),
        Err(_) => text.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

const JSON_TYPES: [&str; 7] = [
    "null", "boolean", "object", "array", "number", "string", "integer",
];

fn check_json_schema(value: &Value, at: &str) -> Result<(), String> {
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
    for key in ["properties", "definitions", "$defs", "patternProperties"] {
        match object.get(key) {
            None => {}
            Some(Value::Object(children)) => {
                for (name, child) in children {
                    check_json_schema(child, &format!("{at}/{key}/{name}"))?;
                }
            }
            Some(_) => return Err(format!("{at}/{key}: must be an object")),
        }
    }
    for key in ["items", "additionalProperties", "not", "if", "then", "else"] {
        match object.get(key) {
            None => {}
            Some(Value::Array(children)) if key == "items" => {
                for (i, child) in children.iter().enumerate() {
                    check_json_schema(child, &format!("{at}/{key}/{i}"))?;
                }
            }
            Some(child) => check_json_schema(child, &format!("{at}/{key}"))?,
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        match object.get(key) {
            None => {}
            Some(Value::Array(children)) => {
                for (i, child) in children.iter().enumerate() {
                    check_json_schema(child, &format!("{at}/{key}/{i}"))?;
                }
            }
            Some(_) => return Err(format!("{at}/{key}: must be an array")),
        }
    }
    match object.get("required") {
        None => {}
        Some(Value::Array(names)) if names.iter().all(Value::is_string) => {}
        Some(_) => return Err(format!("{at}/required: must be an array of strings")),
    }
    Ok(())
}

fn check_protobuf(text: &str) -> Result<(), String> {
    if let Some(bytes) = serialized_descriptor(text) {
        return check_wire_format(&bytes, 0);
    }
    let mut depth: i64 = 0;
    let mut in_string: Option<char> = None;
    let mut chars = text.chars().peekable();
    let mut code = String::new();
    while let Some(c) = chars.next() {
        if let Some(q) = in_string {
            if c == '\\' {
                chars.next();
            } else if c == q {
                in_string = None;
            }
            code.push(c);
            continue;
        }
        match c {
            '"' | '\'' => {
                in_string = Some(c);
                code.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                code.push('\n');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for n in chars.by_ref() {
                    if last == '*' && n == '/' {
                        break;
                    }
                    last = n;
                }
                code.push(' ');
            }
            '{' => {
                depth += 1;
                code.push(c);
            }
            '}' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced '}'".to_owned());
                }
                code.push(c);
            }
            _ => code.push(c),
        }
    }
    if in_string.is_some() {
        return Err("unterminated string".to_owned());
    }
    if depth != 0 {
        return Err("unbalanced '{'".to_owned());
    }
    let words: Vec<&str> = code
        .split(|c: char| c.is_whitespace() || c == '{' || c == '}' || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    if !words
        .iter()
        .any(|w| matches!(*w, "message" | "enum" | "service"))
    {
        return Err("no message, enum or service definition".to_owned());
    }
    if let Some(pos) = words
        .iter()
        .position(|w| *w == "syntax" || w.starts_with("syntax="))
    {
        let rest: String = words.iter().skip(pos).take(3).copied().collect();
        if !(rest.contains("proto2") || rest.contains("proto3")) {
            return Err("syntax must be \"proto2\" or \"proto3\"".to_owned());
        }
    }
    Ok(())
}

/// The bytes of a base64 `FileDescriptorProto` (one token, standard
/// alphabet, padded), or `None` for `.proto` text.
fn serialized_descriptor(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let text = text.trim();
    if text.is_empty() || text.contains(char::is_whitespace) || text.contains(['{', ';']) {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Walks protobuf wire format: every field a valid tag and wire type, every
/// length within the buffer; length-delimited fields that parse as messages
/// are walked too, up to a depth limit.
fn check_wire_format(bytes: &[u8], depth: usize) -> Result<(), String> {
    fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(*at)?;
            *at += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    let bad = || "not a serialized FileDescriptorProto".to_owned();
    if bytes.is_empty() && depth == 0 {
        return Err(bad());
    }
    let mut at = 0;
    while at < bytes.len() {
        let tag = varint(bytes, &mut at).ok_or_else(bad)?;
        if tag >> 3 == 0 {
            return Err(bad());
        }
        match tag & 7 {
            0 => {
                varint(bytes, &mut at).ok_or_else(bad)?;
            }
            1 => {
                at = at
                    .checked_add(8)
                    .filter(|e| *e <= bytes.len())
                    .ok_or_else(bad)?
            }
            5 => {
                at = at
                    .checked_add(4)
                    .filter(|e| *e <= bytes.len())
                    .ok_or_else(bad)?
            }
            2 => {
                let len =
                    usize::try_from(varint(bytes, &mut at).ok_or_else(bad)?).map_err(|_| bad())?;
                let end = at
                    .checked_add(len)
                    .filter(|e| *e <= bytes.len())
                    .ok_or_else(bad)?;
                at = end;
            }
            _ => return Err(bad()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_schemas() {
        let ok = |t: &str| ParsedSchema::parse(SchemaType::Json, t, &[]).is_ok();
        assert!(ok(
            r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}"#
        ));
        assert!(ok("true"));
        assert!(!ok("{not json"));
        assert!(!ok(r#"{"type":"strin"}"#));
        assert!(!ok(r#"{"properties":{"a":3}}"#));
        assert!(!ok("42"));
    }

    #[test]
    fn protobuf_schemas() {
        let ok = |t: &str| ParsedSchema::parse(SchemaType::Protobuf, t, &[]).is_ok();
        assert!(ok(
            "syntax = \"proto3\";\npackage x;\n// a { comment\nmessage M { string a = 1; }\n"
        ));
        assert!(!ok("syntax = \"proto3\"; message M { string a = 1; "));
        assert!(!ok("syntax = \"proto9\"; message M {}"));
        assert!(!ok("hello"));
        // base64 FileDescriptorProto: name "a.proto" (field 1), package "x" (field 2).
        assert!(ok("CgdhLnByb3RvEgF4"));
        // Truncated: field 1 claims 7 bytes, 2 follow.
        assert!(!ok("CgdhLg=="));
    }
}
