//! `GET /clusters` and `GET /clusters/{cluster_id}`: ferry is one cluster.

use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::response::Response;
use serde::Serialize;

use super::{Api, path};
use crate::envelope::{Resource, ResourceList, cluster_crn, ok};
use crate::error::ApiError;

/// The fields of `KafkaCluster`.
#[derive(Debug, Serialize)]
struct Cluster {
    cluster_id: String,
}

fn cluster(api: &Api) -> Resource<Cluster> {
    let id = api.links.cluster_id();
    Resource::new(
        "KafkaCluster",
        api.cluster_url(id),
        Some(cluster_crn(id)),
        Cluster {
            cluster_id: id.to_owned(),
        },
    )
}

/// `KafkaClusterList` with this cluster.
pub(super) async fn list(api: Api) -> Response {
    let url = format!("{}/clusters", api.base);
    ok(ResourceList::new(
        "KafkaClusterList",
        url,
        vec![cluster(&api)],
    ))
}

/// `KafkaCluster`, or 404 for another id.
pub(super) async fn get(
    api: Api,
    cluster_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let cluster_id = path(cluster_id)?;
    api.check_cluster(&cluster_id)?;
    Ok(ok(cluster(&api)))
}
