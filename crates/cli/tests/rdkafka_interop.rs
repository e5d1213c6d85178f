//! Interop with librdkafka 2.12 (the rdkafka crate), unchanged, against a real
//! `ferry server`: producer (every codec, keys, headers, null values), consumer,
//! two group members sharing a topic with commits, and the admin API.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use common::{FerryServer, RawConn, rdkafka_config};
use ferry_protocol::{BatchIter, Compression};
use rdkafka::admin::{
    AdminClient, AdminOptions, ConfigSource, NewPartitions, NewTopic, ResourceSpecifier,
    TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

const T: Duration = Duration::from_secs(30);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn admin(server: &FerryServer) -> AdminClient<DefaultClientContext> {
    rdkafka_config(server).create().expect("admin client")
}

fn create_topic(rt: &tokio::runtime::Runtime, server: &FerryServer, name: &str, partitions: i32) {
    let admin = admin(server);
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    let res = rt
        .block_on(admin.create_topics([&topic], &AdminOptions::new().operation_timeout(Some(T))))
        .expect("create_topics request");
    assert_eq!(res.len(), 1);
    assert_eq!(res[0], Ok(name.to_string()), "create topic {name}");
}

/// What one produced record should read back as.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

fn expected_record(i: usize) -> Expected {
    let key = (!i.is_multiple_of(3)).then(|| format!("key-{}", i % 7).into_bytes());
    let value = (!i.is_multiple_of(5)).then(|| {
        // Compressible but not trivial: a repeated phrase plus the index.
        format!("value {i} {}", "the quick brown fox ".repeat(1 + i % 20)).into_bytes()
    });
    let mut headers = Vec::new();
    if i.is_multiple_of(2) {
        headers.push(("idx".to_string(), Some(i.to_string().into_bytes())));
        headers.push(("nil".to_string(), None));
    }
    if i % 4 == 1 {
        headers.push(("empty".to_string(), Some(Vec::new())));
    }
    Expected {
        key,
        value,
        headers,
    }
}

fn owned_headers(e: &Expected) -> Option<OwnedHeaders> {
    if e.headers.is_empty() {
        return None;
    }
    let mut h = OwnedHeaders::new();
    for (k, v) in &e.headers {
        h = h.insert(Header {
            key: k,
            value: v.as_deref(),
        });
    }
    Some(h)
}

fn read_back(m: &rdkafka::message::BorrowedMessage<'_>) -> Expected {
    let headers = m
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                .collect()
        })
        .unwrap_or_default();
    Expected {
        key: m.key().map(<[u8]>::to_vec),
        value: m.payload().map(<[u8]>::to_vec),
        headers,
    }
}

/// Reads `want` messages from the given partitions from the beginning with a
/// group-less consumer; returns them by (partition, offset).
fn consume_exactly(
    server: &FerryServer,
    topic: &str,
    partitions: i32,
    want: usize,
) -> BTreeMap<(i32, i64), Expected> {
    let consumer: BaseConsumer = rdkafka_config(server)
        .set("group.id", "unused-assign-only")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .expect("tpl");
    }
    consumer.assign(&tpl).expect("assign");
    let mut got = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.len() < want {
        assert!(
            Instant::now() < deadline,
            "consumed only {} of {want} records from {topic} in 60s",
            got.len()
        );
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Ok(m)) => {
                let prev = got.insert((m.partition(), m.offset()), read_back(&m));
                assert!(
                    prev.is_none(),
                    "offset {}:{} delivered twice",
                    m.partition(),
                    m.offset()
                );
            }
            Some(Err(e)) => panic!("consume error: {e}"),
        }
    }
    // Nothing beyond what was produced.
    let extra = consumer.poll(Duration::from_millis(500));
    assert!(
        !matches!(extra, Some(Ok(_))),
        "more records than were produced"
    );
    got
}

