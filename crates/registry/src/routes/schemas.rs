//! `/schemas…` and `/contexts`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::{Params, SchemaBody, flag, ok, page, raw};
use crate::error::ApiError;
use crate::record::SchemaReference;
use crate::state::Version;
use crate::store::Registry;
use crate::subject::QualifiedSubject;

pub(super) fn routes() -> Router<Arc<Registry>> {
    Router::new()
        .route("/schemas", get(list_schemas))
        .route("/schemas/types", get(types))
        .route("/schemas/ids/{id}", get(by_id))
        .route("/schemas/ids/{id}/schema", get(by_id_schema))
        .route("/schemas/ids/{id}/subjects", get(by_id_subjects))
        .route("/schemas/ids/{id}/versions", get(by_id_versions))
        .route("/contexts", get(contexts))
}

/// Confluent's `SchemaString`.
#[derive(Debug, Serialize)]
struct SchemaString {
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    schema_type: Option<String>,
    schema: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<SchemaReference>,
}

fn parse_id(text: &str) -> Result<i32, ApiError> {
    text.parse::<i32>()
        .map_err(|_| ApiError::schema_not_found(format!("Schema {text} not found")))
}

/// The `?subject=` a lookup by id names, if given (its context narrows the
/// lookup; see [`Registry::schema_by_id`]).
fn subject_param(q: &Params) -> Option<&str> {
    q.get("subject")
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

fn find(registry: &Registry, id: &str, q: &Params) -> Result<Version, ApiError> {
    let id = parse_id(id)?;
    registry
        .schema_by_id(id, subject_param(q))
        .ok_or_else(|| ApiError::schema_not_found(format!("Schema {id} not found")))
}

async fn by_id(
    State(registry): State<Arc<Registry>>,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, ApiError> {
    let v = find(&registry, &id, &q)?;
    Ok(ok(SchemaString {
        schema_type: v.schema_type.to_option(),
        schema: v.schema,
        references: v.references,
    }))
}

async fn by_id_schema(
    State(registry): State<Arc<Registry>>,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, ApiError> {
    Ok(raw(find(&registry, &id, &q)?.schema))
}

/// Every version holding the id in the found schema's context.
fn holders(registry: &Registry, id: &str, q: &Params) -> Result<Vec<Version>, ApiError> {
    let found = find(registry, id, q)?;
    let context = QualifiedSubject::context_of(&found.subject);
    let deleted = flag(q, "deleted");
    let state = registry.state();
    Ok(state
        .by_id(&context, found.id)
        .into_iter()
        .filter(|v| deleted || !v.deleted)
        .cloned()
        .collect())
}

async fn by_id_subjects(
    State(registry): State<Arc<Registry>>,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, ApiError> {
    let mut subjects: Vec<String> = holders(&registry, &id, &q)?
        .into_iter()
        .map(|v| v.subject)
        .collect();
    subjects.dedup();
    Ok(ok(subjects))
}

#[derive(Debug, Serialize)]
struct SubjectVersion {
    subject: String,
    version: i32,
}

async fn by_id_versions(
    State(registry): State<Arc<Registry>>,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, ApiError> {
    let versions: Vec<SubjectVersion> = holders(&registry, &id, &q)?
        .into_iter()
        .map(|v| SubjectVersion {
            subject: v.subject,
            version: v.version,
        })
        .collect();
    Ok(ok(versions))
}

async fn types() -> Response {
    ok(["JSON", "PROTOBUF", "AVRO"])
}

async fn contexts(State(registry): State<Arc<Registry>>, Query(q): Query<Params>) -> Response {
    let contexts: Vec<String> = registry.state().contexts().into_iter().collect();
    ok(page(contexts, &q))
}

async fn list_schemas(State(registry): State<Arc<Registry>>, Query(q): Query<Params>) -> Response {
    let deleted = flag(&q, "deleted");
    let latest_only = flag(&q, "latestOnly");
    let prefix = q
        .get("subjectPrefix")
        .map(String::as_str)
        .filter(|p| !p.is_empty() && *p != ":*:");
    let state = registry.state();
    let mut out = Vec::new();
    for (subject, versions) in &state.subjects {
        if prefix.is_some_and(|p| !subject.starts_with(p)) {
            continue;
        }
        let live: Vec<&Version> = versions
            .values()
            .filter(|v| deleted || !v.deleted)
            .collect();
        if latest_only {
            out.extend(live.last().map(|v| SchemaBody::from(*v)));
        } else {
            out.extend(live.into_iter().map(SchemaBody::from));
        }
    }
    ok(page(out, &q))
}
