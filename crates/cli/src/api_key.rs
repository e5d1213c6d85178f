//! `ferry api-key create|list|delete`: Confluent-style API keys, usable as
//! SASL PLAIN or SCRAM credentials (key = user name, secret = password).
//!
//! Keys live in `<data-dir>/api-keys.json`, which holds SCRAM material only,
//! never a secret. A running `ferry server` on the same data dir picks up
//! changes at once, so there is no need to restart it.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use ferry_auth::{ApiKeyInfo, ApiKeyStore};
use serde::Serialize;

/// Subcommands of `ferry api-key`.
#[derive(Debug, Subcommand)]
pub(crate) enum ApiKeyCommand {
    /// Create an API key; prints the key and its secret (the secret is shown only once).
    Create(CreateArgs),
    /// List API keys (secrets are not stored, so never shown).
    List(ListArgs),
    /// Delete an API key; connections already authenticated with it stay open.
    Delete(DeleteArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// A table for people.
    #[default]
    Human,
    /// JSON, for scripts.
    Json,
    /// YAML.
    Yaml,
}

/// The store to work on.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// The broker's data directory (where `api-keys.json` lives).
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
}

/// `ferry api-key create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Free text to recognise the key by in `list`.
    #[arg(long)]
    description: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    output: Output,
}

/// `ferry api-key list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    output: Output,
}

/// `ferry api-key delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// The API key to delete.
    key: String,
    #[command(flatten)]
    store: StoreArgs,
}

/// Runs an `api-key` subcommand, printing to stdout.
pub(crate) fn run(cmd: ApiKeyCommand) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_to(cmd, &mut out)
}

/// Runs an `api-key` subcommand, printing to `out`.
fn run_to(cmd: ApiKeyCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        ApiKeyCommand::Create(args) => create(args, out),
        ApiKeyCommand::List(args) => list(args, out),
        ApiKeyCommand::Delete(args) => delete(args, out),
    }
}

fn open(store: &StoreArgs) -> anyhow::Result<ApiKeyStore> {
    ApiKeyStore::open(&store.data_dir)
        .with_context(|| format!("opening the API keys in {}", store.data_dir.display()))
}

/// A created key, as printed.
#[derive(Debug, Serialize)]
struct Created<'a> {
    api_key: &'a str,
    api_secret: &'a str,
}

fn create(args: CreateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let store = open(&args.store)?;
    let (key, secret) = store.create(args.description.as_deref())?;
    let created = Created {
        api_key: &key,
        api_secret: &secret,
    };
    match args.output {
        Output::Human => {
            writeln!(
                out,
                "Save the API key and secret. The secret is not retrievable later."
            )?;
            let rows = [("API Key", key.clone()), ("API Secret", secret.clone())];
            crate::kafka::output::write_key_values(out, &rows)?;
        }
        Output::Json => writeln!(out, "{}", serde_json::to_string_pretty(&created)?)?,
        Output::Yaml => write!(out, "{}", serde_norway::to_string(&created)?)?,
    }
    Ok(())
}

/// A listed key, as printed.
#[derive(Debug, Serialize)]
struct Listed {
    api_key: String,
    description: String,
    created: String,
}

impl From<ApiKeyInfo> for Listed {
    fn from(info: ApiKeyInfo) -> Self {
        Listed {
            api_key: info.api_key,
            description: info.description.unwrap_or_default(),
            created: rfc3339_utc(info.created_at_ms),
        }
    }
}

fn list(args: ListArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let keys: Vec<Listed> = open(&args.store)?
        .list()?
        .into_iter()
        .map(Listed::from)
        .collect();
    match args.output {
        Output::Human => {
            let rows: Vec<[&str; 3]> = keys
                .iter()
                .map(|k| {
                    [
                        k.api_key.as_str(),
                        k.description.as_str(),
                        k.created.as_str(),
                    ]
                })
                .collect();
            write_table(out, ["Key", "Description", "Created"], &rows)?;
        }
        Output::Json => writeln!(out, "{}", serde_json::to_string_pretty(&keys)?)?,
        Output::Yaml => write!(out, "{}", serde_norway::to_string(&keys)?)?,
    }
    Ok(())
}