/// Every codec, with keys, headers and null values; what was acknowledged is
/// read back exactly, at the acknowledged offsets, and the stored batches are
/// really compressed with the codec the producer chose (librdkafka silently
/// disables compression if the broker advertises Produce only from v3).
#[test]
fn producer_every_codec_reads_back_exactly() {
    let server = FerryServer::start(&[]);
    let rt = runtime();
    const N: usize = 300;
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let topic = format!("codec-{codec}");
        create_topic(&rt, &server, &topic, 3);
        let producer: FutureProducer = rdkafka_config(&server)
            .set("acks", "all")
            .set("compression.type", codec)
            .set("linger.ms", "20")
            .set("message.timeout.ms", "60000")
            .create()
            .expect("producer");
        let mut sent: BTreeMap<(i32, i64), Expected> = BTreeMap::new();
        rt.block_on(async {
            let mut pending = Vec::new();
            for i in 0..N {
                let e = expected_record(i);
                let mut rec: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&topic);
                if let Some(k) = &e.key {
                    rec = rec.key(k.as_slice());
                } else {
                    // Unkeyed records go to an explicit partition, spread evenly.
                    rec = rec.partition((i % 3) as i32);
                }
                if let Some(v) = &e.value {
                    rec = rec.payload(v.as_slice());
                }
                if let Some(h) = owned_headers(&e) {
                    rec = rec.headers(h);
                }
                let fut = producer.send_result(rec).expect("enqueue");
                pending.push((e, fut));
            }
            for (e, fut) in pending {
                let delivery = fut
                    .await
                    .expect("delivery future")
                    .unwrap_or_else(|(err, _)| panic!("{codec}: delivery failed: {err}"));
                let prev = sent.insert((delivery.partition, delivery.offset), e);
                assert!(prev.is_none(), "{codec}: two acks for one offset");
            }
        });
        let got = consume_exactly(&server, &topic, 3, N);
        assert_eq!(got.len(), sent.len());
        for (at, e) in &sent {
            assert_eq!(got.get(at), Some(e), "{codec}: record at {at:?} differs");
        }

        // The log holds batches compressed with the producer's codec.
        let want = match codec {
            "none" => Compression::None,
            "gzip" => Compression::Gzip,
            "snappy" => Compression::Snappy,
            "lz4" => Compression::Lz4,
            _ => Compression::Zstd,
        };
        // librdkafka sends a batch uncompressed when compressing would not
        // shrink it, so a codec'd producer may leave some batches plain; but
        // no batch may carry another codec, and most must carry this one.
        let mut conn = RawConn::connect(&server.bootstrap()).expect("raw connect");
        let mut by_codec: BTreeMap<String, usize> = BTreeMap::new();
        for p in 0..3 {
            let data =
                common::fetch_partition(&mut conn, 12, &topic, p, 0, 8 << 20).expect("raw fetch");
            for b in BatchIter::new(data.records.unwrap_or_default()) {
                let (h, bytes) = b.expect("batch header");
                ferry_protocol::batch::validate(&bytes).expect("stored batch CRC");
                let c = h.compression().expect("known codec");
                assert!(
                    c == want || c == Compression::None,
                    "{codec}: stored batch has codec {c:?}"
                );
                *by_codec.entry(format!("{c:?}")).or_default() += 1;
            }
        }
        let with_codec = by_codec.get(&format!("{want:?}")).copied().unwrap_or(0);
        let total: usize = by_codec.values().sum();
        assert!(
            total > 0 && with_codec * 2 > total,
            "{codec}: stored batches by codec {by_codec:?}; the producer's codec should dominate"
        );
    }
}

