//! Avro schemas (the avro engineer owns this module).
