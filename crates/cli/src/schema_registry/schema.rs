//! `ferry schema-registry schema create|describe`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use ferry_registry::client::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::connection::{Registry, RegistryArgs, path};
use crate::kafka::output::emit;

/// Subcommands of `ferry schema-registry schema`.
#[derive(Debug, Subcommand)]
pub(crate) enum SchemaCommand {
    /// Register a schema under a subject.
    Create(CreateArgs),
    /// Describe a schema by ID, or by subject and version.
    Describe(DescribeArgs),
}

/// `--type`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum SchemaType {
    /// Apache Avro.
    #[default]
    Avro,
    /// JSON Schema.
    Json,
    /// Protocol Buffers.
    Protobuf,
}

impl SchemaType {
    fn rest(self) -> &'static str {
        match self {
            Self::Avro => "AVRO",
            Self::Json => "JSON",
            Self::Protobuf => "PROTOBUF",
        }
    }
}

/// `ferry schema-registry schema create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The subject to register under.
    #[arg(long, value_name = "SUBJECT")]
    subject: String,
    /// The file holding the schema.
    #[arg(long, value_name = "FILE")]
    schema: PathBuf,
    /// The schema's type.
    #[arg(long = "type", value_enum, default_value_t)]
    schema_type: SchemaType,
    /// A JSON file of references: `[{"name": …, "subject": …, "version": …}]`.
    #[arg(long, value_name = "FILE")]
    references: Option<PathBuf>,
    /// Ask the registry to normalize the schema.
    #[arg(long)]
    normalize: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `ferry schema-registry schema describe`.
#[derive(Debug, Args)]
pub(crate) struct DescribeArgs {
    /// The schema's ID (or give --subject and --version).
    #[arg(value_name = "ID")]
    id: Option<i32>,
    /// The subject: with an ID, the context to look it up in; without one,
    /// the subject whose --version to show.
    #[arg(long, value_name = "SUBJECT")]
    subject: Option<String>,
    /// The version (a number, or `latest`), with --subject.
    #[arg(long, value_name = "VERSION", allow_hyphen_values = true)]
    version: Option<String>,
    /// Also show the schemas it references, recursively.
    #[arg(long)]
    show_references: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

pub(crate) async fn run(cmd: SchemaCommand) -> anyhow::Result<()> {
    match cmd {
        SchemaCommand::Create(a) => create(a).await,
        SchemaCommand::Describe(a) => describe(a).await,
    }
}

/// A schema reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Reference {
    name: String,
    subject: String,
    version: i32,
}

fn read_references(file: &PathBuf) -> anyhow::Result<Vec<Reference>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read --references {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "--references {}: expected a JSON array of {{\"name\", \"subject\", \"version\"}}",
            file.display()
        )
    })
}

#[derive(Debug, Serialize)]
struct Registered {
    id: i64,
}

async fn create(a: CreateArgs) -> anyhow::Result<()> {
    let schema = std::fs::read_to_string(&a.schema)
        .with_context(|| format!("cannot read --schema {}", a.schema.display()))?;
    let mut body = json!({"schema": schema, "schemaType": a.schema_type.rest()});
    if let Some(file) = &a.references {
        body["references"] = json!(read_references(file)?);
    }
    let registry = Registry::connect(&a.registry)?;
    let query = if a.normalize {
        vec![("normalize", "true".to_owned())]
    } else {
        Vec::new()
    };
    let answer = registry
        .call(
            Method::POST,
            &path(&["subjects", &a.subject, "versions"], &query),
            Some(&body),
        )
        .await?;
    let id = answer
        .get("id")
        .and_then(Value::as_i64)
        .with_context(|| format!("the registry's answer has no id: {answer}"))?;
    emit(
        &mut std::io::stdout().lock(),
        a.registry.output.output,
        &Registered { id },
        |out: &mut dyn Write| writeln!(out, "Successfully registered schema with ID \"{id}\"."),
    )
}

/// What the registry returns for an id or a subject version.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fetched {
    #[serde(default)]
    id: Option<i32>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    version: Option<i32>,
    #[serde(default)]
    schema_type: Option<String>,
    schema: String,
    #[serde(default)]
    references: Vec<Reference>,
}

/// A schema as `describe` prints and serializes it.
#[derive(Debug, Serialize)]
struct SchemaOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i32>,
    #[serde(rename = "type")]
    schema_type: String,
    schema: String,
    references: Vec<Reference>,
    /// The referenced schemas (with --show-references), depth first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    referenced_schemas: Vec<SchemaOut>,
}

