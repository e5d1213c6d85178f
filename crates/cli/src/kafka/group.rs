//! `ferry kafka consumer group list|describe`.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::args::{ConnectionArgs, OutputArgs};
use super::output::{emit, opt, write_key_values, write_table};

/// Subcommands of `ferry kafka consumer`.
#[derive(Debug, Subcommand)]
pub(crate) enum ConsumerCommand {
    /// Consumer groups.
    #[command(subcommand)]
    Group(GroupCommand),
}

/// Subcommands of `ferry kafka consumer group`.
#[derive(Debug, Subcommand)]
pub(crate) enum GroupCommand {
    /// List consumer groups.
    List(ListArgs),
    /// Describe a group: state, members, and per-partition offsets and lag.
    Describe(DescribeArgs),
}

/// `ferry kafka consumer group list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    conn: ConnectionArgs,
}

/// `ferry kafka consumer group describe`.
#[derive(Debug, Args)]
pub(crate) struct DescribeArgs {
    /// Group id.
    group: String,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    conn: ConnectionArgs,
}

pub(crate) async fn run(cmd: ConsumerCommand) -> anyhow::Result<()> {
    match cmd {
        ConsumerCommand::Group(GroupCommand::List(a)) => list(a).await,
        ConsumerCommand::Group(GroupCommand::Describe(a)) => describe(a).await,
    }
}

#[derive(Debug, Serialize)]
struct GroupRow {
    group_id: String,
    protocol_type: String,
    state: String,
}

async fn list(args: ListArgs) -> anyhow::Result<()> {
    let client = super::connect(&args.conn).await?;
    let rows: Vec<GroupRow> = client
        .list_groups()
        .await?
        .into_iter()
        .map(|g| GroupRow {
            group_id: g.group_id,
            protocol_type: g.protocol_type,
            state: g.state,
        })
        .collect();
    emit(
        &mut std::io::stdout().lock(),
        args.output.output,
        &rows,
        |out| {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|g| vec![g.group_id.clone(), g.protocol_type.clone(), g.state.clone()])
                .collect();
            write_table(out, &["Group ID", "Protocol Type", "State"], &table)
        },
    )
}

#[derive(Debug, Serialize)]
struct GroupDescription {
    group_id: String,
    state: String,
    protocol_type: String,
    protocol: String,
    members: Vec<MemberRow>,
    partitions: Vec<PartitionRow>,
}

#[derive(Debug, Serialize)]
struct MemberRow {
    consumer_id: String,
    group_instance_id: Option<String>,
    client_id: String,
    host: String,
    subscription: Vec<String>,
    assignment: Vec<String>,
}

#[derive(Debug, Serialize)]
struct PartitionRow {
    topic: String,
    partition: i32,
    current_offset: Option<i64>,
    log_end_offset: i64,
    lag: Option<i64>,
    consumer_id: Option<String>,
    host: Option<String>,
    client_id: Option<String>,
}

async fn describe(args: DescribeArgs) -> anyhow::Result<()> {
    let client = super::connect(&args.conn).await?;
    let (group, lags) = client.group_lag(&args.group).await?;
    let d = GroupDescription {
        group_id: group.group_id,
        state: group.state,
        protocol_type: group.protocol_type,
        protocol: group.protocol,
        members: group
            .members
            .into_iter()
            .map(|m| MemberRow {
                consumer_id: m.member_id,
                group_instance_id: m.group_instance_id,
                client_id: m.client_id,
                host: m.client_host,
                subscription: m.subscription,
                assignment: m
                    .assignment
                    .iter()
                    .flat_map(|(t, ps)| ps.iter().map(move |p| format!("{t}-{p}")))
                    .collect(),
            })
            .collect(),
        partitions: lags
            .into_iter()
            .map(|l| PartitionRow {
                topic: l.topic,
                partition: l.partition,
                current_offset: l.current_offset,
                log_end_offset: l.log_end_offset,
                lag: l.lag,
                consumer_id: l.member_id,
                host: l.client_host,
                client_id: l.client_id,
            })
            .collect(),
    };
    emit(
        &mut std::io::stdout().lock(),
        args.output.output,
        &d,
        |out| {
            write_key_values(
                out,
                &[
                    ("Group ID", d.group_id.clone()),
                    ("State", d.state.clone()),
                    ("Protocol Type", d.protocol_type.clone()),
                    ("Assignor", d.protocol.clone()),
                    ("Members", d.members.len().to_string()),
                ],
            )?;
            writeln!(out)?;
            let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".to_owned());
            let rows: Vec<Vec<String>> = d
                .partitions
                .iter()
                .map(|p| {
                    vec![
                        p.topic.clone(),
                        p.partition.to_string(),
                        opt(p.current_offset),
                        p.log_end_offset.to_string(),
                        opt(p.lag),
                        dash(&p.consumer_id),
                        dash(&p.host),
                        dash(&p.client_id),
                    ]
                })
                .collect();
            write_table(
                out,
                &[
                    "Topic",
                    "Partition",
                    "Current Offset",
                    "Log End Offset",
                    "Lag",
                    "Consumer ID",
                    "Host",
                    "Client ID",
                ],
                &rows,
            )
        },
    )
}
