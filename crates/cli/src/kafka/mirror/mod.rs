//! `ferry kafka mirror …`: mirror topics of cluster links, driven through the
//! Kafka REST API v3, with the `confluent kafka mirror` commands' flags,
//! columns and serialized field names (reference §3.2).

mod action;

use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use ferry_link::view::MirrorDescription;
use serde::Serialize;

use super::link::spelling;
use super::output::{emit, write_table};
use super::rest_client::{ConfigData, CreateMirrorBody, RestArgs, RestClient};

/// Subcommands of `ferry kafka mirror`.
#[derive(Debug, Subcommand)]
pub(crate) enum MirrorCommand {
    /// Create a mirror topic under a link.
    Create(CreateArgs),
    /// List mirror topics.
    List(ListArgs),
    /// Describe a mirror topic, one row per partition.
    Describe(DescribeArgs),
    /// Promote mirror topics: final sync, then writable (refused while lagging).
    Promote(action::ActionArgs),
    /// Fail over mirror topics: writable now, whatever the lag.
    Failover(action::ActionArgs),
    /// Pause mirror topics (they stay read-only).
    Pause(action::ActionArgs),
    /// Resume paused mirror topics.
    Resume(action::ActionArgs),
}

/// `ferry kafka mirror create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Name of the mirror topic; the source topic's name unless the link has a
    /// prefix (then give the source's name with --source-topic).
    mirror_topic: String,
    /// Name of the cluster link.
    #[arg(long)]
    link: String,
    /// Replication factor (sent only when given; ferry is single-node).
    #[arg(long, value_name = "N")]
    replication_factor: Option<i32>,
    /// Topic configs of the mirror: the path of a properties file, or
    /// comma-separated key=value pairs (repeatable).
    #[arg(long, value_name = "FILE|K=V,...")]
    config: Vec<String>,
    /// Deprecated: the path of a properties file; use --config.
    #[arg(long, hide = true, value_name = "FILE", conflicts_with = "config")]
    config_file: Option<String>,
    /// Name of the source topic; only needed when the link has a
    /// cluster.link.prefix.
    #[arg(long, value_name = "NAME")]
    source_topic: Option<String>,
    #[command(flatten)]
    rest: RestArgs,
}

/// `--mirror-status` values the `confluent` CLI accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum StatusFilter {
    /// ACTIVE.
    Active,
    /// FAILED.
    Failed,
    /// PAUSED.
    Paused,
    /// STOPPED.
    Stopped,
    /// PENDING_STOPPED.
    PendingStopped,
}

impl StatusFilter {
    fn as_rest(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Failed => "FAILED",
            Self::Paused => "PAUSED",
            Self::Stopped => "STOPPED",
            Self::PendingStopped => "PENDING_STOPPED",
        }
    }
}

/// `ferry kafka mirror list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Name of the cluster link (all links when omitted).
    #[arg(long)]
    link: Option<String>,
    /// Only mirrors in this state.
    #[arg(long, value_enum)]
    mirror_status: Option<StatusFilter>,
    #[command(flatten)]
    rest: RestArgs,
}

/// `ferry kafka mirror describe`.
#[derive(Debug, Args)]
pub(crate) struct DescribeArgs {
    /// Name of the mirror topic.
    mirror_topic: String,
    /// Name of the cluster link.
    #[arg(long)]
    link: String,
    #[command(flatten)]
    rest: RestArgs,
}

pub(crate) async fn run(cmd: MirrorCommand) -> anyhow::Result<()> {
    match cmd {
        MirrorCommand::Create(a) => create(a).await,
        MirrorCommand::List(a) => list(a).await,
        MirrorCommand::Describe(a) => describe(a).await,
        MirrorCommand::Promote(a) => action::run("promote", a).await,
        MirrorCommand::Failover(a) => action::run("failover", a).await,
        MirrorCommand::Pause(a) => action::run("pause", a).await,
        MirrorCommand::Resume(a) => action::run("resume", a).await,
    }
}

#[derive(Debug, Serialize)]
struct CreatedMirror<'a> {
    mirror_topic_name: &'a str,
    source_topic_name: &'a str,
    link_name: &'a str,
}

async fn create(args: CreateArgs) -> anyhow::Result<()> {
    let configs = super::link::parse_config_flag(&args.config, args.config_file.as_deref())?;
    super::rest_client::base_url(&args.rest)?;
    let source = args
        .source_topic
        .clone()
        .unwrap_or_else(|| args.mirror_topic.clone());
    let body = CreateMirrorBody {
        // The mirror's name is sent only when it differs, as the `confluent`
        // CLI does (older servers do not know the field).
        mirror_topic_name: (source != args.mirror_topic).then(|| args.mirror_topic.clone()),
        source_topic_name: source.clone(),
        replication_factor: args.replication_factor,
        configs: configs
            .into_iter()
            .map(|(name, value)| ConfigData { name, value })
            .collect(),
    };
    let client = RestClient::connect(&args.rest).await?;
    client.create_mirror(&args.link, &body).await?;
    let shown = CreatedMirror {
        mirror_topic_name: &args.mirror_topic,
        source_topic_name: &source,
        link_name: &args.link,
    };
    emit(
        &mut std::io::stdout().lock(),
        args.rest.output.output,
        &shown,
        |out: &mut dyn Write| writeln!(out, "Created mirror topic \"{}\".", args.mirror_topic),
    )
}

