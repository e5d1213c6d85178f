//! Protobuf schemas: parsing `.proto` text or a base64 `FileDescriptorProto`
//! with Confluent references, the identity the registry compares, and
//! compatibility by Confluent's Protobuf diff rules.
//!
//! # Parsing
//! [`ProtobufSchema::parse`] accepts both forms Confluent's clients send:
//! `.proto` text (Java, Go, the REST API) and the base64 of a serialized
//! `FileDescriptorProto` (confluent-kafka-python's `ProtobufSerializer`).
//! Referenced schemas (`(name, text)`, either form) are the files the
//! schema imports, by reference name; the well-known `google/protobuf/*`,
//! `google/type/*` and `confluent/*` files are built in (see `builtins`),
//! as confluent-kafka's serializers never register them. The files are compiled and linked with `protox`
//! (every type name must resolve, field numbers must be valid and unique,
//! proto3 rules hold, …); any failure is the 42201 message. The schema
//! must define at least one message, enum or service.
//!
//! # Identity
//! "Same schema" compares the compiled `FileDescriptorProto` of the main
//! file with its file name, source info (comments, positions) and
//! `json_name`s cleared and an empty `syntax` read as `proto2`: the same
//! definitions given as text or as a descriptor, or with other comments and
//! formatting, are the same schema (Confluent compares its canonical text,
//! which drops the same details). The stored text stays as given.
//!
//! # Compatibility
//! See [`diff`] for the rules (Confluent's `protobuf.diff`).

use std::collections::HashMap;

use base64::Engine;
use prost::Message;
use prost_reflect::{DescriptorPool, FileDescriptor};
use prost_types::FileDescriptorProto;
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

use crate::avro::CompatibilityLevel;

mod builtins;
pub mod diff;

pub use diff::{Difference, DifferenceType};

/// The file name a `.proto` text main schema compiles under (chosen so no
/// reference name collides with it).
const MAIN_FILE: &str = "__ferry_registry_schema__.proto";

/// A parsed, linked Protobuf schema.
#[derive(Debug, Clone)]
pub struct ProtobufSchema {
    file: FileDescriptor,
    identity: String,
}

/// One file the compiler may open: source text or a decoded descriptor.
#[derive(Debug, Clone)]
enum Source {
    Text(String),
    Descriptor(Box<FileDescriptorProto>),
}

/// Serves the main schema and its references to `protox` by name.
#[derive(Debug, Default)]
struct References {
    files: HashMap<String, Source>,
}

impl FileResolver for References {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.files.get(name) {
            Some(Source::Text(text)) => File::from_source(name, text),
            Some(Source::Descriptor(d)) => {
                let mut d = (**d).clone();
                d.name = Some(name.to_owned());
                Ok(File::from_file_descriptor_proto(d))
            }
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

impl ProtobufSchema {
    /// Parses `text` (`.proto` or base64 descriptor) with the referenced
    /// schemas `(name, text)`.
    ///
    /// # Errors
    /// The 42201 message.
    pub fn parse(text: &str, references: &[(String, String)]) -> Result<ProtobufSchema, String> {
        let invalid = |e: String| format!("Invalid protobuf schema: {e}");
        let mut files = References::default();
        for (name, text) in references {
            let source = source_of(text).map_err(|e| invalid(format!("reference {name}: {e}")))?;
            files.files.insert(name.clone(), source);
        }
        let main = source_of(text).map_err(invalid)?;
        let main_name = MAIN_FILE.to_owned();
        files.files.insert(main_name.clone(), main);
        let mut chain = ChainFileResolver::new();
        chain.add(files);
        chain.add(builtins::Builtins);
        chain.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(chain);
        compiler.include_imports(true);
        compiler
            .open_file(&main_name)
            .map_err(|e| invalid(e.to_string()))?;
        let pool: DescriptorPool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(&main_name)
            .ok_or_else(|| invalid("the schema did not compile".to_owned()))?;
        if file.messages().len() == 0
            && file.enums().len() == 0
            && file.file_descriptor_proto().service.is_empty()
        {
            return Err(invalid("no message, enum or service definition".to_owned()));
        }
        let identity = identity(file.file_descriptor_proto());
        Ok(ProtobufSchema { file, identity })
    }

    /// The compiled main file.
    pub fn file(&self) -> &FileDescriptor {
        &self.file
    }

    /// What "same schema" compares (see the module docs).
    pub fn identity(&self) -> &str {
        &self.identity
    }
}

/// Decodes a base64 descriptor or takes the text as `.proto` source.
fn source_of(text: &str) -> Result<Source, String> {
    match serialized_descriptor(text) {
        Some(bytes) => FileDescriptorProto::decode(bytes.as_slice())
            .map(|d| Source::Descriptor(Box::new(d)))
            .map_err(|e| format!("not a serialized FileDescriptorProto: {e}")),
        None if nesting(text) > MAX_NESTING => Err(format!(
            "definitions nested deeper than {MAX_NESTING} levels"
        )),
        None => Ok(Source::Text(text.to_owned())),
    }
}

/// How deep `{` blocks may nest in `.proto` text: the parser recurses per
/// level, so unbounded nesting from the network could exhaust the stack.
const MAX_NESTING: usize = 64;

/// The deepest `{` nesting in `.proto` text, outside strings and comments.
fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == '\\' {
                chars.next();
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '/' if chars.peek() == Some(&'/') => {
                chars.by_ref().find(|n| *n == '\n');
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
            }
            '{' => {
                depth += 1;
                max = max.max(depth);
            }
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The bytes of a base64 `FileDescriptorProto` (one token, standard
/// alphabet, padded), or `None` for `.proto` text.
fn serialized_descriptor(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() || text.contains(char::is_whitespace) || text.contains(['{', ';']) {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// The identity: the descriptor without name, source info and json names,
/// serialized and base64-encoded.
fn identity(file: &FileDescriptorProto) -> String {
    let mut file = file.clone();
    file.name = None;
    file.source_code_info = None;
    if file.syntax.as_deref().is_none_or(str::is_empty) {
        file.syntax = Some("proto2".to_owned());
    }
    fn clear(message: &mut prost_types::DescriptorProto) {
        for field in message.field.iter_mut().chain(message.extension.iter_mut()) {
            field.json_name = None;
        }
        for nested in &mut message.nested_type {
            clear(nested);
        }
    }
    for message in &mut file.message_type {
        clear(message);
    }
    for field in &mut file.extension {
        field.json_name = None;
    }
    base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec())
}

/// Checks `new` against a subject's live versions, newest first, at
/// `level`; the messages; empty = compatible.
pub fn check(
    level: CompatibilityLevel,
    new: &ProtobufSchema,
    existing_newest_first: &[ProtobufSchema],
) -> Vec<String> {
    crate::schema::check_level(level, new, existing_newest_first, |reader, writer| {
        diff::incompatibilities(writer, reader)
            .iter()
            .map(ToString::to_string)
            .collect()
    })
}
