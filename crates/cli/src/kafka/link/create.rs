//! `ferry kafka link create`: the link's configs assembled as the `confluent`
//! CLI assembles them (reference §1.2, §2.4, §3.1), then one POST.

use std::collections::BTreeMap;
use std::io::Write;

use clap::Args;
use serde::Serialize;

use crate::kafka::output::emit;
use crate::kafka::rest_client::{ConfigData, CreateLinkBody, RestArgs, RestClient, key_pair};

/// `ferry kafka link create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Name of the link.
    link: String,
    /// Source cluster ID (`source_cluster_id`); the server checks it against
    /// the source unless --no-validate.
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    source_cluster: Option<String>,
    /// Bootstrap server address of the source cluster; may instead be set in
    /// the config as bootstrap.servers.
    #[arg(long, value_name = "HOST:PORT")]
    source_bootstrap_server: Option<String>,
    /// An API key for the source cluster. If given, the link reaches the
    /// source with SASL_SSL and SASL PLAIN; for any other authentication, omit
    /// it and put the security configs in --config.
    #[arg(long, value_name = "KEY")]
    source_api_key: Option<String>,
    /// The API secret that goes with --source-api-key.
    #[arg(long, value_name = "SECRET")]
    source_api_secret: Option<String>,
    /// Link configs: the path of a properties file, or comma-separated
    /// key=value pairs (repeatable).
    #[arg(long, value_name = "FILE|K=V,...")]
    config: Vec<String>,
    /// Deprecated: the path of a properties file; use --config.
    #[arg(long, hide = true, value_name = "FILE", conflicts_with = "config")]
    config_file: Option<String>,
    /// Validate the link, but do not create it.
    #[arg(long)]
    dry_run: bool,
    /// Create the link even if the source cluster cannot be reached.
    #[arg(long)]
    no_validate: bool,
    #[command(flatten)]
    rest: RestArgs,
}

/// Whether a config's value may be shown.
pub(crate) fn is_printable(name: &str) -> bool {
    ferry_link::config::PRINTABLE.contains(&name)
}

/// The JAAS line for SASL PLAIN with an API key, exactly as the `confluent`
/// CLI writes it.
fn plain_jaas(key: &str, secret: &str) -> String {
    format!(
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"{key}\" password=\"{secret}\";"
    )
}

/// Parses `--config` items (or the deprecated `--config-file`).
pub(crate) fn parse_config_flag(
    config: &[String],
    config_file: Option<&str>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let items: Vec<String> = match config_file {
        Some(f) => vec![f.to_owned()],
        None => config.to_vec(),
    };
    if items.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(ferry_link::properties::parse_config_args(&items)?)
}

/// The configs sent for a destination-initiated link: the parsed config,
/// `link.mode` defaulted to DESTINATION, the api key shortcut, and the
/// bootstrap flag.
fn link_configs(
    mut configs: BTreeMap<String, String>,
    source_bootstrap: Option<&str>,
    source_key: Option<(String, String)>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mode = configs
        .entry("link.mode".to_owned())
        .or_insert_with(|| "DESTINATION".to_owned())
        .clone();
    match mode.as_str() {
        "DESTINATION" => {}
        "SOURCE" | "BIDIRECTIONAL" => anyhow::bail!(
            "link.mode={mode} is not supported by ferry: only destination-initiated links (link.mode=DESTINATION) can be created"
        ),
        other => anyhow::bail!(
            "unrecognized link mode \"{other}\": use DESTINATION, SOURCE or BIDIRECTIONAL"
        ),
    }
    if let Some((key, secret)) = source_key {
        configs.insert("security.protocol".to_owned(), "SASL_SSL".to_owned());
        configs.insert("sasl.mechanism".to_owned(), "PLAIN".to_owned());
        configs.insert("sasl.jaas.config".to_owned(), plain_jaas(&key, &secret));
    }
    if let Some(b) = source_bootstrap.filter(|b| !b.is_empty()) {
        configs.insert("bootstrap.servers".to_owned(), b.to_owned());
    }
    Ok(configs)
}

