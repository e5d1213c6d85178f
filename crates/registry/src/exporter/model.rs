//! What an exporter is (reference §7.3): its definition as the API and the
//! store carry it, the validation of create/update requests, which source
//! subjects it exports and under which destination names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error;
use crate::error::ApiError;
use crate::subject::{DEFAULT_CONTEXT, QualifiedSubject};

/// The placeholder of `subjectRenameFormat`.
pub const SUBJECT_PLACEHOLDER: &str = "${subject}";
/// What GET answers instead of a secret.
pub const HIDDEN: &str = "[hidden]";
/// Longest exporter name accepted.
const MAX_NAME: usize = 255;

/// Where exported subjects land on the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ContextType {
    /// The source context under this registry's own context
    /// ([`auto_context`]), so several sources never collide.
    #[default]
    Auto,
    /// The source context under the definition's `context`.
    Custom,
    /// The source context unchanged (an exact copy).
    None,
    /// Everything into the destination's default context.
    Default,
}

impl ContextType {
    fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "AUTO" => Some(Self::Auto),
            "CUSTOM" => Some(Self::Custom),
            "NONE" => Some(Self::None),
            "DEFAULT" => Some(Self::Default),
            _ => None,
        }
    }
}

/// The AUTO context of a registry served by the Kafka cluster
/// `cluster_id`: `.lsrc-` and the id's ASCII letters and digits (Confluent
/// Cloud names it after the source registry, `.lsrc-xxxxx`; Confluent
/// Platform after the Kafka cluster id: this is both).
pub fn auto_context(cluster_id: &str) -> String {
    let id: String = cluster_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!(".lsrc-{id}")
}

/// An exporter as stored and described (`ExporterReference`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExporterDefinition {
    /// Unique within the registry.
    pub name: String,
    /// Subject patterns (see [`ExporterDefinition::exports`]).
    pub subjects: Vec<String>,
    /// The destination subject name, `${subject}` standing for the source's.
    pub subject_rename_format: String,
    /// How destination contexts are chosen.
    pub context_type: ContextType,
    /// The CUSTOM context (kept as given otherwise; `.` by default).
    pub context: String,
    /// Accepted and stored for clients that send it; ferry has no KEKs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kek_rename_format: Option<String>,
    /// Destination client settings.
    pub config: BTreeMap<String, String>,
}

/// A create (`POST /exporters`) or update (`PUT /exporters/{name}`) body:
/// every field optional, unknown fields ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExporterRequest {
    /// Name (create only).
    #[serde(default)]
    pub name: Option<String>,
    /// Subject patterns.
    #[serde(default)]
    pub subjects: Option<Vec<String>>,
    /// Rename format.
    #[serde(default)]
    pub subject_rename_format: Option<String>,
    /// AUTO, CUSTOM, NONE, DEFAULT (any case).
    #[serde(default)]
    pub context_type: Option<String>,
    /// CUSTOM context.
    #[serde(default)]
    pub context: Option<String>,
    /// KEK rename format (stored only).
    #[serde(default)]
    pub kek_rename_format: Option<String>,
    /// Config entries (strings; numbers and booleans as their text; `null`
    /// or `""` removes a key on update).
    #[serde(default)]
    pub config: Option<BTreeMap<String, Value>>,
}

impl ExporterRequest {
    /// A new definition from a create body.
    ///
    /// # Errors
    /// 40950, 40951, 40952.
    pub fn into_definition(self) -> Result<ExporterDefinition, ApiError> {
        let name = self
            .name
            .clone()
            .ok_or_else(|| error::invalid_name("the name is missing"))?;
        validate_name(&name)?;
        let config = self
            .config
            .clone()
            .ok_or_else(|| error::invalid_config("the config is missing"))?;
        let mut definition = ExporterDefinition {
            name,
            subjects: vec!["*".to_owned()],
            subject_rename_format: SUBJECT_PLACEHOLDER.to_owned(),
            context_type: ContextType::Auto,
            context: DEFAULT_CONTEXT.to_owned(),
            kek_rename_format: None,
            config: BTreeMap::new(),
        };
        definition.config = merge_config(&BTreeMap::new(), &config)?;
        self.apply_fields(&mut definition)?;
        definition.validate()?;
        Ok(definition)
    }

    /// The definition after this update body (the name cannot change).
    ///
    /// # Errors
    /// 40951, 40952.
    pub fn update(self, current: &ExporterDefinition) -> Result<ExporterDefinition, ApiError> {
        let mut definition = current.clone();
        if let Some(config) = &self.config {
            definition.config = merge_config(&current.config, config)?;
        }
        self.apply_fields(&mut definition)?;
        definition.validate()?;
        Ok(definition)
    }

