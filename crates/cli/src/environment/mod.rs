//! `ferry environment create|update|list|use|describe|delete`: named sets
//! of endpoints and credentials (Kafka REST URL, schema registry URL,
//! bootstrap servers, API keys, CA file), so that, as after
//! `confluent environment use`, later commands need no endpoint flags.
//!
//! Stored in `$FERRY_HOME/config.json` ([`store`]); how commands fall back
//! on the active environment is in [`resolve`]. `$FERRY_ENVIRONMENT`
//! selects an environment for one shell without changing the file.

pub(crate) mod resolve;
pub(crate) mod store;

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::kafka::args::OutputArgs;
use crate::kafka::output::{emit, write_key_values, write_table};
use store::{ConfigFile, Profile, config_path};

/// Subcommands of `ferry environment`.
#[derive(Debug, Subcommand)]
pub(crate) enum EnvironmentCommand {
    /// Create an environment.
    Create(CreateArgs),
    /// Change some settings of an environment.
    Update(CreateArgs),
    /// List environments; the active one is marked with `*`.
    List(ListArgs),
    /// Make an environment the active one for later commands.
    Use(NameArgs),
    /// Describe an environment (the active one by default); secrets are not shown.
    Describe(DescribeArgs),
    /// Delete an environment.
    Delete(NameArgs),
}

/// `ferry environment create|update`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Name of the environment.
    name: String,
    /// Kafka REST API v3 base URL, including `/kafka` for `ferry server`
    /// (e.g. http://localhost:8090/kafka).
    #[arg(long, value_name = "URL")]
    rest_url: Option<String>,
    /// Schema registry URL (e.g. http://localhost:8081).
    #[arg(long, value_name = "URL")]
    schema_registry_endpoint: Option<String>,
    /// Kafka bootstrap server(s), `HOST:PORT[,HOST:PORT…]`.
    #[arg(long, value_name = "HOST:PORT")]
    bootstrap: Option<String>,
    /// API key of the cluster (SASL, and HTTP basic auth towards the REST API).
    #[arg(long, value_name = "KEY")]
    api_key: Option<String>,
    /// The secret of --api-key.
    #[arg(long, value_name = "SECRET")]
    api_secret: Option<String>,
    /// API key of the schema registry (default: --api-key).
    #[arg(long, value_name = "KEY")]
    schema_registry_api_key: Option<String>,
    /// The secret of --schema-registry-api-key.
    #[arg(long, value_name = "SECRET")]
    schema_registry_api_secret: Option<String>,
    /// PEM file of the CA that signed the servers' certificates.
    #[arg(long, value_name = "FILE")]
    ca_location: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

/// `ferry environment list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    output: OutputArgs,
}

/// `ferry environment use|delete`.
#[derive(Debug, Args)]
pub(crate) struct NameArgs {
    /// Name of the environment.
    name: String,
    #[command(flatten)]
    output: OutputArgs,
}

/// `ferry environment describe`.
#[derive(Debug, Args)]
pub(crate) struct DescribeArgs {
    /// Name of the environment (default: the active one).
    name: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

pub(crate) fn run(cmd: EnvironmentCommand) -> anyhow::Result<()> {
    let path = config_path()?;
    match cmd {
        EnvironmentCommand::Create(a) => create(&path, a, false),
        EnvironmentCommand::Update(a) => create(&path, a, true),
        EnvironmentCommand::List(a) => list(&path, a),
        EnvironmentCommand::Use(a) => use_environment(&path, a),
        EnvironmentCommand::Describe(a) => describe(&path, a),
        EnvironmentCommand::Delete(a) => delete(&path, a),
    }
}

/// Checks a URL flag: http(s) and usable as a base.
fn check_url(flag: &str, raw: &str) -> anyhow::Result<String> {
    let url = reqwest::Url::parse(raw.trim()).with_context(|| format!("invalid {flag} '{raw}'"))?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https") && !url.cannot_be_a_base(),
        "{flag} must be an http:// or https:// URL, got '{raw}'"
    );
    Ok(raw.trim().to_owned())
}

/// Checks `HOST:PORT[,…]`.
fn check_bootstrap(raw: &str) -> anyhow::Result<String> {
    let servers: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    anyhow::ensure!(!servers.is_empty(), "--bootstrap is empty");
    for s in &servers {
        let port = s.rsplit_once(':').map(|(_, p)| p.parse::<u16>());
        anyhow::ensure!(
            matches!(port, Some(Ok(_))),
            "--bootstrap: '{s}' is not HOST:PORT"
        );
    }
    Ok(servers.join(","))
}

