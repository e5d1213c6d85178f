//! JSON Schema: parsing with Confluent references, and compatibility by
//! Confluent's JSON Schema diff rules.
//!
//! # Parsing
//! [`JsonSchema::parse`] takes the schema text and the referenced schemas
//! (`(name, text)`, transitively). Every one must be JSON and structurally
//! a JSON Schema (see `validate`), and every `$ref` must resolve: inside
//! its own document by JSON pointer or anchor, or to a referenced schema by
//! its reference name (also when the `$ref` is a URL ending in that name).
//! Failures are the 42201 message.
//!
//! # Compatibility
//! The diff compares an *original* with an *update* and lists
//! [`Difference`]s, each compatible or not
//! ([`DifferenceType::is_compatible`], Confluent's `COMPATIBLE_CHANGES`).
//! A change is compatible when every document valid under the original
//! stays valid under the update, so BACKWARD compares original = existing
//! version, update = new schema (the new schema reads old data); FORWARD
//! the other way round; FULL both; `*_TRANSITIVE` against every live
//! version; NONE nothing.
//!
//! | change (original → update)                                  | difference                                   | compatible |
//! |-------------------------------------------------------------|----------------------------------------------|------------|
//! | property removed, update's model open                      | `PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL`   | yes |
//! | property removed, update closed (`additionalProperties: false`) | `PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL` | no |
//! | property removed, covered by update's `additionalProperties`/`patternProperties` schema | `…_IS_COVERED_…` / `…_NOT_COVERED_…` | if the property's schema is compatible with it |
//! | property added, original open (typed schema)               | `PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL`       | no (the original allowed anything there) |
//! | property added with schema `{}`/`true`, original open      | `PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL` | yes |
//! | optional property added, original closed                   | `OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL` | yes |
//! | required property added, original closed, with / without `default` | `REQUIRED_PROPERTY_(WITH_DEFAULT_)ADDED_TO_UNOPEN_CONTENT_MODEL` | with default only |
//! | existing property made required, with / without `default`  | `REQUIRED_ATTRIBUTE_(WITH_DEFAULT_)ADDED`    | with default only |
//! | property no longer required                                | `REQUIRED_ATTRIBUTE_REMOVED`                 | yes |
//! | `additionalProperties` false → absent/true                 | `ADDITIONAL_PROPERTIES_ADDED`                | yes |
//! | `additionalProperties` absent/true → false                 | `ADDITIONAL_PROPERTIES_REMOVED`              | no |
//! | `additionalProperties` schema added / removed / changed    | `…_NARROWED` no / `…_EXTENDED` yes / compared |    |
//! | `integer` → `number`                                       | `TYPE_EXTENDED`                              | yes |
//! | `number` → `integer`                                       | `TYPE_NARROWED`                              | no |
//! | other type change (`string` → `integer`, …)                 | `TYPE_CHANGED`                               | no |
//! | `T` → `anyOf`/`oneOf`/type list containing a compatible `T` | `SUM_TYPE_EXTENDED`                          | yes |
//! | anything → `{}`/`true`; `false` → anything                 | none                                         | yes |
//! | `maxLength`, `maximum`, `exclusiveMaximum`, `maxItems`, `maxProperties` increased or removed | `…_INCREASED` / `…_REMOVED` | yes |
//! | the same decreased or added                                | `…_DECREASED` / `…_ADDED`                    | no |
//! | `minLength`, `minimum`, `exclusiveMinimum`, `minItems`, `minProperties` decreased or removed | yes; increased or added: no | |
//! | `pattern` removed / added / changed                        | `PATTERN_…`                                  | removed only |
//! | `multipleOf` removed or made a divisor / added, multiplied, changed | `MULTIPLE_OF_…`                     | removed, reduced only |
//! | `uniqueItems` removed / added                              | `UNIQUE_ITEMS_…`                             | removed only |
//! | `enum` values added / removed / replaced (`const` is an enum of one) | `ENUM_ARRAY_EXTENDED` / `…_NARROWED` / `…_CHANGED` | added only |
//! | array `items` schema compared; removed / added             | `SCHEMA_REMOVED` / `SCHEMA_ADDED`            | removed only |
//! | tuple items (`items: [..]`, `prefixItems`) removed or added | `ITEM_…_CONTENT_MODEL` like properties     | as for properties |
//! | `dependencies` arrays / schemas                            | `DEPENDENCY_…`                               | narrowed or removed only |
//! | `allOf`/`anyOf`/`oneOf`: subschemas matched pairwise (maximum matching of compatible pairs) | `COMBINED_TYPE_SUBSCHEMAS_CHANGED` when not all of the smaller side match | |
//! | `anyOf`/`oneOf` gains / loses a subschema                  | `SUM_TYPE_EXTENDED` / `SUM_TYPE_NARROWED`    | gains only |
//! | `allOf` gains / loses a subschema                          | `PRODUCT_TYPE_EXTENDED` / `PRODUCT_TYPE_NARROWED` | loses only |
//! | criterion to `anyOf`; singleton to `oneOf`/`allOf`         | `COMBINED_TYPE_EXTENDED`                     | yes; other criterion changes `COMBINED_TYPE_CHANGED` no |
//! | `not` schema accepts less / more                           | `NOT_TYPE_NARROWED` / `NOT_TYPE_EXTENDED`    | narrowed only |
//!
//! A schema is modelled as Confluent's parser does: `$ref` is the schema it
//! names (references included; recursion stops at a pair already being
//! compared), `"type": [..]` is the `anyOf` of its types, a schema whose
//! keywords belong to several kinds (`type` plus `enum`, `properties` plus
//! `allOf`, …) is the `allOf` of one schema per kind.
//!
//! Not compared (always compatible here): `title`, `description`,
//! `default`, `$id`, `format`, `contains`, `if`/`then`/`else`,
//! `propertyNames`, `unevaluated*`, `dependentRequired`/`dependentSchemas`,
//! and the registry's `metadata`/`ruleSet` (not stored yet).

