//! State-machine tests: several members driven concurrently, on tokio's paused
//! clock so that session and rebalance timeouts pass instantly and in order.

use std::collections::BTreeMap;
use std::io::Write;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use tokio::task::JoinHandle;
use tokio::time::{Duration, sleep};

use super::*;

const GROUP: &str = "orders-app";

fn config() -> GroupConfig {
    GroupConfig::default()
}

fn open(dir: &tempfile::TempDir) -> GroupCoordinator {
    match GroupCoordinator::open(dir.path(), config()) {
        Ok(coordinator) => coordinator,
        Err(error) => panic!("open: {error}"),
    }
}

/// A consumer-protocol subscription, so that metadata is realistic and
/// OffsetDelete can read it.
fn subscription(topics: &[&str], user: &str) -> Bytes {
    let mut out = vec![0, 0];
    out.extend_from_slice(&(topics.len() as i32).to_be_bytes());
    for topic in topics {
        out.extend_from_slice(&(topic.len() as i16).to_be_bytes());
        out.extend_from_slice(topic.as_bytes());
    }
    out.extend_from_slice(&(user.len() as i32).to_be_bytes());
    out.extend_from_slice(user.as_bytes());
    Bytes::from(out)
}

fn join_params(member_id: &str, client: &str) -> JoinParams {
    JoinParams {
        group_id: GROUP.to_owned(),
        member_id: member_id.to_owned(),
        group_instance_id: None,
        client_id: client.to_owned(),
        client_host: "/127.0.0.1".to_owned(),
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 30_000,
        protocol_type: "consumer".to_owned(),
        protocols: vec![
            ("range".to_owned(), subscription(&["orders"], client)),
            ("roundrobin".to_owned(), subscription(&["orders"], client)),
        ],
        require_known_member_id: true,
    }
}

/// A v4+ first join: MEMBER_ID_REQUIRED with an id, then the real join.
async fn join_new(coordinator: GroupCoordinator, client: String) -> JoinOutcome {
    let first = coordinator.join_group(join_params("", &client)).await;
    assert_eq!(first.error, Some(ResponseError::MemberIdRequired));
    assert!(first.member_id.starts_with(&client), "{}", first.member_id);
    coordinator
        .join_group(join_params(&first.member_id, &client))
        .await
}

fn spawn_join_new(coordinator: &GroupCoordinator, client: &str) -> JoinHandle<JoinOutcome> {
    tokio::spawn(join_new(coordinator.clone(), client.to_owned()))
}

fn spawn_rejoin(coordinator: &GroupCoordinator, member_id: &str) -> JoinHandle<JoinOutcome> {
    let coordinator = coordinator.clone();
    let params = join_params(member_id, "rejoiner");
    tokio::spawn(async move { coordinator.join_group(params).await })
}

async fn finish<T>(handle: JoinHandle<T>) -> T {
    match handle.await {
        Ok(value) => value,
        Err(error) => panic!("task failed: {error}"),
    }
}

fn sync_params(outcome: &JoinOutcome, assignments: Vec<(String, Bytes)>) -> SyncParams {
    SyncParams {
        group_id: GROUP.to_owned(),
        generation_id: outcome.generation_id,
        member_id: outcome.member_id.clone(),
        group_instance_id: None,
        protocol_type: Some("consumer".to_owned()),
        protocol_name: outcome.protocol_name.clone(),
        assignments,
    }
}

fn heartbeat(coordinator: &GroupCoordinator, outcome: &JoinOutcome) -> Result<(), ResponseError> {
    coordinator.heartbeat(HeartbeatParams {
        group_id: GROUP.to_owned(),
        generation_id: outcome.generation_id,
        member_id: outcome.member_id.clone(),
        group_instance_id: None,
    })
}

