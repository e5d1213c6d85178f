//! The [`RecordSource`] of `DatagenSource` connectors: `ferry_datagen`'s
//! generator and value encoder.

use std::collections::BTreeMap;

use bytes::Bytes;
use ferry_datagen::ValueEncoder;
use ferry_datagen::{Generator, GeneratorState};

use crate::config::{invalid, parse};
use crate::error::ConnectError;
use crate::source::{RecordSource, SourcePosition, SourceRecord, ValueSchema};

/// Generator plus encoder, and the registered id once known.
#[derive(Debug)]
struct Datagen {
    generator: Generator,
    encoder: ValueEncoder,
    schema_id: u32,
}

/// See [`crate::source::build`].
pub(crate) fn build(
    config: &BTreeMap<String, String>,
    produced: u64,
    seed: Option<i64>,
) -> Result<Box<dyn RecordSource>, ConnectError> {
    let parsed = parse(config)?;
    let generator = match seed.or(parsed.random_seed) {
        Some(seed) if produced > 0 || parsed.random_seed.is_none() => {
            parsed.resume(GeneratorState {
                iteration: produced,
                seed,
            })
        }
        // A fresh start: `random.seed` as the connector would apply it.
        _ if produced == 0 => parsed.generator(),
        _ => parsed.resume(GeneratorState {
            iteration: produced,
            seed: rand::random(),
        }),
    }
    .map_err(invalid)?;
    let encoder = parsed.encoder(&generator).map_err(invalid)?;
    Ok(Box::new(Datagen {
        generator,
        encoder,
        schema_id: 0,
    }))
}

impl RecordSource for Datagen {
    fn value_schema(&self) -> Option<ValueSchema> {
        let schema_type = self.encoder.format().schema_type()?;
        let text = self.encoder.schema_text()?;
        Some(ValueSchema {
            schema_type,
            text: text.to_owned(),
        })
    }

    fn set_schema_id(&mut self, id: i32) {
        self.schema_id = u32::try_from(id).unwrap_or(0);
    }

    fn next_record(&mut self) -> Result<SourceRecord, String> {
        let record = self.generator.next_record().map_err(|e| e.to_string())?;
        let value = self
            .encoder
            .encode(&record.value, self.schema_id)
            .map_err(|e| e.to_string())?;
        Ok(SourceRecord {
            key: record.key.map(Bytes::from),
            value: Bytes::from(value),
            iteration: record.iteration,
        })
    }

    fn position(&self) -> SourcePosition {
        let state = self.generator.state();
        SourcePosition {
            iteration: state.iteration,
            seed: state.seed,
        }
    }
}
