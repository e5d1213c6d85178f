//! Avro values: binary (the writer schema's) to plain JSON, and plain JSON
//! to binary against a schema.
//!
//! The JSON is what the `confluent` CLI prints since it decodes into
//! generic maps: a record is an object, a union is the value of its branch
//! (no `{"type": value}` wrapper), an enum its symbol. Choices where Avro
//! has no obvious JSON: `bytes` and `fixed` are base64 strings; date, time
//! and timestamp logical types are their numbers (days, millis, micros);
//! decimals are strings (`"12.34"`); uuids strings; durations
//! `{"months","days","millis"}`. Producing takes the same forms, and for a
//! union also the Avro JSON encoding's `{"branch type": value}`.

use std::collections::HashMap;

use anyhow::{Context as _, anyhow};
use apache_avro::schema::{Name, RecordSchema, ResolvedSchema, UnionSchema};
use apache_avro::types::Value;
use apache_avro::{Days, Decimal, Duration, Millis, Months, Schema};
use base64::Engine as _;
use serde_json::{Map, Number, Value as Json};

use super::decimal;

/// Deepest JSON/Avro nesting converted (guards the stack).
const MAX_DEPTH: usize = 128;

/// A parsed writer schema with its referenced schemas.
#[derive(Debug)]
pub(crate) struct AvroCodec {
    root: Schema,
    referenced: Vec<Schema>,
    names: HashMap<Name, Schema>,
}

impl AvroCodec {
    /// Parses `text`; `references` are the referenced schemas' texts
    /// (transitively, in any order).
    pub(crate) fn parse(text: &str, references: &[String]) -> anyhow::Result<Self> {
        let (root, referenced) = if references.is_empty() {
            (Schema::parse_str(text)?, Vec::new())
        } else {
            Schema::parse_str_with_list(text, references)?
        };
        let names = {
            // Dependencies first: the resolver only looks backwards.
            let all: Vec<&Schema> = referenced.iter().chain(std::iter::once(&root)).collect();
            let resolved = ResolvedSchema::new_with_schemata(all)?;
            resolved
                .get_names()
                .iter()
                .map(|(n, s)| (n.clone(), (*s).clone()))
                .collect()
        };
        Ok(Self {
            root,
            referenced,
            names,
        })
    }

    /// Every schema, dependencies first (the resolver only looks
    /// backwards).
    fn schemata(&self) -> Vec<&Schema> {
        self.referenced
            .iter()
            .chain(std::iter::once(&self.root))
            .collect()
    }

    /// Decodes one datum written with this schema and renders it as JSON.
    pub(crate) fn decode(&self, payload: &[u8]) -> anyhow::Result<Json> {
        let reader = apache_avro::reader::datum::GenericDatumReader::builder(&self.root)
            .writer_schemata(self.schemata())?
            .build()?;
        let mut cursor = payload;
        let value = reader
            .read_value(&mut cursor)
            .context("the payload is not Avro of the writer schema")?;
        if !cursor.is_empty() {
            anyhow::bail!("{} byte(s) left over after the Avro datum", cursor.len());
        }
        Ok(self.avro_to_json(&value, &self.root, 0))
    }

    /// Converts `json` against the schema and encodes it.
    pub(crate) fn encode(&self, json: &Json) -> anyhow::Result<Vec<u8>> {
        let value = self
            .json_to_avro(json, &self.root, "$", 0)
            .map_err(|e| anyhow!("{e}"))?;
        let writer = apache_avro::writer::datum::GenericDatumWriter::builder(&self.root)
            .schemata(self.schemata())?
            .build()?;
        Ok(writer.write_value_to_vec(value)?)
    }

    fn deref<'a>(&'a self, schema: &'a Schema) -> &'a Schema {
        let mut s = schema;
        // A chain of references is at most as long as the names.
        for _ in 0..=self.names.len() {
            match s {
                Schema::Ref { name } => match self.names.get(name) {
                    Some(found) => s = found,
                    None => return s,
                },
                _ => return s,
            }
        }
        s
    }

