//! Protobuf values: a registered schema (`.proto` text, or the base64
//! `FileDescriptorProto` some serializers register) compiled with protox;
//! records decoded and encoded as `DynamicMessage`s.
//!
//! JSON is Protobuf's canonical JSON mapping, as the `confluent` CLI prints
//! it: lowerCamelCase field names, 64-bit integers as strings, enums by
//! name, fields at their default value left out. Producing uses the first
//! message of the schema's file (message-index path `[0]`), as the
//! `confluent` CLI does.

use std::collections::HashMap;

use anyhow::{Context as _, anyhow, bail};
use base64::Engine as _;
use prost::Message as _;
use prost_reflect::{DynamicMessage, MessageDescriptor, SerializeOptions};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};
use serde_json::Value as Json;

use super::wire;

/// The name the schema's own file gets in the descriptor pool.
const MAIN_FILE: &str = "ferry-schema.proto";

/// A compiled schema file.
#[derive(Debug)]
pub(crate) struct ProtoCodec {
    /// Top-level messages of the schema's file, in declaration order.
    messages: Vec<MessageDescriptor>,
}

/// Serves the schema and its references, by import name, from memory.
struct Sources(HashMap<String, String>);

impl FileResolver for Sources {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        let text = self
            .0
            .get(name)
            .ok_or_else(|| protox::Error::file_not_found(name))?;
        match descriptor_form(text) {
            Some(mut fd) => {
                fd.name = Some(name.to_owned());
                Ok(File::from_file_descriptor_proto(fd))
            }
            None => File::from_source(name, text),
        }
    }
}

/// The `FileDescriptorProto` of a schema registered in its base64 form.
fn descriptor_form(text: &str) -> Option<prost_types::FileDescriptorProto> {
    let t = text.trim();
    if t.is_empty() || t.contains(|c: char| c.is_whitespace() || c == '{') {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(t).ok()?;
    prost_types::FileDescriptorProto::decode(bytes.as_slice()).ok()
}

impl ProtoCodec {
    /// Compiles `text`; `references` are `(import name, text)` pairs
    /// (transitively).
    pub(crate) fn parse(text: &str, references: &[(String, String)]) -> anyhow::Result<Self> {
        let mut files: HashMap<String, String> = references.iter().cloned().collect();
        files.insert(MAIN_FILE.to_owned(), text.to_owned());
        let mut chain = ChainFileResolver::new();
        chain.add(Sources(files));
        chain.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(chain);
        compiler
            .open_file(MAIN_FILE)
            .map_err(|e| anyhow!("the protobuf schema does not compile: {e}"))?;
        let pool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(MAIN_FILE)
            .ok_or_else(|| anyhow!("the protobuf schema compiled to no file"))?;
        let messages: Vec<MessageDescriptor> = file.messages().collect();
        if messages.is_empty() {
            bail!("the protobuf schema defines no message");
        }
        Ok(Self { messages })
    }

    /// The message at the message-index path `indexes`.
    fn message(&self, indexes: &[i32]) -> anyhow::Result<MessageDescriptor> {
        let position = |i: i32| usize::try_from(i).unwrap_or(usize::MAX);
        let mut path = indexes.iter().copied();
        let first = path.next().unwrap_or(0);
        let mut message = self
            .messages
            .get(position(first))
            .cloned()
            .ok_or_else(|| anyhow!("the schema has no top-level message #{first}"))?;
        for i in path {
            let child = message.child_messages().nth(position(i));
            message = child.ok_or_else(|| {
                anyhow!("message {} has no nested message #{i}", message.full_name())
            })?;
        }
        Ok(message)
    }

    /// Decodes a payload (message-index path, then the message) to JSON
    /// text.
    pub(crate) fn decode(&self, payload: &[u8]) -> anyhow::Result<String> {
        let (indexes, body) = wire::read_message_indexes(payload)?;
        let descriptor = self.message(&indexes)?;
        let message = DynamicMessage::decode(descriptor.clone(), body)
            .with_context(|| format!("the payload is not a {} message", descriptor.full_name()))?;
        let mut out = Vec::new();
        let mut serializer = serde_json::Serializer::new(&mut out);
        message.serialize_with_options(&mut serializer, &SerializeOptions::new())?;
        Ok(String::from_utf8(out)?)
    }

    /// Encodes `json` as the first message of the file, with its
    /// message-index path.
    pub(crate) fn encode(&self, json: &Json) -> anyhow::Result<Vec<u8>> {
        let descriptor = self.message(&[0])?;
        let message = DynamicMessage::deserialize(descriptor.clone(), json.clone())
            .map_err(|e| anyhow!("not a {} message: {e}", descriptor.full_name()))?;
        let mut out = Vec::new();
        wire::write_message_indexes(&[0], &mut out);
        message.encode(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = r#"syntax = "proto3";
package t;
import "google/protobuf/timestamp.proto";
import "common.proto";
message Order {
  int32 id = 1;
  string item = 2;
  repeated string tags = 3;
  Money price = 4;
  google.protobuf.Timestamp at = 5;
  message Line { string sku = 1; }
}
message Other { bool ok = 1; }
"#;
    const COMMON: &str = r#"syntax = "proto3"; package t; message Money { int64 cents = 1; }"#;

    #[test]
    fn json_round_trips_and_nested_paths_resolve() {
        let codec = ProtoCodec::parse(ORDER, &[("common.proto".into(), COMMON.into())]).unwrap();
        let input: Json = serde_json::from_str(
            r#"{"id":5,"item":"x","tags":["a","b"],"price":{"cents":"1200"},"at":"2024-01-02T03:04:05Z"}"#,
        )
        .unwrap();
        let payload = codec.encode(&input).unwrap();
        assert_eq!(payload.first(), Some(&0));
        let text = codec.decode(&payload).unwrap();
        assert_eq!(serde_json::from_str::<Json>(&text).unwrap(), input);
        // Path [0, 0] is Order.Line; [1] is Other.
        assert_eq!(codec.message(&[0, 0]).unwrap().full_name(), "t.Order.Line");
        assert_eq!(codec.message(&[1]).unwrap().full_name(), "t.Other");
        assert!(codec.message(&[2]).is_err());
        assert!(codec.encode(&serde_json::json!({"nope": 1})).is_err());
        assert!(codec.decode(&[0, 0xff, 0xff]).is_err());
    }

    #[test]
    fn the_base64_descriptor_form_compiles_too() {
        let codec = ProtoCodec::parse(COMMON, &[]).unwrap();
        let fd = codec.messages[0]
            .parent_file()
            .file_descriptor_proto()
            .clone();
        let b64 = base64::engine::general_purpose::STANDARD.encode(fd.encode_to_vec());
        let again = ProtoCodec::parse(&b64, &[]).unwrap();
        assert_eq!(again.messages[0].full_name(), "t.Money");
        assert!(ProtoCodec::parse("syntax = \"proto3\"; message {", &[]).is_err());
    }
}
