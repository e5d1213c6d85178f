//! Where exporters live across restarts: a compacted topic of their own
//! (`_schema_exporters`), never `_schemas` (an exporter following `_schemas`
//! would otherwise export its own progress records, forever).
//!
//! Records (JSON keys with a fixed field order, so compaction keeps the
//! newest per key):
//! - `{"keytype":"EXPORTER","name":N}` → the [`ExporterDefinition`];
//! - `{"keytype":"EXPORTER_STATUS","name":N}` → the [`ExporterStatus`];
//! - a tombstone on either removes it (deleting an exporter writes both).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::model::ExporterDefinition;
use super::status::ExporterStatus;
use crate::error::RegistryError;
use crate::log::SchemaLog;

/// The topic's default name.
pub const EXPORTERS_TOPIC: &str = "_schema_exporters";

const DEFINITION: &str = "EXPORTER";
const STATUS: &str = "EXPORTER_STATUS";

#[derive(Debug, Serialize, Deserialize)]
struct Key {
    keytype: String,
    name: String,
}

fn key(keytype: &str, name: &str) -> Result<Vec<u8>, RegistryError> {
    serde_json::to_vec(&Key {
        keytype: keytype.to_owned(),
        name: name.to_owned(),
    })
    .map_err(|e| RegistryError::Store(e.to_string()))
}

/// What the log held for one exporter when it was read.
#[derive(Debug, Clone, Default)]
pub struct Stored {
    /// The definition, when one was stored and not deleted.
    pub definition: Option<ExporterDefinition>,
    /// The last status stored.
    pub status: Option<ExporterStatus>,
}

/// The exporters' log.
#[derive(Debug)]
pub struct ExporterLog {
    log: Arc<dyn SchemaLog>,
}

impl ExporterLog {
    /// Over an opened log (e.g. [`crate::LocalSchemaLog::open`] of
    /// [`EXPORTERS_TOPIC`]).
    pub fn new(log: Arc<dyn SchemaLog>) -> Self {
        Self { log }
    }

    /// Reads the whole log: every exporter with a definition, by name.
    /// Records that cannot be understood are skipped with a warning.
    ///
    /// # Errors
    /// [`RegistryError::Store`].
    pub async fn load(&self) -> Result<BTreeMap<String, Stored>, RegistryError> {
        let end = self.log.end_offset().await?;
        let mut out: BTreeMap<String, Stored> = BTreeMap::new();
        let mut offset = 0;
        while offset < end {
            let read = self.log.read(offset).await?;
            for record in &read.records {
                let Ok(key) = serde_json::from_slice::<Key>(&record.key) else {
                    tracing::warn!(offset = record.offset, "{EXPORTERS_TOPIC}: unknown key");
                    continue;
                };
                let entry = out.entry(key.name.clone()).or_default();
                let value = record.value.as_deref();
                match key.keytype.as_str() {
                    DEFINITION => {
                        entry.definition = value.and_then(|v| {
                            serde_json::from_slice(v)
                                .map_err(|e| {
                                    tracing::warn!(
                                        offset = record.offset,
                                        "{EXPORTERS_TOPIC}: bad definition: {e}"
                                    );
                                })
                                .ok()
                        });
                    }
                    STATUS => {
                        entry.status = value.and_then(|v| serde_json::from_slice(v).ok());
                    }
                    other => {
                        tracing::warn!(
                            offset = record.offset,
                            "{EXPORTERS_TOPIC}: unknown key type {other}"
                        );
                    }
                }
            }
            if read.next_offset <= offset {
                break;
            }
            offset = read.next_offset;
        }
        out.retain(|_, s| s.definition.is_some());
        Ok(out)
    }

    /// Stores a definition.
    ///
    /// # Errors
    /// [`RegistryError::Store`].
    pub async fn put_definition(&self, d: &ExporterDefinition) -> Result<(), RegistryError> {
        let value = serde_json::to_vec(d).map_err(|e| RegistryError::Store(e.to_string()))?;
        self.log
            .append(vec![(key(DEFINITION, &d.name)?, Some(value))])
            .await?;
        Ok(())
    }

    /// Stores a status (durable when this returns).
    ///
    /// # Errors
    /// [`RegistryError::Store`].
    pub async fn put_status(&self, s: &ExporterStatus) -> Result<(), RegistryError> {
        let value = serde_json::to_vec(s).map_err(|e| RegistryError::Store(e.to_string()))?;
        self.log
            .append(vec![(key(STATUS, &s.name)?, Some(value))])
            .await?;
        Ok(())
    }

    /// Stores a definition and its status in one append (create).
    ///
    /// # Errors
    /// [`RegistryError::Store`].
    pub async fn put_both(
        &self,
        d: &ExporterDefinition,
        s: &ExporterStatus,
    ) -> Result<(), RegistryError> {
        let store = |e: serde_json::Error| RegistryError::Store(e.to_string());
        self.log
            .append(vec![
                (
                    key(DEFINITION, &d.name)?,
                    Some(serde_json::to_vec(d).map_err(store)?),
                ),
                (
                    key(STATUS, &s.name)?,
                    Some(serde_json::to_vec(s).map_err(store)?),
                ),
            ])
            .await?;
        Ok(())
    }

    /// Removes an exporter (tombstones for both records).
    ///
    /// # Errors
    /// [`RegistryError::Store`].
    pub async fn delete(&self, name: &str) -> Result<(), RegistryError> {
        self.log
            .append(vec![
                (key(STATUS, name)?, None),
                (key(DEFINITION, name)?, None),
            ])
            .await?;
        Ok(())
    }
}
