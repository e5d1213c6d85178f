//! One classic group and its rebalance state machine.
//!
//! Everything here runs under the coordinator's lock and never awaits. Members
//! blocked in JoinGroup/SyncGroup are answered through their `oneshot` senders;
//! timers are not armed here but handed back in [`Ctx::timers`], because arming
//! needs the coordinator's `Arc` and must happen after the lock is released.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bytes::Bytes;
use kafka_protocol::ResponseError;
use tokio::time::{Duration, Instant};

use super::GroupConfig;
use super::member::Member;
use super::membership::{JoinOutcome, JoinedMember, SyncOutcome};
use super::offsets::{OffsetAndMetadata, TopicPartition};
use super::state::GroupState;
use super::store::{GroupSnapshot, Record, Store, StoredMember};
use super::timers::Timer;

/// What a state transition needs besides the group itself.
pub(super) struct Ctx<'a> {
    /// The coordinator's settings.
    pub(super) config: &'a GroupConfig,
    /// The journal, for group metadata written on Stable and Empty transitions.
    pub(super) store: &'a mut Store,
    /// Source of member serials.
    pub(super) next_serial: &'a mut u64,
    /// Timers to arm once the lock is released.
    pub(super) timers: Vec<Timer>,
    /// The monotonic time of the operation.
    pub(super) now: Instant,
}

impl Ctx<'_> {
    /// A fresh serial for a member incarnation or a rebalance round.
    pub(super) fn serial(&mut self) -> u64 {
        *self.next_serial += 1;
        *self.next_serial
    }
}

/// A classic consumer group.
#[derive(Debug)]
pub(super) struct Group {
    /// The group id.
    pub(super) id: String,
    /// Where the group is in its rebalance cycle.
    pub(super) state: GroupState,
    /// Incremented each time a join phase completes (also to an empty group).
    pub(super) generation_id: i32,
    /// The protocol type of the members (`consumer`), kept while Empty so that
    /// ListGroups can still show it.
    pub(super) protocol_type: Option<String>,
    /// The protocol chosen for the current generation (e.g. `range`).
    pub(super) protocol_name: Option<String>,
    /// The member that computes the assignment in this generation.
    pub(super) leader_id: Option<String>,
    /// Members by id.
    pub(super) members: BTreeMap<String, Member>,
    /// Ids handed out with MEMBER_ID_REQUIRED that have not rejoined yet.
    pub(super) pending_members: BTreeSet<String>,
    /// `group.instance.id` → member id of static members.
    pub(super) static_members: HashMap<String, String>,
    /// Committed offsets.
    pub(super) offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    /// Wall-clock milliseconds when the group entered its current state; offsets
    /// of an Empty group expire relative to it.
    pub(super) state_timestamp_ms: i64,
    /// Identifies the current join phase, so that a stale join timer is ignored.
    rebalance_serial: u64,
    /// When the current join phase completes even if members are missing.
    join_deadline: Instant,
    /// Set during the initial rebalance delay of a group that was Empty: the
    /// latest the delay can be extended to. While set, the join phase only
    /// completes at its deadline, so that consumers starting together land in
    /// one generation.
    initial_delay_cap: Option<Instant>,
}

impl Group {
    /// A new, empty group (created by its first JoinGroup or simple commit).
    pub(super) fn new(id: String, now: Instant) -> Group {
        Group {
            id,
            state: GroupState::Empty,
            generation_id: 0,
            protocol_type: None,
            protocol_name: None,
            leader_id: None,
            members: BTreeMap::new(),
            pending_members: BTreeSet::new(),
            static_members: HashMap::new(),
            offsets: BTreeMap::new(),
            state_timestamp_ms: super::wall_clock_ms(),
            rebalance_serial: 0,
            join_deadline: now,
            initial_delay_cap: None,
        }
    }

