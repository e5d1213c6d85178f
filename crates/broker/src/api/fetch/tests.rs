//! The data-path handlers end to end on a real broker (tempdir): Produce,
//! Fetch (long poll, isolation, sessions, KIP-74), ListOffsets, DeleteRecords.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    DeleteRecordsRequest, FetchRequest, FetchResponse, ListOffsetsRequest, ProduceRequest,
    TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::api::RequestContext;
use crate::config::BrokerConfig;
use crate::partition::tests::batch;
use crate::state::Broker;

fn broker(dir: &std::path::Path) -> Arc<Broker> {
    let config = BrokerConfig::load(None, &[], Some(dir.to_path_buf())).unwrap();
    let b = Broker::open(config).unwrap();
    b.create_topic("t", 2, 1, BTreeMap::new()).unwrap();
    Arc::new(b)
}

fn ctx(broker: &Arc<Broker>, api_version: i16) -> RequestContext {
    RequestContext {
        broker: Arc::clone(broker),
        api_version,
        client_id: None,
        client_host: "test".into(),
        principal: None,
        listener: "PLAINTEXT".into(),
    }
}

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

fn produce_req(topic: &str, partition: i32, records: Bytes, acks: i16) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(1000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(name(topic))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(partition)
                        .with_records(Some(records)),
                ]),
        ])
}

fn fetch_req(offset: i64, max_wait_ms: i32, min_bytes: i32, isolation: i8) -> FetchRequest {
    FetchRequest::default()
        .with_max_wait_ms(max_wait_ms)
        .with_min_bytes(min_bytes)
        .with_isolation_level(isolation)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(name("t"))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(0)
                        .with_fetch_offset(offset)
                        .with_partition_max_bytes(1 << 20),
                ]),
        ])
}

fn records(resp: &FetchResponse) -> Bytes {
    resp.responses[0].partitions[0]
        .records
        .clone()
        .unwrap_or_default()
}

#[tokio::test]
async fn produce_answers_by_version_and_acks() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    let r = super::super::produce::handle(
        &ctx(&b, 9),
        produce_req("t", 0, batch(-1, -1, 0, 3, false), 1),
    )
    .await
    .unwrap();
    let p = &r.responses[0].partition_responses[0];
    assert_eq!((p.error_code, p.base_offset, p.log_start_offset), (0, 0, 0));
    // acks=0: appended, but no response.
    let none = super::super::produce::handle(
        &ctx(&b, 9),
        produce_req("t", 0, batch(-1, -1, 0, 2, false), 0),
    )
    .await;
    assert!(none.is_none());
    assert_eq!(
        b.topic("t").unwrap().partition(0).unwrap().high_watermark(),
        5
    );
    // Unknown topic and partition, bad acks.
    let r = super::super::produce::handle(
        &ctx(&b, 9),
        produce_req("nope", 0, batch(-1, -1, 0, 1, false), 1),
    )
    .await
    .unwrap();
    assert_eq!(
        r.responses[0].partition_responses[0].error_code,
        ResponseError::UnknownTopicOrPartition.code()
    );
    let r = super::super::produce::handle(
        &ctx(&b, 9),
        produce_req("t", 7, batch(-1, -1, 0, 1, false), 1),
    )
    .await
    .unwrap();
    assert_eq!(
        r.responses[0].partition_responses[0].error_code,
        ResponseError::UnknownTopicOrPartition.code()
    );
    let r = super::super::produce::handle(
        &ctx(&b, 9),
        produce_req("t", 0, batch(-1, -1, 0, 1, false), 2),
    )
    .await
    .unwrap();
    assert_eq!(
        r.responses[0].partition_responses[0].error_code,
        ResponseError::InvalidRequiredAcks.code()
    );
    // v13 addresses the topic by id.
    let id = b.topic("t").unwrap().id;
    let mut req = produce_req("", 1, batch(-1, -1, 0, 1, false), -1);
    req.topic_data[0].topic_id = id;
    let r = super::super::produce::handle(&ctx(&b, 13), req)
        .await
        .unwrap();
    assert_eq!(r.responses[0].topic_id, id);
    assert_eq!(r.responses[0].partition_responses[0].error_code, 0);
    let mut req = produce_req("", 1, batch(-1, -1, 0, 1, false), -1);
    req.topic_data[0].topic_id = uuid::Uuid::new_v4();
    let r = super::super::produce::handle(&ctx(&b, 13), req)
        .await
        .unwrap();
    assert_eq!(
        r.responses[0].partition_responses[0].error_code,
        ResponseError::UnknownTopicId.code()
    );
    // A transactional batch outside any transaction.
    let r = super::super::produce::handle(
        &ctx(&b, 9),
        produce_req("t", 0, batch(5, 0, 0, 1, true), -1),
    )
    .await
    .unwrap();
    assert_eq!(
        r.responses[0].partition_responses[0].error_code,
        ResponseError::InvalidTxnState.code()
    );
}

