//! Keyword comparisons of string and number schemas, and the numeric
//! limits shared by every kind.

use serde_json::{Map, Value};

use super::Ctx;
use crate::json::difference::DifferenceType as D;

/// Compares a numeric keyword: `[added, removed, increased, decreased]`.
pub(super) fn limits(
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

pub(super) fn string(ctx: &mut Ctx<'_>, o: &Map<String, Value>, u: &Map<String, Value>) {
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

pub(super) fn number(ctx: &mut Ctx<'_>, o: &Map<String, Value>, u: &Map<String, Value>) {
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
