//! The walk that finds the [`Difference`]s between two JSON Schemas, by
//! Confluent's `json.diff` rules (see the module docs of [`super`] for the
//! table).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::difference::{Difference, DifferenceType as D};
use super::node::{Class, Criterion, JsonType, Node, Sub, View, classify};
use super::refs::{DocId, Documents};

/// The state of one comparison: both document sets, the current path, the
/// differences so far and the pairs being compared (to stop on cycles).
#[derive(Debug, Clone)]
pub(crate) struct Ctx<'a> {
    original: &'a Documents,
    update: &'a Documents,
    path: Vec<String>,
    differences: Vec<Difference>,
    visiting: HashSet<((usize, View), (usize, View))>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(original: &'a Documents, update: &'a Documents) -> Self {
        Self {
            original,
            update,
            path: vec!["#".to_owned()],
            differences: Vec::new(),
            visiting: HashSet::new(),
        }
    }

    /// The differences found.
    pub(crate) fn into_differences(self) -> Vec<Difference> {
        self.differences
    }

    fn sub(&self) -> Ctx<'a> {
        Ctx {
            original: self.original,
            update: self.update,
            path: self.path.clone(),
            differences: Vec::new(),
            visiting: self.visiting.clone(),
        }
    }

    fn is_compatible(&self) -> bool {
        self.differences.iter().all(|d| d.kind.is_compatible())
    }

    fn add(&mut self, kind: D) {
        self.differences.push(Difference {
            kind,
            path: self.path.join("/"),
        });
    }

    fn add_at(&mut self, segment: &str, kind: D) {
        self.path.push(segment.to_owned());
        self.add(kind);
        self.path.pop();
    }

    fn within(&mut self, segment: &str, f: impl FnOnce(&mut Self)) {
        self.path.push(segment.to_owned());
        f(self);
        self.path.pop();
    }

    /// Compares two optional subschemas (absent on one side is
    /// `SCHEMA_ADDED` / `SCHEMA_REMOVED`).
    pub(crate) fn compare(&mut self, original: Option<Sub<'a>>, update: Option<Sub<'a>>) {
        let (original, update) = match (original, update) {
            (None, None) => return,
            (None, Some(_)) => return self.add(D::SchemaAdded),
            (Some(_), None) => return self.add(D::SchemaRemoved),
            (Some(o), Some(u)) => (o, u),
        };
        let key = (original.key(), update.key());
        if !self.visiting.insert(key) {
            // Already being compared further up (a recursive schema).
            return;
        }
        let o = classify(self.original, original);
        let u = classify(self.update, update);
        self.compare_nodes(&o, &u);
        self.visiting.remove(&key);
    }

    fn compare_nodes(&mut self, o: &Node<'a>, u: &Node<'a>) {
        match (o, u) {
            (Node::Combined(..), Node::Combined(..)) => {}
            (_, Node::Combined(c, subs)) => {
                if let [only] = subs.as_slice() {
                    let mut sub = self.sub();
                    sub.compare_nodes(o, &classify(self.update, *only));
                    if sub.is_compatible() {
                        self.differences.extend(sub.differences);
                        return;
                    }
                } else if matches!(c, Criterion::Any | Criterion::One) {
                    for s in subs {
                        let mut sub = self.sub();
                        sub.compare_nodes(o, &classify(self.update, *s));
                        if sub.is_compatible() {
                            self.differences.extend(sub.differences);
                            self.add(D::SumTypeExtended);
                            return;
                        }
                    }
                }
            }
            (Node::Combined(_, subs), _) => {
                if let [only] = subs.as_slice() {
                    let mut sub = self.sub();
                    sub.compare_nodes(&classify(self.original, *only), u);
                    if sub.is_compatible() {
                        self.differences.extend(sub.differences);
                        return;
                    }
                }
            }
            _ => {}
        }
        if o.class() != u.class() {
            if o.class() != Class::False && u.class() != Class::Empty {
                self.add(D::TypeChanged);
            }
            return;
        }
        match (o, u) {
            (Node::Combined(oc, os), Node::Combined(uc, us)) => self.combined(*oc, os, *uc, us),
            (Node::Not(on), Node::Not(un)) => {
                // The update accepts more when its `not` rejects less.
                let mut sub = self.sub();
                sub.within("not", |s| s.compare_swapped(*on, *un));
                if !sub.differences.is_empty() {
                    self.add(if sub.is_compatible() {
                        D::NotTypeNarrowed
                    } else {
                        D::NotTypeExtended
                    });
                }
            }
            (Node::Enum(ov), Node::Enum(uv)) if ov != uv => {
                let contains = |all: &[Value], part: &[Value]| part.iter().all(|v| all.contains(v));
                let kind = if contains(uv, ov) {
                    D::EnumArrayExtended
                } else if contains(ov, uv) {
                    D::EnumArrayNarrowed
                } else {
                    D::EnumArrayChanged
                };
                self.add_at("enum", kind);
            }
            (Node::Typed(ot, o_obj, od), Node::Typed(ut, u_obj, ud)) => match o.class() {
                Class::String => string(self, o_obj, u_obj),
                Class::Number => {
                    number(self, o_obj, u_obj);
                    let (oi, ui) = (*ot == JsonType::Integer, *ut == JsonType::Integer);
                    if oi && !ui {
                        self.add(D::TypeExtended);
                    } else if !oi && ui {
                        self.add(D::TypeNarrowed);
                    }
                }
                Class::Object => self.object((*od, o_obj), (*ud, u_obj)),
                Class::Array => self.array((*od, o_obj), (*ud, u_obj)),
                _ => {}
            },
            _ => {}
        }
    }

    /// Compares with the roles swapped (for `not`): is `u`'s set within `o`'s?
    fn compare_swapped(&mut self, o: Sub<'a>, u: Sub<'a>) {
        let mut swapped = Ctx {
            original: self.update,
            update: self.original,
            path: self.path.clone(),
            differences: Vec::new(),
            visiting: HashSet::new(),
        };
        swapped.compare(Some(u), Some(o));
        self.differences.extend(swapped.differences);
    }

    fn combined(&mut self, oc: Criterion, os: &[Sub<'a>], uc: Criterion, us: &[Sub<'a>]) {
        if oc != uc {
            let kind = match uc {
                Criterion::Any => D::CombinedTypeExtended,
                Criterion::One if os.len() == 1 => D::CombinedTypeExtended,
                Criterion::All if os.len() == 1 && us.len() == 1 => D::CombinedTypeExtended,
                _ => D::CombinedTypeChanged,
            };
            self.add(kind);
            if kind == D::CombinedTypeChanged {
                return;
            }
        }
        let dedup = |subs: &[Sub<'a>]| {
            let mut out: Vec<Sub<'a>> = Vec::new();
            for s in subs {
                if !out.iter().any(|o| o.same(s)) {
                    out.push(*s);
                }
            }
            out
        };
        let (os, us) = (dedup(os), dedup(us));
        if os.len() < us.len() {
            self.add(if uc == Criterion::All {
                D::ProductTypeExtended
            } else {
                D::SumTypeExtended
            });
        } else if os.len() > us.len() {
            self.add(if uc == Criterion::All {
                D::ProductTypeNarrowed
            } else {
                D::SumTypeNarrowed
            });
        }
        // Compatible pairs, then a maximum matching between the two sides.
        let mut edges: Vec<Vec<(usize, Vec<Difference>)>> = Vec::new();
        for (i, o) in os.iter().enumerate() {
            let mut row = Vec::new();
            for (j, u) in us.iter().enumerate() {
                let mut sub = self.sub();
                sub.within(&format!("{}/{i}", oc.keyword()), |s| {
                    s.compare(Some(*o), Some(*u));
                });
                if sub.is_compatible() {
                    row.push((j, sub.differences));
                }
            }
            edges.push(row);
        }
        let matched = maximum_matching(&edges, us.len());
        for (j, i) in matched.iter().enumerate() {
            if let Some(i) = i
                && let Some(row) = edges.get(*i)
                && let Some((_, diffs)) = row.iter().find(|(jj, _)| *jj == j)
            {
                self.differences.extend(diffs.iter().cloned());
            }
        }
        if matched.iter().flatten().count() < os.len().min(us.len()) {
            self.add(D::CombinedTypeSubschemasChanged);
        }
    }

    fn object(
        &mut self,
        (od, o): (DocId, &'a Map<String, Value>),
        (ud, u): (DocId, &'a Map<String, Value>),
    ) {
        let props = |m: &'a Map<String, Value>| m.get("properties").and_then(Value::as_object);
        let required = |m: &Map<String, Value>, k: &str| {
            m.get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().any(|n| n.as_str() == Some(k)))
        };
        let (op, up) = (props(o).unwrap_or(empty()), props(u).unwrap_or(empty()));
        // required
        self.within("required", |s| {
            for key in op.keys() {
                let Some(uprop) = up.get(key) else { continue };
                match (required(o, key), required(u, key)) {
                    (true, false) => s.add_at(key, D::RequiredAttributeRemoved),
                    (false, true) => s.add_at(
                        key,
                        if Sub::whole(ud, uprop).has_default(s.update) {
                            D::RequiredAttributeWithDefaultAdded
                        } else {
                            D::RequiredAttributeAdded
                        },
                    ),
                    _ => {}
                }
            }
        });
        // properties
        self.path.push("properties".to_owned());
        let mut keys: Vec<&String> = op.keys().chain(up.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            self.path.push(key.clone());
            match (op.get(key), up.get(key)) {
                (Some(ov), None) => {
                    if is_open(u) {
                        self.add(D::PropertyRemovedFromOpenContentModel);
                    } else if let Some(partial) = partially_open(u, key) {
                        let mut sub = self.sub();
                        sub.compare(Some(Sub::whole(od, ov)), Some(Sub::whole(ud, partial)));
                        let ok = sub.is_compatible();
                        self.differences.extend(sub.differences);
                        self.add(if ok {
                            D::PropertyRemovedIsCoveredByPartiallyOpenContentModel
                        } else {
                            D::PropertyRemovedNotCoveredByPartiallyOpenContentModel
                        });
                    } else if matches!(
                        super::node::follow_refs(self.original, od, ov).1,
                        Value::Bool(false)
                    ) {
                        self.add(D::PropertyWithFalseRemovedFromClosedContentModel);
                    } else {
                        self.add(D::PropertyRemovedFromClosedContentModel);
                    }
                }
                (None, Some(uv)) => {
                    if is_open(o) {
                        let empty_schema =
                            matches!(classify(self.update, Sub::whole(ud, uv)), Node::Empty);
                        self.add(if empty_schema {
                            D::PropertyWithEmptySchemaAddedToOpenContentModel
                        } else {
                            D::PropertyAddedToOpenContentModel
                        });
                    } else {
                        if let Some(partial) = partially_open(o, key) {
                            let mut sub = self.sub();
                            sub.compare(Some(Sub::whole(od, partial)), Some(Sub::whole(ud, uv)));
                            let ok = sub.is_compatible();
                            self.differences.extend(sub.differences);
                            self.add(if ok {
                                D::PropertyAddedIsCoveredByPartiallyOpenContentModel
                            } else {
                                D::PropertyAddedNotCoveredByPartiallyOpenContentModel
                            });
                        }
                        self.add(if !required(u, key) {
                            D::OptionalPropertyAddedToUnopenContentModel
                        } else if Sub::whole(ud, uv).has_default(self.update) {
                            D::RequiredPropertyWithDefaultAddedToUnopenContentModel
                        } else {
                            D::RequiredPropertyAddedToUnopenContentModel
                        });
                    }
                }
                (Some(ov), Some(uv)) => {
                    self.compare(Some(Sub::whole(od, ov)), Some(Sub::whole(ud, uv)));
                }
                (None, None) => {}
            }
            self.path.pop();
        }
        self.path.pop();
        self.dependencies((od, o), (ud, u));
        // additionalProperties
        self.within("additionalProperties", |s| {
            let (opermits, upermits) = (
                permits_more(o, "additionalProperties"),
                permits_more(u, "additionalProperties"),
            );
            let (oschema, uschema) = (
                schema_of(o, "additionalProperties"),
                schema_of(u, "additionalProperties"),
            );
            if opermits != upermits {
                s.add(if upermits {
                    D::AdditionalPropertiesAdded
                } else {
                    D::AdditionalPropertiesRemoved
                });
            } else {
                match (oschema, uschema) {
                    (None, Some(_)) => s.add(D::AdditionalPropertiesNarrowed),
                    (Some(_), None) => s.add(D::AdditionalPropertiesExtended),
                    (Some(a), Some(b)) => {
                        s.compare(Some(Sub::whole(od, a)), Some(Sub::whole(ud, b)))
                    }
                    (None, None) => {}
                }
            }
        });
        limits(
            self,
            o,
            u,
            "maxProperties",
            [
                D::MaxPropertiesAdded,
                D::MaxPropertiesRemoved,
                D::MaxPropertiesIncreased,
                D::MaxPropertiesDecreased,
            ],
        );
        limits(
            self,
            o,
            u,
            "minProperties",
            [
                D::MinPropertiesAdded,
                D::MinPropertiesRemoved,
                D::MinPropertiesIncreased,
                D::MinPropertiesDecreased,
            ],
        );
    }

    fn dependencies(
        &mut self,
        (od, o): (DocId, &'a Map<String, Value>),
        (ud, u): (DocId, &'a Map<String, Value>),
    ) {
        let deps = |m: &'a Map<String, Value>| m.get("dependencies").and_then(Value::as_object);
        let (odeps, udeps) = (deps(o).unwrap_or(empty()), deps(u).unwrap_or(empty()));
        self.path.push("dependencies".to_owned());
        let mut keys: Vec<&String> = odeps.keys().chain(udeps.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            self.path.push(key.clone());
            let (ov, uv) = (odeps.get(key), udeps.get(key));
            let array = |v: Option<&'a Value>| v.and_then(Value::as_array);
            let schema = |v: Option<&'a Value>| v.filter(|v| !v.is_array());
            match (array(ov), array(uv)) {
                (Some(_), None) => self.add(D::DependencyArrayRemoved),
                (None, Some(_)) => self.add(D::DependencyArrayAdded),
                (Some(a), Some(b)) if a != b => {
                    let has_all = |x: &[Value], y: &[Value]| y.iter().all(|v| x.contains(v));
                    self.add(if has_all(b, a) {
                        D::DependencyArrayExtended
                    } else if has_all(a, b) {
                        D::DependencyArrayNarrowed
                    } else {
                        D::DependencyArrayChanged
                    });
                }
                _ => {}
            }
            match (schema(ov), schema(uv)) {
                (Some(_), None) => self.add(D::DependencySchemaRemoved),
                (None, Some(_)) => self.add(D::DependencySchemaAdded),
                (Some(a), Some(b)) => {
                    self.compare(Some(Sub::whole(od, a)), Some(Sub::whole(ud, b)))
                }
                (None, None) => {}
            }
            self.path.pop();
        }
        self.path.pop();
    }

    fn array(
        &mut self,
        (od, o): (DocId, &'a Map<String, Value>),
        (ud, u): (DocId, &'a Map<String, Value>),
    ) {
        // `items` as one schema for every item.
        let all_items = |m: &'a Map<String, Value>| m.get("items").filter(|v| !v.is_array());
        self.within("items", |s| {
            s.compare(
                all_items(o).map(|v| Sub::whole(od, v)),
                all_items(u).map(|v| Sub::whole(ud, v)),
            );
        });
        // Positional items (`items: [..]` or `prefixItems`).
        let tuple = |m: &'a Map<String, Value>| {
            m.get("prefixItems")
                .or_else(|| m.get("items").filter(|v| v.is_array()))
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
        };
        let (ot, ut) = (tuple(o), tuple(u));
        let rest = |m: &Map<String, Value>| {
            if m.contains_key("prefixItems") {
                "items"
            } else {
                "additionalItems"
            }
        };
        let (orest, urest) = (rest(o), rest(u));
        for index in 0..ot.len().max(ut.len()) {
            self.path.push(format!("items/{index}"));
            match (ot.get(index), ut.get(index)) {
                (Some(a), Some(b)) => {
                    self.compare(Some(Sub::whole(od, a)), Some(Sub::whole(ud, b)))
                }
                (Some(a), None) => {
                    if is_open_items(u, urest) {
                        self.add(D::ItemRemovedFromOpenContentModel);
                    } else if let Some(partial) = schema_of(u, urest) {
                        let mut sub = self.sub();
                        sub.compare(Some(Sub::whole(od, a)), Some(Sub::whole(ud, partial)));
                        let ok = sub.is_compatible();
                        self.differences.extend(sub.differences);
                        self.add(if ok {
                            D::ItemRemovedIsCoveredByPartiallyOpenContentModel
                        } else {
                            D::ItemRemovedNotCoveredByPartiallyOpenContentModel
                        });
                    } else if matches!(a, Value::Bool(false)) {
                        self.add(D::ItemWithFalseRemovedFromClosedContentModel);
                    } else {
                        self.add(D::ItemRemovedFromClosedContentModel);
                    }
                }
                (None, Some(b)) => {
                    if is_open_items(o, orest) {
                        let empty_schema =
                            matches!(classify(self.update, Sub::whole(ud, b)), Node::Empty);
                        self.add(if empty_schema {
                            D::ItemWithEmptySchemaAddedToOpenContentModel
                        } else {
                            D::ItemAddedToOpenContentModel
                        });
                    } else if let Some(partial) = schema_of(o, orest) {
                        let mut sub = self.sub();
                        sub.compare(Some(Sub::whole(od, partial)), Some(Sub::whole(ud, b)));
                        let ok = sub.is_compatible();
                        self.differences.extend(sub.differences);
                        self.add(if ok {
                            D::ItemAddedIsCoveredByPartiallyOpenContentModel
                        } else {
                            D::ItemAddedNotCoveredByPartiallyOpenContentModel
                        });
                    } else {
                        self.add(D::ItemAddedToClosedContentModel);
                    }
                }
                (None, None) => {}
            }
            self.path.pop();
        }
        if !ot.is_empty() || !ut.is_empty() {
            self.within("additionalItems", |s| {
                let (op, up) = (permits_more(o, orest), permits_more(u, urest));
                if op != up {
                    s.add(if op {
                        D::AdditionalItemsRemoved
                    } else {
                        D::AdditionalItemsAdded
                    });
                } else {
                    match (schema_of(o, orest), schema_of(u, urest)) {
                        (None, Some(_)) => s.add(D::AdditionalItemsNarrowed),
                        (Some(_), None) => s.add(D::AdditionalItemsExtended),
                        (Some(a), Some(b)) => {
                            s.compare(Some(Sub::whole(od, a)), Some(Sub::whole(ud, b)))
                        }
                        (None, None) => {}
                    }
                }
            });
        }
        limits(
            self,
            o,
            u,
            "maxItems",
            [
                D::MaxItemsAdded,
                D::MaxItemsRemoved,
                D::MaxItemsIncreased,
                D::MaxItemsDecreased,
            ],
        );
        limits(
            self,
            o,
            u,
            "minItems",
            [
                D::MinItemsAdded,
                D::MinItemsRemoved,
                D::MinItemsIncreased,
                D::MinItemsDecreased,
            ],
        );
        let unique = |m: &Map<String, Value>| {
            m.get("uniqueItems")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        match (unique(o), unique(u)) {
            (true, false) => self.add_at("uniqueItems", D::UniqueItemsRemoved),
            (false, true) => self.add_at("uniqueItems", D::UniqueItemsAdded),
            _ => {}
        }
    }
}

/// An empty JSON object, for absent keyword maps.
fn empty() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

/// Whether an object schema is an open content model: no
/// `patternProperties`, `additionalProperties` absent or `true`.
fn is_open(m: &Map<String, Value>) -> bool {
    let no_patterns = m
        .get("patternProperties")
        .and_then(Value::as_object)
        .is_none_or(Map::is_empty);
    no_patterns
        && matches!(
            m.get("additionalProperties"),
            None | Some(Value::Bool(true))
        )
}

/// The schema a partially open object model gives property `key`: the
/// first `patternProperties` entry whose pattern matches it, else the
/// `additionalProperties` schema.
fn partially_open<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let by_pattern = m
        .get("patternProperties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .find(|(pattern, _)| regex::Regex::new(pattern).is_ok_and(|r| r.is_match(key)))
        .map(|(_, v)| v);
    by_pattern.or_else(|| schema_of(m, "additionalProperties"))
}

/// Whether keyword `key` (`additionalProperties`/`additionalItems`) lets
/// unlisted properties or items in at all (absent or anything but `false`).
fn permits_more(m: &Map<String, Value>, key: &str) -> bool {
    !matches!(m.get(key), Some(Value::Bool(false)))
}

/// The schema keyword `key` holds, when it is a schema object (not a
/// boolean).
fn schema_of<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).filter(|v| v.is_object())
}

/// Whether positional items leave the rest fully open.
fn is_open_items(m: &Map<String, Value>, rest: &str) -> bool {
    matches!(m.get(rest), None | Some(Value::Bool(true)))
}

/// Compares a numeric keyword: `[added, removed, increased, decreased]`.
fn limits(
    ctx: &mut Ctx<'_>,
    o: &Map<String, Value>,
    u: &Map<String, Value>,
    key: &str,
    kinds: [D; 4],
) {
    let [added, removed, increased, decreased] = kinds;
    let number = |m: &Map<String, Value>| m.get(key).and_then(Value::as_f64);
    match (number(o), number(u)) {
        (None, Some(_)) => ctx.add_at(key, added),
        (Some(_), None) => ctx.add_at(key, removed),
        (Some(a), Some(b)) if a < b => ctx.add_at(key, increased),
        (Some(a), Some(b)) if a > b => ctx.add_at(key, decreased),
        _ => {}
    }
}

fn string(ctx: &mut Ctx<'_>, o: &Map<String, Value>, u: &Map<String, Value>) {
    limits(
        ctx,
        o,
        u,
        "maxLength",
        [
            D::MaxLengthAdded,
            D::MaxLengthRemoved,
            D::MaxLengthIncreased,
            D::MaxLengthDecreased,
        ],
    );
    limits(
        ctx,
        o,
        u,
        "minLength",
        [
            D::MinLengthAdded,
            D::MinLengthRemoved,
            D::MinLengthIncreased,
            D::MinLengthDecreased,
        ],
    );
    match (o.get("pattern"), u.get("pattern")) {
        (None, Some(_)) => ctx.add_at("pattern", D::PatternAdded),
        (Some(_), None) => ctx.add_at("pattern", D::PatternRemoved),
        (Some(a), Some(b)) if a != b => ctx.add_at("pattern", D::PatternChanged),
        _ => {}
    }
}

fn number(ctx: &mut Ctx<'_>, o: &Map<String, Value>, u: &Map<String, Value>) {
    limits(
        ctx,
        o,
        u,
        "maximum",
        [
            D::MaximumAdded,
            D::MaximumRemoved,
            D::MaximumIncreased,
            D::MaximumDecreased,
        ],
    );
    limits(
        ctx,
        o,
        u,
        "minimum",
        [
            D::MinimumAdded,
            D::MinimumRemoved,
            D::MinimumIncreased,
            D::MinimumDecreased,
        ],
    );
    limits(
        ctx,
        o,
        u,
        "exclusiveMaximum",
        [
            D::ExclusiveMaximumAdded,
            D::ExclusiveMaximumRemoved,
            D::ExclusiveMaximumIncreased,
            D::ExclusiveMaximumDecreased,
        ],
    );
    limits(
        ctx,
        o,
        u,
        "exclusiveMinimum",
        [
            D::ExclusiveMinimumAdded,
            D::ExclusiveMinimumRemoved,
            D::ExclusiveMinimumIncreased,
            D::ExclusiveMinimumDecreased,
        ],
    );
    let multiple = |m: &Map<String, Value>| m.get("multipleOf").and_then(Value::as_f64);
    let divides = |a: f64, b: f64| a != 0.0 && ((b / a) - (b / a).round()).abs() < 1e-9;
    match (multiple(o), multiple(u)) {
        (None, Some(_)) => ctx.add_at("multipleOf", D::MultipleOfAdded),
        (Some(_), None) => ctx.add_at("multipleOf", D::MultipleOfRemoved),
        (Some(a), Some(b)) if a != b => ctx.add_at(
            "multipleOf",
            if divides(a, b) {
                D::MultipleOfExpanded
            } else if divides(b, a) {
                D::MultipleOfReduced
            } else {
                D::MultipleOfChanged
            },
        ),
        _ => {}
    }
}

/// A maximum bipartite matching (augmenting paths): `edges[i]` lists the
/// right-side nodes left node `i` may pair with. Returns, per right node,
/// its left partner.
fn maximum_matching<T>(edges: &[Vec<(usize, T)>], right: usize) -> Vec<Option<usize>> {
    fn augment<T>(
        i: usize,
        edges: &[Vec<(usize, T)>],
        seen: &mut [bool],
        partner: &mut [Option<usize>],
    ) -> bool {
        for (j, _) in edges.get(i).map(Vec::as_slice).unwrap_or_default() {
            let j = *j;
            if seen.get(j).copied().unwrap_or(true) {
                continue;
            }
            if let Some(s) = seen.get_mut(j) {
                *s = true;
            }
            let current = partner.get(j).copied().flatten();
            if current.is_none_or(|k| augment(k, edges, seen, partner)) {
                if let Some(p) = partner.get_mut(j) {
                    *p = Some(i);
                }
                return true;
            }
        }
        false
    }
    let mut partner = vec![None; right];
    for i in 0..edges.len() {
        let mut seen = vec![false; right];
        augment(i, edges, &mut seen, &mut partner);
    }
    partner
}
