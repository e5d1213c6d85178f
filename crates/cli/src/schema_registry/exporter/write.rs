//! `ferry schema-registry exporter create|update`: the exporter's body
//! assembled as the `confluent` CLI assembles it (reference §7.3, §7.4).

use std::collections::BTreeMap;
use std::io::Write;

use clap::{Args, ValueEnum};
use ferry_registry::client::Method;
use serde_json::{Map, Value, json};

use super::Named;
use crate::kafka::output::emit;
use crate::schema_registry::connection::{Registry, RegistryArgs, path};

/// `--context-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ContextType {
    /// Prefix the source context with one derived from the source cluster.
    Auto,
    /// Prefix the source context with --context-name.
    Custom,
    /// Keep the source context.
    None,
    /// Replace the source context with the default context.
    Default,
}

impl ContextType {
    /// The REST spelling (upper case).
    fn rest(self) -> &'static str {
        match self {
            Self::Auto => "AUTO",
            Self::Custom => "CUSTOM",
            Self::None => "NONE",
            Self::Default => "DEFAULT",
        }
    }
}

/// Flags `create` and `update` share.
#[derive(Debug, Args)]
pub(crate) struct ExporterFlags {
    /// Name of the exporter.
    name: String,
    /// Subjects to export, comma-separated: literal names, `*` (every
    /// subject of the default context), `:*:` (every context), `:.ctx:*`.
    /// `create` defaults to `*`.
    #[arg(long, value_delimiter = ',', value_name = "SUBJECTS")]
    subjects: Vec<String>,
    /// How exported subjects are renamed; `${subject}` is the source's
    /// name (`create` defaults to `${subject}`).
    #[arg(long, value_name = "FORMAT")]
    subject_format: Option<String>,
    /// Context type of the exported subjects (`create` defaults to auto).
    #[arg(long, value_enum, value_name = "TYPE")]
    context_type: Option<ContextType>,
    /// Context name, with --context-type custom.
    #[arg(long, value_name = "NAME")]
    context_name: Option<String>,
    /// The destination registry's client configs (schema.registry.url,
    /// basic.auth.credentials.source, basic.auth.user.info): the path of a
    /// `key=value` file, or comma-separated key=value pairs (repeatable).
    #[arg(long, value_name = "FILE|K=V,...")]
    config: Vec<String>,
    /// Deprecated: the path of a config file; use --config.
    #[arg(long, hide = true, value_name = "FILE", conflicts_with = "config")]
    config_file: Option<String>,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// `contextType` and `context` as the `confluent` CLI sends them: `context`
/// is `.` unless the type is CUSTOM, and a name without CUSTOM is refused.
/// `existing_custom` says whether the exporter being updated is already
/// CUSTOM (so `update --context-name` alone changes its context).
fn context_fields(
    context_type: Option<ContextType>,
    context_name: Option<&str>,
    existing_custom: bool,
) -> anyhow::Result<Option<(&'static str, String)>> {
    let effective = context_type.or(if existing_custom {
        Some(ContextType::Custom)
    } else {
        None
    });
    match (effective, context_name) {
        (Some(ContextType::Custom), Some(name)) if !name.trim().is_empty() => {
            Ok(Some(("CUSTOM", name.trim().to_owned())))
        }
        (Some(ContextType::Custom), _) => {
            anyhow::bail!("--context-name is required with --context-type custom")
        }
        (_, Some(_)) => {
            anyhow::bail!("--context-name may only be given with --context-type custom")
        }
        (Some(t), None) => Ok(Some((t.rest(), ".".to_owned()))),
        (None, None) => Ok(None),
    }
}

/// Parses --config (or --config-file) into the config map.
fn configs(flags: &ExporterFlags) -> anyhow::Result<Option<BTreeMap<String, String>>> {
    if flags.config.is_empty() && flags.config_file.is_none() {
        return Ok(None);
    }
    let items: Vec<String> = match &flags.config_file {
        Some(f) => vec![f.clone()],
        None => flags.config.clone(),
    };
    Ok(Some(ferry_link::properties::parse_config_args(&items)?))
}

/// The body of `POST /exporters` (create) or `PUT /exporters/{name}`
/// (update: only what was given).
fn body(flags: &ExporterFlags, create: bool, existing_custom: bool) -> anyhow::Result<Value> {
    let mut body = Map::new();
    if create {
        body.insert("name".into(), json!(flags.name));
    }
    let subjects: Vec<String> = flags
        .subjects
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if !subjects.is_empty() {
        body.insert("subjects".into(), json!(subjects));
    } else if create {
        body.insert("subjects".into(), json!(["*"]));
    }
    match &flags.subject_format {
        Some(f) => {
            body.insert("subjectRenameFormat".into(), json!(f));
        }
        None if create => {
            body.insert("subjectRenameFormat".into(), json!("${subject}"));
        }
        None => {}
    }
    let context_type = match flags.context_type {
        None if create => Some(ContextType::Auto),
        t => t,
    };
    if let Some((t, context)) =
        context_fields(context_type, flags.context_name.as_deref(), existing_custom)?
    {
        body.insert("contextType".into(), json!(t));
        body.insert("context".into(), json!(context));
    }
    match configs(flags)? {
        Some(c) => {
            body.insert("config".into(), json!(c));
        }
        None if create => {
            body.insert("config".into(), json!({}));
        }
        None => {}
    }
    Ok(Value::Object(body))
}

/// `ferry schema-registry exporter create`.
pub(crate) async fn create(flags: ExporterFlags) -> anyhow::Result<()> {
    let body = body(&flags, true, false)?;
    let registry = Registry::connect(&flags.registry)?;
    registry
        .call(Method::POST, &path(&["exporters"], &[]), Some(&body))
        .await?;
    emit(
        &mut std::io::stdout().lock(),
        flags.registry.output.output,
        &Named { name: &flags.name },
        |out: &mut dyn Write| writeln!(out, "Created schema exporter \"{}\".", flags.name),
    )
}

/// `ferry schema-registry exporter update`.
pub(crate) async fn update(flags: ExporterFlags) -> anyhow::Result<()> {
    // Flags are checked before the exporter is read.
    body(&flags, false, true)
        .or_else(|_| body(&flags, false, false))
        .map(|_| ())?;
    let registry = Registry::connect(&flags.registry)?;
    let existing_custom = if flags.context_name.is_some() && flags.context_type.is_none() {
        let current: Value = registry
            .get(&path(&["exporters", &flags.name], &[]))
            .await?;
        current.get("contextType").and_then(Value::as_str) == Some("CUSTOM")
    } else {
        false
    };
    let body = body(&flags, false, existing_custom)?;
    anyhow::ensure!(
        body.as_object().is_some_and(|b| !b.is_empty()),
        "nothing to update: pass --subjects, --subject-format, --context-type, --context-name or --config"
    );
    registry
        .call(
            Method::PUT,
            &path(&["exporters", &flags.name], &[]),
            Some(&body),
        )
        .await?;
    emit(
        &mut std::io::stdout().lock(),
        flags.registry.output.output,
        &Named { name: &flags.name },
        |out: &mut dyn Write| writeln!(out, "Updated schema exporter \"{}\".", flags.name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(flatten)]
        flags: ExporterFlags,
    }

    fn flags(args: &[&str]) -> ExporterFlags {
        let mut all = vec!["x"];
        all.extend_from_slice(args);
        Wrap::try_parse_from(all).expect("flags parse").flags
    }

    #[test]
    fn create_defaults_match_the_confluent_cli() {
        let b = body(
            &flags(&["ex", "--config", "schema.registry.url=http://d:8081"]),
            true,
            false,
        )
        .unwrap();
        assert_eq!(
            b,
            json!({
                "name": "ex",
                "subjects": ["*"],
                "subjectRenameFormat": "${subject}",
                "contextType": "AUTO",
                "context": ".",
                "config": {"schema.registry.url": "http://d:8081"}
            })
        );
    }

    #[test]
    fn the_seed_command_sends_all_contexts_and_the_file_configs() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.txt");
        std::fs::write(
            &file,
            "schema.registry.url=http://dest:8081\nbasic.auth.credentials.source=USER_INFO\nbasic.auth.user.info=K:S\n",
        )
        .unwrap();
        let b = body(
            &flags(&[
                "cross-cloud-exporter",
                "--subjects",
                ":*:",
                "--config",
                file.to_str().unwrap(),
            ]),
            true,
            false,
        )
        .unwrap();
        assert_eq!(b["subjects"], json!([":*:"]));
        assert_eq!(b["config"]["basic.auth.user.info"], json!("K:S"));
        assert_eq!(
            b["config"]["schema.registry.url"],
            json!("http://dest:8081")
        );
    }