/// Joins `joins` concurrently and completes the SyncGroup round: followers
/// first (they must wait for the leader), then the leader.
async fn join_and_sync(
    coordinator: &GroupCoordinator,
    joins: Vec<JoinHandle<JoinOutcome>>,
) -> Vec<JoinOutcome> {
    let mut outcomes = Vec::new();
    for handle in joins {
        outcomes.push(finish(handle).await);
    }
    for outcome in &outcomes {
        assert_eq!(outcome.error, None, "{outcome:?}");
    }
    let leader = outcomes
        .iter()
        .find(|outcome| outcome.member_id == outcome.leader_id)
        .cloned()
        .unwrap_or_else(|| panic!("no leader among {outcomes:?}"));
    let mut follower_syncs = Vec::new();
    for outcome in outcomes.iter().filter(|o| o.member_id != leader.member_id) {
        let coordinator = coordinator.clone();
        let params = sync_params(outcome, Vec::new());
        follower_syncs.push((
            outcome.member_id.clone(),
            tokio::spawn(async move { coordinator.sync_group(params).await }),
        ));
    }
    sleep(Duration::from_millis(100)).await;
    for (_, handle) in &follower_syncs {
        assert!(
            !handle.is_finished(),
            "a follower's SyncGroup must wait for the leader"
        );
    }
    let assignments = leader
        .members
        .iter()
        .map(|member| {
            (
                member.member_id.clone(),
                Bytes::from(format!("assignment for {}", member.member_id)),
            )
        })
        .collect();
    let leader_sync = coordinator
        .sync_group(sync_params(&leader, assignments))
        .await;
    assert_eq!(leader_sync.error, None);
    assert_eq!(
        leader_sync.assignment,
        Bytes::from(format!("assignment for {}", leader.member_id))
    );
    for (member_id, handle) in follower_syncs {
        let outcome = finish(handle).await;
        assert_eq!(outcome.error, None);
        assert_eq!(outcome.protocol_name, leader.protocol_name);
        assert_eq!(
            outcome.assignment,
            Bytes::from(format!("assignment for {member_id}"))
        );
    }
    outcomes
}

#[tokio::test(start_paused = true)]
async fn three_members_form_one_generation() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    let joins = vec![
        spawn_join_new(&coordinator, "c1"),
        spawn_join_new(&coordinator, "c2"),
        spawn_join_new(&coordinator, "c3"),
    ];
    let outcomes = join_and_sync(&coordinator, joins).await;

    let generation = outcomes[0].generation_id;
    assert_eq!(generation, 1);
    assert!(outcomes.iter().all(|o| o.generation_id == generation));
    assert!(
        outcomes
            .iter()
            .all(|o| o.leader_id == outcomes[0].leader_id)
    );
    assert!(
        outcomes
            .iter()
            .all(|o| o.protocol_name.as_deref() == Some("range"))
    );
    let leader = outcomes
        .iter()
        .find(|o| o.member_id == o.leader_id)
        .unwrap_or_else(|| panic!("no leader"));
    assert_eq!(leader.members.len(), 3, "the leader sees every member");
    for outcome in &outcomes {
        let seen = leader
            .members
            .iter()
            .find(|m| m.member_id == outcome.member_id)
            .unwrap_or_else(|| panic!("leader misses {}", outcome.member_id));
        let client = outcome.member_id.split('-').next().unwrap_or_default();
        assert_eq!(seen.metadata, subscription(&["orders"], client));
        if outcome.member_id != leader.member_id {
            assert!(outcome.members.is_empty(), "followers get no member list");
        }
    }

    let description = coordinator.describe_group(GROUP);
    assert_eq!(description.state, GroupState::Stable);
    assert_eq!(description.protocol_type, "consumer");
    assert_eq!(description.protocol_data, "range");
    assert_eq!(description.members.len(), 3);
    assert!(
        description
            .members
            .iter()
            .all(|m| m.assignment == format!("assignment for {}", m.member_id).as_bytes())
    );
    for outcome in &outcomes {
        assert_eq!(heartbeat(&coordinator, outcome), Ok(()));
    }
    let listed = coordinator.list_groups();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, GroupState::Stable);
    assert_eq!(listed[0].members, 3);
}

