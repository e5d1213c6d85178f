//! The registry's state: the fold of every `_schemas` record in order.
//! Nothing here writes; [`crate::store`] appends records and folds them back.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::record::{
    ConfigValue, DeleteSubjectValue, ModeValue, RecordKey, SchemaReference, SchemaValue,
};
use crate::schema::identity_of;
use crate::subject::QualifiedSubject;
use crate::types::SchemaType;

/// One version of one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Qualified subject.
    pub subject: String,
    /// Version number.
    pub version: i32,
    /// ID within the subject's context.
    pub id: i32,
    /// Schema language.
    pub schema_type: SchemaType,
    /// The stored text.
    pub schema: String,
    /// References.
    pub references: Vec<SchemaReference>,
    /// Soft deleted.
    pub deleted: bool,
    /// What "same schema" compares (see [`crate::schema::ParsedSchema::identity`]).
    pub identity: String,
}

/// The fold of the `_schemas` log.
#[derive(Debug, Default, Clone)]
pub struct State {
    /// Qualified subject → version → entry.
    pub subjects: BTreeMap<String, BTreeMap<i32, Version>>,
    /// Compatibility settings: `None` global, `Some(":.ctx:")` a context,
    /// `Some(subject)`.
    pub configs: HashMap<Option<String>, String>,
    /// Mode settings, keyed as `configs`.
    pub modes: HashMap<Option<String>, String>,
    /// Highest id ever seen per context (ids are never reused).
    pub max_ids: HashMap<String, i32>,
    /// Offset of the next record to fold.
    pub next_offset: i64,
}

impl State {
    /// Folds one record. Unknown or malformed records are skipped (a log
    /// written by another registry may hold kinds ferry does not know).
    pub fn apply(&mut self, offset: i64, key: &[u8], value: Option<&[u8]>) {
        self.next_offset = self.next_offset.max(offset + 1);
        let Some(key) = RecordKey::parse(key) else {
            tracing::debug!(offset, "_schemas: skipping a record with an unknown key");
            return;
        };
        match key {
            RecordKey::Schema { subject, version } => match value {
                None => {
                    if let Some(versions) = self.subjects.get_mut(&subject) {
                        versions.remove(&version);
                        if versions.is_empty() {
                            self.subjects.remove(&subject);
                        }
                    }
                }
                Some(bytes) => match serde_json::from_slice::<SchemaValue>(bytes) {
                    Ok(v) => self.put_version(v),
                    Err(e) => tracing::warn!(offset, "_schemas: bad SCHEMA value: {e}"),
                },
            },
            RecordKey::Config(subject) => {
                match value.and_then(|b| serde_json::from_slice::<ConfigValue>(b).ok()) {
                    Some(c) => {
                        self.configs.insert(subject, c.compatibility_level);
                    }
                    None => {
                        self.configs.remove(&subject);
                    }
                }
            }
            RecordKey::Mode(subject) => {
                match value.and_then(|b| serde_json::from_slice::<ModeValue>(b).ok()) {
                    Some(m) => {
                        self.modes.insert(subject, m.mode);
                    }
                    None => {
                        self.modes.remove(&subject);
                    }
                }
            }
            RecordKey::DeleteSubject(subject) => {
                let upto = value
                    .and_then(|b| serde_json::from_slice::<DeleteSubjectValue>(b).ok())
                    .map_or(i32::MAX, |d| d.version);
                if let Some(versions) = self.subjects.get_mut(&subject) {
                    for v in versions.values_mut().filter(|v| v.version <= upto) {
                        v.deleted = true;
                    }
                }
            }
            RecordKey::ClearSubject(subject) => {
                if let Some(versions) = self.subjects.get_mut(&subject) {
                    versions.retain(|_, v| !v.deleted);
                    if versions.is_empty() {
                        self.subjects.remove(&subject);
                    }
                }
            }
            RecordKey::Other => {}
        }
    }

