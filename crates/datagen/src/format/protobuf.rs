//! `output.data.format=PROTOBUF`: a proto3 schema derived from the Avro
//! schema, compiled with protox, and values encoded as prost-reflect dynamic
//! messages.
//!
//! Mapping: the top-level record is the file's first message (so the wire
//! format's message-index array is `[0]`); other records are top-level
//! messages too (nesting would clash with same-named fields); fields are
//! numbered 1.. in Avro order. int→int32, long→int64, float, double,
//! boolean→bool, string→string, bytes/fixed→bytes, enum→enum (symbol i has
//! number i), array→repeated, map→map<string, V>, `["null", T]`→`optional T`,
//! other unions→a `oneof` named after the field with members
//! `<field>_<n>`. A record with fields that differ only in case and
//! underscores (CLICKSTREAM's `time` and `_time`) cannot be proto3, so such a
//! schema is written as proto2 with `optional` fields. Logical types map to their underlying type (Confluent's
//! converter would use google.protobuf wrappers; ferry keeps the file free of
//! imports). Arrays of arrays, maps of maps/arrays, bare `null` fields and
//! recursive records are refused with [`DatagenError::Unsupported`].

use std::collections::HashMap;
use std::fmt::Write as _;

use apache_avro::Schema;
use apache_avro::types::Value as Avro;
use prost::Message as _;
use prost_reflect::{DynamicMessage, MapKey, MessageDescriptor, Value as Proto};

use crate::error::DatagenError;

const FORMAT: &str = "PROTOBUF";

/// The proto file name used when compiling (and a sensible registry name).
const FILE_NAME: &str = "value.proto";

/// A derived proto schema and the descriptor to encode with.
#[derive(Debug, Clone)]
pub struct ProtobufSchema {
    text: String,
    descriptor: MessageDescriptor,
}

impl ProtobufSchema {
    /// Derives and compiles the proto3 schema for `schema` (a record).
    pub fn derive(schema: &Schema) -> Result<Self, DatagenError> {
        let text = ProtoWriter::write(schema)?;
        let mut compiler = protox::Compiler::with_file_resolver(Source(text.clone()));
        compiler
            .open_file(FILE_NAME)
            .map_err(|e| DatagenError::Unsupported {
                format: FORMAT,
                message: format!("the derived schema does not compile: {e}"),
            })?;
        let pool = compiler.descriptor_pool();
        let descriptor = pool
            .get_file_by_name(FILE_NAME)
            .and_then(|file| file.messages().next())
            .ok_or_else(|| DatagenError::Unsupported {
                format: FORMAT,
                message: "the derived schema has no message".into(),
            })?;
        Ok(ProtobufSchema { text, descriptor })
    }

    /// The `.proto` text to register (`schemaType` PROTOBUF).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The value message's descriptor.
    pub fn descriptor(&self) -> &MessageDescriptor {
        &self.descriptor
    }

    /// `value` (a record) as protobuf message bytes, without framing.
    pub fn encode(&self, value: &Avro) -> Result<Vec<u8>, DatagenError> {
        Ok(to_message(&self.descriptor, value)?.encode_to_vec())
    }
}

/// Serves the derived text to protox under [`FILE_NAME`].
struct Source(String);

impl protox::file::FileResolver for Source {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        if name == FILE_NAME {
            protox::file::File::from_source(name, &self.0)
        } else {
            Err(protox::Error::file_not_found(name))
        }
    }
}

fn unsupported(message: String) -> DatagenError {
    DatagenError::Unsupported {
        format: FORMAT,
        message,
    }
}

/// Writes the proto3 text: one message per record, one enum per enum.
struct ProtoWriter<'a> {
    /// Write proto2 (`optional` on singular fields) instead of proto3.
    proto2: bool,
    /// Set when two fields of a record differ only in case and underscores
    /// (CLICKSTREAM's `time` and `_time`): proto3 forbids that, proto2 allows it.
    camel_case_conflict: bool,
    package: String,
    names: HashMap<String, &'a Schema>,
    /// Named types still to write, in discovery order.
    queue: Vec<&'a Schema>,
    written: Vec<String>,
    out: String,
}

