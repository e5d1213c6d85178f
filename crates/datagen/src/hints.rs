//! `arg.properties` compiled per node: every hint is checked once when the
//! generator is built, so a bad annotation fails at connector creation (with
//! the schema path) rather than on the first record, as the Java generator
//! does.
//!
//! Which hints apply to which type follows the Avro Random Generator: hints
//! a type does not use are ignored, as in Java, so every schema Confluent's
//! connector accepts is accepted here.

use serde_json::{Map, Value};

use crate::error::DatagenError;
use crate::iteration::Iteration;
use crate::options::json_to_avro;
use crate::regex_gen::RegexGen;
use crate::tree::{Kind, Node, NodeId, SchemaTree};

/// Lengths above this are clamped: `{"min": 5}` alone means "up to
/// `Integer.MAX_VALUE`" in Java, which only ends in an out-of-memory error.
pub(crate) const MAX_GENERATED_LENGTH: u32 = 1 << 16;

/// `length` (and the range of string, bytes, array and map lengths):
/// `min <= n < max`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LengthBounds {
    pub min: u32,
    pub max: u32,
}

impl Default for LengthBounds {
    /// Java's default, used when a type has no `length`: 8 to 15.
    fn default() -> Self {
        LengthBounds { min: 8, max: 16 }
    }
}

/// `range` for a number type: `min <= x < max`, either side optional.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Range {
    Integral { min: i64, max: i64 },
    Decimal { min: f64, max: f64 },
}

/// The string hints, used for strings and for map keys.
#[derive(Debug, Clone, Default)]
pub(crate) struct StringHints {
    pub options: Option<Vec<String>>,
    pub regex: Option<RegexGen>,
    pub length: LengthBounds,
    pub prefix: String,
    pub suffix: String,
}

/// Everything the generator needs for one node.
#[derive(Debug, Default)]
pub(crate) struct Hints {
    /// `options`, converted to Avro values of the node's type.
    pub options: Option<Vec<apache_avro::types::Value>>,
    pub iteration: Option<Iteration>,
    pub range: Option<Range>,
    pub length: LengthBounds,
    pub string: StringHints,
    /// `keys` of a map.
    pub keys: Option<StringHints>,
    pub odds: Option<f64>,
}

/// Compiles the hints of every node of `tree`, indexed like `tree.nodes`.
pub(crate) fn compile(tree: &SchemaTree) -> Result<Vec<Hints>, DatagenError> {
    (0..tree.nodes.len())
        .map(|id| compile_node(tree, id))
        .collect()
}

fn compile_node(tree: &SchemaTree, id: NodeId) -> Result<Hints, DatagenError> {
    let node = &tree.nodes[id];
    let props = &node.props;
    let path = node.path.as_str();
    let mut hints = Hints::default();
    if props.is_empty() || matches!(node.kind, Kind::Ref(_)) {
        return Ok(hints);
    }
    if props.contains_key("options") {
        exclusive(
            props,
            path,
            "options",
            &["length", "regex", "iteration", "range"],
        )?;
        hints.options = Some(options(tree, id, node, props)?);
        return Ok(hints);
    }
    if let Some(iteration) = props.get("iteration") {
        exclusive(
            props,
            path,
            "iteration",
            &["length", "regex", "options", "range"],
        )?;
        hints.iteration = Some(Iteration::parse(&node.kind, iteration, path)?);
        hints.string.prefix = string_prop(props, "prefix", path)?;
        hints.string.suffix = string_prop(props, "suffix", path)?;
        return Ok(hints);
    }
    match &node.kind {
        Kind::Int | Kind::Long | Kind::Float | Kind::Double => {
            hints.range = range(props, &node.kind, path)?;
        }
        Kind::Boolean => {
            if let Some(odds) = props.get("odds") {
                let odds = odds
                    .as_f64()
                    .ok_or_else(|| DatagenError::annotation(path, "odds must be a number"))?;
                if !(0.0..=1.0).contains(&odds) {
                    return Err(DatagenError::annotation(
                        path,
                        "odds must be in the range [0.0, 1.0]",
                    ));
                }
                hints.odds = Some(odds);
            }
        }
        Kind::String { .. } => hints.string = string_hints(props, path)?,
        Kind::Bytes { .. } | Kind::Array(_) => hints.length = length(props.get("length"), path)?,
        Kind::Map(_) => {
            hints.length = length(props.get("length"), path)?;
            hints.keys = match props.get("keys") {
                None => None,
                Some(Value::Object(keys)) => Some(string_hints(keys, &format!("{path}.keys"))?),
                Some(_) => return Err(DatagenError::annotation(path, "keys must be an object")),
            };
        }
        _ => {}
    }
    Ok(hints)
}

fn exclusive(
    props: &Map<String, Value>,
    path: &str,
    given: &str,
    excluded: &[&str],
) -> Result<(), DatagenError> {
    match excluded.iter().find(|key| props.contains_key(**key)) {
        Some(other) => Err(DatagenError::annotation(
            path,
            format!("cannot specify {other} when {given} is given"),
        )),
        None => Ok(()),
    }
}

fn options(
    tree: &SchemaTree,
    id: NodeId,
    node: &Node,
    props: &Map<String, Value>,
) -> Result<Vec<apache_avro::types::Value>, DatagenError> {
    let path = node.path.as_str();
    match props.get("options") {
        Some(Value::Array(list)) if list.is_empty() => {
            Err(DatagenError::annotation(path, "options cannot be empty"))
        }
        Some(Value::Array(list)) => list
            .iter()
            .map(|option| {
                json_to_avro(tree, id, option, 0).map_err(|message| {
                    DatagenError::annotation(path, format!("invalid option {option}: {message}"))
                })
            })
            .collect(),
        Some(Value::Object(_)) => Err(DatagenError::annotation(
            path,
            "options read from a file are not supported: list the options inline",
        )),
        _ => Err(DatagenError::annotation(path, "options must be an array")),
    }
}

