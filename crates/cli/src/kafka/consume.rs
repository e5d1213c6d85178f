//! `ferry kafka topic consume`: print records, one value per line.
//!
//! Without `--group` every partition is read from the start (`--from-beginning`)
//! or the end. With `--group` the command joins the consumer group, reads the
//! partitions it is assigned from the committed offsets, commits after each
//! batch it prints, and leaves the group on exit. It stops after
//! `--max-messages`, after `--timeout-ms` without new records, or on Ctrl-C.
//!
//! With `--value-format`/`--key-format` avro, jsonschema or protobuf, each
//! record is read in Confluent's wire format and printed as one line of
//! JSON, decoded with the writer schema its id names in the registry
//! (`--schema-registry-endpoint`, or the active environment's; ids looked
//! up in `--schema-registry-context` when given). A record that cannot be
//! decoded (not in the wire format, unknown id, payload not of its schema)
//! is reported on stderr with its partition and offset and skipped;
//! consumption goes on. An unreachable registry stops the command.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use clap::Args;
use ferry_client::admin::OffsetSpec;
use ferry_client::group::{GroupConsumer, GroupConsumerConfig, OffsetReset, PolledRecord};
use ferry_client::records::{decode_records, next_fetch_offset};
use ferry_client::{Client, FetchOptions, FetchTarget, IsolationLevel};

use super::args::ConnectionArgs;
use super::value_format::registry::{RegistryArgs, normalize_context};
use super::value_format::{DecodeError, Decoder, Format};

/// `ferry kafka topic consume`.
#[derive(Debug, Args)]
pub(crate) struct ConsumeArgs {
    /// Topic name.
    name: String,
    /// Start at the earliest offset (when the group has no committed offset).
    #[arg(short = 'b', long)]
    from_beginning: bool,
    /// Consumer group to join; offsets are committed to it.
    #[arg(long, value_name = "GROUP")]
    group: Option<String>,
    /// Print the key before the value, separated by --delimiter.
    #[arg(long)]
    print_key: bool,
    /// Separator between key and value with --print-key.
    #[arg(
        long,
        alias = "key-separator",
        default_value = "\t",
        value_name = "SEP"
    )]
    delimiter: String,
    /// How values are written: string prints the bytes as they are;
    /// avro, jsonschema and protobuf decode the Confluent wire format
    /// through the schema registry and print one JSON document per record.
    #[arg(long, value_enum, default_value_t)]
    value_format: Format,
    /// How keys are written (as --value-format), for --print-key.
    #[arg(long, value_enum, default_value_t)]
    key_format: Format,
    /// The schema context (`.ctx`) to look schema ids up in; default: the
    /// registry's unqualified lookup (the default context first).
    #[arg(long, value_name = "CONTEXT")]
    schema_registry_context: Option<String>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Exit after printing this many records.
    #[arg(long, value_name = "N")]
    max_messages: Option<u64>,
    /// Exit when no record arrives for this many milliseconds.
    #[arg(long, value_name = "MS")]
    timeout_ms: Option<u64>,
    /// read_committed hides aborted and open transactions.
    #[arg(long, default_value = "read_uncommitted", value_name = "LEVEL")]
    isolation_level: String,
    #[command(flatten)]
    conn: ConnectionArgs,
}

/// Where records go: stdout, with a count toward --max-messages.
struct Printer {
    out: std::io::BufWriter<std::io::Stdout>,
    print_key: bool,
    separator: String,
    printed: u64,
    max: Option<u64>,
    keys: Decoder,
    values: Decoder,
}

impl Printer {
    fn full(&self) -> bool {
        self.max.is_some_and(|m| self.printed >= m)
    }

    /// Prints one record; one that cannot be decoded is reported on stderr
    /// and skipped. Fails on a write error or an unreachable registry.
    async fn print(&mut self, r: &PolledRecord) -> anyhow::Result<()> {
        let key = match (&r.record.key, self.print_key) {
            (Some(k), true) => match self.keys.decode(k).await {
                Ok(k) => Some(k),
                Err(e) => return skip(r, "key", e),
            },
            _ => None,
        };
        let value = match &r.record.value {
            Some(v) => match self.values.decode(v).await {
                Ok(v) => Some(v),
                Err(e) => return skip(r, "value", e),
            },
            None => None,
        };
        if self.print_key {
            self.out.write_all(key.as_deref().unwrap_or(b"null"))?;
            self.out.write_all(self.separator.as_bytes())?;
        }
        self.out.write_all(value.as_deref().unwrap_or(b"null"))?;
        self.out.write_all(b"\n")?;
        self.printed += 1;
        Ok(())
    }
}

/// Reports a record that could not be decoded, or fails on a registry
/// that cannot be reached.
fn skip(r: &PolledRecord, what: &str, e: DecodeError) -> anyhow::Result<()> {
    match e {
        DecodeError::Record(e) => {
            eprintln!(
                "error: topic {} partition {} offset {}: cannot decode the {what}: {e:#}; skipped",
                r.topic, r.partition, r.record.offset
            );
            Ok(())
        }
        DecodeError::Registry(e) => Err(e.context("the schema registry cannot be reached")),
    }
}

/// Whether `e` is a closed stdout (e.g. piped into `head`).
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