#[tokio::test(start_paused = true)]
async fn fourth_member_triggers_a_rebalance_that_heartbeats_report() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    let joins = ["c1", "c2", "c3"]
        .iter()
        .map(|client| spawn_join_new(&coordinator, client))
        .collect();
    let first = join_and_sync(&coordinator, joins).await;

    let fourth = spawn_join_new(&coordinator, "c4");
    sleep(Duration::from_millis(100)).await;
    assert!(
        !fourth.is_finished(),
        "the new member waits for the others to rejoin"
    );
    for outcome in &first {
        assert_eq!(
            heartbeat(&coordinator, outcome),
            Err(ResponseError::RebalanceInProgress)
        );
    }
    assert_eq!(
        coordinator.describe_group(GROUP).state,
        GroupState::PreparingRebalance
    );
    // A stale generation is told so, not asked to rejoin.
    let mut stale = first[0].clone();
    stale.generation_id = 0;
    assert_eq!(
        heartbeat(&coordinator, &stale),
        Err(ResponseError::IllegalGeneration)
    );

    let mut joins: Vec<JoinHandle<JoinOutcome>> = first
        .iter()
        .map(|outcome| spawn_rejoin(&coordinator, &outcome.member_id))
        .collect();
    joins.push(fourth);
    let second = join_and_sync(&coordinator, joins).await;
    assert!(second.iter().all(|o| o.generation_id == 2));
    let leader = second
        .iter()
        .find(|o| o.member_id == o.leader_id)
        .unwrap_or_else(|| panic!("no leader"));
    assert_eq!(leader.members.len(), 4);
    assert_eq!(
        leader.member_id, first[0].leader_id,
        "the old leader stays leader"
    );
    // The old generation can no longer sync or commit.
    let old_sync = coordinator
        .sync_group(sync_params(&first[0], Vec::new()))
        .await;
    assert_eq!(old_sync.error, Some(ResponseError::IllegalGeneration));
}