impl<'a> ProtoWriter<'a> {
    fn write(schema: &'a Schema) -> Result<String, DatagenError> {
        let (text, conflict) = Self::write_as(schema, false)?;
        if conflict {
            return Ok(Self::write_as(schema, true)?.0);
        }
        Ok(text)
    }

    fn write_as(schema: &'a Schema, proto2: bool) -> Result<(String, bool), DatagenError> {
        let Schema::Record(root) = schema else {
            return Err(unsupported(
                "a top-level schema that is not a record".into(),
            ));
        };
        let package = root.name.namespace().map(str::to_owned).unwrap_or_default();
        let mut writer = ProtoWriter {
            proto2,
            camel_case_conflict: false,
            package,
            names: HashMap::new(),
            queue: vec![schema],
            written: Vec::new(),
            out: format!(
                "syntax = \"{}\";\n",
                if proto2 { "proto2" } else { "proto3" }
            ),
        };
        if !writer.package.is_empty() {
            let _ = writeln!(writer.out, "package {};", writer.package);
        }
        let mut next = 0;
        while let Some(schema) = writer.queue.get(next).copied() {
            next += 1;
            writer.definition(schema)?;
        }
        Ok((writer.out, writer.camel_case_conflict))
    }

    /// The proto name of a named Avro type.
    fn proto_name(&self, full: &str) -> String {
        match full.rsplit_once('.') {
            Some((namespace, name)) if namespace == self.package => name.to_owned(),
            Some(_) => full.replace('.', "_"),
            None => full.to_owned(),
        }
    }

    /// The fully qualified reference to a named type, so a field called
    /// like its type (`address address = 5`) does not shadow it.
    fn type_ref(&self, full: &str) -> String {
        if self.package.is_empty() {
            format!(".{}", self.proto_name(full))
        } else {
            format!(".{}.{}", self.package, self.proto_name(full))
        }
    }

