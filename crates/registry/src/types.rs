//! Schema types and registry modes, with Confluent's spellings.

/// The schema languages the registry accepts (`schemaType`; absent = AVRO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum SchemaType {
    /// Apache Avro (the default).
    #[default]
    Avro,
    /// JSON Schema.
    Json,
    /// Protocol Buffers (proto2/proto3 text).
    Protobuf,
}

impl SchemaType {
    /// Confluent's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Avro => "AVRO",
            Self::Json => "JSON",
            Self::Protobuf => "PROTOBUF",
        }
    }

    /// Parses Confluent's spelling (any case); `None` for unknown types.
    pub fn parse(text: &str) -> Option<SchemaType> {
        match text.to_ascii_uppercase().as_str() {
            "AVRO" => Some(Self::Avro),
            "JSON" => Some(Self::Json),
            "PROTOBUF" => Some(Self::Protobuf),
            _ => None,
        }
    }

    /// From a stored or requested optional type (absent = AVRO).
    pub fn from_option(text: Option<&str>) -> Option<SchemaType> {
        text.map_or(Some(Self::Avro), Self::parse)
    }

    /// What responses and records carry: absent for AVRO, as Confluent does.
    pub fn to_option(self) -> Option<String> {
        match self {
            Self::Avro => None,
            other => Some(other.as_str().to_owned()),
        }
    }
}

/// Registry modes (reference §7.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Normal operation (default).
    #[default]
    ReadWrite,
    /// No writes.
    ReadOnly,
    /// Deprecated spelling of a global READONLY.
    ReadOnlyOverride,
    /// Registrations must carry an explicit id (exporters' write path).
    Import,
    /// Internal to Confluent's forwarding; accepted and treated like IMPORT
    /// for registrations with an id.
    Forward,
}

impl Mode {
    /// Confluent's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadWrite => "READWRITE",
            Self::ReadOnly => "READONLY",
            Self::ReadOnlyOverride => "READONLY_OVERRIDE",
            Self::Import => "IMPORT",
            Self::Forward => "FORWARD",
        }
    }

    /// Parses Confluent's spelling (any case); `None` → 42204.
    pub fn parse(text: &str) -> Option<Mode> {
        match text.trim().to_ascii_uppercase().as_str() {
            "READWRITE" => Some(Self::ReadWrite),
            "READONLY" => Some(Self::ReadOnly),
            "READONLY_OVERRIDE" => Some(Self::ReadOnlyOverride),
            "IMPORT" => Some(Self::Import),
            "FORWARD" => Some(Self::Forward),
            _ => None,
        }
    }

    /// READONLY or READONLY_OVERRIDE.
    pub fn is_read_only(self) -> bool {
        matches!(self, Self::ReadOnly | Self::ReadOnlyOverride)
    }
}
