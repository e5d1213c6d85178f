//! [`RegistryClient`]: a client of any Confluent-compatible schema registry
//! (ferry's, Confluent's, Karapace, Apicurio's ccompat API).
//!
//! It speaks only the standard REST API, so the exporter can write to any
//! registry and the CLI can drive any registry. Kept deliberately thin: one
//! [`RegistryClient::request`] that sends JSON and returns JSON, and typed
//! helpers for the calls several callers share. Errors keep Confluent's
//! `error_code` and `message`, because callers decide on them (an exporter
//! treats 40401/40402/40406 on delete as "already gone").

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
pub use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::Value;

/// The content type Confluent's clients send and accept.
pub const CONTENT_TYPE_V1: &str = "application/vnd.schemaregistry.v1+json";

/// Why a registry call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The client could not be configured (bad URL, unreadable CA file,
    /// malformed credentials).
    #[error("schema registry client: {0}")]
    Config(String),
    /// No HTTP answer: connection refused, TLS failure, timeout.
    #[error("schema registry at {url}: {reason}")]
    Transport {
        /// The URL called.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The registry answered with an error status.
    #[error("schema registry answered {status}: {message} (error code {error_code})")]
    Api {
        /// HTTP status.
        status: u16,
        /// Confluent's `error_code` (the HTTP status when the body had none).
        error_code: i32,
        /// Confluent's `message` (or the body's text).
        message: String,
    },
}

impl ClientError {
    /// Confluent's error code of an API error.
    pub fn error_code(&self) -> Option<i32> {
        match self {
            Self::Api { error_code, .. } => Some(*error_code),
            _ => None,
        }
    }

    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A schema as `GET /schemas/ids/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FetchedSchema {
    /// The schema text.
    pub schema: String,
    /// `AVRO` when absent, as Confluent omits it for Avro.
    #[serde(rename = "schemaType", default = "avro")]
    pub schema_type: String,
    /// References (name, subject, version).
    #[serde(default)]
    pub references: Vec<FetchedReference>,
}

/// One reference of a fetched schema.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FetchedReference {
    /// The name the schema uses for it.
    pub name: String,
    /// The subject holding it.
    pub subject: String,
    /// Its version there.
    pub version: i32,
}

fn avro() -> String {
    "AVRO".to_owned()
}

/// A client of one registry.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    base: String,
}

impl RegistryClient {
    /// A client for `url` (`http://` or `https://`, a path prefix allowed),
    /// with HTTP Basic credentials `key:secret` and an extra PEM CA bundle.
    ///
    /// # Errors
    /// [`ClientError::Config`].
    pub fn new(
        url: &str,
        basic_auth: Option<&str>,
        ca_file: Option<&Path>,
    ) -> Result<Self, ClientError> {
        Self::with_headers(url, basic_auth, ca_file, &[])
    }