impl SchemaOut {
    fn from(f: Fetched, id: Option<i32>) -> Self {
        Self {
            schema_id: f.id.or(id),
            subject: f.subject,
            version: f.version,
            schema_type: f.schema_type.unwrap_or_else(|| "AVRO".to_owned()),
            schema: f.schema,
            references: f.references,
            referenced_schemas: Vec::new(),
        }
    }

    fn write(&self, out: &mut dyn Write, heading: Option<&str>) -> std::io::Result<()> {
        if let Some(h) = heading {
            writeln!(out, "{h}")?;
        }
        if let Some(id) = self.schema_id {
            writeln!(out, "Schema ID: {id}")?;
        }
        if let (Some(s), Some(v)) = (&self.subject, self.version) {
            writeln!(out, "Subject: {s}")?;
            writeln!(out, "Version: {v}")?;
        }
        writeln!(out, "Type: {}", self.schema_type)?;
        writeln!(out, "Schema: {}", self.schema)?;
        if !self.references.is_empty() {
            writeln!(out, "References:")?;
            for r in &self.references {
                writeln!(out, "\t{} -> {} {}", r.name, r.subject, r.version)?;
            }
        }
        for r in &self.referenced_schemas {
            writeln!(out)?;
            let heading = format!(
                "Referenced schema (subject {}, version {}):",
                r.subject.as_deref().unwrap_or_default(),
                r.version.unwrap_or_default()
            );
            r.write(out, Some(&heading))?;
        }
        Ok(())
    }
}

/// Bounds `--show-references` on a registry that answers with a cycle.
const MAX_REFERENCED: usize = 1000;

/// Fetches the schemas `root` references, and theirs, each once.
async fn resolve_references(registry: &Registry, root: &mut SchemaOut) -> anyhow::Result<()> {
    let mut seen: BTreeSet<(String, i32)> = BTreeSet::new();
    let mut stack: Vec<Reference> = root.references.iter().rev().cloned().collect();
    while let Some(r) = stack.pop() {
        if !seen.insert((r.subject.clone(), r.version)) {
            continue;
        }
        anyhow::ensure!(
            seen.len() <= MAX_REFERENCED,
            "more than {MAX_REFERENCED} referenced schemas"
        );
        let fetched: Fetched = registry
            .get(&path(
                &["subjects", &r.subject, "versions", &r.version.to_string()],
                &[],
            ))
            .await
            .with_context(|| format!("reference \"{}\"", r.name))?;
        let schema = SchemaOut::from(fetched, None);
        stack.extend(schema.references.iter().rev().cloned());
        root.referenced_schemas.push(schema);
    }
    Ok(())
}

async fn describe(a: DescribeArgs) -> anyhow::Result<()> {
    let request = match (a.id, &a.subject, &a.version) {
        (Some(_), _, Some(_)) => {
            anyhow::bail!("give either a schema ID or --subject with --version, not both")
        }
        (Some(id), subject, None) => {
            let query: Vec<(&str, String)> =
                subject.iter().map(|s| ("subject", s.clone())).collect();
            (path(&["schemas", "ids", &id.to_string()], &query), Some(id))
        }
        (None, Some(subject), Some(version)) => (
            path(&["subjects", subject, "versions", version.trim()], &[]),
            None,
        ),
        (None, _, _) => anyhow::bail!("give a schema ID, or --subject and --version"),
    };
    let registry = Registry::connect(&a.registry)?;
    let fetched: Fetched = registry.get(&request.0).await?;
    let mut shown = SchemaOut::from(fetched, request.1);
    if a.show_references {
        resolve_references(&registry, &mut shown).await?;
    }
    emit(
        &mut std::io::stdout().lock(),
        a.registry.output.output,
        &shown,
        |out: &mut dyn Write| shown.write(out, None),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_output_lists_id_type_schema_and_references() {
        let shown = SchemaOut::from(
            Fetched {
                id: None,
                subject: None,
                version: None,
                schema_type: None,
                schema: "\"string\"".into(),
                references: vec![Reference {
                    name: "other.avsc".into(),
                    subject: "other".into(),
                    version: 2,
                }],
            },
            Some(7),
        );
        let mut out = Vec::new();
        shown.write(&mut out, None).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Schema ID: 7\nType: AVRO\nSchema: \"string\"\nReferences:\n\tother.avsc -> other 2\n"
        );
    }
}
