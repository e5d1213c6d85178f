//! The registry's operations: reads from the folded [`State`], writes as
//! records appended to the [`SchemaLog`] and folded back before answering
//! (so the state after a restart is the same fold).

use std::sync::Arc;

use parking_lot::RwLock;

use crate::avro::{self, CompatibilityLevel};
use crate::error::{ApiError, RegistryError};
use crate::log::SchemaLog;
use crate::record::{ConfigValue, ModeValue, RecordKey, SchemaReference, SchemaValue};
use crate::schema::ParsedSchema;
use crate::state::{State, Version};
use crate::subject::{DEFAULT_CONTEXT, QualifiedSubject};
use crate::types::{Mode, SchemaType};
use crate::{json, protobuf};

/// A registration request (the body of `POST /subjects/{s}/versions`).
#[derive(Debug, Clone, Default)]
pub struct NewSchema {
    /// Schema text.
    pub schema: String,
    /// Schema language.
    pub schema_type: SchemaType,
    /// References.
    pub references: Vec<SchemaReference>,
    /// Explicit id (IMPORT mode only).
    pub id: Option<i32>,
    /// Explicit version (IMPORT mode only).
    pub version: Option<i32>,
}

/// The registry: a log and its fold.
#[derive(Debug)]
pub struct Registry {
    log: Arc<dyn SchemaLog>,
    state: RwLock<State>,
    /// Serialises writers: check, append, fold.
    writer: tokio::sync::Mutex<()>,
    /// The fold's next offset, published after every fold that moved it:
    /// what exporters wait on to follow new records within a moment.
    folded: tokio::sync::watch::Sender<i64>,
}

/// Confluent's 42205 message for a subject that is not writable.
fn mode_refusal(subject: &str, mode: Mode, import: bool) -> ApiError {
    let q = QualifiedSubject::parse(subject);
    let context = q.context;
    let name = q.subject;
    if import {
        ApiError::not_permitted(format!(
            "Subject {name} in context {context} is not in import mode"
        ))
    } else if mode.is_read_only() {
        ApiError::not_permitted(format!(
            "Subject {name} in context {context} is in read-only mode"
        ))
    } else {
        ApiError::not_permitted(format!(
            "Subject {name} in context {context} is not in read-write mode"
        ))
    }
}

impl Registry {
    /// Reads the whole log and folds it.
    ///
    /// # Errors
    /// [`RegistryError::Store`] when the log cannot be read.
    pub async fn open(log: Arc<dyn SchemaLog>) -> Result<Arc<Self>, RegistryError> {
        let registry = Arc::new(Self {
            log,
            state: RwLock::new(State::default()),
            writer: tokio::sync::Mutex::new(()),
            folded: tokio::sync::watch::Sender::new(0),
        });
        registry.catch_up().await?;
        Ok(registry)
    }

    /// Folds every record up to the log's current end.
    ///
    /// # Errors
    /// [`RegistryError::Store`].
    pub async fn catch_up(&self) -> Result<(), RegistryError> {
        let end = self.log.end_offset().await?;
        self.catch_up_to(end).await
    }

    async fn catch_up_to(&self, end: i64) -> Result<(), RegistryError> {
        loop {
            let from = self.state.read().next_offset;
            if from >= end {
                return Ok(());
            }
            let read = self.log.read(from).await?;
            let mut state = self.state.write();
            for r in &read.records {
                if r.offset >= state.next_offset {
                    state.apply(r.offset, &r.key, r.value.as_deref());
                }
            }
            // `apply` moves `next_offset` past each record; publish whenever
            // this read moved the fold at all.
            if state.next_offset.max(read.next_offset) > from {
                self.folded
                    .send_replace(state.next_offset.max(read.next_offset));
            }
            if read.next_offset > state.next_offset {
                state.next_offset = read.next_offset;
            } else if read.records.is_empty() {
                // Nothing readable yet (a remote log racing its high
                // watermark): stop; the follower or the next write retries.
                return Ok(());
            }
        }
    }

