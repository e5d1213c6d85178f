//! `ferry connect cluster create|list|describe|pause|resume|delete`, shaped
//! like the `confluent connect cluster` commands, over Kafka Connect's REST
//! API on a `ferry server`'s REST listener.
//!
//! A connector's "id" is its name: Confluent Cloud mints `lcc-…` ids,
//! Kafka Connect (and ferry) address connectors by name. `--cluster` and
//! `--force` are accepted so the seed's commands run unchanged; the
//! connectors are those of the server `--url` points at, and nothing asks
//! for confirmation.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use ferry_connect::view::{ConnectorOffsets, ConnectorStatus};
use serde::Serialize;

use super::client::ConnectClient;
use crate::kafka::output::{emit, write_key_values, write_table};
use crate::kafka::rest_client::RestArgs;

/// `ferry connect cluster …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ClusterCommand {
    /// Create a connector from a JSON config file (Confluent Cloud's flat
    /// form or Connect's {"name", "config"}).
    Create {
        /// The JSON file, e.g. {"name": "orders", "connector.class":
        /// "DatagenSource", "kafka.topic": "orders", "quickstart": "ORDERS",
        /// "output.data.format": "AVRO", "max.interval": "100", "tasks.max": "1"}.
        #[arg(long, value_name = "FILE")]
        config_file: PathBuf,
        #[command(flatten)]
        rest: RestArgs,
    },
    /// List connectors with their state.
    List {
        #[command(flatten)]
        rest: RestArgs,
    },
    /// Describe a connector: state, tasks, configuration, offsets.
    Describe {
        /// The connector's id (its name).
        id: String,
        #[command(flatten)]
        rest: RestArgs,
    },
    /// Pause connectors: their tasks stop producing until resumed.
    Pause {
        /// Connector ids (names).
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        rest: RestArgs,
    },
    /// Resume paused connectors.
    Resume {
        /// Connector ids (names).
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        rest: RestArgs,
    },
    /// Delete connectors (their topics and records stay).
    Delete {
        /// Connector ids (names).
        #[arg(required = true)]
        ids: Vec<String>,
        /// Accepted for the `confluent` CLI's commands; ferry never prompts.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        rest: RestArgs,
    },
}

/// One row of `list`.
#[derive(Debug, Serialize)]
struct Row {
    id: String,
    name: String,
    status: String,
    #[serde(rename = "type")]
    kind: String,
    trace: String,
}

/// What `describe -o json` prints.
#[derive(Debug, Serialize)]
struct Description {
    connector: Row,
    tasks: Vec<TaskRow>,
    configs: Vec<ConfigRow>,
    offsets: ConnectorOffsets,
}

#[derive(Debug, Serialize)]
struct TaskRow {
    task_id: u32,
    state: String,
    trace: String,
}

#[derive(Debug, Serialize)]
struct ConfigRow {
    config: String,
    value: String,
}

/// The status as a row: the task's state when it failed (what Confluent
/// Cloud shows), else the connector's.
fn row(status: &ConnectorStatus) -> Row {
    let failed = status
        .tasks
        .iter()
        .find(|t| t.state == ferry_connect::view::State::Failed);
    let (state, trace) = match failed {
        Some(t) => (t.state, t.trace.clone()),
        None => (status.connector.state, status.connector.trace.clone()),
    };
    Row {
        id: status.name.clone(),
        name: status.name.clone(),
        status: state.as_str().to_owned(),
        kind: status.kind.clone(),
        trace: trace.unwrap_or_default(),
    }
}

/// Secrets in configurations are not printed.
fn shown(key: &str, value: &str) -> String {
    let k = key.to_ascii_lowercase();
    if k.contains("secret") || k.contains("password") {
        "*****************".to_owned()
    } else {
        value.to_owned()
    }
}

