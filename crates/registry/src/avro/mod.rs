//! Avro schemas: parsing (with Confluent references), the textual forms the
//! registry stores and compares, and compatibility verdicts.
//!
//! # Parsing and validation
//! [`AvroSchema::parse`] parses with apache-avro (`Schema::parse_str_with_list`,
//! the referenced schemas first), which rejects what the Avro specification
//! forbids: unknown types and names, missing `fields`/`symbols`/`items`/
//! `values`/`size`, duplicate field names and enum symbols, invalid names, and
//! field defaults that do not fit the field's type. Any rejection is an
//! [`AvroError`], which the REST layer answers with 422 / `42201`.
//! apache-avro follows Avro 1.12 for union defaults: a default may match any
//! branch of the union (Avro 1.11 and earlier required the first branch).
//!
//! # Textual forms
//! - [`AvroSchema::compact`] is what Java's `Schema.toString()` prints and
//!   what Confluent's registry uses to decide "same schema, same ID": compact
//!   JSON, attributes in Java's order, names relative to the enclosing
//!   namespace, `doc`, defaults, `order`, aliases and custom properties kept.
//! - [`AvroSchema::normalized`] is the form for `normalize=true`. See
//!   [`form`] for the exact rules of both.
//!
//! # Compatibility
//! [`can_read`] decides whether data written with one schema can be read with
//! another, by Java Avro's `SchemaCompatibility` rules (which implement the
//! specification's schema resolution); [`check`] applies a
//! [`CompatibilityLevel`] over a subject's history. The rules are ferry's own
//! (see [`resolve`] for why apache-avro's checker is not used and where it
//! disagrees with Java).

use std::collections::HashMap;
use std::sync::Arc;

use apache_avro::Schema;
use serde_json::Value;

pub mod compat;
pub mod form;
mod names;
pub mod resolve;

#[cfg(test)]
mod tests;

pub use compat::{CompatibilityLevel, check};
pub use resolve::{Incompatibility, IncompatibilityKind, can_read};

/// A schema another schema refers to, as Confluent's `references` carry it:
/// the registry looks up `{name, subject, version}` and hands the stored text
/// here. Pass every reference transitively needed, referenced ones first or
/// not: apache-avro resolves cross-references among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroReference {
    /// The fully-qualified type name the reference defines (Confluent's
    /// `references[].name`); informative, the schema text is authoritative.
    pub name: String,
    /// The referenced schema's text as stored.
    pub schema: String,
}

/// Why a schema was rejected. The registry maps every variant to HTTP 422,
/// error code `42201` ("Invalid schema"); the message goes to the client.
#[derive(Debug, thiserror::Error)]
pub enum AvroError {
    /// The text is not JSON at all.
    #[error("Invalid schema: not valid JSON: {0}")]
    Json(String),
    /// The JSON is not a valid Avro schema (apache-avro's reason).
    #[error("Invalid schema: {0}")]
    Schema(String),
    /// A referenced schema is itself invalid.
    #[error("Invalid schema: reference {name}: {message}")]
    Reference {
        /// The reference's name as given.
        name: String,
        /// Why it was rejected.
        message: String,
    },
}

impl AvroError {
    /// Confluent's error code for every Avro parse failure.
    pub const ERROR_CODE: u32 = 42201;
}

/// A parsed, validated Avro schema with its references resolved.
///
/// Cheap enough to parse per request; the registry may cache it per ID.
/// Cloning shares the parsed form (one pointer).
#[derive(Debug, Clone)]
pub struct AvroSchema {
    inner: Arc<Parsed>,
}

/// What [`AvroSchema`] shares between clones.
#[derive(Debug)]
struct Parsed {
    /// The parsed schema (named references appear as `Schema::Ref`).
    schema: Schema,
    /// Every named type visible to `schema` (its own and the references'),
    /// by full name, so compatibility checks can follow `Schema::Ref`.
    names: HashMap<String, Schema>,
    /// The input JSON, walked by [`form`] to print compact/normalized text.
    json: Value,
    /// Cached [`AvroSchema::compact`].
    compact: String,
}

