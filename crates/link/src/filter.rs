//! Topic and group filters: `{"topicFilters":[…]}` / `{"groupFilters":[…]}`
//! (reference §2.3), and the ACL filters of `acl.filters` ([`acl`]).
//!
//! # Grammar
//! ```json
//! {"topicFilters":[{"name":"orders","patternType":"PREFIXED","filterType":"INCLUDE"},
//!                  {"name":"orders.internal","patternType":"LITERAL","filterType":"EXCLUDE"}]}
//! ```
//! - `name`: required, a non-empty string. `"*"` with `LITERAL` matches every
//!   name (only that combination is a wildcard).
//! - `patternType`: required; `LITERAL` (exact) or `PREFIXED` (starts with),
//!   any case. Kafka's other pattern types (`ANY`, `MATCH`, `UNKNOWN`) are
//!   refused, as are null and the empty string.
//! - `filterType`: `INCLUDE` (the default when absent or null) or `EXCLUDE`,
//!   any case.
//! - Properties other than these, at the top level or in a filter, are
//!   refused (Confluent parses with `FAIL_ON_UNKNOWN_PROPERTIES`); so are a
//!   missing or null list. An empty or blank string means "no filters".
//!
//! # Matching
//! A name is selected iff at least one filter matches it and no matching
//! filter is EXCLUDE: EXCLUDE wins, and unmatched names are left out.

pub mod acl;

use serde_json::{Map, Value};

pub use acl::{
    AclBindingFilter, AclFilters, AclOperation, AclPatternType, AclPermissionType, AclResourceType,
    parse_acl_filters,
};

/// A filter document that is not valid; the message names the field at
/// fault, e.g. `topicFilters[1].patternType`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct FilterError(pub String);

/// How a filter's `name` is compared (`patternType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternType {
    /// Exact match; `*` matches every name.
    Literal,
    /// The name starts with the filter's name.
    Prefixed,
}

impl PatternType {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Literal => "LITERAL",
            Self::Prefixed => "PREFIXED",
        }
    }
}

/// Whether a matching filter selects or rejects (`filterType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterType {
    /// Select the name (unless an EXCLUDE also matches).
    Include,
    /// Reject the name; wins over any INCLUDE.
    Exclude,
}

impl FilterType {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Include => "INCLUDE",
            Self::Exclude => "EXCLUDE",
        }
    }
}

/// One filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Name or prefix.
    pub name: String,
    /// How `name` matches.
    pub pattern_type: PatternType,
    /// Include or exclude.
    pub filter_type: FilterType,
}

impl Filter {
    /// Whether this filter matches `name` (whatever its filter type).
    pub fn matches(&self, name: &str) -> bool {
        match self.pattern_type {
            PatternType::Literal => self.name == "*" || self.name == name,
            PatternType::Prefixed => name.starts_with(&self.name),
        }
    }
}

/// A list of filters, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filters {
    /// The filters, in order.
    pub filters: Vec<Filter>,
}

impl Filters {
    /// A filter that selects every name (`*`, LITERAL, INCLUDE).
    pub fn all() -> Self {
        Self {
            filters: vec![Filter {
                name: "*".into(),
                pattern_type: PatternType::Literal,
                filter_type: FilterType::Include,
            }],
        }
    }

    /// No filters (selects nothing).
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// Whether `name` is selected: some filter matches and none of the
    /// matching ones is EXCLUDE.
    pub fn matches(&self, name: &str) -> bool {
        let mut included = false;
        for filter in self.filters.iter().filter(|f| f.matches(name)) {
            if filter.filter_type == FilterType::Exclude {
                return false;
            }
            included = true;
        }
        included
    }

    /// The filters that match none of `names`; Confluent logs these as a
    /// warning (a typo in a filter otherwise goes unnoticed).
    pub fn unmatched_filters<'a, I>(&self, names: I) -> Vec<&Filter>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let names: Vec<&str> = names.into_iter().collect();
        self.filters
            .iter()
            .filter(|f| !names.iter().any(|n| f.matches(n)))
            .collect()
    }

    /// The JSON document, under `key` (`topicFilters` or `groupFilters`),
    /// with every field spelled out.
    pub fn to_json(&self, key: &str) -> String {
        let list: Vec<Value> = self
            .filters
            .iter()
            .map(|f| {
                serde_json::json!({
                    "name": f.name,
                    "patternType": f.pattern_type.as_str(),
                    "filterType": f.filter_type.as_str(),
                })
            })
            .collect();
        let mut doc = Map::new();
        doc.insert(key.to_string(), Value::Array(list));
        Value::Object(doc).to_string()
    }
}