    fn avro_to_json(&self, value: &Value, schema: &Schema, depth: usize) -> Json {
        let schema = self.deref(schema);
        if depth > MAX_DEPTH {
            return Json::Null;
        }
        let d = depth + 1;
        match value {
            Value::Null => Json::Null,
            Value::Boolean(b) => Json::Bool(*b),
            Value::Int(i) | Value::Date(i) | Value::TimeMillis(i) => Json::from(*i),
            Value::Long(i)
            | Value::TimeMicros(i)
            | Value::TimestampMillis(i)
            | Value::TimestampMicros(i)
            | Value::TimestampNanos(i)
            | Value::LocalTimestampMillis(i)
            | Value::LocalTimestampMicros(i)
            | Value::LocalTimestampNanos(i) => Json::from(*i),
            Value::Float(f) => float(f64::from(*f)),
            Value::Double(f) => float(*f),
            Value::Bytes(b) | Value::Fixed(_, b) => {
                Json::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            Value::String(s) | Value::Enum(_, s) => Json::String(s.clone()),
            Value::Uuid(u) => Json::String(u.to_string()),
            Value::BigDecimal(b) => Json::String(b.to_string()),
            Value::Decimal(dec) => {
                let scale = match schema {
                    Schema::Decimal(d) => d.scale,
                    _ => 0,
                };
                let bytes: Vec<u8> = Vec::try_from(dec).unwrap_or_default();
                Json::String(decimal::render(&bytes, scale))
            }
            Value::Duration(du) => {
                let mut m = Map::new();
                m.insert("months".into(), u32::from(du.months()).into());
                m.insert("days".into(), u32::from(du.days()).into());
                m.insert("millis".into(), u32::from(du.millis()).into());
                Json::Object(m)
            }
            Value::Union(i, inner) => {
                let branch = match schema {
                    Schema::Union(u) => usize::try_from(*i).ok().and_then(|i| u.variants().get(i)),
                    _ => None,
                };
                self.avro_to_json(inner, branch.unwrap_or(&Schema::Null), d)
            }
            Value::Array(items) => {
                let item_schema = match schema {
                    Schema::Array(a) => &*a.items,
                    _ => &Schema::Null,
                };
                Json::Array(
                    items
                        .iter()
                        .map(|v| self.avro_to_json(v, item_schema, d))
                        .collect(),
                )
            }
            Value::Map(entries) => {
                let value_schema = match schema {
                    Schema::Map(m) => &*m.types,
                    _ => &Schema::Null,
                };
                Json::Object(
                    entries
                        .iter()
                        .map(|(k, v)| (k.clone(), self.avro_to_json(v, value_schema, d)))
                        .collect(),
                )
            }
            Value::Record(fields) => {
                let record = match schema {
                    Schema::Record(r) => Some(r),
                    _ => None,
                };
                Json::Object(
                    fields
                        .iter()
                        .map(|(name, v)| {
                            let field_schema = record
                                .and_then(|r| r.fields.iter().find(|f| &f.name == name))
                                .map_or(&Schema::Null, |f| &f.schema);
                            (name.clone(), self.avro_to_json(v, field_schema, d))
                        })
                        .collect(),
                )
            }
        }
    }

    fn json_to_avro(
        &self,
        json: &Json,
        schema: &Schema,
        at: &str,
        depth: usize,
    ) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!("{at}: nested too deeply"));
        }
        let d = depth + 1;
        let schema = self.deref(schema);
        let wrong = |what: &str| Err(format!("{at}: expected {what}, got {}", kind(json)));
        match schema {
            Schema::Null => match json {
                Json::Null => Ok(Value::Null),
                _ => wrong("null"),
            },
            Schema::Boolean => match json {
                Json::Bool(b) => Ok(Value::Boolean(*b)),
                _ => wrong("a boolean"),
            },
            Schema::Int => int(json, at).map(Value::Int),
            Schema::Date => int(json, at).map(Value::Date),
            Schema::TimeMillis => int(json, at).map(Value::TimeMillis),
            Schema::Long => long(json, at).map(Value::Long),
            Schema::TimeMicros => long(json, at).map(Value::TimeMicros),
            Schema::TimestampMillis => long(json, at).map(Value::TimestampMillis),
            Schema::TimestampMicros => long(json, at).map(Value::TimestampMicros),
            Schema::TimestampNanos => long(json, at).map(Value::TimestampNanos),
            Schema::LocalTimestampMillis => long(json, at).map(Value::LocalTimestampMillis),
            Schema::LocalTimestampMicros => long(json, at).map(Value::LocalTimestampMicros),
            Schema::LocalTimestampNanos => long(json, at).map(Value::LocalTimestampNanos),
            Schema::Float => double(json, at).map(|f| Value::Float(f as f32)),
            Schema::Double => double(json, at).map(Value::Double),
            Schema::String => match json {
                Json::String(s) => Ok(Value::String(s.clone())),
                _ => wrong("a string"),
            },
            Schema::Bytes => base64_of(json, at).map(Value::Bytes),
            Schema::Fixed(f) => {
                let bytes = base64_of(json, at)?;
                if bytes.len() != f.size {
                    return Err(format!(
                        "{at}: fixed {} needs {} byte(s), got {}",
                        f.name,
                        f.size,
                        bytes.len()
                    ));
                }
                Ok(Value::Fixed(f.size, bytes))
            }
            Schema::Enum(e) => match json {
                Json::String(s) => match e.symbols.iter().position(|x| x == s) {
                    Some(i) => Ok(Value::Enum(u32::try_from(i).unwrap_or(u32::MAX), s.clone())),
                    None => Err(format!(
                        "{at}: \"{s}\" is not a symbol of enum {} ({})",
                        e.name,
                        e.symbols.join(", ")
                    )),
                },
                _ => wrong("an enum symbol (string)"),
            },
            Schema::Uuid(_) => match json {
                Json::String(s) => apache_avro::Uuid::parse_str(s)
                    .map(Value::Uuid)
                    .map_err(|e| format!("{at}: not a uuid: {e}")),
                _ => wrong("a uuid string"),
            },
            Schema::BigDecimal => {
                let text = decimal_text(json, at)?;
                text.parse::<apache_avro::BigDecimal>()
                    .map(Value::BigDecimal)
                    .map_err(|e| format!("{at}: not a decimal: {e}"))
            }
            Schema::Decimal(dec) => {
                let text = decimal_text(json, at)?;
                let size = match &dec.inner {
                    apache_avro::schema::InnerDecimalSchema::Fixed(f) => Some(f.size),
                    apache_avro::schema::InnerDecimalSchema::Bytes => None,
                };
                let bytes =
                    decimal::parse(&text, dec.scale, size).map_err(|e| format!("{at}: {e}"))?;
                Ok(Value::Decimal(Decimal::from(bytes)))
            }
            Schema::Duration(_) => {
                let part = |k: &str| {
                    json.get(k)
                        .and_then(Json::as_u64)
                        .and_then(|v| u32::try_from(v).ok())
                        .ok_or_else(|| format!("{at}: a duration needs \"{k}\" (0..2^32)"))
                };
                Ok(Value::Duration(Duration::new(
                    Months::new(part("months")?),
                    Days::new(part("days")?),
                    Millis::new(part("millis")?),
                )))
            }
            Schema::Array(a) => match json {
                Json::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.json_to_avro(v, &a.items, &format!("{at}[{i}]"), d))
                    .collect::<Result<_, _>>()
                    .map(Value::Array),
                _ => wrong("an array"),
            },
            Schema::Map(m) => match json {
                Json::Object(o) => o
                    .iter()
                    .map(|(k, v)| {
                        Ok((
                            k.clone(),
                            self.json_to_avro(v, &m.types, &format!("{at}.{k}"), d)?,
                        ))
                    })
                    .collect::<Result<_, String>>()
                    .map(Value::Map),
                _ => wrong("an object (map)"),
            },
            Schema::Record(r) => self.record(json, r, at, d),
            Schema::Union(u) => self.union(json, u, at, d),
            Schema::Ref { name } => Err(format!("{at}: unknown type {name}")),
        }
    }

    fn record(
        &self,
        json: &Json,
        r: &RecordSchema,
        at: &str,
        depth: usize,
    ) -> Result<Value, String> {
        let Json::Object(object) = json else {
            return Err(format!(
                "{at}: expected an object (record {}), got {}",
                r.name,
                kind(json)
            ));
        };
        if let Some(unknown) = object
            .keys()
            .find(|k| !r.fields.iter().any(|f| &f.name == *k))
        {
            return Err(format!(
                "{at}: record {} has no field \"{unknown}\"",
                r.name
            ));
        }
        let mut fields = Vec::with_capacity(r.fields.len());
        for field in &r.fields {
            let at_field = format!("{at}.{}", field.name);
            let value = match (object.get(&field.name), &field.default) {
                (Some(v), _) => self.json_to_avro(v, &field.schema, &at_field, depth)?,
                (None, Some(default)) => {
                    self.json_to_avro(default, &field.schema, &at_field, depth)?
                }
                (None, None) if self.nullable(&field.schema) => {
                    self.json_to_avro(&Json::Null, &field.schema, &at_field, depth)?
                }
                (None, None) => return Err(format!("{at}: missing field \"{}\"", field.name)),
            };
            fields.push((field.name.clone(), value));
        }
        Ok(Value::Record(fields))
    }

    fn nullable(&self, schema: &Schema) -> bool {
        match self.deref(schema) {
            Schema::Null => true,
            Schema::Union(u) => u.variants().iter().any(|s| matches!(s, Schema::Null)),
            _ => false,
        }
    }

    fn union(&self, json: &Json, u: &UnionSchema, at: &str, depth: usize) -> Result<Value, String> {
        let branch =
            |i: usize, v: Value| Value::Union(u32::try_from(i).unwrap_or(u32::MAX), Box::new(v));
        let mut errors = Vec::new();
        for (i, s) in u.variants().iter().enumerate() {
            match self.json_to_avro(json, s, at, depth) {
                Ok(v) => return Ok(branch(i, v)),
                Err(e) => errors.push(e),
            }
        }
        // Avro's JSON encoding wraps a non-null branch: {"type name": value}.
        if let Json::Object(o) = json
            && o.len() == 1
            && let Some((tag, inner)) = o.iter().next()
            && let Some(i) = u
                .variants()
                .iter()
                .position(|s| self.type_name(s).is_some_and(|n| &n == tag))
            && let Some(s) = u.variants().get(i)
        {
            return self.json_to_avro(inner, s, at, depth).map(|v| branch(i, v));
        }
        Err(format!(
            "{at}: matches no branch of the union: {}",
            errors.join("; ")
        ))
    }

    /// The name Avro's JSON encoding tags a union branch with.
    fn type_name(&self, schema: &Schema) -> Option<String> {
        let named = |n: &Name| Some(n.fullname(None));
        match schema {
            Schema::Ref { name } => named(name),
            Schema::Record(r) => named(&r.name),
            Schema::Enum(e) => named(&e.name),
            Schema::Fixed(f) => named(&f.name),
            Schema::Null => Some("null".into()),
            Schema::Boolean => Some("boolean".into()),
            Schema::Int => Some("int".into()),
            Schema::Long => Some("long".into()),
            Schema::Float => Some("float".into()),
            Schema::Double => Some("double".into()),
            Schema::Bytes => Some("bytes".into()),
            Schema::String => Some("string".into()),
            Schema::Array(_) => Some("array".into()),
            Schema::Map(_) => Some("map".into()),
            _ => None,
        }
    }
}

