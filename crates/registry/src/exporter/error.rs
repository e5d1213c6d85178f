//! The exporter API's error answers (reference §7.3): Confluent's codes
//! with messages in Confluent's words.

use axum::http::StatusCode;

use crate::error::ApiError;

/// 40450: no exporter by that name.
pub fn not_found(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        40450,
        format!("Exporter '{name}' not found."),
    )
}

/// 40950: the name is missing or not acceptable.
pub fn invalid_name(reason: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        40950,
        format!("Missing or invalid exporter name: {reason}"),
    )
}

/// 40951: the config (or the context settings) is missing or invalid.
pub fn invalid_config(reason: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        40951,
        format!("Missing or invalid exporter config: {reason}"),
    )
}

/// 40952: a subject pattern is not acceptable.
pub fn invalid_subjects(reason: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        40952,
        format!("Invalid exporter subjects: {reason}"),
    )
}

/// 40960: the name is taken.
pub fn already_exists(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        40960,
        format!("Exporter '{name}' already exists."),
    )
}

/// 40961: resume of an exporter that is not paused.
pub fn already_running(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        40961,
        format!("Exporter '{name}' already running."),
    )
}

/// 40963: the operation needs a paused exporter.
pub fn not_paused(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        40963,
        format!("Exporter '{name}' must be paused first."),
    )
}

/// 40964: the registry holds as many exporters as it allows.
pub fn too_many(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        40964,
        format!("Too many exporters: at most {limit} per registry."),
    )
}
