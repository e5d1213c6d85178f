//! `ferry schema-registry exporter …`: schema exporters (schema linking)
//! through the registry's `/exporters` API, with the `confluent
//! schema-registry exporter` commands' flags, fields and messages
//! (reference §7.3, §7.4).

mod write;

use std::collections::BTreeMap;
use std::io::Write;

use clap::{Args, Subcommand};
use ferry_registry::client::Method;
use serde::{Deserialize, Serialize};

use super::connection::{Registry, RegistryArgs, confirm, path};
use crate::kafka::output::{emit, write_key_values, write_table};

/// Subcommands of `ferry schema-registry exporter`.
#[derive(Debug, Subcommand)]
pub(crate) enum ExporterCommand {
    /// Create a schema exporter.
    Create(write::ExporterFlags),
    /// List schema exporters.
    List(ListArgs),
    /// Describe a schema exporter.
    Describe(NameArgs),
    /// A schema exporter's status.
    #[command(subcommand)]
    Status(StatusCommand),
    /// A schema exporter's destination configuration.
    #[command(subcommand)]
    Configuration(ConfigurationCommand),
    /// Pause schema exporters.
    Pause(NamesArgs),
    /// Resume schema exporters.
    Resume(NamesArgs),
    /// Reset schema exporters: export again from the beginning (paused first).
    Reset(NamesArgs),
    /// Update a schema exporter (pause it first).
    Update(write::ExporterFlags),
    /// Delete schema exporters (pause them first).
    Delete(DeleteArgs),
}

/// `ferry schema-registry exporter status`.
#[derive(Debug, Subcommand)]
pub(crate) enum StatusCommand {
    /// Describe a schema exporter's status.
    Describe(NameArgs),
}

/// `ferry schema-registry exporter configuration`.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigurationCommand {
    /// Describe a schema exporter's destination configuration.
    Describe(NameArgs),
}