    #[test]
    fn context_name_only_with_custom_and_types_upper_cased() {
        let b = body(
            &flags(&[
                "ex",
                "--context-type",
                "custom",
                "--context-name",
                "site1",
                "--subjects",
                "a,b",
            ]),
            true,
            false,
        )
        .unwrap();
        assert_eq!(b["contextType"], json!("CUSTOM"));
        assert_eq!(b["context"], json!("site1"));
        assert_eq!(b["subjects"], json!(["a", "b"]));
        let e = body(&flags(&["ex", "--context-name", "site1"]), true, false).unwrap_err();
        assert!(
            e.to_string()
                .contains("only be given with --context-type custom"),
            "{e}"
        );
        let e = body(
            &flags(&["ex", "--context-type", "none", "--context-name", "x"]),
            true,
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("custom"), "{e}");
        assert!(body(&flags(&["ex", "--context-type", "custom"]), true, false).is_err());
        let b = body(&flags(&["ex", "--context-type", "default"]), true, false).unwrap();
        assert_eq!(
            (&b["contextType"], &b["context"]),
            (&json!("DEFAULT"), &json!("."))
        );
    }

    #[test]
    fn update_sends_only_what_was_given() {
        let b = body(&flags(&["ex", "--subjects", "orders-value"]), false, false).unwrap();
        assert_eq!(b, json!({"subjects": ["orders-value"]}));
        // A new context name for an exporter that is already CUSTOM.
        let b = body(&flags(&["ex", "--context-name", "c2"]), false, true).unwrap();
        assert_eq!(b, json!({"contextType": "CUSTOM", "context": "c2"}));
        let b = body(&flags(&["ex"]), false, false).unwrap();
        assert_eq!(b, json!({}));
    }
}
