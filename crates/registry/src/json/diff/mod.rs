//! The walk that finds the [`Difference`]s between two JSON Schemas, by
//! Confluent's `json.diff` rules (see the module docs of [`super`] for the
//! table).

use std::collections::HashSet;

mod array;
mod keywords;
mod object;

use serde_json::Value;

use super::difference::{Difference, DifferenceType as D};
use super::node::{Class, Criterion, JsonType, Node, Sub, View, classify};
use super::refs::Documents;

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
                Class::String => keywords::string(self, o_obj, u_obj),
                Class::Number => {
                    keywords::number(self, o_obj, u_obj);
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
