//! `GET /metrics`: Prometheus text exposition (format 0.0.4) of the links.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use ferry_link::LinkManager;

/// The content type Prometheus scrapers expect for the text format.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Renders every link's metrics.
pub(super) async fn render(State(links): State<Arc<LinkManager>>) -> Response {
    let mut out = String::new();
    links.render_metrics(&mut out);
    let mut response = out.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}
