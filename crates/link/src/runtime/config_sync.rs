//! Topic config sync (reference §1.8): every `topic.config.sync.ms`, the
//! source topic's explicitly set configs are copied onto the mirror. Always
//! configs are always synced (and immutable on the mirror); Configurable
//! ones when `topic.config.sync.include` lists them (all of them when it is
//! not set); Independent ones stay as set locally. Configs ferry's broker
//! does not know are skipped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferry_broker::mirror::{SyncCategory, sync_category};
use ferry_client::Error as ClientError;
use ferry_client::admin::ConfigSource;

use super::LinkRuntime;
use crate::status::{MirrorStatus, TaskState};
use crate::view::TaskError;

impl LinkRuntime {
    pub(crate) async fn config_sync_loop(self: Arc<Self>) {
        loop {
            let settings = self.settings();
            let interval = Duration::from_millis(settings.topic_config_sync_ms.max(100));
            if !settings.cluster_link_paused {
                match self.sync_configs().await {
                    Ok(()) => self.set_task("TopicConfigsSync", TaskState::Active, Vec::new()),
                    Err(e) => {
                        if Self::is_source_failure(&e) {
                            self.source_failed(&e);
                        }
                        self.set_task(
                            "TopicConfigsSync",
                            TaskState::InError,
                            vec![TaskError {
                                error_code: "INTERNAL_ERROR".into(),
                                error_message: e.to_string(),
                            }],
                        );
                    }
                }
            }
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

    fn is_synced(&self, name: &str, include: Option<&[String]>) -> bool {
        match sync_category(name) {
            SyncCategory::Always => true,
            SyncCategory::Configurable => include.is_none_or(|l| l.iter().any(|k| k == name)),
            SyncCategory::Independent => false,
        }
    }

    /// One pass over every mirror still mirroring.
    pub(crate) async fn sync_configs(&self) -> Result<(), ClientError> {
        let mirrors: Vec<(String, String)> = self
            .mirrors()
            .into_iter()
            .filter(|(_, m)| {
                matches!(
                    m.status,
                    MirrorStatus::Active | MirrorStatus::Paused | MirrorStatus::PendingMirror
                )
            })
            .map(|(name, m)| (name, m.source_topic))
            .collect();
        if mirrors.is_empty() {
            return Ok(());
        }
        let client = self.source_client().await?;
        let include = self.settings().topic_config_sync_include;
        for (mirror, source_topic) in mirrors {
            let Some(topic) = self.broker.topic(&mirror) else {
                continue;
            };
            let entries = match client.describe_topic_configs(&source_topic).await {
                Ok(e) => e,
                Err(e) if e.kafka_error().is_some() => continue,
                Err(e) => return Err(e),
            };
            let current = topic.overrides();
            let mut desired: BTreeMap<String, String> = current
                .iter()
                .filter(|(k, _)| !self.is_synced(k, include.as_deref()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for entry in entries {
                let Some(value) = entry.value else { continue };
                if entry.source != ConfigSource::DynamicTopic
                    || !self.is_synced(&entry.name, include.as_deref())
                {
                    continue;
                }
                match ferry_broker::config::topic::validate(&entry.name, &value) {
                    Ok(v) => {
                        desired.insert(entry.name, v);
                    }
                    Err(e) => tracing::debug!(mirror, config = %entry.name, "not synced: {e}"),
                }
            }
            if desired != current {
                match self.broker.sync_mirror_topic_configs(&mirror, desired) {
                    Ok(()) => tracing::info!(mirror, "topic configs synced from the source"),
                    Err(e) => tracing::warn!(mirror, "syncing topic configs: {e}"),
                }
            }
        }
        Ok(())
    }
}