    fn apply_fields(&self, definition: &mut ExporterDefinition) -> Result<(), ApiError> {
        if let Some(subjects) = &self.subjects {
            definition.subjects = if subjects.is_empty() {
                vec!["*".to_owned()]
            } else {
                subjects.clone()
            };
        }
        if let Some(format) = &self.subject_rename_format {
            definition.subject_rename_format = if format.is_empty() {
                SUBJECT_PLACEHOLDER.to_owned()
            } else {
                format.clone()
            };
        }
        if let Some(text) = &self.context_type {
            definition.context_type = ContextType::parse(text).ok_or_else(|| {
                error::invalid_config(format!(
                    "contextType {text:?} is not AUTO, CUSTOM, NONE or DEFAULT"
                ))
            })?;
        }
        if let Some(context) = &self.context {
            definition.context = context.clone();
        }
        if let Some(format) = &self.kek_rename_format {
            definition.kek_rename_format = Some(format.clone());
        }
        Ok(())
    }
}

/// `config` after applying `changes`: a value replaces, `null` or `""`
/// removes, `[hidden]` keeps the stored secret (so a described config can
/// be sent back unchanged).
///
/// # Errors
/// 40951 for values that are objects or arrays.
pub fn merge_config(
    current: &BTreeMap<String, String>,
    changes: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = current.clone();
    for (key, value) in changes {
        let text = match value {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(error::invalid_config(format!(
                    "the value of {key} must be a string"
                )));
            }
        };
        if text.is_empty() {
            out.remove(key);
        } else if text != HIDDEN {
            out.insert(key.clone(), text);
        }
    }
    Ok(out)
}

fn validate_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(error::invalid_name(format!(
            "a name has 1 to {MAX_NAME} characters"
        )));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(error::invalid_name(format!(
            "'{name}' may only hold ASCII letters, digits, '-', '_' and '.'"
        )));
    }
    Ok(())
}

fn validate_subject_pattern(pattern: &str) -> Result<(), ApiError> {
    if pattern.is_empty() || pattern.chars().any(char::is_control) {
        return Err(error::invalid_subjects(format!(
            "{pattern:?} is not a subject or pattern"
        )));
    }
    let q = QualifiedSubject::parse(pattern);
    let name = q.subject.strip_suffix('*').unwrap_or(&q.subject);
    if name.contains('*') {
        return Err(error::invalid_subjects(format!(
            "{pattern:?}: '*' may only end a pattern"
        )));
    }
    if q.context != "*" && q.context.contains('*') {
        return Err(error::invalid_subjects(format!(
            "{pattern:?}: a context is a name or ':*:'"
        )));
    }
    Ok(())
}

impl ExporterDefinition {
    /// Checks everything but the name.
    ///
    /// # Errors
    /// 40951, 40952.
    pub fn validate(&self) -> Result<(), ApiError> {
        for pattern in &self.subjects {
            validate_subject_pattern(pattern)?;
        }
        let format = &self.subject_rename_format;
        if format.contains(':') || format.chars().any(char::is_control) {
            return Err(error::invalid_config(format!(
                "subjectRenameFormat {format:?} may not hold ':' or control characters"
            )));
        }
        if self.context_type == ContextType::Custom {
            let context = self.context.trim_start_matches('.');
            if context.is_empty()
                || self.context.contains([':', '*'])
                || self.context.chars().any(char::is_control)
            {
                return Err(error::invalid_config(format!(
                    "contextType CUSTOM needs a context name, got {:?}",
                    self.context
                )));
            }
        }
        super::destination::DestinationConfig::from_config(&self.config)
            .map_err(error::invalid_config)?;
        Ok(())
    }

    /// Whether the qualified source subject matches one of the patterns:
    /// `*` every subject of the default context, `:*:` every subject of
    /// every context, `:.ctx:*` (or `:.ctx:`) every subject of `.ctx`,
    /// `:*:name` that name in any context, a trailing `*` a prefix, else
    /// the exact (qualified) subject.
    pub fn exports(&self, subject: &str) -> bool {
        let s = QualifiedSubject::parse(subject);
        self.subjects.iter().any(|pattern| {
            let p = QualifiedSubject::parse(pattern);
            let context = p.context == "*" || p.context == s.context;
            let name = match p.subject.strip_suffix('*') {
                _ if p.subject.is_empty() => true,
                Some(prefix) => s.subject.starts_with(prefix),
                None => p.subject == s.subject,
            };
            context && name
        })
    }

    /// The destination context of a source context.
    pub fn destination_context(&self, source_context: &str, auto: &str) -> String {
        let base = match self.context_type {
            ContextType::None => return source_context.to_owned(),
            ContextType::Default => return DEFAULT_CONTEXT.to_owned(),
            ContextType::Auto => auto.to_owned(),
            ContextType::Custom => format!(".{}", self.context.trim_start_matches('.')),
        };
        if source_context == DEFAULT_CONTEXT {
            base
        } else {
            format!("{base}{source_context}")
        }
    }

    /// The qualified destination subject of a qualified source subject.
    pub fn destination_subject(&self, source: &str, auto: &str) -> String {
        let q = QualifiedSubject::parse(source);
        let context = self.destination_context(&q.context, auto);
        let name = self
            .subject_rename_format
            .replace(SUBJECT_PLACEHOLDER, &q.subject);
        QualifiedSubject::new(&context, &name).to_qualified()
    }

