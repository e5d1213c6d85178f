//! Client configuration, and parsing of Kafka's client property names.
//!
//! Kafka tools take a `--command-config client.properties` file and cluster links
//! take a `link-config.properties`; both use the Java client's names
//! (`bootstrap.servers`, `security.protocol`, `sasl.mechanism`, `sasl.jaas.config`,
//! `ssl.ca.location`). [`ClientConfig::apply_properties`] understands them, so the
//! same files work with ferry unchanged.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};

/// How bytes travel to the broker: Kafka's `security.protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityProtocol {
    /// Plain TCP, no authentication.
    #[default]
    Plaintext,
    /// TLS, no SASL.
    Ssl,
    /// SASL over plain TCP.
    SaslPlaintext,
    /// SASL over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// True when the connection is wrapped in TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, Self::Ssl | Self::SaslSsl)
    }

    /// True when the connection authenticates with SASL.
    pub fn uses_sasl(self) -> bool {
        matches!(self, Self::SaslPlaintext | Self::SaslSsl)
    }
}

impl FromStr for SecurityProtocol {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Ok(Self::Plaintext),
            "SSL" => Ok(Self::Ssl),
            "SASL_PLAINTEXT" => Ok(Self::SaslPlaintext),
            "SASL_SSL" => Ok(Self::SaslSsl),
            other => Err(Error::Config(format!(
                "unknown security.protocol '{other}' (expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)"
            ))),
        }
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Plaintext => "PLAINTEXT",
            Self::Ssl => "SSL",
            Self::SaslPlaintext => "SASL_PLAINTEXT",
            Self::SaslSsl => "SASL_SSL",
        })
    }
}

/// A SASL mechanism: Kafka's `sasl.mechanism`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SaslMechanism {
    /// PLAIN (RFC 4616): the password is sent as is, so use it over TLS.
    #[default]
    Plain,
    /// SCRAM-SHA-256 (RFC 5802/7677).
    ScramSha256,
    /// SCRAM-SHA-512.
    ScramSha512,
}

impl SaslMechanism {
    /// The mechanism's name as SaslHandshake carries it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

impl FromStr for SaslMechanism {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PLAIN" => Ok(Self::Plain),
            "SCRAM-SHA-256" => Ok(Self::ScramSha256),
            "SCRAM-SHA-512" => Ok(Self::ScramSha512),
            other => Err(Error::Config(format!(
                "unsupported sasl.mechanism '{other}' (expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)"
            ))),
        }
    }
}

impl fmt::Display for SaslMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything needed to reach and authenticate to a cluster.
#[derive(Clone)]
pub struct ClientConfig {
    /// `host:port` of one or more brokers; the rest are discovered through Metadata.
    pub bootstrap: Vec<String>,
    /// Transport and authentication.
    pub security_protocol: SecurityProtocol,
    /// Used when `security_protocol` is SASL_*.
    pub sasl_mechanism: SaslMechanism,
    /// SASL user name (an API key).
    pub username: Option<String>,
    /// SASL password (an API secret).
    pub password: Option<String>,
    /// PEM certificates to trust instead of the system roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Accept any server certificate. For tests and self-signed demos only.
    pub insecure_skip_verify: bool,
    /// `client.id` sent in every request header (brokers log it).
    pub client_id: String,
    /// How long to wait for any one response.
    pub request_timeout: Duration,
    /// How long to wait for a TCP/TLS connection and its handshakes.
    pub connect_timeout: Duration,
    /// Largest response frame accepted (ferry_protocol::FrameCodec cap).
    pub max_frame_bytes: usize,
    /// Attempts for requests that fail with retriable errors (stale metadata etc.).
    pub retries: u32,
    /// Wait before the first retry; doubled on each later one, capped at 1 s.
    pub retry_backoff: Duration,
}

impl fmt::Debug for ClientConfig {
    // Hand-written so that the password never reaches a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("bootstrap", &self.bootstrap)
            .field("security_protocol", &self.security_protocol)
            .field("sasl_mechanism", &self.sasl_mechanism)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("ca_pem", &self.ca_pem.as_ref().map(Vec::len))
            .field("insecure_skip_verify", &self.insecure_skip_verify)
            .field("client_id", &self.client_id)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            bootstrap: Vec::new(),
            security_protocol: SecurityProtocol::Plaintext,
            sasl_mechanism: SaslMechanism::Plain,
            username: None,
            password: None,
            ca_pem: None,
            insecure_skip_verify: false,
            client_id: "ferry".to_owned(),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_frame_bytes: ferry_protocol::DEFAULT_MAX_FRAME_BYTES,
            retries: 8,
            retry_backoff: Duration::from_millis(100),
        }
    }
}

