//! `/config…` (compatibility levels) and `/mode…`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use serde::Deserialize;

use super::{Params, body, flag, ok};
use crate::avro::CompatibilityLevel;
use crate::error::ApiError;
use crate::store::Registry;
use crate::types::Mode;

pub(super) fn routes() -> Router<Arc<Registry>> {
    Router::new()
        .route(
            "/config",
            get(get_global_config)
                .put(put_global_config)
                .delete(delete_global_config),
        )
        .route(
            "/config/{subject}",
            get(get_config).put(put_config).delete(delete_config),
        )
        .route("/mode", get(get_global_mode).put(put_global_mode))
        .route(
            "/mode/{subject}",
            get(get_mode).put(put_mode).delete(delete_mode),
        )
}

#[derive(Debug, Deserialize)]
struct ConfigRequest {
    #[serde(default)]
    compatibility: Option<String>,
    #[serde(rename = "compatibilityLevel", default)]
    compatibility_level: Option<String>,
}

fn level_from(bytes: &Bytes) -> Result<CompatibilityLevel, ApiError> {
    let request: ConfigRequest = body(bytes)?;
    let text = request
        .compatibility
        .or(request.compatibility_level)
        .unwrap_or_default();
    CompatibilityLevel::parse(&text).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            42203,
            format!("Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive (got {text:?})"),
        )
    })
}

fn level_body(level: &str) -> Response {
    ok(serde_json::json!({ "compatibilityLevel": level }))
}

async fn get_global_config(State(registry): State<Arc<Registry>>) -> Response {
    let level = registry
        .state()
        .configs
        .get(&None)
        .cloned()
        .unwrap_or_else(|| CompatibilityLevel::default().as_str().to_owned());
    level_body(&level)
}

async fn put_global_config(
    State(registry): State<Arc<Registry>>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let level = level_from(&bytes)?;
    registry.set_config(None, Some(level)).await?;
    Ok(ok(serde_json::json!({ "compatibility": level.as_str() })))
}

async fn delete_global_config(State(registry): State<Arc<Registry>>) -> Result<Response, ApiError> {
    let previous = registry.set_config(None, None).await?;
    Ok(level_body(&previous.unwrap_or_else(|| {
        CompatibilityLevel::default().as_str().to_owned()
    })))
}

async fn get_config(
    State(registry): State<Arc<Registry>>,
    Path(subject): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, ApiError> {
    let own = registry
        .state()
        .configs
        .get(&Some(subject.clone()))
        .cloned();
    match own {
        Some(level) => Ok(level_body(&level)),
        None if flag(&q, "defaultToGlobal") => {
            Ok(level_body(registry.effective_level(&subject).as_str()))
        }
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            40408,
            format!("Subject '{subject}' does not have subject-level compatibility configured"),
        )),
    }
}

async fn put_config(
    State(registry): State<Arc<Registry>>,
    Path(subject): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let level = level_from(&bytes)?;
    registry.set_config(Some(subject), Some(level)).await?;
    Ok(ok(serde_json::json!({ "compatibility": level.as_str() })))
}

async fn delete_config(
    State(registry): State<Arc<Registry>>,
    Path(subject): Path<String>,
) -> Result<Response, ApiError> {
    let known = {
        let state = registry.state();
        state.subjects.contains_key(&subject) || state.configs.contains_key(&Some(subject.clone()))
    };
    if !known {
        return Err(ApiError::subject_not_found(&subject));
    }
    let previous = registry.set_config(Some(subject.clone()), None).await?;
    Ok(level_body(&previous.unwrap_or_else(|| {
        registry.effective_level(&subject).as_str().to_owned()
    })))
}

#[derive(Debug, Deserialize)]
struct ModeRequest {
    #[serde(default)]
    mode: Option<String>,
}

fn mode_from(bytes: &Bytes) -> Result<Mode, ApiError> {
    let request: ModeRequest = body(bytes)?;
    let text = request.mode.unwrap_or_default();
    Mode::parse(&text).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            42204,
            format!("Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT (got {text:?})"),
        )
    })
}

fn mode_body(mode: &str) -> Response {
    ok(serde_json::json!({ "mode": mode }))
}

async fn get_global_mode(State(registry): State<Arc<Registry>>) -> Response {
    let mode = registry
        .state()
        .modes
        .get(&None)
        .cloned()
        .unwrap_or_else(|| Mode::default().as_str().to_owned());
    mode_body(&mode)
}

async fn put_global_mode(
    State(registry): State<Arc<Registry>>,
    Query(q): Query<Params>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let mode = mode_from(&bytes)?;
    registry
        .set_mode(None, Some(mode), flag(&q, "force"))
        .await?;
    Ok(mode_body(mode.as_str()))
}

async fn get_mode(
    State(registry): State<Arc<Registry>>,
    Path(subject): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, ApiError> {
    let own = registry.state().modes.get(&Some(subject.clone())).cloned();
    match own {
        Some(mode) => Ok(mode_body(&mode)),
        None if flag(&q, "defaultToGlobal") => {
            Ok(mode_body(registry.effective_mode(&subject).as_str()))
        }
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            40409,
            format!("Subject '{subject}' does not have subject-level mode configured"),
        )),
    }
}

async fn put_mode(
    State(registry): State<Arc<Registry>>,
    Path(subject): Path<String>,
    Query(q): Query<Params>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let mode = mode_from(&bytes)?;
    registry
        .set_mode(Some(subject), Some(mode), flag(&q, "force"))
        .await?;
    Ok(mode_body(mode.as_str()))
}

async fn delete_mode(
    State(registry): State<Arc<Registry>>,
    Path(subject): Path<String>,
) -> Result<Response, ApiError> {
    let previous = registry
        .set_mode(Some(subject.clone()), None, false)
        .await?;
    Ok(mode_body(&previous.unwrap_or_else(|| {
        registry.effective_mode(&subject).as_str().to_owned()
    })))
}
