//! [`SchemaRegistrar`]s for the connectors: the registry `ferry server`
//! runs (in-process) and any registry over HTTP (`ferry datagen`).

use std::sync::Arc;

use ferry_connect::{RegisterFuture, SchemaRegistrar};
use ferry_registry::Registry;
use ferry_registry::client::RegistryClient;
use ferry_registry::store::NewSchema;
use ferry_registry::types::SchemaType;

/// The server's own registry, called in-process.
#[derive(Debug)]
pub(crate) struct LocalRegistrar(pub(crate) Arc<Registry>);

impl SchemaRegistrar for LocalRegistrar {
    fn register<'a>(
        &'a self,
        subject: &'a str,
        schema_type: &'a str,
        schema: &'a str,
    ) -> RegisterFuture<'a> {
        Box::pin(async move {
            let schema_type = SchemaType::parse(schema_type)
                .ok_or_else(|| format!("unknown schema type {schema_type}"))?;
            let new = NewSchema {
                schema: schema.to_owned(),
                schema_type,
                ..NewSchema::default()
            };
            self.0
                .register(subject, new, false)
                .await
                .map_err(|e| format!("{} (error code {})", e.message, e.error_code))
        })
    }
}

/// A registry reached over HTTP.
#[derive(Debug)]
pub(crate) struct HttpRegistrar(pub(crate) RegistryClient);

impl SchemaRegistrar for HttpRegistrar {
    fn register<'a>(
        &'a self,
        subject: &'a str,
        schema_type: &'a str,
        schema: &'a str,
    ) -> RegisterFuture<'a> {
        Box::pin(async move {
            let body = serde_json::json!({ "schema": schema, "schemaType": schema_type });
            self.0
                .register(subject, &body)
                .await
                .map_err(|e| e.to_string())
        })
    }
}
