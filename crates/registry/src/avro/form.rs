//! The textual forms of an Avro schema: `compact` (Java's
//! `Schema.toString()`, the registry's identity key) and `normalized`
//! (`normalize=true`).
//!
//! Both walk the schema's JSON (already validated by apache-avro) rather than
//! apache-avro's `Schema`, because apache-avro turns logical types into their
//! own variants and drops attributes Java keeps; Java keeps `logicalType`,
//! `precision`, `scale` and every unknown attribute as properties.
//!
//! # Compact (Java `Schema.toString()`)
//! - Whitespace-free JSON; a primitive without properties is the bare string
//!   (`{"type":"int"}` → `"int"`), a union is an array.
//! - Records: `type`, `name`, `namespace`, `doc`, `fields`, properties,
//!   `aliases`. Fields: `name`, `type`, `doc`, `default`, `order` (only when
//!   not `ascending`), `aliases`, properties. Enums: `type`, `name`,
//!   `namespace`, `doc`, `symbols`, `default`, properties, `aliases`. Fixed:
//!   `type`, `name`, `namespace`, `doc`, `size`, properties, `aliases`.
//!   Arrays: `type`, `items`, properties; maps: `type`, `values`, properties.
//! - `name` is the simple name; `namespace` is written only when it differs
//!   from the enclosing one (`""` when a nameless namespace sits inside a
//!   named one). Type references and aliases are written as the simple name
//!   when their namespace is the enclosing one, else fully qualified.
//! - Properties (anything not reserved) are kept, sorted by key, nested
//!   objects too (ferry's JSON maps are sorted). Java keeps their input
//!   order, so two schemas that differ only in the order of custom properties
//!   are one schema here where Java would give them two IDs. Numbers print as serde_json prints them.
//!
//! # Normalized (`normalize=true`)
//! ferry's choice, stable and a function of meaning only: the compact form
//! with every `name`, type reference and named-type alias fully qualified and
//! no `namespace` attribute at all, so moving a namespace between `name` and
//! `namespace` or relying on the enclosing namespace no longer changes the
//! text. Field order, symbols order, docs and properties are kept: they change
//! the schema's meaning (field order is the binary encoding).

use serde_json::{Map, Value};

use super::AvroError;

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];
/// Attributes Java's `Schema` understands on a schema; all others are
/// properties. (`default` is reserved for enums only.)
const SCHEMA_RESERVED: [&str; 10] = [
    "type",
    "name",
    "namespace",
    "doc",
    "fields",
    "symbols",
    "items",
    "values",
    "size",
    "aliases",
];
const FIELD_RESERVED: [&str; 6] = ["name", "type", "doc", "default", "order", "aliases"];

/// Java's `Schema.toString()` of `json`.
pub(crate) fn compact(json: &Value) -> Result<String, AvroError> {
    let mut out = String::new();
    Writer { normalize: false }.schema(json, None, &mut out)?;
    Ok(out)
}

/// The `normalize=true` form of `json`.
pub(crate) fn normalized(json: &Value) -> Result<String, AvroError> {
    let mut out = String::new();
    Writer { normalize: true }.schema(json, None, &mut out)?;
    Ok(out)
}

fn invalid(message: impl Into<String>) -> AvroError {
    AvroError::Schema(message.into())
}

/// Splits a full name into (namespace, simple name).
fn split(fullname: &str) -> (Option<&str>, &str) {
    match fullname.rsplit_once('.') {
        Some((space, name)) => (Some(space), name),
        None => (None, fullname),
    }
}

/// The full name of `name` seen from namespace `space`.
pub(crate) fn qualify(name: &str, space: Option<&str>) -> String {
    match space {
        Some(space) if !name.contains('.') && !space.is_empty() => format!("{space}.{name}"),
        _ => name.to_owned(),
    }
}

fn push_json(out: &mut String, value: &Value) {
    // Serialising a `Value` to a string cannot fail (string keys only).
    out.push_str(&serde_json::to_string(value).unwrap_or_default());
}

fn push_key(out: &mut String, first: &mut bool, key: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    push_json(out, &Value::String(key.to_owned()));
    out.push(':');
}