impl AvroSchema {
    /// Parses `text`, resolving named types defined by `references`.
    ///
    /// # Errors
    /// [`AvroError`] when the text or a reference is not a valid Avro schema.
    pub fn parse(text: &str, references: &[AvroReference]) -> Result<AvroSchema, AvroError> {
        let json: Value = serde_json::from_str(text).map_err(|e| AvroError::Json(e.to_string()))?;
        for reference in references {
            if let Err(e) = serde_json::from_str::<Value>(&reference.schema) {
                return Err(AvroError::Reference {
                    name: reference.name.clone(),
                    message: format!("not valid JSON: {e}"),
                });
            }
        }
        let (schema, referenced) = if references.is_empty() {
            let schema = Schema::parse(&json).map_err(|e| AvroError::Schema(e.to_string()))?;
            (schema, Vec::new())
        } else {
            Schema::parse_str_with_list(text, references.iter().map(|r| r.schema.as_str()))
                .map_err(|e| AvroError::Schema(e.to_string()))?
        };
        let mut names = HashMap::new();
        for s in referenced.iter().chain(std::iter::once(&schema)) {
            collect_names(s, &mut names);
        }
        let mut defined = std::collections::HashSet::new();
        for reference in references {
            if let Ok(json) = serde_json::from_str::<Value>(&reference.schema) {
                // Names may repeat across references (diamonds); only the
                // main schema must not redefine one.
                let mut own = std::collections::HashSet::new();
                names::check_unique(&json, &mut own).map_err(|e| AvroError::Reference {
                    name: reference.name.clone(),
                    message: e.to_string(),
                })?;
                defined.extend(own);
            }
        }
        names::check_unique(&json, &mut defined)?;
        let compact = form::compact(&json)?;
        Ok(AvroSchema {
            inner: Arc::new(Parsed {
                schema,
                names,
                json,
                compact,
            }),
        })
    }

    /// Java's `Schema.toString()` form: the registry's identity key ("same
    /// schema → same ID", Confluent compares `canonicalString()`, which is
    /// this) and the text to store and serve for a schema registered without
    /// `normalize=true`.
    pub fn compact(&self) -> &str {
        &self.inner.compact
    }

    /// The `normalize=true` form: [`AvroSchema::compact`] with every name
    /// fully qualified and no `namespace` attributes (see [`form`]).
    pub fn normalized(&self) -> String {
        // The JSON was printed once already in `parse`, so this cannot fail;
        // fall back to the compact form rather than panic.
        form::normalized(&self.inner.json).unwrap_or_else(|_| self.inner.compact.clone())
    }

    /// The apache-avro schema, for encoding/decoding data.
    pub fn schema(&self) -> &Schema {
        &self.inner.schema
    }

    /// Looks up a named type (record, enum, fixed) by full name, among this
    /// schema's own definitions and its references'.
    pub(crate) fn named(&self, fullname: &str) -> Option<&Schema> {
        self.inner.names.get(fullname)
    }
}

/// Records every named definition under `schema` by full name.
fn collect_names(schema: &Schema, names: &mut HashMap<String, Schema>) {
    match schema {
        Schema::Record(r) => {
            names.insert(r.name.fullname(None), schema.clone());
            for field in &r.fields {
                collect_names(&field.schema, names);
            }
        }
        Schema::Enum(e) => {
            names.insert(e.name.fullname(None), schema.clone());
        }
        Schema::Fixed(f) | Schema::Duration(f) => {
            names.insert(f.name.fullname(None), schema.clone());
        }
        Schema::Decimal(d) => {
            if let apache_avro::schema::InnerDecimalSchema::Fixed(f) = &d.inner {
                names.insert(f.name.fullname(None), schema.clone());
            }
        }
        Schema::Uuid(apache_avro::schema::UuidSchema::Fixed(f)) => {
            names.insert(f.name.fullname(None), schema.clone());
        }
        Schema::Array(a) => collect_names(&a.items, names),
        Schema::Map(m) => collect_names(&m.types, names),
        Schema::Union(u) => {
            for branch in u.variants() {
                collect_names(branch, names);
            }
        }
        _ => {}
    }
}