#[tokio::test(start_paused = true)]
async fn member_that_stops_heartbeating_is_evicted() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    let joins = vec![
        spawn_join_new(&coordinator, "alive"),
        spawn_join_new(&coordinator, "silent"),
    ];
    let outcomes = join_and_sync(&coordinator, joins).await;
    let alive = outcomes
        .iter()
        .find(|o| o.member_id.starts_with("alive"))
        .cloned()
        .unwrap_or_else(|| panic!("alive missing"));

    // Heartbeat every 3 s; the silent member's 10 s session runs out.
    let mut rebalancing = false;
    for _ in 0..5 {
        sleep(Duration::from_secs(3)).await;
        match heartbeat(&coordinator, &alive) {
            Ok(()) => {}
            Err(ResponseError::RebalanceInProgress) => {
                rebalancing = true;
                break;
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(rebalancing, "the eviction must start a rebalance");
    let description = coordinator.describe_group(GROUP);
    assert_eq!(description.members.len(), 1);
    assert_eq!(description.members[0].member_id, alive.member_id);

    let rejoined = join_and_sync(
        &coordinator,
        vec![spawn_rejoin(&coordinator, &alive.member_id)],
    )
    .await;
    assert_eq!(rejoined[0].generation_id, 2);
    assert_eq!(rejoined[0].leader_id, alive.member_id);
    assert_eq!(coordinator.describe_group(GROUP).state, GroupState::Stable);

    // And once the last member goes silent too, the group ends up Empty.
    sleep(Duration::from_secs(11)).await;
    sleep(Duration::from_secs(31)).await;
    assert_eq!(coordinator.describe_group(GROUP).state, GroupState::Empty);
    assert_eq!(
        heartbeat(&coordinator, &rejoined[0]),
        Err(ResponseError::UnknownMemberId)
    );
}

#[tokio::test(start_paused = true)]
async fn member_that_does_not_rejoin_is_removed_at_the_rebalance_timeout() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    let joins = vec![
        spawn_join_new(&coordinator, "a"),
        spawn_join_new(&coordinator, "b"),
    ];
    let outcomes = join_and_sync(&coordinator, joins).await;
    let (a, b) = (outcomes[0].clone(), outcomes[1].clone());
    // b keeps heartbeating but never rejoins; only the rebalance timeout (30 s)
    // can end the join phase.
    let newcomer = spawn_join_new(&coordinator, "c");
    let a_rejoin = spawn_rejoin(&coordinator, &a.member_id);
    for _ in 0..12 {
        sleep(Duration::from_secs(2)).await;
        assert_eq!(
            heartbeat(&coordinator, &b),
            Err(ResponseError::RebalanceInProgress)
        );
        assert!(!a_rejoin.is_finished());
    }
    let second = join_and_sync(&coordinator, vec![a_rejoin, newcomer]).await;
    assert!(second.iter().all(|o| o.generation_id == 2));
    let description = coordinator.describe_group(GROUP);
    assert_eq!(description.members.len(), 2);
    assert!(
        description
            .members
            .iter()
            .all(|m| m.member_id != b.member_id)
    );
    assert_eq!(
        heartbeat(&coordinator, &b),
        Err(ResponseError::UnknownMemberId)
    );
}

#[tokio::test(start_paused = true)]
async fn leave_triggers_a_rebalance_and_the_last_leave_empties_the_group() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    let joins = vec![
        spawn_join_new(&coordinator, "stay"),
        spawn_join_new(&coordinator, "go"),
    ];
    let outcomes = join_and_sync(&coordinator, joins).await;
    let stay = outcomes
        .iter()
        .find(|o| o.member_id.starts_with("stay"))
        .cloned()
        .unwrap_or_else(|| panic!("stay missing"));
    let go = outcomes
        .iter()
        .find(|o| o.member_id.starts_with("go"))
        .cloned()
        .unwrap_or_else(|| panic!("go missing"));

    let left = coordinator.leave_group(
        GROUP,
        vec![
            LeaveMember {
                member_id: go.member_id.clone(),
                group_instance_id: None,
            },
            LeaveMember {
                member_id: "nobody".to_owned(),
                group_instance_id: None,
            },
        ],
    );
    assert_eq!(left[0].error, None);
    assert_eq!(left[1].error, Some(ResponseError::UnknownMemberId));
    assert_eq!(
        heartbeat(&coordinator, &stay),
        Err(ResponseError::RebalanceInProgress)
    );
    let rejoined = join_and_sync(
        &coordinator,
        vec![spawn_rejoin(&coordinator, &stay.member_id)],
    )
    .await;
    assert_eq!(rejoined[0].generation_id, 2);

    let left = coordinator.leave_group(
        GROUP,
        vec![LeaveMember {
            member_id: stay.member_id.clone(),
            group_instance_id: None,
        }],
    );
    assert_eq!(left[0].error, None);
    let description = coordinator.describe_group(GROUP);
    assert_eq!(description.state, GroupState::Empty);
    assert!(description.members.is_empty());
    let missing = coordinator.leave_group("no-such-group", vec![LeaveMember::default()]);
    assert_eq!(missing[0].error, Some(ResponseError::UnknownMemberId));
}

#[tokio::test(start_paused = true)]
async fn join_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    let mut params = join_params("", "c");
    params.session_timeout_ms = 1000;
    assert_eq!(
        coordinator.join_group(params).await.error,
        Some(ResponseError::InvalidSessionTimeout)
    );
    let mut params = join_params("", "c");
    params.group_id = String::new();
    assert_eq!(
        coordinator.join_group(params).await.error,
        Some(ResponseError::InvalidGroupId)
    );
    assert_eq!(
        coordinator
            .join_group(join_params("made-up", "c"))
            .await
            .error,
        Some(ResponseError::UnknownMemberId)
    );
    let mut params = join_params("", "c");
    params.protocol_type = String::new();
    assert_eq!(
        coordinator.join_group(params).await.error,
        Some(ResponseError::InconsistentGroupProtocol)
    );
    assert!(
        coordinator.list_groups().is_empty(),
        "failed first joins leave no group behind"
    );
    // Pre-v4 joins get an id without the MEMBER_ID_REQUIRED round trip.
    let mut params = join_params("", "old");
    params.require_known_member_id = false;
    let old = coordinator.join_group(params).await;
    assert_eq!(old.error, None);
    assert_eq!(old.leader_id, old.member_id);
    // A member with a disjoint protocol cannot join a group with members.
    let mut params = join_params("", "odd");
    params.require_known_member_id = false;
    params.protocols = vec![("sticky".to_owned(), Bytes::new())];
    assert_eq!(
        coordinator.join_group(params).await.error,
        Some(ResponseError::InconsistentGroupProtocol)
    );
    // A SyncGroup with the wrong protocol name is refused.
    let mut sync = sync_params(&old, Vec::new());
    sync.protocol_name = Some("roundrobin".to_owned());
    assert_eq!(
        coordinator.sync_group(sync).await.error,
        Some(ResponseError::InconsistentGroupProtocol)
    );
    let mut sync = sync_params(&old, Vec::new());
    sync.member_id = "made-up".to_owned();
    assert_eq!(
        coordinator.sync_group(sync).await.error,
        Some(ResponseError::UnknownMemberId)
    );
}

