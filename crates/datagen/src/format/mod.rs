//! Value encodings for `output.data.format`, in the Confluent wire format.
//!
//! AVRO, JSON_SR and PROTOBUF values are framed as Confluent's serializers
//! frame them: magic byte 0, the schema id as a 4-byte big-endian int, then
//! the payload (for PROTOBUF first the message-index array, `[0]` written as
//! the single byte 0). JSON is the bare document, with no registry involved.
//! Keys are the key field's text as UTF-8 (a string key, as Confluent's
//! managed connector writes).

pub mod json;
pub mod json_schema;
pub mod protobuf;

use std::fmt;

use apache_avro::types::Value as Avro;

use crate::error::DatagenError;
use crate::generator::Generator;

/// The magic byte of the Confluent wire format (schema id form).
pub const MAGIC_BYTE: u8 = 0;

/// `output.data.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// Avro binary datum, schema registered as AVRO.
    Avro,
    /// JSON document, JSON Schema registered as JSON.
    JsonSr,
    /// Protobuf message, proto3 schema registered as PROTOBUF.
    Protobuf,
    /// Plain JSON, no schema.
    Json,
}

impl OutputFormat {
    /// Every format, in Confluent's order.
    pub const ALL: [OutputFormat; 4] = [
        OutputFormat::Avro,
        OutputFormat::JsonSr,
        OutputFormat::Protobuf,
        OutputFormat::Json,
    ];

    /// Parses a config value, case-insensitively (`AVRO`, `json_sr`, ...).
    pub fn parse(text: &str) -> Option<Self> {
        OutputFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Avro => "AVRO",
            OutputFormat::JsonSr => "JSON_SR",
            OutputFormat::Protobuf => "PROTOBUF",
            OutputFormat::Json => "JSON",
        }
    }

    /// The registry's `schemaType` for the value schema; `None` for JSON,
    /// which registers nothing. (AVRO is the registry's default type and may
    /// be omitted from the request.)
    pub fn schema_type(self) -> Option<&'static str> {
        match self {
            OutputFormat::Avro => Some("AVRO"),
            OutputFormat::JsonSr => Some("JSON"),
            OutputFormat::Protobuf => Some("PROTOBUF"),
            OutputFormat::Json => None,
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Frames `payload` in the Confluent wire format. `message_indexes` is for
/// PROTOBUF only: `Some(&[0])` (the first message) is the single byte 0.
pub fn frame(schema_id: u32, message_indexes: Option<&[i32]>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 6);
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&schema_id.to_be_bytes());
    match message_indexes {
        None => {}
        Some([0]) => out.push(0),
        Some(indexes) => {
            zigzag_varint(&mut out, indexes.len() as i64);
            for index in indexes {
                zigzag_varint(&mut out, i64::from(*index));
            }
        }
    }
    out.extend_from_slice(payload);
    out
}

fn zigzag_varint(out: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Encodes a generator's values in one format.
#[derive(Debug)]
pub struct ValueEncoder {
    format: OutputFormat,
    avro: apache_avro::Schema,
    /// The schema text to register; `None` for JSON.
    schema_text: Option<String>,
    protobuf: Option<protobuf::ProtobufSchema>,
}

impl ValueEncoder {
    /// An encoder for `generator`'s values in `format`; derives (and for
    /// PROTOBUF compiles) the schema to register, so a schema the format
    /// cannot express fails here.
    pub fn new(format: OutputFormat, generator: &Generator) -> Result<Self, DatagenError> {
        let avro = generator.schema().clone();
        let (schema_text, protobuf) = match format {
            OutputFormat::Avro => (Some(generator.registered_schema()), None),
            OutputFormat::JsonSr => (Some(json_schema::derive(&avro)?.to_string()), None),
            OutputFormat::Protobuf => {
                let proto = protobuf::ProtobufSchema::derive(&avro)?;
                (Some(proto.text().to_owned()), Some(proto))
            }
            OutputFormat::Json => (None, None),
        };
        Ok(ValueEncoder {
            format,
            avro,
            schema_text,
            protobuf,
        })
    }

    /// The format.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// The value schema to register under `<topic>-value` with
    /// [`OutputFormat::schema_type`]; `None` for JSON.
    pub fn schema_text(&self) -> Option<&str> {
        self.schema_text.as_deref()
    }

    /// The unframed payload of `value`.
    pub fn payload(&self, value: &Avro) -> Result<Vec<u8>, DatagenError> {
        match self.format {
            OutputFormat::Avro => {
                apache_avro::writer::datum::GenericDatumWriter::builder(&self.avro)
                    .build()
                    .and_then(|writer| writer.write_value_to_vec(value.clone()))
                    .map_err(|e| DatagenError::Encode {
                        format: "AVRO",
                        message: e.to_string(),
                    })
            }
            OutputFormat::JsonSr | OutputFormat::Json => {
                Ok(json::to_json(value).to_string().into_bytes())
            }
            OutputFormat::Protobuf => match &self.protobuf {
                Some(proto) => proto.encode(value),
                None => Err(DatagenError::Encode {
                    format: "PROTOBUF",
                    message: "no derived schema".into(),
                }),
            },
        }
    }

    /// The record value bytes: framed with `schema_id` (the id the registry
    /// returned for [`ValueEncoder::schema_text`]) for the registry formats,
    /// the bare document for JSON (`schema_id` is ignored).
    pub fn encode(&self, value: &Avro, schema_id: u32) -> Result<Vec<u8>, DatagenError> {
        let payload = self.payload(value)?;
        Ok(match self.format {
            OutputFormat::Json => payload,
            OutputFormat::Protobuf => frame(schema_id, Some(&[0]), &payload),
            OutputFormat::Avro | OutputFormat::JsonSr => frame(schema_id, None, &payload),
        })
    }
}

/// The record key bytes: the key text as UTF-8, or no key.
pub fn encode_key(key: Option<&str>) -> Option<Vec<u8>> {
    key.map(|k| k.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_like_confluent_serializers() {
        assert_eq!(frame(0x0102_0304, None, b"x"), [0, 1, 2, 3, 4, b'x']);
        assert_eq!(frame(7, Some(&[0]), b"x"), [0, 0, 0, 0, 7, 0, b'x']);
        // [1, 2]: count 2 -> 4, 1 -> 2, 2 -> 4 (zig-zag).
        assert_eq!(frame(7, Some(&[1, 2]), b""), [0, 0, 0, 0, 7, 4, 2, 4]);
    }

    #[test]
    fn formats_parse_case_insensitively() {
        assert_eq!(OutputFormat::parse("json_sr"), Some(OutputFormat::JsonSr));
        assert_eq!(OutputFormat::parse("AVRO"), Some(OutputFormat::Avro));
        assert_eq!(OutputFormat::parse("XML"), None);
        assert_eq!(OutputFormat::Protobuf.schema_type(), Some("PROTOBUF"));
        assert_eq!(OutputFormat::Json.schema_type(), None);
    }
}
