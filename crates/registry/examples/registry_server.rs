//! A stand-in for `ferry server` with the schema registry wired in, taking
//! the same arguments (`server --data-dir D [--config F] --override k=v…`)
//! and printing the same `ferry server: …` lines, plus
//! `ferry server: schema registry listener on HOST:PORT`. It lets the
//! Python interop tests run against the registry before `ferry server`
//! serves it: `FERRY_BIN=target/debug/examples/registry_server pytest …`.

use std::path::PathBuf;
use std::sync::Arc;

use ferry_broker::{BrokerConfig, Server};
use ferry_registry::RegistryServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config_file: Option<PathBuf> = None;
    let mut data_dir: Option<PathBuf> = None;
    let mut overrides = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "server" => {}
            "--config" => config_file = args.next().map(PathBuf::from),
            "--data-dir" => data_dir = args.next().map(PathBuf::from),
            "--override" => overrides.extend(args.next()),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let config = BrokerConfig::load(config_file.as_deref(), &overrides, data_dir)?;
    let server = Server::bind(config).await?;
    let broker = Arc::clone(server.broker());
    let registry = RegistryServer::from_broker(Arc::clone(&broker)).await?;
    for (name, host, port) in server.endpoints() {
        println!("ferry server: listener {name} on {host}:{port}");
    }
    for addr in registry.local_addrs() {
        println!("ferry server: schema registry listener on {addr}");
    }
    println!("ferry server: ready (cluster id {})", broker.cluster_id());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut stop = stop_rx.clone();
    let registry_task = tokio::spawn(registry.run(async move {
        let _ = stop.wait_for(|s| *s).await;
    }));
    server
        .run(async move {
            if let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            let _ = stop_tx.send(true);
        })
        .await?;
    let _ = registry_task.await;
    Ok(())
}
