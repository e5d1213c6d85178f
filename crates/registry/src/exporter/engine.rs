//! The export loop of one running exporter.
//!
//! It reads the source registry's `_schemas` records in offset order from
//! the exporter's persisted offset, up to what the registry has folded
//! (woken by [`Registry::folded`], so a registration reaches the
//! destination within moments), and applies each record whose subject the
//! exporter exports:
//! - a SCHEMA record registers the version (after the versions its
//!   references name, renamed the same way, whatever the subject filter),
//!   then soft deletes it when the record says `deleted`;
//! - a SCHEMA tombstone deletes the version permanently;
//! - a DELETE_SUBJECT record (Confluent's) soft deletes the subject;
//! - CONFIG, MODE and anything else are not exported (the destination's
//!   modes are the exporter's to set; compatibility levels are left to
//!   the destination's owner).
//!
//! The offset is persisted after every applied record (and after a run of
//! records that needed nothing), so a restart resumes there: a record
//! applied but not yet persisted is applied again, which the destination
//! writes make harmless. A failure sets ERROR with the failure as trace,
//! and the same record is retried with a backoff (250 ms doubling to 2 s)
//! until it succeeds and the state is RUNNING again.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::destination::{Destination, DestinationConfig, ExportError, ExportedVersion};
use super::model::ExporterDefinition;
use super::persist::ExporterLog;
use super::status::{ExporterState, ExporterStatus, now_ms};
use crate::log::LogRecord;
use crate::record::{RecordKey, SchemaReference, SchemaValue};
use crate::state::{State, qualify_in};
use crate::store::Registry;
use crate::subject::QualifiedSubject;

const BACKOFF_START: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How deep references are followed.
const MAX_REFERENCE_DEPTH: usize = 32;

/// Everything one exporter's loop needs.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    pub(crate) registry: Arc<Registry>,
    pub(crate) store: Arc<ExporterLog>,
    pub(crate) definition: ExporterDefinition,
    pub(crate) status: Arc<parking_lot::Mutex<ExporterStatus>>,
    pub(crate) auto_context: String,
}

/// Runs `future` unless `stop` turns true (or its sender goes) first.
async fn or_stop<T>(
    stop: &mut watch::Receiver<bool>,
    future: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        _ = stop.wait_for(|s| *s) => None,
        value = future => Some(value),
    }
}