    fn remember(&mut self, full: String, schema: &'a Schema) {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.names.entry(full) {
            slot.insert(schema);
            self.queue.push(schema);
        }
    }

    fn definition(&mut self, schema: &'a Schema) -> Result<(), DatagenError> {
        match schema {
            Schema::Record(record) => {
                let full = record.name.fullname(None);
                if self.written.contains(&full) {
                    return Ok(());
                }
                self.written.push(full.clone());
                self.names.insert(full.clone(), schema);
                let mut folded: Vec<String> = record
                    .fields
                    .iter()
                    .map(|f| f.name.replace('_', "").to_lowercase())
                    .collect();
                folded.sort();
                folded.dedup();
                if folded.len() != record.fields.len() {
                    self.camel_case_conflict = true;
                }
                let mut body = String::new();
                let mut number = 1;
                for field in &record.fields {
                    self.field(&mut body, &field.name, &field.schema, &mut number)?;
                }
                let _ = write!(
                    self.out,
                    "\nmessage {} {{\n{body}}}\n",
                    self.proto_name(&full)
                );
            }
            Schema::Enum(enumeration) => {
                let full = enumeration.name.fullname(None);
                if self.written.contains(&full) {
                    return Ok(());
                }
                self.written.push(full.clone());
                let _ = writeln!(self.out, "\nenum {} {{", self.proto_name(&full));
                for (number, symbol) in enumeration.symbols.iter().enumerate() {
                    let _ = writeln!(self.out, "  {symbol} = {number};");
                }
                self.out.push_str("}\n");
            }
            _ => {}
        }
        Ok(())
    }

    fn field(
        &mut self,
        body: &mut String,
        name: &str,
        schema: &'a Schema,
        number: &mut u32,
    ) -> Result<(), DatagenError> {
        match schema {
            Schema::Array(array) => {
                let item = self.scalar_or_named(&array.items, name)?;
                let _ = writeln!(
                    body,
                    "  repeated {item} {name} = {number}{};",
                    json_name(name)
                );
            }
            Schema::Map(map) => {
                let value = self.scalar_or_named(&map.types, name)?;
                let _ = writeln!(
                    body,
                    "  map<string, {value}> {name} = {number}{};",
                    json_name(name)
                );
            }
            Schema::Union(union) => {
                let branches: Vec<&'a Schema> = union
                    .variants()
                    .iter()
                    .filter(|s| !matches!(s, Schema::Null))
                    .collect();
                match branches.as_slice() {
                    [] => return Err(unsupported(format!("the null-only field {name}"))),
                    [single] => match single {
                        Schema::Array(_) | Schema::Map(_) => {
                            return self.field(body, name, single, number);
                        }
                        _ => {
                            let ty = self.scalar_or_named(single, name)?;
                            let _ = writeln!(
                                body,
                                "  optional {ty} {name} = {number}{};",
                                json_name(name)
                            );
                        }
                    },
                    many => {
                        let _ = writeln!(body, "  oneof {name} {{");
                        for (index, branch) in many.iter().enumerate() {
                            let ty = self.scalar_or_named(branch, name)?;
                            let _ = writeln!(body, "    {ty} {name}_{index} = {number};");
                            *number += 1;
                        }
                        body.push_str("  }\n");
                        return Ok(());
                    }
                }
            }
            Schema::Null => return Err(unsupported(format!("the null field {name}"))),
            other => {
                let ty = self.scalar_or_named(other, name)?;
                let label = if self.proto2 { "optional " } else { "" };
                let _ = writeln!(body, "  {label}{ty} {name} = {number}{};", json_name(name));
            }
        }
        *number += 1;
        Ok(())
    }

    /// The proto type of a non-repeated value.
    fn scalar_or_named(&mut self, schema: &'a Schema, field: &str) -> Result<String, DatagenError> {
        Ok(match schema {
            Schema::Boolean => "bool".into(),
            Schema::Int | Schema::Date | Schema::TimeMillis => "int32".into(),
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => "int64".into(),
            Schema::Float => "float".into(),
            Schema::Double => "double".into(),
            Schema::String | Schema::Uuid(_) | Schema::BigDecimal => "string".into(),
            Schema::Bytes | Schema::Decimal(_) | Schema::Duration(_) => "bytes".into(),
            Schema::Fixed(fixed) => {
                // Remembered so a later reference by name is bytes too.
                self.names.insert(fixed.name.fullname(None), schema);
                "bytes".into()
            }
            Schema::Record(record) => {
                let full = record.name.fullname(None);
                self.remember(full.clone(), schema);
                self.type_ref(&full)
            }
            Schema::Enum(enumeration) => {
                let full = enumeration.name.fullname(None);
                self.remember(full.clone(), schema);
                self.type_ref(&full)
            }
            Schema::Ref { name } => {
                let full = name.fullname(None);
                if let Some(Schema::Fixed(_)) = self.names.get(&full) {
                    return Ok("bytes".into());
                }
                self.type_ref(&full)
            }
            _ => {
                return Err(unsupported(format!(
                    "the nested collection or union in field {field}"
                )));
            }
        })
    }
}

/// ` [json_name = "..."]` when protobuf's default JSON name (lower camel
/// case) would differ from the Avro field name: keeps JSON renderings of the
/// message using the Avro names, and keeps fields such as `time` and `_time`
/// (CLICKSTREAM) from clashing in JSON.
fn json_name(name: &str) -> String {
    if name.contains('_') {
        format!(" [json_name = \"{name}\"]")
    } else {
        String::new()
    }
}

/// A record value as a dynamic message of `descriptor`.
fn to_message(
    descriptor: &MessageDescriptor,
    value: &Avro,
) -> Result<DynamicMessage, DatagenError> {
    let Avro::Record(fields) = value else {
        return Err(encode_error("the value is not a record".into()));
    };
    let mut message = DynamicMessage::new(descriptor.clone());
    for (name, value) in fields {
        let (name, value) = match value {
            Avro::Union(_, inner) if matches!(**inner, Avro::Null) => continue,
            Avro::Union(_, inner) => match descriptor.get_field_by_name(name) {
                // `optional T`: the field itself.
                Some(_) => (name.clone(), inner.as_ref()),
                // A oneof: the member for the branch, counted without null.
                None => {
                    let member = descriptor
                        .oneofs()
                        .find(|o| o.name() == name)
                        .and_then(|oneof| oneof.fields().find(|f| fits(f, inner)))
                        .ok_or_else(|| {
                            encode_error(format!("no oneof member of {name} fits the value"))
                        })?;
                    (member.name().to_owned(), inner.as_ref())
                }
            },
            other => (name.clone(), other),
        };
        let field = descriptor
            .get_field_by_name(&name)
            .ok_or_else(|| encode_error(format!("no field {name}")))?;
        let proto = to_proto(&field, value)?;
        message
            .try_set_field(&field, proto)
            .map_err(|e| encode_error(format!("field {name}: {e}")))?;
    }
    Ok(message)
}

