//! Compatibility levels and the registry's check of a new schema against a
//! subject's history.

use super::AvroSchema;
use super::resolve::{Incompatibility, can_read};

/// Confluent's compatibility levels (global and per subject).
///
/// BACKWARD: the new schema reads data written with the latest version.
/// FORWARD: the latest version reads data written with the new schema.
/// FULL: both. The `*_TRANSITIVE` levels check every existing version
/// instead of only the latest. NONE checks nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CompatibilityLevel {
    /// No check.
    None,
    /// New reads latest (Confluent's default level).
    #[default]
    Backward,
    /// New reads every version.
    BackwardTransitive,
    /// Latest reads new.
    Forward,
    /// Every version reads new.
    ForwardTransitive,
    /// Backward and forward against the latest.
    Full,
    /// Backward and forward against every version.
    FullTransitive,
}

impl CompatibilityLevel {
    /// Every level, in Confluent's documentation order.
    pub const ALL: [CompatibilityLevel; 7] = [
        Self::None,
        Self::Backward,
        Self::BackwardTransitive,
        Self::Forward,
        Self::ForwardTransitive,
        Self::Full,
        Self::FullTransitive,
    ];

    /// Confluent's spelling (`BACKWARD_TRANSITIVE`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Backward => "BACKWARD",
            Self::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Self::Forward => "FORWARD",
            Self::ForwardTransitive => "FORWARD_TRANSITIVE",
            Self::Full => "FULL",
            Self::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Parses Confluent's spelling. Confluent accepts the level in any case
    /// (it upper-cases before matching), so ferry does too. `None` for an
    /// unknown level, which the registry answers with 422 / `42203`.
    pub fn parse(text: &str) -> Option<CompatibilityLevel> {
        let upper = text.trim().to_ascii_uppercase();
        Self::ALL.into_iter().find(|l| l.as_str() == upper)
    }

    /// Whether the new schema must read old data.
    pub fn is_backward(self) -> bool {
        matches!(
            self,
            Self::Backward | Self::BackwardTransitive | Self::Full | Self::FullTransitive
        )
    }

    /// Whether old schemas must read new data.
    pub fn is_forward(self) -> bool {
        matches!(
            self,
            Self::Forward | Self::ForwardTransitive | Self::Full | Self::FullTransitive
        )
    }

    /// Whether every existing version is checked, not only the latest.
    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            Self::BackwardTransitive | Self::ForwardTransitive | Self::FullTransitive
        )
    }
}

impl std::fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CompatibilityLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| format!("Invalid compatibility level: {s}"))
    }
}

/// Checks `new` against a subject's existing schemas, newest first (soft
/// deleted versions excluded by the caller, as Confluent does). Returns the
/// incompatibility messages; empty means compatible (also when there is no
/// history or the level is NONE).
///
/// Each message names the direction and the existing version's position,
/// e.g. `{oldSchemaVersionIndex: 0, direction: BACKWARD} {errorType:…}`;
/// the REST layer may prefix `oldSchemaVersion` with the real version.
pub fn check(
    level: CompatibilityLevel,
    new: &AvroSchema,
    existing_newest_first: &[AvroSchema],
) -> Vec<String> {
    let against = if level.is_transitive() {
        existing_newest_first
    } else {
        existing_newest_first.get(..1).unwrap_or_default()
    };
    let mut messages = Vec::new();
    for (index, old) in against.iter().enumerate() {
        if level.is_backward()
            && let Err(found) = can_read(old, new)
        {
            push(&mut messages, index, "BACKWARD", &found);
        }
        if level.is_forward()
            && let Err(found) = can_read(new, old)
        {
            push(&mut messages, index, "FORWARD", &found);
        }
    }
    messages
}

fn push(messages: &mut Vec<String>, index: usize, direction: &str, found: &[Incompatibility]) {
    for incompatibility in found {
        messages.push(format!(
            "{{oldSchemaVersionIndex: {index}, direction: {direction}}} {incompatibility}"
        ));
    }
}
