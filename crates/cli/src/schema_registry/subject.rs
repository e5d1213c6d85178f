//! `ferry schema-registry subject list|describe`.

use std::io::Write;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::connection::{Registry, RegistryArgs, path};
use crate::kafka::output::{emit, write_table};

/// Subcommands of `ferry schema-registry subject`.
#[derive(Debug, Subcommand)]
pub(crate) enum SubjectCommand {
    /// List subjects (of every context; `--prefix ":.ctx:"` for one).
    List(ListArgs),
    /// List the versions of a subject.
    Describe(DescribeArgs),
}

/// `ferry schema-registry subject list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only subjects that start with this prefix (`:.ctx:` for a context,
    /// `:*:` for every context).
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
    /// Include soft-deleted subjects.
    #[arg(long)]
    deleted: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `ferry schema-registry subject describe`.
#[derive(Debug, Args)]
pub(crate) struct DescribeArgs {
    /// The subject (qualified, `:.ctx:name`, for a context other than the default).
    subject: String,
    /// Include soft-deleted versions.
    #[arg(long)]
    deleted: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

pub(crate) async fn run(cmd: SubjectCommand) -> anyhow::Result<()> {
    match cmd {
        SubjectCommand::List(a) => list(a).await,
        SubjectCommand::Describe(a) => describe(a).await,
    }
}

/// One subject as the `confluent` CLI serializes it.
#[derive(Debug, Serialize)]
struct SubjectOut {
    subject: String,
}

fn deleted_query(deleted: bool) -> Vec<(&'static str, String)> {
    if deleted {
        vec![("deleted", "true".to_owned())]
    } else {
        Vec::new()
    }
}

async fn list(a: ListArgs) -> anyhow::Result<()> {
    let registry = Registry::connect(&a.registry)?;
    let mut query = deleted_query(a.deleted);
    if let Some(p) = &a.prefix {
        query.push(("subjectPrefix", p.clone()));
    }
    let mut subjects: Vec<String> = registry.get(&path(&["subjects"], &query)).await?;
    subjects.sort();
    let rows: Vec<SubjectOut> = subjects
        .into_iter()
        .map(|subject| SubjectOut { subject })
        .collect();
    emit(
        &mut std::io::stdout().lock(),
        a.registry.output.output,
        &rows,
        |out: &mut dyn Write| {
            let table: Vec<Vec<String>> = rows.iter().map(|r| vec![r.subject.clone()]).collect();
            write_table(out, &["Subject"], &table)
        },
    )
}

async fn describe(a: DescribeArgs) -> anyhow::Result<()> {
    let registry = Registry::connect(&a.registry)?;
    let versions: Vec<i64> = registry
        .get(&path(
            &["subjects", &a.subject, "versions"],
            &deleted_query(a.deleted),
        ))
        .await?;
    emit(
        &mut std::io::stdout().lock(),
        a.registry.output.output,
        &versions,
        |out: &mut dyn Write| {
            let table: Vec<Vec<String>> = versions.iter().map(|v| vec![v.to_string()]).collect();
            write_table(out, &["Version"], &table)
        },
    )
}