/// `"key"="value"` lines of the printable configs, sorted by key.
fn printable_lines(configs: &BTreeMap<String, String>) -> String {
    let shown: Vec<(String, String)> = configs
        .iter()
        .filter(|(k, _)| is_printable(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ferry_link::properties::format_key_values(&shown)
}

/// What `-o json|yaml` prints.
#[derive(Debug, Serialize)]
struct CreatedLink<'a> {
    link_name: &'a str,
    dry_run: bool,
    configs: BTreeMap<&'a str, &'a str>,
}

pub(crate) async fn run(args: CreateArgs) -> anyhow::Result<()> {
    // Everything that needs no server is checked before contacting one.
    let source_key = key_pair(
        args.source_api_key.as_deref(),
        args.source_api_secret.as_deref(),
        "--source-api-key",
        "--source-api-secret",
    )?;
    let parsed = parse_config_flag(&args.config, args.config_file.as_deref())?;
    let configs = link_configs(parsed, args.source_bootstrap_server.as_deref(), source_key)?;
    crate::kafka::rest_client::base_url(&args.rest)?;

    let client = RestClient::connect(&args.rest).await?;
    let body = CreateLinkBody {
        source_cluster_id: args.source_cluster.clone(),
        configs: configs
            .iter()
            .map(|(name, value)| ConfigData {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
    };
    client
        .create_link(&args.link, &body, args.dry_run, !args.no_validate)
        .await?;

    let shown = CreatedLink {
        link_name: &args.link,
        dry_run: args.dry_run,
        configs: configs
            .iter()
            .filter(|(k, _)| is_printable(k))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
    };
    emit(
        &mut std::io::stdout().lock(),
        args.rest.output.output,
        &shown,
        |out: &mut dyn Write| {
            if args.dry_run {
                write!(out, "[DRY RUN] Validated (not created) ")?;
            } else {
                write!(out, "Created ")?;
            }
            writeln!(out, "cluster link \"{}\" with configs:", args.link)?;
            write!(out, "{}", printable_lines(&configs))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka cluster ids are base64url and may start with '-' (ferry no
    /// longer mints such ids, but other clusters do).
    #[test]
    fn cluster_ids_may_start_with_a_hyphen() {
        #[derive(Debug, clap::Parser)]
        struct Wrap {
            #[command(flatten)]
            create: CreateArgs,
        }
        let parsed = <Wrap as clap::Parser>::try_parse_from([
            "create",
            "l",
            "--source-cluster",
            "-Ee9YZo6TqiKT7iZiGAQaA",
            "--cluster",
            "-AbC",
        ])
        .expect("hyphen-led ids parse");
        assert_eq!(
            parsed.create.source_cluster.as_deref(),
            Some("-Ee9YZo6TqiKT7iZiGAQaA")
        );
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn api_key_sets_sasl_ssl_plain_and_the_exact_jaas_line() {
        let out = link_configs(
            map(&[("consumer.offset.sync.enable", "true")]),
            Some("src:9092"),
            Some(("KEY".into(), "SECRET".into())),
        )
        .unwrap();
        assert_eq!(
            out,
            map(&[
                ("bootstrap.servers", "src:9092"),
                ("consumer.offset.sync.enable", "true"),
                ("link.mode", "DESTINATION"),
                (
                    "sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"KEY\" password=\"SECRET\";"
                ),
                ("sasl.mechanism", "PLAIN"),
                ("security.protocol", "SASL_SSL"),
            ])
        );
    }

    #[test]
    fn without_api_key_the_config_decides_and_the_flag_wins_for_bootstrap() {
        let out = link_configs(
            map(&[
                ("bootstrap.servers", "from-file:9092"),
                ("security.protocol", "SASL_PLAINTEXT"),
                ("link.mode", "DESTINATION"),
            ]),
            Some("from-flag:9092"),
            None,
        )
        .unwrap();
        assert_eq!(out["bootstrap.servers"], "from-flag:9092");
        assert_eq!(out["security.protocol"], "SASL_PLAINTEXT");
        assert!(!out.contains_key("sasl.jaas.config"));
        let bare = link_configs(BTreeMap::new(), None, None).unwrap();
        assert_eq!(bare, map(&[("link.mode", "DESTINATION")]));
    }

    #[test]
    fn other_link_modes_are_refused_clearly() {
        let e = link_configs(map(&[("link.mode", "SOURCE")]), None, None).unwrap_err();
        assert!(e.to_string().contains("only destination-initiated"), "{e}");
        let e = link_configs(map(&[("link.mode", "sideways")]), None, None).unwrap_err();
        assert!(e.to_string().contains("unrecognized link mode"), "{e}");
    }

    #[test]
    fn printed_configs_are_the_allow_list_sorted_and_never_secrets() {
        let configs = link_configs(
            map(&[
                ("mirror.start.offset.spec", "latest"),
                ("ssl.key.password", "hush"),
            ]),
            Some("b:1"),
            Some(("K".into(), "S".into())),
        )
        .unwrap();
        assert_eq!(
            printable_lines(&configs),
            "\"bootstrap.servers\"=\"b:1\"\n\
             \"link.mode\"=\"DESTINATION\"\n\
             \"mirror.start.offset.spec\"=\"latest\"\n\
             \"sasl.mechanism\"=\"PLAIN\"\n\
             \"security.protocol\"=\"SASL_SSL\"\n"
        );
    }
}