/// Commands without arguments.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Commands on one exporter.
#[derive(Debug, Args)]
pub(crate) struct NameArgs {
    /// Name of the exporter.
    name: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Commands on several exporters.
#[derive(Debug, Args)]
pub(crate) struct NamesArgs {
    /// Names of the exporters.
    #[arg(required = true)]
    names: Vec<String>,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `ferry schema-registry exporter delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// Names of the exporters.
    #[arg(required = true)]
    names: Vec<String>,
    /// Skip the confirmation prompt (required when stdin is not a terminal).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `{"name": …}`: what the one-exporter actions print with `-o json|yaml`.
#[derive(Debug, Serialize)]
pub(crate) struct Named<'a> {
    name: &'a str,
}

pub(crate) async fn run(cmd: ExporterCommand) -> anyhow::Result<()> {
    match cmd {
        ExporterCommand::Create(f) => write::create(f).await,
        ExporterCommand::Update(f) => write::update(f).await,
        ExporterCommand::List(a) => list(a).await,
        ExporterCommand::Describe(a) => describe(a).await,
        ExporterCommand::Status(StatusCommand::Describe(a)) => status(a).await,
        ExporterCommand::Configuration(ConfigurationCommand::Describe(a)) => configuration(a).await,
        ExporterCommand::Pause(a) => action(a, "pause", "Paused").await,
        ExporterCommand::Resume(a) => action(a, "resume", "Resumed").await,
        ExporterCommand::Reset(a) => action(a, "reset", "Reset").await,
        ExporterCommand::Delete(a) => delete(a).await,
    }
}

async fn list(a: ListArgs) -> anyhow::Result<()> {
    let registry = Registry::connect(&a.registry)?;
    let mut names: Vec<String> = registry.get(&path(&["exporters"], &[])).await?;
    names.sort();
    emit(
        &mut std::io::stdout().lock(),
        a.registry.output.output,
        &names,
        |out: &mut dyn Write| {
            let rows: Vec<Vec<String>> = names.iter().map(|n| vec![n.clone()]).collect();
            write_table(out, &["Exporter"], &rows)
        },
    )
}

/// `GET /exporters/{name}` (`ExporterReference`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExporterReference {
    name: String,
    #[serde(default)]
    subjects: Vec<String>,
    #[serde(default)]
    subject_rename_format: Option<String>,
    #[serde(default)]
    context_type: Option<String>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    config: BTreeMap<String, String>,
}

/// `describe` as the `confluent` CLI prints and serializes it.
#[derive(Debug, Serialize)]
struct ExporterOut {
    name: String,
    subjects: String,
    subject_format: String,
    context_type: String,
    context: String,
    config: BTreeMap<String, String>,
}

async fn describe(a: NameArgs) -> anyhow::Result<()> {
    let registry = Registry::connect(&a.registry)?;
    let e: ExporterReference = registry.get(&path(&["exporters", &a.name], &[])).await?;
    let shown = ExporterOut {
        name: e.name,
        subjects: e.subjects.join(", "),
        subject_format: e.subject_rename_format.unwrap_or_default(),
        context_type: e.context_type.unwrap_or_default(),
        context: e.context.unwrap_or_default(),
        config: e.config,
    };
    emit(
        &mut std::io::stdout().lock(),
        a.registry.output.output,
        &shown,
        |out: &mut dyn Write| {
            write_key_values(
                out,
                &[
                    ("Name", shown.name.clone()),
                    ("Subjects", shown.subjects.clone()),
                    ("Subject Format", shown.subject_format.clone()),
                    ("Context Type", shown.context_type.clone()),
                    ("Context", shown.context.clone()),
                    ("Config", config_line(&shown.config)),
                ],
            )
        },
    )
}

/// `k=v, k=v`, sorted by key (the registry already hides secrets).
fn config_line(config: &BTreeMap<String, String>) -> String {
    config
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `GET /exporters/{name}/status` (`ExporterStatusResponse`).
#[derive(Debug, Deserialize)]
struct ExporterStatus {
    name: String,
    state: String,
    #[serde(default)]
    offset: Option<i64>,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(default)]
    trace: Option<String>,
}

/// `status describe` as the `confluent` CLI prints and serializes it.
#[derive(Debug, Serialize)]
struct StatusOut {
    name: String,
    state: String,
    offset: Option<i64>,
    timestamp: Option<i64>,
    error_trace: String,
}

async fn status(a: NameArgs) -> anyhow::Result<()> {
    let registry = Registry::connect(&a.registry)?;
    let s: ExporterStatus = registry
        .get(&path(&["exporters", &a.name, "status"], &[]))
        .await?;
    let shown = StatusOut {
        name: s.name,
        state: s.state,
        offset: s.offset,
        timestamp: s.ts,
        error_trace: s.trace.unwrap_or_default(),
    };
    emit(
        &mut std::io::stdout().lock(),
        a.registry.output.output,
        &shown,
        |out: &mut dyn Write| {
            write_key_values(
                out,
                &[
                    ("Name", shown.name.clone()),
                    ("State", shown.state.clone()),
                    ("Offset", crate::kafka::output::opt(shown.offset)),
                    ("Timestamp", crate::kafka::output::opt(shown.timestamp)),
                    ("Error Trace", shown.error_trace.clone()),
                ],
            )
        },
    )
}

async fn configuration(a: NameArgs) -> anyhow::Result<()> {
    let registry = Registry::connect(&a.registry)?;
    let config: BTreeMap<String, String> = registry
        .get(&path(&["exporters", &a.name, "config"], &[]))
        .await?;
    emit(
        &mut std::io::stdout().lock(),
        a.registry.output.output,
        &config,
        |out: &mut dyn Write| {
            let rows: Vec<Vec<String>> = config
                .iter()
                .map(|(k, v)| vec![k.clone(), v.clone()])
                .collect();
            write_table(out, &["Config", "Value"], &rows)
        },
    )
}

/// What several-exporter commands print with `-o json|yaml`.
#[derive(Debug, Serialize)]
struct Done<'a> {
    names: &'a [String],
}

/// Runs `one` on each name (all of them, even after a failure), prints
/// `<Verb> schema exporter "<name>".` for each success, and fails when any
/// failed.
async fn for_each<F, Fut>(
    names: &[String],
    registry: &RegistryArgs,
    verb: &str,
    one: F,
) -> anyhow::Result<()>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut done = Vec::new();
    let mut failures = Vec::new();
    for name in names {
        match one(name.clone()).await {
            Ok(()) => done.push(name.clone()),
            Err(e) => failures.push(format!("\"{name}\": {e:#}")),
        }
    }
    if !done.is_empty() {
        emit(
            &mut std::io::stdout().lock(),
            registry.output.output,
            &Done { names: &done },
            |out: &mut dyn Write| {
                for name in &done {
                    writeln!(out, "{verb} schema exporter \"{name}\".")?;
                }
                Ok(())
            },
        )?;
    }
    anyhow::ensure!(
        failures.is_empty(),
        "{} failed for {}",
        verb.to_lowercase(),
        failures.join("; ")
    );
    Ok(())
}

async fn action(a: NamesArgs, action: &str, verb: &str) -> anyhow::Result<()> {
    let registry = Registry::connect(&a.registry)?;
    let registry = &registry;
    for_each(&a.names, &a.registry, verb, |name| async move {
        registry
            .call(Method::PUT, &path(&["exporters", &name, action], &[]), None)
            .await
            .map(|_| ())
    })
    .await
}

async fn delete(a: DeleteArgs) -> anyhow::Result<()> {
    let registry = Registry::connect(&a.registry)?;
    if !a.force {
        let quoted: Vec<String> = a.names.iter().map(|n| format!("\"{n}\"")).collect();
        let noun = if a.names.len() == 1 {
            "schema exporter"
        } else {
            "schema exporters"
        };
        if !confirm(&format!(
            "Are you sure you want to delete {noun} {}?",
            quoted.join(", ")
        ))? {
            anyhow::bail!("not deleted");
        }
    }
    let registry = &registry;
    for_each(&a.names, &a.registry, "Deleted", |name| async move {
        registry
            .call(Method::DELETE, &path(&["exporters", &name], &[]), None)
            .await
            .map(|_| ())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_line_is_sorted_key_values() {
        let mut c = BTreeMap::new();
        c.insert("schema.registry.url".to_owned(), "http://d".to_owned());
        c.insert("basic.auth.user.info".to_owned(), "[hidden]".to_owned());
        assert_eq!(
            config_line(&c),
            "basic.auth.user.info=[hidden], schema.registry.url=http://d"
        );
    }
}