impl Engine {
    /// The loop; returns when `stop` turns true.
    pub(crate) async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut backoff = BACKOFF_START;
        let mut destination: Option<Destination> = None;
        let mut folded = self.registry.folded();
        let mut pending: VecDeque<LogRecord> = VecDeque::new();
        let mut persisted = self.status.lock().offset;
        loop {
            let result: Result<(), ExportError> = match destination.as_mut() {
                None => match or_stop(&mut stop, self.connect()).await {
                    None => return,
                    Some(Ok(d)) => {
                        destination = Some(d);
                        self.update(|s| {
                            s.state = ExporterState::Running;
                            s.trace.clear();
                        })
                        .await;
                        persisted = self.status.lock().offset;
                        continue;
                    }
                    Some(Err(e)) => Err(e),
                },
                Some(dest) => {
                    let offset = self.status.lock().offset;
                    folded.borrow_and_update();
                    // The fold's position bounds what is exported: records
                    // beyond it may still be unreadable or unfolded (and
                    // their references unknown).
                    let end = self.registry.state().next_offset;
                    if pending.is_empty() {
                        if offset > persisted {
                            self.update(|_| {}).await;
                            persisted = offset;
                        }
                        if offset >= end {
                            // The registry publishes every fold that moved;
                            // its sender lives as long as the registry this
                            // task holds, so an error cannot come while it runs.
                            match or_stop(&mut stop, folded.changed()).await {
                                None | Some(Err(_)) => return,
                                Some(Ok(())) => continue,
                            }
                        }
                        match or_stop(&mut stop, self.registry.log().read(offset)).await {
                            None => return,
                            Some(Ok(read)) => {
                                pending.extend(
                                    read.records
                                        .into_iter()
                                        .filter(|r| r.offset >= offset && r.offset < end),
                                );
                                if pending.is_empty() {
                                    // A gap (compaction) or nothing readable
                                    // yet: move to where the read ended.
                                    let next = read.next_offset.min(end);
                                    if next > offset {
                                        self.status.lock().offset = next;
                                    } else {
                                        let pause = tokio::time::sleep(BACKOFF_START);
                                        if or_stop(&mut stop, pause).await.is_none() {
                                            return;
                                        }
                                    }
                                }
                                continue;
                            }
                            Some(Err(e)) => Err(ExportError::Source(e.to_string())),
                        }
                    } else if let Some(record) = pending.front().cloned() {
                        match or_stop(&mut stop, self.apply(dest, &record)).await {
                            None => return,
                            Some(Ok(applied)) => {
                                pending.pop_front();
                                let recovered = self.status.lock().state != ExporterState::Running;
                                self.status.lock().offset = record.offset + 1;
                                if applied || recovered {
                                    self.update(|s| {
                                        s.state = ExporterState::Running;
                                        s.trace.clear();
                                    })
                                    .await;
                                    persisted = record.offset + 1;
                                }
                                backoff = BACKOFF_START;
                                continue;
                            }
                            Some(Err(e)) => Err(e),
                        }
                    } else {
                        continue;
                    }
                }
            };
            if let Err(e) = result {
                tracing::warn!(exporter = %self.definition.name, "schema exporter: {e}");
                pending.clear();
                if let Some(d) = destination.as_mut() {
                    d.forget_modes();
                }
                let trace = e.to_string();
                self.update(|s| {
                    s.state = ExporterState::Error;
                    s.trace = trace;
                })
                .await;
                persisted = self.status.lock().offset;
                if or_stop(&mut stop, tokio::time::sleep(backoff))
                    .await
                    .is_none()
                {
                    return;
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }

    /// A client for the destination, checked with a light request
    /// (`GET /schemas/types`, which every compatible registry serves).
    async fn connect(&self) -> Result<Destination, ExportError> {
        let config =
            DestinationConfig::from_config(&self.definition.config).map_err(ExportError::Config)?;
        let destination = Destination::connect(&config, &self.definition.name)?;
        destination.probe().await?;
        Ok(destination)
    }

    /// Changes the status (stamping `ts`) and persists it.
    async fn update(&self, change: impl FnOnce(&mut ExporterStatus)) {
        let snapshot = {
            let mut status = self.status.lock();
            change(&mut status);
            status.ts = now_ms();
            status.clone()
        };
        if let Err(e) = self.store.put_status(&snapshot).await {
            tracing::warn!(exporter = %snapshot.name, "schema exporter: saving the status: {e}");
        }
    }

    /// Applies one source record; `Ok(true)` when it concerned the exporter.
    async fn apply(&self, dest: &mut Destination, record: &LogRecord) -> Result<bool, ExportError> {
        let Some(key) = RecordKey::parse(&record.key) else {
            return Ok(false);
        };
        match key {
            RecordKey::Schema { subject, version } if self.definition.exports(&subject) => {
                let target = self.destination_subject(&subject);
                let Some(bytes) = record.value.as_deref() else {
                    dest.permanent_delete(&target, version).await?;
                    return Ok(true);
                };
                let value = match serde_json::from_slice::<SchemaValue>(bytes) {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::warn!(
                            offset = record.offset,
                            "schema exporter: skipping an unreadable SCHEMA record: {e}"
                        );
                        return Ok(false);
                    }
                };
                for v in self.versions_to_register(&value) {
                    dest.register(&v).await?;
                }
                if value.deleted {
                    dest.soft_delete(&target, version).await?;
                }
                Ok(true)
            }
            RecordKey::DeleteSubject(subject) if self.definition.exports(&subject) => {
                dest.soft_delete_subject(&self.destination_subject(&subject))
                    .await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn destination_subject(&self, source: &str) -> String {
        self.definition
            .destination_subject(source, &self.auto_context)
    }

    /// The versions a SCHEMA record needs at the destination: those its
    /// references name (transitively, referenced first), then its own.
    fn versions_to_register(&self, value: &SchemaValue) -> Vec<ExportedVersion> {
        let state = self.registry.state();
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        self.collect_references(
            &state,
            &value.subject,
            &value.references,
            &mut out,
            &mut seen,
            0,
        );
        out.push(self.exported(
            &value.subject,
            value.version,
            value.id,
            value.schema_type.as_deref().unwrap_or("AVRO"),
            &value.schema,
            &value.references,
        ));
        out
    }

    fn collect_references(
        &self,
        state: &State,
        referrer: &str,
        references: &[SchemaReference],
        out: &mut Vec<ExportedVersion>,
        seen: &mut HashSet<(String, i32)>,
        depth: usize,
    ) {
        if depth > MAX_REFERENCE_DEPTH {
            return;
        }
        let context = QualifiedSubject::context_of(referrer);
        for r in references {
            let subject = qualify_in(&context, &r.subject);
            // A reference the source no longer has is left for the
            // destination to refuse (the trace then says which).
            let Some(found) = state.version(&subject, r.version, true) else {
                continue;
            };
            if !seen.insert((subject.clone(), found.version)) {
                continue;
            }
            self.collect_references(state, &subject, &found.references, out, seen, depth + 1);
            out.push(self.exported(
                &subject,
                found.version,
                found.id,
                found.schema_type.as_str(),
                &found.schema,
                &found.references,
            ));
        }
    }

    fn exported(
        &self,
        subject: &str,
        version: i32,
        id: i32,
        schema_type: &str,
        schema: &str,
        references: &[SchemaReference],
    ) -> ExportedVersion {
        let context = QualifiedSubject::context_of(subject);
        ExportedVersion {
            subject: self.destination_subject(subject),
            version,
            id,
            schema_type: schema_type.to_owned(),
            schema: schema.to_owned(),
            references: references
                .iter()
                .map(|r| SchemaReference {
                    name: r.name.clone(),
                    subject: self.destination_subject(&qualify_in(&context, &r.subject)),
                    version: r.version,
                })
                .collect(),
        }
    }
}
