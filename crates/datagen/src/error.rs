//! The one error type of the crate.

/// What went wrong building a generator, parsing a connector config or
/// encoding a record. Every message names the thing to fix: the schema path
/// (`orders.address.city`) or the connector config key.
#[derive(Debug, thiserror::Error)]
pub enum DatagenError {
    /// The schema text is not JSON (comments are allowed, as Avro's Java
    /// parser allows them and Confluent's quickstarts use them).
    #[error("the schema is not valid JSON: {0}")]
    SchemaJson(#[source] serde_json::Error),

    /// The schema is JSON but not a valid Avro schema.
    #[error("the schema is not a valid Avro schema: {0}")]
    Schema(String),

    /// An `arg.properties` annotation is malformed or does not fit its type;
    /// `path` is the dotted path of the annotated type in the schema.
    #[error("arg.properties at {path}: {message}")]
    Annotation {
        /// Dotted path of the annotated type, e.g. `orders.address.city`.
        path: String,
        /// What is wrong with it.
        message: String,
    },

    /// A generated value does not fit the schema (annotations that produce
    /// values the Avro schema rejects, e.g. a `uuid` string from a regex
    /// that is not a UUID).
    #[error("a generated value does not fit the schema: {0}")]
    Value(String),

    /// A connector config value is missing or invalid.
    #[error("connector config {key}: {message}")]
    Config {
        /// The config key, e.g. `kafka.topic`.
        key: String,
        /// What is wrong and what is accepted.
        message: String,
    },

    /// A generated value could not be encoded in the chosen format (a bug or
    /// an annotation producing values the schema rejects, e.g. options that
    /// do not fit).
    #[error("cannot encode the value as {format}: {message}")]
    Encode {
        /// The `output.data.format`.
        format: &'static str,
        /// Why.
        message: String,
    },

    /// The schema uses a construct the chosen format cannot express.
    #[error("{format} cannot express this schema: {message}")]
    Unsupported {
        /// The `output.data.format`.
        format: &'static str,
        /// Which construct.
        message: String,
    },
}

impl DatagenError {
    /// Shorthand for an [`DatagenError::Annotation`].
    pub(crate) fn annotation(path: &str, message: impl Into<String>) -> Self {
        DatagenError::Annotation {
            path: path.to_owned(),
            message: message.into(),
        }
    }

    /// Shorthand for a [`DatagenError::Config`].
    pub(crate) fn config(key: &str, message: impl Into<String>) -> Self {
        DatagenError::Config {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}