pub(crate) async fn run(cmd: ClusterCommand) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match cmd {
        ClusterCommand::Create { config_file, rest } => {
            let body = super::config_file::read(&config_file)?;
            let client = ConnectClient::connect(&rest)?;
            let info = client.create(&body).await?;
            let value = serde_json::json!({ "id": info.name, "name": info.name });
            emit(&mut out, rest.output.output, &value, |o| {
                writeln!(o, "Created connector \"{}\" {}.", info.name, info.name)
            })
        }
        ClusterCommand::List { rest } => {
            let client = ConnectClient::connect(&rest)?;
            let mut rows = Vec::new();
            for name in client.names().await? {
                rows.push(row(&client.status(&name).await?));
            }
            emit(&mut out, rest.output.output, &rows, |o| {
                let cells: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.clone(),
                            r.name.clone(),
                            r.status.clone(),
                            r.kind.clone(),
                            r.trace.clone(),
                        ]
                    })
                    .collect();
                write_table(o, &["ID", "Name", "Status", "Type", "Trace"], &cells)
            })
        }
        ClusterCommand::Describe { id, rest } => {
            let client = ConnectClient::connect(&rest)?;
            let info = client.info(&id).await?;
            let status = client.status(&id).await?;
            let offsets = client.offsets(&id).await?;
            let description = Description {
                connector: row(&status),
                tasks: status
                    .tasks
                    .iter()
                    .map(|t| TaskRow {
                        task_id: t.id,
                        state: t.state.as_str().to_owned(),
                        trace: t.trace.clone().unwrap_or_default(),
                    })
                    .collect(),
                configs: info
                    .config
                    .iter()
                    .map(|(k, v)| ConfigRow {
                        config: k.clone(),
                        value: shown(k, v),
                    })
                    .collect(),
                offsets,
            };
            emit(&mut out, rest.output.output, &description, |o| {
                human_description(o, &description)
            })
        }
        ClusterCommand::Pause { ids, rest } => {
            let client = ConnectClient::connect(&rest)?;
            for id in &ids {
                client.put_action(id, "pause").await?;
                writeln!(out, "Paused connector \"{id}\".")?;
            }
            Ok(())
        }
        ClusterCommand::Resume { ids, rest } => {
            let client = ConnectClient::connect(&rest)?;
            for id in &ids {
                client.put_action(id, "resume").await?;
                writeln!(out, "Resumed connector \"{id}\".")?;
            }
            Ok(())
        }
        ClusterCommand::Delete {
            ids,
            force: _,
            rest,
        } => {
            let client = ConnectClient::connect(&rest)?;
            for id in &ids {
                client.delete(id).await?;
                writeln!(out, "Deleted connector \"{id}\".")?;
            }
            Ok(())
        }
    }
}

fn human_description(o: &mut dyn Write, d: &Description) -> std::io::Result<()> {
    writeln!(o, "Connector Details")?;
    write_key_values(
        o,
        &[
            ("ID", d.connector.id.clone()),
            ("Name", d.connector.name.clone()),
            ("Status", d.connector.status.clone()),
            ("Type", d.connector.kind.clone()),
            ("Trace", d.connector.trace.clone()),
        ],
    )?;
    writeln!(o, "\nTask Level Details")?;
    let tasks: Vec<Vec<String>> = d
        .tasks
        .iter()
        .map(|t| vec![t.task_id.to_string(), t.state.clone(), t.trace.clone()])
        .collect();
    write_table(o, &["Task ID", "State", "Trace"], &tasks)?;
    writeln!(o, "\nConfiguration Details")?;
    let configs: Vec<Vec<String>> = d
        .configs
        .iter()
        .map(|c| vec![c.config.clone(), c.value.clone()])
        .collect();
    write_table(o, &["Config", "Value"], &configs)?;
    writeln!(o, "\nOffsets")?;
    let offsets: Vec<Vec<String>> = d
        .offsets
        .offsets
        .iter()
        .flat_map(|s| s.offset.iter().map(|(k, v)| vec![k.clone(), v.to_string()]))
        .collect();
    write_table(o, &["Offset", "Value"], &offsets)
}
