//! The catalogue of link configs (reference §2.1): every key Confluent lists
//! for a link, its type, default, and whether it is secret or read-only.
//!
//! Defaults and flags follow a real Confluent Cloud config listing where one
//! exists; `read_only` here means "cannot be changed after the link is
//! created" (what `alter` refuses), which adds `link.mode`,
//! `connection.mode`, `remote.link.connection.mode` and
//! `cluster.link.prefix` to the keys Confluent Cloud reports read-only.

/// What values a config takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    /// `true` or `false`, any case.
    Boolean,
    /// A 32-bit integer of at least `min`.
    Int {
        /// Smallest value allowed.
        min: i32,
    },
    /// A 64-bit integer of at least `min`.
    Long {
        /// Smallest value allowed.
        min: i64,
    },
    /// One of these words, any case.
    Enum(&'static [&'static str]),
    /// Comma-separated values.
    List,
    /// `host:port,host:port` (`bootstrap.servers`).
    HostPorts,
    /// Free text.
    String,
    /// `{"topicFilters":[…]}` (reference §2.3).
    TopicFilters,
    /// `{"groupFilters":[…]}` (reference §2.3).
    GroupFilters,
    /// `{"aclFilters":[…]}` (reference §2.3).
    AclFilters,
    /// `earliest`, `latest` or an ISO-8601 timestamp.
    StartOffsetSpec,
    /// A mirror topic name prefix: at most 12 topic-name characters.
    Prefix,
    /// In-line PEM certificates.
    Pem,
}

/// One config of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigDef {
    /// The key, as Confluent spells it.
    pub name: &'static str,
    /// Its values.
    pub kind: ConfigType,
    /// The default; None is Kafka's null (listed with a null value).
    pub default: Option<&'static str>,
    /// A secret: listed with a null value, never echoed in errors.
    pub sensitive: bool,
    /// Cannot be changed once the link exists.
    pub read_only: bool,
    /// One line on what it does.
    pub doc: &'static str,
}

const fn def(
    name: &'static str,
    kind: ConfigType,
    default: Option<&'static str>,
    doc: &'static str,
) -> ConfigDef {
    ConfigDef {
        name,
        kind,
        default,
        sensitive: false,
        read_only: false,
        doc,
    }
}

const fn secret(name: &'static str, doc: &'static str) -> ConfigDef {
    ConfigDef {
        sensitive: true,
        ..def(name, ConfigType::String, None, doc)
    }
}

const fn fixed(d: ConfigDef) -> ConfigDef {
    ConfigDef {
        read_only: true,
        ..d
    }
}

