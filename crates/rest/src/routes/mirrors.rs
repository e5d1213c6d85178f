//! Mirror topics: list (per link or `links/-` for all), create, describe, and
//! the actions `mirrors:promote|failover|pause|resume`.

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ferry_link::status::MirrorStatus;
use ferry_link::view::{
    AlterMirrorResult, CreateMirror, MirrorAction, MirrorDescription, MirrorSelection,
};
use serde::Deserialize;

use super::{Api, ConfigData, LinkPath, config_map, parse_body, path};
use crate::envelope::{Resource, ResourceList, ok};
use crate::error::ApiError;

/// The link name that stands for every link in `links/-/mirrors`.
const ALL_LINKS: &str = "-";

/// `/clusters/{cluster_id}/links/{link_name}/mirrors/{mirror_topic_name}`.
#[derive(Debug, Deserialize)]
pub(super) struct MirrorPath {
    cluster_id: String,
    link_name: String,
    mirror_topic_name: String,
}

fn mirror_url(api: &Api, cluster_id: &str, link: &str, topic: &str) -> String {
    format!("{}/mirrors/{topic}", api.link_url(cluster_id, link))
}

fn mirror_resource(
    api: &Api,
    cluster_id: &str,
    mirror: MirrorDescription,
) -> Resource<MirrorDescription> {
    let url = mirror_url(
        api,
        cluster_id,
        &mirror.link_name,
        &mirror.mirror_topic_name,
    );
    Resource::new("KafkaMirrorData", url, None, mirror)
}

fn link_arg(link: &str) -> Option<&str> {
    (link != ALL_LINKS).then_some(link)
}

/// `GET …/links/{link}/mirrors?mirror_status=`: `KafkaMirrorDataList`.
pub(super) async fn list(
    api: Api,
    p: Result<Path<LinkPath>, PathRejection>,
) -> Result<Response, ApiError> {
    let p = path(p)?;
    api.check_cluster(&p.cluster_id)?;
    let status = match api.param("mirror_status").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(MirrorStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "query parameter mirror_status: unknown status {s:?}"
            ))
        })?),
    };
    let data = api
        .links
        .list_mirrors(link_arg(&p.link_name), status)?
        .into_iter()
        .map(|m| mirror_resource(&api, &p.cluster_id, m))
        .collect();
    let url = format!("{}/mirrors", api.link_url(&p.cluster_id, &p.link_name));
    Ok(ok(ResourceList::new("KafkaMirrorDataList", url, data)))
}

/// `CreateMirrorTopicRequestData`.
#[derive(Debug, Deserialize)]
struct CreateMirrorBody {
    source_topic_name: Option<String>,
    mirror_topic_name: Option<String>,
    replication_factor: Option<i32>,
    configs: Option<Vec<ConfigData>>,
}

/// `POST …/links/{link}/mirrors`: 204.
pub(super) async fn create(
    api: Api,
    p: Result<Path<LinkPath>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = path(p)?;
    api.check_cluster(&p.cluster_id)?;
    if p.link_name == ALL_LINKS {
        return Err(ApiError::bad_request(
            "a mirror topic is created on one link; name it instead of '-'",
        ));
    }
    let body: CreateMirrorBody = parse_body(&body)?;
    let source_topic_name = body
        .source_topic_name
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request("request body needs \"source_topic_name\""))?;
    let request = CreateMirror {
        source_topic_name,
        mirror_topic_name: body.mirror_topic_name,
        replication_factor: body.replication_factor,
        configs: config_map(body.configs),
    };
    api.links.create_mirror(&p.link_name, request).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET …/links/{link}/mirrors/{topic}`: `KafkaMirrorData`.
pub(super) async fn get(
    api: Api,
    p: Result<Path<MirrorPath>, PathRejection>,
) -> Result<Response, ApiError> {
    let p = path(p)?;
    api.check_cluster(&p.cluster_id)?;
    let errors = api.flag("include_state_transition_errors", false)?;
    let mirror = api
        .links
        .describe_mirror(&p.link_name, &p.mirror_topic_name, errors)?;
    Ok(ok(mirror_resource(&api, &p.cluster_id, mirror)))
}

/// `AlterMirrorsRequestData`.
#[derive(Debug, Deserialize)]
struct AlterMirrorsBody {
    mirror_topic_names: Option<Vec<String>>,
    mirror_topic_name_pattern: Option<String>,
}

async fn alter(
    api: Api,
    p: Result<Path<LinkPath>, PathRejection>,
    body: Bytes,
    action: MirrorAction,
) -> Result<Response, ApiError> {
    let p = path(p)?;
    api.check_cluster(&p.cluster_id)?;
    if p.link_name == ALL_LINKS {
        return Err(ApiError::bad_request(
            "mirror actions apply to one link; name it instead of '-'",
        ));
    }
    let validate_only = api.flag("validate_only", false)?;
    let body: AlterMirrorsBody = parse_body(&body)?;
    let selection = MirrorSelection {
        names: body.mirror_topic_names.unwrap_or_default(),
        pattern: body.mirror_topic_name_pattern.filter(|s| !s.is_empty()),
    };
    if selection.names.is_empty() && selection.pattern.is_none() {
        return Err(ApiError::bad_request(
            "request body needs \"mirror_topic_names\" or \"mirror_topic_name_pattern\"",
        ));
    }
    let results = api
        .links
        .alter_mirrors(&p.link_name, action, selection, validate_only)
        .await?;
    let data: Vec<Resource<AlterMirrorResult>> = results
        .into_iter()
        .map(|r| {
            let url = mirror_url(&api, &p.cluster_id, &p.link_name, &r.mirror_topic_name);
            Resource::new("AlterMirrorsData", url, None, r)
        })
        .collect();
    let url = format!("{}/mirrors", api.link_url(&p.cluster_id, &p.link_name));
    Ok(ok(ResourceList::new(
        "KafkaAlterMirrorsDataList",
        url,
        data,
    )))
}

/// `POST …/mirrors:promote`.
pub(super) async fn promote(
    api: Api,
    p: Result<Path<LinkPath>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    alter(api, p, body, MirrorAction::Promote).await
}

/// `POST …/mirrors:failover`.
pub(super) async fn failover(
    api: Api,
    p: Result<Path<LinkPath>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    alter(api, p, body, MirrorAction::Failover).await
}

/// `POST …/mirrors:pause`.
pub(super) async fn pause(
    api: Api,
    p: Result<Path<LinkPath>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    alter(api, p, body, MirrorAction::Pause).await
}

/// `POST …/mirrors:resume`.
pub(super) async fn resume(
    api: Api,
    p: Result<Path<LinkPath>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    alter(api, p, body, MirrorAction::Resume).await
}

/// The reverse and restore actions of bidirectional links.
pub(super) async fn unsupported() -> ApiError {
    ApiError::bad_request(
        "ferry does not support bidirectional links yet: reverse-and-start-mirror, reverse-and-pause-mirror, truncate-and-restore and the promote-local-and-*-remote-mirror actions are not available; use promote or failover",
    )
}
