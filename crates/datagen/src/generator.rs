//! The generator: random Avro values for a schema annotated with
//! `arg.properties`, record by record, as Confluent's datagen task makes them.

use std::collections::HashMap;

use apache_avro::types::Value as Avro;

use crate::error::DatagenError;
use crate::hints::{self, Hints, LengthBounds, Range, StringHints};
use crate::iteration::Cursor;
use crate::random::JavaRandom;
use crate::schema_text;
use crate::tree::{Kind, MAX_DEPTH, NodeId, SchemaTree};

/// Where a generator stands: enough to resume the same stream after a
/// restart. Persist it after each record written (Confluent's connector
/// stores the same two numbers in its source offset as `current.iteration`
/// and `random.seed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratorState {
    /// Records generated so far; iterations resume from here.
    pub iteration: u64,
    /// The seed the random source was re-seeded with after the last record.
    pub seed: i64,
}

/// One generated record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The key field's value as text (Confluent's managed connector writes a
    /// string key); `None` without a key field.
    pub key: Option<String>,
    /// The value, an Avro datum of [`Generator::schema`].
    pub value: Avro,
    /// Zero-based index of this record in the stream (the `current.iteration`
    /// header of Confluent's connector).
    pub iteration: u64,
}

/// A random record generator for one schema.
#[derive(Debug)]
pub struct Generator {
    model: Model,
    state: State,
    schema: apache_avro::Schema,
    registered: serde_json::Value,
    key_field: Option<String>,
}

/// The immutable part: the schema tree and its compiled hints.
#[derive(Debug)]
struct Model {
    tree: SchemaTree,
    hints: Vec<Hints>,
}

/// The mutable part: the random source and iteration cursors.
#[derive(Debug)]
struct State {
    /// Values left to generate in the current record (see [`MAX_VALUES`]).
    budget: usize,
    random: JavaRandom,
    cursors: Vec<Option<Cursor>>,
    iteration: u64,
    seed: i64,
}

impl Generator {
    /// A generator for `schema_json` (an Avro schema with `arg.properties`),
    /// seeded with `seed` (`random.seed`) or from the OS when `None`.
    /// Every annotation is checked here.
    pub fn new(schema_json: &str, seed: Option<i64>) -> Result<Self, DatagenError> {
        let seed = seed.unwrap_or_else(|| JavaRandom::from_entropy().next_long());
        Generator::resume(schema_json, GeneratorState { iteration: 0, seed })
    }

    /// A generator continuing from `state` (as saved by [`Generator::state`]).
    pub fn resume(schema_json: &str, state: GeneratorState) -> Result<Self, DatagenError> {
        let json = schema_text::parse_json(schema_json)?;
        let registered = schema_text::registered_schema(&json);
        let schema = apache_avro::Schema::parse(&registered)
            .map_err(|e| DatagenError::Schema(e.to_string()))?;
        let tree = SchemaTree::parse(&json)?;
        let hints = hints::compile(&tree)?;
        let cursors = hints
            .iter()
            .map(|h| h.iteration.map(|i| i.cursor(state.iteration)))
            .collect();
        Ok(Generator {
            model: Model { tree, hints },
            state: State {
                budget: MAX_VALUES,
                random: JavaRandom::new(state.seed),
                cursors,
                iteration: state.iteration,
                seed: state.seed,
            },
            schema,
            registered,
            key_field: None,
        })
    }

    /// Uses the top-level field `field` as the record key (`schema.keyfield`).
    pub fn with_key_field(mut self, field: &str) -> Result<Self, DatagenError> {
        let root = self.model.tree.resolve(self.model.tree.root);
        let known = match &root.kind {
            Kind::Record { fields, .. } => fields.iter().any(|f| f.name == field),
            _ => false,
        };
        if !known {
            return Err(DatagenError::config(
                "schema.keyfield",
                format!("{field:?} is not a top-level field of the schema"),
            ));
        }
        self.key_field = Some(field.to_owned());
        Ok(self)
    }

    /// The Avro schema of the values (annotations removed): what to register.
    pub fn schema(&self) -> &apache_avro::Schema {
        &self.schema
    }

    /// The value schema as JSON text, annotations removed, to register with
    /// the schema registry (see [`crate::schema_text::registered_schema`]).
    pub fn registered_schema(&self) -> String {
        self.registered.to_string()
    }

    /// The key field, if any.
    pub fn key_field(&self) -> Option<&str> {
        self.key_field.as_deref()
    }

    /// The state to persist after the records generated so far.
    pub fn state(&self) -> GeneratorState {
        GeneratorState {
            iteration: self.state.iteration,
            seed: self.state.seed,
        }
    }

