//! Object schemas: properties against the content model (open, closed,
//! partially open), `required`, `dependencies`, `additionalProperties`,
//! property counts.

use serde_json::{Map, Value};

use super::Ctx;
use super::keywords::limits;
use crate::json::difference::DifferenceType as D;
use crate::json::node::{Node, Sub, classify, follow_refs};
use crate::json::refs::DocId;

impl<'a> Ctx<'a> {
    pub(super) fn object(
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
                    } else if matches!(follow_refs(self.original, od, ov).1, Value::Bool(false)) {
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
pub(super) fn permits_more(m: &Map<String, Value>, key: &str) -> bool {
    !matches!(m.get(key), Some(Value::Bool(false)))
}

/// The schema keyword `key` holds, when it is a schema object (not a
/// boolean).
pub(super) fn schema_of<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).filter(|v| v.is_object())
}