/// `security.protocol` values.
pub const SECURITY_PROTOCOLS: &[&str] = &["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];
/// `sasl.mechanism` values Kafka clients know.
pub const SASL_MECHANISMS: &[&str] = &[
    "PLAIN",
    "SCRAM-SHA-256",
    "SCRAM-SHA-512",
    "GSSAPI",
    "OAUTHBEARER",
];
/// `link.mode` values.
pub const LINK_MODES: &[&str] = &["DESTINATION", "SOURCE", "BIDIRECTIONAL"];
/// `connection.mode` values.
pub const CONNECTION_MODES: &[&str] = &["OUTBOUND", "INBOUND"];
const STORE_TYPES: &[&str] = &["JKS", "PKCS12", "PEM"];
const DNS_LOOKUPS: &[&str] = &[
    "use_all_dns_ips",
    "resolve_canonical_bootstrap_servers_only",
];
const IDENTIFICATION: &[&str] = &["https", ""];

use ConfigType::{Boolean, Enum, Int, List, Long, String as Text};

/// Every catalogued key, sorted by name.
pub const CATALOGUE: &[ConfigDef] = &[
    def(
        "acl.filters",
        ConfigType::AclFilters,
        Some(""),
        "Which source ACLs to sync (JSON).",
    ),
    def(
        "acl.sync.enable",
        Boolean,
        Some("false"),
        "Sync ACLs from the source (not performed by ferry yet).",
    ),
    def(
        "acl.sync.ms",
        Int { min: 1 },
        Some("5000"),
        "ACL sync interval.",
    ),
    def(
        "auto.create.mirror.topics.enable",
        Boolean,
        Some("false"),
        "Create mirrors for new source topics that match the filters.",
    ),
    def(
        "auto.create.mirror.topics.filters",
        ConfigType::TopicFilters,
        Some(""),
        "Which source topics to mirror automatically (JSON).",
    ),
    def(
        "availability.check.consecutive.failure.threshold",
        Int { min: 1 },
        Some("5"),
        "Failed probes before the link is UNAVAILABLE.",
    ),
    def(
        "availability.check.ms",
        Int { min: 1 },
        Some("60000"),
        "Source availability probe interval.",
    ),
    def(
        "bootstrap.servers",
        ConfigType::HostPorts,
        None,
        "The remote cluster's bootstrap servers (required for OUTBOUND links).",
    ),
    def(
        "client.dns.lookup",
        Enum(DNS_LOOKUPS),
        Some("use_all_dns_ips"),
        "How bootstrap host names are resolved.",
    ),
    def(
        "cluster.link.paused",
        Boolean,
        Some("false"),
        "Pause the whole link.",
    ),
    fixed(def(
        "cluster.link.prefix",
        ConfigType::Prefix,
        None,
        "Prefix of mirror topic names (and of synced group names with consumer.group.prefix.enable).",
    )),
    fixed(def(
        "cluster.link.retry.timeout.ms",
        Int { min: 0 },
        Some("300000"),
        "After this long, failures are no longer retried and partitions are marked failed.",
    )),
    fixed(def(
        "connection.mode",
        Enum(CONNECTION_MODES),
        Some("OUTBOUND"),
        "OUTBOUND: this side connects; INBOUND: the remote side connects.",
    )),
    fixed(def(
        "connections.max.idle.ms",
        Long { min: -1 },
        Some("600000"),
        "Close idle connections after this long (-1: never).",
    )),
    def(
        "consumer.group.prefix.enable",
        Boolean,
        Some("false"),
        "Prefix synced group names with cluster.link.prefix.",
    ),
    def(
        "consumer.offset.group.filters",
        ConfigType::GroupFilters,
        Some(""),
        "Which consumer groups' offsets to sync (JSON).",
    ),
    def(
        "consumer.offset.sync.enable",
        Boolean,
        Some("false"),
        "Sync consumer group offsets of mirror topics.",
    ),
    def(
        "consumer.offset.sync.ms",
        Int { min: 1000 },
        Some("30000"),
        "Consumer offset sync interval.",
    ),
    fixed(def(
        "link.mode",
        Enum(LINK_MODES),
        Some("DESTINATION"),
        "Which side of the link this is.",
    )),
    def(
        "local.listener",
        Text,
        None,
        "Listener of the local cluster (source-initiated and bidirectional links).",
    ),
    secret(
        "local.sasl.jaas.config",
        "JAAS login for the local cluster.",
    ),
    def(
        "local.sasl.login.callback.handler.class",
        Text,
        None,
        "SASL login callback for the local cluster.",
    ),
    def(
        "local.sasl.mechanism",
        Enum(SASL_MECHANISMS),
        Some("GSSAPI"),
        "SASL mechanism towards the local cluster.",
    ),
    def(
        "local.sasl.oauthbearer.token.endpoint.url",
        Text,
        None,
        "OAuth token endpoint for the local cluster.",
    ),
    def(
        "local.security.protocol",
        Enum(SECURITY_PROTOCOLS),
        Some("PLAINTEXT"),
        "Security protocol towards the local cluster.",
    ),
    def(
        "local.ssl.cipher.suites",
        List,
        None,
        "TLS cipher suites towards the local cluster.",
    ),
    def(
        "local.ssl.enabled.protocols",
        List,
        Some("TLSv1.2,TLSv1.3"),
        "TLS versions towards the local cluster.",
    ),
    def(
        "local.ssl.endpoint.identification.algorithm",
        Enum(IDENTIFICATION),
        Some("https"),
        "Host name verification towards the local cluster (empty: off).",
    ),
    secret(
        "local.ssl.key.password",
        "Password of the local client key.",
    ),
    secret(
        "local.ssl.keystore.certificate.chain",
        "In-line PEM client certificate chain (local).",
    ),
    secret("local.ssl.keystore.key", "In-line PEM client key (local)."),
    def(
        "local.ssl.keystore.location",
        Text,
        None,
        "Client keystore file (local).",
    ),
    secret(
        "local.ssl.keystore.password",
        "Client keystore password (local).",
    ),
    def(
        "local.ssl.keystore.type",
        Enum(STORE_TYPES),
        Some("JKS"),
        "Client keystore format (local).",
    ),
    def(
        "local.ssl.protocol",
        Text,
        Some("TLSv1.3"),
        "TLS protocol towards the local cluster.",
    ),
    ConfigDef {
        kind: ConfigType::Pem,
        ..secret(
            "local.ssl.truststore.certificates",
            "In-line PEM CA certificates (local).",
        )
    },
    def(
        "local.ssl.truststore.location",
        Text,
        None,
        "Truststore file (local).",
    ),
    secret(
        "local.ssl.truststore.password",
        "Truststore password (local).",
    ),
    def(
        "local.ssl.truststore.type",
        Enum(STORE_TYPES),
        Some("JKS"),
        "Truststore format (local).",
    ),
    fixed(def(
        "metadata.max.age.ms",
        Long { min: 0 },
        Some("300000"),
        "Source metadata refresh interval: new topics and partitions are seen within it.",
    )),
    def(
        "mirror.start.offset.spec",
        ConfigType::StartOffsetSpec,
        Some("earliest"),
        "Where new mirrors start: earliest, latest or an ISO-8601 timestamp.",
    ),
    fixed(def(
        "num.cluster.link.fetchers",
        Int { min: 1 },
        Some("1"),
        "Fetcher tasks replicating from source brokers.",
    )),
    fixed(def(
        "remote.link.connection.mode",
        Enum(CONNECTION_MODES),
        None,
        "On an OUTBOUND bidirectional side: the peer side's connection mode.",
    )),
    fixed(def(
        "replica.fetch.backoff.ms",
        Int { min: 0 },
        Some("1000"),
        "Wait after a fetch error.",
    )),
    fixed(def(
        "replica.fetch.max.bytes",
        Int { min: 0 },
        Some("5242880"),
        "Bytes fetched per partition and request.",
    )),
    fixed(def(
        "replica.fetch.min.bytes",
        Int { min: 0 },
        Some("1"),
        "Bytes a fetch waits for.",
    )),
    fixed(def(
        "replica.fetch.response.max.bytes",
        Int { min: 0 },
        Some("10485760"),
        "Bytes per fetch response.",
    )),
    fixed(def(
        "replica.fetch.wait.max.ms",
        Int { min: 0 },
        Some("500"),
        "Longest wait of a fetch for min bytes.",
    )),
    def(
        "replica.socket.receive.buffer.bytes",
        Int { min: -1 },
        Some("-1"),
        "Socket receive buffer (-1: the OS default).",
    ),
    fixed(def(
        "replica.socket.timeout.ms",
        Int { min: 0 },
        Some("30000"),
        "Socket timeout of fetches.",
    )),
    fixed(def(
        "request.timeout.ms",
        Int { min: 0 },
        Some("30000"),
        "How long to wait for any one response.",
    )),
    fixed(def(
        "retry.backoff.ms",
        Long { min: 0 },
        Some("100"),
        "Wait before retrying a failed request.",
    )),
    secret(
        "sasl.jaas.config",
        "JAAS login for the remote cluster (PlainLoginModule or ScramLoginModule username and password).",
    ),
    def(
        "sasl.login.callback.handler.class",
        Text,
        None,
        "SASL login callback (remote).",
    ),
    def(
        "sasl.mechanism",
        Enum(SASL_MECHANISMS),
        Some("GSSAPI"),
        "SASL mechanism towards the remote cluster (ferry: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512).",
    ),
    def(
        "sasl.oauthbearer.token.endpoint.url",
        Text,
        None,
        "OAuth token endpoint (remote).",
    ),
    def(
        "security.protocol",
        Enum(SECURITY_PROTOCOLS),
        Some("PLAINTEXT"),
        "Security protocol towards the remote cluster.",
    ),
    fixed(def(
        "socket.connection.setup.timeout.max.ms",
        Long { min: 0 },
        Some("30000"),
        "Longest connection setup timeout.",
    )),
    fixed(def(
        "socket.connection.setup.timeout.ms",
        Long { min: 0 },
        Some("10000"),
        "Connection setup timeout.",
    )),
    def(
        "ssl.ca.location",
        Text,
        None,
        "PEM file of CA certificates to trust (librdkafka's name; ferry).",
    ),
    def(
        "ssl.cipher.suites",
        List,
        None,
        "TLS cipher suites (remote).",
    ),
    def(
        "ssl.enabled.protocols",
        List,
        Some("TLSv1.2,TLSv1.3"),
        "TLS versions (remote).",
    ),
    def(
        "ssl.endpoint.identification.algorithm",
        Enum(IDENTIFICATION),
        Some("https"),
        "Host name verification (remote; empty: off).",
    ),
    secret("ssl.key.password", "Password of the client key (remote)."),
    secret(
        "ssl.keystore.certificate.chain",
        "In-line PEM client certificate chain (remote).",
    ),
    secret("ssl.keystore.key", "In-line PEM client key (remote)."),
    def(
        "ssl.keystore.location",
        Text,
        None,
        "Client keystore file (remote).",
    ),
    secret(
        "ssl.keystore.password",
        "Client keystore password (remote).",
    ),
    def(
        "ssl.keystore.type",
        Enum(STORE_TYPES),
        Some("JKS"),
        "Client keystore format (remote).",
    ),
    def(
        "ssl.protocol",
        Text,
        Some("TLSv1.3"),
        "TLS protocol (remote).",
    ),
    ConfigDef {
        kind: ConfigType::Pem,
        ..secret(
            "ssl.truststore.certificates",
            "In-line PEM CA certificates to trust (remote).",
        )
    },
    def(
        "ssl.truststore.location",
        Text,
        None,
        "Truststore file (remote; ferry reads PEM only).",
    ),
    secret("ssl.truststore.password", "Truststore password (remote)."),
    def(
        "ssl.truststore.type",
        Enum(STORE_TYPES),
        Some("JKS"),
        "Truststore format (remote).",
    ),
    def(
        "topic.config.sync.include",
        List,
        None,
        "Topic configs to sync besides the always-synced ones (default: all syncable).",
    ),
    def(
        "topic.config.sync.ms",
        Int { min: 1 },
        Some("5000"),
        "Topic config sync interval.",
    ),
];

/// The read-only alias of `cluster.link.prefix`; writes to it are ignored.
pub const LINK_PREFIX_SYNONYM: &str = "link.prefix";

/// The keys the `confluent` CLI echoes after creating a link (reference
/// §2.4), none of them secret.
pub const PRINTABLE: &[&str] = &[
    "bootstrap.servers",
    "connection.mode",
    "link.mode",
    "consumer.offset.sync.enable",
    "consumer.offset.group.filters",
    "consumer.offset.sync.ms",
    "consumer.group.prefix.enable",
    "acl.sync.enable",
    "acl.filters",
    "acl.sync.ms",
    "auto.create.mirror.topics.enable",
    "auto.create.mirror.topics.filters",
    "cluster.link.prefix",
    "topic.config.sync.ms",
    "topic.config.sync.include",
    "mirror.start.offset.spec",
    "security.protocol",
    "sasl.mechanism",
    "local.security.protocol",
    "local.sasl.mechanism",
];

/// Topic configs always synced; `topic.config.sync.include` must list them
/// (reference §1.8).
pub const ALWAYS_SYNCED_TOPIC_CONFIGS: &[&str] = ferry_broker::mirror::ALWAYS_SYNCED;

/// A feature switch and the filter config cleared when it is turned off
/// after having been on ("existing filters will be cleared").
pub(crate) const FEATURE_FILTERS: &[(&str, &str)] = &[
    (
        "auto.create.mirror.topics.enable",
        "auto.create.mirror.topics.filters",
    ),
    (
        "consumer.offset.sync.enable",
        "consumer.offset.group.filters",
    ),
    ("acl.sync.enable", "acl.filters"),
];

/// The catalogue entry of `name`.
pub fn config_def(name: &str) -> Option<&'static ConfigDef> {
    CATALOGUE.iter().find(|d| d.name == name)
}

/// Whether a key outside the catalogue is accepted: Kafka client settings
/// under `sasl.`, `ssl.`, `local.sasl.` and `local.ssl.` (stored and listed;
/// ferry's client reads only those it knows). Anything else is refused, so a
/// misspelt key (`consumer.offset.sync.enabled`) is an error, not a no-op.
pub fn is_accepted_extra_key(name: &str) -> bool {
    ["sasl.", "ssl.", "local.sasl.", "local.ssl."]
        .iter()
        .any(|p| name.len() > p.len() && name.starts_with(p))
}

/// Whether a key outside the catalogue holds a secret, judged by its name
/// as Kafka names secrets.
pub fn is_sensitive_name(name: &str) -> bool {
    name.contains("password")
        || name.contains("secret")
        || name.ends_with("jaas.config")
        || name.ends_with("keystore.key")
        || name.ends_with("keystore.certificate.chain")
        || name.ends_with("truststore.certificates")
        || name.ends_with("user.info")
}