fn float(f: f64) -> Json {
    match Number::from_f64(f) {
        Some(n) => Json::Number(n),
        // JSON has no NaN or infinities; print them as Java does.
        None if f.is_nan() => Json::String("NaN".into()),
        None if f > 0.0 => Json::String("Infinity".into()),
        None => Json::String("-Infinity".into()),
    }
}

fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn int(json: &Json, at: &str) -> Result<i32, String> {
    json.as_i64()
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| format!("{at}: expected an int (32-bit integer), got {json}"))
}

fn long(json: &Json, at: &str) -> Result<i64, String> {
    json.as_i64()
        .ok_or_else(|| format!("{at}: expected a long (64-bit integer), got {json}"))
}

fn double(json: &Json, at: &str) -> Result<f64, String> {
    match json {
        Json::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("{at}: {n} is not a number")),
        Json::String(s) if s == "NaN" => Ok(f64::NAN),
        Json::String(s) if s == "Infinity" => Ok(f64::INFINITY),
        Json::String(s) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
        _ => Err(format!("{at}: expected a number, got {}", kind(json))),
    }
}

fn base64_of(json: &Json, at: &str) -> Result<Vec<u8>, String> {
    match json {
        Json::String(s) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| format!("{at}: bytes are given as base64: {e}")),
        _ => Err(format!(
            "{at}: expected base64 bytes (a string), got {}",
            kind(json)
        )),
    }
}

