//! [`RecordSource`]: what the task asks of a generator: the value schema to
//! register, then records whose values are framed in the Confluent wire
//! format with the registered id. [`build`] makes one from a connector
//! configuration with `ferry_datagen`.

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;

use crate::error::ConnectError;

/// A value schema to register before the first record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueSchema {
    /// `AVRO`, `JSON` or `PROTOBUF` (the registry's `schemaType`).
    pub schema_type: &'static str,
    /// The schema text.
    pub text: String,
}

/// One record ready to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    /// The key bytes (the key field's value as UTF-8 text), if any.
    pub key: Option<Bytes>,
    /// The value bytes: wire-framed for the schema formats, plain JSON for
    /// `JSON`.
    pub value: Bytes,
    /// Zero-based index of the record in the connector's stream.
    pub iteration: u64,
}

/// Where a source stands, to persist and resume from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourcePosition {
    /// Records generated so far.
    pub iteration: u64,
    /// The random seed to continue with.
    pub seed: i64,
}

/// A generator of encoded records.
pub trait RecordSource: Send + fmt::Debug {
    /// The schema to register under `<topic>-value`; `None` for formats
    /// without one (`JSON`).
    fn value_schema(&self) -> Option<ValueSchema>;
    /// The id the registry gave [`RecordSource::value_schema`]; framed into
    /// every value from now on.
    fn set_schema_id(&mut self, id: i32);
    /// The next record.
    ///
    /// # Errors
    /// Why it could not be generated or encoded.
    fn next_record(&mut self) -> Result<SourceRecord, String>;
    /// The position after the records generated so far.
    fn position(&self) -> SourcePosition;
}

/// A source for `config` (a `DatagenSource` connector's keys, `name`
/// included) after `produced` records, continuing the random stream from
/// `seed` when it is known (else from `random.seed`, else afresh).
///
/// # Errors
/// [`ConnectError::InvalidConfig`] naming the key at fault.
pub fn build(
    config: &BTreeMap<String, String>,
    produced: u64,
    seed: Option<i64>,
) -> Result<Box<dyn RecordSource>, ConnectError> {
    crate::datagen::build(config, produced, seed)
}