    /// The next record. Fails only for schemas whose recursion never ends, or
    /// whose annotations produce values the schema rejects.
    pub fn next_record(&mut self) -> Result<Record, DatagenError> {
        self.state.budget = MAX_VALUES;
        let raw = generate(&self.model, &mut self.state, self.model.tree.root, 0)?;
        // Logical types as the Avro library represents them after decoding
        // (a timestamp-millis long becomes TimestampMillis, ...), so a
        // record equals what a consumer decodes.
        let value = raw
            .resolve(&self.schema)
            .map_err(|e| DatagenError::Value(e.to_string()))?;
        let key = self.key_field.as_deref().and_then(|field| match &value {
            Avro::Record(fields) => fields
                .iter()
                .find(|(name, _)| name == field)
                .and_then(|(_, v)| crate::format::json::key_text(v)),
            _ => None,
        });
        let record = Record {
            key,
            value,
            iteration: self.state.iteration,
        };
        // Re-seed after every record, as Confluent's task does, so the state
        // to resume from is one number.
        let seed = self.state.random.next_long();
        self.state.random.set_seed(seed);
        self.state.seed = seed;
        self.state.iteration += 1;
        Ok(record)
    }
}

/// Most values (of any type, nested ones included) one record may hold: a
/// schema nesting arrays of large `length` would otherwise exhaust memory.
const MAX_VALUES: usize = 1_000_000;

/// The seed of task `task` of a connector seeded with `seed`: Confluent's
/// task re-seeds once per lower task id so tasks generate different data.
pub fn task_seed(seed: i64, task: u32) -> i64 {
    let mut random = JavaRandom::new(seed);
    let mut current = seed;
    for _ in 0..task {
        current = random.next_long();
        random.set_seed(current);
    }
    current
}

fn generate(
    model: &Model,
    state: &mut State,
    id: NodeId,
    depth: usize,
) -> Result<Avro, DatagenError> {
    let id = model.tree.resolve_id(id);
    let node = &model.tree.nodes[id];
    state.budget = state.budget.checked_sub(1).ok_or_else(|| {
        DatagenError::Value(format!(
            "a record would hold more than {MAX_VALUES} values (arrays or maps nested with large lengths at {})",
            node.path
        ))
    })?;
    if depth > MAX_DEPTH {
        return Err(DatagenError::annotation(
            &node.path,
            format!(
                "the schema nests more than {MAX_DEPTH} levels while generating (a recursive type that rarely ends?)"
            ),
        ));
    }
    let hints = &model.hints[id];
    let random = &mut state.random;
    if let Some(options) = &hints.options {
        return Ok(options[random.next_index(options.len())].clone());
    }
    if let Some(Some(cursor)) = state.cursors.get_mut(id) {
        return Ok(match cursor.next() {
            Avro::String(s) => {
                Avro::String(format!("{}{s}{}", hints.string.prefix, hints.string.suffix))
            }
            other => other,
        });
    }
    Ok(match &node.kind {
        Kind::Null => Avro::Null,
        Kind::Boolean => Avro::Boolean(match hints.odds {
            Some(odds) => random.next_double() < odds,
            None => random.next_boolean(),
        }),
        Kind::Int => Avro::Int(match hints.range {
            Some(Range::Integral { min, max }) => integral_in(random, min, max) as i32,
            _ => random.next_int(),
        }),
        Kind::Long => Avro::Long(match hints.range {
            Some(Range::Integral { min, max }) => integral_in(random, min, max),
            _ => random.next_long(),
        }),
        Kind::Float => Avro::Float(match hints.range {
            Some(Range::Decimal { min, max }) => {
                let (min, max) = (min as f32, max as f32);
                let value = min + random.next_float() * (max - min);
                if value >= max {
                    max.next_down()
                } else {
                    value.max(min)
                }
            }
            _ => random.next_float(),
        }),
        Kind::Double => Avro::Double(match hints.range {
            Some(Range::Decimal { min, max }) => {
                let value = min + random.next_double() * (max - min);
                if value >= max {
                    max.next_down()
                } else {
                    value.max(min)
                }
            }
            _ => random.next_double(),
        }),
        Kind::Bytes {
            decimal: Some(decimal),
        } => Avro::Decimal(apache_avro::Decimal::from(decimal_bytes(
            random,
            decimal.precision,
            // Sign-extended to the width that holds every value of the
            // precision: the Avro library insists on it.
            Some(decimal_width(decimal.precision)),
        ))),
        Kind::Bytes { decimal: None } => {
            let mut bytes = vec![0; length_in(random, hints.length)];
            random.next_bytes(&mut bytes);
            Avro::Bytes(bytes)
        }
        Kind::Fixed {
            size,
            decimal: Some(decimal),
        } => Avro::Decimal(apache_avro::Decimal::from(decimal_bytes(
            random,
            decimal.precision,
            Some(*size),
        ))),
        Kind::Fixed {
            size,
            decimal: None,
        } => {
            let mut bytes = vec![0; *size];
            random.next_bytes(&mut bytes);
            Avro::Fixed(*size, bytes)
        }
        Kind::String { uuid } => {
            let plain = hints.string.regex.is_none()
                && hints.string.prefix.is_empty()
                && hints.string.suffix.is_empty();
            if *uuid && plain && node.props.get("length").is_none() {
                Avro::String(uuid_text(random))
            } else {
                Avro::String(string(random, &hints.string))
            }
        }
        Kind::Enum { symbols } => {
            if symbols.is_empty() {
                return Err(DatagenError::annotation(
                    &node.path,
                    "an enum without symbols has no value",
                ));
            }
            let index = random.next_index(symbols.len());
            Avro::Enum(index as u32, symbols[index].clone())
        }
        Kind::Record { fields, .. } => {
            let mut values = Vec::with_capacity(fields.len());
            for field in fields {
                values.push((
                    field.name.clone(),
                    generate(model, state, field.node, depth + 1)?,
                ));
            }
            Avro::Record(values)
        }
        Kind::Array(item) => {
            let len = length_in(random, hints.length);
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                items.push(generate(model, state, *item, depth + 1)?);
            }
            Avro::Array(items)
        }
        Kind::Map(value) => {
            let len = length_in(random, hints.length);
            let mut map = HashMap::with_capacity(len);
            for _ in 0..len {
                let key = match &hints.keys {
                    None => ascii_string(&mut state.random, 1),
                    Some(keys) => string(&mut state.random, keys),
                };
                let value = generate(model, state, *value, depth + 1)?;
                map.insert(key, value);
            }
            Avro::Map(map)
        }
        Kind::Union(branches) => {
            let index = random.next_index(branches.len());
            let value = generate(model, state, branches[index], depth + 1)?;
            Avro::Union(index as u32, Box::new(value))
        }
        Kind::Ref(target) => generate(model, state, *target, depth + 1)?,
    })
}