#[tokio::test(start_paused = true)]
async fn static_member_restart_fences_the_old_incarnation() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    let mut params = join_params("", "s");
    params.group_instance_id = Some("instance-1".to_owned());
    let first = coordinator.join_group(params.clone()).await;
    assert_eq!(first.error, None, "static members skip MEMBER_ID_REQUIRED");
    let synced = coordinator
        .sync_group(sync_params(
            &first,
            vec![(first.member_id.clone(), Bytes::from_static(b"p0"))],
        ))
        .await;
    assert_eq!(synced.error, None);

    let second = coordinator.join_group(params).await;
    assert_eq!(second.error, None);
    assert_ne!(second.member_id, first.member_id);
    let fenced = coordinator.heartbeat(HeartbeatParams {
        group_id: GROUP.to_owned(),
        generation_id: second.generation_id,
        member_id: first.member_id.clone(),
        group_instance_id: Some("instance-1".to_owned()),
    });
    assert_eq!(fenced, Err(ResponseError::FencedInstanceId));
    let left = coordinator.leave_group(
        GROUP,
        vec![LeaveMember {
            member_id: String::new(),
            group_instance_id: Some("instance-1".to_owned()),
        }],
    );
    assert_eq!(left[0].error, None);
    assert_eq!(coordinator.describe_group(GROUP).state, GroupState::Empty);
}

fn commit(topic: &str, partition: i32, offset: i64) -> PartitionCommit {
    PartitionCommit {
        topic: topic.to_owned(),
        partition,
        offset,
        leader_epoch: -1,
        metadata: Some(format!("at {offset}")),
    }
}

fn simple_commit() -> CommitParams {
    CommitParams {
        group_id: GROUP.to_owned(),
        generation_id: -1,
        ..CommitParams::default()
    }
}

