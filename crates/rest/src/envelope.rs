//! The `kind`/`metadata` envelope Kafka REST v3 wraps every resource and
//! every list in; the link crate's views carry only the fields.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `metadata` of a single resource.
#[derive(Debug, Serialize)]
struct ResourceMetadata {
    #[serde(rename = "self")]
    self_url: String,
    /// Confluent's CRN; sent for clusters and links, omitted where the
    /// captured Confluent responses omit it (configs, mirrors).
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<String>,
}

/// One resource: `{"kind", "metadata":{"self","resource_name"?}, …fields}`.
#[derive(Debug, Serialize)]
pub(crate) struct Resource<T> {
    kind: &'static str,
    metadata: ResourceMetadata,
    #[serde(flatten)]
    data: T,
}

impl<T: Serialize> Resource<T> {
    /// Wraps `data` as `kind` at `self_url`.
    pub(crate) fn new(
        kind: &'static str,
        self_url: String,
        resource_name: Option<String>,
        data: T,
    ) -> Self {
        Self {
            kind,
            metadata: ResourceMetadata {
                self_url,
                resource_name,
            },
            data,
        }
    }
}

/// `metadata` of a list: `self` and `next` (always null: ferry never pages).
#[derive(Debug, Serialize)]
struct ListMetadata {
    #[serde(rename = "self")]
    self_url: String,
    next: Option<String>,
}

/// A list: `{"kind":"…List","metadata":{"self","next":null},"data":[…]}`.
#[derive(Debug, Serialize)]
pub(crate) struct ResourceList<T> {
    kind: &'static str,
    metadata: ListMetadata,
    data: Vec<T>,
}

impl<T: Serialize> ResourceList<T> {
    /// A complete (single-page) list at `self_url`.
    pub(crate) fn new(kind: &'static str, self_url: String, data: Vec<T>) -> Self {
        Self {
            kind,
            metadata: ListMetadata {
                self_url,
                next: None,
            },
            data,
        }
    }
}

/// 200 with a JSON body.
pub(crate) fn ok<T: Serialize>(body: T) -> Response {
    (StatusCode::OK, Json(body)).into_response()
}

/// Confluent's CRN of the cluster.
pub(crate) fn cluster_crn(cluster_id: &str) -> String {
    format!("crn:///kafka={cluster_id}")
}

/// Confluent's CRN of a link.
pub(crate) fn link_crn(cluster_id: &str, link: &str) -> String {
    format!("crn:///kafka={cluster_id}/cluster-link={link}")
}
