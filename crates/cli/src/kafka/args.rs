//! Flags every `ferry kafka …` command takes: where the cluster is, how to
//! authenticate, and the output format.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use ferry_client::{ClientConfig, SaslMechanism, SecurityProtocol};

/// Connection flags, named as in the `confluent` CLI and Kafka's tools.
#[derive(Debug, Clone, Args)]
pub(crate) struct ConnectionArgs {
    /// Bootstrap server(s), `HOST:PORT[,HOST:PORT…]`. Defaults to
    /// bootstrap.servers from --command-config, then to $FERRY_BOOTSTRAP.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) bootstrap: Option<String>,
    /// PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (default PLAINTEXT, or
    /// SASL_PLAINTEXT when --api-key is given).
    #[arg(long, value_name = "PROTOCOL")]
    pub(crate) security_protocol: Option<String>,
    /// PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
    #[arg(long, value_name = "MECHANISM")]
    pub(crate) sasl_mechanism: Option<String>,
    /// API key (SASL user name).
    #[arg(long, env = "FERRY_API_KEY", value_name = "KEY")]
    pub(crate) api_key: Option<String>,
    /// API secret (SASL password).
    #[arg(
        long,
        env = "FERRY_API_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub(crate) api_secret: Option<String>,
    /// PEM file of the CA that signed the brokers' certificates.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// Do not verify the brokers' TLS certificates (testing only).
    #[arg(long)]
    pub(crate) insecure_skip_tls_verify: bool,
    /// Kafka client properties file (bootstrap.servers, security.protocol,
    /// sasl.mechanism, sasl.jaas.config, ssl.ca.location); flags override it.
    #[arg(long, value_name = "FILE")]
    pub(crate) command_config: Option<PathBuf>,
}

impl ConnectionArgs {
    /// Builds the client configuration: properties file first, then flags.
    pub(crate) fn client_config(&self) -> anyhow::Result<ClientConfig> {
        let mut config = ClientConfig {
            client_id: "ferry-cli".to_owned(),
            ..ClientConfig::default()
        };
        if let Some(path) = &self.command_config {
            config.apply_properties_file(path)?;
        }
        // The environment is a fallback only: a properties file names its
        // cluster explicitly and must not be redirected by a stray variable.
        let from_env = std::env::var("FERRY_BOOTSTRAP")
            .ok()
            .filter(|_| config.bootstrap.is_empty());
        if let Some(b) = self.bootstrap.as_ref().or(from_env.as_ref()) {
            config.bootstrap = b
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(key) = &self.api_key {
            config.username = Some(key.clone());
            if self.security_protocol.is_none() && !config.security_protocol.uses_sasl() {
                config.security_protocol = if config.security_protocol.uses_tls() {
                    SecurityProtocol::SaslSsl
                } else {
                    SecurityProtocol::SaslPlaintext
                };
            }
        }
        if let Some(secret) = &self.api_secret {
            config.password = Some(secret.clone());
        }
        if let Some(p) = &self.security_protocol {
            config.security_protocol = p.parse()?;
        }
        if let Some(m) = &self.sasl_mechanism {
            config.sasl_mechanism = m.parse::<SaslMechanism>()?;
        }
        if let Some(path) = &self.ca_cert {
            config.ca_pem = Some(
                std::fs::read(path)
                    .with_context(|| format!("cannot read --ca-cert {}", path.display()))?,
            );
            if self.security_protocol.is_none() && !config.security_protocol.uses_tls() {
                config.security_protocol = if config.security_protocol.uses_sasl() {
                    SecurityProtocol::SaslSsl
                } else {
                    SecurityProtocol::Ssl
                };
            }
        }
        if self.insecure_skip_tls_verify {
            config.insecure_skip_verify = true;
        }
        // Last, the active environment (`ferry environment use`): its
        // bootstrap, and its API key and CA unless flags gave them.
        if crate::environment::resolve::fill_client_config(&mut config, None)?
            && let Some(p) = &self.security_protocol
        {
            config.security_protocol = p.parse()?;
        }
        if config.bootstrap.is_empty() {
            anyhow::bail!(
                "no bootstrap server: pass --bootstrap HOST:PORT, set FERRY_BOOTSTRAP, put bootstrap.servers in --command-config, or use an environment with one (`ferry environment create NAME --bootstrap HOST:PORT`)"
            );
        }
        Ok(config)
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// Tables for people.
    #[default]
    Human,
    /// JSON, for scripts.
    Json,
    /// YAML.
    Yaml,
}

/// The `-o/--output` flag.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct OutputArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub(crate) output: Output,
}
