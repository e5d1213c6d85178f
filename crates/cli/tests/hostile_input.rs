//! Hostile input against a live `ferry server`: more than 20,000 malformed
//! frames over many connections — absurd sizes, short headers, huge array
//! counts, random bodies for every API key 0..=92 at random versions,
//! truncated valid requests, valid headers with garbage bodies.
//!
//! After every phase the server process must still be alive, must answer
//! ApiVersions on a fresh connection and on a connection opened before the
//! storm, and at the end a real client (librdkafka) must produce and consume.
//! The frames come from a seeded RNG (`FERRY_HOSTILE_SEED` overrides the
//! seed) so a failure can be replayed.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use common::{FerryServer, RawConn, rdkafka_config};
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, CreateTopicsRequest, DeleteTopicsRequest,
    DescribeConfigsRequest, FetchRequest, FindCoordinatorRequest, GroupId, InitProducerIdRequest,
    JoinGroupRequest, ListGroupsRequest, ListOffsetsRequest, MetadataRequest, OffsetFetchRequest,
    ProduceRequest, ResponseHeader, SaslHandshakeRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable, Message, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Frames of one phase, each sent on its own connection.
type Frames = Vec<Vec<u8>>;

/// The per-frame wait for the server to close after we half-close. A correct
/// server closes at once (it sees EOF) or after finishing the request in hand;
/// this only bounds a broken one. Generous, because some mutated frames are
/// legitimately heavy: a CreateTopics whose partition count became 32767
/// takes the broker seconds to build.
const CLOSE_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct Outcome {
    sent: AtomicUsize,
    answered: AtomicUsize,
    closed_silently: AtomicUsize,
    hung: AtomicUsize,
    connect_failures: AtomicUsize,
    /// (api key, version, frame length) of frames whose connection hung.
    hung_frames: Mutex<Vec<(i16, i16, usize)>>,
}

