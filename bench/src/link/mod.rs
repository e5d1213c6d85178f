//! `ferry-bench link`: cluster linking between two release `ferry server`
//! processes on this machine, the way issue 3's benchmark asks:
//!
//! 1. catch-up: 1M × 1 KiB records preloaded in 6 partitions on the source,
//!    read end to end by a raw librdkafka consumer and mirrored by a link,
//!    both timed in the same run (order alternating between rounds);
//! 2. steady-state lag at a fixed produce rate (20 MB/s), per record, as
//!    seen by consumers of the source topic and of the mirror;
//! 3. destination memory per idle mirrored partition, on a fresh destination.
//!
//! A measurement, not a test: it prints figures and asserts nothing beyond
//! the data arriving.

mod catchup;
mod lag;
mod memory;
mod rest;

use std::path::PathBuf;
use std::time::Duration;

use crate::server::Server;
use crate::{mb, ms, produce};

/// Link benchmark arguments; the defaults are issue 3's workload.
#[derive(Debug, clap::Args)]
pub(crate) struct LinkArgs {
    /// Records preloaded on the source for each catch-up round.
    #[arg(long, default_value_t = 1_000_000)]
    records: usize,
    /// Value size in bytes.
    #[arg(long, default_value_t = 1024)]
    record_size: usize,
    /// Partitions of the catch-up and lag topics.
    #[arg(long, default_value_t = 6)]
    partitions: i32,
    /// Catch-up rounds, each on a fresh 1 GB topic; even rounds time the raw
    /// consumer first, odd rounds the link first.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Steady produce rate of the lag phase, in MB/s (decimal).
    #[arg(long, default_value_t = 20.0)]
    lag_rate_mb: f64,
    /// Length of the lag phase, in seconds.
    #[arg(long, default_value_t = 25)]
    lag_seconds: u64,
    /// Mirrored partition counts at which the fresh destination's RSS is
    /// read (cumulative, topics of 6 partitions).
    #[arg(long, value_delimiter = ',', default_value = "6,60,300")]
    memory_partitions: Vec<usize>,
    /// Extra link config `name=value` (repeatable), e.g.
    /// `replica.fetch.max.bytes=10485760`.
    #[arg(long = "link-config")]
    link_configs: Vec<String>,
    /// Extra `--override key=value` for both servers (repeatable).
    #[arg(long = "server-override")]
    server_overrides: Vec<String>,
    /// Read each preloaded topic once, untimed, before the timed readers:
    /// the first read of freshly written data costs the source about twice
    /// the CPU of later reads, which otherwise favours whichever reader
    /// goes second.
    #[arg(long)]
    warm: bool,
    /// Skip the catch-up phase.
    #[arg(long)]
    no_catchup: bool,
    /// Skip the lag phase.
    #[arg(long)]
    no_lag: bool,
    /// Skip the memory phase.
    #[arg(long)]
    no_memory: bool,
    /// The ferry binary (default: next to this executable).
    #[arg(long, env = "FERRY_BIN")]
    ferry: Option<PathBuf>,
}

/// A server on its own temporary data dir (deleted when this drops, after
/// the server is stopped).
struct Node {
    server: Server,
    _dir: tempfile::TempDir,
}

