//! The background task that aborts transactions past their timeout.
//!
//! It starts the first time any data-path or transaction request reaches the
//! broker ([`TransactionCoordinator::ensure_timer`]), and holds only a weak
//! reference to the broker, so it ends when the broker is dropped. Each pass
//! runs on the blocking pool: it writes markers and fsyncs the journal.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::TransactionCoordinator;
use crate::state::Broker;

impl TransactionCoordinator {
    /// Starts the timeout task once (a no-op afterwards or outside a tokio
    /// runtime).
    pub fn ensure_timer(&self, broker: &Arc<Broker>) {
        if self.timer_started.load(Ordering::Relaxed) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.timer_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let every = Duration::from_millis(self.config.abort_check_interval_ms.max(10));
        let weak: Weak<Broker> = Arc::downgrade(broker);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(broker) = weak.upgrade() else { break };
                let pass = tokio::task::spawn_blocking(move || broker.txn.abort_expired(&broker));
                if pass.await.is_err() {
                    tracing::error!("transaction timeout pass panicked");
                }
            }
        });
    }
}
