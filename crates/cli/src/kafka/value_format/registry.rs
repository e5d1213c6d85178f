//! The registry side of schema-aware produce and consume: the flags, the
//! client, and fetching a schema with its references.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use ferry_registry::client::{
    FetchedReference, FetchedSchema, Method, RegistryClient, encode_path_segment,
};

use crate::environment::resolve::{SCHEMA_REGISTRY, endpoint};

/// How deep schema references may nest.
const MAX_REFERENCE_DEPTH: usize = 32;

/// Where the schema registry is, named as in the `confluent` CLI.
#[derive(Debug, Clone, Args)]
pub(crate) struct RegistryArgs {
    /// The schema registry's URL. Defaults to $FERRY_SCHEMA_REGISTRY_URL,
    /// then the active environment's (`ferry environment use`).
    #[arg(long, value_name = "URL")]
    pub(crate) schema_registry_endpoint: Option<String>,
    /// API key for the schema registry (HTTP Basic).
    #[arg(long, env = "FERRY_SCHEMA_REGISTRY_API_KEY", value_name = "KEY")]
    pub(crate) schema_registry_api_key: Option<String>,
    /// Secret of --schema-registry-api-key.
    #[arg(
        long,
        env = "FERRY_SCHEMA_REGISTRY_API_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub(crate) schema_registry_api_secret: Option<String>,
    /// PEM file of the CA that signed the schema registry's certificate.
    #[arg(long, value_name = "FILE")]
    pub(crate) certificate_authority_path: Option<PathBuf>,
}

impl RegistryArgs {
    /// A client of the registry: flags first, then the environment (whose
    /// credentials and CA go only to its own URL).
    pub(crate) fn client(&self) -> anyhow::Result<RegistryClient> {
        let endpoint = endpoint(
            SCHEMA_REGISTRY,
            self.schema_registry_endpoint.as_deref(),
            None,
        )?;
        let flags = match (
            &self.schema_registry_api_key,
            &self.schema_registry_api_secret,
        ) {
            (Some(k), Some(s)) => Some((k.clone(), s.clone())),
            (None, None) => None,
            _ => bail!("--schema-registry-api-key and --schema-registry-api-secret go together"),
        };
        let profile = endpoint.profile();
        let auth = flags
            .or_else(|| profile.and_then(|p| p.registry_credentials()))
            .map(|(k, s)| format!("{k}:{s}"));
        let ca = self
            .certificate_authority_path
            .clone()
            .or_else(|| profile.and_then(|p| p.ca_location.clone()));
        Ok(RegistryClient::new(
            &endpoint.value,
            auth.as_deref(),
            ca.as_deref(),
        )?)
    }
}

/// A schema with the texts of everything it references, transitively, as
/// `(reference name, text)` with dependencies first.
#[derive(Debug, Clone)]
pub(crate) struct SchemaWithReferences {
    /// AVRO, JSON or PROTOBUF.
    pub(crate) schema_type: String,
    /// The schema text.
    pub(crate) text: String,
    /// The referenced schemas.
    pub(crate) references: Vec<(String, String)>,
}

/// `.ctx` from `.ctx`, `ctx` or `:.ctx:`; `None` for the default context.
pub(crate) fn normalize_context(context: &str) -> Option<String> {
    let c = context.trim().trim_matches(':');
    let c = c.trim_start_matches('.');
    (!c.is_empty()).then(|| format!(".{c}"))
}

/// A subject qualified with `context` unless it names one itself.
fn qualify(subject: &str, context: Option<&str>) -> String {
    match context {
        Some(ctx) if !subject.starts_with(":.") => format!(":{ctx}:{subject}"),
        _ => subject.to_owned(),
    }
}

/// The schema with `id`, looked up in `context` (`.ctx`) when given, with
/// its references.
pub(crate) async fn schema_by_id(
    client: &RegistryClient,
    id: i32,
    context: Option<&str>,
) -> Result<SchemaWithReferences, ferry_registry::client::ClientError> {
    let subject = context.map(|c| format!(":{c}:"));
    let fetched = client.schema_by_id(id, subject.as_deref()).await?;
    let references = references(client, &fetched.references, context).await?;
    Ok(SchemaWithReferences {
        schema_type: fetched.schema_type,
        text: fetched.schema,
        references,
    })
}

/// The texts of `refs` and of what they reference, dependencies first,
/// each subject/version once.
pub(crate) async fn references(
    client: &RegistryClient,
    refs: &[FetchedReference],
    context: Option<&str>,
) -> Result<Vec<(String, String)>, ferry_registry::client::ClientError> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    // Depth-first with an explicit stack: (reference, depth, children done).
    let mut stack: Vec<(FetchedReference, usize, Option<FetchedSchema>)> =
        refs.iter().rev().map(|r| (r.clone(), 0, None)).collect();
    while let Some((r, depth, fetched)) = stack.pop() {
        match fetched {
            Some(schema) => out.push((r.name.clone(), schema.schema)),
            None => {
                let key = (r.subject.clone(), r.version);
                if depth > MAX_REFERENCE_DEPTH || !seen.insert(key) {
                    continue;
                }
                let path = format!(
                    "/subjects/{}/versions/{}",
                    encode_path_segment(&qualify(&r.subject, context)),
                    r.version
                );
                let value = client.request(Method::GET, &path, None).await?;
                let schema: FetchedSchema = serde_json::from_value(value).map_err(|e| {
                    ferry_registry::client::ClientError::Transport {
                        url: format!("{}{path}", client.url()),
                        reason: format!("unexpected answer: {e}"),
                    }
                })?;
                let children = schema.references.clone();
                stack.push((r, depth, Some(schema)));
                for child in children.into_iter().rev() {
                    stack.push((child, depth + 1, None));
                }
            }
        }
    }
    Ok(out)
}

/// Reads a references file: a JSON array of `{"name","subject","version"}`
/// (the `confluent` CLI's `--references`).
pub(crate) fn read_references_file(
    path: &std::path::Path,
) -> anyhow::Result<Vec<FetchedReference>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the references file {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: expected a JSON array of {{\"name\", \"subject\", \"version\"}}",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_normalize_and_qualify() {
        assert_eq!(normalize_context(".ctx").as_deref(), Some(".ctx"));
        assert_eq!(normalize_context("ctx").as_deref(), Some(".ctx"));
        assert_eq!(normalize_context(":.ctx:").as_deref(), Some(".ctx"));
        assert_eq!(normalize_context("."), None);
        assert_eq!(normalize_context(""), None);
        assert_eq!(qualify("a-value", Some(".ctx")), ":.ctx:a-value");
        assert_eq!(qualify(":.other:a", Some(".ctx")), ":.other:a");
        assert_eq!(qualify("a", None), "a");
    }
}