#[tokio::test(start_paused = true)]
async fn offsets_commit_and_fetch() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    let errors = coordinator.commit_offsets(
        simple_commit(),
        vec![commit("orders", 0, 42), commit("orders", 1, 7)],
    );
    assert_eq!(errors, vec![None, None]);
    let fetched = coordinator.fetch_offsets(
        GROUP,
        Some(&[("orders".to_owned(), 0), ("orders".to_owned(), 5)]),
        false,
    );
    assert_eq!(fetched[0].offset, 42);
    assert_eq!(fetched[0].metadata, "at 42");
    assert_eq!(fetched[1].offset, -1, "no commit yet");
    assert_eq!(fetched[1].error, None);
    let all = coordinator.fetch_offsets(GROUP, None, false);
    assert_eq!(
        all.iter()
            .map(|f| (f.partition, f.offset))
            .collect::<Vec<_>>(),
        vec![(0, 42), (1, 7)]
    );
    assert!(coordinator.fetch_offsets("other", None, false).is_empty());

    // Too much metadata is refused per partition.
    let mut big = commit("orders", 2, 1);
    big.metadata = Some("x".repeat(5000));
    assert_eq!(
        coordinator.commit_offsets(simple_commit(), vec![big, commit("orders", 3, 3)]),
        vec![Some(ResponseError::OffsetMetadataTooLarge), None]
    );

    // Members commit with their generation; others are refused.
    let joined = join_and_sync(&coordinator, vec![spawn_join_new(&coordinator, "m")]).await;
    let member = &joined[0];
    let as_member = CommitParams {
        group_id: GROUP.to_owned(),
        generation_id: member.generation_id,
        member_id: member.member_id.clone(),
        ..CommitParams::default()
    };
    assert_eq!(
        coordinator.commit_offsets(as_member.clone(), vec![commit("orders", 0, 100)]),
        vec![None]
    );
    assert_eq!(
        coordinator.fetch_offsets(GROUP, Some(&[("orders".to_owned(), 0)]), false)[0].offset,
        100
    );
    let wrong_generation = CommitParams {
        generation_id: member.generation_id + 1,
        ..as_member.clone()
    };
    assert_eq!(
        coordinator.commit_offsets(wrong_generation, vec![commit("orders", 0, 1)]),
        vec![Some(ResponseError::IllegalGeneration)]
    );
    let stranger = CommitParams {
        member_id: "stranger".to_owned(),
        ..as_member.clone()
    };
    assert_eq!(
        coordinator.commit_offsets(stranger, vec![commit("orders", 0, 1)]),
        vec![Some(ResponseError::UnknownMemberId)]
    );
    assert_eq!(
        coordinator.commit_offsets(simple_commit(), vec![commit("orders", 0, 1)]),
        vec![Some(ResponseError::UnknownMemberId)],
        "simple commits are only allowed into groups without members"
    );
    assert!(coordinator.has_active_members(GROUP));
    assert_eq!(
        coordinator
            .set_offsets_if_inactive(GROUP, BTreeMap::new())
            .ok(),
        Some(false)
    );
    // OffsetDelete refuses subscribed topics but deletes others.
    assert_eq!(
        coordinator.delete_offsets(GROUP, &[("orders".to_owned(), 1), ("other".to_owned(), 0)]),
        Ok(vec![Some(ResponseError::GroupSubscribedToTopic), None])
    );
    assert_eq!(
        coordinator.delete_offsets("nope", &[("orders".to_owned(), 1)]),
        Err(ResponseError::GroupIdNotFound)
    );
}

