//! `ferry kafka link configuration list|update`.

use std::io::Write;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::create::{is_printable, parse_config_flag};
use crate::kafka::output::{emit, write_table};
use crate::kafka::rest_client::{ConfigData, RestArgs, RestClient};

/// Subcommands of `ferry kafka link configuration`.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigurationCommand {
    /// List a link's configs (secrets are never shown).
    List(ListArgs),
    /// Change a link's configs.
    Update(UpdateArgs),
}

/// `ferry kafka link configuration list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Name of the link.
    link: String,
    #[command(flatten)]
    rest: RestArgs,
}

/// `ferry kafka link configuration update`.
#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// Name of the link.
    link: String,
    /// Configs to set: the path of a properties file, or comma-separated
    /// key=value pairs (repeatable).
    #[arg(long, required = true, value_name = "FILE|K=V,...")]
    config: Vec<String>,
    #[command(flatten)]
    rest: RestArgs,
}

pub(crate) async fn run(cmd: ConfigurationCommand) -> anyhow::Result<()> {
    match cmd {
        ConfigurationCommand::List(a) => list(a).await,
        ConfigurationCommand::Update(a) => update(a).await,
    }
}

/// One config as the `confluent` CLI serializes it.
#[derive(Debug, Serialize)]
struct ConfigOut {
    config_name: String,
    /// Null for sensitive configs.
    config_value: Option<String>,
    read_only: bool,
    sensitive: bool,
    source: String,
    synonyms: Vec<String>,
}

async fn list(args: ListArgs) -> anyhow::Result<()> {
    let client = RestClient::connect(&args.rest).await?;
    let mut rows: Vec<ConfigOut> = client
        .link_configs(&args.link)
        .await?
        .into_iter()
        .map(|c| ConfigOut {
            // A sensitive value is never shown, whatever the server sent.
            config_value: c.value.filter(|_| !c.is_sensitive),
            config_name: c.name,
            read_only: c.is_read_only,
            sensitive: c.is_sensitive,
            source: c.source,
            synonyms: c.synonyms,
        })
        .collect();
    rows.sort_by(|a, b| a.config_name.cmp(&b.config_name));
    // As the `confluent` CLI does: the destination cluster's id, flagged
    // read-only and sensitive (reference §2.1).
    rows.push(ConfigOut {
        config_name: "dest.cluster.id".to_owned(),
        config_value: Some(client.cluster_id().to_owned()),
        read_only: true,
        sensitive: true,
        source: String::new(),
        synonyms: Vec::new(),
    });
    emit(
        &mut std::io::stdout().lock(),
        args.rest.output.output,
        &rows,
        |out: &mut dyn Write| {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|c| {
                    vec![
                        c.config_name.clone(),
                        c.config_value.clone().unwrap_or_default(),
                        c.read_only.to_string(),
                        c.sensitive.to_string(),
                        c.source.clone(),
                        format!("[{}]", c.synonyms.join(", ")),
                    ]
                })
                .collect();
            write_table(
                out,
                &[
                    "Config Name",
                    "Config Value",
                    "Read-Only",
                    "Sensitive",
                    "Source",
                    "Synonyms",
                ],
                &table,
            )
        },
    )
}

#[derive(Debug, Serialize)]
struct Updated<'a> {
    link_name: &'a str,
    /// Values of secrets are replaced by null.
    configs: Vec<(&'a str, Option<&'a str>)>,
}

async fn update(args: UpdateArgs) -> anyhow::Result<()> {
    let configs = parse_config_flag(&args.config, None)?;
    anyhow::ensure!(!configs.is_empty(), "--config names no config to update");
    crate::kafka::rest_client::base_url(&args.rest)?;
    let client = RestClient::connect(&args.rest).await?;
    client
        .alter_link_configs(
            &args.link,
            configs
                .iter()
                .map(|(name, value)| ConfigData {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
        )
        .await?;
    let shown = Updated {
        link_name: &args.link,
        configs: configs
            .iter()
            .map(|(k, v)| (k.as_str(), is_printable(k).then_some(v.as_str())))
            .collect(),
    };
    emit(
        &mut std::io::stdout().lock(),
        args.rest.output.output,
        &shown,
        |out: &mut dyn Write| {
            writeln!(
                out,
                "Updated the following configuration values for cluster link \"{}\":",
                args.link
            )?;
            let table: Vec<Vec<String>> = shown
                .configs
                .iter()
                .map(|(k, v)| vec![(*k).to_owned(), v.unwrap_or("[hidden]").to_owned()])
                .collect();
            write_table(out, &["Name", "Value"], &table)
        },
    )
}
