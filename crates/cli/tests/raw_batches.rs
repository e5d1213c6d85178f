//! Record batches come back from Fetch byte for byte as Produce sent them.
//!
//! The test encodes its own batches (kafka-protocol's `RecordBatchEncoder`, all
//! four codecs and none, keys, headers, null values, with and without producer
//! ids), sends them in raw Produce requests over a plain TCP socket, fetches them
//! back raw and compares the bytes.
//!
//! # Which bytes may differ, and why
//! A v2 record batch starts with
//! `baseOffset i64 (0..8) | batchLength i32 (8..12) | partitionLeaderEpoch i32 (12..16) | magic (16) | crc u32 (17..21) | attributes…`.
//! The CRC-32C covers bytes 21 to the end, so exactly two fields lie outside it
//! and are the broker's to set:
//! - bytes 0..8, `baseOffset`: the producer cannot know it; the leader assigns
//!   it on append. The test checks it equals the base offset the Produce
//!   response reported for that batch (and that offsets are contiguous).
//! - bytes 12..16, `partitionLeaderEpoch`: the leader stamps its epoch on
//!   append (producers send -1). The test accepts any value there, but checks
//!   it is the same for every batch of a partition on this single broker.
//!
//! Every other byte — the length, magic, CRC, attributes (codec, timestamp
//! type), offsets delta, timestamps, producer id/epoch/sequence, record count
//! and the (compressed) records — must be identical.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use common::{FerryServer, RawConn};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{InitProducerIdRequest, ProduceRequest, ProduceResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

const CODECS: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];

/// Who the batch claims to come from.
#[derive(Debug, Clone, Copy)]
struct ProducerIdentity {
    id: i64,
    epoch: i16,
    /// Sequence of the batch's first record.
    base_sequence: i32,
}

/// Encodes one batch of `n` records with a mix of keys, headers and null values.
fn encode_batch(
    n: usize,
    codec: Compression,
    seed: usize,
    producer: Option<ProducerIdentity>,
) -> Bytes {
    let ts = common::now_ms();
    let records: Vec<Record> = (0..n)
        .map(|i| {
            let mut headers = IndexMap::new();
            if (i + seed).is_multiple_of(2) {
                headers.insert(
                    StrBytes::from_string(format!("h{i}")),
                    Some(Bytes::from(format!("hv{seed}-{i}"))),
                );
                headers.insert(StrBytes::from_static_str("nullh"), None);
            }
            let (producer_id, producer_epoch, sequence) = match producer {
                Some(p) => (p.id, p.epoch, p.base_sequence + i as i32),
                // Without a producer id the base sequence must be -1; the
                // encoder derives it from the first record's sequence.
                None => (-1, -1, i as i32 - 1),
            };
            Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id,
                producer_epoch,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                sequence,
                timestamp: ts + i as i64,
                key: (!(i + seed).is_multiple_of(3))
                    .then(|| Bytes::from(format!("key-{seed}-{i}"))),
                value: (!(i + seed).is_multiple_of(4))
                    .then(|| Bytes::from(format!("{seed}:{i}:{}", "payload ".repeat(1 + i % 40)))),
                headers,
            }
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: codec,
        },
    )
    .expect("encode batch");
    let bytes = buf.freeze();
    // One batch, as Produce v3+ requires per partition.
    let h = ferry_protocol::batch::validate(&bytes).expect("encoder made a valid batch");
    assert_eq!(h.total_len(), bytes.len(), "encoder split the batch");
    bytes
}

/// Sends one Produce request carrying `batches` (partition → one batch) and
/// returns partition → (error code, base offset).
fn produce(
    conn: &mut RawConn,
    version: i16,
    topic: &str,
    topic_id: Option<uuid::Uuid>,
    batches: &[(i32, Bytes)],
) -> BTreeMap<i32, (i16, i64)> {
    let mut td = TopicProduceData::default().with_partition_data(
        batches
            .iter()
            .map(|(p, b)| {
                PartitionProduceData::default()
                    .with_index(*p)
                    .with_records(Some(b.clone()))
            })
            .collect(),
    );
    td = match topic_id {
        Some(id) if version >= 13 => td.with_topic_id(id),
        _ => td.with_name(common::topic_name(topic)),
    };
    let req = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![td]);
    let resp: ProduceResponse = conn.call(version, &req).expect("produce call");
    assert_eq!(resp.responses.len(), 1, "produce response topics");
    resp.responses[0]
        .partition_responses
        .iter()
        .map(|p| (p.index, (p.error_code, p.base_offset)))
        .collect()
}