#[tokio::test(start_paused = true)]
async fn offsets_and_groups_survive_reopen_with_a_torn_last_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let member = {
        let coordinator = open(&dir);
        assert_eq!(
            coordinator.commit_offsets(simple_commit(), vec![commit("orders", 0, 42)]),
            vec![None]
        );
        assert_eq!(
            coordinator.commit_offsets(simple_commit(), vec![commit("orders", 0, 43)]),
            vec![None]
        );
        let deleted = coordinator.commit_offsets(
            CommitParams {
                group_id: "doomed".to_owned(),
                generation_id: -1,
                ..CommitParams::default()
            },
            vec![commit("orders", 0, 1)],
        );
        assert_eq!(deleted, vec![None]);
        assert_eq!(
            coordinator.delete_groups(&["doomed".to_owned()]),
            vec![None]
        );
        let joined = join_and_sync(&coordinator, vec![spawn_join_new(&coordinator, "m")]).await;
        joined[0].clone()
    };
    // A crash in the middle of an append leaves half a record.
    {
        let path = dir.path().join("group-journal.jsonl");
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{e}"));
        file.write_all(br#"{"type":"commit","group":"orders-app","offs"#)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let coordinator = open(&dir);
    let fetched = coordinator.fetch_offsets(GROUP, Some(&[("orders".to_owned(), 0)]), false);
    assert_eq!(fetched[0].offset, 43);
    assert!(coordinator.committed_offsets("doomed").is_empty());
    assert_eq!(coordinator.list_groups().len(), 1);
    // The member is back and may keep heartbeating in its generation.
    let description = coordinator.describe_group(GROUP);
    assert_eq!(description.state, GroupState::Stable);
    assert_eq!(description.members.len(), 1);
    assert_eq!(heartbeat(&coordinator, &member), Ok(()));
    // Appends after the torn line are readable on the next open.
    let as_member = CommitParams {
        group_id: GROUP.to_owned(),
        generation_id: member.generation_id,
        member_id: member.member_id.clone(),
        ..CommitParams::default()
    };
    assert_eq!(
        coordinator.commit_offsets(as_member, vec![commit("orders", 0, 44)]),
        vec![None]
    );
    drop(coordinator);
    let coordinator = open(&dir);
    assert_eq!(
        coordinator
            .committed_offsets(GROUP)
            .get(&("orders".to_owned(), 0))
            .map(|o| o.offset),
        Some(44)
    );
}

#[tokio::test(start_paused = true)]
async fn transactional_offsets_are_invisible_until_committed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    let tp = ("orders".to_owned(), 0);
    assert_eq!(
        coordinator.commit_offsets(simple_commit(), vec![commit("orders", 0, 10)]),
        vec![None]
    );
    let txn = TxnCommitParams {
        group_id: GROUP.to_owned(),
        producer_id: 7,
        producer_epoch: 0,
        generation_id: -1,
        ..TxnCommitParams::default()
    };
    assert_eq!(
        coordinator.txn_offset_commit(txn.clone(), vec![commit("orders", 0, 20)]),
        vec![None]
    );
    let fetched = coordinator.fetch_offsets(GROUP, Some(std::slice::from_ref(&tp)), false);
    assert_eq!(fetched[0].offset, 10, "staged offsets are invisible");
    let stable = coordinator.fetch_offsets(GROUP, Some(std::slice::from_ref(&tp)), true);
    assert_eq!(stable[0].error, Some(ResponseError::UnstableOffsetCommit));
    assert!(coordinator.has_pending_txn_offsets(GROUP));

    // The staged offsets survive a restart and commit afterwards.
    drop(coordinator);
    let coordinator = open(&dir);
    assert_eq!(
        coordinator.fetch_offsets(GROUP, Some(std::slice::from_ref(&tp)), true)[0].error,
        Some(ResponseError::UnstableOffsetCommit)
    );
    coordinator
        .complete_txn_offsets(7, true)
        .unwrap_or_else(|e| panic!("{e}"));
    let fetched = coordinator.fetch_offsets(GROUP, Some(std::slice::from_ref(&tp)), true);
    assert_eq!((fetched[0].offset, fetched[0].error), (20, None));

    // An aborted transaction leaves the committed offset alone.
    assert_eq!(
        coordinator.txn_offset_commit(txn.clone(), vec![commit("orders", 0, 30)]),
        vec![None]
    );
    coordinator
        .complete_txn_offsets(7, false)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        coordinator.fetch_offsets(GROUP, Some(std::slice::from_ref(&tp)), true)[0].offset,
        20
    );
    // A fenced (older) epoch is refused once a newer one staged.
    let newer = TxnCommitParams {
        producer_epoch: 3,
        ..txn.clone()
    };
    assert_eq!(
        coordinator.txn_offset_commit(newer, vec![commit("orders", 0, 40)]),
        vec![None]
    );
    assert_eq!(
        coordinator.txn_offset_commit(txn, vec![commit("orders", 0, 50)]),
        vec![Some(ResponseError::InvalidProducerEpoch)]
    );
    drop(coordinator);
    let coordinator = open(&dir);
    coordinator
        .complete_txn_offsets(7, true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        coordinator
            .committed_offsets(GROUP)
            .get(&tp)
            .map(|o| o.offset),
        Some(40)
    );
}

#[tokio::test(start_paused = true)]
async fn delete_groups_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    assert_eq!(
        coordinator.commit_offsets(
            CommitParams {
                group_id: "idle".to_owned(),
                generation_id: -1,
                ..CommitParams::default()
            },
            vec![commit("orders", 0, 5)]
        ),
        vec![None]
    );
    let _members = join_and_sync(&coordinator, vec![spawn_join_new(&coordinator, "m")]).await;
    let results = coordinator.delete_groups(&[
        "idle".to_owned(),
        GROUP.to_owned(),
        "missing".to_owned(),
        String::new(),
    ]);
    assert_eq!(
        results,
        vec![
            None,
            Some(ResponseError::NonEmptyGroup),
            Some(ResponseError::GroupIdNotFound),
            Some(ResponseError::InvalidGroupId),
        ]
    );
    assert!(coordinator.committed_offsets("idle").is_empty());
    assert_eq!(coordinator.describe_group("idle").state, GroupState::Dead);
    assert_eq!(coordinator.list_groups().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn offsets_of_an_empty_group_expire_after_retention() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    let mut params = simple_commit();
    params.retention_ms = Some(0);
    assert_eq!(
        coordinator.commit_offsets(params, vec![commit("orders", 0, 5)]),
        vec![None]
    );
    assert_eq!(
        coordinator.commit_offsets(simple_commit(), vec![commit("orders", 1, 6)]),
        vec![None]
    );
    coordinator.inner.expire_offsets();
    let offsets = coordinator.committed_offsets(GROUP);
    assert_eq!(
        offsets.keys().cloned().collect::<Vec<_>>(),
        vec![("orders".to_owned(), 1)],
        "only the commit with an elapsed explicit retention expired"
    );
}