    /// Follows records other writers append (a shared remote `_schemas`),
    /// until `stop` resolves.
    pub async fn follow(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        let follow = async {
            loop {
                if let Err(e) = self.catch_up().await {
                    tracing::warn!("schema registry: following _schemas: {e}");
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        };
        tokio::select! {
            () = stop => {}
            () = follow => {}
        }
    }

    /// The log the registry folds (exporters read its records in order).
    pub fn log(&self) -> &Arc<dyn SchemaLog> {
        &self.log
    }

    /// Watches the fold's next offset: changes whenever new records were
    /// folded (this process's writes at once; a shared remote log's within
    /// the follower's poll).
    pub fn folded(&self) -> tokio::sync::watch::Receiver<i64> {
        self.folded.subscribe()
    }

    /// A snapshot of the state for reads.
    pub fn state(&self) -> parking_lot::RwLockReadGuard<'_, State> {
        self.state.read()
    }

    async fn write(&self, records: Vec<(RecordKey, Option<Vec<u8>>)>) -> Result<(), ApiError> {
        let records = records
            .into_iter()
            .map(|(k, v)| (k.to_bytes(), v))
            .collect();
        let last = self.log.append(records).await?;
        self.catch_up_to(last + 1).await?;
        Ok(())
    }

    /// The mode that applies to a qualified subject: its own, its
    /// context's, the global one, READWRITE.
    pub fn effective_mode(&self, subject: &str) -> Mode {
        let state = self.state.read();
        let q = QualifiedSubject::parse(subject);
        let mut keys = vec![Some(subject.to_owned())];
        if !q.is_default_context() {
            keys.push(Some(format!(":{}:", q.context)));
        }
        keys.push(None);
        keys.iter()
            .find_map(|k| state.modes.get(k).and_then(|m| Mode::parse(m)))
            .unwrap_or_default()
    }

    /// The compatibility level that applies to a subject: its own, its
    /// context's, the global one, BACKWARD.
    pub fn effective_level(&self, subject: &str) -> CompatibilityLevel {
        let state = self.state.read();
        let q = QualifiedSubject::parse(subject);
        let mut keys = vec![Some(subject.to_owned())];
        if !q.is_default_context() {
            keys.push(Some(format!(":{}:", q.context)));
        }
        keys.push(None);
        keys.iter()
            .find_map(|k| {
                state
                    .configs
                    .get(k)
                    .and_then(|c| CompatibilityLevel::parse(c))
            })
            .unwrap_or_default()
    }

    /// Parses a schema against the current state's references.
    fn parse(state: &State, subject: &str, schema: &NewSchema) -> Result<ParsedSchema, ApiError> {
        let refs = state
            .resolve_references(subject, &schema.references)
            .map_err(ApiError::invalid_schema)?;
        ParsedSchema::parse(schema.schema_type, &schema.schema, &refs)
            .map_err(ApiError::invalid_schema)
    }

    /// Parses a stored version (for compatibility checks).
    fn parse_stored(state: &State, v: &Version) -> Option<ParsedSchema> {
        let refs = state.resolve_references(&v.subject, &v.references).ok()?;
        ParsedSchema::parse(v.schema_type, &v.schema, &refs).ok()
    }

    /// Registers a schema; returns its id (the existing one for a schema
    /// already in the subject).
    ///
    /// # Errors
    /// 42205 (mode), 42201, 40901, 42207, 50001.
    pub async fn register(
        &self,
        subject: &str,
        schema: NewSchema,
        normalize: bool,
    ) -> Result<i32, ApiError> {
        let q = QualifiedSubject::parse(subject);
        if q.subject.is_empty() || q.context == "*" || subject.chars().any(char::is_control) {
            return Err(ApiError::invalid_subject(subject));
        }
        let mode = self.effective_mode(subject);
        let import = schema.id.is_some_and(|id| id >= 0);
        if import && !matches!(mode, Mode::Import | Mode::Forward) {
            return Err(mode_refusal(subject, mode, true));
        }
        if !import && mode != Mode::ReadWrite {
            return Err(mode_refusal(subject, mode, false));
        }
        let _writer = self.writer.lock().await;
        self.catch_up().await?;
        let level = self.effective_level(subject);
        let (record, id) = {
            let state = self.state.read();
            let (stored, identity) = if import {
                // IMPORT stores the text verbatim, without validation.
                let refs = state
                    .resolve_references(subject, &schema.references)
                    .unwrap_or_default();
                (
                    schema.schema.clone(),
                    crate::schema::identity_of(schema.schema_type, &schema.schema, &refs),
                )
            } else {
                let parsed = Self::parse(&state, subject, &schema)?;
                (
                    parsed.stored_text(&schema.schema, normalize),
                    if normalize {
                        let refs = state
                            .resolve_references(subject, &schema.references)
                            .unwrap_or_default();
                        crate::schema::identity_of(
                            schema.schema_type,
                            &parsed.stored_text(&schema.schema, true),
                            &refs,
                        )
                    } else {
                        parsed.identity()
                    },
                )
            };
            let same = |v: &Version| {
                v.schema_type == schema.schema_type
                    && v.identity == identity
                    && v.references == schema.references
            };
            // Already in the subject: the same id, nothing written.
            if let Some(existing) = state.versions(subject, false).into_iter().find(|v| same(v)) {
                return match schema.id {
                    Some(id) if id >= 0 && id != existing.id => Err(ApiError::new(
                        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                        42207,
                        format!(
                            "Schema already registered with id {} instead of input id {id}",
                            existing.id
                        ),
                    )),
                    _ => Ok(existing.id),
                };
            }
            let live = state.versions(subject, false);
            if !import {
                if let Some(newest) = live.last()
                    && level != CompatibilityLevel::None
                    && newest.schema_type != schema.schema_type
                {
                    return Err(ApiError::incompatible(format!(
                        "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [Incompatible schema type: {} vs {}]",
                        schema.schema_type.as_str(),
                        newest.schema_type.as_str()
                    )));
                }
                let messages =
                    Self::compatibility_messages(&state, subject, &schema, &live, level)?;
                if !messages.is_empty() {
                    return Err(ApiError::incompatible(format!(
                        "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
                        messages.join(", ")
                    )));
                }
            }
            let id = match schema.id.filter(|id| *id >= 0) {
                Some(id) => {
                    if state.by_id(&q.context, id).iter().any(|v| !same(v)) {
                        return Err(ApiError::new(
                            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                            42207,
                            format!("Overwrite new schema with id {id} is not permitted."),
                        ));
                    }
                    id
                }
                None => state
                    .subjects
                    .iter()
                    .filter(|(s, _)| QualifiedSubject::context_of(s) == q.context)
                    .flat_map(|(_, vs)| vs.values())
                    .find(|v| same(v))
                    .map(|v| v.id)
                    .map_or_else(
                        || {
                            state
                                .max_ids
                                .get(&q.context)
                                .copied()
                                .unwrap_or(0)
                                .max(0)
                                .checked_add(1)
                                .ok_or_else(|| {
                                    ApiError::store(format!(
                                        "no schema id left in context {}",
                                        q.context
                                    ))
                                })
                        },
                        Ok,
                    )?,
            };
            let all = state.versions(subject, true);
            let version = match schema.version.filter(|v| *v > 0) {
                Some(v) => {
                    if all.iter().any(|e| e.version == v) {
                        return Err(ApiError::new(
                            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                            42202,
                            format!("Version {v} already exists in subject {subject}"),
                        ));
                    }
                    v
                }
                None => all
                    .last()
                    .map_or(Some(1), |v| v.version.checked_add(1))
                    .ok_or_else(|| {
                        ApiError::new(
                            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                            42202,
                            format!("Subject {subject} has no version number left"),
                        )
                    })?,
            };
            let value = SchemaValue {
                subject: subject.to_owned(),
                version,
                id,
                schema_type: schema.schema_type.to_option(),
                references: schema.references.clone(),
                schema: stored,
                deleted: false,
            };
            let key = RecordKey::Schema {
                subject: subject.to_owned(),
                version,
            };
            (
                (
                    key,
                    Some(serde_json::to_vec(&value).map_err(ApiError::store)?),
                ),
                id,
            )
        };
        self.write(vec![record]).await?;
        Ok(id)
    }

    /// Compatibility messages of `schema` against `existing` (oldest first)
    /// at `level`; empty = compatible. Versions of another schema type are
    /// skipped here (the caller refuses a type change); stored versions
    /// that no longer parse (imported verbatim) are skipped too.
    fn compatibility_messages(
        state: &State,
        subject: &str,
        schema: &NewSchema,
        existing: &[&Version],
        level: CompatibilityLevel,
    ) -> Result<Vec<String>, ApiError> {
        if level == CompatibilityLevel::None || existing.is_empty() {
            return Ok(Vec::new());
        }
        let new = Self::parse(state, subject, schema)?;
        let olds = existing
            .iter()
            .rev()
            .filter_map(|v| Self::parse_stored(state, v));
        Ok(match new {
            ParsedSchema::Avro(new) => {
                let olds: Vec<avro::AvroSchema> = olds
                    .filter_map(|p| match p {
                        ParsedSchema::Avro(a) => Some(a),
                        _ => None,
                    })
                    .collect();
                avro::check(level, &new, &olds)
            }
            ParsedSchema::Json(new) => {
                let olds: Vec<json::JsonSchema> = olds
                    .filter_map(|p| match p {
                        ParsedSchema::Json(j) => Some(j),
                        _ => None,
                    })
                    .collect();
                json::check(level, &new, &olds)
            }
            ParsedSchema::Protobuf(new) => {
                let olds: Vec<protobuf::ProtobufSchema> = olds
                    .filter_map(|p| match p {
                        ParsedSchema::Protobuf(p) => Some(p),
                        _ => None,
                    })
                    .collect();
                protobuf::check(level, &new, &olds)
            }
        })
    }

    /// `POST /compatibility/subjects/{s}/versions[/{v}]`: `version` None
    /// checks against the subject's history at its level; Some against one
    /// version.
    ///
    /// # Errors
    /// 40401, 40402, 42201.
    pub fn test_compatibility(
        &self,
        subject: &str,
        version: Option<i32>,
        schema: &NewSchema,
    ) -> Result<Vec<String>, ApiError> {
        let level = self.effective_level(subject);
        let state = self.state.read();
        let live = state.versions(subject, false);
        let against: Vec<&Version> = match version {
            None => live,
            Some(v) => {
                if live.is_empty() {
                    return Err(ApiError::subject_not_found(subject));
                }
                let found = state
                    .version(subject, v, false)
                    .ok_or_else(|| ApiError::version_not_found(v))?;
                vec![found]
            }
        };
        // Parse first so invalid schemas answer 42201 even without history.
        Self::parse(&state, subject, schema)?;
        if let Some(newest) = against.last()
            && level != CompatibilityLevel::None
            && newest.schema_type != schema.schema_type
        {
            return Ok(vec![format!(
                "Incompatible schema type: {} vs {}",
                schema.schema_type.as_str(),
                newest.schema_type.as_str()
            )]);
        }
        Self::compatibility_messages(&state, subject, schema, &against, level)
    }

    /// `POST /subjects/{s}`: the version of `subject` holding this schema.
    ///
    /// # Errors
    /// 40401, 40403, 42201.
    pub fn lookup(
        &self,
        subject: &str,
        schema: &NewSchema,
        normalize: bool,
        deleted: bool,
    ) -> Result<Version, ApiError> {
        let state = self.state.read();
        let versions = state.versions(subject, deleted);
        if versions.is_empty() {
            return Err(ApiError::subject_not_found(subject));
        }
        let parsed = Self::parse(&state, subject, schema)?;
        let refs = state
            .resolve_references(subject, &schema.references)
            .unwrap_or_default();
        let identity = if normalize {
            crate::schema::identity_of(
                schema.schema_type,
                &parsed.stored_text(&schema.schema, true),
                &refs,
            )
        } else {
            parsed.identity()
        };
        versions
            .into_iter()
            .rev()
            .find(|v| v.schema_type == schema.schema_type && v.identity == identity)
            .cloned()
            .ok_or_else(|| ApiError::schema_not_found("Schema not found"))
    }

    /// Soft or permanent delete of a whole subject; returns the versions.
    ///
    /// # Errors
    /// 40401, 40404, 40405, 42205.
    pub async fn delete_subject(
        &self,
        subject: &str,
        permanent: bool,
    ) -> Result<Vec<i32>, ApiError> {
        let mode = self.effective_mode(subject);
        if mode.is_read_only() {
            return Err(mode_refusal(subject, mode, false));
        }
        let _writer = self.writer.lock().await;
        self.catch_up().await?;
        let (records, versions) = {
            let state = self.state.read();
            let all = state.versions(subject, true);
            if all.is_empty() {
                return Err(ApiError::subject_not_found(subject));
            }
            let live: Vec<&Version> = all.iter().copied().filter(|v| !v.deleted).collect();
            if permanent {
                if !live.is_empty() {
                    return Err(ApiError::new(
                        axum::http::StatusCode::NOT_FOUND,
                        40405,
                        format!(
                            "Subject '{subject}' was not deleted first before being permanently deleted"
                        ),
                    ));
                }
                let records = all
                    .iter()
                    .map(|v| {
                        (
                            RecordKey::Schema {
                                subject: subject.to_owned(),
                                version: v.version,
                            },
                            None,
                        )
                    })
                    .collect::<Vec<_>>();
                (records, all.iter().map(|v| v.version).collect::<Vec<_>>())
            } else {
                if live.is_empty() {
                    return Err(ApiError::new(
                        axum::http::StatusCode::NOT_FOUND,
                        40404,
                        format!(
                            "Subject '{subject}' was soft deleted.Set permanent=true to delete permanently"
                        ),
                    ));
                }
                let mut records = Vec::new();
                for v in &live {
                    records.push(soft_deleted_record(v)?);
                }
                (records, live.iter().map(|v| v.version).collect())
            }
        };
        self.write(records).await?;
        Ok(versions)
    }

    /// Soft or permanent delete of one version (`-1` = latest).
    ///
    /// # Errors
    /// 40401, 40402, 40406, 40407, 42205.
    pub async fn delete_version(
        &self,
        subject: &str,
        version: i32,
        permanent: bool,
    ) -> Result<i32, ApiError> {
        let mode = self.effective_mode(subject);
        if mode.is_read_only() {
            return Err(mode_refusal(subject, mode, false));
        }
        let _writer = self.writer.lock().await;
        self.catch_up().await?;
        let (record, number) = {
            let state = self.state.read();
            if state.versions(subject, true).is_empty() {
                return Err(ApiError::subject_not_found(subject));
            }
            let found = if version == -1 {
                state.version(subject, -1, false)
            } else {
                state.version(subject, version, true)
            }
            .ok_or_else(|| ApiError::version_not_found(version))?;
            if permanent {
                if !found.deleted {
                    return Err(ApiError::new(
                        axum::http::StatusCode::NOT_FOUND,
                        40407,
                        format!(
                            "Subject '{subject}' Version {} was not deleted first before being permanently deleted",
                            found.version
                        ),
                    ));
                }
                (
                    (
                        RecordKey::Schema {
                            subject: subject.to_owned(),
                            version: found.version,
                        },
                        None,
                    ),
                    found.version,
                )
            } else {
                if found.deleted {
                    return Err(ApiError::new(
                        axum::http::StatusCode::NOT_FOUND,
                        40406,
                        format!(
                            "Subject '{subject}' Version {} was soft deleted.Set permanent=true to delete permanently",
                            found.version
                        ),
                    ));
                }
                (soft_deleted_record(found)?, found.version)
            }
        };
        self.write(vec![record]).await?;
        Ok(number)
    }

    /// Sets (`Some`) or removes (`None`) a compatibility level; `key` None
    /// is global. Returns the previous level, if any.
    ///
    /// # Errors
    /// 50001.
    pub async fn set_config(
        &self,
        key: Option<String>,
        level: Option<CompatibilityLevel>,
    ) -> Result<Option<String>, ApiError> {
        let _writer = self.writer.lock().await;
        let previous = self.state.read().configs.get(&key).cloned();
        let value = level
            .map(|l| {
                serde_json::to_vec(&ConfigValue {
                    compatibility_level: l.as_str().to_owned(),
                })
            })
            .transpose()
            .map_err(ApiError::store)?;
        self.write(vec![(RecordKey::Config(key), value)]).await?;
        Ok(previous)
    }

    /// Sets (`Some`) or removes (`None`) a mode; `key` None is global.
    /// Switching to IMPORT needs an empty scope unless `force`.
    ///
    /// # Errors
    /// 42205, 50001.
    pub async fn set_mode(
        &self,
        key: Option<String>,
        mode: Option<Mode>,
        force: bool,
    ) -> Result<Option<String>, ApiError> {
        let _writer = self.writer.lock().await;
        self.catch_up().await?;
        let previous = {
            let state = self.state.read();
            if mode == Some(Mode::Import) && !force {
                let in_scope = |s: &str| match &key {
                    None => true,
                    Some(k) => {
                        let q = QualifiedSubject::parse(k);
                        if q.subject.is_empty() {
                            QualifiedSubject::context_of(s) == q.context
                        } else {
                            s == k
                        }
                    }
                };
                let found = state
                    .subjects
                    .iter()
                    .any(|(s, vs)| in_scope(s) && vs.values().any(|v| !v.deleted));
                if found {
                    return Err(ApiError::not_permitted(
                        "Cannot import since found existing subjects",
                    ));
                }
            }
            state.modes.get(&key).cloned()
        };
        let value = mode
            .map(|m| {
                serde_json::to_vec(&ModeValue {
                    mode: m.as_str().to_owned(),
                })
            })
            .transpose()
            .map_err(ApiError::store)?;
        self.write(vec![(RecordKey::Mode(key), value)]).await?;
        Ok(previous)
    }

    /// The schema with `id`, as `GET /schemas/ids/{id}?subject=` finds it.
    ///
    /// A subject qualified with a context (`:.ctx:s`) looks in that context
    /// only. Otherwise (an unqualified subject, or none) the default context
    /// comes first, then every other context in sorted order, and the first
    /// holding the id wins, as Confluent's registry resolves it
    /// (`getSchemaKeyUsingContexts`): so a consumer at the destination of a
    /// schema exporter decodes mirrored records, whose ids live in the
    /// exporter's context, with no special configuration.
    pub fn schema_by_id(&self, id: i32, subject: Option<&str>) -> Option<Version> {
        let state = self.state.read();
        let first = |ctx: &str| state.by_id(ctx, id).first().map(|v| (*v).clone());
        if let Some(subject) = subject.filter(|s| !s.is_empty()) {
            let q = QualifiedSubject::parse(subject);
            if !q.is_default_context() {
                return first(&q.context);
            }
        }
        if let Some(v) = first(DEFAULT_CONTEXT) {
            return Some(v);
        }
        // `contexts()` is a sorted set: `.a` before `.a.b` before `.b`.
        state
            .contexts()
            .into_iter()
            .filter(|c| c != DEFAULT_CONTEXT)
            .find_map(|c| first(&c))
    }
}

fn soft_deleted_record(v: &Version) -> Result<(RecordKey, Option<Vec<u8>>), ApiError> {
    let value = SchemaValue {
        subject: v.subject.clone(),
        version: v.version,
        id: v.id,
        schema_type: v.schema_type.to_option(),
        references: v.references.clone(),
        schema: v.schema.clone(),
        deleted: true,
    };
    Ok((
        RecordKey::Schema {
            subject: v.subject.clone(),
            version: v.version,
        },
        Some(serde_json::to_vec(&value).map_err(ApiError::store)?),
    ))
}
