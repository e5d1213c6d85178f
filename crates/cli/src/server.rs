//! `ferry server`: configured the way `kafka-server-start` is: a
//! server.properties file, then repeatable `--override key=value`.

use std::path::PathBuf;

use anyhow::Context;
use ferry_broker::{BrokerConfig, Server};

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
        // Tests and scripts read these lines to learn the bound ports.
        for (name, host, port) in server.endpoints() {
            println!("ferry server: listener {name} on {host}:{port}");
        }
        println!(
            "ferry server: ready (cluster id {})",
            server.broker().cluster_id()
        );
        server.run(shutdown_signal()).await?;
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
