//! The consumer-group handlers end to end on a real broker (tempdir), at
//! every version each API has: answers are right and encodable at the
//! request's version (the crate refuses fields a version lacks).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Encodable, StrBytes};

use crate::api::RequestContext;
use crate::config::BrokerConfig;
use crate::state::Broker;

fn ctx(dir: &tempfile::TempDir, version: i16) -> RequestContext {
    let config = BrokerConfig::load(None, &[], Some(dir.path().to_path_buf()))
        .unwrap_or_else(|e| panic!("config: {e}"));
    let broker = Broker::open(config).unwrap_or_else(|e| panic!("open: {e}"));
    broker
        .create_topic("orders", 3, 1, BTreeMap::new())
        .unwrap_or_else(|e| panic!("create topic: {e}"));
    RequestContext {
        broker: Arc::new(broker),
        api_version: version,
        client_id: Some("rdkafka".into()),
        client_host: "/127.0.0.1".into(),
        principal: None,
        listener: "PLAINTEXT".into(),
    }
}

fn with_version(c: &RequestContext, v: i16) -> RequestContext {
    let mut c = c.clone();
    c.api_version = v;
    c
}

fn enc<T: Encodable + std::fmt::Debug>(r: &T, v: i16) {
    let mut b = BytesMut::new();
    if let Err(e) = r.encode(&mut b, v) {
        panic!("encode v{v} failed: {e}: {r:?}");
    }
}

fn s(x: &str) -> StrBytes {
    StrBytes::from_string(x.to_string())
}

