//! `ferry kafka mirror promote|failover|pause|resume <topic>… --link L`:
//! `POST …/mirrors:<action>`, whose 200 answer reports success or failure
//! per topic; any per-topic failure makes the command fail after printing.

use std::io::Write;

use clap::Args;
use ferry_link::view::AlterMirrorResult;
use serde::Serialize;

use crate::kafka::output::{emit, write_table};
use crate::kafka::rest_client::{RestArgs, RestClient};

/// Arguments of every mirror action.
#[derive(Debug, Args)]
pub(crate) struct ActionArgs {
    /// Names of the mirror topics.
    #[arg(required = true)]
    mirror_topics: Vec<String>,
    /// Name of the cluster link.
    #[arg(long)]
    link: String,
    /// Only validate; change nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    rest: RestArgs,
}

/// One row of an action's result, as the `confluent` CLI serializes it.
#[derive(Debug, Serialize)]
struct ActionOut {
    mirror_topic_name: String,
    /// Null for a topic that failed before any partition was looked at.
    partition: Option<i32>,
    partition_mirror_lag: Option<i64>,
    error_message: String,
    error_code: String,
    last_source_fetch_offset: Option<i64>,
}

fn rows(results: &[AlterMirrorResult]) -> Vec<ActionOut> {
    let mut out = Vec::new();
    for r in results {
        let message = r.error_message.clone().unwrap_or_default();
        let code = r.error_code.map(|c| c.to_string()).unwrap_or_default();
        if r.mirror_lags.is_empty() {
            out.push(ActionOut {
                mirror_topic_name: r.mirror_topic_name.clone(),
                partition: None,
                partition_mirror_lag: None,
                error_message: message,
                error_code: code,
                last_source_fetch_offset: None,
            });
            continue;
        }
        let mut lags = r.mirror_lags.clone();
        lags.sort_by_key(|l| l.partition);
        for l in lags {
            out.push(ActionOut {
                mirror_topic_name: r.mirror_topic_name.clone(),
                partition: Some(l.partition),
                partition_mirror_lag: Some(l.lag),
                error_message: message.clone(),
                error_code: code.clone(),
                last_source_fetch_offset: Some(l.last_source_fetch_offset),
            });
        }
    }
    out
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

pub(crate) async fn run(action: &str, args: ActionArgs) -> anyhow::Result<()> {
    let client = RestClient::connect(&args.rest).await?;
    let results = client
        .alter_mirrors(&args.link, action, &args.mirror_topics, args.dry_run)
        .await?;
    let table_rows = rows(&results);
    emit(
        &mut std::io::stdout().lock(),
        args.rest.output.output,
        &table_rows,
        |out: &mut dyn Write| {
            let table: Vec<Vec<String>> = table_rows
                .iter()
                .map(|r| {
                    vec![
                        r.mirror_topic_name.clone(),
                        opt(r.partition),
                        opt(r.partition_mirror_lag),
                        r.error_message.clone(),
                        r.error_code.clone(),
                        opt(r.last_source_fetch_offset),
                    ]
                })
                .collect();
            write_table(
                out,
                &[
                    "Mirror Topic Name",
                    "Partition",
                    "Partition Mirror Lag",
                    "Error Message",
                    "Error Code",
                    "Last Source Fetch Offset",
                ],
                &table,
            )
        },
    )?;
    let failed: Vec<String> = results
        .iter()
        .filter(|r| {
            r.error_code.is_some() || r.error_message.as_deref().is_some_and(|m| !m.is_empty())
        })
        .map(|r| {
            format!(
                "{}: {}",
                r.mirror_topic_name,
                r.error_message.as_deref().unwrap_or("failed")
            )
        })
        .collect();
    if !failed.is_empty() {
        anyhow::bail!(
            "{action} failed for {} of {} mirror topics: {}",
            failed.len(),
            results.len(),
            failed.join("; ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_link::view::MirrorLag;

    #[test]
    fn one_row_per_partition_and_one_for_a_failed_topic() {
        let results = vec![
            AlterMirrorResult {
                mirror_topic_name: "a".into(),
                error_code: None,
                error_message: None,
                mirror_lags: vec![
                    MirrorLag {
                        partition: 1,
                        lag: 3,
                        last_source_fetch_offset: 9,
                    },
                    MirrorLag {
                        partition: 0,
                        lag: 0,
                        last_source_fetch_offset: -1,
                    },
                ],
                messages_truncated: None,
                partition_level_truncation_data: Vec::new(),
            },
            AlterMirrorResult {
                mirror_topic_name: "b".into(),
                error_code: Some(404),
                error_message: Some("no such mirror".into()),
                mirror_lags: Vec::new(),
                messages_truncated: None,
                partition_level_truncation_data: Vec::new(),
            },
        ];
        let r = rows(&results);
        assert_eq!(r.len(), 3);
        assert_eq!(
            (
                r[0].partition,
                r[0].partition_mirror_lag,
                r[0].last_source_fetch_offset
            ),
            (Some(0), Some(0), Some(-1))
        );
        assert_eq!(
            (r[1].partition, r[1].partition_mirror_lag),
            (Some(1), Some(3))
        );
        assert_eq!(r[2].mirror_topic_name, "b");
        assert_eq!(r[2].partition, None);
        assert_eq!(r[2].error_code, "404");
        assert_eq!(r[2].error_message, "no such mirror");
    }
}