impl ClientConfig {
    /// A plaintext configuration for one or more comma-separated bootstrap servers.
    pub fn new(bootstrap: &str) -> Self {
        Self {
            bootstrap: split_list(bootstrap),
            ..Self::default()
        }
    }

    /// Reads a Kafka client `.properties` file and applies it over the defaults.
    ///
    /// # Errors
    /// [`Error::Config`] when the file cannot be read or a property is invalid.
    pub fn from_properties_file(path: &std::path::Path) -> Result<Self> {
        let mut config = Self::default();
        config.apply_properties_file(path)?;
        Ok(config)
    }

    /// Applies a Kafka client `.properties` file over this configuration.
    ///
    /// # Errors
    /// [`Error::Config`] when the file cannot be read or a property is invalid.
    pub fn apply_properties_file(&mut self, path: &std::path::Path) -> Result<()> {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        let props = java_properties::read(std::io::BufReader::new(file))
            .map_err(|e| Error::Config(format!("cannot parse {}: {e}", path.display())))?;
        self.apply_properties(&props.into_iter().collect())
    }

    /// Applies Kafka client properties over this configuration.
    ///
    /// Understood: `bootstrap.servers`, `security.protocol`, `sasl.mechanism`,
    /// `sasl.jaas.config` (PlainLoginModule / ScramLoginModule `username` and
    /// `password`), `sasl.username` / `sasl.password` (librdkafka's names),
    /// `ssl.ca.location` (a PEM file), `ssl.endpoint.identification.algorithm`
    /// (empty disables host-name checks, as in Kafka), `client.id`,
    /// `request.timeout.ms`. Other keys are ignored, as Kafka's tools ignore
    /// properties meant for another client type.
    ///
    /// # Errors
    /// [`Error::Config`] for a value that does not parse.
    pub fn apply_properties(&mut self, props: &BTreeMap<String, String>) -> Result<()> {
        for (key, value) in props {
            let value = value.trim();
            match key.trim() {
                "bootstrap.servers" | "bootstrap.server" => self.bootstrap = split_list(value),
                "security.protocol" => self.security_protocol = value.parse()?,
                "sasl.mechanism" | "sasl.mechanisms" => self.sasl_mechanism = value.parse()?,
                "sasl.jaas.config" => {
                    let creds = parse_jaas_credentials(value)?;
                    self.username = Some(creds.0);
                    self.password = Some(creds.1);
                }
                "sasl.username" => self.username = Some(value.to_owned()),
                "sasl.password" => self.password = Some(value.to_owned()),
                "ssl.ca.location" | "ssl.truststore.location" if !value.is_empty() => {
                    if key.contains("truststore") && !value.ends_with(".pem") {
                        return Err(Error::Config(format!(
                            "{key}={value}: only PEM files are supported; convert the JKS truststore to PEM and use ssl.ca.location"
                        )));
                    }
                    let pem = std::fs::read(value)
                        .map_err(|e| Error::Config(format!("cannot read {key} {value}: {e}")))?;
                    self.ca_pem = Some(pem);
                }
                "ssl.ca.pem" if !value.is_empty() => self.ca_pem = Some(value.as_bytes().to_vec()),
                "ssl.endpoint.identification.algorithm" if value.is_empty() => {
                    self.insecure_skip_verify = true;
                }
                "enable.ssl.certificate.verification" => {
                    self.insecure_skip_verify = value.eq_ignore_ascii_case("false");
                }
                "client.id" => self.client_id = value.to_owned(),
                "request.timeout.ms" => {
                    let ms: u64 = value.parse().map_err(|_| {
                        Error::Config(format!("request.timeout.ms={value} is not a number"))
                    })?;
                    self.request_timeout = Duration::from_millis(ms);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Checks that the settings fit together (e.g. SASL has credentials).
    ///
    /// # Errors
    /// [`Error::Config`] naming what is missing.
    pub fn validate(&self) -> Result<()> {
        if self.bootstrap.is_empty() {
            return Err(Error::Config(
                "no bootstrap servers (set --bootstrap, FERRY_BOOTSTRAP or bootstrap.servers)"
                    .into(),
            ));
        }
        if self.security_protocol.uses_sasl()
            && (self.username.is_none() || self.password.is_none())
        {
            return Err(Error::Config(format!(
                "security.protocol {} needs a SASL username and password (--api-key/--api-secret or sasl.jaas.config)",
                self.security_protocol
            )));
        }
        Ok(())
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Extracts `username` and `password` from a `sasl.jaas.config` value such as
/// `org.apache.kafka.common.security.plain.PlainLoginModule required username="k" password="s";`.
///
/// # Errors
/// [`Error::Config`] when either option is missing or a quote is unterminated.
pub fn parse_jaas_credentials(jaas: &str) -> Result<(String, String)> {
    let options = parse_jaas_options(jaas)?;
    let get = |name: &str| {
        options
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Error::Config(format!("sasl.jaas.config has no {name}")))
    };
    Ok((get("username")?, get("password")?))
}

/// Parses `LoginModule flag key=value key="quoted value" …;` into its options.
fn parse_jaas_options(jaas: &str) -> Result<Vec<(String, String)>> {
    let mut chars = jaas.trim().chars().peekable();
    let mut words: Vec<String> = Vec::new();
    let mut options = Vec::new();
    // Skip the login module class name and the control flag.
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '=' || c == ';' {
                break;
            }
            word.push(c);
            chars.next();
        }
        match chars.peek() {
            Some('=') => {
                chars.next();
                let value = read_jaas_value(&mut chars)?;
                options.push((word, value));
            }
            Some(';') | None => {
                if !word.is_empty() {
                    words.push(word);
                }
                break;
            }
            Some(_) => {
                if !word.is_empty() {
                    words.push(word);
                }
            }
        }
    }
    Ok(options)
}

fn read_jaas_value(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String> {
    let mut value = String::new();
    if chars.peek() == Some(&'"') {
        chars.next();
        loop {
            match chars.next() {
                Some('\\') => {
                    if let Some(c) = chars.next() {
                        value.push(c);
                    }
                }
                Some('"') => return Ok(value),
                Some(c) => value.push(c),
                None => {
                    return Err(Error::Config(
                        "sasl.jaas.config has an unterminated quoted value".into(),
                    ));
                }
            }
        }
    }
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() || c == ';' {
            break;
        }
        value.push(c);
        chars.next();
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn kafka_property_names_are_understood() {
        let mut c = ClientConfig::default();
        c.apply_properties(&props(&[
            ("bootstrap.servers", "a:9092, b:9093"),
            ("security.protocol", "sasl_ssl"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="key1" password="s3c=r;t";"#,
            ),
            ("request.timeout.ms", "1500"),
            ("client.id", "linker"),
            ("acks", "all"),
        ]))
        .unwrap();
        assert_eq!(c.bootstrap, vec!["a:9092", "b:9093"]);
        assert_eq!(c.security_protocol, SecurityProtocol::SaslSsl);
        assert_eq!(c.sasl_mechanism, SaslMechanism::ScramSha512);
        assert_eq!(c.username.as_deref(), Some("key1"));
        assert_eq!(c.password.as_deref(), Some("s3c=r;t"));
        assert_eq!(c.request_timeout, Duration::from_millis(1500));
        assert_eq!(c.client_id, "linker");
        c.validate().unwrap();
    }

    #[test]
    fn jaas_unquoted_and_escaped_values() {
        let (u, p) = parse_jaas_credentials(
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required username=alice password="a\"b";"#,
        )
        .unwrap();
        assert_eq!((u.as_str(), p.as_str()), ("alice", "a\"b"));
        assert!(parse_jaas_credentials("PlainLoginModule required username=\"x\";").is_err());
        assert!(parse_jaas_credentials("M required username=\"x password=y;").is_err());
    }

    #[test]
    fn bad_values_are_config_errors() {
        let mut c = ClientConfig::default();
        let e = c
            .apply_properties(&props(&[("security.protocol", "TLS")]))
            .unwrap_err();
        assert!(e.to_string().contains("unknown security.protocol"), "{e}");
        let e = c
            .apply_properties(&props(&[("sasl.mechanism", "GSSAPI")]))
            .unwrap_err();
        assert!(e.to_string().contains("GSSAPI"), "{e}");
        c.security_protocol = SecurityProtocol::SaslPlaintext;
        c.bootstrap = vec!["x:1".into()];
        assert!(c.validate().is_err());
    }

    #[test]
    fn properties_file_is_read() {
        let dir = std::env::temp_dir().join(format!("ferry-client-props-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("client.properties");
        std::fs::write(
            &path,
            "# comment\nbootstrap.servers=h:1\nsecurity.protocol=SASL_PLAINTEXT\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n  username=\"u\" password=\"p\";\n",
        )
        .unwrap();
        let c = ClientConfig::from_properties_file(&path).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(c.bootstrap, vec!["h:1"]);
        assert_eq!(c.username.as_deref(), Some("u"));
        assert_eq!(c.password.as_deref(), Some("p"));
    }
}
