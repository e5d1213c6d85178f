//! ApiVersions: which APIs and versions this broker serves.
//!
//! A request above the versions ferry knows is answered by the connection
//! before decoding (see `connection.rs`): a v0 response with
//! UNSUPPORTED_VERSION and the list, as KIP-511 prescribes.

use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};

use super::RequestContext;

/// The full list of served APIs with their version ranges.
pub(crate) fn api_list() -> Vec<ApiVersion> {
    super::supported()
        .iter()
        .map(|&(key, min, max)| {
            ApiVersion::default()
                .with_api_key(key as i16)
                .with_min_version(min)
                .with_max_version(max)
        })
        .collect()
}

pub(crate) async fn handle(_ctx: &RequestContext, _req: ApiVersionsRequest) -> ApiVersionsResponse {
    ApiVersionsResponse::default()
        .with_error_code(0)
        .with_api_keys(api_list())
}