/// One row of `mirror list`.
#[derive(Debug, Serialize)]
struct MirrorListOut {
    link_name: String,
    mirror_topic_name: String,
    num_partition: i32,
    max_per_partition_mirror_lag: i64,
    source_topic_name: String,
    mirror_status: String,
    status_time_ms: i64,
}

impl MirrorListOut {
    fn new(m: &MirrorDescription) -> Self {
        Self {
            link_name: m.link_name.clone(),
            mirror_topic_name: m.mirror_topic_name.clone(),
            num_partition: m.num_partitions,
            max_per_partition_mirror_lag: m.mirror_lags.iter().map(|l| l.lag).max().unwrap_or(0),
            source_topic_name: m.source_topic_name.clone(),
            mirror_status: spelling(&m.mirror_status),
            status_time_ms: m.state_time_ms,
        }
    }
}

async fn list(args: ListArgs) -> anyhow::Result<()> {
    let client = RestClient::connect(&args.rest).await?;
    let mirrors = client
        .list_mirrors(
            args.link.as_deref(),
            args.mirror_status.map(StatusFilter::as_rest),
        )
        .await?;
    let rows: Vec<MirrorListOut> = mirrors.iter().map(MirrorListOut::new).collect();
    emit(
        &mut std::io::stdout().lock(),
        args.rest.output.output,
        &rows,
        |out: &mut dyn Write| {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|m| {
                    vec![
                        m.link_name.clone(),
                        m.mirror_topic_name.clone(),
                        m.num_partition.to_string(),
                        m.max_per_partition_mirror_lag.to_string(),
                        m.source_topic_name.clone(),
                        m.mirror_status.clone(),
                        m.status_time_ms.to_string(),
                    ]
                })
                .collect();
            write_table(
                out,
                &[
                    "Link Name",
                    "Mirror Topic Name",
                    "Num Partition",
                    "Max Per Partition Mirror Lag",
                    "Source Topic Name",
                    "Mirror Status",
                    "Status Time (ms)",
                ],
                &table,
            )
        },
    )
}

/// One partition row of `mirror describe`.
#[derive(Debug, Serialize)]
struct MirrorPartitionOut {
    link_name: String,
    mirror_topic_name: String,
    source_topic_name: String,
    mirror_status: String,
    mirror_topic_error: String,
    status_time_ms: i64,
    partition: i32,
    partition_mirror_lag: i64,
    last_source_fetch_offset: i64,
}

fn partition_rows(m: &MirrorDescription) -> Vec<MirrorPartitionOut> {
    let mut lags = m.mirror_lags.clone();
    lags.sort_by_key(|l| l.partition);
    lags.iter()
        .map(|l| MirrorPartitionOut {
            link_name: m.link_name.clone(),
            mirror_topic_name: m.mirror_topic_name.clone(),
            source_topic_name: m.source_topic_name.clone(),
            mirror_status: spelling(&m.mirror_status),
            mirror_topic_error: spelling(&m.mirror_topic_error),
            status_time_ms: m.state_time_ms,
            partition: l.partition,
            partition_mirror_lag: l.lag,
            last_source_fetch_offset: l.last_source_fetch_offset,
        })
        .collect()
}

async fn describe(args: DescribeArgs) -> anyhow::Result<()> {
    let client = RestClient::connect(&args.rest).await?;
    let mirror = client.get_mirror(&args.link, &args.mirror_topic).await?;
    let rows = partition_rows(&mirror);
    emit(
        &mut std::io::stdout().lock(),
        args.rest.output.output,
        &rows,
        |out: &mut dyn Write| {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.link_name.clone(),
                        r.mirror_topic_name.clone(),
                        r.source_topic_name.clone(),
                        r.mirror_status.clone(),
                        r.mirror_topic_error.clone(),
                        r.status_time_ms.to_string(),
                        r.partition.to_string(),
                        r.partition_mirror_lag.to_string(),
                        r.last_source_fetch_offset.to_string(),
                    ]
                })
                .collect();
            write_table(
                out,
                &[
                    "Link Name",
                    "Mirror Topic Name",
                    "Source Topic Name",
                    "Mirror Status",
                    "Mirror Topic Error",
                    "Status Time (ms)",
                    "Partition",
                    "Partition Mirror Lag",
                    "Last Source Fetch Offset",
                ],
                &table,
            )
        },
    )
}
