//! `ferry`: one binary for the broker (`ferry server`) and the client commands,
//! which follow the `confluent` CLI's shape (`ferry kafka topic create …`).

mod api_key;
mod connect;
mod demo;
mod environment;
mod kafka;
mod schema_registry;
mod server;
mod tls;

use clap::{Parser, Subcommand};

/// ferry's guarded allocator keeps hostile array counts in Kafka frames from
/// aborting the process; see `ferry_protocol::guard`.
#[global_allocator]
static ALLOC: ferry_protocol::guard::GuardedAllocator = ferry_protocol::guard::GuardedAllocator;

/// Open-source cross-cluster Kafka replication with Cluster Linking semantics.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// The Kafka subcommands carry many connection flags; the enum is parsed once
// per process, so its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Run a broker (Kafka protocol, with the REST and registry listeners to come).
    Server(server::ServerArgs),
    /// Manage API keys: SASL PLAIN/SCRAM credentials stored hashed under a data dir.
    #[command(name = "api-key", subcommand)]
    ApiKey(api_key::ApiKeyCommand),
    /// Kafka commands: topics, consumer groups.
    #[command(subcommand)]
    Kafka(kafka::KafkaCommand),
    /// Managed connectors (DatagenSource) of a ferry server, as `confluent connect`.
    #[command(subcommand)]
    Connect(connect::ConnectCommand),
    /// Generate records (datagen quickstarts) into a topic, in the foreground.
    Datagen(connect::datagen::DatagenArgs),
    /// Schema registry: subjects, schemas, schema exporters (schema linking).
    #[command(name = "schema-registry", subcommand)]
    SchemaRegistry(schema_registry::SchemaRegistryCommand),
    /// Environments: named endpoint sets (REST URL, registry URL, bootstrap,
    /// credentials) used by later commands when they get no endpoint flags.
    /// `ferry environment use NAME` makes one active; $FERRY_ENVIRONMENT
    /// picks one for a shell. Stored in $FERRY_HOME/config.json (default
    /// ~/.ferry/config.json).
    #[command(subcommand)]
    Environment(environment::EnvironmentCommand),
    /// TLS helpers: generate a CA and server certificates for testing.
    #[command(subcommand)]
    Tls(tls::TlsCommand),
    /// The seed walkthrough end to end on this machine: two clusters, datagen,
    /// a cluster link and a schema exporter, verified; `ferry demo down` cleans up.
    Demo(demo::DemoArgs),
}

fn main() -> std::process::ExitCode {
    ferry_protocol::guard::tune_for_large_buffers();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server(args) => server::run(args),
        Command::ApiKey(cmd) => api_key::run(cmd),
        Command::Kafka(cmd) => kafka::run(cmd),
        Command::Connect(cmd) => connect::run(cmd),
        Command::Datagen(args) => connect::datagen::run(args),
        Command::SchemaRegistry(cmd) => schema_registry::run(cmd),
        Command::Environment(cmd) => environment::run(cmd),
        Command::Tls(cmd) => tls::run(cmd),
        Command::Demo(args) => demo::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
