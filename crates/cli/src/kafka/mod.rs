//! `ferry kafka …`: topics and consumer groups, shaped like the `confluent` CLI.
//!
//! Every command connects with [`ferry_client`] using the shared
//! [`args::ConnectionArgs`] flags and prints a table, or JSON/YAML with `-o`.

pub(crate) mod args;
mod consume;
mod group;
mod link;
mod mirror;
pub(crate) mod output;
mod produce;
pub(crate) mod rest_client;
mod topic;
mod value_format;

use anyhow::Context as _;
use clap::Subcommand;

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum KafkaCommand {
    /// Create, list, describe, delete, produce to and consume from topics.
    #[command(subcommand)]
    Topic(topic::TopicCommand),
    /// Consumer groups.
    #[command(subcommand)]
    Consumer(group::ConsumerCommand),
    /// Cluster links, through the Kafka REST API v3 (--url).
    #[command(subcommand)]
    Link(link::LinkCommand),
    /// Mirror topics of cluster links, through the Kafka REST API v3 (--url).
    #[command(subcommand)]
    Mirror(mirror::MirrorCommand),
}

pub(crate) fn run(cmd: KafkaCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match cmd {
            KafkaCommand::Topic(c) => topic::run(c).await,
            KafkaCommand::Consumer(c) => group::run(c).await,
            KafkaCommand::Link(c) => link::run(c).await,
            KafkaCommand::Mirror(c) => mirror::run(c).await,
        }
    })
}

/// Connects with the given flags.
async fn connect(args: &args::ConnectionArgs) -> anyhow::Result<ferry_client::Client> {
    let config = args.client_config()?;
    Ok(ferry_client::Client::connect(config).await?)
}
