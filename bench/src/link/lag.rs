//! Steady-state replication lag: a producer paced at a fixed rate writes
//! records stamped with their send time; one consumer on the source topic
//! and one on the mirror topic note, per record, when they saw it.
//!
//! Send time, source visibility and mirror visibility come from one clock
//! (`SystemTime`, nanoseconds) in this one process, so the mirror's figure
//! minus the source's is what the link adds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use crate::produce::payload;

/// What to produce.
#[derive(Debug)]
pub(crate) struct Load<'a> {
    pub(crate) source: &'a str,
    pub(crate) destination: &'a str,
    pub(crate) topic: &'a str,
    pub(crate) partitions: i32,
    pub(crate) record_size: usize,
    /// Payload bytes per second.
    pub(crate) bytes_per_sec: f64,
    pub(crate) duration: Duration,
}

/// Latency distribution of one consumer, send → seen.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dist {
    pub(crate) records: usize,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) p999: Duration,
    pub(crate) max: Duration,
}

/// Both consumers' figures and what was actually produced.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) produced: usize,
    pub(crate) achieved_bytes_per_sec: f64,
    pub(crate) source: Dist,
    pub(crate) mirror: Dist,
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Reads every partition of `topic` from the start until `stop` and the
/// expected count (set when production ends) is reached; returns one
/// latency per record, in nanoseconds.
fn watch(
    bootstrap: String,
    topic: String,
    partitions: i32,
    done: Arc<AtomicBool>,
    expected: Arc<std::sync::atomic::AtomicUsize>,
) -> anyhow::Result<Vec<u64>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "ferry-bench-lag")
        .set("enable.auto.commit", "false")
        .create()?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(&topic, p, Offset::Beginning)?;
    }
    consumer.assign(&tpl)?;
    let mut lat = Vec::with_capacity(1 << 20);
    let mut deadline = None;
    loop {
        if done.load(Ordering::Acquire) {
            let want = expected.load(Ordering::Acquire);
            if lat.len() >= want {
                break;
            }
            let d = *deadline.get_or_insert_with(|| Instant::now() + Duration::from_secs(60));
            anyhow::ensure!(
                Instant::now() < d,
                "{topic} at {bootstrap}: saw {} of {want} records",
                lat.len()
            );
        }
        match consumer.poll(Duration::from_millis(50)) {
            Some(Ok(m)) => {
                let seen = now_nanos();
                let sent = m
                    .payload()
                    .and_then(|p| p.get(..8))
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(u64::from_le_bytes)
                    .unwrap_or(seen);
                lat.push(seen.saturating_sub(sent));
            }
            Some(Err(e)) => anyhow::bail!("consume {topic}: {e}"),
            None => {}
        }
    }
    Ok(lat)
}

fn dist(mut lat: Vec<u64>) -> Dist {
    lat.sort_unstable();
    let n = lat.len();
    let at = |q: f64| {
        let idx = ((n as f64 * q).ceil() as usize).clamp(1, n.max(1)) - 1;
        Duration::from_nanos(lat.get(idx).copied().unwrap_or(0))
    };
    Dist {
        records: n,
        p50: at(0.50),
        p99: at(0.99),
        p999: at(0.999),
        max: Duration::from_nanos(lat.last().copied().unwrap_or(0)),
    }
}

/// Runs the paced producer and both watchers; the mirror must already exist.
pub(crate) fn run(load: &Load<'_>) -> anyhow::Result<Report> {
    let done = Arc::new(AtomicBool::new(false));
    let expected = Arc::new(std::sync::atomic::AtomicUsize::new(usize::MAX));
    let spawn = |bootstrap: &str| {
        let (b, t, d, e) = (
            bootstrap.to_string(),
            load.topic.to_string(),
            Arc::clone(&done),
            Arc::clone(&expected),
        );
        let partitions = load.partitions;
        std::thread::spawn(move || watch(b, t, partitions, d, e))
    };
    let on_source = spawn(load.source);
    let on_mirror = spawn(load.destination);
    // Let both consumers connect and start long-polling first.
    std::thread::sleep(Duration::from_secs(2));

    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", load.source)
        .set("acks", "all")
        .set("linger.ms", "1")
        .create()?;
    producer
        .client()
        .fetch_metadata(Some(load.topic), Duration::from_secs(30))?;
    let mut value = payload(load.record_size.max(8));
    let per_sec = load.bytes_per_sec / load.record_size as f64;
    let started = Instant::now();
    let mut sent = 0usize;
    while started.elapsed() < load.duration {
        let due = (started.elapsed().as_secs_f64() * per_sec) as usize;
        while sent < due {
            if let Some(stamp) = value.get_mut(..8) {
                stamp.copy_from_slice(&now_nanos().to_le_bytes());
            }
            let rec = BaseRecord::<(), [u8]>::to(load.topic)
                .partition((sent % load.partitions as usize) as i32)
                .payload(&value);
            match producer.send(rec) {
                Ok(()) => sent += 1,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err((e, _)) => return Err(e.into()),
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let produced_in = started.elapsed();
    producer.flush(Duration::from_secs(60))?;
    expected.store(sent, Ordering::Release);
    done.store(true, Ordering::Release);
    let join = |h: std::thread::JoinHandle<anyhow::Result<Vec<u64>>>| {
        h.join()
            .map_err(|_| anyhow::anyhow!("a lag watcher panicked"))?
    };
    let source = dist(join(on_source)?);
    let mirror = dist(join(on_mirror)?);
    Ok(Report {
        produced: sent,
        achieved_bytes_per_sec: (sent * load.record_size) as f64 / produced_in.as_secs_f64(),
        source,
        mirror,
    })
}