struct Writer {
    normalize: bool,
}

impl Writer {
    /// Writes the schema `json` seen from enclosing namespace `space`.
    fn schema(&self, json: &Value, space: Option<&str>, out: &mut String) -> Result<(), AvroError> {
        match json {
            Value::String(name) => {
                self.reference(name, space, out);
                Ok(())
            }
            Value::Array(branches) => {
                out.push('[');
                for (i, branch) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.schema(branch, space, out)?;
                }
                out.push(']');
                Ok(())
            }
            Value::Object(map) => self.object(map, space, out),
            other => Err(invalid(format!("not a schema: {other}"))),
        }
    }

    /// A type name used as a type: a primitive or a reference to a named type.
    fn reference(&self, name: &str, space: Option<&str>, out: &mut String) {
        if PRIMITIVES.contains(&name) {
            push_json(out, &Value::String(name.to_owned()));
            return;
        }
        let full = qualify(name, space);
        let text = if self.normalize {
            full
        } else {
            relative(&full, space)
        };
        push_json(out, &Value::String(text));
    }

    fn object(
        &self,
        map: &Map<String, Value>,
        space: Option<&str>,
        out: &mut String,
    ) -> Result<(), AvroError> {
        let kind = match map.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            // `{"type": {...}}` / `{"type": [...]}`: the wrapper adds nothing.
            Some(inner @ (Value::Object(_) | Value::Array(_))) => {
                return self.schema(inner, space, out);
            }
            _ => return Err(invalid("schema object without a string \"type\"")),
        };
        match kind {
            "record" | "error" | "enum" | "fixed" => self.named(kind, map, space, out),
            "array" | "map" => {
                let (key, part) = if kind == "array" {
                    ("items", "items")
                } else {
                    ("values", "values")
                };
                let inner = map
                    .get(key)
                    .ok_or_else(|| invalid(format!("{kind} without \"{part}\"")))?;
                out.push('{');
                let mut first = true;
                push_key(out, &mut first, "type");
                push_json(out, &Value::String(kind.to_owned()));
                push_key(out, &mut first, key);
                self.schema(inner, space, out)?;
                self.props(map, &SCHEMA_RESERVED, &mut first, out);
                out.push('}');
                Ok(())
            }
            _ if PRIMITIVES.contains(&kind) => {
                let has_props = map.keys().any(|k| !SCHEMA_RESERVED.contains(&k.as_str()));
                if !has_props {
                    push_json(out, &Value::String(kind.to_owned()));
                    return Ok(());
                }
                out.push('{');
                let mut first = true;
                push_key(out, &mut first, "type");
                push_json(out, &Value::String(kind.to_owned()));
                self.props(map, &SCHEMA_RESERVED, &mut first, out);
                out.push('}');
                Ok(())
            }
            // `{"type": "com.example.Named"}`: a reference in object form.
            name => {
                self.reference(name, space, out);
                Ok(())
            }
        }
    }

    /// Records, errors, enums and fixed.
    fn named(
        &self,
        kind: &str,
        map: &Map<String, Value>,
        space: Option<&str>,
        out: &mut String,
    ) -> Result<(), AvroError> {
        let name = map
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(format!("{kind} without a \"name\"")))?;
        let full = if name.contains('.') {
            name.to_owned()
        } else {
            match map.get("namespace").and_then(Value::as_str) {
                Some(ns) => qualify(name, Some(ns)),
                None => qualify(name, space),
            }
        };
        let (own_space, simple) = split(&full);
        out.push('{');
        let mut first = true;
        push_key(out, &mut first, "type");
        push_json(out, &Value::String(kind.to_owned()));
        push_key(out, &mut first, "name");
        if self.normalize {
            push_json(out, &Value::String(full.clone()));
        } else {
            push_json(out, &Value::String(simple.to_owned()));
            match (own_space, space) {
                (Some(own), enclosing) if Some(own) != enclosing => {
                    push_key(out, &mut first, "namespace");
                    push_json(out, &Value::String(own.to_owned()));
                }
                (None, Some(enclosing)) if !enclosing.is_empty() => {
                    push_key(out, &mut first, "namespace");
                    push_json(out, &Value::String(String::new()));
                }
                _ => {}
            }
        }
        if let Some(doc @ Value::String(_)) = map.get("doc") {
            push_key(out, &mut first, "doc");
            push_json(out, doc);
        }
        let mut reserved: Vec<&str> = SCHEMA_RESERVED.to_vec();
        match kind {
            "record" | "error" => {
                let fields = map
                    .get("fields")
                    .and_then(Value::as_array)
                    .ok_or_else(|| invalid(format!("record {full} without \"fields\"")))?;
                push_key(out, &mut first, "fields");
                out.push('[');
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.field(field, own_space, out)?;
                }
                out.push(']');
            }
            "enum" => {
                reserved.push("default");
                let symbols = map
                    .get("symbols")
                    .ok_or_else(|| invalid(format!("enum {full} without \"symbols\"")))?;
                push_key(out, &mut first, "symbols");
                push_json(out, symbols);
                if let Some(default) = map.get("default") {
                    push_key(out, &mut first, "default");
                    push_json(out, default);
                }
            }
            _ => {
                let size = map
                    .get("size")
                    .ok_or_else(|| invalid(format!("fixed {full} without \"size\"")))?;
                push_key(out, &mut first, "size");
                push_json(out, size);
            }
        }
        self.props(map, &reserved, &mut first, out);
        if let Some(aliases) = map.get("aliases").and_then(Value::as_array)
            && !aliases.is_empty()
        {
            push_key(out, &mut first, "aliases");
            out.push('[');
            for (i, alias) in aliases.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let alias = alias.as_str().unwrap_or_default();
                let alias_full = qualify(alias, own_space);
                let text = if self.normalize {
                    alias_full
                } else {
                    relative(&alias_full, own_space)
                };
                push_json(out, &Value::String(text));
            }
            out.push(']');
        }
        out.push('}');
        Ok(())
    }

    fn field(&self, json: &Value, space: Option<&str>, out: &mut String) -> Result<(), AvroError> {
        let map = json
            .as_object()
            .ok_or_else(|| invalid("a record field is not an object"))?;
        let name = map
            .get("name")
            .ok_or_else(|| invalid("a record field without \"name\""))?;
        let ty = map
            .get("type")
            .ok_or_else(|| invalid(format!("field {name} without \"type\"")))?;
        out.push('{');
        let mut first = true;
        push_key(out, &mut first, "name");
        push_json(out, name);
        push_key(out, &mut first, "type");
        self.schema(ty, space, out)?;
        if let Some(doc @ Value::String(_)) = map.get("doc") {
            push_key(out, &mut first, "doc");
            push_json(out, doc);
        }
        if let Some(default) = map.get("default") {
            push_key(out, &mut first, "default");
            push_json(out, default);
        }
        if let Some(Value::String(order)) = map.get("order")
            && order != "ascending"
        {
            push_key(out, &mut first, "order");
            push_json(out, &Value::String(order.clone()));
        }
        if let Some(aliases @ Value::Array(list)) = map.get("aliases")
            && !list.is_empty()
        {
            push_key(out, &mut first, "aliases");
            push_json(out, aliases);
        }
        self.props(map, &FIELD_RESERVED, &mut first, out);
        out.push('}');
        Ok(())
    }

    /// Writes every non-reserved attribute, sorted by key.
    fn props(
        &self,
        map: &Map<String, Value>,
        reserved: &[&str],
        first: &mut bool,
        out: &mut String,
    ) {
        for (key, value) in map {
            if !reserved.contains(&key.as_str()) {
                push_key(out, first, key);
                push_json(out, value);
            }
        }
    }
}

/// Java's `Name.getQualified(space)`: the simple name when `full` lives in
/// `space` (or in no namespace), else the full name.
fn relative(full: &str, space: Option<&str>) -> String {
    match split(full) {
        (None, simple) => simple.to_owned(),
        (Some(own), simple) if Some(own) == space => simple.to_owned(),
        _ => full.to_owned(),
    }
}
