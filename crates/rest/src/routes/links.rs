//! Links: list, create, describe, delete.

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ferry_link::view::{CreateLink, LinkDescription};
use serde::Deserialize;

use super::{Api, ConfigData, LinkPath, config_map, parse_body, path};
use crate::envelope::{Resource, ResourceList, link_crn, ok};
use crate::error::ApiError;

/// `CreateLinkRequestData`.
#[derive(Debug, Deserialize)]
struct CreateLinkBody {
    source_cluster_id: Option<String>,
    destination_cluster_id: Option<String>,
    remote_cluster_id: Option<String>,
    /// Only meaningful for the second side of a bidirectional link.
    cluster_link_id: Option<String>,
    configs: Option<Vec<ConfigData>>,
}

/// Wraps one link as `KafkaLinkData`.
pub(super) fn link_resource(
    api: &Api,
    cluster_id: &str,
    link: LinkDescription,
) -> Resource<LinkDescription> {
    Resource::new(
        "KafkaLinkData",
        api.link_url(cluster_id, &link.link_name),
        Some(link_crn(cluster_id, &link.link_name)),
        link,
    )
}

/// `GET /clusters/{id}/links`: `KafkaLinkDataList`.
pub(super) async fn list(
    api: Api,
    cluster_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let cluster_id = path(cluster_id)?;
    api.check_cluster(&cluster_id)?;
    let include_tasks = api.flag("include_tasks", false)?;
    let data = api
        .links
        .list_links(include_tasks)
        .into_iter()
        .map(|l| link_resource(&api, &cluster_id, l))
        .collect();
    let url = format!("{}/links", api.cluster_url(&cluster_id));
    Ok(ok(ResourceList::new("KafkaLinkDataList", url, data)))
}

/// `POST /clusters/{id}/links?link_name=…`: 204 as Confluent Platform answers
/// (Confluent Cloud sends an empty 201; clients accept either).
pub(super) async fn create(
    api: Api,
    cluster_id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let cluster_id = path(cluster_id)?;
    api.check_cluster(&cluster_id)?;
    let link_name = api
        .param("link_name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("query parameter link_name is required"))?
        .to_owned();
    let validate_only = api.flag("validate_only", false)?;
    let validate_link = api.flag("validate_link", true)?;
    let body: CreateLinkBody = parse_body(&body)?;
    if body.cluster_link_id.is_some() {
        return Err(ApiError::bad_request(
            "cluster_link_id is only used by bidirectional links, which ferry does not support yet",
        ));
    }
    let request = CreateLink {
        link_name,
        source_cluster_id: body.source_cluster_id,
        destination_cluster_id: body.destination_cluster_id,
        remote_cluster_id: body.remote_cluster_id,
        configs: config_map(body.configs),
        validate_only,
        validate_link,
    };
    api.links.create_link(request).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /clusters/{id}/links/{link}`: `KafkaLinkData`.
pub(super) async fn get(
    api: Api,
    p: Result<Path<LinkPath>, PathRejection>,
) -> Result<Response, ApiError> {
    let p = path(p)?;
    api.check_cluster(&p.cluster_id)?;
    let include_tasks = api.flag("include_tasks", false)?;
    let link = api.links.describe_link(&p.link_name, include_tasks)?;
    Ok(ok(link_resource(&api, &p.cluster_id, link)))
}

/// `DELETE /clusters/{id}/links/{link}?force=&validate_only=`: 200, no body.
pub(super) async fn delete(
    api: Api,
    p: Result<Path<LinkPath>, PathRejection>,
) -> Result<Response, ApiError> {
    let p = path(p)?;
    api.check_cluster(&p.cluster_id)?;
    let force = api.flag("force", false)?;
    let validate_only = api.flag("validate_only", false)?;
    api.links
        .delete_link(&p.link_name, force, validate_only)
        .await?;
    Ok(StatusCode::OK.into_response())
}