    /// Rebuilds a group from its journal snapshot. Members come back Stable with
    /// a fresh session timeout: those that are still alive keep heartbeating,
    /// the others are evicted and trigger a rebalance, as after a coordinator
    /// failover in Kafka.
    pub(super) fn restore(
        id: String,
        snapshot: GroupSnapshot,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
        restore_members: bool,
        ctx: &mut Ctx<'_>,
    ) -> Group {
        let mut group = Group::new(id, ctx.now);
        group.generation_id = snapshot.generation_id;
        group.protocol_type = snapshot.protocol_type;
        group.state_timestamp_ms = snapshot.state_timestamp_ms;
        group.offsets = offsets;
        let protocol_name = snapshot.protocol_name;
        let leader_id = snapshot.leader_id;
        if restore_members && !snapshot.members.is_empty() && protocol_name.is_some() {
            for stored in snapshot.members {
                let serial = ctx.serial();
                let member = stored.into_member(serial, ctx.now);
                if let Some(instance) = &member.instance_id {
                    group
                        .static_members
                        .insert(instance.clone(), member.id.clone());
                }
                ctx.timers.push(Timer::Session {
                    group: group.id.clone(),
                    member: member.id.clone(),
                    serial,
                    at: member.session_deadline,
                });
                group.members.insert(member.id.clone(), member);
            }
            group.protocol_name = protocol_name;
            group.leader_id = leader_id.filter(|leader| group.members.contains_key(leader));
            if group.leader_id.is_none() {
                group.leader_id = group.first_member();
            }
            group.state = GroupState::Stable;
        }
        group
    }

    /// The journal snapshot of the group's metadata.
    pub(super) fn snapshot(&self) -> GroupSnapshot {
        GroupSnapshot {
            generation_id: self.generation_id,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol_name.clone(),
            leader_id: self.leader_id.clone(),
            state_timestamp_ms: self.state_timestamp_ms,
            members: self
                .members
                .values()
                .map(StoredMember::from_member)
                .collect(),
        }
    }

    /// Writes the group metadata to the journal. A failed write is logged: the
    /// in-memory group stays authoritative, and only a restart would lose it.
    fn persist(&self, store: &mut Store) {
        let record = Record::Group {
            group: self.id.clone(),
            snapshot: self.snapshot(),
        };
        if let Err(error) = store.append(&record) {
            tracing::warn!(group = %self.id, %error, "could not journal group metadata");
        }
    }

    fn transition(&mut self, state: GroupState) {
        self.state = state;
        self.state_timestamp_ms = super::wall_clock_ms();
    }

    /// The earliest-joined member, Kafka's choice of leader when the old one is gone.
    fn first_member(&self) -> Option<String> {
        self.members
            .values()
            .min_by_key(|member| member.serial)
            .map(|member| member.id.clone())
    }

    /// Whether a member (new, or `member_id` updating its protocols) with these
    /// protocols can be in the group: the first member needs a protocol type and
    /// at least one protocol; later ones need the same type and one protocol
    /// that every other member supports too.
    pub(super) fn supports_protocols(
        &self,
        member_id: Option<&str>,
        protocol_type: &str,
        protocols: &[(String, Bytes)],
    ) -> bool {
        let others: Vec<&Member> = self
            .members
            .values()
            .filter(|member| Some(member.id.as_str()) != member_id)
            .collect();
        if protocol_type.is_empty() || protocols.is_empty() {
            return false;
        }
        if others.is_empty() {
            return true;
        }
        if self.protocol_type.as_deref() != Some(protocol_type) {
            return false;
        }
        protocols
            .iter()
            .any(|(name, _)| others.iter().all(|member| member.metadata(name).is_some()))
    }

    /// Chooses the generation's protocol: among the protocols every member
    /// supports, each member votes for the one it prefers most; most votes win,
    /// ties go to the earlier candidate in the leader's preference order.
    fn select_protocol(&self) -> Option<String> {
        let leader = self
            .leader_id
            .as_ref()
            .and_then(|id| self.members.get(id))?;
        let candidates: Vec<&String> = leader
            .protocols
            .iter()
            .map(|(name, _)| name)
            .filter(|name| self.members.values().all(|m| m.metadata(name).is_some()))
            .collect();
        let mut best: Option<(&String, usize)> = None;
        for candidate in &candidates {
            let votes = self
                .members
                .values()
                .filter(|member| {
                    member
                        .protocols
                        .iter()
                        .map(|(name, _)| name)
                        .find(|name| candidates.contains(name))
                        == Some(*candidate)
                })
                .count();
            if best.is_none_or(|(_, most)| votes > most) {
                best = Some((candidate, votes));
            }
        }
        best.map(|(name, _)| name.clone())
    }

