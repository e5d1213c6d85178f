//! Topic and group filters: `{"topicFilters":[…]}` / `{"groupFilters":[…]}`
//! (reference §2.3). A name is selected iff at least one filter matches and
//! every matching filter is INCLUDE; `*` with LITERAL matches everything.
//!
//! PLACEHOLDER shape: the link-model engineer owns and completes this file.

use serde::Deserialize;

/// A parse failure, with what was wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct FilterError(pub String);

/// LITERAL or PREFIXED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternType {
    /// Exact match (`*` matches all).
    Literal,
    /// startsWith.
    Prefixed,
}

/// INCLUDE or EXCLUDE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterType {
    /// Select.
    Include,
    /// Reject; wins over INCLUDE.
    Exclude,
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

/// A list of filters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filters {
    /// The filters, in order.
    pub filters: Vec<Filter>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    name: String,
    #[serde(rename = "patternType")]
    pattern_type: String,
    #[serde(rename = "filterType", default)]
    filter_type: Option<String>,
}

impl Filters {
    /// A filter that selects every name.
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

    /// Whether `name` is selected.
    pub fn matches(&self, name: &str) -> bool {
        let mut any = false;
        for f in &self.filters {
            let hit = match f.pattern_type {
                PatternType::Literal => f.name == "*" || f.name == name,
                PatternType::Prefixed => name.starts_with(&f.name),
            };
            if hit {
                if f.filter_type == FilterType::Exclude {
                    return false;
                }
                any = true;
            }
        }
        any
    }
}

fn parse(json: &str, key: &str) -> Result<Filters, FilterError> {
    if json.trim().is_empty() {
        return Ok(Filters::default());
    }
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| FilterError(format!("invalid JSON: {e}")))?;
    let list = value
        .get(key)
        .ok_or_else(|| FilterError(format!("expected an object with \"{key}\"")))?;
    let raw: Vec<RawFilter> =
        serde_json::from_value(list.clone()).map_err(|e| FilterError(format!("\"{key}\": {e}")))?;
    let filters = raw
        .into_iter()
        .map(|r| {
            let pattern_type = match r.pattern_type.to_ascii_uppercase().as_str() {
                "LITERAL" => PatternType::Literal,
                "PREFIXED" => PatternType::Prefixed,
                other => return Err(FilterError(format!("unknown patternType '{other}'"))),
            };
            let filter_type = match r.filter_type.as_deref().map(str::to_ascii_uppercase) {
                None => FilterType::Include,
                Some(s) if s == "INCLUDE" => FilterType::Include,
                Some(s) if s == "EXCLUDE" => FilterType::Exclude,
                Some(s) => return Err(FilterError(format!("unknown filterType '{s}'"))),
            };
            Ok(Filter {
                name: r.name,
                pattern_type,
                filter_type,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Filters { filters })
}

/// Parses `auto.create.mirror.topics.filters`.
pub fn parse_topic_filters(json: &str) -> Result<Filters, FilterError> {
    parse(json, "topicFilters")
}

/// Parses `consumer.offset.group.filters`.
pub fn parse_group_filters(json: &str) -> Result<Filters, FilterError> {
    parse(json, "groupFilters")
}
