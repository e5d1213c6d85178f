//! `ferry datagen`: the DatagenSource generator in the foreground, producing
//! through the Kafka protocol to any cluster (ferry's client), registering
//! the value schema in any registry. The same keys, values, headers and
//! pacing as the managed connector; a counter on stderr shows progress.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use clap::Args;
use ferry_client::admin::NewTopic;
use ferry_client::produce::partition_for_key;
use ferry_client::{Acks, Client, ProduceRecord};
use ferry_connect::SchemaRegistrar;
use ferry_registry::client::RegistryClient;
use kafka_protocol::records::Compression;
use tokio::time::Instant;

use super::registrar::HttpRegistrar;
use crate::kafka::args::ConnectionArgs;

/// Most records in one produce request per partition.
const MAX_BATCH: usize = 500;

/// `ferry datagen …`.
#[derive(Debug, Args)]
pub(crate) struct DatagenArgs {
    /// Topic to produce to (created with the cluster's defaults if missing).
    #[arg(long)]
    topic: String,
    /// A quickstart: orders, users, pageviews, stock_trades, clickstream.
    #[arg(long, conflicts_with = "schema_file")]
    quickstart: Option<String>,
    /// An Avro schema file with arg.properties hints, instead of a quickstart.
    #[arg(long, value_name = "FILE")]
    schema_file: Option<std::path::PathBuf>,
    /// Top-level field used as the key (default: the quickstart's).
    #[arg(long, value_name = "FIELD")]
    schema_keyfield: Option<String>,
    /// avro, json_sr, protobuf or json.
    #[arg(long, default_value = "avro")]
    format: String,
    /// Schema registry URL (needed by avro, json_sr and protobuf).
    #[arg(long, value_name = "URL")]
    schema_registry_endpoint: Option<String>,
    /// Registry API key (HTTP Basic).
    #[arg(long, value_name = "KEY", requires = "schema_registry_api_secret")]
    schema_registry_api_key: Option<String>,
    /// Registry API secret.
    #[arg(long, value_name = "SECRET", requires = "schema_registry_api_key")]
    schema_registry_api_secret: Option<String>,
    /// Stop after this many records (default: run until Ctrl-C).
    #[arg(long, value_name = "N")]
    iterations: Option<u64>,
    /// Each record waits a random time in [0, max-interval) ms.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    max_interval: u64,
    /// Seed for reproducible data.
    #[arg(long, value_name = "SEED", allow_hyphen_values = true)]
    random_seed: Option<i64>,
    #[command(flatten)]
    connection: ConnectionArgs,
}

impl DatagenArgs {
    /// The connector configuration these flags stand for.
    fn connector_config(&self) -> anyhow::Result<BTreeMap<String, String>> {
        let mut c = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            c.insert(k.to_owned(), v);
        };
        put("name", "ferry-datagen".to_owned());
        put("connector.class", "DatagenSource".to_owned());
        put("kafka.topic", self.topic.clone());
        put("output.data.format", self.format.to_ascii_uppercase());
        put("max.interval", self.max_interval.to_string());
        if let Some(q) = &self.quickstart {
            put("quickstart", q.clone());
        }
        if let Some(path) = &self.schema_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --schema-file {}", path.display()))?;
            put("schema.string", text);
        }
        if let Some(k) = &self.schema_keyfield {
            put("schema.keyfield", k.clone());
        }
        if let Some(n) = self.iterations {
            put("iterations", n.to_string());
        }
        if let Some(s) = self.random_seed {
            put("random.seed", s.to_string());
        }
        Ok(c)
    }
}

/// Progress on stderr: rewritten in place on a terminal, a line every few
/// seconds otherwise.
#[derive(Debug)]
struct Progress {
    started: Instant,
    shown: Instant,
    tty: bool,
}