#[tokio::test(start_paused = true)]
async fn every_handler_encodes_at_every_version() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let base = ctx(&dir, 0);
    for v in 0..=6 {
        let c = with_version(&base, v);
        for key_type in [0i8, 1, 5] {
            let req = FindCoordinatorRequest::default()
                .with_key(if v < 4 { s("g") } else { StrBytes::default() })
                .with_key_type(if v >= 1 { key_type } else { 0 })
                .with_coordinator_keys(if v >= 4 { vec![s("g"), s("h")] } else { vec![] });
            let r = super::super::find_coordinator::handle(&c, req).await;
            enc(&r, v);
            if v >= 4 {
                assert_eq!(r.coordinators.len(), 2);
            }
        }
    }
    // Join + sync + heartbeat + commit + fetch at every JoinGroup version.
    for v in 0..=9i16 {
        let c = with_version(&base, v);
        let group = format!("g{v}");
        let join = |member: String| {
            JoinGroupRequest::default()
                .with_group_id(GroupId(s(&group)))
                .with_session_timeout_ms(600_000)
                .with_rebalance_timeout_ms(if v >= 1 { 20_000 } else { 0 })
                .with_member_id(s(&member))
                .with_protocol_type(s("consumer"))
                .with_protocols(vec![
                    join_group_request::JoinGroupRequestProtocol::default()
                        .with_name(s("range"))
                        .with_metadata(Bytes::from_static(b"\0\0\0\0\0\x01\0\x06orders")),
                ])
        };
        let mut r = super::super::join_group::handle(&c, join(String::new())).await;
        enc(&r, v);
        if v >= 4 {
            assert_eq!(r.error_code, 79);
            r = super::super::join_group::handle(&c, join(r.member_id.to_string())).await;
            enc(&r, v);
        }
        assert_eq!(r.error_code, 0, "v{v}");
        assert_eq!(r.members.len(), 1);
        let member = r.member_id.clone();
        let sv = v.min(5);
        let sc = with_version(&base, sv);
        let sync = SyncGroupRequest::default()
            .with_group_id(GroupId(s(&group)))
            .with_generation_id(r.generation_id)
            .with_member_id(member.clone())
            .with_protocol_type(if sv >= 5 { Some(s("consumer")) } else { None })
            .with_protocol_name(if sv >= 5 { Some(s("range")) } else { None })
            .with_assignments(vec![
                sync_group_request::SyncGroupRequestAssignment::default()
                    .with_member_id(member.clone())
                    .with_assignment(Bytes::from_static(b"a")),
            ]);
        let sr = super::super::sync_group::handle(&sc, sync).await;
        enc(&sr, sv);
        assert_eq!((sr.error_code, sr.assignment.as_ref()), (0, &b"a"[..]));
        let hv = v.min(4);
        let hr = super::super::heartbeat::handle(
            &with_version(&base, hv),
            HeartbeatRequest::default()
                .with_group_id(GroupId(s(&group)))
                .with_generation_id(r.generation_id)
                .with_member_id(member.clone()),
        )
        .await;
        enc(&hr, hv);
        assert_eq!(hr.error_code, 0);
        // Errors encode too.
        let bad = super::super::heartbeat::handle(
            &with_version(&base, hv),
            HeartbeatRequest::default()
                .with_group_id(GroupId(s(&group)))
                .with_generation_id(99)
                .with_member_id(member.clone()),
        )
        .await;
        assert_eq!(bad.error_code, 22);
        let bad_join = super::super::join_group::handle(&c, join("nobody".into())).await;
        enc(&bad_join, v);
        assert_eq!(bad_join.error_code, 25);
    }
    for v in 2..=9i16 {
        let c = with_version(&base, v);
        let req = OffsetCommitRequest::default()
            .with_group_id(GroupId(s("simple")))
            .with_generation_id_or_member_epoch(-1)
            .with_retention_time_ms(-1)
            .with_topics(vec![
                offset_commit_request::OffsetCommitRequestTopic::default()
                    .with_name(TopicName(s("orders")))
                    .with_partitions(vec![
                        offset_commit_request::OffsetCommitRequestPartition::default()
                            .with_partition_index(0)
                            .with_committed_offset(10 + v as i64)
                            .with_committed_metadata(Some(s("m"))),
                        offset_commit_request::OffsetCommitRequestPartition::default()
                            .with_partition_index(7)
                            .with_committed_offset(1),
                    ]),
                offset_commit_request::OffsetCommitRequestTopic::default()
                    .with_name(TopicName(s("nope")))
                    .with_partitions(vec![
                        offset_commit_request::OffsetCommitRequestPartition::default()
                            .with_partition_index(0),
                    ]),
            ]);
        let r = super::super::offset_commit::handle(&c, req).await;
        enc(&r, v);
        let codes: Vec<Vec<i16>> = r
            .topics
            .iter()
            .map(|t| t.partitions.iter().map(|p| p.error_code).collect())
            .collect();
        assert_eq!(codes, vec![vec![0, 3], vec![3]]);
    }
    for v in 1..=9i16 {
        let c = with_version(&base, v);
        let r = if v >= 8 {
            let req = OffsetFetchRequest::default()
                .with_require_stable(true)
                .with_groups(vec![
                    offset_fetch_request::OffsetFetchRequestGroup::default()
                        .with_group_id(GroupId(s("simple")))
                        .with_topics(None),
                    offset_fetch_request::OffsetFetchRequestGroup::default()
                        .with_group_id(GroupId(s("simple")))
                        .with_topics(Some(vec![
                            offset_fetch_request::OffsetFetchRequestTopics::default()
                                .with_name(TopicName(s("orders")))
                                .with_partition_indexes(vec![0, 1]),
                        ])),
                ]);
            let r = super::super::offset_fetch::handle(&c, req).await;
            assert_eq!(r.groups.len(), 2);
            assert_eq!(r.groups[0].topics[0].partitions[0].committed_offset, 19);
            assert_eq!(r.groups[1].topics[0].partitions[1].committed_offset, -1);
            r
        } else {
            let req = OffsetFetchRequest::default()
                .with_group_id(GroupId(s("simple")))
                .with_topics(if v >= 2 {
                    None
                } else {
                    Some(vec![
                        offset_fetch_request::OffsetFetchRequestTopic::default()
                            .with_name(TopicName(s("orders")))
                            .with_partition_indexes(vec![0]),
                    ])
                })
                .with_require_stable(v >= 7);
            let r = super::super::offset_fetch::handle(&c, req).await;
            assert_eq!(r.topics[0].partitions[0].committed_offset, 19);
            r
        };
        enc(&r, v);
    }
    let r = super::super::offset_delete::handle(
        &with_version(&base, 0),
        OffsetDeleteRequest::default()
            .with_group_id(GroupId(s("simple")))
            .with_topics(vec![
                offset_delete_request::OffsetDeleteRequestTopic::default()
                    .with_name(TopicName(s("orders")))
                    .with_partitions(vec![
                        offset_delete_request::OffsetDeleteRequestPartition::default()
                            .with_partition_index(0),
                    ]),
            ]),
    )
    .await;
    enc(&r, 0);
    assert_eq!((r.error_code, r.topics[0].partitions[0].error_code), (0, 0));
    let r = super::super::offset_delete::handle(
        &with_version(&base, 0),
        OffsetDeleteRequest::default().with_group_id(GroupId(s("nope"))),
    )
    .await;
    assert_eq!(r.error_code, 69);
    enc(&r, 0);
    for v in 0..=5i16 {
        let c = with_version(&base, v);
        let req = ListGroupsRequest::default()
            .with_states_filter(if v >= 4 { vec![s("stable")] } else { vec![] })
            .with_types_filter(if v >= 5 { vec![s("classic")] } else { vec![] });
        let r = super::super::list_groups::handle(&c, req).await;
        enc(&r, v);
        if v >= 4 {
            assert_eq!(r.groups.len(), 10, "only the 10 Stable groups");
        } else {
            assert_eq!(r.groups.len(), 11);
        }
    }
    for v in 0..=6i16 {
        let c = with_version(&base, v);
        let r = super::super::describe_groups::handle(
            &c,
            DescribeGroupsRequest::default()
                .with_groups(vec![GroupId(s("g9")), GroupId(s("missing"))])
                .with_include_authorized_operations(v >= 3),
        )
        .await;
        enc(&r, v);
        assert_eq!(r.groups[0].group_state.as_str(), "Stable");
        assert_eq!(r.groups[0].members.len(), 1);
        assert_eq!(r.groups[0].members[0].member_assignment.as_ref(), b"a");
        assert_eq!(r.groups[1].group_state.as_str(), "Dead");
        assert_eq!(r.groups[1].error_code, if v >= 6 { 69 } else { 0 });
    }
    for v in 0..=5i16 {
        let c = with_version(&base, v);
        let req = TxnOffsetCommitRequest::default()
            .with_transactional_id(s("t").into())
            .with_group_id(GroupId(s("txg")))
            .with_producer_id(ProducerId(5))
            .with_producer_epoch(if v == 1 { -1 } else { 0 })
            .with_generation_id(-1)
            .with_topics(vec![
                txn_offset_commit_request::TxnOffsetCommitRequestTopic::default()
                    .with_name(TopicName(s("orders")))
                    .with_partitions(vec![
                        txn_offset_commit_request::TxnOffsetCommitRequestPartition::default()
                            .with_partition_index(1)
                            .with_committed_offset(5),
                    ]),
            ]);
        let r = super::super::txn_offset_commit::handle(&c, req).await;
        enc(&r, v);
        // No AddOffsetsToTxn happened: the transaction coordinator refuses.
        assert_eq!(r.topics[0].partitions[0].error_code, 49);
    }
    for v in 0..=5i16 {
        let c = with_version(&base, v);
        let group = format!("g{}", v + 4);
        let desc = base.broker.groups.describe_group(&group);
        let member = desc.members[0].member_id.clone();
        let req = if v >= 3 {
            LeaveGroupRequest::default()
                .with_group_id(GroupId(s(&group)))
                .with_members(vec![
                    leave_group_request::MemberIdentity::default().with_member_id(s(&member)),
                    leave_group_request::MemberIdentity::default().with_member_id(s("ghost")),
                ])
        } else {
            LeaveGroupRequest::default()
                .with_group_id(GroupId(s(&group)))
                .with_member_id(s(&member))
        };
        let r = super::super::leave_group::handle(&c, req).await;
        enc(&r, v);
        if v >= 3 {
            assert_eq!(
                r.members.iter().map(|m| m.error_code).collect::<Vec<_>>(),
                vec![0, 25]
            );
        } else {
            assert_eq!(r.error_code, 0);
        }
    }
    for v in 0..=2i16 {
        let c = with_version(&base, v);
        let r = super::super::delete_groups::handle(
            &c,
            DeleteGroupsRequest::default().with_groups_names(vec![
                GroupId(s(&format!("g{}", v + 4))),
                GroupId(s("g0")),
                GroupId(s("none")),
            ]),
        )
        .await;
        enc(&r, v);
        assert_eq!(
            r.results.iter().map(|x| x.error_code).collect::<Vec<_>>(),
            vec![0, 68, 69]
        );
    }
}