/// Applies the flags given to `profile`.
fn apply(profile: &mut Profile, a: &CreateArgs) -> anyhow::Result<()> {
    if let Some(u) = &a.rest_url {
        profile.rest_url = Some(check_url("--rest-url", u)?);
    }
    if let Some(u) = &a.schema_registry_endpoint {
        profile.schema_registry_endpoint = Some(check_url("--schema-registry-endpoint", u)?);
    }
    if let Some(b) = &a.bootstrap {
        profile.bootstrap = Some(check_bootstrap(b)?);
    }
    if let Some((k, s)) = crate::kafka::rest_client::key_pair(
        a.api_key.as_deref(),
        a.api_secret.as_deref(),
        "--api-key",
        "--api-secret",
    )? {
        profile.api_key = Some(k);
        profile.api_secret = Some(s);
    }
    if let Some((k, s)) = crate::kafka::rest_client::key_pair(
        a.schema_registry_api_key.as_deref(),
        a.schema_registry_api_secret.as_deref(),
        "--schema-registry-api-key",
        "--schema-registry-api-secret",
    )? {
        profile.schema_registry_api_key = Some(k);
        profile.schema_registry_api_secret = Some(s);
    }
    if let Some(ca) = &a.ca_location {
        // Stored absolute, so the environment works from any directory.
        let abs =
            std::path::absolute(ca).with_context(|| format!("--ca-location {}", ca.display()))?;
        std::fs::metadata(&abs)
            .with_context(|| format!("--ca-location: cannot read {}", abs.display()))?;
        profile.ca_location = Some(abs);
    }
    Ok(())
}

fn create(path: &std::path::Path, a: CreateArgs, update: bool) -> anyhow::Result<()> {
    let name = a.name.trim().to_owned();
    anyhow::ensure!(
        !name.is_empty() && !name.chars().any(char::is_control),
        "invalid environment name '{}'",
        a.name
    );
    let mut config = ConfigFile::load(path)?;
    let exists = config.environments.contains_key(&name);
    if update && !exists {
        anyhow::bail!(
            "environment \"{name}\" does not exist; create it with `ferry environment create`"
        );
    }
    if !update && exists {
        anyhow::bail!(
            "environment \"{name}\" already exists; change it with `ferry environment update`, or delete it first"
        );
    }
    let profile = config.environments.entry(name.clone()).or_default();
    apply(profile, &a)?;
    let shown = EnvironmentOut::new(&name, profile, config.current_environment.as_deref());
    config.save(path)?;
    emit(
        &mut std::io::stdout().lock(),
        a.output.output,
        &shown,
        |out: &mut dyn Write| {
            let verb = if update { "Updated" } else { "Created" };
            writeln!(out, "{verb} environment \"{name}\".")?;
            write_key_values(out, &shown.rows())
        },
    )
}

/// An environment as printed: secrets only as `[hidden]`.
#[derive(Debug, Serialize)]
struct EnvironmentOut {
    is_current: bool,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rest_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_registry_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bootstrap: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_secret: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_registry_api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_registry_api_secret: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_location: Option<String>,
}

const HIDDEN: &str = "[hidden]";

impl EnvironmentOut {
    fn new(name: &str, p: &Profile, current: Option<&str>) -> Self {
        Self {
            is_current: current == Some(name),
            name: name.to_owned(),
            rest_url: p.rest_url.clone(),
            schema_registry_endpoint: p.schema_registry_endpoint.clone(),
            bootstrap: p.bootstrap.clone(),
            api_key: p.api_key.clone(),
            api_secret: p.api_secret.as_ref().map(|_| HIDDEN),
            schema_registry_api_key: p.schema_registry_api_key.clone(),
            schema_registry_api_secret: p.schema_registry_api_secret.as_ref().map(|_| HIDDEN),
            ca_location: p.ca_location.as_ref().map(|c| c.display().to_string()),
        }
    }

    fn rows(&self) -> Vec<(&'static str, String)> {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let s = |v: &Option<&str>| v.unwrap_or_default().to_owned();
        let rows = vec![
            ("Current", if self.is_current { "*" } else { "" }.to_owned()),
            ("Name", self.name.clone()),
            ("REST URL", o(&self.rest_url)),
            (
                "Schema Registry Endpoint",
                o(&self.schema_registry_endpoint),
            ),
            ("Bootstrap", o(&self.bootstrap)),
            ("API Key", o(&self.api_key)),
            ("API Secret", s(&self.api_secret)),
            ("Schema Registry API Key", o(&self.schema_registry_api_key)),
            (
                "Schema Registry API Secret",
                s(&self.schema_registry_api_secret),
            ),
            ("CA Location", o(&self.ca_location)),
        ];
        // Unset settings are left out; the name and the marker always show.
        rows.into_iter()
            .filter(|(k, v)| matches!(*k, "Current" | "Name") || !v.is_empty())
            .collect()
    }
}

