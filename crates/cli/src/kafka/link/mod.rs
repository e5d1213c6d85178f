//! `ferry kafka link …`: cluster links on a ferry server, driven through its
//! Kafka REST API v3, with the `confluent kafka link` commands' flags, columns
//! and serialized field names (reference §3.1).

mod configuration;
mod create;
mod delete;
mod task;

use std::io::Write;

use clap::{Args, Subcommand};
use ferry_link::view::LinkDescription;
use serde::Serialize;

use super::output::{emit, write_key_values, write_table};
use super::rest_client::{RestArgs, RestClient};

pub(crate) use create::parse_config_flag;

/// Subcommands of `ferry kafka link`.
#[derive(Debug, Subcommand)]
pub(crate) enum LinkCommand {
    /// Create a cluster link on the destination cluster.
    Create(create::CreateArgs),
    /// List cluster links.
    List(ListArgs),
    /// Describe a cluster link.
    Describe(DescribeArgs),
    /// Delete cluster links.
    Delete(delete::DeleteArgs),
    /// A link's configuration.
    #[command(subcommand)]
    Configuration(configuration::ConfigurationCommand),
    /// A link's background tasks (offset sync, auto-create, config sync…).
    #[command(subcommand)]
    Task(task::TaskCommand),
}

/// `ferry kafka link list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// One row per mirror topic of each link.
    #[arg(long)]
    include_topics: bool,
    #[command(flatten)]
    rest: RestArgs,
}

/// `ferry kafka link describe`.
#[derive(Debug, Args)]
pub(crate) struct DescribeArgs {
    /// Name of the link.
    link: String,
    #[command(flatten)]
    rest: RestArgs,
}

pub(crate) async fn run(cmd: LinkCommand) -> anyhow::Result<()> {
    match cmd {
        LinkCommand::Create(a) => create::run(a).await,
        LinkCommand::List(a) => list(a).await,
        LinkCommand::Describe(a) => describe(a).await,
        LinkCommand::Delete(a) => delete::run(a).await,
        LinkCommand::Configuration(c) => configuration::run(c).await,
        LinkCommand::Task(c) => task::run(c).await,
    }
}

/// One link as `link list` and `link describe` print it (the `confluent`
/// CLI's serialized names).
#[derive(Debug, Serialize)]
struct LinkOut {
    link_name: String,
    link_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_cluster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_cluster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_cluster: Option<String>,
    state: String,
    /// Absent when the link is healthy (`NO_ERROR`).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<String>,
    /// `CATEGORY: n, …` (describe only).
    #[serde(skip_serializing_if = "Option::is_none")]
    mirror_partition_states_count: Option<String>,
}

/// A serde enum's REST spelling (`ACTIVE`, `NO_ERROR`).
pub(crate) fn spelling<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

impl LinkOut {
    fn new(link: &LinkDescription, topic: Option<String>) -> Self {
        let error = spelling(&link.link_error);
        Self {
            link_name: link.link_name.clone(),
            link_id: link.cluster_link_id.clone(),
            topic_name: topic,
            source_cluster: link.source_cluster_id.clone(),
            destination_cluster: link.destination_cluster_id.clone(),
            remote_cluster: link.remote_cluster_id.clone(),
            state: spelling(&link.link_state),
            error: (error != "NO_ERROR").then_some(error),
            error_message: link.link_error_message.clone().filter(|m| !m.is_empty()),
            mirror_partition_states_count: None,
        }
    }
}

fn cell(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

async fn list(args: ListArgs) -> anyhow::Result<()> {
    let client = RestClient::connect(&args.rest).await?;
    let links = client.list_links().await?;
    let mut rows = Vec::new();
    for link in &links {
        if args.include_topics && !link.topic_names.is_empty() {
            for topic in &link.topic_names {
                rows.push(LinkOut::new(link, Some(topic.clone())));
            }
        } else if args.include_topics {
            rows.push(LinkOut::new(link, Some(String::new())));
        } else {
            rows.push(LinkOut::new(link, None));
        }
    }
    emit(
        &mut std::io::stdout().lock(),
        args.rest.output.output,
        &rows,
        |out: &mut dyn Write| {
            type Column = (&'static str, fn(&LinkOut) -> String, bool);
            let columns: [Column; 9] = [
                ("Name", |l| l.link_name.clone(), true),
                ("ID", |l| l.link_id.clone(), true),
                ("Topic Name", |l| cell(&l.topic_name), args.include_topics),
                ("Source Cluster", |l| cell(&l.source_cluster), false),
                (
                    "Destination Cluster",
                    |l| cell(&l.destination_cluster),
                    false,
                ),
                ("Remote Cluster", |l| cell(&l.remote_cluster), false),
                ("State", |l| l.state.clone(), true),
                ("Error", |l| cell(&l.error), false),
                ("Error Message", |l| cell(&l.error_message), false),
            ];
            // Optional columns appear when some row has a value.
            let shown: Vec<&Column> = columns
                .iter()
                .filter(|(_, get, always)| *always || rows.iter().any(|r| !get(r).is_empty()))
                .collect();
            let header: Vec<&str> = shown.iter().map(|(h, _, _)| *h).collect();
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| shown.iter().map(|(_, get, _)| get(r)).collect())
                .collect();
            write_table(out, &header, &table)
        },
    )
}

async fn describe(args: DescribeArgs) -> anyhow::Result<()> {
    let client = RestClient::connect(&args.rest).await?;
    let link = client.get_link(&args.link, false).await?;
    let mut out_row = LinkOut::new(&link, None);
    let counts = link
        .category_counts
        .iter()
        .flatten()
        .map(|c| format!("{}: {}", c.state_category, c.count))
        .collect::<Vec<_>>()
        .join(", ");
    // Omitted when the link has no mirror partitions, as Confluent omits it.
    out_row.mirror_partition_states_count = (!counts.is_empty()).then_some(counts);
    emit(
        &mut std::io::stdout().lock(),
        args.rest.output.output,
        &out_row,
        |out: &mut dyn Write| {
            let l = &out_row;
            let mut rows = vec![
                ("Name", l.link_name.clone()),
                ("ID", l.link_id.clone()),
                ("Source Cluster", cell(&l.source_cluster)),
                ("Destination Cluster", cell(&l.destination_cluster)),
                ("Remote Cluster", cell(&l.remote_cluster)),
                ("State", l.state.clone()),
            ];
            if let Some(e) = &l.error {
                rows.push(("Error", e.clone()));
            }
            if let Some(m) = &l.error_message {
                rows.push(("Error Message", m.clone()));
            }
            if let Some(c) = &l.mirror_partition_states_count {
                rows.push(("Mirror Partition States Count", c.clone()));
            }
            write_key_values(out, &rows)
        },
    )
}
