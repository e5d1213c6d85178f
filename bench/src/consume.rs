//! The consume half: one librdkafka consumer reads the topic from the start.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// Consume figures.
#[derive(Debug)]
pub(crate) struct Report {
    /// First poll to the last record.
    pub(crate) elapsed: Duration,
    pub(crate) records: usize,
    /// Sum of value sizes.
    pub(crate) bytes: usize,
}

/// Reads `records` records from every partition of `topic`, from offset 0.
///
/// The consumer runs with librdkafka's defaults (fetch.max.bytes 50 MiB,
/// max.partition.fetch.bytes 1 MiB) unless `partition_fetch_bytes` raises
/// the per-partition cap: bigger fetches mean fewer round trips but bigger
/// responses held in the broker's memory while they are written.
pub(crate) fn run(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    records: usize,
    partition_fetch_bytes: Option<usize>,
) -> anyhow::Result<Report> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "ferry-bench")
        .set("enable.auto.commit", "false");
    if let Some(n) = partition_fetch_bytes {
        config.set("max.partition.fetch.bytes", n.to_string());
    }
    let consumer: BaseConsumer = config.create()?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)?;
    }
    consumer.assign(&tpl)?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(600);
    let (mut n, mut bytes) = (0usize, 0usize);
    while n < records {
        anyhow::ensure!(
            Instant::now() < deadline,
            "consumed only {n} of {records} in 600 s"
        );
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                n += 1;
                bytes += m.payload_len();
            }
            Some(Err(e)) => anyhow::bail!("consume: {e}"),
            None => {}
        }
    }
    Ok(Report {
        elapsed: started.elapsed(),
        records: n,
        bytes,
    })
}
