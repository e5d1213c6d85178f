//! The routes: Kafka REST v3 under `/kafka/v3` (Confluent Platform's embedded
//! REST base) and `/v3` (standalone REST Proxy style), plus `/metrics`.
//!
//! Action paths such as `configs:alter` and `mirrors:promote` are literal
//! segments with a colon: axum 0.8 writes parameters as `{name}`, so a colon
//! is an ordinary character in a route.

mod clusters;
mod link_configs;
mod links;
mod metrics;
mod mirrors;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::routing::{get, post, put};
use ferry_link::LinkManager;
use serde::de::DeserializeOwned;

use crate::auth::RestAuth;
use crate::error::ApiError;

/// What every handler shares: the links and which base path it is served under.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    links: Arc<LinkManager>,
    /// `/kafka/v3` or `/v3`, for `metadata.self` URLs.
    prefix: &'static str,
}

/// The whole application: both API bases, `/metrics`, JSON 404/405 answers,
/// and Basic authentication in front of everything when `auth` requires it.
pub(crate) fn router(links: Arc<LinkManager>, auth: RestAuth) -> Router {
    let mut app = Router::new();
    for prefix in ["/kafka/v3", "/v3"] {
        let state = AppState {
            links: Arc::clone(&links),
            prefix,
        };
        app = app.merge(api_routes(prefix).with_state(state));
    }
    app = app
        .route(
            "/metrics",
            get(metrics::render).with_state(Arc::clone(&links)),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    if auth.is_required() {
        app = app.layer(axum::middleware::from_fn_with_state(
            auth,
            crate::auth::require,
        ));
    }
    app
}

fn api_routes(p: &str) -> Router<AppState> {
    let link = format!("{p}/clusters/{{cluster_id}}/links/{{link_name}}");
    let mut router = Router::new()
        .route(&format!("{p}/clusters"), get(clusters::list))
        .route(&format!("{p}/clusters/{{cluster_id}}"), get(clusters::get))
        .route(
            &format!("{p}/clusters/{{cluster_id}}/links"),
            get(links::list).post(links::create),
        )
        .route(&link, get(links::get).delete(links::delete))
        .route(&format!("{link}/configs"), get(link_configs::list))
        .route(
            &format!("{link}/configs/{{config_name}}"),
            get(link_configs::get)
                .put(link_configs::update)
                .delete(link_configs::reset),
        )
        .route(
            &format!("{link}/mirrors"),
            get(mirrors::list).post(mirrors::create),
        )
        .route(
            &format!("{link}/mirrors/{{mirror_topic_name}}"),
            get(mirrors::get),
        );
    // Action segments, with the colon as written or percent-encoded (some
    // HTTP clients encode ':' in a path segment; routing sees the raw path).
    for colon in [":", "%3A", "%3a"] {
        router = router
            .route(
                &format!("{link}/configs{colon}alter"),
                put(link_configs::alter),
            )
            .route(
                &format!("{link}/mirrors{colon}promote"),
                post(mirrors::promote),
            )
            .route(
                &format!("{link}/mirrors{colon}failover"),
                post(mirrors::failover),
            )
            .route(&format!("{link}/mirrors{colon}pause"), post(mirrors::pause))
            .route(
                &format!("{link}/mirrors{colon}resume"),
                post(mirrors::resume),
            );
        for action in UNSUPPORTED_ACTIONS {
            router = router.route(
                &format!("{link}/mirrors{colon}{action}"),
                post(mirrors::unsupported),
            );
        }
    }
    router
}

/// Mirror actions of bidirectional links and of older Confluent Platform
/// releases, answered with a clear 400.
const UNSUPPORTED_ACTIONS: [&str; 5] = [
    "reverse-and-start-mirror",
    "reverse-and-pause-mirror",
    "truncate-and-restore",
    "promote-local-and-start-remote-mirror",
    "promote-local-and-pause-remote-mirror",
];

async fn not_found() -> ApiError {
    ApiError::not_found("HTTP 404 Not Found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        405,
        "HTTP 405 Method Not Allowed",
    )
}

/// Per request: the links, the API base URL (`http://<Host>/kafka/v3`) and
/// the query parameters.
#[derive(Debug)]
pub(crate) struct Api {
    links: Arc<LinkManager>,
    base: String,
    query: HashMap<String, String>,
}

impl FromRequestParts<AppState> for Api {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty())
            .unwrap_or("localhost");
        let query = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::bad_request(format!("bad query string: {e}")))?
            .0;
        Ok(Self {
            links: Arc::clone(&state.links),
            base: format!("http://{host}{}", state.prefix),
            query,
        })
    }
}

impl Api {
    /// 404 unless `cluster_id` is this cluster.
    fn check_cluster(&self, cluster_id: &str) -> Result<(), ApiError> {
        if cluster_id == self.links.cluster_id() {
            Ok(())
        } else {
            Err(ApiError::cluster_not_found(cluster_id))
        }
    }

    /// `…/clusters/{cluster_id}` under this request's base.
    fn cluster_url(&self, cluster_id: &str) -> String {
        format!("{}/clusters/{cluster_id}", self.base)
    }

    /// `…/clusters/{cluster_id}/links/{link}`.
    fn link_url(&self, cluster_id: &str, link: &str) -> String {
        format!("{}/links/{link}", self.cluster_url(cluster_id))
    }

    /// A boolean query parameter (`true`/`false`, any case; bare `?flag`
    /// means true).
    fn flag(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.query.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if v.is_empty() || v == "true" => Ok(true),
            Some(v) if v == "false" => Ok(false),
            Some(v) => Err(ApiError::bad_request(format!(
                "query parameter {name} must be true or false, not {v:?}"
            ))),
        }
    }

    /// A string query parameter.
    fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
}

/// Parses a JSON request body whatever its Content-Type; an empty body reads
/// as `{}` so that requests whose fields are all optional may omit it.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON request body: {e}")))
}

/// `ConfigData` of request bodies: `{"name": …, "value": …|null}`.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ConfigData {
    name: String,
    value: Option<String>,
}

/// Flattens `configs` to a map; `null` values are left out (they mean "the
/// default", which is what an absent key gives).
pub(crate) fn config_map(
    configs: Option<Vec<ConfigData>>,
) -> std::collections::BTreeMap<String, String> {
    configs
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| c.value.map(|v| (c.name, v)))
        .collect()
}

/// Path parameters, with axum's plain-text rejection (bad percent-encoding)
/// turned into Confluent's error body.
pub(crate) fn path<T>(
    extracted: Result<axum::extract::Path<T>, axum::extract::rejection::PathRejection>,
) -> Result<T, ApiError> {
    extracted
        .map(|p| p.0)
        .map_err(|e| ApiError::bad_request(format!("bad path: {}", e.body_text())))
}

/// `/clusters/{cluster_id}/links/{link_name}…`.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct LinkPath {
    cluster_id: String,
    link_name: String,
}