pub(crate) async fn run(args: ConsumeArgs) -> anyhow::Result<()> {
    let isolation: IsolationLevel = args.isolation_level.parse()?;
    let client = super::connect(&args.conn).await?;
    client.refresh_topic(&args.name).await?;
    let idle = args.timeout_ms.map(Duration::from_millis);
    let fetch = FetchOptions {
        max_wait: idle.map_or(Duration::from_millis(500), |t| {
            t.min(Duration::from_millis(500))
        }),
        isolation,
        ..FetchOptions::default()
    };
    let schema_based = args.value_format != Format::String
        || (args.print_key && args.key_format != Format::String);
    let registry = if schema_based {
        Some(args.registry.client()?)
    } else {
        None
    };
    let context = args
        .schema_registry_context
        .as_deref()
        .and_then(normalize_context);
    let mut printer = Printer {
        out: std::io::BufWriter::new(std::io::stdout()),
        print_key: args.print_key,
        separator: args.delimiter.clone(),
        printed: 0,
        max: args.max_messages,
        keys: Decoder::new(
            if args.print_key {
                args.key_format
            } else {
                Format::String
            },
            registry.clone(),
            context.clone(),
        )?,
        values: Decoder::new(args.value_format, registry, context)?,
    };
    if printer.full() {
        return Ok(());
    }
    match &args.group {
        Some(group) => {
            let mut config = GroupConsumerConfig::new(group, vec![args.name.clone()]);
            config.offset_reset = if args.from_beginning {
                OffsetReset::Earliest
            } else {
                OffsetReset::Latest
            };
            config.fetch = fetch;
            config.session_timeout = Duration::from_secs(10);
            let consumer = GroupConsumer::join(client, config).await?;
            consume_group(consumer, &mut printer, idle).await
        }
        None => consume_partitions(&client, &args, fetch, &mut printer, idle).await,
    }
}

/// Reads with a group: commit after each printed batch, leave on exit.
async fn consume_group(
    mut consumer: GroupConsumer,
    printer: &mut Printer,
    idle: Option<Duration>,
) -> anyhow::Result<()> {
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut last_record = Instant::now();
    let result: anyhow::Result<()> = loop {
        let polled = tokio::select! {
            _ = &mut ctrl_c => break Ok(()),
            p = consumer.poll() => p,
        };
        let records = match polled {
            Ok(r) => r,
            Err(e) => break Err(e.into()),
        };
        if !records.is_empty() {
            last_record = Instant::now();
        }
        let mut handed_back: BTreeMap<(String, i32), i64> = BTreeMap::new();
        let mut written: anyhow::Result<()> = Ok(());
        for r in &records {
            if printer.full() || written.is_err() {
                // Not printed: make sure the commit does not skip it.
                handed_back
                    .entry((r.topic.clone(), r.partition))
                    .or_insert(r.record.offset);
                continue;
            }
            written = printer.print(r).await;
        }
        for ((t, p), o) in handed_back {
            consumer.seek(&t, p, o);
        }
        if let Err(e) = written.and_then(|()| Ok(printer.out.flush()?)) {
            // stdout closed (e.g. piped into `head`): stop quietly.
            if broken_pipe(&e) {
                break Ok(());
            }
            break Err(e);
        }
        if printer.full() {
            break Ok(());
        }
        if let Err(e) = consumer.commit().await {
            tracing::debug!(%e, "commit failed; will retry with the next batch");
        }
        if idle.is_some_and(|t| last_record.elapsed() >= t) {
            break Ok(());
        }
    };
    let closed = consumer.close().await;
    result?;
    closed?;
    Ok(())
}

/// Reads every partition of the topic without a group.
async fn consume_partitions(
    client: &Client,
    args: &ConsumeArgs,
    fetch: FetchOptions,
    printer: &mut Printer,
    idle: Option<Duration>,
) -> anyhow::Result<()> {
    let topic = client.refresh_topic(&args.name).await?;
    let keys: Vec<(String, i32)> = topic
        .partitions
        .iter()
        .map(|p| (args.name.clone(), p.partition))
        .collect();
    let spec = if args.from_beginning {
        OffsetSpec::Earliest
    } else {
        OffsetSpec::Latest
    };
    let mut positions: BTreeMap<(String, i32), i64> = client
        .list_offsets(&keys, spec, fetch.isolation)
        .await?
        .into_iter()
        .map(|(k, v)| (k, v.offset))
        .collect();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut last_record = Instant::now();
    loop {
        let targets: Vec<FetchTarget> = positions
            .iter()
            .map(|((t, p), o)| FetchTarget {
                topic: t.clone(),
                partition: *p,
                offset: *o,
            })
            .collect();
        let results = tokio::select! {
            _ = &mut ctrl_c => return Ok(()),
            r = client.fetch_many(&targets, &fetch) => r,
        };
        let mut got_any = false;
        let mut failed = 0;
        for (target, result) in results {
            let fetched = match result {
                Ok(f) => f,
                Err(e) if e.is_retriable() || e.is_stale_metadata() => {
                    tracing::debug!(%e, "fetch");
                    failed += 1;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let records = decode_records(
                &target.topic,
                target.partition,
                &fetched,
                target.offset,
                fetch.isolation,
            )?;
            positions.insert(
                (target.topic.clone(), target.partition),
                next_fetch_offset(&fetched, target.offset),
            );
            for record in records {
                if printer.full() {
                    break;
                }
                got_any = true;
                let printed = printer
                    .print(&PolledRecord {
                        topic: target.topic.clone(),
                        partition: target.partition,
                        record,
                    })
                    .await;
                match printed {
                    Err(e) if broken_pipe(&e) => return Ok(()),
                    r => r?,
                }
            }
        }
        match printer.out.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            r => r?,
        }
        if printer.full() {
            return Ok(());
        }
        if got_any {
            last_record = Instant::now();
        } else if idle.is_some_and(|t| last_record.elapsed() >= t) {
            return Ok(());
        }
        if failed > 0 && !got_any {
            tokio::time::sleep(fetch.max_wait).await;
        }
    }
}
