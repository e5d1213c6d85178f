//! Schema-aware keys and values for `ferry kafka topic produce|consume`:
//! the Confluent wire format ([`wire`]) around Avro ([`avro`]), JSON Schema
//! ([`json_schema`]) and Protobuf ([`protobuf`]) payloads, with schemas
//! from a Confluent-compatible registry ([`registry`]).
//!
//! Consuming decodes by the schema the record's id names (fetched once per
//! id), whichever of avro|jsonschema|protobuf was asked for: the registry
//! knows the type. Producing registers the schema (or takes an existing id)
//! and encodes each JSON line against it.

pub(crate) mod avro;
mod decimal;
pub(crate) mod json_schema;
pub(crate) mod protobuf;
pub(crate) mod registry;
pub(crate) mod wire;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{anyhow, bail};
use clap::ValueEnum;
use ferry_registry::client::{ClientError, RegistryClient};
use serde_json::Value as Json;

/// How a key or value is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Raw bytes, printed as they are (UTF-8 text in practice).
    #[default]
    String,
    /// Avro in the Confluent wire format.
    Avro,
    /// JSON Schema in the Confluent wire format.
    Jsonschema,
    /// Protobuf in the Confluent wire format.
    Protobuf,
}

impl Format {
    /// The registry's `schemaType`, `None` for `string`.
    pub(crate) fn schema_type(self) -> Option<&'static str> {
        match self {
            Self::String => None,
            Self::Avro => Some("AVRO"),
            Self::Jsonschema => Some("JSON"),
            Self::Protobuf => Some("PROTOBUF"),
        }
    }
}

/// A schema ready to decode and encode payloads.
#[derive(Debug)]
pub(crate) enum Codec {
    /// Avro.
    Avro(avro::AvroCodec),
    /// JSON Schema.
    Json(json_schema::JsonCodec),
    /// Protobuf.
    Protobuf(protobuf::ProtoCodec),
}

impl Codec {
    /// Builds the codec of a schema of `schema_type` (AVRO when empty).
    pub(crate) fn build(schema: &registry::SchemaWithReferences) -> anyhow::Result<Self> {
        let refs = &schema.references;
        match schema.schema_type.as_str() {
            "" | "AVRO" => {
                let texts: Vec<String> = refs.iter().map(|(_, t)| t.clone()).collect();
                Ok(Self::Avro(avro::AvroCodec::parse(&schema.text, &texts)?))
            }
            "JSON" => Ok(Self::Json(json_schema::JsonCodec::parse(
                &schema.text,
                refs,
            )?)),
            "PROTOBUF" => Ok(Self::Protobuf(protobuf::ProtoCodec::parse(
                &schema.text,
                refs,
            )?)),
            other => bail!("unknown schema type {other}"),
        }
    }

    /// The payload after the schema id, as one line of JSON.
    pub(crate) fn decode(&self, payload: &[u8]) -> anyhow::Result<String> {
        match self {
            Self::Avro(c) => Ok(c.decode(payload)?.to_string()),
            Self::Json(_) => Ok(json_schema::JsonCodec::decode(payload)?.to_string()),
            Self::Protobuf(c) => c.decode(payload),
        }
    }

    /// The payload (to follow the schema id) for `json`.
    pub(crate) fn encode(&self, json: &Json) -> anyhow::Result<Vec<u8>> {
        match self {
            Self::Avro(c) => c.encode(json),
            Self::Json(c) => c.encode(json),
            Self::Protobuf(c) => c.encode(json),
        }
    }
}

/// Why one record could not be decoded.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// This record only: not framed, unknown id, payload not of its schema.
    Record(anyhow::Error),
    /// The registry cannot be reached: every record would fail.
    Registry(anyhow::Error),
}

/// Decodes keys or values of one format, caching each schema id's codec.
#[derive(Debug)]
pub(crate) struct Decoder {
    format: Format,
    registry: Option<RegistryClient>,
    context: Option<String>,
    codecs: HashMap<i32, Arc<Codec>>,
}

impl Decoder {
    /// A decoder of `format`; schema formats need `registry`. `context`
    /// (`.ctx`) is where ids are looked up.
    pub(crate) fn new(
        format: Format,
        registry: Option<RegistryClient>,
        context: Option<String>,
    ) -> anyhow::Result<Self> {
        if format != Format::String && registry.is_none() {
            bail!("a schema format needs the schema registry");
        }
        Ok(Self {
            format,
            registry,
            context,
            codecs: HashMap::new(),
        })
    }

