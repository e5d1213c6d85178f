//! JoinGroup, SyncGroup, Heartbeat and LeaveGroup at the coordinator.
//!
//! The request handlers in `api/` translate wire messages to these parameters
//! and the outcomes back, version-aware. Join and sync may have to wait for
//! other members: the decision is taken under the lock, and the waiting is an
//! `await` on a `oneshot` receiver with no lock held.

use bytes::Bytes;
use kafka_protocol::ResponseError;
use tokio::sync::oneshot;
use tokio::time::Duration;

use super::GroupCoordinator;
use super::classic::{Ctx, Group};
use super::member::Member;
use super::state::GroupState;
use super::timers::Timer;

/// What a JoinGroup request asks, independent of its wire version.
#[derive(Debug, Clone, Default)]
pub struct JoinParams {
    /// The group to join.
    pub group_id: String,
    /// Empty on a first join; the coordinator-assigned id on rejoins.
    pub member_id: String,
    /// `group.instance.id` for static membership (v5+).
    pub group_instance_id: Option<String>,
    /// The client id from the request header.
    pub client_id: String,
    /// The client's address.
    pub client_host: String,
    /// The member's session timeout.
    pub session_timeout_ms: i32,
    /// The member's rebalance timeout (v1+; v0 uses the session timeout).
    pub rebalance_timeout_ms: i32,
    /// `consumer` for Kafka consumers.
    pub protocol_type: String,
    /// Supported protocols (assignors) with their metadata, preferred first.
    pub protocols: Vec<(String, Bytes)>,
    /// JoinGroup v4+: a first join gets MEMBER_ID_REQUIRED and an id to rejoin with.
    pub require_known_member_id: bool,
}

/// One member as the leader sees it in its JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedMember {
    /// The member id.
    pub member_id: String,
    /// Its `group.instance.id`, if static.
    pub group_instance_id: Option<String>,
    /// Its metadata for the chosen protocol (for consumers: the subscription).
    pub metadata: Bytes,
}

/// The answer to a JoinGroup.
#[derive(Debug, Clone)]
pub struct JoinOutcome {
    /// The Kafka error, if any.
    pub error: Option<ResponseError>,
    /// The generation the member joined (-1 on errors).
    pub generation_id: i32,
    /// The group's protocol type.
    pub protocol_type: Option<String>,
    /// The protocol chosen for the generation.
    pub protocol_name: Option<String>,
    /// The leader's member id.
    pub leader_id: String,
    /// The member's id: the one to use from now on (also with MEMBER_ID_REQUIRED).
    pub member_id: String,
    /// All members with their metadata, for the leader only.
    pub members: Vec<JoinedMember>,
}

impl JoinOutcome {
    /// An error answer.
    pub(super) fn error(member_id: String, error: ResponseError) -> JoinOutcome {
        JoinOutcome {
            error: Some(error),
            generation_id: -1,
            protocol_type: None,
            protocol_name: None,
            leader_id: String::new(),
            member_id,
            members: Vec::new(),
        }
    }
}

/// What a SyncGroup request asks.
#[derive(Debug, Clone, Default)]
pub struct SyncParams {
    /// The group.
    pub group_id: String,
    /// The generation the member joined.
    pub generation_id: i32,
    /// The member id.
    pub member_id: String,
    /// `group.instance.id` (v3+).
    pub group_instance_id: Option<String>,
    /// The protocol type the member believes in (v5+), checked if present.
    pub protocol_type: Option<String>,
    /// The protocol name the member believes in (v5+), checked if present.
    pub protocol_name: Option<String>,
    /// The leader's assignment per member id (empty for followers).
    pub assignments: Vec<(String, Bytes)>,
}

/// The answer to a SyncGroup.
#[derive(Debug, Clone)]
pub struct SyncOutcome {
    /// The Kafka error, if any.
    pub error: Option<ResponseError>,
    /// The group's protocol type (sent in v5+).
    pub protocol_type: Option<String>,
    /// The generation's protocol (sent in v5+).
    pub protocol_name: Option<String>,
    /// This member's assignment.
    pub assignment: Bytes,
}

