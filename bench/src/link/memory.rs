//! Destination memory per mirrored partition: a fresh destination's
//! resident set before any link, with a link and no mirrors, then with
//! more and more idle mirrored partitions (topics of 6 partitions, one small
//! record each, caught up and left idle).

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

use super::catchup::Watermarks;
use super::rest::Rest;
use crate::produce::create_topic;
use crate::server::Server;

/// Partitions of each memory topic.
const PER_TOPIC: i32 = 6;

/// RSS (KiB) at one step.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) label: String,
    pub(crate) partitions: usize,
    pub(crate) rss_kib: u64,
}

/// How long the destination is left idle before its RSS is read, so the
/// fetch loop has run many idle rounds.
const SETTLE: Duration = Duration::from_secs(5);

pub(crate) fn run(
    source: &Server,
    destination: &Server,
    rest: &Rest,
    link_configs: &[(String, String)],
    steps: &[usize],
) -> anyhow::Result<Vec<Step>> {
    let mut out = Vec::new();
    std::thread::sleep(SETTLE);
    out.push(Step {
        label: "no link".into(),
        partitions: 0,
        rss_kib: destination.rss_kib().unwrap_or(0),
    });
    rest.create_link("mem", &source.cluster_id, link_configs)?;
    std::thread::sleep(SETTLE);
    out.push(Step {
        label: "link, no mirrors".into(),
        partitions: 0,
        rss_kib: destination.rss_kib().unwrap_or(0),
    });
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &source.bootstrap)
        .create()?;
    let marks = Watermarks::new(&destination.bootstrap)?;
    let mut topics = 0usize;
    for &want in steps {
        let want_topics = want.div_ceil(PER_TOPIC as usize);
        let mut created = Vec::new();
        while topics < want_topics {
            let topic = format!("mem-{topics:04}");
            create_topic(&source.bootstrap, &topic, PER_TOPIC)?;
            for p in 0..PER_TOPIC {
                producer
                    .send(
                        BaseRecord::<(), [u8]>::to(&topic)
                            .partition(p)
                            .payload(&[0u8; 100][..]),
                    )
                    .map_err(|(e, _)| e)?;
            }
            created.push(topic);
            topics += 1;
        }
        producer.flush(Duration::from_secs(30))?;
        for topic in &created {
            rest.create_mirror("mem", topic)?;
        }
        let ones = vec![1i64; PER_TOPIC as usize];
        for topic in &created {
            marks.wait_for(
                topic,
                &ones,
                Duration::from_millis(50),
                Duration::from_secs(120),
            )?;
        }
        std::thread::sleep(SETTLE);
        out.push(Step {
            label: format!("{} mirrored partitions", topics * PER_TOPIC as usize),
            partitions: topics * PER_TOPIC as usize,
            rss_kib: destination.rss_kib().unwrap_or(0),
        });
    }
    Ok(out)
}
