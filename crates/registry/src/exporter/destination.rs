//! Writes to the destination registry, through its standard REST API only
//! (so any Confluent-compatible registry will do), each made idempotent:
//! a replay after a restart or a retry finds its work already done.
//!
//! - Before the first write into a destination context it is put in IMPORT
//!   mode: `PUT /mode/:.ctx:?force=true` for a named context, `PUT
//!   /mode/{subject}?force=true` per subject in the default context (so the
//!   rest of a shared default context stays writable).
//! - A version is registered with its id and version (`POST
//!   /subjects/{s}/versions`); when the destination refuses, a version that
//!   is already there with the same id counts as done.
//! - Deletes treat "already deleted" and "not there" as done; a permanent
//!   delete soft deletes first when the destination asks for it.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::client::{ClientError, Method, RegistryClient, encode_path_segment};
use crate::record::SchemaReference;
use crate::subject::QualifiedSubject;

/// The header naming the exporter on every destination request.
pub const EXPORTER_HEADER: &str = "Confluent-Schema-Exporter-Name";

/// The destination client settings an exporter's config describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationConfig {
    /// The registry's URL (the first of `schema.registry.url`'s list,
    /// credentials removed).
    pub url: String,
    /// HTTP Basic `key:secret`, from `basic.auth.user.info` (USER_INFO) or
    /// from the URL (URL).
    pub user_info: Option<String>,
    /// A PEM file of CA certificates to trust besides the system's
    /// (`schema.registry.ssl.truststore.location`).
    pub ca_file: Option<PathBuf>,
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes.get(i), hex) {
            (Some(b'%'), Some(b)) => {
                out.push(b);
                i += 3;
            }
            (Some(b), _) => {
                out.push(*b);
                i += 1;
            }
            (None, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits `scheme://user:pass@host/…` into the URL without credentials and
/// the decoded `user:pass`.
fn split_credentials(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest.get(..authority_end).and_then(|a| a.rfind('@')) {
        Some(at) => {
            let user_info = rest.get(..at).map(percent_decode);
            let tail = rest.get(at + 1..).unwrap_or("");
            (format!("{scheme}://{tail}"), user_info)
        }
        None => (url.to_owned(), None),
    }
}

impl DestinationConfig {
    /// Reads an exporter's config. Supported: `schema.registry.url`
    /// (required), `basic.auth.credentials.source` USER_INFO or URL (absent:
    /// USER_INFO when `basic.auth.user.info` is set, else URL),
    /// `basic.auth.user.info`, `schema.registry.ssl.truststore.location` (a
    /// PEM file; `…truststore.type` PEM if given). Bearer auth, SASL_INHERIT
    /// and client certificates are refused rather than ignored. Other keys
    /// are kept and unused.
    ///
    /// # Errors
    /// What is wrong, for a 40951 answer or an ERROR trace.
    pub fn from_config(config: &BTreeMap<String, String>) -> Result<Self, String> {
        let get = |k: &str| config.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let urls = get("schema.registry.url").ok_or("schema.registry.url is required")?;
        let first = urls.split(',').map(str::trim).find(|u| !u.is_empty());
        let first = first.ok_or("schema.registry.url is empty")?;
        let lower = first.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(format!(
                "schema.registry.url {first:?} is not an http:// or https:// URL"
            ));
        }
        let (url, url_user_info) = split_credentials(first);
        let user_info = get("basic.auth.user.info");
        let source = get("basic.auth.credentials.source")
            .map(str::to_ascii_uppercase)
            .unwrap_or_else(|| {
                if user_info.is_some() {
                    "USER_INFO".to_owned()
                } else {
                    "URL".to_owned()
                }
            });
        let user_info = match source.as_str() {
            "USER_INFO" => {
                let info = user_info.ok_or(
                    "basic.auth.credentials.source USER_INFO needs basic.auth.user.info (key:secret)",
                )?;
                if !info.contains(':') {
                    return Err("basic.auth.user.info must be key:secret".to_owned());
                }
                Some(info.to_owned())
            }
            "URL" => url_user_info,
            other => {
                return Err(format!(
                    "basic.auth.credentials.source {other} is not supported (USER_INFO or URL)"
                ));
            }
        };
        if get("bearer.auth.credentials.source").is_some() {
            return Err("bearer authentication is not supported; use basic auth".to_owned());
        }
        if get("schema.registry.ssl.keystore.location").is_some() {
            return Err("client certificates (ssl.keystore) are not supported".to_owned());
        }
        if let Some(kind) = get("schema.registry.ssl.truststore.type")
            && !kind.eq_ignore_ascii_case("PEM")
        {
            return Err(format!(
                "schema.registry.ssl.truststore.type {kind} is not supported; give a PEM file"
            ));
        }
        let ca_file = get("schema.registry.ssl.truststore.location").map(PathBuf::from);
        if let Some(path) = &ca_file
            && !path.is_file()
        {
            return Err(format!(
                "schema.registry.ssl.truststore.location {} is not a readable file",
                path.display()
            ));
        }
        Ok(Self {
            url,
            user_info,
            ca_file,
        })
    }
}

/// Why an export step failed (the exporter's `trace`).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The config does not make a client (bad CA file, …).
    #[error("destination config: {0}")]
    Config(String),
    /// The destination failed or refused a request.
    #[error("{action}: {source}")]
    Destination {
        /// What the exporter was doing.
        action: String,
        /// The client's error.
        source: ClientError,
    },
    /// The destination holds something else under that id or version.
    #[error("{0}")]
    Conflict(String),
    /// The source log could not be read.
    #[error("source: {0}")]
    Source(String),
}