    /// The text to print for `bytes`.
    pub(crate) async fn decode(&mut self, bytes: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let Some(registry) = self
            .registry
            .as_ref()
            .filter(|_| self.format != Format::String)
        else {
            return Ok(bytes.to_vec());
        };
        let (id, payload) = wire::split(bytes).map_err(DecodeError::Record)?;
        let codec = match self.codecs.get(&id) {
            Some(c) => Arc::clone(c),
            None => {
                let schema = registry::schema_by_id(registry, id, self.context.as_deref())
                    .await
                    .map_err(|e| match e {
                        ClientError::Api { .. } => {
                            DecodeError::Record(anyhow!("schema id {id} could not be fetched: {e}"))
                        }
                        other => DecodeError::Registry(other.into()),
                    })?;
                let codec = Arc::new(Codec::build(&schema).map_err(|e| {
                    DecodeError::Record(anyhow!("schema id {id} is not usable: {e:#}"))
                })?);
                self.codecs.insert(id, Arc::clone(&codec));
                codec
            }
        };
        codec
            .decode(payload)
            .map(String::into_bytes)
            .map_err(|e| DecodeError::Record(anyhow!("schema id {id}: {e:#}")))
    }
}

/// Encodes JSON lines with one registered schema.
#[derive(Debug)]
pub(crate) struct Encoder {
    id: i32,
    codec: Codec,
}

/// Which schema `produce` writes with.
#[derive(Debug, Clone)]
pub(crate) enum SchemaChoice {
    /// A schema file to register.
    File(std::path::PathBuf),
    /// An id already registered.
    Id(i32),
}

impl SchemaChoice {
    /// `--schema`: an id when it is a number, else a file path (as in the
    /// `confluent` CLI).
    pub(crate) fn parse(flag: &str) -> Self {
        match flag.trim().parse::<i32>() {
            Ok(id) => Self::Id(id),
            Err(_) => Self::File(flag.into()),
        }
    }
}

impl Encoder {
    /// Registers the schema under `subject` (or fetches the given id) and
    /// builds its codec. `references` are the file's references.
    pub(crate) async fn prepare(
        registry: &RegistryClient,
        format: Format,
        choice: &SchemaChoice,
        subject: &str,
        references: &[ferry_registry::client::FetchedReference],
    ) -> anyhow::Result<Self> {
        match choice {
            SchemaChoice::Id(id) => {
                let context = subject
                    .strip_prefix(":.")
                    .and_then(|s| s.split_once(':'))
                    .map(|(ctx, _)| format!(".{ctx}"));
                let schema = registry::schema_by_id(registry, *id, context.as_deref()).await?;
                let codec = Codec::build(&schema)?;
                Ok(Self { id: *id, codec })
            }
            SchemaChoice::File(path) => {
                let Some(schema_type) = format.schema_type() else {
                    bail!(
                        "--schema needs --value-format (or --key-format) avro, jsonschema or protobuf"
                    );
                };
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow!("cannot read the schema file {}: {e}", path.display()))?;
                let texts = registry::references(registry, references, None).await?;
                let schema = registry::SchemaWithReferences {
                    schema_type: schema_type.to_owned(),
                    text: text.clone(),
                    references: texts,
                };
                let codec =
                    Codec::build(&schema).map_err(|e| anyhow!("{}: {e:#}", path.display()))?;
                let body = serde_json::json!({
                    "schema": text,
                    "schemaType": schema_type,
                    "references": references
                        .iter()
                        .map(|r| serde_json::json!({
                            "name": r.name, "subject": r.subject, "version": r.version,
                        }))
                        .collect::<Vec<_>>(),
                });
                let id = registry.register(subject, &body).await?;
                eprintln!(
                    "Successfully registered schema with ID \"{id}\" under subject \"{subject}\"."
                );
                Ok(Self { id, codec })
            }
        }
    }

    /// The framed bytes for one JSON document.
    pub(crate) fn encode(&self, text: &str) -> anyhow::Result<Vec<u8>> {
        let json: Json =
            serde_json::from_str(text).map_err(|e| anyhow!("not a JSON document: {e}"))?;
        let payload = self.codec.encode(&json)?;
        Ok(wire::frame(self.id, &payload))
    }
}