/// Sends each frame on a fresh connection, 4 connections at a time: connect,
/// write, half-close, read until the server closes.
fn blast(addr: &str, frames: &Frames) -> Outcome {
    let out = Outcome::default();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(frame) = frames.get(i) else { return };
                    if out.hung.load(Ordering::Relaxed) >= 5 {
                        return; // the server is wedged; stop early and report
                    }
                    let mut conn = None;
                    for attempt in 0..5 {
                        match RawConn::connect(addr) {
                            Ok(c) => {
                                conn = Some(c);
                                break;
                            }
                            Err(_) => std::thread::sleep(Duration::from_millis(50 * (attempt + 1))),
                        }
                    }
                    let Some(mut conn) = conn else {
                        out.connect_failures.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    // A write error means the server already closed on an
                    // earlier part of the frame (say, its size): that counts.
                    let _ = conn.write_raw(frame);
                    out.sent.fetch_add(1, Ordering::Relaxed);
                    let (bytes, closed) = conn.finish(CLOSE_WAIT);
                    if !closed {
                        out.hung.fetch_add(1, Ordering::Relaxed);
                        let key = frame
                            .get(4..6)
                            .map_or(-1, |b| i16::from_be_bytes([b[0], b[1]]));
                        let ver = frame
                            .get(6..8)
                            .map_or(-1, |b| i16::from_be_bytes([b[0], b[1]]));
                        out.hung_frames
                            .lock()
                            .unwrap()
                            .push((key, ver, frame.len()));
                    } else if bytes > 0 {
                        out.answered.fetch_add(1, Ordering::Relaxed);
                    } else {
                        out.closed_silently.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    out
}

/// Wraps a body in a size prefix.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + 4);
    v.extend_from_slice(&(body.len() as i32).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// A request header (v1 or v2 as the key requires) followed by `body`, framed.
fn with_header(api_key: i16, version: i16, cid: i32, body: &[u8]) -> Vec<u8> {
    let mut b = BytesMut::new();
    common::encode_header(&mut b, api_key, version, cid).expect("encode header");
    b.put_slice(body);
    framed(&b)
}

fn random_bytes(rng: &mut StdRng, max: usize) -> Vec<u8> {
    // Mostly short bodies: short ones reach deeper into decoders' edge cases.
    let len = if rng.random_bool(0.7) {
        rng.random_range(0..=32usize)
    } else {
        rng.random_range(0..=max)
    };
    let mut v = vec![0u8; len];
    rng.fill(&mut v[..]);
    v
}

/// One small, valid record batch.
fn small_batch() -> Bytes {
    let rec = Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: -1,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: TimestampType::Creation,
        offset: 0,
        sequence: -1,
        timestamp: common::now_ms(),
        key: Some(Bytes::from_static(b"k")),
        value: Some(Bytes::from_static(b"hostile-but-valid")),
        headers: Default::default(),
    };
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        [&rec],
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .expect("encode batch");
    buf.freeze()
}

/// Valid request bodies (api key, version, body without header) for a range of
/// APIs at every version the crate knows; the raw material for truncation,
/// mutation and count bombs.
fn valid_bodies() -> Vec<(i16, i16, Vec<u8>)> {
    fn all<R: Encodable + Message>(key: ApiKey, out: &mut Vec<(i16, i16, Vec<u8>)>, r: &R) {
        for v in R::VERSIONS.min..=R::VERSIONS.max {
            let mut b = BytesMut::new();
            if r.encode(&mut b, v).is_ok() {
                out.push((key as i16, v, b.to_vec()));
            }
        }
    }
    let t = || common::topic_name("hostile-target");
    let mut out = Vec::new();
    all(
        ApiKey::ApiVersions,
        &mut out,
        &ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("x"))
            .with_client_software_version(StrBytes::from_static_str("1")),
    );
    all(
        ApiKey::Metadata,
        &mut out,
        &MetadataRequest::default().with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(t())),
        ])),
    );
    let batch = small_batch();
    let ppd = || {
        vec![
            PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(batch.clone())),
        ]
    };
    all(
        ApiKey::Produce,
        &mut out,
        &ProduceRequest::default()
            .with_acks(1)
            .with_timeout_ms(1000)
            .with_topic_data(vec![
                TopicProduceData::default()
                    .with_name(t())
                    .with_partition_data(ppd()),
            ]),
    );
    all(
        ApiKey::Produce,
        &mut out,
        &ProduceRequest::default()
            .with_acks(1)
            .with_timeout_ms(1000)
            .with_topic_data(vec![
                TopicProduceData::default()
                    .with_topic_id(uuid::Uuid::from_u128(7))
                    .with_partition_data(ppd()),
            ]),
    );
    let fp = || {
        vec![
            FetchPartition::default()
                .with_partition(0)
                .with_partition_max_bytes(1 << 20),
        ]
    };
    all(
        ApiKey::Fetch,
        &mut out,
        &FetchRequest::default()
            .with_max_wait_ms(10)
            .with_topics(vec![
                FetchTopic::default().with_topic(t()).with_partitions(fp()),
            ]),
    );
    all(
        ApiKey::Fetch,
        &mut out,
        &FetchRequest::default()
            .with_max_wait_ms(10)
            .with_topics(vec![
                FetchTopic::default()
                    .with_topic_id(uuid::Uuid::from_u128(7))
                    .with_partitions(fp()),
            ]),
    );
    all(
        ApiKey::ListOffsets,
        &mut out,
        &ListOffsetsRequest::default().with_topics(vec![
            ListOffsetsTopic::default()
                .with_name(t())
                .with_partitions(vec![ListOffsetsPartition::default().with_timestamp(-1)]),
        ]),
    );
    all(
        ApiKey::CreateTopics,
        &mut out,
        &CreateTopicsRequest::default()
            .with_timeout_ms(1000)
            .with_topics(vec![
                CreatableTopic::default()
                    .with_name(common::topic_name("hostile-created"))
                    .with_num_partitions(2)
                    .with_replication_factor(1)
                    .with_configs(vec![
                        CreatableTopicConfig::default()
                            .with_name(StrBytes::from_static_str("retention.ms"))
                            .with_value(Some(StrBytes::from_static_str("60000"))),
                    ]),
            ]),
    );
    all(
        ApiKey::DeleteTopics,
        &mut out,
        &DeleteTopicsRequest::default()
            .with_timeout_ms(1000)
            .with_topic_names(vec![common::topic_name("hostile-nonexistent")]),
    );
    all(
        ApiKey::DeleteTopics,
        &mut out,
        &DeleteTopicsRequest::default()
            .with_timeout_ms(1000)
            .with_topics(vec![
                DeleteTopicState::default()
                    .with_name(Some(common::topic_name("hostile-nonexistent"))),
            ]),
    );
    all(
        ApiKey::FindCoordinator,
        &mut out,
        &FindCoordinatorRequest::default()
            .with_key(StrBytes::from_static_str("g"))
            .with_coordinator_keys(vec![StrBytes::from_static_str("g")]),
    );
    all(
        ApiKey::JoinGroup,
        &mut out,
        &JoinGroupRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("hostile-g")))
            .with_session_timeout_ms(6000)
            .with_rebalance_timeout_ms(6000)
            .with_protocol_type(StrBytes::from_static_str("consumer"))
            .with_protocols(vec![
                JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_static_str("range"))
                    .with_metadata(Bytes::from_static(&[0, 1, 0, 0, 0, 0, 0, 0, 0, 0])),
            ]),
    );
    all(
        ApiKey::OffsetFetch,
        &mut out,
        &OffsetFetchRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("hostile-g")))
            .with_topics(Some(vec![
                OffsetFetchRequestTopic::default()
                    .with_name(t())
                    .with_partition_indexes(vec![0, 1]),
            ])),
    );
    all(
        ApiKey::DescribeConfigs,
        &mut out,
        &DescribeConfigsRequest::default().with_resources(vec![
            DescribeConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("hostile-target")),
        ]),
    );
    all(
        ApiKey::InitProducerId,
        &mut out,
        &InitProducerIdRequest::default()
            .with_transaction_timeout_ms(1000)
            .with_producer_id((-1).into())
            .with_producer_epoch(-1),
    );
    all(ApiKey::ListGroups, &mut out, &ListGroupsRequest::default());
    all(
        ApiKey::SaslHandshake,
        &mut out,
        &SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str("PLAIN")),
    );
    assert!(
        out.len() > 100,
        "too few valid request bodies: {}",
        out.len()
    );
    out
}

