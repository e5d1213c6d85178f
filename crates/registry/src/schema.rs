//! Parsing and validating schema text per type, and the forms the registry
//! stores and compares.
//!
//! What is enforced:
//! - AVRO: full parse through [`crate::avro`] (references resolved), the
//!   stored text is Java's `Schema.toString()` form ([`AvroSchema::compact`])
//!   or, with `normalize=true`, [`AvroSchema::normalized`]; compatibility by
//!   [`crate::avro::check`].
//! - JSON: [`JsonSchema::parse`]: JSON, structurally a JSON Schema, every
//!   `$ref` resolved (inside the schema or to a reference by name). Stored
//!   as given; "same schema" compares the JSON re-printed with sorted keys.
//!   Compatibility by [`crate::json::check`] (Confluent's JSON Schema diff).
//! - PROTOBUF: [`ProtobufSchema::parse`]: `.proto` text or base64
//!   `FileDescriptorProto`, compiled and linked with its references
//!   (imports by reference name). Stored as given, served as stored (the
//!   `format` query parameter is not applied); "same schema" compares the
//!   compiled descriptor (text and descriptor forms of one schema are the
//!   same). Compatibility by [`crate::protobuf::check`] (Confluent's
//!   Protobuf diff).

use crate::avro::{AvroReference, AvroSchema, CompatibilityLevel};
use crate::json::JsonSchema;
use crate::protobuf::ProtobufSchema;
use crate::types::SchemaType;

/// A parsed schema of any type.
#[derive(Debug, Clone)]
pub enum ParsedSchema {
    /// Avro, fully parsed.
    Avro(AvroSchema),
    /// JSON Schema, references resolved.
    Json(JsonSchema),
    /// Protobuf, compiled with its references.
    Protobuf(ProtobufSchema),
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
            SchemaType::Json => JsonSchema::parse(text, references).map(ParsedSchema::Json),
            SchemaType::Protobuf => {
                ProtobufSchema::parse(text, references).map(ParsedSchema::Protobuf)
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
    /// Avro's canonical text, JSON re-printed with sorted keys, Protobuf's
    /// normalised compiled descriptor ([`ProtobufSchema::identity`]).
    pub fn identity(&self) -> String {
        match self {
            Self::Avro(s) => s.compact().to_owned(),
            Self::Json(v) => v.value().to_string(),
            Self::Protobuf(p) => p.identity().to_owned(),
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

/// Applies a compatibility level over a subject's history (newest first):
/// `incompatible(reader, writer)` lists why `reader` cannot read what
/// `writer` wrote. BACKWARD checks the new schema reading the existing one,
/// FORWARD the existing reading the new, FULL both, the transitive levels
/// every version, NONE nothing. Each message is prefixed with the version's
/// position and the direction, as [`crate::avro::check`] does.
pub(crate) fn check_level<S>(
    level: CompatibilityLevel,
    new: &S,
    existing_newest_first: &[S],
    incompatible: impl Fn(&S, &S) -> Vec<String>,
) -> Vec<String> {
    if level == CompatibilityLevel::None {
        return Vec::new();
    }
    let against = if level.is_transitive() {
        existing_newest_first
    } else {
        existing_newest_first.get(..1).unwrap_or_default()
    };
    let mut messages = Vec::new();
    for (index, old) in against.iter().enumerate() {
        if level.is_backward() {
            for m in incompatible(new, old) {
                messages.push(format!(
                    "{{oldSchemaVersionIndex: {index}, direction: BACKWARD}} {m}"
                ));
            }
        }
        if level.is_forward() {
            for m in incompatible(old, new) {
                messages.push(format!(
                    "{{oldSchemaVersionIndex: {index}, direction: FORWARD}} {m}"
                ));
            }
        }
    }
    messages
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
        // base64 FileDescriptorProto: name "a.proto", package "x", no type.
        assert!(!ok("CgdhLnByb3RvEgF4"));
        // … with `message M {}` (field 4: DescriptorProto with name "M").
        assert!(ok("CgdhLnByb3RvEgF4IgMKAU0="));
        // Truncated: field 1 claims 7 bytes, 2 follow.
        assert!(!ok("CgdhLg=="));
    }
}
