//! A link's configs: list, get, set, reset, and the batch `configs:alter`.

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ferry_link::view::{LinkConfigChange, LinkConfigEntry};
use serde::{Deserialize, Serialize};

use super::{Api, LinkPath, parse_body, path};
use crate::envelope::{Resource, ResourceList, ok};
use crate::error::ApiError;

/// `/clusters/{cluster_id}/links/{link_name}/configs/{config_name}`.
#[derive(Debug, Deserialize)]
pub(super) struct ConfigPath {
    cluster_id: String,
    link_name: String,
    config_name: String,
}

/// `KafkaLinkConfigData`: the link crate's entry plus the cluster and link.
#[derive(Debug, Serialize)]
struct ConfigItem {
    cluster_id: String,
    #[serde(flatten)]
    entry: LinkConfigEntry,
    link_name: String,
}

fn config_resource(
    api: &Api,
    cluster_id: &str,
    link: &str,
    entry: LinkConfigEntry,
) -> Resource<ConfigItem> {
    let url = format!("{}/configs/{}", api.link_url(cluster_id, link), entry.name);
    Resource::new(
        "KafkaLinkConfigData",
        url,
        None,
        ConfigItem {
            cluster_id: cluster_id.to_owned(),
            entry,
            link_name: link.to_owned(),
        },
    )
}

/// `GET …/links/{link}/configs`: `KafkaLinkConfigDataList`.
pub(super) async fn list(
    api: Api,
    p: Result<Path<LinkPath>, PathRejection>,
) -> Result<Response, ApiError> {
    let p = path(p)?;
    api.check_cluster(&p.cluster_id)?;
    let data = api
        .links
        .link_configs(&p.link_name)?
        .into_iter()
        .map(|e| config_resource(&api, &p.cluster_id, &p.link_name, e))
        .collect();
    let url = format!("{}/configs", api.link_url(&p.cluster_id, &p.link_name));
    Ok(ok(ResourceList::new("KafkaLinkConfigDataList", url, data)))
}

/// `GET …/configs/{name}`: `KafkaLinkConfigData`.
pub(super) async fn get(
    api: Api,
    p: Result<Path<ConfigPath>, PathRejection>,
) -> Result<Response, ApiError> {
    let p = path(p)?;
    api.check_cluster(&p.cluster_id)?;
    let entry = api
        .links
        .link_configs(&p.link_name)?
        .into_iter()
        .find(|e| e.name == p.config_name)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                40403,
                format!(
                    "config '{}' does not exist on cluster link '{}'",
                    p.config_name, p.link_name
                ),
            )
        })?;
    Ok(ok(config_resource(
        &api,
        &p.cluster_id,
        &p.link_name,
        entry,
    )))
}

/// Body of the single-config PUT.
#[derive(Debug, Deserialize)]
struct UpdateConfigBody {
    value: Option<String>,
}

/// `PUT …/configs/{name}` `{"value": …}`: 204.
pub(super) async fn update(
    api: Api,
    p: Result<Path<ConfigPath>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = path(p)?;
    api.check_cluster(&p.cluster_id)?;
    let body: UpdateConfigBody = parse_body(&body)?;
    let value = body
        .value
        .ok_or_else(|| ApiError::bad_request("request body needs a string \"value\""))?;
    let change = LinkConfigChange::Set {
        name: p.config_name,
        value,
    };
    api.links
        .alter_link_configs(&p.link_name, vec![change], false)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE …/configs/{name}`: back to the default, 204.
pub(super) async fn reset(
    api: Api,
    p: Result<Path<ConfigPath>, PathRejection>,
) -> Result<Response, ApiError> {
    let p = path(p)?;
    api.check_cluster(&p.cluster_id)?;
    let change = LinkConfigChange::Delete {
        name: p.config_name,
    };
    api.links
        .alter_link_configs(&p.link_name, vec![change], false)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One entry of `configs:alter`.
#[derive(Debug, Deserialize)]
struct AlterEntry {
    name: String,
    value: Option<String>,
    /// `SET` (default) or `DELETE`, any case.
    operation: Option<String>,
}

/// Body of `configs:alter`.
#[derive(Debug, Deserialize)]
struct AlterConfigsBody {
    data: Option<Vec<AlterEntry>>,
    validate_only: Option<bool>,
}

fn to_change(entry: AlterEntry) -> Result<LinkConfigChange, ApiError> {
    let operation = entry.operation.as_deref().unwrap_or("SET");
    if operation.eq_ignore_ascii_case("SET") {
        let value = entry.value.ok_or_else(|| {
            ApiError::bad_request(format!(
                "config '{}': operation SET needs a \"value\"",
                entry.name
            ))
        })?;
        Ok(LinkConfigChange::Set {
            name: entry.name,
            value,
        })
    } else if operation.eq_ignore_ascii_case("DELETE") {
        Ok(LinkConfigChange::Delete { name: entry.name })
    } else {
        Err(ApiError::bad_request(format!(
            "config '{}': operation must be SET or DELETE, not {operation:?}",
            entry.name
        )))
    }
}

/// `PUT …/configs:alter`: all changes or none, 204. (POST gets 405, as
/// Confluent Platform 8 answers.)
pub(super) async fn alter(
    api: Api,
    p: Result<Path<LinkPath>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = path(p)?;
    api.check_cluster(&p.cluster_id)?;
    let body: AlterConfigsBody = parse_body(&body)?;
    let validate_only = api.flag("validate_only", false)? || body.validate_only.unwrap_or(false);
    let changes = body
        .data
        .ok_or_else(|| ApiError::bad_request("request body needs a \"data\" array"))?
        .into_iter()
        .map(to_change)
        .collect::<Result<Vec<_>, _>>()?;
    api.links
        .alter_link_configs(&p.link_name, changes, validate_only)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
