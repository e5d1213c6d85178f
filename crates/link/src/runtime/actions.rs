//! Promote, failover, pause and resume (reference §1.5).
//!
//! Stopping a mirror writes the link's record first (STOPPED, with the log
//! end offsets) and clears the topic's mark second: a crash in between
//! leaves a stopped mirror whose topic is still read-only, which
//! `reconcile_topics` finishes on restart. The other order could leave a
//! writable topic that the fetcher still appends to.

use ferry_client::IsolationLevel;
use ferry_client::admin::OffsetSpec;

use super::LinkRuntime;
use super::offset_sync::Synced;
use crate::error::LinkError;
use crate::status::{MirrorStatus, MirrorTopicError};
use crate::view::MirrorAction;

/// A refused action: an HTTP-like code and a message.
pub(crate) type ActionOutcome = Result<(), (i32, String)>;

impl LinkRuntime {
    /// Applies `action` to one mirror.
    pub(crate) async fn act(
        &self,
        mirror: &str,
        action: MirrorAction,
        validate_only: bool,
    ) -> ActionOutcome {
        let link = self.name();
        let Some(m) = self.mirrors().get(mirror).cloned() else {
            return Err((
                404,
                format!("Topic '{mirror}' is not a mirror topic of link '{link}'"),
            ));
        };
        if m.status == MirrorStatus::Stopped {
            return Err((
                400,
                format!("Topic '{mirror}' has already stopped its mirror from '{link}'"),
            ));
        }
        let to_pause = |status: MirrorStatus| -> ActionOutcome {
            if validate_only {
                return Ok(());
            }
            self.set_mirror_status(mirror, status, MirrorTopicError::NoError)
                .map_err(|e| (500, e.to_string()))?;
            self.wake();
            Ok(())
        };
        match action {
            MirrorAction::Pause => match m.status {
                MirrorStatus::Active | MirrorStatus::Paused => to_pause(MirrorStatus::Paused),
                other => Err((
                    400,
                    format!(
                        "Topic '{mirror}' cannot be paused in state {}",
                        other.as_str()
                    ),
                )),
            },
            MirrorAction::Resume => match m.status {
                MirrorStatus::Paused | MirrorStatus::Active => to_pause(MirrorStatus::Active),
                other => Err((
                    400,
                    format!(
                        "Topic '{mirror}' cannot be resumed in state {}",
                        other.as_str()
                    ),
                )),
            },
            MirrorAction::Failover => {
                if validate_only {
                    return Ok(());
                }
                self.stop_mirroring(mirror)
                    .map_err(|e| (500, e.to_string()))
            }
            MirrorAction::Promote => self.promote(mirror, &m.source_topic, validate_only).await,
        }
    }

    /// Promote: only with the source reachable and no lag; a final offset
    /// sync; then STOPPED.
    async fn promote(
        &self,
        mirror: &str,
        source_topic: &str,
        validate_only: bool,
    ) -> ActionOutcome {
        let unreachable = |e: ferry_client::Error| {
            (
                400,
                format!(
                    "cannot promote '{mirror}': the source cluster is not reachable ({e}); use failover to stop mirroring without the source"
                ),
            )
        };
        let client = self.source_client().await.map_err(unreachable)?;
        let Some(topic) = self.broker.topic(mirror) else {
            return Err((404, format!("topic '{mirror}' does not exist")));
        };
        let keys: Vec<(String, i32)> = topic
            .partitions()
            .iter()
            .map(|p| (source_topic.to_string(), p.index))
            .collect();
        let ends = client
            .list_offsets(&keys, OffsetSpec::Latest, IsolationLevel::ReadUncommitted)
            .await
            .map_err(unreachable)?;
        let lagging: Vec<String> = topic
            .partitions()
            .iter()
            .filter_map(|p| {
                let end = ends.get(&(source_topic.to_string(), p.index))?.offset;
                let lag = end - p.high_watermark();
                (lag > 0).then(|| format!("partition {} lags by {lag}", p.index))
            })
            .collect();
        if !lagging.is_empty() {
            return Err((
                400,
                format!(
                    "cannot promote '{mirror}' while it lags the source ({}); retry when the lag is zero, or use failover",
                    lagging.join(", ")
                ),
            ));
        }
        if validate_only {
            return Ok(());
        }
        self.set_mirror_status(
            mirror,
            MirrorStatus::PendingStopped,
            MirrorTopicError::NoError,
        )
        .map_err(|e| (500, e.to_string()))?;
        if self.settings().consumer_offset_sync_enable {
            let mut synced = Synced::new();
            if let Err(e) = self.sync_offsets(&mut synced, Some(mirror)).await {
                tracing::warn!(mirror, "final offset sync failed: {e}");
            }
        }
        self.stop_mirroring(mirror)
            .map_err(|e| (500, e.to_string()))
    }

    /// Ends mirroring: STOPPED in the record, then the topic made writable.
    pub(crate) fn stop_mirroring(&self, mirror: &str) -> Result<(), LinkError> {
        let ends: Vec<i64> = self
            .broker
            .topic(mirror)
            .map(|t| t.partitions().iter().map(|p| p.high_watermark()).collect())
            .unwrap_or_default();
        let name = mirror.to_string();
        self.update_record(|r| {
            if let Some(m) = r.mirrors.get_mut(&name) {
                m.status = MirrorStatus::Stopped;
                m.error = MirrorTopicError::NoError;
                m.state_time_ms = super::now_ms();
                m.stopped_log_end_offsets = ends;
            }
        })?;
        if self.broker.topic(mirror).is_some_and(|t| t.is_mirror()) {
            self.broker
                .stop_mirror(mirror)
                .map_err(|e| LinkError::Storage(e.to_string()))?;
        }
        tracing::info!(link = %self.name(), mirror, "mirror stopped; the topic is writable");
        Ok(())
    }
}
