//! `--config-file` of `ferry connect cluster create`: JSON as the
//! `confluent` CLI takes it, either flat (`{"name": …, "connector.class":
//! …, …}`, Confluent Cloud's form) or Connect's `{"name": …, "config":
//! {…}}`. Numbers and booleans are accepted and kept as text, since Connect
//! configuration values are strings.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use ferry_connect::view::CreateConnector;
use serde_json::Value;

/// Reads and checks the file.
pub(crate) fn read(path: &Path) -> anyhow::Result<CreateConnector> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    parse(&text).with_context(|| format!("config file {}", path.display()))
}

fn text_of(key: &str, value: &Value) -> anyhow::Result<Option<String>> {
    Ok(match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        Value::Array(_) | Value::Object(_) => {
            anyhow::bail!("\"{key}\" must be a string, number or boolean")
        }
    })
}

/// Parses the JSON text.
pub(crate) fn parse(text: &str) -> anyhow::Result<CreateConnector> {
    let value: Value = serde_json::from_str(text).context("not valid JSON")?;
    let Value::Object(mut top) = value else {
        anyhow::bail!("expected a JSON object with \"name\" and the connector's configs");
    };
    let nested = top.remove("config");
    let mut config = BTreeMap::new();
    let source = match nested {
        Some(Value::Object(inner)) => {
            for key in top.keys() {
                anyhow::ensure!(
                    key == "name",
                    "unexpected key \"{key}\" next to \"config\" (put configs inside \"config\")"
                );
            }
            inner
        }
        Some(_) => anyhow::bail!("\"config\" must be an object of configs"),
        None => top.clone(),
    };
    for (key, value) in &source {
        if let Some(text) = text_of(key, value)? {
            config.insert(key.clone(), text);
        }
    }
    let name = match top.get("name") {
        Some(v) => text_of("name", v)?.unwrap_or_default(),
        None => config.get("name").cloned().unwrap_or_default(),
    };
    anyhow::ensure!(
        !name.trim().is_empty(),
        "no \"name\": the file must name the connector"
    );
    config.insert("name".to_owned(), name.clone());
    Ok(CreateConnector { name, config })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_cloud_form() {
        let c = parse(
            r#"{"name": "orders", "connector.class": "DatagenSource", "kafka.topic": "t",
                "max.interval": 100, "tasks.max": "1", "kafka.api.key": "k"}"#,
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(c.name, "orders");
        assert_eq!(
            c.config.get("max.interval").map(String::as_str),
            Some("100")
        );
        assert_eq!(c.config.get("name").map(String::as_str), Some("orders"));
    }

    #[test]
    fn connect_form() {
        let c = parse(r#"{"name": "o", "config": {"kafka.topic": "t", "iterations": -1}}"#)
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(c.config.get("iterations").map(String::as_str), Some("-1"));
        assert_eq!(c.config.get("name").map(String::as_str), Some("o"));
    }

    #[test]
    fn bad_files_say_why() {
        let msg = |t: &str| format!("{:#}", parse(t).err().unwrap_or_else(|| panic!("{t}")));
        assert!(msg("{").contains("not valid JSON"));
        assert!(msg("[]").contains("JSON object"));
        assert!(msg(r#"{"kafka.topic": "t"}"#).contains("no \"name\""));
        assert!(msg(r#"{"name": "o", "x": [1]}"#).contains("\"x\" must be"));
        assert!(msg(r#"{"name": "o", "config": 3}"#).contains("\"config\" must be"));
    }
}