    fn put_version(&mut self, v: SchemaValue) {
        let schema_type =
            SchemaType::from_option(v.schema_type.as_deref()).unwrap_or(SchemaType::Avro);
        let context = QualifiedSubject::context_of(&v.subject);
        let max = self.max_ids.entry(context).or_insert(0);
        *max = (*max).max(v.id);
        let refs = self
            .resolve_references(&v.subject, &v.references)
            .unwrap_or_default();
        let identity = identity_of(schema_type, &v.schema, &refs);
        self.subjects.entry(v.subject.clone()).or_default().insert(
            v.version,
            Version {
                subject: v.subject,
                version: v.version,
                id: v.id,
                schema_type,
                schema: v.schema,
                references: v.references,
                deleted: v.deleted,
                identity,
            },
        );
    }

    /// The `(name, text)` of every schema `references` need, transitively,
    /// referenced ones first. Reference subjects without a context are in
    /// the referring subject's context. `Err` names a missing reference.
    pub fn resolve_references(
        &self,
        referrer: &str,
        references: &[SchemaReference],
    ) -> Result<Vec<(String, String)>, String> {
        let context = QualifiedSubject::context_of(referrer);
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        self.collect_references(&context, references, &mut out, &mut seen, 0)?;
        Ok(out)
    }

    fn collect_references(
        &self,
        context: &str,
        references: &[SchemaReference],
        out: &mut Vec<(String, String)>,
        seen: &mut BTreeSet<(String, i32)>,
        depth: usize,
    ) -> Result<(), String> {
        if depth > 32 {
            return Err("references nest more than 32 levels".to_owned());
        }
        for r in references {
            let subject = qualify_in(context, &r.subject);
            let found = self.version(&subject, r.version, true).ok_or_else(|| {
                format!(
                    "Invalid schema: reference {} (subject {}, version {}) not found",
                    r.name, r.subject, r.version
                )
            })?;
            if !seen.insert((subject.clone(), found.version)) {
                continue;
            }
            self.collect_references(context, &found.references, out, seen, depth + 1)?;
            out.push((r.name.clone(), found.schema.clone()));
        }
        Ok(())
    }

    /// A version of a subject: `-1` is the latest live version; soft-deleted
    /// versions only with `deleted`.
    pub fn version(&self, subject: &str, version: i32, deleted: bool) -> Option<&Version> {
        let versions = self.subjects.get(subject)?;
        if version == -1 {
            return versions.values().rev().find(|v| deleted || !v.deleted);
        }
        versions.get(&version).filter(|v| deleted || !v.deleted)
    }

    /// The live (or all, with `deleted`) versions of a subject, oldest first.
    pub fn versions(&self, subject: &str, deleted: bool) -> Vec<&Version> {
        self.subjects
            .get(subject)
            .map(|vs| vs.values().filter(|v| deleted || !v.deleted).collect())
            .unwrap_or_default()
    }

    /// Every stored version with this id in this context.
    pub fn by_id(&self, context: &str, id: i32) -> Vec<&Version> {
        self.subjects
            .iter()
            .filter(|(s, _)| QualifiedSubject::context_of(s) == context)
            .flat_map(|(_, vs)| vs.values())
            .filter(|v| v.id == id)
            .collect()
    }

    /// The contexts holding at least one subject, plus the default.
    pub fn contexts(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self
            .subjects
            .keys()
            .map(|s| QualifiedSubject::context_of(s))
            .collect();
        out.insert(crate::subject::DEFAULT_CONTEXT.to_owned());
        out
    }
}

/// A reference's subject in the referrer's context unless it names its own.
pub fn qualify_in(context: &str, subject: &str) -> String {
    if subject.starts_with(":.") || context == crate::subject::DEFAULT_CONTEXT {
        subject.to_owned()
    } else {
        QualifiedSubject::new(context, subject).to_qualified()
    }
}