fn topic_id(conn: &mut RawConn, topic: &str) -> uuid::Uuid {
    let md = common::metadata(conn, Some(&[topic])).expect("metadata");
    let t = &md.topics[0];
    assert_eq!(t.error_code, 0, "metadata for {topic}");
    assert!(!t.topic_id.is_nil(), "Metadata v12 must carry a topic id");
    t.topic_id
}

/// Compares a fetched batch with the one sent, allowing exactly the two fields
/// outside the CRC to differ (see the module docs). Returns the leader epoch.
fn assert_same_batch(sent: &[u8], fetched: &[u8], base_offset: i64, what: &str) -> i32 {
    assert_eq!(
        fetched.len(),
        sent.len(),
        "{what}: fetched batch length differs"
    );
    assert_eq!(
        &fetched[0..8],
        &base_offset.to_be_bytes(),
        "{what}: baseOffset is not the offset Produce reported"
    );
    assert_eq!(&fetched[8..12], &sent[8..12], "{what}: batchLength differs");
    if let Some(i) = (16..sent.len()).find(|&i| sent[i] != fetched[i]) {
        panic!(
            "{what}: byte {i} differs (sent {:#04x}, fetched {:#04x}); only bytes 0..8 and 12..16 may",
            sent[i], fetched[i]
        );
    }
    i32::from_be_bytes([fetched[12], fetched[13], fetched[14], fetched[15]])
}

/// Fetches a partition with every Fetch version under test and checks the
/// batches against what was sent at the given base offsets.
fn check_partition(
    conn: &mut RawConn,
    fetch_versions: &[i16],
    topic: &str,
    partition: i32,
    sent: &[(i64, Bytes)],
) {
    for &v in fetch_versions {
        let fetched =
            common::fetch_all_batches(conn, v, topic, partition, 0, Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("fetch v{v} {topic}/{partition}: {e:#}"));
        assert_eq!(
            fetched.len(),
            sent.len(),
            "fetch v{v} {topic}/{partition}: batch count"
        );
        let mut epochs = Vec::new();
        for (i, ((base, s), f)) in sent.iter().zip(&fetched).enumerate() {
            let what = format!("fetch v{v} {topic}/{partition} batch {i}");
            epochs.push(assert_same_batch(s, f, *base, &what));
        }
        epochs.dedup();
        assert!(
            epochs.len() <= 1,
            "{topic}/{partition}: leader epoch changed on a single broker: {epochs:?}"
        );
    }
}

struct Setup {
    server: FerryServer,
    conn: RawConn,
    produce_versions: Vec<i16>,
    fetch_versions: Vec<i16>,
}

fn setup() -> Setup {
    let server = FerryServer::start(&[]);
    let mut conn = RawConn::connect(&server.bootstrap()).expect("connect");
    let versions = common::api_versions(&mut conn).expect("ApiVersions");
    let (pmin, pmax) = versions.get(&0).copied().expect("Produce advertised");
    let (fmin, fmax) = versions.get(&1).copied().expect("Fetch advertised");
    assert!(pmin <= 9 && pmax >= 9, "Produce {pmin}..{pmax} lacks v9");
    assert!(fmin <= 12 && fmax >= 12, "Fetch {fmin}..{fmax} lacks v12");
    // v9/v12 address topics by name; the newest the crate and server share
    // address them by topic id.
    let mut produce_versions = vec![9];
    if pmax.min(13) > 9 {
        produce_versions.push(pmax.min(13));
    }
    let mut fetch_versions = vec![12];
    if fmax.min(18) > 12 {
        fetch_versions.push(fmax.min(18));
    }
    Setup {
        server,
        conn,
        produce_versions,
        fetch_versions,
    }
}

#[test]
fn produced_batches_fetch_back_byte_for_byte() {
    let Setup {
        server,
        mut conn,
        produce_versions,
        fetch_versions,
    } = setup();
    eprintln!("produce versions {produce_versions:?}, fetch versions {fetch_versions:?}");
    let topic = "raw-batches";
    common::create_topic_raw(&mut conn, topic, 2).expect("create topic");
    let id = topic_id(&mut conn, topic);

    // partition → [(base offset, batch)]
    let mut sent: BTreeMap<i32, Vec<(i64, Bytes)>> = BTreeMap::new();
    let mut next: BTreeMap<i32, i64> = BTreeMap::new();
    let mut seed = 0;
    for &pv in &produce_versions {
        for codec in CODECS {
            for n in [1usize, 7, 250] {
                seed += 1;
                let b0 = encode_batch(n, codec, seed, None);
                let b1 = encode_batch(n + 1, codec, seed + 1000, None);
                let res = produce(
                    &mut conn,
                    pv,
                    topic,
                    Some(id),
                    &[(0, b0.clone()), (1, b1.clone())],
                );
                for (p, b, count) in [(0, b0, n), (1, b1, n + 1)] {
                    let (err, base) = res
                        .get(&p)
                        .copied()
                        .unwrap_or_else(|| panic!("no response for partition {p}"));
                    assert_eq!(err, 0, "produce v{pv} {codec:?} n={n} partition {p}: error");
                    let expected = next.get(&p).copied().unwrap_or(0);
                    assert_eq!(
                        base, expected,
                        "produce v{pv} partition {p}: offsets not contiguous"
                    );
                    next.insert(p, base + count as i64);
                    sent.entry(p).or_default().push((base, b));
                }
            }
        }
    }
    for (p, batches) in &sent {
        check_partition(&mut conn, &fetch_versions, topic, *p, batches);
    }

    // The same bytes survive a clean restart (the log is read back from disk).
    let mut server = server;
    drop(conn);
    server.terminate();
    server.restart();
    let mut conn = RawConn::connect(&server.bootstrap()).expect("reconnect");
    for (p, batches) in &sent {
        check_partition(&mut conn, &fetch_versions, topic, *p, batches);
    }
}