fn is_flexible(key: i16, version: i16) -> bool {
    ApiKey::try_from(key)
        .map(|k| k.request_header_version(version) >= 2)
        .unwrap_or(true)
}

/// Phase 1: size prefixes that are negative, huge, or above the 100 MiB cap,
/// followed by a few bytes.
fn absurd_sizes(rng: &mut StdRng) -> Frames {
    let fixed: [i32; 9] = [
        -1,
        i32::MIN,
        i32::MIN + 1,
        i32::MAX,
        100 * 1024 * 1024 + 1,
        100 * 1024 * 1024 + 4096,
        200 * 1024 * 1024,
        1 << 30,
        -(100 * 1024 * 1024),
    ];
    let mut out = Vec::new();
    for i in 0..1200 {
        let size = if i < fixed.len() * 60 {
            fixed[i % fixed.len()]
        } else {
            rng.random_range(100 * 1024 * 1024 + 1..=i32::MAX)
        };
        let mut f = size.to_be_bytes().to_vec();
        // Sometimes a plausible header after the size, sometimes noise.
        if rng.random_bool(0.5) {
            f.extend_from_slice(&[0, 18, 0, 3, 0, 0, 0, 1, 0, 0]);
        } else {
            f.extend_from_slice(&random_bytes(rng, 64));
        }
        out.push(f);
    }
    out
}

/// Phase 2: frames of 0..=7 bytes (shorter than a request header), and size
/// prefixes cut short.
fn short_headers(rng: &mut StdRng) -> Frames {
    let mut out = Vec::new();
    for n in 0..=7usize {
        for _ in 0..170 {
            let mut body = vec![0u8; n];
            rng.fill(&mut body[..]);
            if rng.random_bool(0.3) && n >= 2 {
                body[0] = 0;
                body[1] = rng.random_range(0..=92u8);
            }
            out.push(framed(&body));
        }
    }
    for _ in 0..240 {
        let n = rng.random_range(1..=3usize);
        let mut v = vec![0u8; n];
        rng.fill(&mut v[..]);
        out.push(v);
    }
    out
}