    /// As [`RegistryClient::new`], sending `headers` with every request
    /// (the exporter's `Confluent-Schema-Exporter-Name`).
    ///
    /// # Errors
    /// [`ClientError::Config`].
    pub fn with_headers(
        url: &str,
        basic_auth: Option<&str>,
        ca_file: Option<&Path>,
        headers: &[(&str, &str)],
    ) -> Result<Self, ClientError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| ClientError::Config(format!("invalid registry URL '{url}': {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ClientError::Config(format!(
                "invalid registry URL '{url}': expected http:// or https://"
            )));
        }
        let mut default_headers = HeaderMap::new();
        default_headers.insert(ACCEPT, HeaderValue::from_static(CONTENT_TYPE_V1));
        if let Some(user_info) = basic_auth {
            if !user_info.contains(':') {
                return Err(ClientError::Config(
                    "basic auth user info must be key:secret".to_owned(),
                ));
            }
            let token = base64::engine::general_purpose::STANDARD.encode(user_info);
            let mut value = HeaderValue::from_str(&format!("Basic {token}"))
                .map_err(|_| ClientError::Config("basic auth user info is not ASCII".to_owned()))?;
            value.set_sensitive(true);
            default_headers.insert(AUTHORIZATION, value);
        }
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ClientError::Config(format!("invalid header name '{name}'")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| ClientError::Config(format!("invalid value for header '{name}'")))?;
            default_headers.insert(name, value);
        }
        // reqwest is built without a default crypto provider; ring is
        // ferry's only one. A second install is not an error.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .user_agent("ferry-schema-registry-client")
            .default_headers(default_headers)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60));
        if let Some(path) = ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| ClientError::Config(format!("cannot read {}: {e}", path.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                ClientError::Config(format!("no PEM certificate in {}: {e}", path.display()))
            })?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Config(format!("building the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base: url.trim_end_matches('/').to_owned(),
        })
    }

    /// The registry's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Sends `body` (as JSON) to `path` (starting with `/`, query included,
    /// subjects already percent-encoded by [`encode_path_segment`]) and
    /// returns the answer's JSON (`Null` for an empty body, such as 204).
    ///
    /// # Errors
    /// [`ClientError::Transport`] without an answer, [`ClientError::Api`]
    /// for a 4xx/5xx answer.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            let bytes = serde_json::to_vec(body).map_err(|e| ClientError::Transport {
                url: url.clone(),
                reason: format!("encoding the request: {e}"),
            })?;
            request = request.header(CONTENT_TYPE, CONTENT_TYPE_V1).body(bytes);
        }
        let response = request.send().await.map_err(|e| ClientError::Transport {
            url: url.clone(),
            reason: error_chain(&e),
        })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| ClientError::Transport {
            url: url.clone(),
            reason: format!("reading the answer: {}", error_chain(&e)),
        })?;
        let json: Option<Value> = if bytes.is_empty() {
            None
        } else {
            serde_json::from_slice(&bytes).ok()
        };
        if status.is_success() {
            return match (json, bytes.is_empty()) {
                (Some(v), _) => Ok(v),
                (None, true) => Ok(Value::Null),
                (None, false) => Err(ClientError::Transport {
                    url,
                    reason: format!(
                        "the answer is not JSON: {}",
                        String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                    ),
                }),
            };
        }
        let (error_code, message) = match &json {
            Some(v) => (
                v.get("error_code")
                    .and_then(Value::as_i64)
                    .and_then(|c| i32::try_from(c).ok())
                    .unwrap_or(i32::from(status.as_u16())),
                v.get("message")
                    .and_then(Value::as_str)
                    .map_or_else(|| v.to_string(), str::to_owned),
            ),
            None => (
                i32::from(status.as_u16()),
                String::from_utf8_lossy(&bytes[..bytes.len().min(500)]).into_owned(),
            ),
        };
        Err(ClientError::Api {
            status: status.as_u16(),
            error_code,
            message,
        })
    }

    /// `GET /schemas/ids/{id}`, optionally naming the subject (which
    /// carries the context on registries with contexts).
    ///
    /// # Errors
    /// As [`RegistryClient::request`]; 40403 when the id is unknown.
    pub async fn schema_by_id(
        &self,
        id: i32,
        subject: Option<&str>,
    ) -> Result<FetchedSchema, ClientError> {
        let path = match subject {
            Some(s) => format!("/schemas/ids/{id}?subject={}", encode_path_segment(s)),
            None => format!("/schemas/ids/{id}"),
        };
        let value = self.request(Method::GET, &path, None).await?;
        serde_json::from_value(value).map_err(|e| ClientError::Transport {
            url: format!("{}{path}", self.base),
            reason: format!("unexpected answer: {e}"),
        })
    }

    /// `POST /subjects/{subject}/versions` with `body` (schema, schemaType,
    /// references, and for imports id and version); returns the id.
    ///
    /// # Errors
    /// As [`RegistryClient::request`].
    pub async fn register(&self, subject: &str, body: &Value) -> Result<i32, ClientError> {
        let path = format!("/subjects/{}/versions", encode_path_segment(subject));
        let value = self.request(Method::POST, &path, Some(body)).await?;
        value
            .get("id")
            .and_then(Value::as_i64)
            .and_then(|id| i32::try_from(id).ok())
            .ok_or_else(|| ClientError::Transport {
                url: format!("{}{path}", self.base),
                reason: format!("no id in the answer: {value}"),
            })
    }
}

/// Percent-encodes one path segment or query value (subjects may hold `:`,
/// `/`, spaces and more).
pub fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_keep_contexts_and_escape_the_rest() {
        assert_eq!(
            encode_path_segment(":.ctx:orders-value"),
            ":.ctx:orders-value"
        );
        assert_eq!(encode_path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_path_segment("é"), "%C3%A9");
    }

    #[test]
    fn bad_urls_and_credentials_are_config_errors() {
        assert!(matches!(
            RegistryClient::new("ftp://x", None, None),
            Err(ClientError::Config(_))
        ));
        assert!(matches!(
            RegistryClient::new("not a url", None, None),
            Err(ClientError::Config(_))
        ));
        assert!(matches!(
            RegistryClient::new("http://127.0.0.1:1", Some("no-colon"), None),
            Err(ClientError::Config(_))
        ));
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_transport_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let client = RegistryClient::new(&format!("http://{addr}"), None, None).unwrap();
        let err = client
            .request(Method::GET, "/subjects", None)
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::Transport { .. }), "{err}");
    }
}
