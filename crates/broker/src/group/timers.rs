//! Deadlines of the group protocol, each a tokio task that sleeps until its
//! instant and then re-checks the group under the lock.
//!
//! Timers are never cancelled: a timer that fires for a member or rebalance
//! round that has moved on sees a different serial or state and does nothing,
//! or re-arms itself for a deadline that was pushed back (a heartbeat only moves
//! the member's deadline; the one outstanding timer notices when it wakes).
//! Tasks hold a `Weak` reference, so a dropped coordinator stops them.

use std::sync::{Arc, Weak};

use tokio::time::Instant;

use super::Inner;

/// A deadline to act on.
#[derive(Debug)]
pub(super) enum Timer {
    /// Evict `member` unless it heartbeated or waits in a join/sync.
    Session {
        group: String,
        member: String,
        serial: u64,
        at: Instant,
    },
    /// Forget a MEMBER_ID_REQUIRED id that did not rejoin.
    PendingMember {
        group: String,
        member: String,
        at: Instant,
    },
    /// Complete the join phase `serial` with whoever rejoined.
    Join {
        group: String,
        serial: u64,
        at: Instant,
    },
    /// Give up waiting for SyncGroup in `generation_id`.
    Sync {
        group: String,
        generation_id: i32,
        at: Instant,
    },
}

impl Timer {
    fn at(&self) -> Instant {
        match self {
            Timer::Session { at, .. }
            | Timer::PendingMember { at, .. }
            | Timer::Join { at, .. }
            | Timer::Sync { at, .. } => *at,
        }
    }
}

/// Spawns a task per timer. Outside a tokio runtime nothing can be armed; that
/// only happens to [`super::GroupCoordinator::open`] without a runtime, which
/// then restores no members.
pub(super) fn arm(inner: &Arc<Inner>, timers: Vec<Timer>) {
    if timers.is_empty() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("group timers cannot run outside a tokio runtime");
        return;
    };
    for timer in timers {
        let weak: Weak<Inner> = Arc::downgrade(inner);
        runtime.spawn(async move {
            tokio::time::sleep_until(timer.at()).await;
            if let Some(inner) = weak.upgrade() {
                fire(&inner, timer);
            }
        });
    }
}

/// Acts on a timer that came due.
fn fire(inner: &Arc<Inner>, timer: Timer) {
    inner.with_ctx(|groups, _txns, ctx| match timer {
        Timer::Session {
            group,
            member,
            serial,
            ..
        } => {
            if let Some(group) = groups.get_mut(&group) {
                group.on_session_deadline(&member, serial, ctx);
            }
        }
        Timer::PendingMember { group, member, .. } => {
            if let Some(group) = groups.get_mut(&group) {
                group.remove_pending_member(&member, ctx);
            }
        }
        Timer::Join { group, serial, .. } => {
            if let Some(group) = groups.get_mut(&group) {
                group.on_join_deadline(serial, ctx);
            }
        }
        Timer::Sync {
            group,
            generation_id,
            ..
        } => {
            if let Some(group) = groups.get_mut(&group) {
                group.on_sync_deadline(generation_id, ctx);
            }
        }
    });
}

/// Starts the task that removes expired offsets every
/// `offsets.retention.check.interval.ms`, if a runtime is running.
pub(super) fn start_retention_task(inner: &Arc<Inner>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let weak = Arc::downgrade(inner);
    let interval = inner.config.offsets_retention_check_interval;
    runtime.spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let Some(inner) = weak.upgrade() else {
                return;
            };
            inner.expire_offsets();
        }
    });
}