/// Two members of one group split a 4-partition topic two and two, each reads
/// exactly its partitions' records, commits, and the committed offsets read
/// back from the broker (by a third client of the same group).
#[test]
fn consumer_group_two_members_split_and_commit() {
    let server = FerryServer::start(&[]);
    let rt = runtime();
    let topic = "grouped";
    create_topic(&rt, &server, topic, 4);
    let member = || -> BaseConsumer {
        rdkafka_config(&server)
            .set("group.id", "g-split")
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "500")
            .create()
            .expect("group member")
    };
    let a = member();
    let b = member();
    a.subscribe(&[topic]).expect("subscribe a");
    b.subscribe(&[topic]).expect("subscribe b");

    // Wait (bounded) until the group has settled on 2 + 2.
    let assigned = |c: &BaseConsumer| -> BTreeSet<i32> {
        c.assignment()
            .map(|tpl| tpl.elements().iter().map(|e| e.partition()).collect())
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        for c in [&a, &b] {
            if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
                panic!("record before any was produced: {:?}", m.offset());
            }
        }
        let (pa, pb) = (assigned(&a), assigned(&b));
        if pa.len() == 2 && pb.len() == 2 && pa.is_disjoint(&pb) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "group did not settle on 2+2 partitions in 90s: a={pa:?} b={pb:?}"
        );
    }
    let (pa, pb) = (assigned(&a), assigned(&b));

    // 100 records per partition, value "p<partition>-<i>".
    let producer: FutureProducer = rdkafka_config(&server)
        .set("acks", "all")
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    rt.block_on(async {
        let mut futs = Vec::new();
        for p in 0..4 {
            for i in 0..100 {
                let v = format!("p{p}-{i}");
                let rec: FutureRecord<'_, str, str> =
                    FutureRecord::to(topic).partition(p).payload(&v);
                futs.push(producer.send_result(rec).expect("enqueue"));
            }
        }
        for f in futs {
            f.await.expect("future").expect("delivered");
        }
    });

    let mut seen: HashMap<&str, Vec<(i32, i64, String)>> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.values().map(Vec::len).sum::<usize>() < 400 {
        assert!(
            Instant::now() < deadline,
            "group consumed only {} of 400 in 60s",
            seen.values().map(Vec::len).sum::<usize>()
        );
        for (name, c) in [("a", &a), ("b", &b)] {
            match c.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    let v = String::from_utf8(m.payload().unwrap_or_default().to_vec()).unwrap();
                    seen.entry(name)
                        .or_default()
                        .push((m.partition(), m.offset(), v));
                }
                Some(Err(e)) => panic!("member {name}: {e}"),
                None => {}
            }
        }
    }
    for (name, parts) in [("a", &pa), ("b", &pb)] {
        let recs = seen.get(name).cloned().unwrap_or_default();
        assert_eq!(recs.len(), 200, "member {name} read {} records", recs.len());
        let mut per_part: BTreeMap<i32, Vec<(i64, String)>> = BTreeMap::new();
        for (p, o, v) in recs {
            assert!(
                parts.contains(&p),
                "member {name} got partition {p} not assigned to it"
            );
            per_part.entry(p).or_default().push((o, v));
        }
        for (p, list) in per_part {
            let want: Vec<(i64, String)> = (0..100).map(|i| (i, format!("p{p}-{i}"))).collect();
            assert_eq!(list, want, "member {name} partition {p}");
        }
    }
    a.commit_consumer_state(CommitMode::Sync).expect("commit a");
    b.commit_consumer_state(CommitMode::Sync).expect("commit b");

    // Each member reads back its own commits.
    for (name, c, parts) in [("a", &a, &pa), ("b", &b, &pb)] {
        let committed = c.committed(T).expect("committed");
        for p in parts {
            let off = committed
                .find_partition(topic, *p)
                .map(|e| e.offset())
                .unwrap_or(Offset::Invalid);
            assert_eq!(
                off,
                Offset::Offset(100),
                "member {name} committed offset p{p}"
            );
        }
    }
    drop(a);
    drop(b);

    // A fresh client of the same group sees all four commits (OffsetFetch).
    let probe: BaseConsumer = rdkafka_config(&server)
        .set("group.id", "g-split")
        .set("enable.auto.commit", "false")
        .create()
        .expect("probe");
    let mut tpl = TopicPartitionList::new();
    for p in 0..4 {
        tpl.add_partition(topic, p);
    }
    let committed = probe.committed_offsets(tpl, T).expect("committed_offsets");
    for p in 0..4 {
        let off = committed.find_partition(topic, p).map(|e| e.offset());
        assert_eq!(
            off,
            Some(Offset::Offset(100)),
            "group commit for partition {p}"
        );
    }
    // And a group that never committed has none.
    let other: BaseConsumer = rdkafka_config(&server)
        .set("group.id", "g-never")
        .create()
        .expect("other");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    let none = other.committed_offsets(tpl, T).expect("committed_offsets");
    assert_eq!(
        none.find_partition(topic, 0).map(|e| e.offset()),
        Some(Offset::Invalid)
    );
}