    /// The largest rebalance timeout of the members: how long a join phase may last.
    fn rebalance_timeout(&self) -> Duration {
        self.members
            .values()
            .map(|member| member.rebalance_timeout)
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// Adds a member that just sent JoinGroup (its join waiter is set) and
    /// starts or advances the rebalance.
    pub(super) fn add_member(&mut self, member: Member, ctx: &mut Ctx<'_>) {
        if self.members.is_empty() {
            self.protocol_type = Some(member.protocol_type.clone());
        }
        if let Some(instance) = &member.instance_id {
            self.static_members
                .insert(instance.clone(), member.id.clone());
        }
        ctx.timers.push(Timer::Session {
            group: self.id.clone(),
            member: member.id.clone(),
            serial: member.serial,
            at: member.session_deadline,
        });
        self.members.insert(member.id.clone(), member);
        if self.state == GroupState::PreparingRebalance {
            if let Some(cap) = self.initial_delay_cap {
                // A new member during the initial delay: wait a little longer
                // for others, up to the rebalance timeout.
                self.join_deadline = (ctx.now + ctx.config.initial_rebalance_delay).min(cap);
            }
            self.maybe_complete_join(ctx);
        } else {
            self.prepare_rebalance(ctx);
        }
    }

    /// Removes a member without any follow-up: its waiters get `error`.
    fn detach_member(&mut self, member_id: &str, error: ResponseError) -> bool {
        let Some(mut member) = self.members.remove(member_id) else {
            return false;
        };
        member.reply_join(JoinOutcome::error(member_id.to_owned(), error));
        member.reply_sync(SyncOutcome::error(error));
        if let Some(instance) = &member.instance_id
            && self.static_members.get(instance).map(String::as_str) == Some(member_id)
        {
            self.static_members.remove(instance);
        }
        if self.leader_id.as_deref() == Some(member_id) {
            self.leader_id = None;
        }
        true
    }

    /// Removes a member (LeaveGroup, session expiry, fencing) and rebalances
    /// the others. Returns whether it was a member.
    pub(super) fn remove_member(
        &mut self,
        member_id: &str,
        error: ResponseError,
        ctx: &mut Ctx<'_>,
    ) -> bool {
        if !self.detach_member(member_id, error) {
            return false;
        }
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => self.prepare_rebalance(ctx),
            GroupState::PreparingRebalance => self.maybe_complete_join(ctx),
            GroupState::Empty | GroupState::Dead => {}
        }
        true
    }

    /// Forgets a MEMBER_ID_REQUIRED id that never came back.
    pub(super) fn remove_pending_member(&mut self, member_id: &str, ctx: &mut Ctx<'_>) -> bool {
        if !self.pending_members.remove(member_id) {
            return false;
        }
        self.maybe_complete_join(ctx);
        true
    }

    /// Starts a join phase: members must rejoin; a group that was Empty first
    /// waits `group.initial.rebalance.delay.ms` for more members.
    pub(super) fn prepare_rebalance(&mut self, ctx: &mut Ctx<'_>) {
        if self.state == GroupState::CompletingRebalance {
            for member in self.members.values_mut() {
                member.assignment = Bytes::new();
                member.reply_sync(SyncOutcome::error(ResponseError::RebalanceInProgress));
            }
        }
        let was_empty = self.state == GroupState::Empty;
        self.transition(GroupState::PreparingRebalance);
        self.rebalance_serial = ctx.serial();
        let timeout = self.rebalance_timeout();
        if was_empty && !ctx.config.initial_rebalance_delay.is_zero() {
            let cap = ctx.now + timeout;
            self.initial_delay_cap = Some(cap);
            self.join_deadline = (ctx.now + ctx.config.initial_rebalance_delay).min(cap);
        } else {
            self.initial_delay_cap = None;
            self.join_deadline = ctx.now + timeout;
        }
        ctx.timers.push(Timer::Join {
            group: self.id.clone(),
            serial: self.rebalance_serial,
            at: self.join_deadline,
        });
        self.maybe_complete_join(ctx);
    }

