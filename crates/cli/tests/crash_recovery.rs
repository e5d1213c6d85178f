//! Crash recovery: an idempotent, acks=all librdkafka producer writes keyed
//! records continuously while the broker is killed with SIGKILL at random
//! moments (seeded; `FERRY_CRASH_SEED` overrides) and restarted on the same
//! data dir and port.
//!
//! After every restart, and once more at the end, the whole topic is read
//! back: every record the producer saw acknowledged is present exactly once,
//! no record at all is present twice, and per key the counters increase with
//! the offsets. Records whose delivery was never acknowledged may be there or
//! not.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{FerryServer, RawConn, rdkafka_config};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Message};
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

const TOPIC: &str = "crash";
const PARTITIONS: i32 = 3;
const KEYS: u8 = 10;
const KILLS: usize = 7;

/// What the producer's delivery reports said.
#[derive(Debug, Default)]
struct Deliveries {
    acked: BTreeSet<(u8, u64)>,
    failed: usize,
    last_failure: Option<String>,
    client_errors: Vec<String>,
}

#[derive(Debug, Default)]
struct Tracker(Mutex<Deliveries>);

impl ClientContext for Tracker {
    fn error(&self, error: KafkaError, reason: &str) {
        // Lost connections are the point of this test; anything else is news.
        if matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::AllBrokersDown | RDKafkaErrorCode::BrokerTransportFailure)
        ) {
            return;
        }
        let mut d = self.0.lock().unwrap();
        if d.client_errors.len() < 50 {
            d.client_errors.push(format!("{error}: {reason}"));
        }
    }
}

impl ProducerContext for Tracker {
    type DeliveryOpaque = Box<(u8, u64)>;

    fn delivery(&self, result: &DeliveryResult<'_>, id: Self::DeliveryOpaque) {
        let mut d = self.0.lock().unwrap();
        match result {
            Ok(_) => {
                d.acked.insert(*id);
            }
            Err((e, _)) => {
                d.failed += 1;
                d.last_failure = Some(e.to_string());
            }
        }
    }
}

impl Tracker {
    fn acked(&self) -> BTreeSet<(u8, u64)> {
        self.0.lock().unwrap().acked.clone()
    }
    fn summary(&self) -> String {
        let d = self.0.lock().unwrap();
        format!(
            "acked {}, failed {} (last: {:?}), client errors: {:?}",
            d.acked.len(),
            d.failed,
            d.last_failure,
            d.client_errors
        )
    }
}

/// One record as read back: partition, offset, key index, counter.
type Stored = (i32, i64, u8, u64);

/// Reads every partition from the beginning up to its high watermark.
fn read_all(server: &FerryServer) -> Vec<Stored> {
    let consumer: BaseConsumer = rdkafka_config(server)
        .set("group.id", "crash-verifier")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_uncommitted")
        .create()
        .expect("verifier consumer");
    let mut high = BTreeMap::new();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        let (_, hw) = consumer
            .fetch_watermarks(TOPIC, p, Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("watermarks of partition {p}: {e}"));
        high.insert(p, hw);
        tpl.add_partition_offset(TOPIC, p, Offset::Beginning)
            .expect("tpl");
    }
    consumer.assign(&tpl).expect("assign");
    let mut next: BTreeMap<i32, i64> = (0..PARTITIONS).map(|p| (p, 0)).collect();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while next.iter().any(|(p, o)| *o < high[p]) {
        assert!(
            Instant::now() < deadline,
            "read back stalled: at {next:?}, high watermarks {high:?}"
        );
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let p = m.partition();
                if m.offset() >= high[&p] {
                    next.insert(p, m.offset() + 1);
                    continue;
                }
                let key =
                    std::str::from_utf8(m.key().expect("record without key")).expect("utf8 key");
                let k: u8 = key.trim_start_matches('k').parse().expect("key kN");
                let v: u64 = std::str::from_utf8(m.payload().expect("record without value"))
                    .expect("utf8 value")
                    .parse()
                    .expect("numeric value");
                out.push((p, m.offset(), k, v));
                next.insert(p, m.offset() + 1);
            }
            Some(Err(e)) => panic!("verifier consume error: {e}"),
            None => {}
        }
    }
    out
}

