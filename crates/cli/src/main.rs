//! `ferry`: one binary for the broker (`ferry server`) and the client commands,
//! which follow the `confluent` CLI's shape (`ferry kafka topic create …`).

mod api_key;
mod kafka;
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
    /// TLS helpers: generate a CA and server certificates for testing.
    #[command(subcommand)]
    Tls(tls::TlsCommand),
}

fn main() -> std::process::ExitCode {
    ferry_protocol::guard::tune_for_large_buffers();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server(args) => server::run(args),
        Command::ApiKey(cmd) => api_key::run(cmd),
        Command::Kafka(cmd) => kafka::run(cmd),
        Command::Tls(cmd) => tls::run(cmd),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
