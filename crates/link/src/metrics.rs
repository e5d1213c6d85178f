//! Prometheus text exposition of link metrics, served at `/metrics`.
//!
//! Names follow the Confluent Cloud Metrics API's cluster-link metrics
//! (reference §5.3) under a `ferry_` prefix:
//! - `ferry_cluster_link_count{link_name,link_state}`: 1 per link, labelled
//!   with its state.
//! - `ferry_cluster_link_mirror_topic_count{link_name,link_mirror_topic_state}`.
//! - `ferry_cluster_link_mirror_partition_offset_lag{link_name,topic,partition}`:
//!   source log end minus mirror log end, in offsets.
//! - `ferry_cluster_link_mirror_topic_offset_lag{link_name,topic}`: the max
//!   over the topic's partitions.
//! - `ferry_cluster_link_mirror_topic_bytes_total` and
//!   `ferry_cluster_link_mirror_topic_records_total{link_name,topic}`:
//!   replicated since the server started.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

use crate::runtime::LinkRuntime;

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Appends the metrics of `links` to `out`.
pub(crate) fn render(links: &[Arc<LinkRuntime>], out: &mut String) {
    let mut link_count = String::new();
    let mut topic_count = String::new();
    let mut partition_lag = String::new();
    let mut topic_lag = String::new();
    let mut bytes = String::new();
    let mut records = String::new();
    for link in links {
        let name = escape(&link.name());
        let state = serde_json::to_value(link.link_state())
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let _ = writeln!(
            link_count,
            "ferry_cluster_link_count{{link_name=\"{name}\",link_state=\"{state}\"}} 1"
        );
        let mut by_state: BTreeMap<&'static str, u64> = BTreeMap::new();
        for (mirror, m) in link.mirrors() {
            *by_state
                .entry(link.effective_status(&m).as_str())
                .or_default() += 1;
            let topic = escape(&mirror);
            let mut max = 0;
            let mut topic_bytes = 0;
            let mut topic_records = 0;
            for lag in link.lags(&mirror) {
                max = max.max(lag.lag);
                let _ = writeln!(
                    partition_lag,
                    "ferry_cluster_link_mirror_partition_offset_lag{{link_name=\"{name}\",topic=\"{topic}\",partition=\"{}\"}} {}",
                    lag.partition, lag.lag
                );
                let progress = link.progress(&mirror, lag.partition);
                topic_bytes += progress.bytes;
                topic_records += progress.records;
            }
            let _ = writeln!(
                topic_lag,
                "ferry_cluster_link_mirror_topic_offset_lag{{link_name=\"{name}\",topic=\"{topic}\"}} {max}"
            );
            let _ = writeln!(
                bytes,
                "ferry_cluster_link_mirror_topic_bytes_total{{link_name=\"{name}\",topic=\"{topic}\"}} {topic_bytes}"
            );
            let _ = writeln!(
                records,
                "ferry_cluster_link_mirror_topic_records_total{{link_name=\"{name}\",topic=\"{topic}\"}} {topic_records}"
            );
        }
        for (state, n) in by_state {
            let _ = writeln!(
                topic_count,
                "ferry_cluster_link_mirror_topic_count{{link_name=\"{name}\",link_mirror_topic_state=\"{state}\"}} {n}"
            );
        }
    }
    let families = [
        (
            "ferry_cluster_link_count",
            "gauge",
            "Cluster links by state.",
            link_count,
        ),
        (
            "ferry_cluster_link_mirror_topic_count",
            "gauge",
            "Mirror topics by state.",
            topic_count,
        ),
        (
            "ferry_cluster_link_mirror_partition_offset_lag",
            "gauge",
            "Source log end offset minus mirror log end offset.",
            partition_lag,
        ),
        (
            "ferry_cluster_link_mirror_topic_offset_lag",
            "gauge",
            "Largest partition offset lag of a mirror topic.",
            topic_lag,
        ),
        (
            "ferry_cluster_link_mirror_topic_bytes_total",
            "counter",
            "Bytes of record batches replicated into a mirror topic.",
            bytes,
        ),
        (
            "ferry_cluster_link_mirror_topic_records_total",
            "counter",
            "Records replicated into a mirror topic.",
            records,
        ),
    ];
    for (metric, kind, help, body) in families {
        let _ = writeln!(out, "# HELP {metric} {help}");
        let _ = writeln!(out, "# TYPE {metric} {kind}");
        out.push_str(&body);
    }
}
