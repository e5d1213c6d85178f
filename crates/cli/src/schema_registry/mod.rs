//! `ferry schema-registry …`: subjects, schemas and schema exporters (schema
//! linking) of any Confluent-compatible registry, shaped like the
//! `confluent schema-registry` commands.
//!
//! Every command talks to the registry with
//! [`ferry_registry::client::RegistryClient`]; where the registry is comes
//! from `--schema-registry-endpoint` or the active environment
//! (`ferry environment use`). Error answers are shown with Confluent's
//! message and error code, and the command exits non-zero.

mod connection;
mod exporter;
mod schema;
mod subject;

use anyhow::Context as _;
use clap::Subcommand;

/// Subcommands of `ferry schema-registry`.
#[derive(Debug, Subcommand)]
pub(crate) enum SchemaRegistryCommand {
    /// Schema exporters: copy schemas to another registry (schema linking).
    #[command(subcommand)]
    Exporter(exporter::ExporterCommand),
    /// Subjects and their versions.
    #[command(subcommand)]
    Subject(subject::SubjectCommand),
    /// Register and describe schemas.
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
}

pub(crate) fn run(cmd: SchemaRegistryCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match cmd {
            SchemaRegistryCommand::Exporter(c) => exporter::run(c).await,
            SchemaRegistryCommand::Subject(c) => subject::run(c).await,
            SchemaRegistryCommand::Schema(c) => schema::run(c).await,
        }
    })
}