impl SyncOutcome {
    /// An error answer.
    pub(super) fn error(error: ResponseError) -> SyncOutcome {
        SyncOutcome {
            error: Some(error),
            protocol_type: None,
            protocol_name: None,
            assignment: Bytes::new(),
        }
    }
}

/// What a Heartbeat request says.
#[derive(Debug, Clone, Default)]
pub struct HeartbeatParams {
    /// The group.
    pub group_id: String,
    /// The member's generation.
    pub generation_id: i32,
    /// The member id.
    pub member_id: String,
    /// `group.instance.id` (v3+).
    pub group_instance_id: Option<String>,
}

/// One member leaving (LeaveGroup v3+ carries several; v0–2 one by id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaveMember {
    /// The member id; may be empty when a static member leaves by instance id.
    pub member_id: String,
    /// `group.instance.id` of a static member.
    pub group_instance_id: Option<String>,
}

/// The answer for one leaving member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveOutcome {
    /// The member as the request named it.
    pub member: LeaveMember,
    /// The Kafka error, if any.
    pub error: Option<ResponseError>,
}

/// Either an answer now, or a receiver for an answer that comes when the
/// rebalance moves on.
enum Reply<T> {
    Now(T),
    Later(oneshot::Receiver<T>),
}

fn millis(value: i32) -> Duration {
    Duration::from_millis(u64::try_from(value).unwrap_or(0))
}

/// Checks a `group.instance.id` against the member id registered for it:
/// another id means this member was replaced (fenced) by a newer instance.
fn fenced(group: &Group, member_id: &str, instance_id: Option<&str>) -> bool {
    instance_id.is_some_and(|instance| {
        group
            .static_members
            .get(instance)
            .is_some_and(|registered| registered != member_id)
    })
}

impl GroupCoordinator {
    /// Handles JoinGroup: waits (asynchronously) until the join phase completes
    /// when the member has to be part of a rebalance.
    pub async fn join_group(&self, params: JoinParams) -> JoinOutcome {
        let member_id = params.member_id.clone();
        let reply = self
            .inner
            .with_ctx(|groups, _txns, ctx| join(groups, params, ctx));
        match reply {
            Reply::Now(outcome) => outcome,
            Reply::Later(receiver) => receiver.await.unwrap_or_else(|_| {
                JoinOutcome::error(member_id, ResponseError::CoordinatorNotAvailable)
            }),
        }
    }

    /// Handles SyncGroup: followers wait for the leader's assignment.
    pub async fn sync_group(&self, params: SyncParams) -> SyncOutcome {
        let reply = self
            .inner
            .with_ctx(|groups, _txns, ctx| sync(groups, params, ctx));
        match reply {
            Reply::Now(outcome) => outcome,
            Reply::Later(receiver) => receiver
                .await
                .unwrap_or_else(|_| SyncOutcome::error(ResponseError::CoordinatorNotAvailable)),
        }
    }

    /// Handles Heartbeat: keeps the member's session alive and tells it to
    /// rejoin (REBALANCE_IN_PROGRESS) while the group rebalances.
    ///
    /// # Errors
    /// The Kafka error to return: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
    /// FENCED_INSTANCE_ID or REBALANCE_IN_PROGRESS.
    pub fn heartbeat(&self, params: HeartbeatParams) -> Result<(), ResponseError> {
        self.inner.with_ctx(|groups, _txns, ctx| {
            let group = groups
                .get_mut(&params.group_id)
                .ok_or(ResponseError::UnknownMemberId)?;
            if fenced(
                group,
                &params.member_id,
                params.group_instance_id.as_deref(),
            ) {
                return Err(ResponseError::FencedInstanceId);
            }
            match group.state {
                GroupState::Empty => return Err(ResponseError::UnknownMemberId),
                GroupState::Dead => return Err(ResponseError::CoordinatorNotAvailable),
                _ => {}
            }
            let generation_id = group.generation_id;
            let member = group
                .members
                .get_mut(&params.member_id)
                .ok_or(ResponseError::UnknownMemberId)?;
            if params.generation_id != generation_id {
                return Err(ResponseError::IllegalGeneration);
            }
            member.touch(ctx.now);
            if group.state == GroupState::PreparingRebalance {
                return Err(ResponseError::RebalanceInProgress);
            }
            Ok(())
        })
    }