#[tokio::test(start_paused = true)]
async fn journal_is_compacted_online_and_still_replays() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    coordinator.inner.state.lock().store.compact_after_bytes = 4096;
    let path = dir.path().join("group-journal.jsonl");
    let mut largest = 0;
    for offset in 0..500 {
        assert_eq!(
            coordinator.commit_offsets(simple_commit(), vec![commit("orders", 0, offset)]),
            vec![None]
        );
        largest = largest.max(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0));
    }
    // 500 commits of ~200 bytes would be ~100 KB without compaction.
    assert!(largest < 16 * 1024, "journal grew to {largest} bytes");
    drop(coordinator);
    let coordinator = open(&dir);
    assert_eq!(
        coordinator
            .committed_offsets(GROUP)
            .get(&("orders".to_owned(), 0))
            .map(|o| o.offset),
        Some(499)
    );
}

#[tokio::test(start_paused = true)]
async fn a_member_id_never_used_stops_blocking_the_rebalance_after_its_session() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    let first = join_and_sync(&coordinator, vec![spawn_join_new(&coordinator, "a")]).await;
    // A second client gets its id but never rejoins with it.
    let ghost = coordinator.join_group(join_params("", "ghost")).await;
    assert_eq!(ghost.error, Some(ResponseError::MemberIdRequired));
    // The leader rejoins with new metadata: a rebalance that waits for the
    // pending member until its session timeout (10 s) passes.
    let mut params = join_params(&first[0].member_id, "a");
    params.protocols = vec![("range".to_owned(), subscription(&["orders", "more"], "a"))];
    let rejoin = {
        let coordinator = coordinator.clone();
        tokio::spawn(async move { coordinator.join_group(params).await })
    };
    sleep(Duration::from_secs(5)).await;
    assert!(!rejoin.is_finished(), "the pending member is waited for");
    let second = finish(rejoin).await;
    assert_eq!((second.error, second.generation_id), (None, 2));
    assert_eq!(second.members.len(), 1);
    let late = coordinator
        .join_group(join_params(&ghost.member_id, "ghost"))
        .await;
    assert_eq!(late.error, Some(ResponseError::UnknownMemberId));
}

#[tokio::test(start_paused = true)]
async fn followers_are_released_when_the_leader_never_syncs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coordinator = open(&dir);
    let joins = vec![
        spawn_join_new(&coordinator, "x"),
        spawn_join_new(&coordinator, "y"),
    ];
    let mut outcomes = Vec::new();
    for handle in joins {
        outcomes.push(finish(handle).await);
    }
    let follower = outcomes
        .iter()
        .find(|o| o.member_id != o.leader_id)
        .cloned()
        .unwrap_or_else(|| panic!("no follower in {outcomes:?}"));
    let follower_sync = {
        let coordinator = coordinator.clone();
        let params = sync_params(&follower, Vec::new());
        tokio::spawn(async move { coordinator.sync_group(params).await })
    };
    // The leader stays silent past the rebalance timeout (30 s).
    let released = finish(follower_sync).await;
    assert_eq!(released.error, Some(ResponseError::RebalanceInProgress));
    let description = coordinator.describe_group(GROUP);
    assert_eq!(description.state, GroupState::PreparingRebalance);
    assert_eq!(
        description.members.len(),
        1,
        "the silent leader was removed"
    );
    assert_eq!(description.members[0].member_id, follower.member_id);
}