/// Phase 3: array counts of 0x7fffffff (classic) or a compact varint of
/// 2^32-1 (flexible), at the start of the body for every api key and version,
/// and written over every position of valid bodies.
fn huge_counts(rng: &mut StdRng, valid: &[(i16, i16, Vec<u8>)]) -> Frames {
    const CLASSIC: [u8; 4] = [0x7f, 0xff, 0xff, 0xff];
    const COMPACT: [u8; 5] = [0xff, 0xff, 0xff, 0xff, 0x0f];
    let mut out = Vec::new();
    for key in ApiKey::iter() {
        let r = key.valid_versions();
        for v in r.min..=r.max {
            let k = key as i16;
            let bomb: &[u8] = if is_flexible(k, v) {
                &COMPACT
            } else {
                &CLASSIC
            };
            let mut body = bomb.to_vec();
            body.extend_from_slice(&random_bytes(rng, 16));
            out.push(with_header(k, v, rng.random(), &body));
            // The bomb after a leading null string / i16 / i32 field too.
            for skip in [1usize, 2, 4, 6] {
                let mut body = vec![0u8; skip];
                body.extend_from_slice(bomb);
                out.push(with_header(k, v, rng.random(), &body));
            }
        }
    }
    // Over every position of real bodies of the data-path and admin APIs.
    for (k, v, body) in valid {
        if !matches!(*k, 0 | 1 | 3 | 19) {
            continue;
        }
        let bomb: &[u8] = if is_flexible(*k, *v) {
            &COMPACT
        } else {
            &CLASSIC
        };
        for at in 0..body.len() {
            let mut b = body.clone();
            let end = (at + bomb.len()).min(b.len());
            b.splice(at..end, bomb.iter().copied());
            out.push(with_header(*k, *v, rng.random(), &b));
        }
    }
    out
}

/// Phase 4: random bodies for every api key 0..=92 at random versions (mostly
/// in range, some out of it), plus unknown keys.
fn random_bodies(rng: &mut StdRng) -> Frames {
    let mut out = Vec::new();
    for key in 0..=92i16 {
        let range = ApiKey::try_from(key).ok().map(|k| k.valid_versions());
        for _ in 0..140 {
            let version = match range {
                Some(r) if rng.random_bool(0.75) => rng.random_range(r.min..=r.max),
                _ => match rng.random_range(0..4) {
                    0 => rng.random_range(-3..=30),
                    1 => i16::MAX,
                    2 => i16::MIN,
                    _ => rng.random(),
                },
            };
            let body = random_bytes(rng, 512);
            out.push(with_header(key, version, rng.random(), &body));
        }
    }
    for _ in 0..400 {
        let key = loop {
            let k: i16 = rng.random();
            if !(0..=92).contains(&k) {
                break k;
            }
        };
        let body = random_bytes(rng, 128);
        out.push(with_header(key, rng.random(), rng.random(), &body));
    }
    out
}

/// Phase 5: valid requests truncated — a consistent frame around a cut body,
/// and a size prefix that promises more bytes than are sent.
fn truncated(rng: &mut StdRng, valid: &[(i16, i16, Vec<u8>)]) -> Frames {
    let mut out = Vec::new();
    for _ in 0..3000 {
        let (k, v, body) = &valid[rng.random_range(0..valid.len())];
        let whole = with_header(*k, *v, rng.random(), body);
        if whole.len() <= 5 {
            continue;
        }
        if rng.random_bool(0.6) {
            // Cut inside the body (or header), re-framed consistently.
            let cut = rng.random_range(4..whole.len() - 1);
            out.push(framed(&whole[4..cut]));
        } else {
            let cut = rng.random_range(4..whole.len());
            out.push(whole[..cut].to_vec());
        }
    }
    out
}

/// Phase 6: a valid header followed by garbage, or a valid request with a few
/// bytes of its body overwritten.
fn garbage_after_header(rng: &mut StdRng, valid: &[(i16, i16, Vec<u8>)]) -> Frames {
    let mut out = Vec::new();
    for _ in 0..3500 {
        let (k, v, body) = &valid[rng.random_range(0..valid.len())];
        let body = if rng.random_bool(0.4) || body.is_empty() {
            random_bytes(rng, 300)
        } else {
            let mut b = body.clone();
            for _ in 0..rng.random_range(1..=6) {
                let at = rng.random_range(0..b.len());
                b[at] = rng.random();
            }
            b
        };
        out.push(with_header(*k, *v, rng.random(), &body));
    }
    out
}

/// ApiVersions v3 must answer with no error and the core APIs listed.
fn assert_api_versions(conn: &mut RawConn, when: &str) {
    let versions =
        common::api_versions(conn).unwrap_or_else(|e| panic!("ApiVersions failed {when}: {e:#}"));
    for key in [0i16, 1, 3, 18, 19] {
        assert!(
            versions.contains_key(&key),
            "ApiVersions {when} lacks key {key}"
        );
    }
}

