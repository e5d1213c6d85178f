//! [`ConnectError`]: every way a connector operation fails, with the HTTP
//! status and `error_code` Kafka Connect's REST API answers it with.

/// Why a connector operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// No connector of that name (Connect: 404).
    #[error("Connector {0} not found")]
    NotFound(String),
    /// A connector of that name exists already (Connect: 409).
    #[error("Connector {0} already exists")]
    AlreadyExists(String),
    /// The configuration is refused; each entry names the key at fault
    /// (Connect: 400, its "Connector configuration is invalid" wording).
    #[error(
        "Connector configuration is invalid and contains the following {} error(s):\n{}",
        .0.len(),
        .0.join("\n")
    )]
    InvalidConfig(Vec<String>),
    /// The request itself is malformed (bad name, bad body).
    #[error("{0}")]
    BadRequest(String),
    /// The connector's file under `<data_dir>/connectors` could not be read
    /// or written.
    #[error("connector storage: {0}")]
    Storage(String),
}

impl ConnectError {
    /// The HTTP status Kafka Connect answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::NotFound(_) => 404,
            Self::AlreadyExists(_) => 409,
            Self::InvalidConfig(_) | Self::BadRequest(_) => 400,
            Self::Storage(_) => 500,
        }
    }

    /// Kafka Connect's `error_code`: the HTTP status.
    pub fn error_code(&self) -> i32 {
        i32::from(self.http_status())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_kafka_connect() {
        assert_eq!(ConnectError::NotFound("x".into()).error_code(), 404);
        assert_eq!(ConnectError::AlreadyExists("x".into()).http_status(), 409);
        let e = ConnectError::InvalidConfig(vec!["a: b".into(), "c: d".into()]);
        assert_eq!(e.error_code(), 400);
        assert_eq!(
            e.to_string(),
            "Connector configuration is invalid and contains the following 2 error(s):\na: b\nc: d"
        );
        assert_eq!(
            ConnectError::NotFound("orders".into()).to_string(),
            "Connector orders not found"
        );
    }
}
