//! Which environment a command falls back on, and the endpoints and
//! credentials it takes from it when its own flags name none.
//!
//! Order, for every endpoint: the command's flag (`--url`,
//! `--schema-registry-endpoint`), then the environment named by
//! `--environment`, then the endpoint's variable (`FERRY_REST_URL`,
//! `FERRY_SCHEMA_REGISTRY_URL`, …), then the environment named by
//! `$FERRY_ENVIRONMENT`, else the one chosen with `ferry environment use`.
//!
//! An environment's credentials and CA file go only to that environment's
//! own endpoint: a secret stored for one server is never sent to a URL
//! given on the command line.

use std::path::PathBuf;

use anyhow::Context as _;
use ferry_client::{ClientConfig, SecurityProtocol};

use super::store::{ConfigFile, Profile, config_path};

/// The variable that selects an environment for one shell or one command,
/// overriding `ferry environment use`.
pub(crate) const ENVIRONMENT_VAR: &str = "FERRY_ENVIRONMENT";

/// An environment picked for a command.
#[derive(Debug, Clone)]
pub(crate) struct Active {
    /// Its name.
    pub(crate) name: String,
    /// Its endpoints and credentials.
    pub(crate) profile: Profile,
}

/// The environment named `name` (which must exist), or, with no name,
/// `$FERRY_ENVIRONMENT`'s, else the current one; `None` when none is chosen.
pub(crate) fn selected(name: Option<&str>) -> anyhow::Result<Option<Active>> {
    let from_var = std::env::var(ENVIRONMENT_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let path = config_path()?;
    let config = ConfigFile::load(&path)?;
    let (name, why) = match (name, from_var) {
        (Some(n), _) => (n.to_owned(), "--environment"),
        (None, Some(v)) => (v.trim().to_owned(), ENVIRONMENT_VAR),
        (None, None) => match config.current_environment.clone() {
            Some(n) => (n, "`ferry environment use`"),
            None => return Ok(None),
        },
    };
    match config.environments.get(&name) {
        Some(profile) => Ok(Some(Active {
            name,
            profile: profile.clone(),
        })),
        None => anyhow::bail!(
            "environment \"{name}\" (from {why}) does not exist in {}; see `ferry environment list`",
            path.display()
        ),
    }
}

/// An endpoint and the environment it came from, if any.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// The URL or address.
    pub(crate) value: String,
    /// The environment that supplied it; `None` for a flag or a variable.
    pub(crate) environment: Option<Active>,
}

impl Endpoint {
    /// The environment's profile when the endpoint is its own.
    pub(crate) fn profile(&self) -> Option<&Profile> {
        self.environment.as_ref().map(|a| &a.profile)
    }
}

/// What one kind of endpoint is called, for lookups and messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EndpointKind {
    /// What it is called in messages, e.g. `REST URL`.
    pub(crate) what: &'static str,
    /// The flag, e.g. `--url`.
    pub(crate) flag: &'static str,
    /// Variables consulted after `--environment`, in order.
    pub(crate) vars: &'static [&'static str],
    /// The `ferry environment create` flag that stores it.
    pub(crate) create_flag: &'static str,
    /// Reads it from a profile.
    pub(crate) pick: fn(&Profile) -> Option<&String>,
}

/// The Kafka REST API v3 base URL.
pub(crate) const REST_URL: EndpointKind = EndpointKind {
    what: "REST URL",
    flag: "--url",
    vars: &["FERRY_REST_URL", "CONFLUENT_REST_URL"],
    create_flag: "--rest-url",
    pick: |p| p.rest_url.as_ref(),
};

/// The schema registry base URL.
pub(crate) const SCHEMA_REGISTRY: EndpointKind = EndpointKind {
    what: "schema registry endpoint",
    flag: "--schema-registry-endpoint",
    vars: &["FERRY_SCHEMA_REGISTRY_URL"],
    create_flag: "--schema-registry-endpoint",
    pick: |p| p.schema_registry_endpoint.as_ref(),
};

/// Settles an endpoint in the order the module describes.
pub(crate) fn endpoint(
    kind: EndpointKind,
    flag: Option<&str>,
    environment: Option<&str>,
) -> anyhow::Result<Endpoint> {
    if let Some(v) = flag.map(str::trim).filter(|v| !v.is_empty()) {
        return Ok(Endpoint {
            value: v.to_owned(),
            environment: None,
        });
    }
    if environment.is_some() {
        return from_environment(kind, environment);
    }
    for var in kind.vars {
        if let Some(v) = std::env::var(var).ok().filter(|v| !v.trim().is_empty()) {
            return Ok(Endpoint {
                value: v.trim().to_owned(),
                environment: None,
            });
        }
    }
    from_environment(kind, None)
}

fn from_environment(kind: EndpointKind, name: Option<&str>) -> anyhow::Result<Endpoint> {
    match selected(name)? {
        Some(active) => match (kind.pick)(&active.profile) {
            Some(v) => Ok(Endpoint {
                value: v.clone(),
                environment: Some(active),
            }),
            None => anyhow::bail!(
                "environment \"{}\" has no {}: pass {}, or store one with `ferry environment update {} {} …`",
                active.name,
                kind.what,
                kind.flag,
                active.name,
                kind.create_flag
            ),
        },
        None => anyhow::bail!(
            "no {}: pass {}{}, or choose an environment that has one (`ferry environment create NAME {} …` then `ferry environment use NAME`)",
            kind.what,
            kind.flag,
            kind.vars
                .iter()
                .map(|v| format!(", set {v}"))
                .collect::<String>(),
            kind.create_flag
        ),
    }
}

/// Fills the bootstrap servers, credentials and CA of a Kafka client from
/// the selected environment when nothing else named a cluster
/// (`config.bootstrap` empty after flags, properties file and
/// `$FERRY_BOOTSTRAP`). Credentials and the CA are taken only when the
/// flags set none. Returns whether an environment supplied the cluster.
///
/// For `ferry kafka topic|consumer …` (`ConnectionArgs::client_config`).
pub(crate) fn fill_client_config(
    config: &mut ClientConfig,
    environment: Option<&str>,
) -> anyhow::Result<bool> {
    if !config.bootstrap.is_empty() {
        return Ok(false);
    }
    let Some(active) = selected(environment)? else {
        return Ok(false);
    };
    let Some(bootstrap) = &active.profile.bootstrap else {
        return Ok(false);
    };
    config.bootstrap = bootstrap
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if config.username.is_none()
        && let Some((key, secret)) = active.profile.cluster_credentials()
    {
        config.username = Some(key);
        config.password = Some(secret);
        if !config.security_protocol.uses_sasl() {
            config.security_protocol = if config.security_protocol.uses_tls() {
                SecurityProtocol::SaslSsl
            } else {
                SecurityProtocol::SaslPlaintext
            };
        }
    }
    if config.ca_pem.is_none()
        && let Some(ca) = &active.profile.ca_location
    {
        config.ca_pem = Some(read_ca(ca, &active.name)?);
        if !config.security_protocol.uses_tls() {
            config.security_protocol = if config.security_protocol.uses_sasl() {
                SecurityProtocol::SaslSsl
            } else {
                SecurityProtocol::Ssl
            };
        }
    }
    Ok(true)
}

fn read_ca(path: &PathBuf, environment: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| {
        format!(
            "cannot read the CA file {} of environment \"{environment}\"",
            path.display()
        )
    })
}