    /// Handles LeaveGroup: each member is removed and the group rebalances.
    pub fn leave_group(&self, group_id: &str, members: Vec<LeaveMember>) -> Vec<LeaveOutcome> {
        self.inner.with_ctx(|groups, _txns, ctx| {
            let Some(group) = groups.get_mut(group_id) else {
                return members
                    .into_iter()
                    .map(|member| LeaveOutcome {
                        member,
                        error: Some(ResponseError::UnknownMemberId),
                    })
                    .collect();
            };
            members
                .into_iter()
                .map(|member| {
                    let error = leave_one(group, &member, ctx).err();
                    LeaveOutcome { member, error }
                })
                .collect()
        })
    }
}

/// Removes one leaving member, found by instance id (static) or member id.
fn leave_one(
    group: &mut Group,
    leaving: &LeaveMember,
    ctx: &mut Ctx<'_>,
) -> Result<(), ResponseError> {
    let member_id = match &leaving.group_instance_id {
        Some(instance) => {
            let registered = group
                .static_members
                .get(instance)
                .cloned()
                .ok_or(ResponseError::UnknownMemberId)?;
            if !leaving.member_id.is_empty() && leaving.member_id != registered {
                return Err(ResponseError::FencedInstanceId);
            }
            registered
        }
        None => leaving.member_id.clone(),
    };
    if group.remove_pending_member(&member_id, ctx) {
        return Ok(());
    }
    if group.remove_member(&member_id, ResponseError::UnknownMemberId, ctx) {
        tracing::debug!(group = %group.id, member = %member_id, "member left");
        Ok(())
    } else {
        Err(ResponseError::UnknownMemberId)
    }
}

/// The JoinGroup decision, under the lock.
fn join(
    groups: &mut std::collections::HashMap<String, Group>,
    params: JoinParams,
    ctx: &mut Ctx<'_>,
) -> Reply<JoinOutcome> {
    let error =
        |error: ResponseError| Reply::Now(JoinOutcome::error(params.member_id.clone(), error));
    if params.group_id.is_empty() {
        return error(ResponseError::InvalidGroupId);
    }
    let session_timeout = millis(params.session_timeout_ms);
    if params.session_timeout_ms < 0
        || session_timeout < ctx.config.min_session_timeout
        || session_timeout > ctx.config.max_session_timeout
    {
        return error(ResponseError::InvalidSessionTimeout);
    }
    let created = !groups.contains_key(&params.group_id);
    if created {
        if !params.member_id.is_empty() {
            return error(ResponseError::UnknownMemberId);
        }
        groups.insert(
            params.group_id.clone(),
            Group::new(params.group_id.clone(), ctx.now),
        );
    }
    let group_id = params.group_id.clone();
    let reply = join_existing(groups, params, ctx);
    // A first join that failed leaves no empty shell behind in ListGroups.
    if created
        && groups
            .get(&group_id)
            .is_some_and(|group| !group.has_members() && group.offsets.is_empty())
    {
        groups.remove(&group_id);
    }
    reply
}

/// The JoinGroup decision for a group that exists.
fn join_existing(
    groups: &mut std::collections::HashMap<String, Group>,
    params: JoinParams,
    ctx: &mut Ctx<'_>,
) -> Reply<JoinOutcome> {
    let error =
        |error: ResponseError| Reply::Now(JoinOutcome::error(params.member_id.clone(), error));
    let Some(group) = groups.get_mut(&params.group_id) else {
        return error(ResponseError::CoordinatorNotAvailable);
    };
    if group.state == GroupState::Dead {
        return error(ResponseError::CoordinatorNotAvailable);
    }
    if params.member_id.is_empty() {
        join_new_member(group, params, ctx)
    } else if group.pending_members.contains(&params.member_id) {
        if !group.supports_protocols(None, &params.protocol_type, &params.protocols) {
            return error(ResponseError::InconsistentGroupProtocol);
        }
        if group.members.len() >= ctx.config.max_size {
            return error(ResponseError::GroupMaxSizeReached);
        }
        group.pending_members.remove(&params.member_id);
        let member_id = params.member_id.clone();
        add_waiting_member(group, member_id, params, ctx)
    } else {
        join_known_member(group, params, ctx)
    }
}

