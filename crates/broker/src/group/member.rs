//! One member of a classic group, as the coordinator tracks it between requests.

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::{Duration, Instant};

use super::membership::{JoinOutcome, SyncOutcome};

/// A group member: what it told us in JoinGroup, what the leader assigned to it,
/// and the responses it is waiting for.
///
/// A member that is blocked in JoinGroup or SyncGroup holds a `oneshot` sender
/// here; the request handler awaits the receiver without holding any lock.
#[derive(Debug)]
pub(super) struct Member {
    /// The coordinator-generated member id (`<client.id>-<uuid>`).
    pub(super) id: String,
    /// `group.instance.id` of a static member.
    pub(super) instance_id: Option<String>,
    /// The client id from the request header, shown by DescribeGroups.
    pub(super) client_id: String,
    /// The client's address, shown by DescribeGroups.
    pub(super) client_host: String,
    /// How long the member may go without a heartbeat before it is evicted.
    pub(super) session_timeout: Duration,
    /// How long the member may take to rejoin during a rebalance.
    pub(super) rebalance_timeout: Duration,
    /// The protocol type it joined with (`consumer` for Kafka consumers).
    pub(super) protocol_type: String,
    /// The protocols it supports with their metadata, in preference order.
    pub(super) protocols: Vec<(String, Bytes)>,
    /// The leader's assignment for this member in the current generation.
    pub(super) assignment: Bytes,
    /// Held while the member waits for the rebalance to finish its join phase.
    pub(super) join_waiter: Option<oneshot::Sender<JoinOutcome>>,
    /// Held while the member waits for the leader's SyncGroup.
    pub(super) sync_waiter: Option<oneshot::Sender<SyncOutcome>>,
    /// When the member is evicted unless it heartbeats (or is blocked in a join
    /// or sync, which keeps it alive as in Kafka).
    pub(super) session_deadline: Instant,
    /// Distinguishes incarnations of a member id, so that a stale session timer
    /// does not evict a newer member with the same id. Also the join order:
    /// the leader is the earliest-joined member.
    pub(super) serial: u64,
}

impl Member {
    /// The metadata this member sent for `protocol`, if it supports it.
    pub(super) fn metadata(&self, protocol: &str) -> Option<&Bytes> {
        self.protocols
            .iter()
            .find(|(name, _)| name == protocol)
            .map(|(_, metadata)| metadata)
    }

    /// Whether a rejoin carries exactly the protocols (names and metadata) the
    /// member joined with: then Kafka answers it from the current generation
    /// instead of starting a rebalance.
    pub(super) fn has_same_protocols(&self, protocols: &[(String, Bytes)]) -> bool {
        self.protocols.as_slice() == protocols
    }

    /// Pushes the session deadline one session timeout into the future.
    pub(super) fn touch(&mut self, now: Instant) {
        self.session_deadline = now + self.session_timeout;
    }

    /// Whether the member is blocked in JoinGroup or SyncGroup, which keeps it
    /// alive regardless of heartbeats. A request whose client went away (its
    /// receiver was dropped with the connection) does not count.
    pub(super) fn is_waiting(&self) -> bool {
        self.join_waiter
            .as_ref()
            .is_some_and(|waiter| !waiter.is_closed())
            || self
                .sync_waiter
                .as_ref()
                .is_some_and(|waiter| !waiter.is_closed())
    }

    /// Answers a pending JoinGroup, if any. A dropped receiver (the client went
    /// away) is not an error.
    pub(super) fn reply_join(&mut self, outcome: JoinOutcome) {
        if let Some(waiter) = self.join_waiter.take() {
            let _ = waiter.send(outcome);
        }
    }

    /// Answers a pending SyncGroup, if any.
    pub(super) fn reply_sync(&mut self, outcome: SyncOutcome) {
        if let Some(waiter) = self.sync_waiter.take() {
            let _ = waiter.send(outcome);
        }
    }
}