/// Whether a oneof member's type takes `value`.
fn fits(field: &prost_reflect::FieldDescriptor, value: &Avro) -> bool {
    to_proto(field, value).is_ok_and(|proto| proto.is_valid_for_field(field))
}

fn to_proto(field: &prost_reflect::FieldDescriptor, value: &Avro) -> Result<Proto, DatagenError> {
    use prost_reflect::Kind;
    if field.is_map() {
        let Avro::Map(entries) = value else {
            return Err(encode_error(format!(
                "field {} expects a map",
                field.name()
            )));
        };
        let value_field = match field.kind() {
            Kind::Message(entry) => entry.map_entry_value_field(),
            _ => return Err(encode_error("map without entry type".into())),
        };
        let mut map = HashMap::with_capacity(entries.len());
        for (key, value) in entries {
            map.insert(MapKey::String(key.clone()), single(&value_field, value)?);
        }
        return Ok(Proto::Map(map));
    }
    if field.is_list() {
        let Avro::Array(items) = value else {
            return Err(encode_error(format!(
                "field {} expects an array",
                field.name()
            )));
        };
        return items
            .iter()
            .map(|item| single(field, item))
            .collect::<Result<_, _>>()
            .map(Proto::List);
    }
    single(field, value)
}

/// One non-repeated value of `field`'s type.
fn single(field: &prost_reflect::FieldDescriptor, value: &Avro) -> Result<Proto, DatagenError> {
    use prost_reflect::Kind;
    let value = match value {
        Avro::Union(_, inner) => inner.as_ref(),
        other => other,
    };
    Ok(match (field.kind(), value) {
        (Kind::Bool, Avro::Boolean(b)) => Proto::Bool(*b),
        (Kind::Int32, Avro::Int(n) | Avro::Date(n) | Avro::TimeMillis(n)) => Proto::I32(*n),
        (
            Kind::Int64,
            Avro::Long(n)
            | Avro::TimeMicros(n)
            | Avro::TimestampMillis(n)
            | Avro::TimestampMicros(n)
            | Avro::TimestampNanos(n)
            | Avro::LocalTimestampMillis(n)
            | Avro::LocalTimestampMicros(n)
            | Avro::LocalTimestampNanos(n),
        ) => Proto::I64(*n),
        (Kind::Float, Avro::Float(f)) => Proto::F32(*f),
        (Kind::Double, Avro::Double(f)) => Proto::F64(*f),
        (Kind::String, Avro::String(s)) => Proto::String(s.clone()),
        (Kind::String, Avro::Uuid(u)) => Proto::String(u.to_string()),
        (Kind::Bytes, Avro::Bytes(b) | Avro::Fixed(_, b)) => {
            Proto::Bytes(prost::bytes::Bytes::from(b.clone()))
        }
        (Kind::Bytes, Avro::Decimal(decimal)) => match <Vec<u8>>::try_from(decimal) {
            Ok(bytes) => Proto::Bytes(prost::bytes::Bytes::from(bytes)),
            Err(e) => return Err(encode_error(format!("field {}: {e}", field.name()))),
        },
        (Kind::Enum(_), Avro::Enum(index, _)) => Proto::EnumNumber(*index as i32),
        (Kind::Message(descriptor), record @ Avro::Record(_)) => {
            Proto::Message(to_message(&descriptor, record)?)
        }
        (kind, value) => {
            return Err(encode_error(format!(
                "field {} of type {kind:?} cannot hold {value:?}",
                field.name()
            )));
        }
    })
}

fn encode_error(message: String) -> DatagenError {
    DatagenError::Encode {
        format: FORMAT,
        message,
    }
}