/// A join without a member id: static members and pre-v4 clients are added at
/// once; others get MEMBER_ID_REQUIRED with their new id.
fn join_new_member(group: &mut Group, params: JoinParams, ctx: &mut Ctx<'_>) -> Reply<JoinOutcome> {
    if group.members.len() >= ctx.config.max_size {
        return Reply::Now(JoinOutcome::error(
            String::new(),
            ResponseError::GroupMaxSizeReached,
        ));
    }
    if !group.supports_protocols(None, &params.protocol_type, &params.protocols) {
        return Reply::Now(JoinOutcome::error(
            String::new(),
            ResponseError::InconsistentGroupProtocol,
        ));
    }
    let prefix = params
        .group_instance_id
        .clone()
        .unwrap_or_else(|| params.client_id.clone());
    let member_id = format!("{prefix}-{}", uuid::Uuid::new_v4());
    if let Some(instance) = &params.group_instance_id {
        // A static member restarted: the old incarnation is fenced and the new
        // one joins in its place (Kafka can skip the rebalance here when nothing
        // changed; ferry rebalances, which is always correct).
        if let Some(old) = group.static_members.get(instance).cloned() {
            group.remove_member(&old, ResponseError::FencedInstanceId, ctx);
        }
        return add_waiting_member(group, member_id, params, ctx);
    }
    if params.require_known_member_id {
        group.pending_members.insert(member_id.clone());
        ctx.timers.push(Timer::PendingMember {
            group: group.id.clone(),
            member: member_id.clone(),
            at: ctx.now + millis(params.session_timeout_ms),
        });
        return Reply::Now(JoinOutcome::error(
            member_id,
            ResponseError::MemberIdRequired,
        ));
    }
    add_waiting_member(group, member_id, params, ctx)
}

/// Adds a new member whose JoinGroup waits for the join phase to complete.
fn add_waiting_member(
    group: &mut Group,
    member_id: String,
    params: JoinParams,
    ctx: &mut Ctx<'_>,
) -> Reply<JoinOutcome> {
    let (sender, receiver) = oneshot::channel();
    let session_timeout = millis(params.session_timeout_ms);
    let serial = ctx.serial();
    let member = Member {
        id: member_id,
        instance_id: params.group_instance_id,
        client_id: params.client_id,
        client_host: params.client_host,
        session_timeout,
        rebalance_timeout: if params.rebalance_timeout_ms > 0 {
            millis(params.rebalance_timeout_ms)
        } else {
            session_timeout
        },
        protocol_type: params.protocol_type,
        protocols: params.protocols,
        assignment: Bytes::new(),
        join_waiter: Some(sender),
        sync_waiter: None,
        session_deadline: ctx.now + session_timeout,
        serial,
    };
    group.add_member(member, ctx);
    Reply::Later(receiver)
}