fn decimal_text(json: &Json, at: &str) -> Result<String, String> {
    match json {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        _ => Err(format!(
            "{at}: expected a decimal (string or number), got {}",
            kind(json)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"t","fields":[
        {"name":"id","type":"int"},
        {"name":"item","type":"string"},
        {"name":"price","type":"double"},
        {"name":"note","type":["null","string"],"default":null},
        {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"]}},
        {"name":"tags","type":{"type":"array","items":"string"}},
        {"name":"attrs","type":{"type":"map","values":"long"}},
        {"name":"raw","type":"bytes"},
        {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
        {"name":"next","type":["null","Order"],"default":null}]}"#;

    #[test]
    fn plain_json_round_trips_through_binary() {
        let codec = AvroCodec::parse(ORDER, &[]).unwrap();
        let input: Json = serde_json::from_str(
            r#"{"id":1,"item":"x","price":2.5,"note":"hi","kind":"B","tags":["a"],
                "attrs":{"k":7},"raw":"AAE=","amount":"-12.30",
                "next":{"id":2,"item":"y","price":0.0,"note":null,"kind":"A","tags":[],
                        "attrs":{},"raw":"","amount":"0.05","next":null}}"#,
        )
        .unwrap();
        let bytes = codec.encode(&input).unwrap();
        assert_eq!(codec.decode(&bytes).unwrap(), input);
    }

    #[test]
    fn defaults_wrapped_unions_and_errors() {
        let codec = AvroCodec::parse(ORDER, &[]).unwrap();
        let short: Json = serde_json::from_str(
            r#"{"id":1,"item":"x","price":1,"note":{"string":"w"},"kind":"A","tags":[],"attrs":{},"raw":"","amount":1}"#,
        )
        .unwrap();
        let back = codec.decode(&codec.encode(&short).unwrap()).unwrap();
        assert_eq!(back["note"], "w");
        assert_eq!(back["next"], Json::Null);
        assert_eq!(back["amount"], "1.00");
        for (bad, needle) in [
            (r#"{"id":"1"}"#, "$.id: expected an int"),
            (
                r#"{"id":1,"item":"x","price":1,"kind":"C","tags":[],"attrs":{},"raw":"","amount":1}"#,
                "not a symbol",
            ),
            (r#"{"id":1,"extra":2}"#, "no field \"extra\""),
            (r#"{"id":1,"price":1}"#, "missing field \"item\""),
            ("[1]", "expected an object"),
        ] {
            let e = codec
                .encode(&serde_json::from_str(bad).unwrap())
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{bad}: {e}");
        }
        assert!(codec.decode(&[0xff]).is_err());
    }

    #[test]
    fn references_resolve_named_types_of_other_schemas() {
        let address = r#"{"type":"record","name":"Address","namespace":"t","fields":[{"name":"city","type":"string"}]}"#;
        let person = r#"{"type":"record","name":"Person","namespace":"t","fields":[{"name":"home","type":"t.Address"}]}"#;
        let codec = AvroCodec::parse(person, &[address.to_owned()]).unwrap();
        let input: Json = serde_json::from_str(r#"{"home":{"city":"Oslo"}}"#).unwrap();
        assert_eq!(codec.decode(&codec.encode(&input).unwrap()).unwrap(), input);
    }
}
