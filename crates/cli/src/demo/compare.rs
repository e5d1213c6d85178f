//! The in-process side of the verification: Kafka clients of both clusters
//! (SASL_SSL with the demo's API keys and CAs), and the byte-for-byte
//! comparison of the source topic with its mirror.
//!
//! The datagen keeps writing while the comparison runs, so it is made up to
//! a common offset: the source's log end offsets when the check starts,
//! which the mirror must reach; every batch below them must then be the
//! same bytes at the same offsets on both sides.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use ferry_client::admin::OffsetSpec;
use ferry_client::{Client, ClientConfig, IsolationLevel, SaslMechanism, SecurityProtocol};
use ferry_protocol::batch::BatchIter;

use super::state::Side;
use super::steps::TOPIC;

/// How often a condition is polled.
pub(crate) const POLL: Duration = Duration::from_millis(250);

/// `Ok` values with `Debug`, errors with their causes (no backtrace).
pub(crate) fn shown<T: std::fmt::Debug>(r: &anyhow::Result<T>) -> String {
    match r {
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("{e:#}"),
    }
}

/// A Kafka client of one side.
pub(crate) async fn connect(side: &Side) -> anyhow::Result<Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut config = ClientConfig::new(&side.bootstrap());
    config.client_id = "ferry-demo".to_owned();
    config.security_protocol = SecurityProtocol::SaslSsl;
    config.sasl_mechanism = SaslMechanism::Plain;
    config.username = Some(side.api_key.clone());
    config.password = Some(side.api_secret.clone());
    config.ca_pem =
        Some(std::fs::read(side.ca()).with_context(|| format!("reading {}", side.ca().display()))?);
    Client::connect(config)
        .await
        .with_context(|| format!("connecting to {} at {}", side.name, side.bootstrap()))
}

/// Log end offsets of every partition of `topic`, in partition order.
pub(crate) async fn end_offsets(client: &Client, topic: &str) -> anyhow::Result<Vec<i64>> {
    client.forget_topics();
    let meta = client.topic_metadata(topic).await?;
    anyhow::ensure!(
        meta.error_code == 0,
        "{topic}: metadata error {}",
        meta.error_code
    );
    let parts: Vec<(String, i32)> = meta
        .partitions
        .iter()
        .map(|p| (topic.to_owned(), p.partition))
        .collect();
    let listed = client
        .list_offsets(&parts, OffsetSpec::Latest, IsolationLevel::ReadUncommitted)
        .await?;
    Ok(parts
        .iter()
        .map(|k| listed.get(k).map_or(-1, |o| o.offset))
        .collect())
}

/// The whole batches of `topic`/`partition` below `end`, from offset 0.
async fn batches_below(
    client: &Client,
    topic: &str,
    partition: i32,
    end: i64,
    deadline: Instant,
) -> anyhow::Result<Vec<(i64, Bytes)>> {
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < end {
        anyhow::ensure!(
            !super::past(deadline),
            "{topic}/{partition}: fetched up to offset {offset} of {end} before the deadline"
        );
        let fetched = client
            .fetch_raw(
                topic,
                partition,
                offset,
                1024 * 1024,
                IsolationLevel::ReadUncommitted,
            )
            .await
            .with_context(|| format!("fetching {topic}/{partition} at {offset}"))?;
        let before = offset;
        for item in BatchIter::new(fetched.records) {
            let (header, bytes) = item.with_context(|| format!("{topic}/{partition}"))?;
            if header.base_offset >= end {
                offset = end;
                break;
            }
            if header.next_offset() <= offset {
                continue;
            }
            offset = header.next_offset();
            out.push((header.base_offset, bytes));
        }
        if offset == before {
            tokio::time::sleep(POLL).await;
        }
    }
    Ok(out)
}

/// Waits until the mirror has reached the source's current end offsets,
/// then compares every batch below them. Returns a one-line summary.
pub(crate) async fn offsets_and_bytes(
    source: &Client,
    destination: &Client,
    deadline: Instant,
) -> anyhow::Result<String> {
    let target = end_offsets(source, TOPIC).await?;
    anyhow::ensure!(
        target.iter().any(|&e| e > 0),
        "{TOPIC} on aws is empty: nothing to compare"
    );
    let mut mirrored = end_offsets(destination, TOPIC).await;
    loop {
        if let Ok(m) = &mirrored
            && m.len() == target.len()
            && m.iter().zip(&target).all(|(m, t)| m >= t)
        {
            break;
        }
        anyhow::ensure!(
            !super::past(deadline),
            "the mirror did not reach the source's end offsets {target:?} in time (mirror: {})",
            shown(&mirrored)
        );
        tokio::time::sleep(POLL).await;
        mirrored = end_offsets(destination, TOPIC).await;
    }
    let (mut batches, mut bytes) = (0usize, 0usize);
    for (p, &end) in target.iter().enumerate() {
        let p = i32::try_from(p)?;
        let a = batches_below(source, TOPIC, p, end, deadline).await?;
        let b = batches_below(destination, TOPIC, p, end, deadline).await?;
        let at = |v: &[(i64, Bytes)]| v.iter().map(|(o, _)| *o).collect::<Vec<_>>();
        anyhow::ensure!(
            at(&a) == at(&b),
            "partition {p}: batches at offsets {:?} on aws but {:?} on azure",
            at(&a),
            at(&b)
        );
        if let Some(((offset, _), _)) = a.iter().zip(&b).find(|((_, x), (_, y))| x != y) {
            anyhow::bail!(
                "partition {p}: the batch at offset {offset} differs between aws and azure"
            );
        }
        batches += a.len();
        bytes += a.iter().map(|(_, b)| b.len()).sum::<usize>();
    }
    Ok(format!(
        "{} partitions, {batches} batches ({bytes} bytes) identical at the same offsets, up to {target:?}",
        target.len()
    ))
}

/// Committed offsets of `group` on `topic`.
async fn committed(
    client: &Client,
    group: &str,
    topic: &str,
) -> anyhow::Result<BTreeMap<i32, i64>> {
    Ok(client
        .committed_offsets(group, None)
        .await?
        .into_iter()
        .filter(|((t, _), o)| t == topic && *o >= 0)
        .map(|((_, p), o)| (p, o))
        .collect())
}

/// Waits until `group`'s offsets on azure equal those on aws.
pub(crate) async fn consumer_offsets(
    source: &Client,
    destination: &Client,
    group: &str,
    deadline: Instant,
) -> anyhow::Result<String> {
    let want = committed(source, group, TOPIC).await?;
    anyhow::ensure!(
        !want.is_empty(),
        "group {group} has no committed offsets on aws (did step 5 run?)"
    );
    loop {
        let got = committed(destination, group, TOPIC).await;
        if got.as_ref().is_ok_and(|g| *g == want) {
            return Ok(format!(
                "group {group} on azure at {want:?} (partition → offset), as on aws"
            ));
        }
        anyhow::ensure!(
            !super::past(deadline),
            "group {group}: aws has {want:?}, azure {} (the link syncs every consumer.offset.sync.ms, 30 s by default)",
            shown(&got)
        );
        tokio::time::sleep(POLL).await;
    }
}
