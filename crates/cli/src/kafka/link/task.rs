//! `ferry kafka link task list`: the link's background tasks
//! (`GET …/links/{l}?include_tasks=true`).

use std::io::Write;

use clap::{Args, Subcommand};
use ferry_link::view::TaskError;
use serde::Serialize;

use super::spelling;
use crate::kafka::output::{emit, write_table};
use crate::kafka::rest_client::{RestArgs, RestClient};

/// Subcommands of `ferry kafka link task`.
#[derive(Debug, Subcommand)]
pub(crate) enum TaskCommand {
    /// List a link's tasks and their errors.
    List(ListArgs),
}

/// `ferry kafka link task list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Name of the link.
    link: String,
    #[command(flatten)]
    rest: RestArgs,
}

/// One task as the `confluent` CLI serializes it.
#[derive(Debug, Serialize)]
struct TaskOut {
    task_name: String,
    state: String,
    errors: Vec<TaskError>,
}

pub(crate) async fn run(cmd: TaskCommand) -> anyhow::Result<()> {
    let TaskCommand::List(args) = cmd;
    let client = RestClient::connect(&args.rest).await?;
    let link = client.get_link(&args.link, true).await?;
    let rows: Vec<TaskOut> = link
        .tasks
        .unwrap_or_default()
        .into_iter()
        .map(|t| TaskOut {
            task_name: t.task_name,
            state: spelling(&t.state),
            errors: t.errors,
        })
        .collect();
    emit(
        &mut std::io::stdout().lock(),
        args.rest.output.output,
        &rows,
        |out: &mut dyn Write| {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|t| {
                    vec![
                        t.task_name.clone(),
                        t.state.clone(),
                        t.errors
                            .iter()
                            .map(|e| format!("{}: \"{}\"", e.error_code, e.error_message))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                })
                .collect();
            write_table(out, &["Task Name", "State", "Errors"], &table)
        },
    )
}