fn string_hints(props: &Map<String, Value>, path: &str) -> Result<StringHints, DatagenError> {
    let options = match props.get("options") {
        None => None,
        Some(Value::Array(list)) if !list.is_empty() => Some(
            list.iter()
                .map(|o| {
                    o.as_str().map(str::to_owned).ok_or_else(|| {
                        DatagenError::annotation(path, format!("option {o} is not a string"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => {
            return Err(DatagenError::annotation(
                path,
                "options must be a non-empty array",
            ));
        }
    };
    let regex = match props.get("regex") {
        None => None,
        Some(Value::String(pattern)) => Some(
            RegexGen::new(pattern)
                .map_err(|e| DatagenError::annotation(path, format!("invalid regex: {e}")))?,
        ),
        Some(_) => return Err(DatagenError::annotation(path, "regex must be a string")),
    };
    Ok(StringHints {
        options,
        regex,
        length: length(props.get("length"), path)?,
        prefix: string_prop(props, "prefix", path)?,
        suffix: string_prop(props, "suffix", path)?,
    })
}

fn string_prop(props: &Map<String, Value>, key: &str, path: &str) -> Result<String, DatagenError> {
    match props.get(key) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(DatagenError::annotation(
            path,
            format!("{key} must be a string"),
        )),
    }
}

/// `length`: a non-negative integer `n` (exactly `n`) or `{"min"?, "max"?}`.
fn length(value: Option<&Value>, path: &str) -> Result<LengthBounds, DatagenError> {
    let clamp = |n: u32| n.min(MAX_GENERATED_LENGTH);
    match value {
        None => Ok(LengthBounds::default()),
        Some(Value::Number(n)) => {
            let n = n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n < i32::MAX as u32)
                .ok_or_else(|| {
                    DatagenError::annotation(path, "length must be a non-negative integer")
                })?;
            Ok(LengthBounds {
                min: clamp(n),
                max: clamp(n) + 1,
            })
        }
        Some(Value::Object(bounds)) => {
            let field = |key: &str| -> Result<Option<u32>, DatagenError> {
                match bounds.get(key) {
                    None => Ok(None),
                    Some(v) => v
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| *n <= i32::MAX as u32)
                        .map(Some)
                        .ok_or_else(|| {
                            DatagenError::annotation(
                                path,
                                format!("length {key} must be a non-negative integer"),
                            )
                        }),
                }
            };
            let (min, max) = (field("min")?, field("max")?);
            if min.is_none() && max.is_none() {
                return Err(DatagenError::annotation(path, "length needs min or max"));
            }
            let min = min.unwrap_or(0);
            let max = max.unwrap_or(i32::MAX as u32);
            if max <= min {
                return Err(DatagenError::annotation(
                    path,
                    "length max must be greater than min",
                ));
            }
            let min = clamp(min);
            Ok(LengthBounds {
                min,
                max: clamp(max).max(min + 1),
            })
        }
        Some(_) => Err(DatagenError::annotation(
            path,
            "length must be an integer or an object",
        )),
    }
}

fn range(
    props: &Map<String, Value>,
    kind: &Kind,
    path: &str,
) -> Result<Option<Range>, DatagenError> {
    let Some(range) = props.get("range") else {
        return Ok(None);
    };
    let Value::Object(range) = range else {
        return Err(DatagenError::annotation(path, "range must be an object"));
    };
    if !range.contains_key("min") && !range.contains_key("max") {
        return Err(DatagenError::annotation(path, "range needs min or max"));
    }
    let bad = |key: &str, what: &str| {
        DatagenError::annotation(path, format!("range {key} must be {what}"))
    };
    let result = match kind {
        Kind::Int | Kind::Long => {
            let (low, high) = if matches!(kind, Kind::Int) {
                (i64::from(i32::MIN), i64::from(i32::MAX))
            } else {
                (i64::MIN, i64::MAX)
            };
            let what = if matches!(kind, Kind::Int) {
                "an int"
            } else {
                "an integral number"
            };
            let field = |key: &str, default: i64| match range.get(key) {
                None => Ok(default),
                Some(v) => v
                    .as_i64()
                    .filter(|n| (low..=high).contains(n))
                    .ok_or_else(|| bad(key, what)),
            };
            Range::Integral {
                min: field("min", low)?,
                max: field("max", high)?,
            }
        }
        _ => {
            let limit = if matches!(kind, Kind::Float) {
                f64::from(f32::MAX)
            } else {
                f64::MAX
            };
            let field = |key: &str, default: f64| match range.get(key) {
                None => Ok(default),
                Some(v) => v
                    .as_f64()
                    .filter(|n| n.abs() <= limit)
                    .ok_or_else(|| bad(key, "a number")),
            };
            Range::Decimal {
                min: field("min", -limit)?,
                max: field("max", limit)?,
            }
        }
    };
    let ordered = match result {
        Range::Integral { min, max } => min < max,
        Range::Decimal { min, max } => min < max,
    };
    if !ordered {
        return Err(DatagenError::annotation(
            path,
            "range min must be strictly less than max",
        ));
    }
    Ok(Some(result))
}