/// AdminClient: create (with a config), duplicate create refused, metadata,
/// describe configs (the override and the defaults), create partitions,
/// delete, deleting twice refused.
#[test]
fn admin_client_topics_and_configs() {
    let server = FerryServer::start(&[]);
    let rt = runtime();
    let admin = admin(&server);
    let opts = AdminOptions::new().operation_timeout(Some(T));

    let topic = NewTopic::new("admin-t", 3, TopicReplication::Fixed(1))
        .set("retention.ms", "123456")
        .set("cleanup.policy", "delete");
    let res = rt
        .block_on(admin.create_topics([&topic], &opts))
        .expect("create_topics");
    assert_eq!(res, vec![Ok("admin-t".to_string())]);
    let res = rt
        .block_on(admin.create_topics([&topic], &opts))
        .expect("create_topics again");
    assert_eq!(
        res,
        vec![Err((
            "admin-t".to_string(),
            RDKafkaErrorCode::TopicAlreadyExists
        ))]
    );

    // Metadata: one broker, the topic with 3 partitions led by it.
    let md = admin
        .inner()
        .fetch_metadata(Some("admin-t"), T)
        .expect("fetch_metadata");
    assert_eq!(md.brokers().len(), 1, "brokers: {:?}", md.brokers().len());
    let broker = &md.brokers()[0];
    assert_eq!(broker.host(), "127.0.0.1");
    assert_eq!(broker.port(), i32::from(server.port()));
    let broker_id = broker.id();
    let t = md
        .topics()
        .iter()
        .find(|t| t.name() == "admin-t")
        .expect("topic in metadata");
    assert!(t.error().is_none(), "topic error {:?}", t.error());
    assert_eq!(t.partitions().len(), 3);
    for (i, p) in t.partitions().iter().enumerate() {
        assert_eq!(p.id(), i as i32);
        assert_eq!(p.leader(), broker_id);
        assert_eq!(p.replicas(), &[broker_id]);
        assert_eq!(p.isr(), &[broker_id]);
    }
    let all = admin.inner().fetch_metadata(None, T).expect("all metadata");
    assert!(all.topics().iter().any(|t| t.name() == "admin-t"));

    // DescribeConfigs: the override is a dynamic topic config, the rest are
    // defaults and are still listed.
    let res = rt
        .block_on(admin.describe_configs([&ResourceSpecifier::Topic("admin-t")], &opts))
        .expect("describe_configs");
    let cfg = res[0].as_ref().expect("topic config resource");
    let retention = cfg.get("retention.ms").expect("retention.ms listed");
    assert_eq!(retention.value.as_deref(), Some("123456"));
    assert_eq!(retention.source, ConfigSource::DynamicTopic);
    assert!(!retention.is_default);
    let seg = cfg
        .get("segment.bytes")
        .expect("segment.bytes listed (a default)");
    assert!(seg.value.is_some());
    assert!(seg.is_default, "segment.bytes should be a default");
    for name in ["max.message.bytes", "retention.bytes", "cleanup.policy"] {
        assert!(
            cfg.get(name).is_some(),
            "{name} missing from DescribeConfigs"
        );
    }
    let res = rt
        .block_on(admin.describe_configs([&ResourceSpecifier::Broker(broker_id)], &opts))
        .expect("describe broker configs");
    let bcfg = res[0].as_ref().expect("broker config resource");
    assert!(
        bcfg.get("num.partitions").is_some(),
        "broker configs lack num.partitions: {:?}",
        bcfg.entries.iter().map(|e| &e.name).collect::<Vec<_>>()
    );

    // CreatePartitions 3 -> 5; shrinking is refused.
    let res = rt
        .block_on(admin.create_partitions([&NewPartitions::new("admin-t", 5)], &opts))
        .expect("create_partitions");
    assert_eq!(res, vec![Ok("admin-t".to_string())]);
    let md = admin
        .inner()
        .fetch_metadata(Some("admin-t"), T)
        .expect("metadata after create_partitions");
    assert_eq!(md.topics()[0].partitions().len(), 5);
    let res = rt
        .block_on(admin.create_partitions([&NewPartitions::new("admin-t", 2)], &opts))
        .expect("create_partitions shrink");
    assert!(res[0].is_err(), "shrinking partitions must fail: {res:?}");

    // Delete, then it is gone; deleting again names the error.
    let res = rt
        .block_on(admin.delete_topics(&["admin-t"], &opts))
        .expect("delete_topics");
    assert_eq!(res, vec![Ok("admin-t".to_string())]);
    common::wait_for("topic to leave metadata", T, || {
        let md = admin.inner().fetch_metadata(None, T).ok()?;
        (!md.topics().iter().any(|t| t.name() == "admin-t")).then_some(())
    });
    let res = rt
        .block_on(admin.delete_topics(&["admin-t"], &opts))
        .expect("delete_topics again");
    assert_eq!(
        res,
        vec![Err((
            "admin-t".to_string(),
            RDKafkaErrorCode::UnknownTopicOrPartition
        ))]
    );
}

/// A consumer of a topic that does not exist (auto-create off) gets a clear
/// error rather than hanging; a producer's metadata request does not create it.
#[test]
fn unknown_topic_is_reported() {
    let server = FerryServer::start(&["auto.create.topics.enable=false"]);
    let producer: FutureProducer = rdkafka_config(&server)
        .set("message.timeout.ms", "3000")
        .create()
        .expect("producer");
    let rt = runtime();
    let res = rt.block_on(producer.send(
        FutureRecord::<str, str>::to("nope").payload("x"),
        Duration::from_secs(5),
    ));
    match res {
        Err((KafkaError::MessageProduction(code), _)) => assert!(
            matches!(
                code,
                RDKafkaErrorCode::UnknownTopicOrPartition
                    | RDKafkaErrorCode::UnknownTopic
                    | RDKafkaErrorCode::MessageTimedOut
            ),
            "unexpected code {code:?}"
        ),
        other => panic!("produce to a missing topic should fail, got {other:?}"),
    }
    let md = producer.client().fetch_metadata(None, T).expect("metadata");
    assert!(!md.topics().iter().any(|t| t.name() == "nope"));
}