/// `min + (long) (nextDouble() * (max - min))`, without overflow for wide ranges.
fn integral_in(random: &mut JavaRandom, min: i64, max: i64) -> i64 {
    let span = (i128::from(max) - i128::from(min)) as f64;
    let offset = (random.next_double() * span) as i128;
    (i128::from(min) + offset).clamp(i128::from(min), i128::from(max) - 1) as i64
}

/// A length in `[min, max)`.
fn length_in(random: &mut JavaRandom, bounds: LengthBounds) -> usize {
    let span = i32::try_from(bounds.max.saturating_sub(bounds.min)).unwrap_or(i32::MAX);
    (bounds.min as usize) + random.next_int_bounded(span.max(1)) as usize
}

/// A string per the string hints: an option, a regex match, or random ASCII;
/// then prefix and suffix.
fn string(random: &mut JavaRandom, hints: &StringHints) -> String {
    if let Some(options) = &hints.options {
        return options[random.next_index(options.len())].clone();
    }
    let body = match &hints.regex {
        // Generex takes an inclusive range; Java passes [min, max - 1].
        Some(regex) => regex.generate(
            random,
            hints.length.min as usize,
            hints.length.max.saturating_sub(1) as usize,
        ),
        None => {
            let len = length_in(random, hints.length);
            ascii_string(random, len)
        }
    };
    format!("{}{body}{}", hints.prefix, hints.suffix)
}

/// `len` characters drawn from 0..128, as Java's generator draws them.
fn ascii_string(random: &mut JavaRandom, len: usize) -> String {
    (0..len)
        .map(|_| char::from(random.next_int_bounded(128) as u8))
        .collect()
}

/// A random (version 4 layout) UUID for the `uuid` logical type, which the
/// Avro library checks.
fn uuid_text(random: &mut JavaRandom) -> String {
    let mut bytes = [0u8; 16];
    random.next_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Bytes needed for any unscaled value of `precision` digits (sign included).
fn decimal_width(precision: u32) -> usize {
    let bits = f64::from(precision.min(38)) * std::f64::consts::LOG2_10 + 1.0;
    (bits / 8.0).ceil() as usize
}

/// A decimal's unscaled value with `precision` random digits and a random
/// sign, as big-endian two's complement (minimal, or sign-extended to `size`).
/// Java builds it in 15-digit chunks of `nextDouble()`; so does this, capped
/// at 38 digits (what fits an i128).
fn decimal_bytes(random: &mut JavaRandom, precision: u32, size: Option<usize>) -> Vec<u8> {
    let mut remaining = precision.min(38);
    let mut value: i128 = 0;
    while remaining > 0 {
        let digits = remaining.min(15);
        let scale = 10i128.pow(digits);
        value = value * scale + (random.next_double() * scale as f64) as i128;
        remaining -= digits;
    }
    if random.next_boolean() {
        value = -value;
    }
    let full = value.to_be_bytes();
    let minimal = {
        let mut start = 0;
        while start < full.len() - 1 {
            let (byte, next) = (full[start], full[start + 1]);
            let redundant =
                (byte == 0x00 && next & 0x80 == 0) || (byte == 0xff && next & 0x80 != 0);
            if !redundant {
                break;
            }
            start += 1;
        }
        full[start..].to_vec()
    };
    match size {
        Some(size) if size > minimal.len() => {
            let fill = if value < 0 { 0xff } else { 0x00 };
            let mut out = vec![fill; size - minimal.len()];
            out.extend_from_slice(&minimal);
            out
        }
        Some(size) => minimal[minimal.len() - size..].to_vec(),
        None => minimal,
    }
}

#[cfg(test)]
mod tests;
