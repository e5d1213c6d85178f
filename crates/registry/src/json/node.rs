//! A JSON Schema node seen as one kind of schema, the way Confluent's
//! parser (everit) models it: a schema whose keywords belong to several
//! kinds is the `allOf` of one schema per kind, `"type": [..]` is the
//! `anyOf` of one schema per type, `$ref` is the schema it points to.

use serde_json::{Map, Value};

use super::refs::{DocId, Documents};

/// The keywords that make a schema without `type` an object schema.
const OBJECT_KEYWORDS: [&str; 7] = [
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "minProperties",
    "maxProperties",
    "dependencies",
];
/// … an array schema.
const ARRAY_KEYWORDS: [&str; 6] = [
    "items",
    "additionalItems",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
];
/// … a string schema.
const STRING_KEYWORDS: [&str; 3] = ["minLength", "maxLength", "pattern"];
/// … a number schema.
const NUMBER_KEYWORDS: [&str; 5] = [
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];

/// A JSON type name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum JsonType {
    Null,
    Boolean,
    Object,
    Array,
    Number,
    Integer,
    String,
}

impl JsonType {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "null" => Self::Null,
            "boolean" => Self::Boolean,
            "object" => Self::Object,
            "array" => Self::Array,
            "number" => Self::Number,
            "integer" => Self::Integer,
            "string" => Self::String,
            _ => return None,
        })
    }
}

/// How a [`Sub`] views its JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum View {
    /// The whole schema.
    Whole,
    /// Only the keywords of one type.
    Type(JsonType),
    /// `"type": [..]`: the `anyOf` of its types.
    TypeUnion,
    /// Only `enum`.
    Enum,
    /// Only `const`.
    Const,
    /// Only `allOf` / `anyOf` / `oneOf`.
    Combined(Criterion),
    /// Only `not`.
    Not,
}

/// A combined schema's criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Criterion {
    All,
    Any,
    One,
}

impl Criterion {
    /// The keyword, for paths.
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Self::All => "allOf",
            Self::Any => "anyOf",
            Self::One => "oneOf",
        }
    }
}

/// A (sub)schema: a JSON value in a document, seen through a [`View`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sub<'a> {
    pub(crate) doc: DocId,
    pub(crate) value: &'a Value,
    pub(crate) view: View,
}

impl<'a> Sub<'a> {
    /// The whole schema `value` of document `doc`.
    pub(crate) fn whole(doc: DocId, value: &'a Value) -> Self {
        Self {
            doc,
            value,
            view: View::Whole,
        }
    }

    /// An identity for cycle detection: the value's address and the view.
    pub(crate) fn key(&self) -> (usize, View) {
        (std::ptr::from_ref(self.value) as usize, self.view)
    }

    /// The same schema as another (for collapsing duplicate subschemas).
    pub(crate) fn same(&self, other: &Sub<'_>) -> bool {
        self.view == other.view && self.value == other.value
    }

    /// Whether the schema (or the one its `$ref` names) has a `default`.
    pub(crate) fn has_default(&self, docs: &'a Documents) -> bool {
        let (_, value) = follow_refs(docs, self.doc, self.value);
        value.get("default").is_some()
    }
}

/// What a [`Sub`] is, for comparing.
#[derive(Debug, Clone)]
pub(crate) enum Node<'a> {
    /// `true` or `{}`: anything.
    Empty,
    /// `false`: nothing.
    False,
    /// `allOf` / `anyOf` / `oneOf` (also from several kinds or types).
    Combined(Criterion, Vec<Sub<'a>>),
    /// `not`.
    Not(Sub<'a>),
    /// `enum` (and `const`, an enum of one).
    Enum(Vec<Value>),
    /// A schema of one type: its keywords and document.
    Typed(JsonType, &'a Map<String, Value>, DocId),
}

/// The class of a node: nodes of different classes compare as a type change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Empty,
    False,
    Combined,
    Not,
    Enum,
    Null,
    Boolean,
    Object,
    Array,
    Number,
    String,
}

impl Node<'_> {
    /// The node's class (integer and number are one class: a number schema
    /// that may require integers).
    pub(crate) fn class(&self) -> Class {
        match self {
            Self::Empty => Class::Empty,
            Self::False => Class::False,
            Self::Combined(..) => Class::Combined,
            Self::Not(_) => Class::Not,
            Self::Enum(_) => Class::Enum,
            Self::Typed(t, ..) => match t {
                JsonType::Null => Class::Null,
                JsonType::Boolean => Class::Boolean,
                JsonType::Object => Class::Object,
                JsonType::Array => Class::Array,
                JsonType::Number | JsonType::Integer => Class::Number,
                JsonType::String => Class::String,
            },
        }
    }
}

