//! Kafka Connect's REST API for the connectors running inside `ferry
//! server` ([`ferry_connect::ConnectorManager`]), at the root of the REST
//! listener as a Connect worker serves it: `/connectors`,
//! `/connectors/{name}` (`/config`, `/status`, `/tasks`, `/offsets`,
//! `/pause`, `/resume`, `/restart`) and `/connector-plugins`. Errors are
//! Connect's `{"error_code": <HTTP status>, "message": …}`. The same HTTP
//! Basic authentication as the rest of the listener applies.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use ferry_connect::view::{CreateConnector, PluginInfo};
use ferry_connect::{ConnectError, ConnectorManager};

use crate::RestServer;
use crate::auth::RestAuth;
use crate::error::{ApiError, RestError};

type Connectors = Arc<ConnectorManager>;

impl From<ConnectError> for ApiError {
    fn from(e: ConnectError) -> Self {
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, e.error_code(), e.to_string())
    }
}

impl RestServer {
    /// Serves Kafka Connect's API for `connectors` on this server's
    /// listeners, behind the broker's REST authentication (as
    /// [`RestServer::from_broker`] sets it up).
    ///
    /// # Errors
    /// [`RestError::Auth`] as [`RestAuth::from_broker_config`].
    pub fn with_connectors(mut self, connectors: Connectors) -> Result<Self, RestError> {
        let auth = RestAuth::from_broker_config(connectors.broker().config())?;
        self.app = self.app.merge(router(connectors, auth));
        Ok(self)
    }
}

/// The Connect routes, authenticated when `auth` requires it.
pub(crate) fn router(connectors: Connectors, auth: RestAuth) -> Router {
    let one = "/connectors/{name}";
    let mut app = Router::new()
        .route("/connectors", get(list).post(create))
        .route(one, get(info).delete(delete))
        .route(&format!("{one}/config"), get(config).put(put_config))
        .route(&format!("{one}/status"), get(status))
        .route(&format!("{one}/tasks"), get(tasks))
        .route(&format!("{one}/offsets"), get(offsets))
        .route(&format!("{one}/pause"), put(pause))
        .route(&format!("{one}/resume"), put(resume))
        .route(&format!("{one}/restart"), post(restart))
        .route("/connector-plugins", get(plugins))
        .with_state(connectors);
    if auth.is_required() {
        app = app.layer(axum::middleware::from_fn_with_state(
            auth,
            crate::auth::require,
        ));
    }
    app
}

type Answer = Result<Response, ApiError>;

fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    (status, axum::Json(value)).into_response()
}

/// `GET /connectors[?expand=status&expand=info]`.
async fn list(State(c): State<Connectors>, RawQuery(query): RawQuery) -> Answer {
    let expand: Vec<String> = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| *k == "expand")
        .map(|(_, v)| v.to_ascii_lowercase())
        .collect();
    let names = c.names().await;
    if expand.is_empty() {
        return Ok(json(StatusCode::OK, &names));
    }
    let mut out = serde_json::Map::new();
    for name in names {
        let mut entry = serde_json::Map::new();
        if expand.iter().any(|e| e == "info") {
            let info = c.info(&name).await?;
            entry.insert(
                "info".into(),
                serde_json::to_value(info).unwrap_or_default(),
            );
        }
        if expand.iter().any(|e| e == "status") {
            let status = c.status(&name).await?;
            entry.insert(
                "status".into(),
                serde_json::to_value(status).unwrap_or_default(),
            );
        }
        out.insert(name, serde_json::Value::Object(entry));
    }
    Ok(json(StatusCode::OK, &out))
}

/// `POST /connectors` with `{"name", "config"}`: 201 and the connector.
async fn create(State(c): State<Connectors>, body: Bytes) -> Answer {
    let body: CreateConnector = crate::routes::parse_body(&body)?;
    let info = c.create(&body.name, body.config).await?;
    Ok(json(StatusCode::CREATED, &info))
}

async fn info(State(c): State<Connectors>, Path(name): Path<String>) -> Answer {
    Ok(json(StatusCode::OK, &c.info(&name).await?))
}

async fn config(State(c): State<Connectors>, Path(name): Path<String>) -> Answer {
    Ok(json(StatusCode::OK, &c.config(&name).await?))
}

/// `PUT /connectors/{name}/config`: 201 when created, 200 when updated.
async fn put_config(State(c): State<Connectors>, Path(name): Path<String>, body: Bytes) -> Answer {
    let config: BTreeMap<String, String> = crate::routes::parse_body(&body)?;
    let (info, created) = c.put_config(&name, config).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json(status, &info))
}

async fn status(State(c): State<Connectors>, Path(name): Path<String>) -> Answer {
    Ok(json(StatusCode::OK, &c.status(&name).await?))
}

async fn tasks(State(c): State<Connectors>, Path(name): Path<String>) -> Answer {
    Ok(json(StatusCode::OK, &c.tasks(&name).await?))
}

async fn offsets(State(c): State<Connectors>, Path(name): Path<String>) -> Answer {
    Ok(json(StatusCode::OK, &c.offsets(&name).await?))
}

/// `PUT …/pause`: 202, as Connect.
async fn pause(State(c): State<Connectors>, Path(name): Path<String>) -> Answer {
    c.pause(&name).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `PUT …/resume`: 202.
async fn resume(State(c): State<Connectors>, Path(name): Path<String>) -> Answer {
    c.resume(&name).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `POST …/restart`: 204.
async fn restart(State(c): State<Connectors>, Path(name): Path<String>) -> Answer {
    c.restart(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /connectors/{name}`: 204.
async fn delete(State(c): State<Connectors>, Path(name): Path<String>) -> Answer {
    c.delete(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /connector-plugins`: the datagen classes.
async fn plugins() -> Response {
    let version = env!("CARGO_PKG_VERSION").to_owned();
    let list: Vec<PluginInfo> = [
        ferry_datagen_classes::MANAGED,
        ferry_datagen_classes::SELF_MANAGED,
    ]
    .into_iter()
    .map(|class| PluginInfo {
        class: class.to_owned(),
        kind: "source".to_owned(),
        version: version.clone(),
    })
    .collect();
    json(StatusCode::OK, &list)
}

/// The class names `connector.class` takes.
mod ferry_datagen_classes {
    pub(super) const MANAGED: &str = "DatagenSource";
    pub(super) const SELF_MANAGED: &str = "io.confluent.kafka.connect.datagen.DatagenConnector";
}