fn list(path: &std::path::Path, a: ListArgs) -> anyhow::Result<()> {
    let config = ConfigFile::load(path)?;
    // $FERRY_ENVIRONMENT, when set, is what commands use: mark that one.
    let active = resolve::selected(None)?.map(|a| a.name);
    let rows: Vec<EnvironmentOut> = config
        .environments
        .iter()
        .map(|(name, p)| EnvironmentOut::new(name, p, active.as_deref()))
        .collect();
    emit(
        &mut std::io::stdout().lock(),
        a.output.output,
        &rows,
        |out: &mut dyn Write| {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        if r.is_current { "*" } else { "" }.to_owned(),
                        r.name.clone(),
                        r.rest_url.clone().unwrap_or_default(),
                        r.schema_registry_endpoint.clone().unwrap_or_default(),
                        r.bootstrap.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            write_table(
                out,
                &[
                    "Current",
                    "Name",
                    "REST URL",
                    "Schema Registry Endpoint",
                    "Bootstrap",
                ],
                &table,
            )
        },
    )
}

#[derive(Debug, Serialize)]
struct Named<'a> {
    name: &'a str,
}

fn use_environment(path: &std::path::Path, a: NameArgs) -> anyhow::Result<()> {
    let mut config = ConfigFile::load(path)?;
    anyhow::ensure!(
        config.environments.contains_key(&a.name),
        "environment \"{}\" does not exist; see `ferry environment list`",
        a.name
    );
    config.current_environment = Some(a.name.clone());
    config.save(path)?;
    emit(
        &mut std::io::stdout().lock(),
        a.output.output,
        &Named { name: &a.name },
        |out: &mut dyn Write| {
            writeln!(
                out,
                "Now using \"{}\" as the default (active) environment.",
                a.name
            )?;
            if let Ok(v) = std::env::var(resolve::ENVIRONMENT_VAR)
                && !v.trim().is_empty()
                && v.trim() != a.name
            {
                writeln!(
                    out,
                    "Note: {}={} is set and takes precedence in this shell.",
                    resolve::ENVIRONMENT_VAR,
                    v.trim()
                )?;
            }
            Ok(())
        },
    )
}

fn describe(path: &std::path::Path, a: DescribeArgs) -> anyhow::Result<()> {
    let config = ConfigFile::load(path)?;
    let active = resolve::selected(None)?.map(|a| a.name);
    let name = match (&a.name, &active) {
        (Some(n), _) => n.clone(),
        (None, Some(n)) => n.clone(),
        (None, None) => anyhow::bail!(
            "no active environment: name one, or choose one with `ferry environment use NAME`"
        ),
    };
    let profile = config.environments.get(&name).with_context(|| {
        format!("environment \"{name}\" does not exist; see `ferry environment list`")
    })?;
    let shown = EnvironmentOut::new(&name, profile, active.as_deref());
    emit(
        &mut std::io::stdout().lock(),
        a.output.output,
        &shown,
        |out: &mut dyn Write| write_key_values(out, &shown.rows()),
    )
}

fn delete(path: &std::path::Path, a: NameArgs) -> anyhow::Result<()> {
    let mut config = ConfigFile::load(path)?;
    anyhow::ensure!(
        config.environments.remove(&a.name).is_some(),
        "environment \"{}\" does not exist; see `ferry environment list`",
        a.name
    );
    if config.current_environment.as_deref() == Some(a.name.as_str()) {
        config.current_environment = None;
    }
    config.save(path)?;
    emit(
        &mut std::io::stdout().lock(),
        a.output.output,
        &Named { name: &a.name },
        |out: &mut dyn Write| writeln!(out, "Deleted environment \"{}\".", a.name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_and_urls_are_checked() {
        assert_eq!(check_bootstrap(" a:1, b:2 ,").unwrap(), "a:1,b:2");
        assert!(check_bootstrap("a").is_err());
        assert!(check_bootstrap("a:x").is_err());
        assert!(check_bootstrap(",").is_err());
        assert!(check_url("--rest-url", "http://h:1/kafka").is_ok());
        assert!(check_url("--rest-url", "ftp://h").is_err());
        assert!(check_url("--rest-url", "h:1").is_err());
    }
}
