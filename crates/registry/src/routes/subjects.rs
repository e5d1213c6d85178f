//! `/subjects…` and `/compatibility/subjects…`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;

use super::{Params, SchemaBody, body, flag, ok, page, parse_version, raw};
use crate::error::ApiError;
use crate::record::SchemaReference;
use crate::store::{NewSchema, Registry};
use crate::types::SchemaType;

pub(super) fn routes() -> Router<Arc<Registry>> {
    Router::new()
        .route("/subjects", get(list_subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route(
            "/subjects/{subject}/versions",
            get(list_versions).post(register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(get_version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(get_version_schema),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(referenced_by),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(compatibility_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatibility_one),
        )
}

/// The body of register, lookup and compatibility requests.
#[derive(Debug, Deserialize)]
struct SchemaRequest {
    #[serde(default)]
    schema: Option<String>,
    #[serde(rename = "schemaType", default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Option<Vec<SchemaReference>>,
    #[serde(default)]
    id: Option<i32>,
    #[serde(default)]
    version: Option<i32>,
}

fn new_schema(bytes: &Bytes) -> Result<NewSchema, ApiError> {
    let request: SchemaRequest = body(bytes)?;
    let schema = request
        .schema
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::invalid_schema("Empty schema"))?;
    let schema_type = SchemaType::from_option(request.schema_type.as_deref()).ok_or_else(|| {
        ApiError::invalid_schema(format!(
            "Invalid schema type {}",
            request.schema_type.unwrap_or_default()
        ))
    })?;
    Ok(NewSchema {
        schema,
        schema_type,
        references: request.references.unwrap_or_default(),
        id: request.id,
        version: request.version,
    })
}

async fn list_subjects(State(registry): State<Arc<Registry>>, Query(q): Query<Params>) -> Response {
    let deleted = flag(&q, "deleted");
    let deleted_only = flag(&q, "deletedOnly");
    let prefix = q
        .get("subjectPrefix")
        .map(String::as_str)
        .filter(|p| !p.is_empty() && *p != ":*:");
    let state = registry.state();
    let subjects: Vec<&String> = state
        .subjects
        .iter()
        .filter(|(s, _)| prefix.is_none_or(|p| s.starts_with(p)))
        .filter(|(_, vs)| {
            if deleted_only {
                vs.values().any(|v| v.deleted)
            } else {
                vs.values().any(|v| deleted || !v.deleted)
            }
        })
        .map(|(s, _)| s)
        .collect();
    ok(page(subjects, &q))
}

async fn list_versions(
    State(registry): State<Arc<Registry>>,
    Path(subject): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, ApiError> {
    let state = registry.state();
    let deleted_only = flag(&q, "deletedOnly");
    let versions: Vec<i32> = state
        .versions(&subject, flag(&q, "deleted") || deleted_only)
        .into_iter()
        .filter(|v| !deleted_only || v.deleted)
        .map(|v| v.version)
        .collect();
    if versions.is_empty() {
        return Err(ApiError::subject_not_found(&subject));
    }
    Ok(ok(page(versions, &q)))
}

fn find_version(
    registry: &Registry,
    subject: &str,
    version: &str,
    q: &Params,
) -> Result<SchemaBody, ApiError> {
    let version = parse_version(version)?;
    let state = registry.state();
    let deleted = flag(q, "deleted");
    if state.versions(subject, deleted).is_empty() {
        return Err(ApiError::subject_not_found(subject));
    }
    state
        .version(subject, version, deleted)
        .map(SchemaBody::from)
        .ok_or_else(|| ApiError::version_not_found(version))
}

async fn get_version(
    State(registry): State<Arc<Registry>>,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Query<Params>,
) -> Result<Response, ApiError> {
    Ok(ok(find_version(&registry, &subject, &version, &q)?))
}

async fn get_version_schema(
    State(registry): State<Arc<Registry>>,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Query<Params>,
) -> Result<Response, ApiError> {
    let found = find_version(&registry, &subject, &version, &q)?;
    Ok(raw(found.schema))
}

async fn referenced_by(
    State(registry): State<Arc<Registry>>,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Query<Params>,
) -> Result<Response, ApiError> {
    let found = find_version(&registry, &subject, &version, &q)?;
    let state = registry.state();
    let context = crate::subject::QualifiedSubject::context_of(&subject);
    let mut ids: Vec<i32> = state
        .subjects
        .values()
        .flat_map(|vs| vs.values())
        .filter(|v| !v.deleted)
        .filter(|v| {
            v.references.iter().any(|r| {
                crate::state::qualify_in(&context, &r.subject) == subject
                    && r.version == found.version
            })
        })
        .map(|v| v.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ok(ids))
}

async fn register(
    State(registry): State<Arc<Registry>>,
    Path(subject): Path<String>,
    Query(q): Query<Params>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let schema = new_schema(&bytes)?;
    let id = registry
        .register(&subject, schema, flag(&q, "normalize"))
        .await?;
    Ok(ok(serde_json::json!({ "id": id })))
}

async fn lookup(
    State(registry): State<Arc<Registry>>,
    Path(subject): Path<String>,
    Query(q): Query<Params>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let schema = new_schema(&bytes)?;
    let found = registry.lookup(
        &subject,
        &schema,
        flag(&q, "normalize"),
        flag(&q, "deleted"),
    )?;
    Ok(ok(SchemaBody::from(&found)))
}

async fn delete_subject(
    State(registry): State<Arc<Registry>>,
    Path(subject): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, ApiError> {
    let versions = registry
        .delete_subject(&subject, flag(&q, "permanent"))
        .await?;
    Ok(ok(versions))
}

async fn delete_version(
    State(registry): State<Arc<Registry>>,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Query<Params>,
) -> Result<Response, ApiError> {
    let version = parse_version(&version)?;
    let deleted = registry
        .delete_version(&subject, version, flag(&q, "permanent"))
        .await?;
    Ok(ok(deleted))
}

fn compatibility_answer(messages: Vec<String>, q: &Params) -> Response {
    if flag(q, "verbose") {
        ok(serde_json::json!({"is_compatible": messages.is_empty(), "messages": messages}))
    } else {
        ok(serde_json::json!({"is_compatible": messages.is_empty()}))
    }
}

async fn compatibility_all(
    State(registry): State<Arc<Registry>>,
    Path(subject): Path<String>,
    Query(q): Query<Params>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let schema = new_schema(&bytes)?;
    let messages = registry.test_compatibility(&subject, None, &schema)?;
    Ok(compatibility_answer(messages, &q))
}

async fn compatibility_one(
    State(registry): State<Arc<Registry>>,
    Path((subject, version)): Path<(String, String)>,
    Query(q): Query<Params>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let version = parse_version(&version)?;
    let schema = new_schema(&bytes)?;
    let messages = registry.test_compatibility(&subject, Some(version), &schema)?;
    Ok(compatibility_answer(messages, &q))
}