    /// The definition as GET answers it: secrets replaced by `[hidden]`.
    pub fn masked(&self) -> Self {
        Self {
            config: masked_config(&self.config),
            ..self.clone()
        }
    }
}

/// A config with secret values replaced by `[hidden]` (passwords, user
/// info, secrets, tokens, and credentials inside a URL).
pub fn masked_config(config: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    config
        .iter()
        .map(|(k, v)| {
            let key = k.to_ascii_lowercase();
            let secret = ["password", "user.info", "secret", "token"]
                .iter()
                .any(|s| key.contains(s));
            let value = if secret {
                HIDDEN.to_owned()
            } else if key.ends_with(".url") {
                hide_url_credentials(v)
            } else {
                v.clone()
            };
            (k.clone(), value)
        })
        .collect()
}

fn hide_url_credentials(urls: &str) -> String {
    urls.split(',')
        .map(|url| match url.split_once("://") {
            Some((scheme, rest)) => {
                let authority_end = rest.find('/').unwrap_or(rest.len());
                match rest.get(..authority_end).and_then(|a| a.rfind('@')) {
                    Some(at) => format!("{scheme}://{HIDDEN}{}", rest.get(at..).unwrap_or("")),
                    None => url.to_owned(),
                }
            }
            None => url.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(subjects: &[&str], context_type: ContextType) -> ExporterDefinition {
        ExporterDefinition {
            name: "e".to_owned(),
            subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
            subject_rename_format: SUBJECT_PLACEHOLDER.to_owned(),
            context_type,
            context: "site1".to_owned(),
            kek_rename_format: None,
            config: BTreeMap::new(),
        }
    }

    #[test]
    fn patterns() {
        let all_default = definition(&["*"], ContextType::Auto);
        assert!(all_default.exports("orders-value"));
        assert!(!all_default.exports(":.ctx:orders-value"));
        let everything = definition(&[":*:"], ContextType::Auto);
        assert!(everything.exports("orders-value"));
        assert!(everything.exports(":.ctx:orders-value"));
        let one_context = definition(&[":.ctx:*"], ContextType::Auto);
        assert!(one_context.exports(":.ctx:a"));
        assert!(!one_context.exports(":.other:a"));
        assert!(!one_context.exports("a"));
        let literal = definition(&["a", ":.c:b", "pre*"], ContextType::Auto);
        assert!(literal.exports("a"));
        assert!(!literal.exports("ab"));
        assert!(literal.exports(":.c:b"));
        assert!(!literal.exports("b"));
        assert!(literal.exports("prefix"));
        for bad in ["", "a*b", ":*x:y", "x\n"] {
            assert!(validate_subject_pattern(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn destination_names() {
        let auto = ".lsrc-abc";
        let mut d = definition(&[":*:"], ContextType::Auto);
        assert_eq!(d.destination_subject("s", auto), ":.lsrc-abc:s");
        assert_eq!(d.destination_subject(":.ctx:s", auto), ":.lsrc-abc.ctx:s");
        d.context_type = ContextType::Custom;
        assert_eq!(d.destination_subject("s", auto), ":.site1:s");
        assert_eq!(d.destination_subject(":.ctx:s", auto), ":.site1.ctx:s");
        d.context_type = ContextType::None;
        assert_eq!(d.destination_subject("s", auto), "s");
        assert_eq!(d.destination_subject(":.ctx:s", auto), ":.ctx:s");
        d.context_type = ContextType::Default;
        d.subject_rename_format = "dc_${subject}".to_owned();
        assert_eq!(d.destination_subject(":.ctx:s", auto), "dc_s");
        assert_eq!(auto_context("Ab-_9x"), ".lsrc-Ab9x");
    }

    #[test]
    fn secrets_are_hidden_and_kept_on_update() {
        let mut config = BTreeMap::new();
        config.insert("basic.auth.user.info".to_owned(), "k:s".to_owned());
        config.insert(
            "schema.registry.url".to_owned(),
            "http://k:s@h:1/x".to_owned(),
        );
        config.insert("basic.auth.credentials.source".to_owned(), "URL".to_owned());
        let masked = masked_config(&config);
        assert_eq!(masked["basic.auth.user.info"], HIDDEN);
        assert_eq!(masked["schema.registry.url"], "http://[hidden]@h:1/x");
        assert_eq!(masked["basic.auth.credentials.source"], "URL");
        let mut changes = BTreeMap::new();
        changes.insert("basic.auth.user.info".to_owned(), Value::from(HIDDEN));
        changes.insert("basic.auth.credentials.source".to_owned(), Value::Null);
        let merged = merge_config(&config, &changes).unwrap_or_default();
        assert_eq!(merged["basic.auth.user.info"], "k:s");
        assert!(!merged.contains_key("basic.auth.credentials.source"));
    }
}
