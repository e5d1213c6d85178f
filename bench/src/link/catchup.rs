//! Catch-up: a preloaded source topic read by a raw librdkafka consumer and
//! mirrored by a cluster link, both timed in the same run.

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

use super::rest::Rest;
use crate::server::Server;
use crate::{consume, cpu_seconds};

/// High watermarks through ListOffsets, with a plain librdkafka consumer
/// that never joins a group.
pub(crate) struct Watermarks {
    consumer: BaseConsumer,
}

impl Watermarks {
    pub(crate) fn new(bootstrap: &str) -> anyhow::Result<Self> {
        let consumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", "ferry-bench-watermarks")
            .create()?;
        Ok(Self { consumer })
    }

    /// High watermark of every partition, or `None` while the topic does not
    /// exist (yet).
    pub(crate) fn high(&self, topic: &str, partitions: i32) -> Option<Vec<i64>> {
        (0..partitions)
            .map(|p| {
                self.consumer
                    .fetch_watermarks(topic, p, Duration::from_secs(5))
                    .ok()
                    .map(|(_, high)| high)
            })
            .collect()
    }

    /// Polls every `every` until `topic`'s high watermarks equal `target`.
    pub(crate) fn wait_for(
        &self,
        topic: &str,
        target: &[i64],
        every: Duration,
        limit: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        let partitions = i32::try_from(target.len())?;
        loop {
            if self.high(topic, partitions).as_deref() == Some(target) {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{topic} did not reach {target:?} within {limit:?} (now {:?})",
                self.high(topic, partitions)
            );
            std::thread::sleep(every);
        }
    }
}

/// One timed read of the whole topic.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timed {
    pub(crate) elapsed: Duration,
    /// CPU seconds of the reading side: the benchmark process for the raw
    /// consumer, the destination server for the link.
    pub(crate) reader_cpu: f64,
    /// CPU seconds of the source server meanwhile.
    pub(crate) source_cpu: f64,
    /// For the link: from the REST call until the mirror first held data
    /// (mirror creation and the fetch loop picking the new partitions up).
    pub(crate) first_data: Duration,
    /// For the link: how long the REST call creating the mirror took.
    pub(crate) rest_call: Duration,
}

/// The raw librdkafka consumer, librdkafka's default fetch sizes.
pub(crate) fn raw_consumer(
    source: &Server,
    topic: &str,
    partitions: i32,
    records: usize,
) -> anyhow::Result<Timed> {
    let (s0, c0) = (cpu_seconds(source.pid()), cpu_seconds(std::process::id()));
    let c = consume::run(&source.bootstrap, topic, partitions, records, None)?;
    anyhow::ensure!(c.records == records, "raw consumer read {}", c.records);
    Ok(Timed {
        elapsed: c.elapsed,
        reader_cpu: cpu_seconds(std::process::id()) - c0,
        source_cpu: cpu_seconds(source.pid()) - s0,
        first_data: Duration::ZERO,
        rest_call: Duration::ZERO,
    })
}

/// Creates the mirror and waits until its high watermarks equal the
/// source's: from the REST call to the last partition caught up.
pub(crate) fn mirror(
    source: &Server,
    destination: &Server,
    rest: &Rest,
    link: &str,
    topic: &str,
    target: &[i64],
) -> anyhow::Result<Timed> {
    let marks = Watermarks::new(&destination.bootstrap)?;
    let (s0, d0) = (cpu_seconds(source.pid()), cpu_seconds(destination.pid()));
    let started = Instant::now();
    rest.create_mirror(link, topic)?;
    let rest_call = started.elapsed();
    let partitions = i32::try_from(target.len())?;
    let deadline = started + Duration::from_secs(600);
    let mut first_data = None;
    loop {
        let now = marks.high(topic, partitions);
        if now.as_deref() == Some(target) {
            break;
        }
        if first_data.is_none() && now.as_ref().is_some_and(|h| h.iter().any(|&o| o > 0)) {
            first_data = Some(started.elapsed());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{topic} did not catch up within 600 s (now {now:?})"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    Ok(Timed {
        elapsed,
        reader_cpu: cpu_seconds(destination.pid()) - d0,
        source_cpu: cpu_seconds(source.pid()) - s0,
        first_data: first_data.unwrap_or(elapsed),
        rest_call,
    })
}