#[tokio::test(start_paused = true)]
async fn a_waiting_fetch_is_woken_by_an_append() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    let c = ctx(&b, 12);
    let start = tokio::time::Instant::now();
    let waiting = tokio::spawn(async move { super::handle(&c, fetch_req(0, 600_000, 1, 0)).await });
    // Let the fetch read (nothing) and park on the notifier.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(!waiting.is_finished());
    let p = b.topic("t").unwrap().partition(0).unwrap();
    p.append_produce(&batch(-1, -1, 0, 2, false), 1 << 20, |_| Ok(()))
        .unwrap();
    // Had the append not woken it, the paused clock would have jumped to the
    // deadline (virtual time: deterministic, not a wall-clock assertion).
    let resp = waiting.await.unwrap();
    assert!(
        start.elapsed() < std::time::Duration::from_secs(600),
        "the fetch waited out max_wait instead of being woken"
    );
    assert!(!records(&resp).is_empty());
    assert_eq!(resp.responses[0].partitions[0].high_watermark, 2);
    // With nothing new, a fetch at the end waits out max_wait and returns empty.
    let resp = super::handle(&ctx(&b, 12), fetch_req(2, 500, 1, 0)).await;
    assert!(records(&resp).is_empty());
    assert_eq!(resp.responses[0].partitions[0].error_code, 0);
}

#[tokio::test]
async fn fetch_sessions_are_refused_and_errors_reported() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    let resp = super::handle(
        &ctx(&b, 12),
        fetch_req(0, 0, 0, 0)
            .with_session_id(7)
            .with_session_epoch(3),
    )
    .await;
    assert_eq!(
        resp.error_code,
        ResponseError::FetchSessionIdNotFound.code()
    );
    // A full fetch asking for a session gets session 0: none was created.
    let resp = super::handle(&ctx(&b, 12), fetch_req(0, 0, 0, 0).with_session_epoch(0)).await;
    assert_eq!((resp.error_code, resp.session_id), (0, 0));
    let resp = super::handle(&ctx(&b, 12), fetch_req(5, 0, 0, 0)).await;
    let p = &resp.responses[0].partitions[0];
    assert_eq!(p.error_code, ResponseError::OffsetOutOfRange.code());
    assert_eq!((p.high_watermark, p.log_start_offset), (0, 0));
    let mut req = fetch_req(0, 0, 0, 0);
    req.topics[0].topic_id = uuid::Uuid::new_v4();
    let resp = super::handle(&ctx(&b, 13), req).await;
    assert_eq!(
        resp.responses[0].partitions[0].error_code,
        ResponseError::UnknownTopicId.code()
    );
}