/// Follows `$ref`s from `value` to the schema they name (at most 64 hops;
/// a dangling or looping chain stops where it is).
pub(crate) fn follow_refs<'a>(
    docs: &'a Documents,
    mut doc: DocId,
    mut value: &'a Value,
) -> (DocId, &'a Value) {
    for _ in 0..64 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            break;
        };
        match docs.resolve(doc, reference) {
            Some((d, v)) => {
                doc = d;
                value = v;
            }
            None => break,
        }
    }
    (doc, value)
}

/// Classifies `sub` (resolving `$ref` first for a whole schema).
pub(crate) fn classify<'a>(docs: &'a Documents, sub: Sub<'a>) -> Node<'a> {
    let (doc, value) = if sub.view == View::Whole {
        follow_refs(docs, sub.doc, sub.value)
    } else {
        (sub.doc, sub.value)
    };
    let object = match value {
        Value::Bool(false) => return Node::False,
        Value::Object(o) => o,
        _ => return Node::Empty,
    };
    let part = |view| Sub { doc, value, view };
    match sub.view {
        View::Whole => {}
        View::Type(t) => return Node::Typed(t, object, doc),
        View::TypeUnion => {
            let mut types: Vec<JsonType> = Vec::new();
            for t in object
                .get("type")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().and_then(JsonType::parse))
            {
                if !types.contains(&t) {
                    types.push(t);
                }
            }
            return Node::Combined(
                Criterion::Any,
                types.into_iter().map(|t| part(View::Type(t))).collect(),
            );
        }
        View::Enum => {
            return Node::Enum(
                object
                    .get("enum")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        View::Const => return Node::Enum(object.get("const").cloned().into_iter().collect()),
        View::Combined(c) => {
            let subs = object
                .get(c.keyword())
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| Sub::whole(doc, v))
                .collect();
            return Node::Combined(c, subs);
        }
        View::Not => {
            return match object.get("not") {
                Some(v) => Node::Not(Sub::whole(doc, v)),
                None => Node::Empty,
            };
        }
    }
    let mut parts = Vec::new();
    match object.get("type") {
        Some(Value::String(t)) => {
            if let Some(t) = JsonType::parse(t) {
                parts.push(part(View::Type(t)));
            }
        }
        Some(Value::Array(ts)) if ts.len() == 1 => {
            if let Some(t) = ts.first().and_then(Value::as_str).and_then(JsonType::parse) {
                parts.push(part(View::Type(t)));
            }
        }
        Some(Value::Array(_)) => parts.push(part(View::TypeUnion)),
        _ => {
            let has = |keys: &[&str]| keys.iter().any(|k| object.contains_key(*k));
            for (keys, t) in [
                (&OBJECT_KEYWORDS[..], JsonType::Object),
                (&ARRAY_KEYWORDS[..], JsonType::Array),
                (&STRING_KEYWORDS[..], JsonType::String),
                (&NUMBER_KEYWORDS[..], JsonType::Number),
            ] {
                if has(keys) {
                    parts.push(part(View::Type(t)));
                }
            }
        }
    }
    if object.contains_key("enum") {
        parts.push(part(View::Enum));
    }
    if object.contains_key("const") {
        parts.push(part(View::Const));
    }
    for c in [Criterion::All, Criterion::Any, Criterion::One] {
        if object.contains_key(c.keyword()) {
            parts.push(part(View::Combined(c)));
        }
    }
    if object.contains_key("not") {
        parts.push(part(View::Not));
    }
    match parts.len() {
        0 => Node::Empty,
        1 => parts
            .first()
            .map_or(Node::Empty, |only| classify(docs, *only)),
        _ => Node::Combined(Criterion::All, parts),
    }
}