/// A rejoin of a known member.
fn join_known_member(
    group: &mut Group,
    params: JoinParams,
    ctx: &mut Ctx<'_>,
) -> Reply<JoinOutcome> {
    let error =
        |error: ResponseError| Reply::Now(JoinOutcome::error(params.member_id.clone(), error));
    if fenced(
        group,
        &params.member_id,
        params.group_instance_id.as_deref(),
    ) {
        return error(ResponseError::FencedInstanceId);
    }
    if !group.members.contains_key(&params.member_id) {
        return error(ResponseError::UnknownMemberId);
    }
    if !group.supports_protocols(
        Some(&params.member_id),
        &params.protocol_type,
        &params.protocols,
    ) {
        return error(ResponseError::InconsistentGroupProtocol);
    }
    let is_leader = group.leader_id.as_deref() == Some(params.member_id.as_str());
    let unchanged = group
        .members
        .get(&params.member_id)
        .is_some_and(|member| member.has_same_protocols(&params.protocols));
    match group.state {
        GroupState::Empty | GroupState::Dead => error(ResponseError::UnknownMemberId),
        GroupState::CompletingRebalance if unchanged => {
            Reply::Now(group.current_join_outcome(&params.member_id))
        }
        GroupState::Stable if unchanged && !is_leader => {
            Reply::Now(group.current_join_outcome(&params.member_id))
        }
        GroupState::PreparingRebalance | GroupState::CompletingRebalance | GroupState::Stable => {
            let (sender, receiver) = oneshot::channel();
            let Some(member) = group.members.get_mut(&params.member_id) else {
                return error(ResponseError::UnknownMemberId);
            };
            member.protocols = params.protocols;
            member.protocol_type = params.protocol_type;
            member.session_timeout = millis(params.session_timeout_ms);
            if params.rebalance_timeout_ms > 0 {
                member.rebalance_timeout = millis(params.rebalance_timeout_ms);
            }
            member.client_id = params.client_id;
            member.client_host = params.client_host;
            member.touch(ctx.now);
            // A second JoinGroup while the first still waits (the client
            // retried): the newer request gets the answer.
            if let Some(previous) = member.join_waiter.replace(sender) {
                let _ = previous.send(JoinOutcome::error(
                    params.member_id.clone(),
                    ResponseError::RebalanceInProgress,
                ));
            }
            if group.state == GroupState::PreparingRebalance {
                group.maybe_complete_join(ctx);
            } else {
                group.prepare_rebalance(ctx);
            }
            Reply::Later(receiver)
        }
    }
}

/// The SyncGroup decision, under the lock.
fn sync(
    groups: &mut std::collections::HashMap<String, Group>,
    params: SyncParams,
    ctx: &mut Ctx<'_>,
) -> Reply<SyncOutcome> {
    let error = |error: ResponseError| Reply::Now(SyncOutcome::error(error));
    let Some(group) = groups.get_mut(&params.group_id) else {
        return error(ResponseError::UnknownMemberId);
    };
    if fenced(
        group,
        &params.member_id,
        params.group_instance_id.as_deref(),
    ) {
        return error(ResponseError::FencedInstanceId);
    }
    if !group.members.contains_key(&params.member_id) {
        return error(ResponseError::UnknownMemberId);
    }
    if params.generation_id != group.generation_id {
        return error(ResponseError::IllegalGeneration);
    }
    if params
        .protocol_type
        .as_ref()
        .is_some_and(|protocol_type| group.protocol_type.as_ref() != Some(protocol_type))
        || params
            .protocol_name
            .as_ref()
            .is_some_and(|protocol_name| group.protocol_name.as_ref() != Some(protocol_name))
    {
        return error(ResponseError::InconsistentGroupProtocol);
    }
    match group.state {
        GroupState::Empty => error(ResponseError::UnknownMemberId),
        GroupState::Dead => error(ResponseError::CoordinatorNotAvailable),
        GroupState::PreparingRebalance => error(ResponseError::RebalanceInProgress),
        GroupState::Stable => {
            let (protocol_type, protocol_name) =
                (group.protocol_type.clone(), group.protocol_name.clone());
            let Some(member) = group.members.get_mut(&params.member_id) else {
                return error(ResponseError::UnknownMemberId);
            };
            member.touch(ctx.now);
            Reply::Now(SyncOutcome {
                error: None,
                protocol_type,
                protocol_name,
                assignment: member.assignment.clone(),
            })
        }
        GroupState::CompletingRebalance => {
            let (sender, receiver) = oneshot::channel();
            let Some(member) = group.members.get_mut(&params.member_id) else {
                return error(ResponseError::UnknownMemberId);
            };
            member.touch(ctx.now);
            if let Some(previous) = member.sync_waiter.replace(sender) {
                let _ = previous.send(SyncOutcome::error(ResponseError::RebalanceInProgress));
            }
            if group.leader_id.as_deref() == Some(params.member_id.as_str()) {
                group.complete_sync(params.assignments, ctx);
            }
            Reply::Later(receiver)
        }
    }
}