impl Progress {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            started: now,
            shown: now,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn show(&mut self, topic: &str, produced: u64, limit: Option<u64>, last: bool) {
        let every = if self.tty {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(5)
        };
        if !last && self.shown.elapsed() < every {
            return;
        }
        self.shown = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let of = limit.map_or_else(String::new, |l| format!("/{l}"));
        let line = format!(
            "{topic}: {produced}{of} records ({:.0}/s)",
            produced as f64 / secs
        );
        let mut err = std::io::stderr().lock();
        let _ = if self.tty {
            write!(err, "\r{line}\x1b[K{}", if last { "\n" } else { "" })
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    }
}

/// Finds or creates the topic; its partition count.
async fn partitions(client: &Client, topic: &str) -> anyhow::Result<i32> {
    match client.refresh_topic(topic).await {
        Ok(t) => return Ok(i32::try_from(t.partitions.len()).unwrap_or(1).max(1)),
        Err(ferry_client::Error::UnknownTopic(_)) => {}
        Err(e) => return Err(e).with_context(|| format!("looking up topic {topic}")),
    }
    match client.create_topic(&NewTopic::new(topic, -1)).await {
        Ok(_) | Err(ferry_client::Error::TopicAlreadyExists(_)) => {}
        Err(e) => return Err(e).with_context(|| format!("creating topic {topic}")),
    }
    let t = client
        .retry("topic metadata", || client.refresh_topic(topic))
        .await?;
    Ok(i32::try_from(t.partitions.len()).unwrap_or(1).max(1))
}

pub(crate) fn run(args: DatagenArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(produce(args))
}

async fn produce(args: DatagenArgs) -> anyhow::Result<()> {
    let config = args.connector_config()?;
    let mut source = ferry_connect::source::build(&config, 0, None)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("invalid datagen options")?;
    let client = Client::connect(args.connection.client_config()?).await?;
    let partition_count = partitions(&client, &args.topic).await?;
    if let Some(schema) = source.value_schema() {
        let url = args.schema_registry_endpoint.as_deref().ok_or_else(|| {
            anyhow::anyhow!(
                "--format {} needs --schema-registry-endpoint (or use --format json)",
                args.format
            )
        })?;
        let auth = args
            .schema_registry_api_key
            .as_ref()
            .zip(args.schema_registry_api_secret.as_ref())
            .map(|(k, s)| format!("{k}:{s}"));
        let registry = HttpRegistrar(RegistryClient::new(url, auth.as_deref(), None)?);
        let subject = format!("{}-value", args.topic);
        let id = registry
            .register(&subject, schema.schema_type, &schema.text)
            .await
            .map_err(|e| anyhow::anyhow!("registering the value schema under {subject}: {e}"))?;
        source.set_schema_id(id);
        eprintln!("value schema registered under {subject} with id {id}");
    }
    let mut progress = Progress::new();
    let mut produced = 0u64;
    let mut due = Instant::now();
    let interval = |max: u64| {
        Duration::from_millis(if max == 0 {
            0
        } else {
            rand::random_range(0..max)
        })
    };
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        if args.iterations.is_some_and(|l| produced >= l) {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep_until(due) => {}
            _ = &mut stop => break,
        }
        let now = Instant::now();
        let room = args
            .iterations
            .map_or(MAX_BATCH as u64, |l| l.saturating_sub(produced))
            .min(MAX_BATCH as u64);
        let mut by_partition: BTreeMap<i32, Vec<ProduceRecord>> = BTreeMap::new();
        let unkeyed = rand::random_range(0..partition_count);
        let mut count = 0u64;
        while due <= now && count < room {
            let r = source
                .next_record()
                .map_err(|e| anyhow::anyhow!("generating a record: {e}"))?;
            let p = r
                .key
                .as_ref()
                .map_or(unkeyed, |k| partition_for_key(k, partition_count));
            by_partition.entry(p).or_default().push(ProduceRecord {
                key: r.key,
                value: Some(r.value),
                headers: vec![
                    ("task.generation".to_owned(), Some(Bytes::from_static(b"0"))),
                    ("task.id".to_owned(), Some(Bytes::from_static(b"0"))),
                    (
                        "current.iteration".to_owned(),
                        Some(Bytes::from(r.iteration.to_string())),
                    ),
                ],
                timestamp: None,
            });
            count += 1;
            due += interval(args.max_interval);
        }
        for (p, records) in by_partition {
            client
                .produce(&args.topic, p, &records, Compression::None, Acks::All)
                .await
                .with_context(|| format!("producing to {}-{p}", args.topic))?;
        }
        produced += count;
        progress.show(&args.topic, produced, args.iterations, false);
        if now.duration_since(due) > Duration::from_secs(1) {
            due = now;
        }
    }
    progress.show(&args.topic, produced, args.iterations, true);
    Ok(())
}
