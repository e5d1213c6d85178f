//! `ferry-bench`: produce and consume throughput, produce latency and broker
//! peak memory of a release `ferry server`, measured with librdkafka (the
//! rdkafka crate) the way the benchmark asks: 1 KiB records,
//! acks=all, 6 partitions, 500k records.
//!
//! `ferry-bench link` measures cluster linking between two `ferry server`
//! processes instead (see `link`).
//!
//! This is a measurement, not a test: it prints figures and asserts nothing.
//! Run it with `cargo build --release -p ferry && cargo run --release -p ferry-bench`.

mod consume;
mod link;
mod produce;
mod server;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Benchmark arguments: the broker benchmark by default, or a subcommand.
#[derive(Debug, Parser)]
#[command(name = "ferry-bench", about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    broker: Args,
}

/// Benchmarks other than the default broker one.
#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Cluster link: catch-up against a raw librdkafka consumer, steady-state
    /// replication lag, and destination memory per mirrored partition.
    Link(link::LinkArgs),
}

/// Broker benchmark arguments; the defaults are the workload.
#[derive(Debug, clap::Args)]
struct Args {
    /// Records to produce and then consume.
    #[arg(long, default_value_t = 500_000)]
    records: usize,
    /// Value size in bytes (records have no key).
    #[arg(long, default_value_t = 1024)]
    record_size: usize,
    /// Partitions of the benchmark topic.
    #[arg(long, default_value_t = 6)]
    partitions: i32,
    /// The ferry binary; defaults to the `ferry` next to this executable
    /// (target/release/ferry when run with `cargo run --release`).
    #[arg(long, env = "FERRY_BIN")]
    ferry: Option<PathBuf>,
    /// librdkafka `compression.type` for the producer.
    #[arg(long, default_value = "none")]
    compression: String,
    /// librdkafka `linger.ms` for the producer.
    #[arg(long, default_value_t = 5)]
    linger_ms: u32,
    /// librdkafka `max.partition.fetch.bytes` for the consumer (default:
    /// librdkafka's own, 1 MiB).
    #[arg(long)]
    partition_fetch_bytes: Option<usize>,
    /// Extra `--override key=value` for the server (repeatable).
    #[arg(long = "server-override")]
    server_overrides: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Link(args)) => link::run(&args),
        None => broker_bench(&cli.broker),
    }
}

/// The `ferry` binary: `explicit`, or the one next to this executable
/// (target/release/ferry when run with `cargo run --release`).
pub(crate) fn ferry_binary(explicit: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    let ferry = match explicit {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .map(|d| d.join("ferry"))
            .ok_or_else(|| anyhow::anyhow!("cannot locate the ferry binary; pass --ferry"))?,
    };
    anyhow::ensure!(
        ferry.exists(),
        "{} not found: build it first with `cargo build --release -p ferry`",
        ferry.display()
    );
    Ok(ferry)
}

fn broker_bench(args: &Args) -> anyhow::Result<()> {
    let ferry = ferry_binary(args.ferry.as_ref())?;
    let data = tempfile::Builder::new().prefix("ferry-bench-").tempdir()?;
    let server = server::Server::start(&ferry, data.path(), &args.server_overrides)?;
    println!(
        "ferry-bench: broker {} (pid {}), data dir {}",
        server.bootstrap,
        server.pid(),
        data.path().display()
    );
    println!(
        "workload: {} records x {} B = {:.1} MB, {} partitions, acks=all, compression={}, linger.ms={}",
        args.records,
        args.record_size,
        mb(args.records * args.record_size),
        args.partitions,
        args.compression,
        args.linger_ms
    );

    let topic = "ferry-bench";
    produce::create_topic(&server.bootstrap, topic, args.partitions)?;
    let rss_idle = server.peak_rss_kib();
    let (b0, c0) = (cpu_seconds(server.pid()), cpu_seconds(std::process::id()));

    let p = produce::run(&produce::Config {
        bootstrap: &server.bootstrap,
        topic,
        records: args.records,
        record_size: args.record_size,
        partitions: args.partitions,
        compression: &args.compression,
        linger_ms: args.linger_ms,
    })?;
    let rss_after_produce = server.peak_rss_kib();
    let (b1, c1) = (cpu_seconds(server.pid()), cpu_seconds(std::process::id()));
    let c = consume::run(
        &server.bootstrap,
        topic,
        args.partitions,
        args.records,
        args.partition_fetch_bytes,
    )?;
    let rss_peak = server.peak_rss_kib();
    let (b2, c2) = (cpu_seconds(server.pid()), cpu_seconds(std::process::id()));
    let disk = dir_size(data.path());

    let payload = args.records * args.record_size;
    println!();
    println!("| metric | value |");
    println!("| --- | --- |");
    println!(
        "| produce | {:.1} MB/s, {:.0} records/s ({:.2} s) |",
        mb(payload) / p.elapsed.as_secs_f64(),
        args.records as f64 / p.elapsed.as_secs_f64(),
        p.elapsed.as_secs_f64()
    );
    println!(
        "| produce latency (send → ack) | p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms |",
        ms(p.p50),
        ms(p.p99),
        ms(p.max)
    );
    println!(
        "| consume | {:.1} MB/s, {:.0} records/s ({:.2} s) |",
        mb(c.bytes) / c.elapsed.as_secs_f64(),
        c.records as f64 / c.elapsed.as_secs_f64(),
        c.elapsed.as_secs_f64()
    );
    println!(
        "| broker peak RSS (VmHWM) | {:.1} MB (idle {:.1} MB, after produce {:.1} MB) |",
        rss_peak.unwrap_or(0) as f64 / 1024.0,
        rss_idle.unwrap_or(0) as f64 / 1024.0,
        rss_after_produce.unwrap_or(0) as f64 / 1024.0
    );
    println!(
        "| CPU during produce (incl. paced phase) | broker {:.2} s, client {:.2} s |",
        b1 - b0,
        c1 - c0
    );
    println!(
        "| CPU during consume ({:.2} s wall) | broker {:.2} s, client {:.2} s |",
        c.elapsed.as_secs_f64(),
        b2 - b1,
        c2 - c1
    );
    println!("| log on disk | {:.1} MB |", mb(disk as usize));
    println!("| delivery failures | {} |", p.failures);
    anyhow::ensure!(p.failures == 0, "{} records failed delivery", p.failures);
    anyhow::ensure!(
        c.records == args.records,
        "consumed {} of {} records",
        c.records,
        args.records
    );
    server.stop();
    Ok(())
}

/// Decimal megabytes, as throughput figures are usually quoted.
pub(crate) fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_000_000.0
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// User + system CPU time a process has used, from `/proc/<pid>/stat`
/// (fields 14 and 15, in clock ticks of 1/100 s on Linux).
pub(crate) fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name (field 2) may hold spaces; fields resume after ')'.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // After ')', field 3 (state) is index 0, so utime (14) is 11, stime (15) is 12.
    (ticks(11) + ticks(12)) / 100.0
}

pub(crate) fn dir_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => total += dir_size(&e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}
