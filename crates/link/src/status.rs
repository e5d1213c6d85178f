//! The states and error names a link and its mirrors report, spelled as
//! Confluent's REST API spells them (reference §1.3, §1.4), so scripts written
//! against Confluent read ferry unchanged.

use serde::{Deserialize, Serialize};

/// `link_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LinkState {
    /// The source answers; mirrors fetch.
    Active,
    /// A permanent failure (e.g. authentication keeps failing).
    Failed,
    /// The source has been unreachable for
    /// `availability.check.ms` × `availability.check.consecutive.failure.threshold`.
    Unavailable,
    /// `cluster.link.paused=true`.
    Paused,
    /// Not known yet (just created, first contact pending).
    Unknown,
}

/// `link_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LinkErrorCode {
    /// Unclassified.
    Unknown,
    /// Healthy.
    NoError,
    /// SASL or TLS authentication towards the source failed.
    AuthenticationError,
    /// No bootstrap host resolved.
    UnresolvableBootstrapError,
    /// Internal endpoint misconfiguration.
    InvalidBootstrapInternalEndpointError,
    /// TCP connections to the bootstrap servers failed.
    BootstrapTcpConnectionFailedError,
    /// Requests timed out.
    TimeoutError,
}

/// `mirror_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MirrorStatus {
    /// Fetching; read-only.
    Active,
    /// Permanent per-topic failure; see `mirror_topic_error`.
    Failed,
    /// The link failed.
    LinkFailed,
    /// The link is paused.
    LinkPaused,
    /// Paused by the user; read-only.
    Paused,
    /// Promote/failover in progress.
    PendingStopped,
    /// The source cannot be reached; recovers by itself.
    SourceUnavailable,
    /// Mirroring ended; the topic is writable.
    Stopped,
    /// Created, waiting for source metadata or the first fetch.
    PendingMirror,
    /// Reserved (reverse flows).
    PendingSynchronize,
    /// Reserved (truncate-and-restore).
    PendingSetupForRestore,
    /// Reserved (truncate-and-restore).
    PendingRestore,
}

impl MirrorStatus {
    /// Whether the link still owns the topic's writes (Produce refused).
    pub fn is_established(self) -> bool {
        !matches!(self, Self::Stopped)
    }

    /// Parses the REST query value / CLI filter (`active`, `ACTIVE`, …).
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_ascii_uppercase())).ok()
    }

    /// The REST spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Failed => "FAILED",
            Self::LinkFailed => "LINK_FAILED",
            Self::LinkPaused => "LINK_PAUSED",
            Self::Paused => "PAUSED",
            Self::PendingStopped => "PENDING_STOPPED",
            Self::SourceUnavailable => "SOURCE_UNAVAILABLE",
            Self::Stopped => "STOPPED",
            Self::PendingMirror => "PENDING_MIRROR",
            Self::PendingSynchronize => "PENDING_SYNCHRONIZE",
            Self::PendingSetupForRestore => "PENDING_SETUP_FOR_RESTORE",
            Self::PendingRestore => "PENDING_RESTORE",
        }
    }

    /// The `state_category` of `category_counts`.
    pub fn category(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Paused | Self::LinkPaused => "PAUSED",
            Self::Failed | Self::LinkFailed | Self::SourceUnavailable => "IN_ERROR",
            Self::PendingStopped
            | Self::PendingMirror
            | Self::PendingSynchronize
            | Self::PendingSetupForRestore
            | Self::PendingRestore => "PENDING",
            Self::Stopped => "NOT_APPLICABLE",
        }
    }
}

/// `mirror_topic_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MirrorTopicError {
    /// Unclassified.
    Unknown,
    /// Not set.
    NotSet,
    /// Healthy.
    NoError,
    /// The source topic is gone.
    SourceTopicMayBeDeleted,
    /// The source topic was deleted and created again (new topic id).
    SourceTopicIdChanged,
    /// The source has fewer partitions than the mirror.
    SourcePartitionsDecreased,
    /// Source epochs went backwards.
    NonMonotonicLogAppendEpoch,
    /// The source log was truncated below what the mirror holds.
    UnexpectedTruncation,
    /// v0/v1 batches.
    UnsupportedMessageFormat,
    /// Source epochs went backwards.
    NonMonotonicSourceEpoch,
    /// A state the link cannot explain.
    IllegalState,
    /// The mirror is in a state the operation does not support.
    UnsupportedMirrorState,
}

/// `tasks[].state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskState {
    /// Not known.
    Unknown,
    /// Running.
    Active,
    /// Last run failed; see `errors`.
    InError,
    /// The feature is disabled on this link.
    NotConfigured,
    /// The link failed.
    LinkFailed,
    /// The source is unavailable.
    LinkUnavailable,
    /// The link is paused.
    LinkPaused,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_status_spellings_round_trip() {
        for s in [
            "ACTIVE",
            "FAILED",
            "LINK_FAILED",
            "LINK_PAUSED",
            "PAUSED",
            "PENDING_STOPPED",
            "SOURCE_UNAVAILABLE",
            "STOPPED",
            "PENDING_MIRROR",
            "PENDING_SYNCHRONIZE",
            "PENDING_SETUP_FOR_RESTORE",
            "PENDING_RESTORE",
        ] {
            let status = MirrorStatus::parse(s).expect(s);
            assert_eq!(status.as_str(), s);
            assert_eq!(MirrorStatus::parse(&s.to_ascii_lowercase()), Some(status));
        }
        assert_eq!(MirrorStatus::parse("bogus"), None);
    }
}