    /// Completes the join phase early once every known member has rejoined and
    /// no MEMBER_ID_REQUIRED member is about to.
    pub(super) fn maybe_complete_join(&mut self, ctx: &mut Ctx<'_>) {
        if self.state != GroupState::PreparingRebalance || self.initial_delay_cap.is_some() {
            return;
        }
        let all_joined = self.members.values().all(|m| m.join_waiter.is_some());
        if all_joined && self.pending_members.is_empty() {
            self.complete_join(ctx);
        }
    }

    /// The join timer fired: complete the join phase unless it was extended,
    /// already completed, or superseded.
    pub(super) fn on_join_deadline(&mut self, serial: u64, ctx: &mut Ctx<'_>) {
        if self.state != GroupState::PreparingRebalance || self.rebalance_serial != serial {
            return;
        }
        if ctx.now < self.join_deadline {
            ctx.timers.push(Timer::Join {
                group: self.id.clone(),
                serial,
                at: self.join_deadline,
            });
            return;
        }
        self.complete_join(ctx);
    }

    /// Ends the join phase: members that did not rejoin are removed, the
    /// generation advances, a protocol and a leader are chosen, and every
    /// waiting member gets its JoinGroup response (the leader with all members'
    /// metadata).
    fn complete_join(&mut self, ctx: &mut Ctx<'_>) {
        self.initial_delay_cap = None;
        self.rebalance_serial = ctx.serial();
        let missing: Vec<String> = self
            .members
            .values()
            .filter(|member| member.join_waiter.is_none())
            .map(|member| member.id.clone())
            .collect();
        for member_id in missing {
            self.detach_member(&member_id, ResponseError::UnknownMemberId);
        }
        self.generation_id = self.generation_id.wrapping_add(1).max(1);
        if self.members.is_empty() {
            self.protocol_name = None;
            self.leader_id = None;
            self.transition(GroupState::Empty);
            self.persist(ctx.store);
            return;
        }
        if self.leader_id.is_none() {
            self.leader_id = self.first_member();
        }
        let Some(protocol) = self.select_protocol() else {
            // Cannot happen: every member passed the protocol check on join.
            // Send everyone back to rejoin rather than panic.
            tracing::warn!(group = %self.id, "no common protocol among members");
            let ids: Vec<String> = self.members.keys().cloned().collect();
            for member_id in ids {
                self.detach_member(&member_id, ResponseError::InconsistentGroupProtocol);
            }
            self.transition(GroupState::Empty);
            self.persist(ctx.store);
            return;
        };
        self.protocol_name = Some(protocol.clone());
        self.transition(GroupState::CompletingRebalance);
        let leader_id = self.leader_id.clone().unwrap_or_default();
        let all_members: Vec<JoinedMember> = self
            .members
            .values()
            .map(|member| JoinedMember {
                member_id: member.id.clone(),
                group_instance_id: member.instance_id.clone(),
                metadata: member.metadata(&protocol).cloned().unwrap_or_default(),
            })
            .collect();
        let (generation_id, protocol_type) = (self.generation_id, self.protocol_type.clone());
        for member in self.members.values_mut() {
            member.assignment = Bytes::new();
            member.touch(ctx.now);
            let members = if member.id == leader_id {
                all_members.clone()
            } else {
                Vec::new()
            };
            member.reply_join(JoinOutcome {
                error: None,
                generation_id,
                protocol_type: protocol_type.clone(),
                protocol_name: Some(protocol.clone()),
                leader_id: leader_id.clone(),
                member_id: member.id.clone(),
                members,
            });
        }
        ctx.timers.push(Timer::Sync {
            group: self.id.clone(),
            generation_id,
            at: ctx.now + self.rebalance_timeout(),
        });
    }