#[tokio::test]
async fn read_committed_fetch_and_list_offsets_stop_at_the_lso() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    let (pid, epoch) = b
        .txn
        .init_producer_id(&b, Some("tx"), 60_000, None)
        .unwrap();
    b.txn
        .add_partitions("tx", pid, epoch, &[("t".into(), 0)])
        .unwrap();
    let p = b.topic("t").unwrap().partition(0).unwrap();
    p.append_produce(&batch(-1, -1, 0, 2, false), 1 << 20, |_| Ok(()))
        .unwrap();
    let r = super::super::produce::handle(
        &ctx(&b, 9),
        produce_req("t", 0, batch(pid, epoch, 0, 3, true), -1),
    )
    .await
    .unwrap();
    assert_eq!(r.responses[0].partition_responses[0].error_code, 0);
    let rc = super::handle(&ctx(&b, 12), fetch_req(0, 0, 0, 1)).await;
    let part = &rc.responses[0].partitions[0];
    assert_eq!((part.high_watermark, part.last_stable_offset), (5, 2));
    assert_eq!(
        ferry_protocol::batch::BatchIter::new(records(&rc)).count(),
        1,
        "only the batch below the open transaction"
    );
    let ru = super::handle(&ctx(&b, 12), fetch_req(0, 0, 0, 0)).await;
    assert_eq!(
        ferry_protocol::batch::BatchIter::new(records(&ru)).count(),
        2
    );
    assert!(ru.responses[0].partitions[0].aborted_transactions.is_none());

    let list = |isolation: i8, ts: i64| {
        ListOffsetsRequest::default()
            .with_isolation_level(isolation)
            .with_topics(vec![
                ListOffsetsTopic::default()
                    .with_name(name("t"))
                    .with_partitions(vec![
                        ListOffsetsPartition::default()
                            .with_partition_index(0)
                            .with_timestamp(ts),
                    ]),
            ])
    };
    let offset = |r: kafka_protocol::messages::ListOffsetsResponse| {
        let p = &r.topics[0].partitions[0];
        (p.error_code, p.offset, p.timestamp)
    };
    let h = super::super::list_offsets::handle;
    assert_eq!(
        offset(h(&ctx(&b, 7), list(1, -1)).await).1,
        2,
        "latest, read_committed: the LSO"
    );
    assert_eq!(offset(h(&ctx(&b, 7), list(0, -1)).await).1, 5);
    assert_eq!(offset(h(&ctx(&b, 7), list(0, -2)).await).1, 0);
    assert_eq!(offset(h(&ctx(&b, 7), list(0, -5)).await), (0, -1, -1));
    // By timestamp: the batches' records carry 1_700_000_000_000 + i.
    assert_eq!(
        offset(h(&ctx(&b, 7), list(0, 1_700_000_000_001)).await),
        (0, 1, 1_700_000_000_001)
    );
    assert_eq!(
        offset(h(&ctx(&b, 7), list(0, 1_800_000_000_000)).await),
        (0, -1, -1)
    );
    // The max timestamp is in the open transaction: as in Kafka, a
    // read_committed lookup whose answer lies beyond the LSO finds nothing.
    assert_eq!(
        offset(h(&ctx(&b, 7), list(0, -3)).await),
        (0, 4, 1_700_000_000_002)
    );
    assert_eq!(offset(h(&ctx(&b, 7), list(1, -3)).await), (0, -1, -1));

    b.txn.end_txn(&b, "tx", pid, epoch, false).unwrap();
    let rc = super::handle(&ctx(&b, 12), fetch_req(0, 0, 0, 1)).await;
    let part = &rc.responses[0].partitions[0];
    assert_eq!((part.high_watermark, part.last_stable_offset), (6, 6));
    let aborted = part.aborted_transactions.clone().unwrap();
    assert_eq!(aborted.len(), 1);
    assert_eq!(
        (aborted[0].producer_id.0, aborted[0].first_offset),
        (pid, 2)
    );
}

#[tokio::test]
async fn delete_records_moves_the_low_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    let p = b.topic("t").unwrap().partition(0).unwrap();
    p.append_produce(&batch(-1, -1, 0, 4, false), 1 << 20, |_| Ok(()))
        .unwrap();
    let req = |offset: i64| {
        DeleteRecordsRequest::default().with_topics(vec![
            DeleteRecordsTopic::default()
                .with_name(name("t"))
                .with_partitions(vec![
                    DeleteRecordsPartition::default()
                        .with_partition_index(0)
                        .with_offset(offset),
                ]),
        ])
    };
    let run = |offset| {
        let c = ctx(&b, 2);
        async move {
            let r = super::super::delete_records::handle(&c, req(offset)).await;
            let p = &r.topics[0].partitions[0];
            (p.error_code, p.low_watermark)
        }
    };
    assert_eq!(run(9).await.0, ResponseError::OffsetOutOfRange.code());
    assert_eq!(run(2).await, (0, 2));
    assert_eq!(run(-1).await, (0, 4));
    assert_eq!(p.log_start_offset(), 4);
}
