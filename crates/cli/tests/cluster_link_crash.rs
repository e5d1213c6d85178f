//! A mirror survives crashes: while a producer writes to the source without
//! pause, the destination (which runs the link) is killed with SIGKILL six
//! times mid-replication and restarted on the same data dir, and the source
//! is restarted once. Once the producer stops, the mirror catches up and is
//! equal to the source byte for byte, every partition, every batch.
//!
//! The link is persisted on the destination: no REST call is made after a
//! restart (whose REST port changes, `rest.listeners` naming port 0) until
//! the final check.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{FerryServer, kafka_rest_cli, rdkafka_config};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};

const TOPIC: &str = "stream";
const PARTITIONS: i32 = 4;
const KILLS: usize = 6;

/// Sum of the mirror's log end offsets, or `None` while it cannot be read.
fn mirror_total(dest: &FerryServer) -> Option<i64> {
    common::log_end_offsets(&dest.bootstrap(), TOPIC)
        .ok()
        .map(|v| v.iter().sum())
}

#[test]
fn mirror_survives_destination_sigkills_and_source_restart() {
    let mut source = FerryServer::start(&[]);
    let mut dest = FerryServer::start(&["rest.listeners=http://127.0.0.1:0"]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let admin: AdminClient<DefaultClientContext> = rdkafka_config(&source).create().expect("admin");
    let res = rt
        .block_on(admin.create_topics(
            [&NewTopic::new(
                TOPIC,
                PARTITIONS,
                TopicReplication::Fixed(1),
            )],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        ))
        .expect("create_topics");
    assert_eq!(res, vec![Ok(TOPIC.to_string())]);
    drop(admin);

    kafka_rest_cli(
        &dest,
        &[
            "link",
            "create",
            "crash-link",
            "--source-cluster",
            source.cluster_id(),
            "--source-bootstrap-server",
            &source.bootstrap(),
        ],
    );
    kafka_rest_cli(&dest, &["mirror", "create", TOPIC, "--link", "crash-link"]);

    // The producer: idempotent, acks=all, until told to stop; it rides out
    // the source's restart by retrying.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let mut producer_config = rdkafka_config(&source);
    producer_config
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("compression.type", "lz4")
        .set("message.timeout.ms", "120000");
    let producer_thread = {
        let stop = Arc::clone(&stop);
        let acked = Arc::clone(&acked);
        std::thread::spawn(move || -> Result<(), String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let producer: FutureProducer = producer_config.create().map_err(|e| e.to_string())?;
            let mut i: u64 = 0;
            while !stop.load(Ordering::Relaxed) {
                rt.block_on(async {
                    let mut pending = Vec::new();
                    for _ in 0..50 {
                        i += 1;
                        let key = format!("k-{}", i % 97);
                        let value = format!("record {i} {}", "x".repeat((i % 200) as usize));
                        let rec = FutureRecord::to(TOPIC)
                            .key(key.as_bytes())
                            .payload(value.as_bytes());
                        pending.push(producer.send_result(rec).map_err(|(e, _)| e.to_string())?);
                    }
                    for fut in pending {
                        match fut.await {
                            Ok(Ok(_)) => {
                                acked.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(Err((e, _))) => return Err(format!("delivery failed: {e}")),
                            Err(_) => return Err("delivery future cancelled".to_string()),
                        }
                    }
                    Ok(())
                })?;
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(())
        })
    };

    let mut last_total = 0;
    for round in 0..KILLS {
        // Mid-replication: the mirror has moved on since the last crash.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(t) = mirror_total(&dest)
                && t > last_total
            {
                last_total = t;
                break;
            }
            dest.assert_alive("while waiting for replication");
            assert!(
                Instant::now() < deadline,
                "round {round}: the mirror did not advance past {last_total} in 60 s (producer acked {})\n--- dest stderr (tail) ---\n{}",
                acked.load(Ordering::Relaxed),
                dest.stderr_tail(6000)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(150 + 170 * round as u64));
        dest.kill9();
        dest.restart();
        if round == KILLS / 2 {
            let status = source.terminate();
            assert!(
                status.is_some_and(|s| s.success()),
                "the source did not stop cleanly: {status:?}"
            );
            source.restart();
        }
    }

    // Let it replicate a little after the last crash, then stop producing.
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    producer_thread
        .join()
        .expect("producer thread panicked")
        .unwrap_or_else(|e| {
            panic!(
                "producer: {e}\n--- source stderr ---\n{}",
                source.stderr_tail(4000)
            )
        });
    let acked = acked.load(Ordering::Relaxed);
    assert!(acked > 0, "the producer got nothing acknowledged");
    assert_eq!(dest.starts(), KILLS as u32 + 1, "destination starts");

    let ends = common::wait_caught_up(&source, &dest, TOPIC, TOPIC, Duration::from_secs(90));
    let total: i64 = ends.iter().sum();
    assert!(
        total >= acked as i64,
        "the source holds {total} offsets, fewer than the {acked} records acknowledged"
    );
    let batches = common::assert_partitions_identical(&source, &dest, TOPIC, TOPIC);
    eprintln!(
        "cluster_link_crash: {acked} records acked, {total} offsets, {batches} batches identical after {KILLS} SIGKILLs of the destination and one source restart"
    );
    let d = common::mirror_description(&dest, "crash-link", TOPIC).expect("mirror after crashes");
    assert_eq!(
        d["mirror_status"], "ACTIVE",
        "mirror after the crashes: {d}"
    );
}