    /// The JoinGroup response for a member of the current generation that
    /// rejoined without changes: Kafka answers it at once.
    pub(super) fn current_join_outcome(&self, member_id: &str) -> JoinOutcome {
        let leader_id = self.leader_id.clone().unwrap_or_default();
        let protocol = self.protocol_name.clone().unwrap_or_default();
        let members = if leader_id == member_id {
            self.members
                .values()
                .map(|member| JoinedMember {
                    member_id: member.id.clone(),
                    group_instance_id: member.instance_id.clone(),
                    metadata: member.metadata(&protocol).cloned().unwrap_or_default(),
                })
                .collect()
        } else {
            Vec::new()
        };
        JoinOutcome {
            error: None,
            generation_id: self.generation_id,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol_name.clone(),
            leader_id,
            member_id: member_id.to_owned(),
            members,
        }
    }

    /// The leader's SyncGroup arrived: store the assignment, become Stable,
    /// persist the group and answer every member waiting in SyncGroup.
    pub(super) fn complete_sync(&mut self, assignments: Vec<(String, Bytes)>, ctx: &mut Ctx<'_>) {
        let mut assignments: HashMap<String, Bytes> = assignments.into_iter().collect();
        for member in self.members.values_mut() {
            member.assignment = assignments.remove(&member.id).unwrap_or_default();
        }
        self.transition(GroupState::Stable);
        self.persist(ctx.store);
        let (protocol_type, protocol_name) =
            (self.protocol_type.clone(), self.protocol_name.clone());
        for member in self.members.values_mut() {
            if member.sync_waiter.is_some() {
                member.touch(ctx.now);
                let assignment = member.assignment.clone();
                member.reply_sync(SyncOutcome {
                    error: None,
                    protocol_type: protocol_type.clone(),
                    protocol_name: protocol_name.clone(),
                    assignment,
                });
            }
        }
    }

    /// The sync timer fired: if the generation is still waiting for SyncGroup,
    /// members that never sent one (the leader among them, if it is the reason)
    /// are removed and the rest rebalance.
    pub(super) fn on_sync_deadline(&mut self, generation_id: i32, ctx: &mut Ctx<'_>) {
        if self.state != GroupState::CompletingRebalance || self.generation_id != generation_id {
            return;
        }
        let missing: Vec<String> = self
            .members
            .values()
            .filter(|member| member.sync_waiter.is_none())
            .map(|member| member.id.clone())
            .collect();
        for member_id in missing {
            self.remove_member(&member_id, ResponseError::RebalanceInProgress, ctx);
        }
    }

    /// A member's session timer fired: evict it if it neither heartbeated nor
    /// waits in a join or sync, otherwise re-arm the timer.
    pub(super) fn on_session_deadline(&mut self, member_id: &str, serial: u64, ctx: &mut Ctx<'_>) {
        let Some(member) = self.members.get_mut(member_id) else {
            return;
        };
        if member.serial != serial {
            return;
        }
        if member.is_waiting() {
            member.touch(ctx.now);
        }
        if member.session_deadline > ctx.now {
            ctx.timers.push(Timer::Session {
                group: self.id.clone(),
                member: member_id.to_owned(),
                serial,
                at: member.session_deadline,
            });
            return;
        }
        tracing::info!(group = %self.id, member = member_id, "member session expired");
        self.remove_member(member_id, ResponseError::UnknownMemberId, ctx);
    }

    /// The consumer-protocol topics the members subscribe to, for OffsetDelete.
    pub(super) fn subscribed_topics(&self) -> BTreeSet<String> {
        let mut topics = BTreeSet::new();
        for member in self.members.values() {
            let metadata = match &self.protocol_name {
                Some(protocol) => member.metadata(protocol),
                None => member.protocols.first().map(|(_, metadata)| metadata),
            };
            if let Some(metadata) = metadata {
                topics.extend(super::subscription::subscribed_topics(metadata));
            }
        }
        topics
    }

    /// Whether the group has members or members about to join.
    pub(super) fn has_members(&self) -> bool {
        !self.members.is_empty() || !self.pending_members.is_empty()
    }
}
