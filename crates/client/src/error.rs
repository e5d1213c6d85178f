//! The client's error type.
//!
//! Messages are written for the person running a command: they name the broker,
//! topic or group involved and say what went wrong in Kafka's words, so that the
//! CLI can print them unchanged.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::ApiKey;

/// Everything that can go wrong talking to a Kafka cluster.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is unusable (bad property, missing credentials, unreadable file).
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// A TCP connection to a broker could not be opened.
    #[error("cannot reach {addr}: {reason}")]
    Connect {
        /// `host:port` that was dialled.
        addr: String,
        /// Why, in the operating system's words (e.g. "connection refused").
        reason: String,
    },
    /// The TLS handshake failed (untrusted certificate, wrong host name, not TLS at all).
    #[error("TLS handshake with {addr} failed: {reason}")]
    Tls {
        /// The broker.
        addr: String,
        /// What rustls said.
        reason: String,
    },
    /// SASL authentication was refused or could not be carried out.
    #[error("authentication failed: {0}")]
    Authentication(String),
    /// The connection broke (or was closed by the broker) while requests were in flight.
    #[error("connection to {addr} closed: {reason}")]
    ConnectionClosed {
        /// The broker.
        addr: String,
        /// What ended it.
        reason: String,
    },
    /// No response arrived within the request timeout.
    #[error("{api:?} request to {addr} timed out after {timeout_ms} ms")]
    Timeout {
        /// The broker.
        addr: String,
        /// The request that went unanswered.
        api: ApiKey,
        /// The timeout that expired.
        timeout_ms: u64,
    },
    /// The broker does not offer an API (or no version both sides know).
    #[error("broker {addr} does not support {api:?} at any version this client knows")]
    UnsupportedApi {
        /// The broker.
        addr: String,
        /// The API.
        api: ApiKey,
    },
    /// A request could not be encoded or a response could not be decoded.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The broker answered with a Kafka error code.
    #[error("{context}: {}", describe(*.error, .message.as_deref()))]
    Kafka {
        /// The error code.
        error: ResponseError,
        /// The broker's error message, when it sent one.
        message: Option<String>,
        /// What was being done, e.g. "create topic 'orders'".
        context: String,
    },
    /// A topic that already exists was to be created.
    #[error("topic '{0}' already exists")]
    TopicAlreadyExists(String),
    /// A topic the cluster does not have.
    #[error("topic '{0}' does not exist")]
    UnknownTopic(String),
    /// A partition index beyond the topic's partition count.
    #[error("topic '{topic}' has no partition {partition}")]
    UnknownPartition {
        /// The topic.
        topic: String,
        /// The partition asked for.
        partition: i32,
    },
    /// A consumer group the coordinator does not know.
    #[error("consumer group '{0}' does not exist")]
    UnknownGroup(String),
    /// Every retry of a retriable error was used up.
    #[error("{context}: gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// What was being done.
        context: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last error seen.
        last: Box<Error>,
    },
    /// Record bytes from the broker could not be decoded.
    #[error("cannot decode records of {topic}-{partition} at offset {offset}: {reason}")]
    Records {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// Offset of the batch that failed.
        offset: i64,
        /// What was wrong.
        reason: String,
    },
}

/// A result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Builds [`Error::Kafka`] from a non-zero error code.
    pub fn kafka(code: i16, message: Option<&str>, context: impl Into<String>) -> Self {
        Error::Kafka {
            error: ResponseError::try_from_code(code).unwrap_or(ResponseError::Unknown(code)),
            message: message.filter(|m| !m.is_empty()).map(str::to_owned),
            context: context.into(),
        }
    }

    /// The Kafka error code carried by this error, if it came from a broker.
    pub fn kafka_error(&self) -> Option<ResponseError> {
        match self {
            Error::Kafka { error, .. } => Some(*error),
            Error::RetriesExhausted { last, .. } => last.kafka_error(),
            _ => None,
        }
    }

    /// True when a fresh connection or refreshed metadata may make a retry succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Kafka { error, .. } => error.is_retriable(),
            Error::ConnectionClosed { .. } | Error::Timeout { .. } | Error::Connect { .. } => true,
            _ => false,
        }
    }

    /// True when the error means the client's idea of partition leadership is stale.
    pub fn is_stale_metadata(&self) -> bool {
        matches!(
            self.kafka_error(),
            Some(
                ResponseError::NotLeaderOrFollower
                    | ResponseError::UnknownTopicOrPartition
                    | ResponseError::LeaderNotAvailable
                    | ResponseError::FencedLeaderEpoch
                    | ResponseError::UnknownLeaderEpoch
                    | ResponseError::NotCoordinator
                    | ResponseError::CoordinatorNotAvailable
                    | ResponseError::UnknownTopicId
            )
        )
    }
}

/// Turns an error code into a sentence, preferring the broker's own message.
fn describe(error: ResponseError, message: Option<&str>) -> String {
    let text = match error {
        ResponseError::TopicAlreadyExists => "topic already exists",
        ResponseError::UnknownTopicOrPartition => "unknown topic or partition",
        ResponseError::InvalidPartitions => "invalid number of partitions",
        ResponseError::InvalidReplicationFactor => "invalid replication factor",
        ResponseError::InvalidConfig => "invalid configuration",
        ResponseError::InvalidTopicException => "invalid topic name",
        ResponseError::TopicAuthorizationFailed => "not authorized to access the topic",
        ResponseError::GroupAuthorizationFailed => "not authorized to access the group",
        ResponseError::ClusterAuthorizationFailed => "not authorized for this cluster operation",
        ResponseError::SaslAuthenticationFailed => "SASL authentication failed",
        ResponseError::NotLeaderOrFollower => "broker is not the partition leader",
        ResponseError::CoordinatorNotAvailable => "group coordinator not available",
        ResponseError::NotCoordinator => "broker is not the group coordinator",
        ResponseError::RebalanceInProgress => "the group is rebalancing",
        ResponseError::UnknownMemberId => "the group no longer knows this member",
        ResponseError::IllegalGeneration => "stale group generation",
        ResponseError::GroupIdNotFound => "group not found",
        ResponseError::NonEmptyGroup => "the group still has members",
        ResponseError::OffsetOutOfRange => "offset out of range",
        ResponseError::MessageTooLarge => "message larger than the broker accepts",
        ResponseError::RecordListTooLarge => "record batch larger than the broker accepts",
        ResponseError::CorruptMessage => "corrupt record batch",
        ResponseError::UnsupportedVersion => "unsupported request version",
        ResponseError::PolicyViolation => "rejected by the broker's policy",
        _ => "",
    };
    let name = if text.is_empty() {
        format!("{error}")
    } else {
        text.to_owned()
    };
    match message {
        Some(m) if !m.is_empty() && m != name => format!("{name} ({m})"),
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_errors_read_as_sentences() {
        let e = Error::kafka(36, None, "create topic 'x'");
        assert_eq!(e.to_string(), "create topic 'x': topic already exists");
        let e = Error::kafka(40, Some("cleanup.policy=bogus"), "create topic 'x'");
        assert_eq!(
            e.to_string(),
            "create topic 'x': invalid configuration (cleanup.policy=bogus)"
        );
        assert!(Error::kafka(6, None, "fetch").is_stale_metadata());
        assert!(!Error::kafka(36, None, "x").is_retriable());
    }
}