fn start(ferry: &std::path::Path, overrides: &[String], rest: bool) -> anyhow::Result<Node> {
    let dir = tempfile::Builder::new()
        .prefix("ferry-bench-link-")
        .tempdir()?;
    let mut o = overrides.to_vec();
    if rest {
        o.push("rest.listeners=http://127.0.0.1:0".into());
    }
    let server = Server::start(ferry, dir.path(), &o)?;
    Ok(Node { server, _dir: dir })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Keeps a result row for the final table, and prints it at once so that a
/// later phase failing does not lose it.
fn record(lines: &mut Vec<String>, row: String) {
    println!("{row}");
    lines.push(row);
}

/// The last `n` lines of a server's stderr (kept in its data dir).
fn stderr_tail(node: &Node, n: usize) -> String {
    let text =
        std::fs::read_to_string(node.server.data_dir.join("server.stderr")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

pub(crate) fn run(args: &LinkArgs) -> anyhow::Result<()> {
    let ferry = crate::ferry_binary(args.ferry.as_ref())?;
    let source = start(&ferry, &args.server_overrides, false)?;
    let dest = start(&ferry, &args.server_overrides, true)?;
    let result = phases(args, &ferry, &source, &dest);
    if result.is_err() {
        // The data dirs go away with the nodes: show why first.
        eprintln!("source stderr (tail):\n{}", stderr_tail(&source, 30));
        eprintln!("destination stderr (tail):\n{}", stderr_tail(&dest, 30));
    }
    result?;
    dest.server.stop();
    source.server.stop();
    Ok(())
}

fn phases(
    args: &LinkArgs,
    ferry: &std::path::Path,
    source: &Node,
    dest: &Node,
) -> anyhow::Result<()> {
    let (src, dst) = (&source.server, &dest.server);
    let rest = rest::Rest {
        addr: dst
            .rest
            .clone()
            .ok_or_else(|| anyhow::anyhow!("the destination printed no rest listener"))?,
        cluster_id: dst.cluster_id.clone(),
    };
    println!(
        "source {} (pid {}, cluster {}), destination {} (pid {}, cluster {}, rest {}); load {}",
        src.bootstrap,
        src.pid(),
        src.cluster_id,
        dst.bootstrap,
        dst.pid(),
        dst.cluster_id,
        rest.addr,
        loadavg()
    );
    let mut configs = vec![("bootstrap.servers".to_string(), src.bootstrap.clone())];
    for c in &args.link_configs {
        let (k, v) = c
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--link-config {c}: expected name=value"))?;
        configs.push((k.to_string(), v.to_string()));
    }
    rest.create_link("bench", &src.cluster_id, &configs)?;

    let mut lines = vec![
        "| metric | value |".to_string(),
        "| --- | --- |".to_string(),
    ];
    if !args.no_catchup {
        for round in 0..args.rounds {
            record(&mut lines, catch_up_round(args, src, dst, &rest, round)?);
        }
        record(
            &mut lines,
            format!(
                "| destination peak RSS (VmHWM) after catch-up | {:.1} MB |",
                dst.peak_rss_kib().unwrap_or(0) as f64 / 1024.0
            ),
        );
    }
    if !args.no_lag {
        record(&mut lines, lag_phase(args, src, dst, &rest)?);
    }
    if !args.no_memory {
        let fresh = start(ferry, &args.server_overrides, true)?;
        let fresh_rest = rest::Rest {
            addr: fresh.server.rest.clone().unwrap_or_default(),
            cluster_id: fresh.server.cluster_id.clone(),
        };
        let steps = memory::run(
            src,
            &fresh.server,
            &fresh_rest,
            &configs,
            &args.memory_partitions,
        )?;
        let mut cells = Vec::new();
        for s in &steps {
            cells.push(format!("{}: {:.1} MB", s.label, s.rss_kib as f64 / 1024.0));
        }
        record(
            &mut lines,
            format!("| destination RSS (VmRSS), idle | {} |", cells.join("; ")),
        );
        let mirrored: Vec<&memory::Step> = steps.iter().filter(|s| s.partitions > 0).collect();
        if let (Some(first), Some(last)) = (mirrored.first(), mirrored.last())
            && last.partitions > first.partitions
        {
            let per = (last.rss_kib as f64 - first.rss_kib as f64)
                / (last.partitions - first.partitions) as f64;
            record(
                &mut lines,
                format!(
                    "| link memory per mirrored partition ({} → {}) | {per:.1} KiB |",
                    first.partitions, last.partitions
                ),
            );
        }
        fresh.server.stop();
    }
    println!();
    for l in &lines {
        println!("{l}");
    }
    println!("load at the end: {}", loadavg());
    Ok(())
}

fn catch_up_round(
    args: &LinkArgs,
    src: &Server,
    dst: &Server,
    rest: &rest::Rest,
    round: usize,
) -> anyhow::Result<String> {
    let topic = format!("catchup-{round}");
    produce::create_topic(&src.bootstrap, &topic, args.partitions)?;
    let p = produce::full_speed(&produce::Config {
        bootstrap: &src.bootstrap,
        topic: &topic,
        records: args.records,
        record_size: args.record_size,
        partitions: args.partitions,
        compression: "none",
        linger_ms: 5,
    })?;
    anyhow::ensure!(p.failures == 0, "{} records failed delivery", p.failures);
    // Write the preload back to disk and let the machine settle, so neither
    // reader competes with the kernel's writeback of it.
    let synced = std::process::Command::new("sync")
        .arg("-f")
        .arg(&src.data_dir)
        .status()?;
    anyhow::ensure!(synced.success(), "sync -f failed: {synced}");
    std::thread::sleep(Duration::from_secs(2));
    let target = catchup::Watermarks::new(&src.bootstrap)?
        .high(&topic, args.partitions)
        .ok_or_else(|| anyhow::anyhow!("no watermarks for {topic}"))?;
    if args.warm {
        let w = catchup::raw_consumer(src, &topic, args.partitions, args.records)?;
        println!("  untimed warm-up read {:.2} s", w.elapsed.as_secs_f64());
    }
    let payload = args.records * args.record_size;
    println!(
        "round {round}: preloaded {topic} ({:.0} MB in {:.1} s), high watermarks {target:?}, load {}",
        mb(payload),
        p.elapsed.as_secs_f64(),
        loadavg()
    );
    let (raw, link) = if round.is_multiple_of(2) {
        let raw = catchup::raw_consumer(src, &topic, args.partitions, args.records)?;
        println!(
            "  raw consumer {:.2} s, load {}",
            raw.elapsed.as_secs_f64(),
            loadavg()
        );
        let link = catchup::mirror(src, dst, rest, "bench", &topic, &target)?;
        println!(
            "  link {:.2} s, load {}",
            link.elapsed.as_secs_f64(),
            loadavg()
        );
        (raw, link)
    } else {
        let link = catchup::mirror(src, dst, rest, "bench", &topic, &target)?;
        println!(
            "  link {:.2} s, load {}",
            link.elapsed.as_secs_f64(),
            loadavg()
        );
        let raw = catchup::raw_consumer(src, &topic, args.partitions, args.records)?;
        println!(
            "  raw consumer {:.2} s, load {}",
            raw.elapsed.as_secs_f64(),
            loadavg()
        );
        (raw, link)
    };
    let rate = |t: &catchup::Timed| mb(payload) / t.elapsed.as_secs_f64();
    Ok(format!(
        "| catch-up round {round} ({}) | raw librdkafka consumer {:.1} MB/s ({:.2} s; client CPU {:.2} s, source CPU {:.2} s); link {:.1} MB/s ({:.2} s, first data after {:.2} s of which the REST call {:.2} s; destination CPU {:.2} s, source CPU {:.2} s); **ratio {:.2}** |",
        if round.is_multiple_of(2) {
            "raw first"
        } else {
            "link first"
        },
        rate(&raw),
        raw.elapsed.as_secs_f64(),
        raw.reader_cpu,
        raw.source_cpu,
        rate(&link),
        link.elapsed.as_secs_f64(),
        link.first_data.as_secs_f64(),
        link.rest_call.as_secs_f64(),
        link.reader_cpu,
        link.source_cpu,
        rate(&link) / rate(&raw)
    ))
}

fn lag_phase(
    args: &LinkArgs,
    src: &Server,
    dst: &Server,
    rest: &rest::Rest,
) -> anyhow::Result<String> {
    let topic = "steady";
    produce::create_topic(&src.bootstrap, topic, args.partitions)?;
    rest.create_mirror("bench", topic)?;
    let marks = catchup::Watermarks::new(&dst.bootstrap)?;
    let zeros = vec![0i64; usize::try_from(args.partitions)?];
    marks.wait_for(
        topic,
        &zeros,
        Duration::from_millis(50),
        Duration::from_secs(60),
    )?;
    let (s0, d0) = (crate::cpu_seconds(src.pid()), crate::cpu_seconds(dst.pid()));
    let r = lag::run(&lag::Load {
        source: &src.bootstrap,
        destination: &dst.bootstrap,
        topic,
        partitions: args.partitions,
        record_size: args.record_size,
        bytes_per_sec: args.lag_rate_mb * 1e6,
        duration: Duration::from_secs(args.lag_seconds),
    })?;
    let (s1, d1) = (crate::cpu_seconds(src.pid()), crate::cpu_seconds(dst.pid()));
    let d = |x: &lag::Dist| {
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms ({} records)",
            ms(x.p50),
            ms(x.p99),
            ms(x.p999),
            ms(x.max),
            x.records
        )
    };
    Ok(format!(
        "| lag at {:.1} MB/s for {} s, {} records (send → seen) | **mirror: {}**; source (baseline): {}; CPU source {:.1} s, destination {:.1} s; load {} |",
        r.achieved_bytes_per_sec / 1e6,
        args.lag_seconds,
        r.produced,
        d(&r.mirror),
        d(&r.source),
        s1 - s0,
        d1 - d0,
        loadavg()
    ))
}
