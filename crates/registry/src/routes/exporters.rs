//! `/exporters…` (reference §7.3): thin handlers over [`Exporters`].

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use bytes::Bytes;
use serde_json::{Value, json};

use super::{body, ok};
use crate::error::ApiError;
use crate::exporter::{ExporterRequest, Exporters};
use crate::store::Registry;

type Shared = State<Arc<Exporters>>;

pub(super) fn routes(exporters: Arc<Exporters>) -> Router<Arc<Registry>> {
    Router::new()
        .route("/exporters", get(list).post(create))
        .route(
            "/exporters/{name}",
            get(describe).put(update).delete(delete),
        )
        .route("/exporters/{name}/status", get(status))
        .route("/exporters/{name}/config", get(config).put(set_config))
        .route("/exporters/{name}/pause", put(pause))
        .route("/exporters/{name}/resume", put(resume))
        .route("/exporters/{name}/reset", put(reset))
        .with_state(exporters)
}

fn named(name: &str) -> Response {
    ok(json!({ "name": name }))
}

async fn list(State(exporters): Shared) -> Response {
    ok(exporters.names().await)
}

async fn create(State(exporters): Shared, bytes: Bytes) -> Result<Response, ApiError> {
    let request: ExporterRequest = body(&bytes)?;
    let name = exporters.create(request).await?;
    Ok(named(&name))
}

async fn describe(
    State(exporters): Shared,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(exporters.describe(&name).await?))
}

async fn update(
    State(exporters): Shared,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let request: ExporterRequest = body(&bytes)?;
    exporters.update(&name, request).await?;
    Ok(named(&name))
}

async fn delete(State(exporters): Shared, Path(name): Path<String>) -> Result<Response, ApiError> {
    exporters.delete(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn status(State(exporters): Shared, Path(name): Path<String>) -> Result<Response, ApiError> {
    Ok(ok(exporters.status(&name).await?))
}

async fn config(State(exporters): Shared, Path(name): Path<String>) -> Result<Response, ApiError> {
    Ok(ok(exporters.config(&name).await?))
}

async fn set_config(
    State(exporters): Shared,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let changes: BTreeMap<String, Value> = body(&bytes)?;
    exporters.set_config(&name, &changes).await?;
    Ok(named(&name))
}

async fn pause(State(exporters): Shared, Path(name): Path<String>) -> Result<Response, ApiError> {
    exporters.pause(&name).await?;
    Ok(named(&name))
}

async fn resume(State(exporters): Shared, Path(name): Path<String>) -> Result<Response, ApiError> {
    exporters.resume(&name).await?;
    Ok(named(&name))
}

async fn reset(State(exporters): Shared, Path(name): Path<String>) -> Result<Response, ApiError> {
    exporters.reset(&name).await?;
    Ok(named(&name))
}
