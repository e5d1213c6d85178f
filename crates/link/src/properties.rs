//! `link-config.properties` and `--config k=v,…`, parsed as the `confluent`
//! CLI parses them (reference §2.4).
//!
//! PLACEHOLDER shape: the link-model engineer owns and completes this file.

use std::collections::BTreeMap;

/// A parse failure.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct PropertiesError(pub String);

/// Parses the text of a properties file into `(key, value)` pairs in order.
pub fn parse_properties(text: &str) -> Result<Vec<(String, String)>, PropertiesError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line.split_once('=').ok_or_else(|| {
            PropertiesError(format!("line {}: expected key=value, got '{line}'", n + 1))
        })?;
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Parses `--config`: one file path (an item without `=`), or `k=v` items.
pub fn parse_config_args(items: &[String]) -> Result<BTreeMap<String, String>, PropertiesError> {
    if let [one] = items
        && !one.contains('=')
    {
        let text = std::fs::read_to_string(one)
            .map_err(|e| PropertiesError(format!("reading config file '{one}': {e}")))?;
        return Ok(parse_properties(&text)?.into_iter().collect());
    }
    let mut out = BTreeMap::new();
    for item in items {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| PropertiesError(format!("expected key=value, got '{item}'")))?;
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}
