//! The HTTP API (reference §8.1): one file per resource, shared helpers here.

mod config;
mod contexts;
mod exporters;
mod schemas;
mod subjects;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::RegistryAuth;
use crate::error::{ApiError, CONTENT_TYPE};
use crate::record::SchemaReference;
use crate::state::Version;
use crate::store::Registry;

/// Query parameters, by name.
pub(crate) type Params = HashMap<String, String>;

/// The application: every route, Basic authentication in front.
/// `/exporters` answers 404 when `exporters` is `None`, as Confluent's
/// registry without its exporter extension.
pub(crate) fn router(
    registry: Arc<Registry>,
    auth: RegistryAuth,
    exporters: Option<Arc<crate::exporter::Exporters>>,
) -> Router {
    let mut api = Router::new()
        .merge(subjects::routes())
        .merge(schemas::routes())
        .merge(config::routes());
    if let Some(exporters) = exporters {
        api = api.merge(exporters::routes(exporters));
    }
    let api = api.fallback(not_found).with_state(registry);
    // `/contexts/{ctx}/…` is rewritten before the API routes the request.
    Router::new()
        .fallback_service(api)
        .layer(axum::middleware::from_fn(contexts::rewrite))
        .layer(axum::middleware::from_fn_with_state(
            auth,
            crate::auth::require,
        ))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, 404, "HTTP 404 Not Found")
}

/// A 200 JSON answer with Confluent's content type.
pub(crate) fn ok(value: impl Serialize) -> Response {
    match serde_json::to_string(&value) {
        Ok(text) => raw(text),
        Err(e) => ApiError::store(e).into_response(),
    }
}

/// A 200 answer whose body is already JSON text (a raw schema).
pub(crate) fn raw(text: String) -> Response {
    let mut response = (StatusCode::OK, text).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// Parses a JSON body whatever the Content-Type says.
pub(crate) fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_body(format!("Unrecognized body: {e}")))
}

/// A boolean query flag (`?deleted=true`).
pub(crate) fn flag(params: &Params, name: &str) -> bool {
    params
        .get(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Confluent's `offset`/`limit` paging of list answers (`limit` -1 or
/// absent: everything).
pub(crate) fn page<T>(items: Vec<T>, params: &Params) -> Vec<T> {
    let offset = params
        .get("offset")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let limit = params
        .get("limit")
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(|l| usize::try_from(l).ok());
    let rest = items.into_iter().skip(offset);
    match limit {
        Some(l) => rest.take(l).collect(),
        None => rest.collect(),
    }
}

/// A version path segment: `latest` or `-1` → -1, else 1..2^31-1.
pub(crate) fn parse_version(text: &str) -> Result<i32, ApiError> {
    if text.eq_ignore_ascii_case("latest") {
        return Ok(-1);
    }
    match text.parse::<i32>() {
        Ok(v) if v == -1 || v > 0 => Ok(v),
        _ => Err(ApiError::invalid_version(text)),
    }
}

/// Confluent's `Schema` object.
#[derive(Debug, Serialize)]
pub(crate) struct SchemaBody {
    subject: String,
    version: i32,
    id: i32,
    #[serde(rename = "schemaType", skip_serializing_if = "Option::is_none")]
    schema_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<SchemaReference>,
    schema: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    deleted: bool,
}

impl From<&Version> for SchemaBody {
    fn from(v: &Version) -> Self {
        Self {
            subject: v.subject.clone(),
            version: v.version,
            id: v.id,
            schema_type: v.schema_type.to_option(),
            references: v.references.clone(),
            schema: v.schema.clone(),
            deleted: v.deleted,
        }
    }
}
