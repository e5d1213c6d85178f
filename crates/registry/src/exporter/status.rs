//! An exporter's run state (`ExporterStatusResponse`, reference §7.3).

use serde::{Deserialize, Serialize};

/// Where an exporter is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ExporterState {
    /// Created or resumed; the destination has not answered yet.
    Starting,
    /// Exporting, or caught up and following.
    Running,
    /// Stopped by `/pause` (kept across restarts).
    Paused,
    /// The last attempt failed (`trace` says why); the exporter keeps
    /// retrying with backoff and goes back to RUNNING by itself.
    Error,
}

/// The status an exporter reports and persists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExporterStatus {
    /// The exporter's name.
    pub name: String,
    /// Its state.
    pub state: ExporterState,
    /// The offset in the source `_schemas` log of the next record to
    /// export: every record before it has been applied at the destination
    /// (0: nothing yet; `/reset` sets it back to 0).
    pub offset: i64,
    /// When the state or the offset last changed (ms since the epoch).
    pub ts: i64,
    /// Why the last attempt failed; empty when it did not.
    #[serde(default)]
    pub trace: String,
}

impl ExporterStatus {
    /// A new exporter's status.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            state: ExporterState::Starting,
            offset: 0,
            ts: now_ms(),
            trace: String::new(),
        }
    }
}

/// The wall clock in ms since the epoch (0 if the clock is before it).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
