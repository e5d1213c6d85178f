//! Errors of link operations, with the HTTP status and error code the REST
//! layer answers them with.

/// A link operation that could not be done.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No link of that name.
    #[error("cluster link '{0}' does not exist")]
    LinkNotFound(String),
    /// A link of that name exists.
    #[error("cluster link '{0}' already exists")]
    LinkExists(String),
    /// The link still has mirrors that are not stopped (delete without force).
    #[error(
        "cluster link '{0}' has mirror topics that are not stopped: {1}; stop them (promote or failover) or delete with force=true"
    )]
    LinkInUse(String, String),
    /// No such mirror on that link.
    #[error("mirror topic '{topic}' does not exist on cluster link '{link}'")]
    MirrorNotFound {
        /// Link.
        link: String,
        /// Mirror topic.
        topic: String,
    },
    /// A bad link config, filter, name or request.
    #[error("{0}")]
    Invalid(String),
    /// The source could not be reached or refused us (creation with validation).
    #[error("source cluster: {0}")]
    Source(String),
    /// A topic already exists where a mirror would be created.
    #[error("topic '{0}' already exists")]
    TopicExists(String),
    /// The topic is not on the source.
    #[error("source topic '{0}' does not exist on the source cluster")]
    SourceTopicNotFound(String),
    /// Persisting failed.
    #[error("storage: {0}")]
    Storage(String),
}

impl LinkError {
    /// The HTTP status Confluent's REST API answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::LinkNotFound(_) | Self::MirrorNotFound { .. } | Self::SourceTopicNotFound(_) => {
                404
            }
            Self::LinkExists(_) | Self::TopicExists(_) | Self::LinkInUse(..) => 409,
            Self::Invalid(_) => 400,
            Self::Source(_) => 400,
            Self::Storage(_) => 500,
        }
    }

    /// The body's `error_code`: Confluent's REST convention of status × 100
    /// plus a detail digit.
    pub fn error_code(&self) -> i32 {
        match self {
            Self::LinkNotFound(_) | Self::MirrorNotFound { .. } | Self::SourceTopicNotFound(_) => {
                40403
            }
            Self::LinkExists(_) | Self::TopicExists(_) | Self::LinkInUse(..) => 40902,
            Self::Invalid(_) => 40002,
            Self::Source(_) => 40002,
            Self::Storage(_) => 50001,
        }
    }
}