/// Parses `auto.create.mirror.topics.filters` (`{"topicFilters":[…]}`).
///
/// # Errors
/// Invalid JSON or grammar; the message names the field.
pub fn parse_topic_filters(json: &str) -> Result<Filters, FilterError> {
    parse(json, "topicFilters")
}

/// Parses `consumer.offset.group.filters` (`{"groupFilters":[…]}`).
///
/// # Errors
/// Invalid JSON or grammar; the message names the field.
pub fn parse_group_filters(json: &str) -> Result<Filters, FilterError> {
    parse(json, "groupFilters")
}

fn parse(json: &str, key: &str) -> Result<Filters, FilterError> {
    if json.trim().is_empty() {
        return Ok(Filters::default());
    }
    let doc: Value =
        serde_json::from_str(json).map_err(|e| FilterError(format!("invalid JSON: {e}")))?;
    let top = object(&doc, "the filter document", &[key])?;
    let list = match top.get(key) {
        None => return Err(FilterError(format!("\"{key}\" is missing"))),
        Some(Value::Null) => return Err(FilterError(format!("\"{key}\" must not be null"))),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(FilterError(format!("\"{key}\" must be an array"))),
    };
    let filters = list
        .iter()
        .enumerate()
        .map(|(i, item)| parse_filter(item, &format!("{key}[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok(Filters { filters })
}

fn parse_filter(item: &Value, at: &str) -> Result<Filter, FilterError> {
    let fields = object(item, at, &["name", "patternType", "filterType"])?;
    let name = match fields.get("name") {
        None | Some(Value::Null) => return Err(FilterError(format!("{at}.name is required"))),
        Some(Value::String(s)) if s.is_empty() => {
            return Err(FilterError(format!("{at}.name must not be empty")));
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(FilterError(format!("{at}.name must be a string"))),
    };
    let pattern_type = match required_string(fields, at, "patternType")? {
        s if s.eq_ignore_ascii_case("LITERAL") => PatternType::Literal,
        s if s.eq_ignore_ascii_case("PREFIXED") => PatternType::Prefixed,
        s => {
            return Err(FilterError(format!(
                "{at}.patternType: '{s}' is not allowed (expected LITERAL or PREFIXED)"
            )));
        }
    };
    let filter_type = match fields.get("filterType") {
        None | Some(Value::Null) => FilterType::Include,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("INCLUDE") => FilterType::Include,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("EXCLUDE") => FilterType::Exclude,
        Some(Value::String(s)) => {
            return Err(FilterError(format!(
                "{at}.filterType: '{s}' is not allowed (expected INCLUDE or EXCLUDE)"
            )));
        }
        Some(_) => return Err(FilterError(format!("{at}.filterType must be a string"))),
    };
    Ok(Filter {
        name,
        pattern_type,
        filter_type,
    })
}

/// `value` as a JSON object holding only `allowed` properties.
pub(crate) fn object<'a>(
    value: &'a Value,
    at: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, FilterError> {
    let Value::Object(fields) = value else {
        return Err(FilterError(format!("{at} must be a JSON object")));
    };
    if let Some(unknown) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(FilterError(format!(
            "{at}: unknown property \"{unknown}\" (expected {})",
            allowed.join(", ")
        )));
    }
    Ok(fields)
}

/// A required, non-empty string property.
pub(crate) fn required_string<'a>(
    fields: &'a Map<String, Value>,
    at: &str,
    key: &str,
) -> Result<&'a str, FilterError> {
    match fields.get(key) {
        None | Some(Value::Null) => Err(FilterError(format!("{at}.{key} is required"))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(FilterError(format!("{at}.{key} must not be empty")))
        }
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(FilterError(format!("{at}.{key} must be a string"))),
    }
}

#[cfg(test)]
mod tests;