#[test]
fn hostile_frames_never_take_the_server_down() {
    let seed: u64 = std::env::var("FERRY_HOSTILE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xfe44_2026);
    eprintln!("hostile input seed {seed} (set FERRY_HOSTILE_SEED to replay)");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut server = FerryServer::start(&["auto.create.topics.enable=true"]);
    let addr = server.bootstrap();

    // A connection opened before the storm must keep being served.
    let mut veteran = RawConn::connect(&addr).expect("veteran connection");
    assert_api_versions(&mut veteran, "before the storm");
    let mut pre = RawConn::connect(&addr).expect("connect");
    common::create_topic_raw(&mut pre, "hostile-target", 2).expect("create target topic");
    // The CreateTopics frames below name this topic. Some mutations turn its
    // partition count into a large valid number (32767 when a count bomb
    // lands on the last bytes of the field), which a broker may legitimately
    // spend many seconds building; existing already, it gets
    // TOPIC_ALREADY_EXISTS and the storm stays about parsing.
    common::create_topic_raw(&mut pre, "hostile-created", 2).expect("create topic");

    let valid = valid_bodies();
    let phases: Vec<(&str, Frames)> = vec![
        ("absurd sizes", absurd_sizes(&mut rng)),
        ("short headers", short_headers(&mut rng)),
        ("huge array counts", huge_counts(&mut rng, &valid)),
        ("random bodies for every api key", random_bodies(&mut rng)),
        ("truncated valid requests", truncated(&mut rng, &valid)),
        (
            "valid header + garbage",
            garbage_after_header(&mut rng, &valid),
        ),
    ];
    let report = Mutex::new(Vec::new());
    let mut total = 0;
    for (name, frames) in &phases {
        let started = Instant::now();
        let o = blast(&addr, frames);
        let sent = o.sent.load(Ordering::Relaxed);
        total += sent;
        let line = format!(
            "{name}: {sent} frames ({} answered, {} closed without answer, {} hung, {} connect failures) in {:?}",
            o.answered.load(Ordering::Relaxed),
            o.closed_silently.load(Ordering::Relaxed),
            o.hung.load(Ordering::Relaxed),
            o.connect_failures.load(Ordering::Relaxed),
            started.elapsed(),
        );
        eprintln!("{line}");
        report.lock().unwrap().push(line);
        server.assert_alive(&format!("after phase '{name}'"));
        // A panic caught by the runtime leaves the process alive but is still
        // a panic on input, which the broker must never have.
        let log = server.stderr_tail(usize::MAX);
        assert!(
            !log.contains("panicked"),
            "phase '{name}': the server panicked:\n{}",
            server.stderr_tail(6000)
        );
        assert_eq!(
            o.connect_failures.load(Ordering::Relaxed),
            0,
            "phase '{name}': the listener refused connections"
        );
        assert_eq!(
            o.hung.load(Ordering::Relaxed),
            0,
            "phase '{name}': connections neither answered nor closed {CLOSE_WAIT:?} after the client's EOF; \
             (api key, version, frame bytes) of those frames: {:?}",
            o.hung_frames.lock().unwrap()
        );
        assert_eq!(
            sent,
            frames.len(),
            "phase '{name}' did not send every frame"
        );
        let mut fresh = RawConn::connect(&addr).expect("fresh connection after phase");
        assert_api_versions(&mut fresh, &format!("on a fresh connection after '{name}'"));
        assert_api_versions(
            &mut veteran,
            &format!("on the veteran connection after '{name}'"),
        );
    }
    eprintln!("total malformed frames: {total}");
    assert!(total >= 20_000, "only {total} malformed frames were sent");

    // ApiVersions at an unsupported version: a v0 response, UNSUPPORTED_VERSION,
    // and the list of supported APIs so the client can retry.
    let mut conn = RawConn::connect(&addr).expect("connect");
    let body = {
        let mut b = BytesMut::new();
        ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("future-client"))
            .with_client_software_version(StrBytes::from_static_str("99"))
            .encode(&mut b, 4)
            .expect("encode");
        b
    };
    conn.write_raw(&with_header(18, 99, 4242, &body))
        .expect("send ApiVersions v99");
    let mut frame = conn.read_frame().expect("ApiVersions v99 response");
    let header = ResponseHeader::decode(&mut frame, 0).expect("v0 response header");
    assert_eq!(header.correlation_id, 4242);
    let resp = ApiVersionsResponse::decode(&mut frame, 0).expect("v0 ApiVersions body");
    assert_eq!(
        resp.error_code, 35,
        "ApiVersions v99 must be UNSUPPORTED_VERSION"
    );
    let av = resp
        .api_keys
        .iter()
        .find(|k| k.api_key == 18)
        .expect("ApiVersions listed in the v99 error response");
    assert!(
        av.max_version >= 3 && av.min_version == 0,
        "ApiVersions range {av:?}"
    );
    assert!(
        resp.api_keys.iter().any(|k| k.api_key == 0),
        "Produce listed"
    );
    // The connection stays usable after that answer.
    assert_api_versions(&mut conn, "after the v99 exchange");

    // A real client still works: produce and consume with librdkafka.
    let started = Instant::now();
    real_client_round_trip(&server);
    eprintln!(
        "real client round trip after the storm: {:?}",
        started.elapsed()
    );
    server.assert_alive("at the end");
    for line in report.into_inner().unwrap() {
        eprintln!("  {line}");
    }
}

