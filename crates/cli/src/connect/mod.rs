//! `ferry connect …` (managed connectors over Kafka Connect's REST API, as
//! the `confluent connect` commands), `ferry datagen` (the same generator
//! in the foreground), and the server's connector wiring.

mod client;
mod cluster;
mod config_file;
pub(crate) mod datagen;
mod registrar;

use std::sync::Arc;

use anyhow::Context as _;
use clap::Subcommand;
use ferry_broker::Broker;
use ferry_connect::{ConnectorManager, SchemaRegistrar};
use ferry_registry::RegistryServer;

/// `ferry connect …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ConnectCommand {
    /// Managed connectors (DatagenSource) of a ferry server, through its
    /// REST listener (--url, as `ferry kafka link`).
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
}

pub(crate) fn run(cmd: ConnectCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match cmd {
            ConnectCommand::Cluster(c) => cluster::run(c).await,
        }
    })
}

/// The server's connectors: resumed from `<data_dir>/connectors`, with the
/// server's registry for value schemas when it serves one.
pub(crate) async fn open_connectors(
    broker: &Arc<Broker>,
    registry: &RegistryServer,
) -> anyhow::Result<Arc<ConnectorManager>> {
    let registrar: Option<Arc<dyn SchemaRegistrar>> = if registry.local_addrs().is_empty() {
        None
    } else {
        Some(Arc::new(registrar::LocalRegistrar(Arc::clone(
            registry.registry(),
        ))))
    };
    ConnectorManager::open(Arc::clone(broker), registrar)
        .await
        .context("loading connectors (<data dir>/connectors)")
}
