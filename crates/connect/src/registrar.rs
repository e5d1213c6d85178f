//! [`SchemaRegistrar`]: how a connector registers its value schema. The
//! runtime does not depend on the registry crate (which depends on the REST
//! crate that serves connectors); `ferry server` plugs its registry in, and
//! `ferry datagen` a registry HTTP client.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A boxed registration answer: the schema id, or the registry's message.
pub type RegisterFuture<'a> = Pin<Box<dyn Future<Output = Result<i32, String>> + Send + 'a>>;

/// Registers schemas (Confluent's `POST /subjects/{subject}/versions`).
pub trait SchemaRegistrar: Send + Sync + fmt::Debug {
    /// Registers `schema` of `schema_type` (`AVRO`, `JSON`, `PROTOBUF`)
    /// under `subject`; answers the id (the existing id when the subject
    /// holds the schema already).
    fn register<'a>(
        &'a self,
        subject: &'a str,
        schema_type: &'a str,
        schema: &'a str,
    ) -> RegisterFuture<'a>;
}
