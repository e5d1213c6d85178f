//! `ferry kafka topic create|list|describe|delete|produce|consume`.

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use ferry_client::admin::{NewTopic, OffsetSpec};
use ferry_client::{Client, Error as ClientError, IsolationLevel};
use serde::Serialize;

use super::args::{ConnectionArgs, OutputArgs};
use super::output::{emit, write_key_values, write_table};

/// Subcommands of `ferry kafka topic`.
#[derive(Debug, Subcommand)]
pub(crate) enum TopicCommand {
    /// Create a topic.
    Create(CreateArgs),
    /// List topics.
    List(ListArgs),
    /// Describe a topic: partitions, leaders, offsets and configs.
    Describe(DescribeArgs),
    /// Delete a topic.
    Delete(DeleteArgs),
    /// Produce records read from stdin, one per line.
    Produce(super::produce::ProduceArgs),
    /// Consume records and print one value per line.
    Consume(super::consume::ConsumeArgs),
}

/// `ferry kafka topic create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Topic name.
    name: String,
    /// Number of partitions (default: the broker's num.partitions).
    #[arg(long)]
    partitions: Option<i32>,
    /// Replication factor (default: the broker's).
    #[arg(long)]
    replication_factor: Option<i16>,
    /// Topic config `key=value[,key=value…]`; repeatable.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    configs: Vec<String>,
    /// Succeed without error when the topic already exists.
    #[arg(long)]
    if_not_exists: bool,
    #[command(flatten)]
    conn: ConnectionArgs,
}

/// `ferry kafka topic list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Include internal topics (`__consumer_offsets`, …).
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    conn: ConnectionArgs,
}

/// `ferry kafka topic describe`.
#[derive(Debug, Args)]
pub(crate) struct DescribeArgs {
    /// Topic name.
    name: String,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    conn: ConnectionArgs,
}

/// `ferry kafka topic delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// Topic name.
    name: String,
    #[command(flatten)]
    conn: ConnectionArgs,
}

pub(crate) async fn run(cmd: TopicCommand) -> anyhow::Result<()> {
    match cmd {
        TopicCommand::Create(a) => create(a).await,
        TopicCommand::List(a) => list(a).await,
        TopicCommand::Describe(a) => describe(a).await,
        TopicCommand::Delete(a) => delete(a).await,
        TopicCommand::Produce(a) => super::produce::run(a).await,
        TopicCommand::Consume(a) => super::consume::run(a).await,
    }
}

/// Parses repeatable `--config k=v[,k=v]` flags.
fn parse_configs(flags: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for flag in flags {
        for pair in flag.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--config '{pair}' is not KEY=VALUE"))?;
            out.insert(k.trim().to_owned(), v.trim().to_owned());
        }
    }
    Ok(out)
}

async fn create(args: CreateArgs) -> anyhow::Result<()> {
    let client = super::connect(&args.conn).await?;
    let topic = NewTopic {
        name: args.name.clone(),
        partitions: args.partitions.unwrap_or(-1),
        replication_factor: args.replication_factor.unwrap_or(-1),
        configs: parse_configs(&args.configs)?,
    };
    match client.create_topic(&topic).await {
        Ok(_) => println!("Created topic \"{}\".", args.name),
        Err(ClientError::TopicAlreadyExists(_)) if args.if_not_exists => {
            println!("Topic \"{}\" already exists.", args.name);
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// One row of `topic list`.
#[derive(Debug, Serialize)]
struct TopicRow {
    name: String,
    internal: bool,
    replication_factor: usize,
    partition_count: usize,
}

async fn list(args: ListArgs) -> anyhow::Result<()> {
    let client = super::connect(&args.conn).await?;
    let topics = client.list_topics(args.all).await?;
    let rows: Vec<TopicRow> = topics
        .iter()
        .map(|t| TopicRow {
            name: t.name.clone(),
            internal: t.is_internal,
            replication_factor: t.partitions.first().map_or(0, |p| p.replicas.len()),
            partition_count: t.partitions.len(),
        })
        .collect();
    emit(
        &mut std::io::stdout().lock(),
        args.output.output,
        &rows,
        |out| {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        r.internal.to_string(),
                        r.replication_factor.to_string(),
                        r.partition_count.to_string(),
                    ]
                })
                .collect();
            write_table(
                out,
                &["Name", "Internal", "Replication Factor", "Partition Count"],
                &table,
            )
        },
    )
}

