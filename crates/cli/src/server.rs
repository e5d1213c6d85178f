//! `ferry server`: configured the way `kafka-server-start` is: a
//! server.properties file, then repeatable `--override key=value`.

use std::path::PathBuf;

use anyhow::Context;
use ferry_broker::{BrokerConfig, Server};
use ferry_link::LinkManager;
use ferry_registry::RegistryServer;
use ferry_rest::RestServer;

/// Arguments of `ferry server`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServerArgs {
    /// A Kafka-style server.properties file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Override one property, `key=value`; repeatable, applied after --config.
    #[arg(long = "override", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Root of all state (cluster id, topics, groups, API keys). Default: the
    /// `ferry.data.dir` property, else ./ferry-data.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

pub(crate) fn run(args: ServerArgs) -> anyhow::Result<()> {
    init_logging();
    let config = BrokerConfig::load(args.config.as_deref(), &args.overrides, args.data_dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ferry")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let server = Server::bind(config).await?;
        let broker = std::sync::Arc::clone(server.broker());
        // Cluster links run inside the server; REST v3 (links, mirrors,
        // /metrics) listens on `rest.listeners` when it is set.
        let links =
            LinkManager::open(std::sync::Arc::clone(&broker)).context("loading cluster links")?;
        // The schema registry (Confluent's REST API), on
        // `schema.registry.listeners` when it is set.
        let registry = RegistryServer::from_broker(std::sync::Arc::clone(&broker))
            .await
            .context("starting the schema registry (schema.registry.listeners)")?;
        // Managed connectors (DatagenSource) run inside the server and
        // register their value schemas in the registry above, if it serves.
        let connectors = crate::connect::open_connectors(&broker, &registry).await?;
        let rest = if broker.config().rest_listeners.is_empty() {
            None
        } else {
            Some(
                RestServer::from_broker(std::sync::Arc::clone(&links))
                    .await
                    .and_then(|rest| rest.with_connectors(std::sync::Arc::clone(&connectors)))
                    .context("starting the REST listeners (rest.listeners)")?,
            )
        };
        // Tests and scripts read these lines to learn the bound ports.
        for (name, host, port) in server.endpoints() {
            println!("ferry server: listener {name} on {host}:{port}");
        }
        if let Some(rest) = &rest {
            for addr in rest.local_addrs() {
                println!("ferry server: rest listener on {addr}");
            }
        }
        for addr in registry.local_addrs() {
            println!("ferry server: schema registry listener on {addr}");
        }
        println!("ferry server: ready (cluster id {})", broker.cluster_id());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let rest_task = rest.map(|rest| {
            let mut stop = stop_rx.clone();
            tokio::spawn(rest.run(async move {
                let _ = stop.wait_for(|s| *s).await;
            }))
        });
        let registry_task = {
            let mut stop = stop_rx.clone();
            tokio::spawn(registry.run(async move {
                let _ = stop.wait_for(|s| *s).await;
            }))
        };
        let shutdown = async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
            connectors.shutdown().await;
            links.shutdown().await;
        };
        server.run(shutdown).await?;
        if let Some(task) = rest_task {
            let _ = task.await;
        }
        let _ = registry_task.await;
        anyhow::Ok(())
    })
}

/// Completes on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("FERRY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
