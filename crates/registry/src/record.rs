//! The records of the `_schemas` topic, in Confluent's format.
//!
//! Keys are JSON objects whose `keytype` says what the record is about; the
//! field order follows Confluent's (compaction compares key bytes, so one
//! logical key must always print the same way):
//! - `{"keytype":"SCHEMA","subject":S,"version":V,"magic":1}` →
//!   `{"subject","version","id","schemaType"?,"references"?,"schema","deleted"}`;
//!   a tombstone (no value) deletes the version permanently.
//! - `{"keytype":"CONFIG","subject":S|null,"magic":0}` →
//!   `{"compatibilityLevel":…}`; `null` is the global level, `:.ctx:` a
//!   context's; a tombstone removes the setting.
//! - `{"keytype":"MODE","subject":S|null,"magic":0}` → `{"mode":…}`.
//! - `{"keytype":"DELETE_SUBJECT","subject":S,"magic":0}` →
//!   `{"subject":S,"version":V}`: versions up to V are soft deleted. Written
//!   by Confluent's registry; ferry reads it but soft deletes by rewriting
//!   each version's SCHEMA record with `deleted: true`.
//! - `{"keytype":"CLEAR_SUBJECT","subject":S,"magic":0}` → `{"subject":S}`:
//!   the subject's soft-deleted versions are gone. Read, not written.
//! - `NOOP` and unknown key types are ignored.
//!
//! Subjects are stored qualified (`:.ctx:name`), as Confluent does.

use serde::{Deserialize, Serialize};

/// A schema reference as the REST API and the store carry it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SchemaReference {
    /// The name the referring schema uses (an Avro full name, a file name).
    pub name: String,
    /// The subject holding the referenced schema.
    pub subject: String,
    /// Its version there.
    pub version: i32,
}

/// The value of a SCHEMA record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaValue {
    /// Qualified subject.
    pub subject: String,
    /// Version within the subject.
    pub version: i32,
    /// ID within the subject's context.
    pub id: i32,
    /// `AVRO` is written as absent, like Confluent.
    #[serde(
        rename = "schemaType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub schema_type: Option<String>,
    /// References, absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// The schema text as stored.
    pub schema: String,
    /// Soft deleted.
    #[serde(default)]
    pub deleted: bool,
}

/// The value of a CONFIG record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigValue {
    /// `BACKWARD`, …
    #[serde(rename = "compatibilityLevel")]
    pub compatibility_level: String,
}

/// The value of a MODE record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeValue {
    /// `READWRITE`, `READONLY`, `IMPORT`, …
    pub mode: String,
}

/// The value of a DELETE_SUBJECT record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteSubjectValue {
    /// Qualified subject.
    pub subject: String,
    /// Versions up to this one are soft deleted.
    pub version: i32,
}

/// A parsed key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKey {
    /// A subject version.
    Schema {
        /// Qualified subject.
        subject: String,
        /// Version.
        version: i32,
    },
    /// A compatibility setting (`None`: global).
    Config(Option<String>),
    /// A mode setting (`None`: global).
    Mode(Option<String>),
    /// Soft delete of a whole subject (Confluent's).
    DeleteSubject(String),
    /// Removal of a subject's soft-deleted versions (Confluent's).
    ClearSubject(String),
    /// Anything else (NOOP, exporter records, future types): ignored.
    Other,
}

#[derive(Deserialize)]
struct RawKey {
    keytype: String,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    version: Option<i32>,
}

impl RecordKey {
    /// Parses a key; `None` when it is not JSON with a `keytype`.
    pub fn parse(bytes: &[u8]) -> Option<RecordKey> {
        let raw: RawKey = serde_json::from_slice(bytes).ok()?;
        Some(match raw.keytype.as_str() {
            "SCHEMA" => RecordKey::Schema {
                subject: raw.subject?,
                version: raw.version?,
            },
            "CONFIG" => RecordKey::Config(raw.subject),
            "MODE" => RecordKey::Mode(raw.subject),
            "DELETE_SUBJECT" => RecordKey::DeleteSubject(raw.subject?),
            "CLEAR_SUBJECT" => RecordKey::ClearSubject(raw.subject?),
            _ => RecordKey::Other,
        })
    }

    /// The key's bytes, in Confluent's field order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let s = |v: &str| serde_json::Value::String(v.to_owned()).to_string();
        let opt = |v: &Option<String>| v.as_deref().map_or_else(|| "null".to_owned(), s);
        let text = match self {
            Self::Schema { subject, version } => format!(
                "{{\"keytype\":\"SCHEMA\",\"subject\":{},\"version\":{version},\"magic\":1}}",
                s(subject)
            ),
            Self::Config(subject) => format!(
                "{{\"keytype\":\"CONFIG\",\"subject\":{},\"magic\":0}}",
                opt(subject)
            ),
            Self::Mode(subject) => format!(
                "{{\"keytype\":\"MODE\",\"subject\":{},\"magic\":0}}",
                opt(subject)
            ),
            Self::DeleteSubject(subject) => format!(
                "{{\"keytype\":\"DELETE_SUBJECT\",\"subject\":{},\"magic\":0}}",
                s(subject)
            ),
            Self::ClearSubject(subject) => format!(
                "{{\"keytype\":\"CLEAR_SUBJECT\",\"subject\":{},\"magic\":0}}",
                s(subject)
            ),
            Self::Other => "{\"keytype\":\"NOOP\",\"magic\":0}".to_owned(),
        };
        text.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for key in [
            RecordKey::Schema {
                subject: ":.c:s\"x".to_owned(),
                version: 3,
            },
            RecordKey::Config(None),
            RecordKey::Config(Some("s".to_owned())),
            RecordKey::Mode(Some(":.c:".to_owned())),
            RecordKey::DeleteSubject("s".to_owned()),
            RecordKey::ClearSubject("s".to_owned()),
        ] {
            assert_eq!(RecordKey::parse(&key.to_bytes()), Some(key));
        }
        assert_eq!(
            String::from_utf8_lossy(
                &RecordKey::Schema {
                    subject: "t-value".to_owned(),
                    version: 1
                }
                .to_bytes()
            ),
            r#"{"keytype":"SCHEMA","subject":"t-value","version":1,"magic":1}"#
        );
        assert_eq!(RecordKey::parse(b"nope"), None);
        assert_eq!(
            RecordKey::parse(br#"{"keytype":"NOOP","magic":0}"#),
            Some(RecordKey::Other)
        );
    }

    #[test]
    fn schema_value_omits_avro_type_and_empty_references() {
        let v = SchemaValue {
            subject: "s".to_owned(),
            version: 1,
            id: 7,
            schema_type: None,
            references: vec![],
            schema: "\"string\"".to_owned(),
            deleted: false,
        };
        let text = serde_json::to_string(&v).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"subject":"s","version":1,"id":7,"schema":"\"string\"","deleted":false}"#
        );
    }
}