/// `topic describe` as JSON/YAML.
#[derive(Debug, Serialize)]
struct TopicDescription {
    name: String,
    topic_id: String,
    internal: bool,
    partitions: Vec<PartitionRow>,
    configs: Vec<ConfigRow>,
}

#[derive(Debug, Serialize)]
struct PartitionRow {
    partition: i32,
    leader: i32,
    replicas: Vec<i32>,
    isr: Vec<i32>,
    earliest_offset: i64,
    latest_offset: i64,
}

#[derive(Debug, Serialize)]
struct ConfigRow {
    name: String,
    value: Option<String>,
    source: String,
    is_default: bool,
    read_only: bool,
    sensitive: bool,
}

async fn describe(args: DescribeArgs) -> anyhow::Result<()> {
    let client = super::connect(&args.conn).await?;
    let description = describe_topic(&client, &args.name).await?;
    let d = &description;
    emit(
        &mut std::io::stdout().lock(),
        args.output.output,
        d,
        |out| {
            write_key_values(
                out,
                &[
                    ("Topic", d.name.clone()),
                    ("Topic ID", d.topic_id.clone()),
                    ("Internal", d.internal.to_string()),
                    ("Partition Count", d.partitions.len().to_string()),
                ],
            )?;
            writeln!(out)?;
            let join = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
            let rows: Vec<Vec<String>> = d
                .partitions
                .iter()
                .map(|p| {
                    vec![
                        p.partition.to_string(),
                        p.leader.to_string(),
                        join(&p.replicas),
                        join(&p.isr),
                        p.earliest_offset.to_string(),
                        p.latest_offset.to_string(),
                    ]
                })
                .collect();
            write_table(
                out,
                &[
                    "Partition",
                    "Leader",
                    "Replicas",
                    "ISR",
                    "Earliest Offset",
                    "Latest Offset",
                ],
                &rows,
            )?;
            writeln!(out)?;
            let rows: Vec<Vec<String>> = d
                .configs
                .iter()
                .map(|c| {
                    vec![
                        c.name.clone(),
                        c.value.clone().unwrap_or_default(),
                        c.source.clone(),
                        c.read_only.to_string(),
                    ]
                })
                .collect();
            write_table(out, &["Config", "Value", "Source", "Read-Only"], &rows)
        },
    )
}

async fn describe_topic(client: &Client, name: &str) -> anyhow::Result<TopicDescription> {
    let t = client.refresh_topic(name).await?;
    let keys: Vec<(String, i32)> = t
        .partitions
        .iter()
        .map(|p| (name.to_owned(), p.partition))
        .collect();
    let (earliest, latest, configs) = tokio::try_join!(
        client.list_offsets(&keys, OffsetSpec::Earliest, IsolationLevel::ReadUncommitted),
        client.list_offsets(&keys, OffsetSpec::Latest, IsolationLevel::ReadUncommitted),
        client.describe_topic_configs(name),
    )?;
    Ok(TopicDescription {
        name: t.name.clone(),
        topic_id: t.topic_id.to_string(),
        internal: t.is_internal,
        partitions: t
            .partitions
            .iter()
            .map(|p| {
                let key = (name.to_owned(), p.partition);
                PartitionRow {
                    partition: p.partition,
                    leader: p.leader,
                    replicas: p.replicas.clone(),
                    isr: p.isr.clone(),
                    earliest_offset: earliest.get(&key).map_or(-1, |o| o.offset),
                    latest_offset: latest.get(&key).map_or(-1, |o| o.offset),
                }
            })
            .collect(),
        configs: configs
            .into_iter()
            .map(|c| ConfigRow {
                name: c.name,
                value: c.value,
                source: c.source.as_str().to_owned(),
                is_default: c.is_default,
                read_only: c.read_only,
                sensitive: c.is_sensitive,
            })
            .collect(),
    })
}

async fn delete(args: DeleteArgs) -> anyhow::Result<()> {
    let client = super::connect(&args.conn).await?;
    client.delete_topic(&args.name).await?;
    println!("Deleted topic \"{}\".", args.name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_flags_split_on_commas_and_repeat() {
        let c = parse_configs(&[
            "cleanup.policy=compact,retention.ms=1000".into(),
            "min.insync.replicas=1".into(),
        ])
        .unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c["retention.ms"], "1000");
        assert!(parse_configs(&["nonsense".into()]).is_err());
    }
}
