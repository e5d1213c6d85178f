//! Consumer offset sync (reference §1.6): every `consumer.offset.sync.ms`,
//! the committed offsets of source groups that pass
//! `consumer.offset.group.filters` (every group when sync is enabled with no
//! filter), for partitions of this link's mirrors that are still mirroring,
//! are written into the destination's group of the same name — only while
//! that group has no active members here, so consumers that already moved
//! are never overwritten. Offsets are the same on both sides because the
//! mirror keeps the source's offsets.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use ferry_broker::group::OffsetAndMetadata;
use ferry_client::Error as ClientError;

use super::{LinkRuntime, now_ms};
use crate::status::{MirrorStatus, TaskState};
use crate::view::TaskError;

/// What was last written per destination group.
pub(crate) type Synced = HashMap<String, BTreeMap<(String, i32), i64>>;

impl LinkRuntime {
    pub(crate) async fn offset_sync_loop(self: Arc<Self>) {
        let mut synced = Synced::new();
        loop {
            let settings = self.settings();
            let interval = Duration::from_millis(settings.consumer_offset_sync_ms.max(100));
            if settings.consumer_offset_sync_enable && !settings.cluster_link_paused {
                match self.sync_offsets(&mut synced, None).await {
                    Ok(_) => self.set_task("ConsumerOffsetSync", TaskState::Active, Vec::new()),
                    Err(e) => {
                        if Self::is_source_failure(&e) {
                            self.source_failed(&e);
                        }
                        self.set_task(
                            "ConsumerOffsetSync",
                            TaskState::InError,
                            vec![TaskError {
                                error_code: "INTERNAL_ERROR".into(),
                                error_message: e.to_string(),
                            }],
                        );
                    }
                }
            }
            // Not woken by other changes: the interval is the contract.
            let mut stop = self.stop.subscribe();
            if *stop.borrow() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// One sync pass; with `only_mirror`, just that mirror's partitions
    /// (promote's final sync). Returns how many group offsets were written.
    pub(crate) async fn sync_offsets(
        &self,
        synced: &mut Synced,
        only_mirror: Option<&str>,
    ) -> Result<usize, ClientError> {
        let settings = self.settings();
        let filters = settings.consumer_offset_group_filters.clone();
        let mirrors: HashMap<String, String> = self
            .mirrors()
            .into_iter()
            .filter(|(name, m)| {
                matches!(
                    m.status,
                    MirrorStatus::Active | MirrorStatus::Paused | MirrorStatus::PendingStopped
                ) && only_mirror.is_none_or(|only| only == name)
            })
            .map(|(name, m)| (m.source_topic, name))
            .collect();
        if mirrors.is_empty() {
            return Ok(0);
        }
        let client = self.source_client().await?;
        let groups = client.list_groups().await?;
        let prefix = settings
            .cluster_link_prefix
            .clone()
            .filter(|_| settings.consumer_group_prefix_enable);
        let mut written = 0;
        for group in groups {
            if !filters.matches(&group.group_id) {
                continue;
            }
            let committed = match client.committed_offsets(&group.group_id, None).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!(group = %group.group_id, "reading source offsets: {e}");
                    continue;
                }
            };
            let offsets: BTreeMap<(String, i32), i64> = committed
                .into_iter()
                .filter(|(_, offset)| *offset >= 0)
                .filter_map(|((topic, partition), offset)| {
                    mirrors
                        .get(&topic)
                        .map(|mirror| ((mirror.clone(), partition), offset))
                })
                .collect();
            if offsets.is_empty() {
                continue;
            }
            let dest_group = match &prefix {
                Some(p) => format!("{p}{}", group.group_id),
                None => group.group_id.clone(),
            };
            let current = self.broker.groups().committed_offsets(&dest_group);
            let changed: BTreeMap<(String, i32), OffsetAndMetadata> = offsets
                .iter()
                .filter(|(tp, offset)| current.get(*tp).is_none_or(|c| c.offset != **offset))
                .map(|(tp, offset)| {
                    (
                        tp.clone(),
                        OffsetAndMetadata {
                            offset: *offset,
                            leader_epoch: -1,
                            metadata: String::new(),
                            commit_timestamp_ms: now_ms(),
                            expire_timestamp_ms: None,
                        },
                    )
                })
                .collect();
            if changed.is_empty() {
                continue;
            }
            match self
                .broker
                .groups()
                .set_offsets_if_inactive(&dest_group, changed)
            {
                Ok(true) => {
                    written += 1;
                    synced.insert(dest_group, offsets);
                }
                Ok(false) => {
                    tracing::debug!(group = %dest_group, "group is active here; offsets not synced");
                }
                Err(e) => tracing::warn!(group = %dest_group, "writing synced offsets: {e}"),
            }
        }
        Ok(written)
    }
}