fn real_client_round_trip(server: &FerryServer) {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::Message;
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
    use rdkafka::{Offset, TopicPartitionList};

    let producer: ThreadedProducer<DefaultProducerContext> = rdkafka_config(server)
        .set("acks", "all")
        .set("compression.type", "lz4")
        .create()
        .expect("producer");
    for i in 0..100 {
        let v = format!("after-storm-{i}");
        producer
            .send(
                BaseRecord::<str, str>::to("hostile-target")
                    .partition(i % 2)
                    .payload(&v),
            )
            .map_err(|(e, _)| e)
            .expect("enqueue");
    }
    producer
        .flush(Duration::from_secs(30))
        .expect("flush after the storm");
    let consumer: BaseConsumer = rdkafka_config(server)
        .set("group.id", "after-storm")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..2 {
        tpl.add_partition_offset("hostile-target", p, Offset::Beginning)
            .expect("tpl");
    }
    consumer.assign(&tpl).expect("assign");
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.len() < 100 {
        assert!(
            Instant::now() < deadline,
            "consumed {} of 100 after the storm",
            got.len()
        );
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let v = String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned();
                // Frames in the storm may have produced valid records too;
                // only ours count.
                if v.starts_with("after-storm-") {
                    got.push(v);
                }
            }
            Some(Err(e)) => panic!("consume after the storm: {e}"),
            None => {}
        }
    }
    got.sort();
    let mut want: Vec<String> = (0..100).map(|i| format!("after-storm-{i}")).collect();
    want.sort();
    assert_eq!(got, want);
}

/// Absurd partition counts in well-formed requests (CreateTopics with
/// 2^31-1 partitions, CreatePartitions to 2^31-1, 2^31-1 as the timeout) get
/// an error answer promptly instead of the broker trying to build them; the
/// server stays up and usable. Kafka's controller refuses more than 10,000
/// partitions per request for the same reason.
#[test]
fn absurd_partition_counts_are_refused() {
    use kafka_protocol::messages::CreatePartitionsRequest;
    use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;

    let mut server = FerryServer::start(&[]);
    let mut conn = RawConn::connect(&server.bootstrap()).expect("connect");
    common::create_topic_raw(&mut conn, "grows", 1).expect("create topic");
    for (name, count) in [("huge-topic", i32::MAX), ("big-topic", 1_000_000)] {
        let req = CreateTopicsRequest::default()
            .with_timeout_ms(i32::MAX)
            .with_topics(vec![
                CreatableTopic::default()
                    .with_name(common::topic_name(name))
                    .with_num_partitions(count)
                    .with_replication_factor(1),
            ]);
        // The read timeout (IO_TIMEOUT) bounds the wait for an answer.
        let resp = conn
            .call(7, &req)
            .unwrap_or_else(|e| panic!("CreateTopics {count} partitions got no answer: {e:#}"));
        assert_ne!(
            resp.topics[0].error_code, 0,
            "CreateTopics with {count} partitions must be refused"
        );
    }
    let req = CreatePartitionsRequest::default()
        .with_timeout_ms(i32::MAX)
        .with_topics(vec![
            CreatePartitionsTopic::default()
                .with_name(common::topic_name("grows"))
                .with_count(i32::MAX),
        ]);
    let resp = conn
        .call(3, &req)
        .unwrap_or_else(|e| panic!("CreatePartitions to 2^31-1 got no answer: {e:#}"));
    assert_ne!(
        resp.results[0].error_code, 0,
        "CreatePartitions to 2^31-1 must be refused"
    );
    server.assert_alive("after absurd partition counts");
    let md = common::metadata(&mut conn, Some(&["grows"])).expect("metadata");
    assert_eq!(
        md.topics[0].partitions.len(),
        1,
        "'grows' must keep 1 partition"
    );
    let mut fresh = RawConn::connect(&server.bootstrap()).expect("connect");
    assert_api_versions(&mut fresh, "after absurd partition counts");
}
