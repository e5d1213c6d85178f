//! The produce half: a librdkafka producer at full speed (throughput, and the
//! latency that full speed implies), then at a fixed modest rate (the latency
//! of the broker itself, without client queueing).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};

/// What the producer is asked to do.
#[derive(Debug)]
pub(crate) struct Config<'a> {
    pub(crate) bootstrap: &'a str,
    pub(crate) topic: &'a str,
    pub(crate) records: usize,
    pub(crate) record_size: usize,
    pub(crate) partitions: i32,
    pub(crate) compression: &'a str,
    pub(crate) linger_ms: u32,
}

/// Produce figures.
#[derive(Debug)]
pub(crate) struct Report {
    /// First send to last acknowledgement.
    pub(crate) elapsed: Duration,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
    pub(crate) failures: usize,
}

/// Creates the benchmark topic with librdkafka's admin client.
pub(crate) fn create_topic(bootstrap: &str, topic: &str, partitions: i32) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()?;
    let t = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let res = futures::executor::block_on(admin.create_topics([&t], &opts))?;
    for r in res {
        r.map_err(|(name, code)| anyhow::anyhow!("create topic {name}: {code}"))?;
    }
    Ok(())
}

/// Records per-message send and acknowledgement times (nanoseconds since
/// `start`), indexed by the message's sequence number, without locks.
#[derive(Debug)]
struct Timing {
    start: Instant,
    sent: Vec<AtomicU64>,
    acked: Vec<AtomicU64>,
    failures: AtomicUsize,
    delivered: AtomicUsize,
}

impl ClientContext for Timing {}

impl ProducerContext for Timing {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, i: usize) {
        let now = self.start.elapsed().as_nanos() as u64;
        if result.is_err() {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(slot) = self.acked.get(i) {
            slot.store(now, Ordering::Relaxed);
        }
        self.delivered.fetch_add(1, Ordering::Relaxed);
    }
}

fn producer(
    cfg: &Config<'_>,
    records: usize,
    linger_ms: u32,
) -> anyhow::Result<ThreadedProducer<Timing>> {
    let timing = Timing {
        start: Instant::now(),
        sent: (0..records).map(|_| AtomicU64::new(0)).collect(),
        acked: (0..records).map(|_| AtomicU64::new(0)).collect(),
        failures: AtomicUsize::new(0),
        delivered: AtomicUsize::new(0),
    };
    Ok(ClientConfig::new()
        .set("bootstrap.servers", cfg.bootstrap)
        .set("acks", "all")
        .set("compression.type", cfg.compression)
        .set("linger.ms", linger_ms.to_string())
        .set("batch.size", "1000000")
        .set("batch.num.messages", "10000")
        // A bounded client queue: full speed then measures the broker, and
        // the latency figure is that of a bounded backlog, not of 500 MB
        // queued at once.
        .set("queue.buffering.max.kbytes", "65536")
        .set("queue.buffering.max.messages", "100000")
        .create_with_context(timing)?)
}

fn send_one(
    p: &ThreadedProducer<Timing>,
    topic: &str,
    partition: i32,
    payload: &[u8],
    i: usize,
) -> anyhow::Result<()> {
    let ctx = p.context();
    loop {
        let now = ctx.start.elapsed().as_nanos() as u64;
        if let Some(slot) = ctx.sent.get(i) {
            slot.store(now, Ordering::Relaxed);
        }
        let rec = BaseRecord::<(), [u8], usize>::with_opaque_to(topic, i)
            .partition(partition)
            .payload(payload);
        match p.send(rec) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                std::thread::sleep(Duration::from_micros(200));
            }
            Err((e, _)) => return Err(e.into()),
        }
    }
}

fn percentiles(ctx: &Timing, n: usize) -> (Duration, Duration, Duration) {
    let mut lat: Vec<u64> = (0..n)
        .map(|i| {
            let s = ctx.sent[i].load(Ordering::Relaxed);
            let a = ctx.acked[i].load(Ordering::Relaxed);
            a.saturating_sub(s)
        })
        .collect();
    lat.sort_unstable();
    let at = |q: f64| {
        let idx = ((n as f64 * q).ceil() as usize).clamp(1, n.max(1)) - 1;
        Duration::from_nanos(lat.get(idx).copied().unwrap_or(0))
    };
    (
        at(0.50),
        at(0.99),
        Duration::from_nanos(lat.last().copied().unwrap_or(0)),
    )
}

/// A payload that does not compress away: a simple xorshift stream.
pub(crate) fn payload(size: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Produces `cfg.records` records as fast as the producer takes them, then
/// the paced phase (printed, not returned).
pub(crate) fn run(cfg: &Config<'_>) -> anyhow::Result<Report> {
    let report = full_speed(cfg)?;
    paced(cfg)?;
    Ok(report)
}

/// Produces `cfg.records` records as fast as the producer takes them: the
/// throughput phase alone (also the link benchmark's preload).
pub(crate) fn full_speed(cfg: &Config<'_>) -> anyhow::Result<Report> {
    let value = payload(cfg.record_size);
    let p = producer(cfg, cfg.records, cfg.linger_ms)?;
    // Warm the connection and metadata so the clock measures steady state.
    p.client()
        .fetch_metadata(Some(cfg.topic), Duration::from_secs(30))?;
    let started = Instant::now();
    for i in 0..cfg.records {
        send_one(
            &p,
            cfg.topic,
            (i % cfg.partitions as usize) as i32,
            &value,
            i,
        )?;
    }
    p.flush(Duration::from_secs(300))?;
    let elapsed = started.elapsed();
    let ctx = p.context();
    let (p50, p99, max) = percentiles(ctx, cfg.records);
    let report = Report {
        elapsed,
        p50,
        p99,
        max,
        failures: ctx.failures.load(Ordering::Relaxed),
    };
    Ok(report)
}

/// 20,000 records at 5,000/s with `linger.ms=0` to `<topic>-paced`: prints
/// the broker round-trip latency without the client's queue in it.
fn paced(cfg: &Config<'_>) -> anyhow::Result<()> {
    let value = payload(cfg.record_size);
    // Paced: 20,000 records at 5,000/s to a separate topic. The latency here
    // is the broker's (append + acks=all on one node), not the client queue's.
    let paced = 20_000;
    let ptopic = format!("{}-paced", cfg.topic);
    create_topic(cfg.bootstrap, &ptopic, cfg.partitions)?;
    // linger.ms=0: each record goes out at once, so the figure is the
    // round trip through the broker rather than the client's batching wait.
    let pp = producer(cfg, paced, 0)?;
    pp.client()
        .fetch_metadata(Some(&ptopic), Duration::from_secs(30))?;
    let t0 = Instant::now();
    for i in 0..paced {
        let due = t0 + Duration::from_micros(200 * i as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        send_one(
            &pp,
            &ptopic,
            (i % cfg.partitions as usize) as i32,
            &value,
            i,
        )?;
    }
    pp.flush(Duration::from_secs(60))?;
    let (q50, q99, qmax) = percentiles(pp.context(), paced);
    println!(
        "paced produce latency ({paced} records at 5000/s, linger.ms=0): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; failures {}",
        q50.as_secs_f64() * 1e3,
        q99.as_secs_f64() * 1e3,
        qmax.as_secs_f64() * 1e3,
        pp.context().failures.load(Ordering::Relaxed)
    );
    Ok(())
}