/// Batches with a producer id from InitProducerId: stored verbatim too; a
/// retried duplicate is acknowledged at its original offset and not stored
/// twice; a sequence gap is refused with OUT_OF_ORDER_SEQUENCE_NUMBER.
#[test]
fn idempotent_batches_fetch_back_byte_for_byte_and_dedupe() {
    let Setup {
        server: _server,
        mut conn,
        produce_versions,
        fetch_versions,
    } = setup();
    let topic = "raw-idempotent";
    common::create_topic_raw(&mut conn, topic, 1).expect("create topic");
    let id = topic_id(&mut conn, topic);
    let pid = conn
        .call(
            4,
            &InitProducerIdRequest::default()
                .with_transactional_id(None)
                .with_transaction_timeout_ms(60_000)
                .with_producer_id((-1).into())
                .with_producer_epoch(-1),
        )
        .expect("InitProducerId");
    assert_eq!(pid.error_code, 0, "InitProducerId error");
    assert!(pid.producer_id.0 >= 0, "InitProducerId gave no producer id");
    let who = |base_sequence| ProducerIdentity {
        id: pid.producer_id.0,
        epoch: pid.producer_epoch,
        base_sequence,
    };

    let pv = *produce_versions.last().unwrap_or(&9);
    let mut sent: Vec<(i64, Bytes)> = Vec::new();
    let mut seq = 0;
    let mut next = 0;
    for (i, codec) in CODECS.into_iter().enumerate() {
        let n = 3 + i * 11;
        let b = encode_batch(n, codec, 500 + i, Some(who(seq)));
        let res = produce(&mut conn, pv, topic, Some(id), &[(0, b.clone())]);
        assert_eq!(res[&0], (0, next), "idempotent produce {codec:?}");
        sent.push((next, b.clone()));
        seq += n as i32;
        next += n as i64;

        // The same batch again (a producer retry): acknowledged at the
        // original offset, not appended.
        let dup = produce(&mut conn, pv, topic, Some(id), &[(0, b)]);
        assert_eq!(
            dup[&0],
            (0, next - n as i64),
            "duplicate {codec:?} batch must be acked at its first offset"
        );
    }
    // A gap in the sequence is refused and nothing is written.
    let gap = encode_batch(2, Compression::None, 999, Some(who(seq + 5)));
    let res = produce(&mut conn, pv, topic, Some(id), &[(0, gap)]);
    assert_eq!(
        res[&0].0, 45,
        "sequence gap must be OUT_OF_ORDER_SEQUENCE_NUMBER"
    );

    check_partition(&mut conn, &fetch_versions, topic, 0, &sent);
}

/// A corrupted batch (one flipped byte inside the CRC's range) is refused with
/// CORRUPT_MESSAGE and not stored.
#[test]
fn corrupt_batch_is_refused() {
    let Setup {
        server: _server,
        mut conn,
        fetch_versions,
        ..
    } = setup();
    let topic = "raw-corrupt";
    common::create_topic_raw(&mut conn, topic, 1).expect("create topic");
    let good = encode_batch(5, Compression::Lz4, 1, None);
    let mut bad = BytesMut::from(&good[..]);
    let last = bad.len() - 1;
    bad[last] ^= 0x55;
    let res = produce(&mut conn, 9, topic, None, &[(0, bad.freeze())]);
    assert_eq!(res[&0].0, 2, "flipped byte must be CORRUPT_MESSAGE (2)");
    let res = produce(&mut conn, 9, topic, None, &[(0, good.clone())]);
    assert_eq!(
        res[&0],
        (0, 0),
        "good batch after a refused one starts at 0"
    );
    check_partition(&mut conn, &fetch_versions, topic, 0, &[(0, good)]);
}
