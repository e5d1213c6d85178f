//! Flags every `ferry schema-registry …` command takes, and the client
//! built from them (or from the active environment).

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;

use clap::Args;
use ferry_registry::client::{ClientError, Method, RegistryClient};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::environment::resolve::{SCHEMA_REGISTRY, endpoint};
use crate::kafka::args::OutputArgs;
use crate::kafka::rest_client::key_pair;

/// Where the registry is, how to authenticate, and the output format.
#[derive(Debug, Clone, Args)]
pub(crate) struct RegistryArgs {
    /// The schema registry's URL (e.g. http://localhost:8081). Defaults to
    /// --environment's, then $FERRY_SCHEMA_REGISTRY_URL, then the active
    /// environment's (`ferry environment use`).
    #[arg(long, value_name = "URL")]
    pub(crate) schema_registry_endpoint: Option<String>,
    /// The environment (`ferry environment create`) whose registry URL,
    /// API key and CA to use when --schema-registry-endpoint is not given
    /// (default: $FERRY_ENVIRONMENT, then the active one).
    #[arg(long, value_name = "NAME")]
    pub(crate) environment: Option<String>,
    /// API key for HTTP basic authentication towards the registry.
    #[arg(long, env = "FERRY_SCHEMA_REGISTRY_API_KEY", value_name = "KEY")]
    pub(crate) api_key: Option<String>,
    /// The secret of --api-key.
    #[arg(
        long,
        env = "FERRY_SCHEMA_REGISTRY_API_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub(crate) api_secret: Option<String>,
    /// PEM file of the CA that signed the registry's certificate (https).
    #[arg(long, alias = "ca-location", value_name = "FILE")]
    pub(crate) certificate_authority_path: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// An error answer of the registry: Confluent's message and error code.
#[derive(Debug)]
pub(crate) struct RegistryApiError {
    /// HTTP status.
    pub(crate) status: u16,
    /// Confluent's `error_code`.
    pub(crate) error_code: i32,
    /// Confluent's `message`.
    pub(crate) message: String,
}

impl std::fmt::Display for RegistryApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (HTTP {}, error code {})",
            self.message, self.status, self.error_code
        )
    }
}

impl std::error::Error for RegistryApiError {}

/// A client of the registry the flags name.
#[derive(Debug)]
pub(crate) struct Registry {
    client: RegistryClient,
}

impl Registry {
    /// Settles the URL, credentials and CA (flags first, then the
    /// environment, whose credentials go only to its own URL).
    pub(crate) fn connect(args: &RegistryArgs) -> anyhow::Result<Self> {
        let endpoint = endpoint(
            SCHEMA_REGISTRY,
            args.schema_registry_endpoint.as_deref(),
            args.environment.as_deref(),
        )?;
        let flags = key_pair(
            args.api_key.as_deref(),
            args.api_secret.as_deref(),
            "--api-key",
            "--api-secret",
        )?;
        let profile = endpoint.profile();
        let auth = flags
            .or_else(|| profile.and_then(|p| p.registry_credentials()))
            .map(|(k, s)| format!("{k}:{s}"));
        let ca = args
            .certificate_authority_path
            .clone()
            .or_else(|| profile.and_then(|p| p.ca_location.clone()));
        let client = RegistryClient::new(&endpoint.value, auth.as_deref(), ca.as_deref())?;
        Ok(Self { client })
    }

    /// One call; an error answer becomes a [`RegistryApiError`].
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        match self.client.request(method, path, body).await {
            Ok(v) => Ok(v),
            Err(ClientError::Api {
                status,
                error_code,
                message,
            }) => Err(RegistryApiError {
                status,
                error_code,
                message,
            }
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// A GET whose answer is decoded as `T`.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let value = self.call(Method::GET, path, None).await?;
        serde_json::from_value(value).map_err(|e| {
            anyhow::anyhow!(
                "unexpected answer from the schema registry at {}{path}: {e}",
                self.client.url()
            )
        })
    }
}

/// `/a/b?k=v`, each segment and value percent-encoded.
pub(crate) fn path(segments: &[&str], query: &[(&str, String)]) -> String {
    let mut out = String::new();
    for s in segments {
        out.push('/');
        out.push_str(&ferry_registry::client::encode_path_segment(s));
    }
    for (i, (k, v)) in query.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(&ferry_registry::client::encode_path_segment(v));
    }
    out
}

/// Asks `question` on the terminal; without one, `--force` is required.
pub(crate) fn confirm(question: &str) -> anyhow::Result<bool> {
    let stdin = std::io::stdin();
    anyhow::ensure!(
        stdin.is_terminal(),
        "refusing without confirmation: stdin is not a terminal; pass --force"
    );
    let mut err = std::io::stderr().lock();
    write!(err, "{question} (y/n): ")?;
    err.flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_encode_segments_and_query_values() {
        assert_eq!(
            path(&["subjects", ":.ctx:a b", "versions"], &[]),
            "/subjects/:.ctx:a%20b/versions"
        );
        assert_eq!(
            path(
                &["subjects"],
                &[("subjectPrefix", "a&b".into()), ("deleted", "true".into())]
            ),
            "/subjects?subjectPrefix=a%26b&deleted=true"
        );
    }

    #[test]
    fn api_errors_show_message_status_and_code() {
        let e = RegistryApiError {
            status: 404,
            error_code: 40401,
            message: "Subject 'x' not found.".into(),
        };
        assert_eq!(
            e.to_string(),
            "Subject 'x' not found. (HTTP 404, error code 40401)"
        );
    }
}