/// One version to write, named as on the destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedVersion {
    /// Qualified destination subject.
    pub subject: String,
    /// Version (the source's).
    pub version: i32,
    /// Id (the source's).
    pub id: i32,
    /// `AVRO`, `JSON`, `PROTOBUF`.
    pub schema_type: String,
    /// The schema text as stored at the source.
    pub schema: String,
    /// References with destination subjects.
    pub references: Vec<SchemaReference>,
}

/// A connection to the destination of one exporter.
#[derive(Debug)]
pub struct Destination {
    client: RegistryClient,
    /// Mode keys already put in IMPORT during this run.
    import_ready: HashSet<String>,
}

fn subject_path(subject: &str) -> String {
    format!("/subjects/{}", encode_path_segment(subject))
}

fn is_code(e: &ClientError, codes: &[i32]) -> bool {
    e.error_code().is_some_and(|c| codes.contains(&c))
}

impl Destination {
    /// A client for the config, naming the exporter in a header.
    ///
    /// # Errors
    /// [`ExportError::Config`].
    pub fn connect(config: &DestinationConfig, exporter: &str) -> Result<Self, ExportError> {
        let client = RegistryClient::with_headers(
            &config.url,
            config.user_info.as_deref(),
            config.ca_file.as_deref(),
            &[(EXPORTER_HEADER, exporter)],
        )
        .map_err(|e| ExportError::Config(e.to_string()))?;
        Ok(Self {
            client,
            import_ready: HashSet::new(),
        })
    }

    /// Checks that the destination answers (`GET /schemas/types`, served by
    /// every compatible registry and cheap) with the credentials given.
    ///
    /// # Errors
    /// [`ExportError::Destination`].
    pub async fn probe(&self) -> Result<(), ExportError> {
        self.client
            .request(Method::GET, "/schemas/types", None)
            .await
            .map(|_| ())
            .map_err(|source| ExportError::Destination {
                action: format!("reaching the destination registry {}", self.client.url()),
                source,
            })
    }

    /// The mode key covering a destination subject.
    fn mode_key(subject: &str) -> String {
        let q = QualifiedSubject::parse(subject);
        if q.is_default_context() {
            subject.to_owned()
        } else {
            format!(":{}:", q.context)
        }
    }

    async fn ensure_import(&mut self, subject: &str) -> Result<(), ExportError> {
        let key = Self::mode_key(subject);
        if self.import_ready.contains(&key) {
            return Ok(());
        }
        let path = format!("/mode/{}?force=true", encode_path_segment(&key));
        self.client
            .request(Method::PUT, &path, Some(&json!({"mode": "IMPORT"})))
            .await
            .map_err(|source| ExportError::Destination {
                action: format!("setting IMPORT mode on {key}"),
                source,
            })?;
        self.import_ready.insert(key);
        Ok(())
    }

    /// Forgets which contexts were put in IMPORT mode (after an error: the
    /// destination may have been replaced or reconfigured).
    pub fn forget_modes(&mut self) {
        self.import_ready.clear();
    }

    /// Registers a version with its id and version.
    ///
    /// # Errors
    /// [`ExportError`] when it is not there afterwards.
    pub async fn register(&mut self, v: &ExportedVersion) -> Result<(), ExportError> {
        self.ensure_import(&v.subject).await?;
        let mut body = json!({
            "schema": v.schema,
            "schemaType": v.schema_type,
            "id": v.id,
            "version": v.version,
        });
        if !v.references.is_empty()
            && let Some(map) = body.as_object_mut()
        {
            map.insert(
                "references".to_owned(),
                serde_json::to_value(&v.references).unwrap_or(Value::Null),
            );
        }
        let path = format!("{}/versions?normalize=false", subject_path(&v.subject));
        let mut result = self.client.request(Method::POST, &path, Some(&body)).await;
        if let Err(e) = &result
            && is_code(e, &[42205])
        {
            // Not (or no longer) in IMPORT mode: set it again, once.
            self.import_ready.remove(&Self::mode_key(&v.subject));
            self.ensure_import(&v.subject).await?;
            result = self.client.request(Method::POST, &path, Some(&body)).await;
        }
        let action = || {
            format!(
                "registering {} version {} (id {})",
                v.subject, v.version, v.id
            )
        };
        match result {
            Ok(answer) => {
                let id = answer.get("id").and_then(Value::as_i64);
                if id == Some(i64::from(v.id)) {
                    Ok(())
                } else {
                    Err(ExportError::Conflict(format!(
                        "{}: the destination answered id {} (it holds this schema under another id)",
                        action(),
                        id.map_or_else(|| "none".to_owned(), |i| i.to_string())
                    )))
                }
            }
            Err(source) if source.status().is_some_and(|s| (400..500).contains(&s)) => {
                match self.stored_id(&v.subject, v.version).await {
                    Some(id) if id == v.id => Ok(()),
                    Some(id) => Err(ExportError::Conflict(format!(
                        "{}: the destination holds version {} with id {id}",
                        action(),
                        v.version
                    ))),
                    None => Err(ExportError::Destination {
                        action: action(),
                        source,
                    }),
                }
            }
            Err(source) => Err(ExportError::Destination {
                action: action(),
                source,
            }),
        }
    }

