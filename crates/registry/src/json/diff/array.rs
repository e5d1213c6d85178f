//! Array schemas: `items` (one schema or positional), `additionalItems`
//! / `prefixItems` rest, item counts, `uniqueItems`.

use serde_json::{Map, Value};

use super::Ctx;
use super::keywords::limits;
use super::object::{permits_more, schema_of};
use crate::json::difference::DifferenceType as D;
use crate::json::node::{Node, Sub, classify};
use crate::json::refs::DocId;

impl<'a> Ctx<'a> {
    pub(super) fn array(
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

/// Whether positional items leave the rest fully open.
fn is_open_items(m: &Map<String, Value>, rest: &str) -> bool {
    matches!(m.get(rest), None | Some(Value::Bool(true)))
}