use serde_json::Value;

use crate::avro::CompatibilityLevel;

mod diff;
mod difference;
mod node;
mod refs;
mod validate;

pub use difference::{Difference, DifferenceType};

use node::Sub;
use refs::Documents;

/// A parsed, validated JSON Schema with its references.
#[derive(Debug, Clone)]
pub struct JsonSchema {
    docs: Documents,
}

impl JsonSchema {
    /// Parses `text` with the referenced schemas `(name, text)`.
    ///
    /// # Errors
    /// The 42201 message when the text or a reference is not JSON, not a
    /// JSON Schema, or a `$ref` does not resolve.
    pub fn parse(text: &str, references: &[(String, String)]) -> Result<JsonSchema, String> {
        let main: Value = serde_json::from_str(text)
            .map_err(|e| format!("Invalid schema: not valid JSON: {e}"))?;
        validate::check_schema(&main, "#", 0).map_err(|e| format!("Invalid JSON schema: {e}"))?;
        let mut refs = Vec::new();
        for (name, text) in references {
            let value: Value = serde_json::from_str(text).map_err(|e| {
                format!("Invalid JSON schema: reference {name}: not valid JSON: {e}")
            })?;
            validate::check_schema(&value, "#", 0)
                .map_err(|e| format!("Invalid JSON schema: reference {name}: {e}"))?;
            refs.push((name.clone(), value));
        }
        let docs = Documents::new(main, refs);
        docs.check_all()
            .map_err(|e| format!("Invalid JSON schema: {e}"))?;
        Ok(JsonSchema { docs })
    }

    /// The schema as JSON.
    pub fn value(&self) -> &Value {
        self.docs.main()
    }

    /// The differences from `original` to `update` (compatible ones too).
    pub fn differences(original: &JsonSchema, update: &JsonSchema) -> Vec<Difference> {
        let mut ctx = diff::Ctx::new(&original.docs, &update.docs);
        ctx.compare(
            Some(Sub::whole(0, original.docs.main())),
            Some(Sub::whole(0, update.docs.main())),
        );
        ctx.into_differences()
    }

    /// The incompatible differences when `reader` reads data valid under
    /// `writer` (empty = compatible).
    pub fn incompatibilities(reader: &JsonSchema, writer: &JsonSchema) -> Vec<Difference> {
        let mut found = Self::differences(writer, reader);
        found.retain(|d| !d.kind.is_compatible());
        found
    }
}

/// Checks `new` against a subject's live versions, newest first, at
/// `level`; the messages (Confluent's shape, prefixed by the version's
/// position and direction as for Avro); empty = compatible.
pub fn check(
    level: CompatibilityLevel,
    new: &JsonSchema,
    existing_newest_first: &[JsonSchema],
) -> Vec<String> {
    crate::schema::check_level(level, new, existing_newest_first, |reader, writer| {
        JsonSchema::incompatibilities(reader, writer)
            .iter()
            .map(ToString::to_string)
            .collect()
    })
}