fn delete(args: DeleteArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if !open(&args.store)?.delete(&args.key)? {
        anyhow::bail!(
            "API key {:?} not found in {}",
            args.key,
            args.store.data_dir.display()
        );
    }
    writeln!(out, "Deleted API key \"{}\".", args.key)?;
    Ok(())
}

/// A column table with a header rule, as `confluent api-key list` prints.
fn write_table(out: &mut dyn Write, header: [&str; 3], rows: &[[&str; 3]]) -> std::io::Result<()> {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 3]| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!(" {c:<w$} "))
            .collect::<Vec<_>>()
            .join("|")
            .trim_end()
            .to_owned()
    };
    writeln!(out, "{}", line(header))?;
    writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("+")
    )?;
    for row in rows {
        writeln!(out, "{}", line(*row))?;
    }
    Ok(())
}

/// Formats milliseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339_utc(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil-from-days (proleptic Gregorian), after Howard Hinnant's public-domain algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Just this command tree, parsed as the binary would.
    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: ApiKeyCommand,
    }

    fn run_args(args: &[&str]) -> anyhow::Result<String> {
        let cli = Cli::try_parse_from(std::iter::once("api-key").chain(args.iter().copied()))?;
        let mut out = Vec::new();
        run_to(cli.cmd, &mut out)?;
        Ok(String::from_utf8(out)?)
    }

    #[test]
    fn create_json_then_list_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let text = run_args(&[
            "create",
            "--data-dir",
            d,
            "--description",
            "west",
            "-o",
            "json",
        ])
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let key = v["api_key"].as_str().unwrap().to_owned();
        let secret = v["api_secret"].as_str().unwrap().to_owned();
        assert_eq!(key.len(), 16);
        assert_eq!(secret.len(), 64);
        // The printed pair is a working credential.
        assert!(ApiKeyStore::open(d).unwrap().verify_plain(&key, &secret));

        let listed = run_args(&["list", "--data-dir", d]).unwrap();
        let mut lines = listed.lines();
        assert!(lines.next().unwrap().contains("Description"));
        lines.next();
        let row = lines.next().unwrap();
        assert!(row.contains(&key) && row.contains("west"), "{listed}");
        assert!(!listed.contains(&secret));

        let json = run_args(&["list", "--data-dir", d, "-o", "json"]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v[0]["api_key"], key.as_str());
        assert_eq!(v[0]["description"], "west");

        let deleted = run_args(&["delete", &key, "--data-dir", d]).unwrap();
        assert!(deleted.contains(&key));
        assert!(!ApiKeyStore::open(d).unwrap().verify_plain(&key, &secret));
        let again = run_args(&["delete", &key, "--data-dir", d]).unwrap_err();
        assert!(again.to_string().contains("not found"), "{again}");
    }

    #[test]
    fn create_human_prints_a_table_with_key_and_secret() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let text = run_args(&["create", "--data-dir", d]).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[1].starts_with("+-") && lines[4] == lines[1]);
        let cell = |line: &str| line.split('|').nth(2).unwrap().trim().to_owned();
        assert!(lines[2].starts_with("| API Key "));
        assert!(lines[3].starts_with("| API Secret "));
        let (key, secret) = (cell(lines[2]), cell(lines[3]));
        assert!(ApiKeyStore::open(d).unwrap().verify_plain(&key, &secret));
    }

    #[test]
    fn yaml_output_and_missing_data_dir_flag() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let text = run_args(&["create", "--data-dir", d, "-o", "yaml"]).unwrap();
        assert!(text.starts_with("api_key: "), "{text}");
        assert!(run_args(&["create"]).is_err());
    }

    #[test]
    fn timestamps_format_as_utc() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_767_225_599_999), "2025-12-31T23:59:59Z");
    }
}