    /// The id of a destination version, soft-deleted ones included.
    async fn stored_id(&self, subject: &str, version: i32) -> Option<i32> {
        let path = format!("{}/versions/{version}?deleted=true", subject_path(subject));
        let answer = self.client.request(Method::GET, &path, None).await.ok()?;
        answer
            .get("id")
            .and_then(Value::as_i64)
            .and_then(|id| i32::try_from(id).ok())
    }

    /// Soft deletes a version (done when already deleted or absent).
    ///
    /// # Errors
    /// [`ExportError::Destination`].
    pub async fn soft_delete(&mut self, subject: &str, version: i32) -> Result<(), ExportError> {
        let path = format!("{}/versions/{version}", subject_path(subject));
        match self.client.request(Method::DELETE, &path, None).await {
            Ok(_) => Ok(()),
            Err(e) if is_code(&e, &[40401, 40402, 40406]) => Ok(()),
            Err(source) => Err(ExportError::Destination {
                action: format!("soft deleting {subject} version {version}"),
                source,
            }),
        }
    }

    /// Permanently deletes a version (soft deleting it first when needed;
    /// done when absent).
    ///
    /// # Errors
    /// [`ExportError::Destination`].
    pub async fn permanent_delete(
        &mut self,
        subject: &str,
        version: i32,
    ) -> Result<(), ExportError> {
        let path = format!(
            "{}/versions/{version}?permanent=true",
            subject_path(subject)
        );
        let action = || format!("permanently deleting {subject} version {version}");
        match self.client.request(Method::DELETE, &path, None).await {
            Ok(_) => Ok(()),
            Err(e) if is_code(&e, &[40401, 40402]) => Ok(()),
            Err(e) if is_code(&e, &[40407]) => {
                self.soft_delete(subject, version).await?;
                match self.client.request(Method::DELETE, &path, None).await {
                    Ok(_) => Ok(()),
                    Err(e) if is_code(&e, &[40401, 40402]) => Ok(()),
                    Err(source) => Err(ExportError::Destination {
                        action: action(),
                        source,
                    }),
                }
            }
            Err(source) => Err(ExportError::Destination {
                action: action(),
                source,
            }),
        }
    }

    /// Soft deletes every live version of a subject (a `DELETE_SUBJECT`
    /// record, written by Confluent's registry).
    ///
    /// # Errors
    /// [`ExportError::Destination`].
    pub async fn soft_delete_subject(&mut self, subject: &str) -> Result<(), ExportError> {
        match self
            .client
            .request(Method::DELETE, &subject_path(subject), None)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_code(&e, &[40401, 40404]) => Ok(()),
            Err(source) => Err(ExportError::Destination {
                action: format!("soft deleting subject {subject}"),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn configs() {
        let c = DestinationConfig::from_config(&config(&[
            ("schema.registry.url", "http://h:1,http://h:2"),
            ("basic.auth.credentials.source", "USER_INFO"),
            ("basic.auth.user.info", "k:s"),
        ]));
        assert_eq!(
            c,
            Ok(DestinationConfig {
                url: "http://h:1".to_owned(),
                user_info: Some("k:s".to_owned()),
                ca_file: None
            })
        );
        let c = DestinationConfig::from_config(&config(&[(
            "schema.registry.url",
            "https://k%40x:s@h:1/p",
        )]));
        assert_eq!(
            c.map(|c| (c.url, c.user_info)),
            Ok(("https://h:1/p".to_owned(), Some("k@x:s".to_owned())))
        );
        for bad in [
            config(&[]),
            config(&[("schema.registry.url", "ftp://h")]),
            config(&[
                ("schema.registry.url", "http://h"),
                ("basic.auth.credentials.source", "USER_INFO"),
            ]),
            config(&[
                ("schema.registry.url", "http://h"),
                ("basic.auth.credentials.source", "SASL_INHERIT"),
            ]),
            config(&[
                ("schema.registry.url", "http://h"),
                (
                    "schema.registry.ssl.truststore.location",
                    "/nonexistent.pem",
                ),
            ]),
        ] {
            assert!(DestinationConfig::from_config(&bad).is_err(), "{bad:?}");
        }
    }
}