/// Checks the log against the acknowledged set; returns a one-line summary.
fn verify(stored: &[Stored], acked: &BTreeSet<(u8, u64)>, when: &str) -> String {
    let mut count: HashMap<(u8, u64), usize> = HashMap::new();
    for &(_, _, k, v) in stored {
        *count.entry((k, v)).or_default() += 1;
    }
    let dups: Vec<_> = count.iter().filter(|(_, n)| **n > 1).take(10).collect();
    assert!(
        dups.is_empty(),
        "{when}: records stored more than once: {dups:?}"
    );
    let missing: Vec<_> = acked
        .iter()
        .filter(|r| !count.contains_key(r))
        .take(10)
        .collect();
    assert!(
        missing.is_empty(),
        "{when}: acknowledged records missing ({} of {} acked): first {missing:?}",
        acked.iter().filter(|r| !count.contains_key(r)).count(),
        acked.len()
    );
    // Per key, in offset order, counters strictly increase.
    let mut by_partition: BTreeMap<i32, Vec<(i64, u8, u64)>> = BTreeMap::new();
    for &(p, o, k, v) in stored {
        by_partition.entry(p).or_default().push((o, k, v));
    }
    let mut key_partition: HashMap<u8, i32> = HashMap::new();
    for (p, mut recs) in by_partition {
        recs.sort();
        let mut last: HashMap<u8, u64> = HashMap::new();
        for w in recs.windows(2) {
            assert!(
                w[0].0 < w[1].0,
                "{when}: offset {} repeated in partition {p}",
                w[0].0
            );
        }
        for (o, k, v) in recs {
            if let Some(q) = key_partition.insert(k, p) {
                assert_eq!(q, p, "{when}: key k{k} found in partitions {q} and {p}");
            }
            if let Some(prev) = last.insert(k, v) {
                assert!(
                    v > prev,
                    "{when}: key k{k} counter {v} at offset {o} after {prev} (partition {p})"
                );
            }
        }
    }
    format!(
        "{when}: {} stored, {} acked, all acked present once, per-key order holds",
        stored.len(),
        acked.len()
    )
}

#[test]
fn sigkill_loses_no_acknowledged_record_and_duplicates_none() {
    let seed: u64 = std::env::var("FERRY_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xc4a5_4001);
    eprintln!("crash seed {seed} (set FERRY_CRASH_SEED to replay)");
    let mut rng = StdRng::seed_from_u64(seed);

    let mut server = FerryServer::start(&[]);
    {
        let mut conn = RawConn::connect(&server.bootstrap()).expect("connect");
        common::create_topic_raw(&mut conn, TOPIC, PARTITIONS).expect("create topic");
    }

    let tracker = Tracker::default();
    let producer: ThreadedProducer<Tracker> = rdkafka_config(&server)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("message.timeout.ms", "300000")
        .set("retry.backoff.ms", "50")
        .set("retry.backoff.max.ms", "500")
        .set("reconnect.backoff.ms", "50")
        .set("reconnect.backoff.max.ms", "500")
        .set("socket.timeout.ms", "10000")
        .create_with_context(tracker)
        .expect("idempotent producer");
    let producer = Arc::new(producer);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let producer = Arc::clone(&producer);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut counter = [0u64; KEYS as usize];
            while !stop.load(Ordering::Relaxed) {
                // Bounded backlog: while the broker is down, wait rather than
                // queue without limit.
                if producer.in_flight_count() > 5_000 {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                for k in 0..KEYS {
                    let c = counter[k as usize];
                    let key = format!("k{k}");
                    let value = c.to_string();
                    let rec = BaseRecord::with_opaque_to(TOPIC, Box::new((k, c)))
                        .key(&key)
                        .payload(&value);
                    match producer.send(rec) {
                        Ok(()) => counter[k as usize] += 1,
                        Err((KafkaError::MessageProduction(_), _)) => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err((e, _)) => panic!("send failed: {e}"),
                    }
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };

    let progress = |server: &mut FerryServer, at_least: usize, when: &str| {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let n = producer.context().acked().len();
            if n >= at_least {
                return;
            }
            server.assert_alive(when);
            if let Some((code, msg)) = producer.client().fatal_error() {
                panic!(
                    "{when}: producer fatal error {code:?}: {msg}; {}",
                    producer.context().summary()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{when}: producer made no progress in 120s (want {at_least} acked); {}",
                producer.context().summary()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    progress(&mut server, 200, "before the first kill");
    let mut log = Vec::new();
    for round in 1..=KILLS {
        // Let it run for a random while, then kill at that moment.
        std::thread::sleep(Duration::from_millis(rng.random_range(150..2500)));
        let acked_before = producer.context().acked();
        server.kill9();
        std::thread::sleep(Duration::from_millis(rng.random_range(0..600)));
        server.restart();
        let stored = read_all(&server);
        let line = verify(&stored, &acked_before, &format!("after kill {round}"));
        eprintln!("{line}");
        log.push(line);
        // The producer must get going again on the restarted broker before
        // the next kill.
        let want = producer.context().acked().len().max(acked_before.len()) + 200;
        progress(&mut server, want, &format!("after restart {round}"));
    }

    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer thread");
    producer
        .flush(Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("final flush: {e}; {}", producer.context().summary()));
    let acked = producer.context().acked();
    let stored = read_all(&server);
    let line = verify(&stored, &acked, "at the end");
    eprintln!("{line}");
    eprintln!("{}", producer.context().summary());
    assert!(
        server.starts() as usize > KILLS,
        "server was not restarted {KILLS} times"
    );
    assert!(
        acked.len() >= 200 * (KILLS + 1),
        "too few acknowledged records"
    );
    // With the broker up for the final flush every queued record is
    // acknowledged; nothing was lost from the producer's point of view.
    let d = producer.context().summary();
    assert!(
        producer.in_flight_count() == 0,
        "records still in flight after flush: {d}"
    );
}
