//! Table-driven tests of the link config catalogue, validation, listing,
//! alteration and client properties.

use super::*;
use crate::filter::{Filter, FilterType, PatternType};

const JAAS: &str = r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="KEY" password="SECRET";"#;
const ALL_GROUPS: &str =
    r#"{"groupFilters":[{"name":"*","patternType":"LITERAL","filterType":"INCLUDE"}]}"#;
const ORDERS: &str =
    r#"{"topicFilters":[{"name":"orders","patternType":"PREFIXED","filterType":"INCLUDE"}]}"#;
const SYNC_ALL_ACLS: &str = r#"{"aclFilters":[{"resourceFilter":{"resourceType":"any","patternType":"any"},"accessFilter":{"operation":"any","permissionType":"any"}}]}"#;

/// Config pairs of a table row.
type Pairs<'a> = &'a [(&'a str, &'a str)];

/// `bootstrap.servers` plus `pairs`.
fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut m = BTreeMap::from([("bootstrap.servers".to_string(), "src:9092".to_string())]);
    for (k, v) in pairs {
        m.insert((*k).to_string(), (*v).to_string());
    }
    m
}

fn config(pairs: &[(&str, &str)]) -> LinkConfig {
    LinkConfig::new(map(pairs)).unwrap_or_else(|e| panic!("{pairs:?}: {e}"))
}

fn set(name: &str, value: &str) -> LinkConfigChange {
    LinkConfigChange::Set {
        name: name.into(),
        value: value.into(),
    }
}

fn delete(name: &str) -> LinkConfigChange {
    LinkConfigChange::Delete { name: name.into() }
}

#[test]
fn catalogue_is_sorted_unique_and_defaults_are_valid() {
    for pair in CATALOGUE.windows(2) {
        assert!(
            pair[0].name < pair[1].name,
            "{} before {}",
            pair[0].name,
            pair[1].name
        );
    }
    for def in CATALOGUE {
        if let Some(d) = def.default {
            values::check(def, d).unwrap_or_else(|e| panic!("default of {}: {e}", def.name));
        }
        assert!(!def.doc.is_empty(), "{} has no doc", def.name);
        if def.sensitive {
            assert_eq!(
                def.default, None,
                "{} is secret but has a default",
                def.name
            );
        }
    }
    assert!(
        config_def(LINK_PREFIX_SYNONYM).is_none(),
        "link.prefix is an alias, not a key"
    );
    // The empty config's settings are the catalogue defaults.
    LinkConfig::default().settings().unwrap();
}

/// Defaults and flags from reference §2.1 and the captured Confluent Cloud
/// listing: (key, default, sensitive, read-only).
#[test]
fn reference_defaults_table() {
    let cases: &[(&str, Option<&str>, bool, bool)] = &[
        ("link.mode", Some("DESTINATION"), false, true),
        ("connection.mode", Some("OUTBOUND"), false, true),
        ("remote.link.connection.mode", None, false, true),
        ("bootstrap.servers", None, false, false),
        ("security.protocol", Some("PLAINTEXT"), false, false),
        ("sasl.mechanism", Some("GSSAPI"), false, false),
        ("sasl.jaas.config", None, true, false),
        ("sasl.login.callback.handler.class", None, false, false),
        ("sasl.oauthbearer.token.endpoint.url", None, false, false),
        ("ssl.truststore.certificates", None, true, false),
        ("ssl.keystore.key", None, true, false),
        ("ssl.keystore.certificate.chain", None, true, false),
        ("ssl.key.password", None, true, false),
        ("ssl.truststore.password", None, true, false),
        ("ssl.keystore.password", None, true, false),
        ("ssl.truststore.location", None, false, false),
        ("ssl.keystore.location", None, false, false),
        ("ssl.truststore.type", Some("JKS"), false, false),
        ("ssl.keystore.type", Some("JKS"), false, false),
        ("ssl.protocol", Some("TLSv1.3"), false, false),
        (
            "ssl.enabled.protocols",
            Some("TLSv1.2,TLSv1.3"),
            false,
            false,
        ),
        (
            "ssl.endpoint.identification.algorithm",
            Some("https"),
            false,
            false,
        ),
        ("ssl.cipher.suites", None, false, false),
        ("ssl.ca.location", None, false, false),
        ("local.security.protocol", Some("PLAINTEXT"), false, false),
        ("local.sasl.mechanism", Some("GSSAPI"), false, false),
        ("local.sasl.jaas.config", None, true, false),
        ("local.ssl.truststore.certificates", None, true, false),
        ("local.ssl.keystore.key", None, true, false),
        ("local.ssl.key.password", None, true, false),
        ("local.ssl.keystore.certificate.chain", None, true, false),
        ("local.ssl.protocol", Some("TLSv1.3"), false, false),
        (
            "local.ssl.enabled.protocols",
            Some("TLSv1.2,TLSv1.3"),
            false,
            false,
        ),
        (
            "local.ssl.endpoint.identification.algorithm",
            Some("https"),
            false,
            false,
        ),
        ("local.ssl.truststore.type", Some("JKS"), false, false),
        ("local.ssl.keystore.type", Some("JKS"), false, false),
        ("local.listener", None, false, false),
        (
            "local.sasl.login.callback.handler.class",
            None,
            false,
            false,
        ),
        (
            "local.sasl.oauthbearer.token.endpoint.url",
            None,
            false,
            false,
        ),
        ("local.ssl.cipher.suites", None, false, false),
        ("local.ssl.keystore.location", None, false, false),
        ("local.ssl.keystore.password", None, true, false),
        ("local.ssl.truststore.location", None, false, false),
        ("local.ssl.truststore.password", None, true, false),
        ("client.dns.lookup", Some("use_all_dns_ips"), false, false),
        ("cluster.link.prefix", None, false, true),
        ("consumer.group.prefix.enable", Some("false"), false, false),
        ("consumer.offset.sync.enable", Some("false"), false, false),
        ("consumer.offset.group.filters", Some(""), false, false),
        ("consumer.offset.sync.ms", Some("30000"), false, false),
        ("acl.sync.enable", Some("false"), false, false),
        ("acl.filters", Some(""), false, false),
        ("acl.sync.ms", Some("5000"), false, false),
        ("topic.config.sync.ms", Some("5000"), false, false),
        ("topic.config.sync.include", None, false, false),
        (
            "auto.create.mirror.topics.enable",
            Some("false"),
            false,
            false,
        ),
        ("auto.create.mirror.topics.filters", Some(""), false, false),
        ("mirror.start.offset.spec", Some("earliest"), false, false),
        ("cluster.link.retry.timeout.ms", Some("300000"), false, true),
        ("availability.check.ms", Some("60000"), false, false),
        (
            "availability.check.consecutive.failure.threshold",
            Some("5"),
            false,
            false,
        ),
        ("cluster.link.paused", Some("false"), false, false),
        ("num.cluster.link.fetchers", Some("1"), false, true),
        ("replica.fetch.max.bytes", Some("5242880"), false, true),
        ("replica.fetch.min.bytes", Some("1"), false, true),
        (
            "replica.fetch.response.max.bytes",
            Some("10485760"),
            false,
            true,
        ),
        ("replica.fetch.wait.max.ms", Some("500"), false, true),
        ("replica.fetch.backoff.ms", Some("1000"), false, true),
        (
            "replica.socket.receive.buffer.bytes",
            Some("-1"),
            false,
            false,
        ),
        ("replica.socket.timeout.ms", Some("30000"), false, true),
        ("request.timeout.ms", Some("30000"), false, true),
        ("connections.max.idle.ms", Some("600000"), false, true),
        ("metadata.max.age.ms", Some("300000"), false, true),
        ("retry.backoff.ms", Some("100"), false, true),
        (
            "socket.connection.setup.timeout.ms",
            Some("10000"),
            false,
            true,
        ),
        (
            "socket.connection.setup.timeout.max.ms",
            Some("30000"),
            false,
            true,
        ),
    ];
    let listing = LinkConfig::default().describe();
    for (key, default, sensitive, read_only) in cases {
        let def = config_def(key).unwrap_or_else(|| panic!("{key} missing from the catalogue"));
        assert_eq!(def.default, *default, "{key} default");
        assert_eq!(def.sensitive, *sensitive, "{key} sensitive");
        assert_eq!(def.read_only, *read_only, "{key} read-only");
        let e = listing.iter().find(|e| e.name == *key).unwrap();
        let shown = if *sensitive {
            None
        } else {
            default.map(str::to_string)
        };
        assert_eq!(e.value, shown, "{key} listed value");
        assert!(e.is_default && e.source == "DEFAULT_CONFIG", "{key} source");
        assert_eq!(
            (e.is_sensitive, e.is_read_only),
            (*sensitive, *read_only),
            "{key} flags"
        );
    }
    // Every catalogue key is in the table above, so nothing goes unchecked.
    for def in CATALOGUE {
        assert!(
            cases.iter().any(|c| c.0 == def.name),
            "{} not in the table",
            def.name
        );
    }
}

#[test]
fn reference_example_file_makes_a_link() {
    let text = r#"link.mode=DESTINATION
bootstrap.servers=src-broker-1:9092,src-broker-2:9092
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="KEY" password="SECRET";
consumer.offset.sync.enable=true
consumer.offset.sync.ms=30000
consumer.offset.group.filters={"groupFilters":[{"name":"*","patternType":"LITERAL","filterType":"INCLUDE"}]}
auto.create.mirror.topics.enable=true
auto.create.mirror.topics.filters={"topicFilters":[{"name":"orders","patternType":"PREFIXED","filterType":"INCLUDE"}]}
acl.sync.enable=false
"#;
    let pairs = crate::properties::parse_properties(text).unwrap();
    let config = LinkConfig::new(pairs.into_iter().collect()).unwrap();
    let s = config.settings().unwrap();
    assert_eq!(s.link_mode, LinkMode::Destination);
    assert_eq!(s.bootstrap_servers, "src-broker-1:9092,src-broker-2:9092");
    assert!(s.consumer_offset_sync_enable);
    assert_eq!(s.consumer_offset_group_filters, Filters::all());
    assert!(s.auto_create_mirror_topics_enable);
    assert!(s.auto_create_mirror_topics_filters.matches("orders.eu"));
    assert!(!s.auto_create_mirror_topics_filters.matches("payments"));
    assert!(!s.acl_sync_enable);
    let props = config.client_properties();
    assert_eq!(props["security.protocol"], "SASL_SSL");
    assert_eq!(props["sasl.mechanism"], "PLAIN");
    assert_eq!(props["sasl.jaas.config"], JAAS);
    let mut client = ferry_client::ClientConfig::default();
    client.apply_properties(&props).unwrap();
    client.validate().unwrap();
    assert_eq!(client.username.as_deref(), Some("KEY"));
    assert_eq!(
        client.bootstrap,
        vec!["src-broker-1:9092", "src-broker-2:9092"]
    );
    assert!(!client.insecure_skip_verify);
}

#[test]
fn defaults_as_settings() {
    let s = config(&[]).settings().unwrap();
    assert_eq!(s.link_mode, LinkMode::Destination);
    assert_eq!(s.connection_mode, ConnectionMode::Outbound);
    assert_eq!(s.cluster_link_prefix, None);
    assert!(!s.cluster_link_paused);
    assert!(!s.consumer_offset_sync_enable);
    assert_eq!(s.consumer_offset_sync_ms, 30_000);
    assert!(s.consumer_offset_group_filters.is_empty());
    assert!(!s.auto_create_mirror_topics_enable);
    assert!(s.auto_create_mirror_topics_filters.is_empty());
    assert_eq!(s.topic_config_sync_ms, 5000);
    assert_eq!(s.topic_config_sync_include, None);
    assert_eq!(s.mirror_start_offset_spec, StartOffsetSpec::Earliest);
    assert_eq!(s.num_cluster_link_fetchers, 1);
    assert_eq!(s.replica_fetch_max_bytes, 5_242_880);
    assert_eq!(s.replica_fetch_min_bytes, 1);
    assert_eq!(s.replica_fetch_response_max_bytes, 10_485_760);
    assert_eq!(s.replica_fetch_wait_max_ms, 500);
    assert_eq!(s.replica_fetch_backoff_ms, 1000);
    assert_eq!(s.replica_socket_timeout_ms, 30_000);
    assert_eq!(s.retry_backoff_ms, 100);
    assert_eq!(s.metadata_max_age_ms, 300_000);
    assert_eq!(s.availability_check_ms, 60_000);
    assert_eq!(s.availability_check_consecutive_failure_threshold, 5);
    assert_eq!(s.cluster_link_retry_timeout_ms, 300_000);
    assert_eq!(s.request_timeout_ms, 30_000);
    assert_eq!(s.socket_connection_setup_timeout_ms, 10_000);
    assert_eq!(s.connections_max_idle_ms, 600_000);
    assert_eq!(s.acl_sync_ms, 5000);
}

/// Valid configs and one typed value each: (what, pairs, check).
#[test]
fn valid_configs_table() {
    type Check = fn(&LinkSettings) -> bool;
    let cases: &[(&str, Pairs<'_>, Check)] = &[
        (
            "enums any case",
            &[
                ("link.mode", "destination"),
                ("connection.mode", "Outbound"),
            ],
            |s| {
                s.link_mode == LinkMode::Destination
                    && s.connection_mode == ConnectionMode::Outbound
            },
        ),
        ("source mode", &[("link.mode", "SOURCE")], |s| {
            s.link_mode == LinkMode::Source
        }),
        (
            "bidirectional",
            &[
                ("link.mode", "BIDIRECTIONAL"),
                ("cluster.link.prefix", "west."),
            ],
            |s| s.link_mode == LinkMode::Bidirectional,
        ),
        (
            "inbound needs no bootstrap",
            &[("connection.mode", "INBOUND"), ("bootstrap.servers", "")],
            |s| s.connection_mode == ConnectionMode::Inbound && s.bootstrap_servers.is_empty(),
        ),
        (
            "booleans any case",
            &[("cluster.link.paused", "TRUE")],
            |s| s.cluster_link_paused,
        ),
        (
            "boolean with blanks",
            &[("cluster.link.paused", " false ")],
            |s| !s.cluster_link_paused,
        ),
        (
            "offset sync without filters syncs every group",
            &[("consumer.offset.sync.enable", "true")],
            |s| {
                s.consumer_offset_group_filters == Filters::all()
                    && s.consumer_offset_group_filters.matches("any-group")
            },
        ),
        (
            "offset sync with filters keeps them",
            &[
                ("consumer.offset.sync.enable", "true"),
                (
                    "consumer.offset.group.filters",
                    r#"{"groupFilters":[{"name":"app-","patternType":"PREFIXED"}]}"#,
                ),
            ],
            |s| {
                s.consumer_offset_group_filters.matches("app-1")
                    && !s.consumer_offset_group_filters.matches("x")
            },
        ),
        (
            "offset sync minimum",
            &[("consumer.offset.sync.ms", "1000")],
            |s| s.consumer_offset_sync_ms == 1000,
        ),
        ("latest", &[("mirror.start.offset.spec", "latest")], |s| {
            s.mirror_start_offset_spec == StartOffsetSpec::Latest
        }),
        (
            "EARLIEST upper case",
            &[("mirror.start.offset.spec", "EARLIEST")],
            |s| s.mirror_start_offset_spec == StartOffsetSpec::Earliest,
        ),
        (
            "timestamp",
            &[("mirror.start.offset.spec", "2024-05-01T12:00:00Z")],
            |s| s.mirror_start_offset_spec == StartOffsetSpec::Timestamp(1_714_564_800_000),
        ),
        (
            "timestamp with offset and millis",
            &[("mirror.start.offset.spec", "2024-05-01T12:00:00.123+02:00")],
            |s| s.mirror_start_offset_spec == StartOffsetSpec::Timestamp(1_714_557_600_123),
        ),
        (
            "prefix of 12",
            &[("cluster.link.prefix", "abcdefghij._")],
            |s| s.cluster_link_prefix.as_deref() == Some("abcdefghij._"),
        ),
        (
            "empty prefix is unset",
            &[("cluster.link.prefix", "")],
            |s| s.cluster_link_prefix.is_none(),
        ),
        (
            "group prefix with a prefix",
            &[
                ("cluster.link.prefix", "src."),
                ("consumer.group.prefix.enable", "true"),
            ],
            |s| s.consumer_group_prefix_enable,
        ),
        (
            "acl filters without sync are checked and kept",
            &[("acl.filters", SYNC_ALL_ACLS)],
            |s| s.acl_filters.filters.len() == 1 && !s.acl_sync_enable,
        ),
        (
            "topic config include with the always-synced ones",
            &[(
                "topic.config.sync.include",
                "cleanup.policy, max.message.bytes,message.timestamp.type,message.timestamp.difference.max.ms,retention.ms",
            )],
            |s| {
                s.topic_config_sync_include
                    .as_ref()
                    .is_some_and(|v| v.len() == 5 && v[1] == "max.message.bytes")
            },
        ),
        (
            "empty include is the default",
            &[("topic.config.sync.include", "")],
            |s| s.topic_config_sync_include.is_none(),
        ),
        (
            "ipv6 bootstrap",
            &[("bootstrap.servers", "[::1]:9092, h2:9093")],
            |s| s.bootstrap_servers == "[::1]:9092, h2:9093",
        ),
        (
            "negative idle is never",
            &[("connections.max.idle.ms", "-1")],
            |s| s.connections_max_idle_ms == -1,
        ),
        (
            "fetch sizes",
            &[("replica.fetch.max.bytes", "1048576")],
            |s| s.replica_fetch_max_bytes == 1_048_576,
        ),
        (
            "extra sasl key",
            &[("sasl.kerberos.service.name", "kafka")],
            |_| true,
        ),
        (
            "extra local ssl key",
            &[("local.ssl.keymanager.algorithm", "PKIX")],
            |_| true,
        ),
        (
            "local keys are only stored",
            &[
                ("local.security.protocol", "SASL_SSL"),
                ("local.sasl.mechanism", "PLAIN"),
                ("local.listener", "SASL_SSL"),
            ],
            |_| true,
        ),
        (
            "dns lookup",
            &[(
                "client.dns.lookup",
                "RESOLVE_CANONICAL_BOOTSTRAP_SERVERS_ONLY",
            )],
            |_| true,
        ),
        (
            "identification off",
            &[("ssl.endpoint.identification.algorithm", "")],
            |_| true,
        ),
        (
            "SCRAM",
            &[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "scram-sha-512"),
                ("sasl.jaas.config", JAAS),
            ],
            |_| true,
        ),
        (
            "librdkafka credentials",
            &[
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "PLAIN"),
                ("sasl.username", "k"),
                ("sasl.password", "s"),
            ],
            |_| true,
        ),
        (
            "GSSAPI allowed without SASL",
            &[("sasl.mechanism", "GSSAPI")],
            |_| true,
        ),
        (
            "PEM truststore by type",
            &[
                ("ssl.truststore.location", "/etc/ca.crt"),
                ("ssl.truststore.type", "PEM"),
            ],
            |_| true,
        ),
        (
            "PEM truststore by name",
            &[("ssl.truststore.location", "/etc/ca.pem")],
            |_| true,
        ),
        (
            "in-line certificates",
            &[(
                "ssl.truststore.certificates",
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            )],
            |_| true,
        ),
        (
            "remote connection mode",
            &[
                ("link.mode", "BIDIRECTIONAL"),
                ("remote.link.connection.mode", "INBOUND"),
            ],
            |_| true,
        ),
    ];
    for (what, pairs, check) in cases {
        let s = LinkConfig::new(map(pairs))
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .settings()
            .unwrap();
        assert!(check(&s), "{what}: {s:?}");
    }
}

/// Invalid configs: (what, pairs, text the message must contain).
#[test]
fn invalid_configs_table() {
    let cases: &[(&str, Pairs<'_>, &str)] = &[
        (
            "unknown key",
            &[("consumer.offset.sync.enabled", "true")],
            "Unknown cluster link configuration 'consumer.offset.sync.enabled'",
        ),
        (
            "bare prefix is not an extra key",
            &[("ssl.", "x")],
            "Unknown cluster link configuration 'ssl.'",
        ),
        (
            "other client keys",
            &[("client.id", "x")],
            "Unknown cluster link configuration 'client.id'",
        ),
        (
            "CLI-only dest.cluster.id",
            &[("dest.cluster.id", "x")],
            "Unknown cluster link configuration 'dest.cluster.id'",
        ),
        (
            "bad boolean",
            &[("cluster.link.paused", "yes")],
            "Invalid value 'yes' for configuration cluster.link.paused: expected true or false",
        ),
        (
            "bad int",
            &[("consumer.offset.sync.ms", "often")],
            "Invalid value 'often' for configuration consumer.offset.sync.ms: expected a 32-bit integer",
        ),
        (
            "int overflow",
            &[("replica.fetch.max.bytes", "3000000000")],
            "configuration replica.fetch.max.bytes: expected a 32-bit integer",
        ),
        (
            "offset sync below 1000",
            &[("consumer.offset.sync.ms", "999")],
            "consumer.offset.sync.ms: must be at least 1000",
        ),
        (
            "zero fetchers",
            &[("num.cluster.link.fetchers", "0")],
            "num.cluster.link.fetchers: must be at least 1",
        ),
        (
            "negative timeout",
            &[("request.timeout.ms", "-5")],
            "request.timeout.ms: must be at least 0",
        ),
        (
            "bad long",
            &[("metadata.max.age.ms", "1.5")],
            "metadata.max.age.ms: expected a 64-bit integer",
        ),
        (
            "link mode",
            &[("link.mode", "MIRROR")],
            "Invalid value 'MIRROR' for configuration link.mode: expected one of DESTINATION, SOURCE, BIDIRECTIONAL",
        ),
        (
            "connection mode",
            &[("connection.mode", "OUT")],
            "connection.mode: expected one of OUTBOUND, INBOUND",
        ),
        (
            "security protocol",
            &[("security.protocol", "TLS")],
            "security.protocol: expected one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
        ),
        (
            "sasl mechanism",
            &[("sasl.mechanism", "SCRAM")],
            "sasl.mechanism: expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, GSSAPI, OAUTHBEARER",
        ),
        (
            "local security protocol",
            &[("local.security.protocol", "x")],
            "local.security.protocol: expected one of",
        ),
        (
            "identification algorithm",
            &[("ssl.endpoint.identification.algorithm", "none")],
            "ssl.endpoint.identification.algorithm: expected one of https, \"\"",
        ),
        (
            "truststore type",
            &[("ssl.truststore.type", "P12")],
            "ssl.truststore.type: expected one of JKS, PKCS12, PEM",
        ),
        (
            "dns lookup",
            &[("client.dns.lookup", "default")],
            "client.dns.lookup: expected one of",
        ),
        (
            "topic filters",
            &[(
                "auto.create.mirror.topics.filters",
                r#"{"topicFilters":[{"name":"a","patternType":"ANY"}]}"#,
            )],
            "configuration auto.create.mirror.topics.filters: topicFilters[0].patternType: 'ANY' is not allowed",
        ),
        (
            "group filters null",
            &[("consumer.offset.group.filters", r#"{"groupFilters":null}"#)],
            "configuration consumer.offset.group.filters: \"groupFilters\" must not be null",
        ),
        (
            "acl filters",
            &[("acl.filters", r#"{"aclFilters":[]}"#)],
            "configuration acl.filters: \"aclFilters\" must not be empty",
        ),
        (
            "start spec word",
            &[("mirror.start.offset.spec", "beginning")],
            "mirror.start.offset.spec: expected earliest, latest or an ISO-8601 timestamp",
        ),
        (
            "start spec without zone",
            &[("mirror.start.offset.spec", "2024-05-01T12:00:00")],
            "a zone is required",
        ),
        (
            "start spec bad day",
            &[("mirror.start.offset.spec", "2023-02-29T00:00:00Z")],
            "day 29 does not exist in 2023-02",
        ),
        (
            "prefix too long",
            &[("cluster.link.prefix", "abcdefghijklm")],
            "Invalid value 'abcdefghijklm' for configuration cluster.link.prefix: at most 12 characters",
        ),
        (
            "prefix character",
            &[("cluster.link.prefix", "a/b")],
            "cluster.link.prefix: '/' is not allowed in a topic name",
        ),
        (
            "bootstrap without port",
            &[("bootstrap.servers", "src")],
            "bootstrap.servers: 'src' is not host:port",
        ),
        (
            "bootstrap bad port",
            &[("bootstrap.servers", "a:1,b:99999")],
            "'b:99999' has no valid port",
        ),
        (
            "bootstrap with a scheme",
            &[("bootstrap.servers", "SASL_SSL://a:1")],
            "is not host:port",
        ),
        (
            "bootstrap required",
            &[("bootstrap.servers", " ")],
            "bootstrap.servers is required for connection.mode=OUTBOUND",
        ),
        (
            "group prefix without prefix",
            &[("consumer.group.prefix.enable", "true")],
            "consumer.group.prefix.enable=true requires cluster.link.prefix",
        ),
        (
            "group prefix on bidirectional",
            &[
                ("link.mode", "BIDIRECTIONAL"),
                ("cluster.link.prefix", "w."),
                ("consumer.group.prefix.enable", "true"),
            ],
            "not allowed on BIDIRECTIONAL links",
        ),
        (
            "acl sync without filters",
            &[("acl.sync.enable", "true")],
            "ACL migration is enabled but acl.filters is not set",
        ),
        (
            "acl sync with a prefix",
            &[
                ("acl.sync.enable", "true"),
                ("acl.filters", SYNC_ALL_ACLS),
                ("cluster.link.prefix", "p."),
            ],
            "cannot be combined with cluster.link.prefix",
        ),
        (
            "acl sync not supported",
            &[("acl.sync.enable", "true"), ("acl.filters", SYNC_ALL_ACLS)],
            "ferry does not sync ACLs yet",
        ),
        (
            "include misses always-synced",
            &[("topic.config.sync.include", "retention.ms,cleanup.policy")],
            "missing: max.message.bytes, message.timestamp.type, message.timestamp.difference.max.ms",
        ),
        (
            "SASL with Kafka's default mechanism",
            &[
                ("security.protocol", "SASL_SSL"),
                ("sasl.jaas.config", JAAS),
            ],
            "sasl.mechanism=GSSAPI (Kafka's default; set sasl.mechanism)",
        ),
        (
            "SASL with OAUTHBEARER",
            &[
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "OAUTHBEARER"),
            ],
            "supports PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512",
        ),
        (
            "SASL without credentials",
            &[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "PLAIN"),
            ],
            "security.protocol=SASL_PLAINTEXT needs sasl.jaas.config",
        ),
        (
            "SASL with half librdkafka credentials",
            &[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "PLAIN"),
                ("sasl.username", "u"),
            ],
            "needs sasl.jaas.config",
        ),
        (
            "JAAS without password",
            &[
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "PLAIN"),
                (
                    "sasl.jaas.config",
                    "x.PlainLoginModule required username=\"u\";",
                ),
            ],
            "Invalid value for configuration sasl.jaas.config: ",
        ),
        (
            "two trust sources",
            &[
                ("ssl.ca.location", "/a.pem"),
                ("ssl.truststore.location", "/b.pem"),
            ],
            "set only one of ssl.ca.location, ssl.truststore.location",
        ),
        (
            "JKS truststore",
            &[("ssl.truststore.location", "/etc/trust.jks")],
            "ferry reads PEM truststores only",
        ),
        (
            "in-line certificate not PEM",
            &[("ssl.truststore.certificates", "MIIB")],
            "Invalid value for configuration ssl.truststore.certificates: expected PEM certificates",
        ),
        (
            "keystore",
            &[("ssl.keystore.location", "/k.jks")],
            "ssl.keystore.location: client certificates (mutual TLS)",
        ),
        (
            "in-line key",
            &[("ssl.keystore.key", "-----BEGIN PRIVATE KEY-----")],
            "ssl.keystore.key: client certificates",
        ),
    ];
    for (what, pairs, want) in cases {
        let err = LinkConfig::new(map(pairs)).unwrap_err();
        assert!(err.0.contains(want), "{what}: got '{err}', want '{want}'");
    }
}

#[test]
fn secrets_never_appear_in_errors() {
    let cases: &[&[(&str, &str)]] = &[
        &[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
            ("sasl.jaas.config", "hunter2"),
        ],
        &[("ssl.truststore.certificates", "hunter2")],
        &[("local.ssl.truststore.certificates", "hunter2")],
    ];
    for pairs in cases {
        let err = LinkConfig::new(map(pairs)).unwrap_err();
        assert!(!err.0.contains("hunter2"), "{pairs:?}: {err}");
    }
}

#[test]
fn link_prefix_is_an_ignored_alias_at_creation() {
    let c = config(&[("link.prefix", "x.")]);
    assert!(!c.explicit().contains_key("link.prefix"));
    assert_eq!(c.get("link.prefix"), None);
    let c = config(&[("cluster.link.prefix", "src.")]);
    assert_eq!(c.get("link.prefix").as_deref(), Some("src."));
}

#[test]
fn get_reads_explicit_then_default() {
    let c = config(&[("consumer.offset.sync.ms", "5000")]);
    let cases: &[(&str, Option<&str>)] = &[
        ("consumer.offset.sync.ms", Some("5000")),
        ("topic.config.sync.ms", Some("5000")),
        ("link.mode", Some("DESTINATION")),
        ("bootstrap.servers", Some("src:9092")),
        ("cluster.link.prefix", None),
        ("sasl.jaas.config", None),
        ("no.such.key", None),
    ];
    for (key, want) in cases {
        assert_eq!(c.get(key).as_deref(), *want, "{key}");
    }
}

#[test]
fn describe_lists_everything_sorted_without_secrets() {
    let c = config(&[
        ("security.protocol", "SASL_SSL"),
        ("sasl.mechanism", "PLAIN"),
        ("sasl.jaas.config", JAAS),
        ("cluster.link.prefix", "src."),
        ("sasl.kerberos.service.name", "kafka"),
        ("ssl.custom.password", "pw"),
    ]);
    let listing = c.describe();
    let names: Vec<&str> = listing.iter().map(|e| e.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "sorted by name");
    assert_eq!(
        listing.len(),
        CATALOGUE.len() + 3,
        "catalogue + link.prefix + two extra keys"
    );
    let find = |n: &str| listing.iter().find(|e| e.name == n).unwrap();
    // (name, value, is_default, is_read_only, is_sensitive, source, synonyms)
    type Row<'a> = (
        &'a str,
        Option<&'a str>,
        bool,
        bool,
        bool,
        &'a str,
        &'a [&'a str],
    );
    let rows: &[Row<'_>] = &[
        (
            "bootstrap.servers",
            Some("src:9092"),
            false,
            false,
            false,
            "DYNAMIC_CLUSTER_LINK_CONFIG",
            &[],
        ),
        (
            "sasl.jaas.config",
            None,
            false,
            false,
            true,
            "DYNAMIC_CLUSTER_LINK_CONFIG",
            &[],
        ),
        (
            "sasl.mechanism",
            Some("PLAIN"),
            false,
            false,
            false,
            "DYNAMIC_CLUSTER_LINK_CONFIG",
            &[],
        ),
        (
            "link.mode",
            Some("DESTINATION"),
            true,
            true,
            false,
            "DEFAULT_CONFIG",
            &[],
        ),
        (
            "cluster.link.prefix",
            Some("src."),
            false,
            true,
            false,
            "DYNAMIC_CLUSTER_LINK_CONFIG",
            &["link.prefix"],
        ),
        (
            "link.prefix",
            Some("src."),
            false,
            true,
            false,
            "DYNAMIC_CLUSTER_LINK_CONFIG",
            &["cluster.link.prefix"],
        ),
        (
            "ssl.keystore.key",
            None,
            true,
            false,
            true,
            "DEFAULT_CONFIG",
            &[],
        ),
        (
            "ssl.ca.location",
            None,
            true,
            false,
            false,
            "DEFAULT_CONFIG",
            &[],
        ),
        (
            "consumer.offset.group.filters",
            Some(""),
            true,
            false,
            false,
            "DEFAULT_CONFIG",
            &[],
        ),
        (
            "sasl.kerberos.service.name",
            Some("kafka"),
            false,
            false,
            false,
            "DYNAMIC_CLUSTER_LINK_CONFIG",
            &[],
        ),
        (
            "ssl.custom.password",
            None,
            false,
            false,
            true,
            "DYNAMIC_CLUSTER_LINK_CONFIG",
            &[],
        ),
    ];
    for (name, value, is_default, read_only, sensitive, source, synonyms) in rows {
        let e = find(name);
        assert_eq!(e.value.as_deref(), *value, "{name} value");
        assert_eq!(e.is_default, *is_default, "{name} is_default");
        assert_eq!(e.is_read_only, *read_only, "{name} is_read_only");
        assert_eq!(e.is_sensitive, *sensitive, "{name} is_sensitive");
        assert_eq!(e.source, *source, "{name} source");
        assert_eq!(e.synonyms, synonyms.to_vec(), "{name} synonyms");
    }
    let json = serde_json::to_string(&listing).unwrap();
    assert!(
        !json.contains("SECRET") && !json.contains("\"pw\""),
        "a secret leaked: {json}"
    );
    // An unset prefix: both listed with a null value, as Confluent lists it.
    let plain = config(&[]).describe();
    for name in ["cluster.link.prefix", "link.prefix"] {
        let e = plain.iter().find(|e| e.name == name).unwrap();
        assert_eq!((e.value.as_deref(), e.is_default), (None, true), "{name}");
    }
}

/// (what, starting pairs, changes, expected explicit pairs after, or the
/// error text).
#[test]
fn alter_table() {
    type Case<'a> = (
        &'a str,
        &'a [(&'a str, &'a str)],
        Vec<LinkConfigChange>,
        Result<&'a [(&'a str, &'a str)], &'a str>,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "set a value",
            &[],
            vec![set("consumer.offset.sync.ms", "60000")],
            Ok(&[("consumer.offset.sync.ms", "60000")]),
        ),
        (
            "delete resets",
            &[("consumer.offset.sync.ms", "60000")],
            vec![delete("consumer.offset.sync.ms")],
            Ok(&[]),
        ),
        (
            "delete of an unset key",
            &[],
            vec![delete("cluster.link.paused")],
            Ok(&[]),
        ),
        (
            "several at once",
            &[],
            vec![
                set("cluster.link.paused", "true"),
                set("topic.config.sync.ms", "1000"),
            ],
            Ok(&[
                ("cluster.link.paused", "true"),
                ("topic.config.sync.ms", "1000"),
            ]),
        ),
        (
            "later change wins",
            &[],
            vec![
                set("cluster.link.paused", "true"),
                set("cluster.link.paused", "false"),
            ],
            Ok(&[("cluster.link.paused", "false")]),
        ),
        (
            "link.prefix ignored",
            &[],
            vec![set("link.prefix", "x.")],
            Ok(&[]),
        ),
        (
            "link.prefix delete ignored",
            &[("cluster.link.prefix", "p.")],
            vec![delete("link.prefix")],
            Ok(&[("cluster.link.prefix", "p.")]),
        ),
        (
            "link.mode",
            &[],
            vec![set("link.mode", "SOURCE")],
            Err("link.mode cannot be changed after the cluster link is created"),
        ),
        (
            "connection.mode",
            &[],
            vec![set("connection.mode", "INBOUND")],
            Err("connection.mode cannot be changed after the cluster link is created"),
        ),
        (
            "cluster.link.prefix set",
            &[],
            vec![set("cluster.link.prefix", "p.")],
            Err("cluster.link.prefix cannot be changed after the cluster link is created"),
        ),
        (
            "cluster.link.prefix delete",
            &[("cluster.link.prefix", "p.")],
            vec![delete("cluster.link.prefix")],
            Err("cluster.link.prefix cannot be changed"),
        ),
        (
            "retry timeout",
            &[],
            vec![set("cluster.link.retry.timeout.ms", "1000")],
            Err("cluster.link.retry.timeout.ms cannot be changed"),
        ),
        (
            "fetchers",
            &[],
            vec![set("num.cluster.link.fetchers", "4")],
            Err("num.cluster.link.fetchers cannot be changed"),
        ),
        (
            "fetch size",
            &[],
            vec![set("replica.fetch.max.bytes", "1")],
            Err("replica.fetch.max.bytes cannot be changed"),
        ),
        (
            "same link.mode again is fine",
            &[],
            vec![set("link.mode", "destination")],
            Ok(&[]),
        ),
        (
            "same prefix again is fine",
            &[("cluster.link.prefix", "p.")],
            vec![set("cluster.link.prefix", "p.")],
            Ok(&[("cluster.link.prefix", "p.")]),
        ),
        (
            "unknown key",
            &[],
            vec![set("consumer.offset.sync.enabled", "true")],
            Err("Unknown cluster link configuration 'consumer.offset.sync.enabled'"),
        ),
        (
            "unknown key delete",
            &[],
            vec![delete("nope")],
            Err("Unknown cluster link configuration 'nope'"),
        ),
        (
            "bad value",
            &[],
            vec![set("consumer.offset.sync.ms", "10")],
            Err("must be at least 1000"),
        ),
        (
            "bootstrap removal",
            &[],
            vec![delete("bootstrap.servers")],
            Err("bootstrap.servers is required"),
        ),
        (
            "disabling auto-create clears its filters",
            &[
                ("auto.create.mirror.topics.enable", "true"),
                ("auto.create.mirror.topics.filters", ORDERS),
            ],
            vec![set("auto.create.mirror.topics.enable", "false")],
            Ok(&[("auto.create.mirror.topics.enable", "false")]),
        ),
        (
            "resetting auto-create clears its filters",
            &[
                ("auto.create.mirror.topics.enable", "true"),
                ("auto.create.mirror.topics.filters", ORDERS),
            ],
            vec![delete("auto.create.mirror.topics.enable")],
            Ok(&[]),
        ),
        (
            "disabling offset sync clears group filters",
            &[
                ("consumer.offset.sync.enable", "true"),
                ("consumer.offset.group.filters", ALL_GROUPS),
            ],
            vec![set("consumer.offset.sync.enable", "FALSE")],
            Ok(&[("consumer.offset.sync.enable", "FALSE")]),
        ),
        (
            "filters set in the same request are kept",
            &[
                ("consumer.offset.sync.enable", "true"),
                ("consumer.offset.group.filters", ALL_GROUPS),
            ],
            vec![
                set("consumer.offset.sync.enable", "false"),
                set("consumer.offset.group.filters", ALL_GROUPS),
            ],
            Ok(&[
                ("consumer.offset.group.filters", ALL_GROUPS),
                ("consumer.offset.sync.enable", "false"),
            ]),
        ),
        (
            "filters of a feature that was never on stay",
            &[("auto.create.mirror.topics.filters", ORDERS)],
            vec![set("auto.create.mirror.topics.enable", "false")],
            Ok(&[
                ("auto.create.mirror.topics.enable", "false"),
                ("auto.create.mirror.topics.filters", ORDERS),
            ]),
        ),
        (
            "other changes keep the filters",
            &[
                ("auto.create.mirror.topics.enable", "true"),
                ("auto.create.mirror.topics.filters", ORDERS),
            ],
            vec![set("cluster.link.paused", "true")],
            Ok(&[
                ("auto.create.mirror.topics.enable", "true"),
                ("auto.create.mirror.topics.filters", ORDERS),
                ("cluster.link.paused", "true"),
            ]),
        ),
    ];
    for (what, start, changes, want) in cases {
        let before = config(start);
        let got = before.alter(&changes);
        match want {
            Ok(pairs) => {
                let got = got.unwrap_or_else(|e| panic!("{what}: {e}"));
                let mut expected = map(pairs);
                if !pairs.iter().any(|(k, _)| *k == "bootstrap.servers") {
                    expected.insert("bootstrap.servers".into(), "src:9092".into());
                }
                assert_eq!(got.explicit(), &expected, "{what}");
            }
            Err(text) => {
                let err = got.unwrap_err();
                assert!(err.0.contains(text), "{what}: got '{err}', want '{text}'");
            }
        }
        assert_eq!(before, config(start), "{what}: alter changed the original");
    }
}

#[test]
fn client_properties_table() {
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [(&'a str, &'a str)]);
    let cases: &[Case<'_>] = &[
        (
            "plaintext",
            &[],
            &[
                ("bootstrap.servers", "src:9092"),
                ("request.timeout.ms", "30000"),
                ("security.protocol", "PLAINTEXT"),
            ],
        ),
        (
            "SASL keys only with SASL",
            &[
                ("sasl.mechanism", "PLAIN"),
                ("sasl.jaas.config", JAAS),
                ("ssl.ca.location", "/ca.pem"),
            ],
            &[
                ("bootstrap.servers", "src:9092"),
                ("request.timeout.ms", "30000"),
                ("security.protocol", "PLAINTEXT"),
            ],
        ),
        (
            "SASL_SSL with a CA file",
            &[
                ("security.protocol", "sasl_ssl"),
                ("sasl.mechanism", "scram-sha-256"),
                ("sasl.jaas.config", JAAS),
                ("ssl.ca.location", "/ca.pem"),
                ("request.timeout.ms", "5000"),
            ],
            &[
                ("bootstrap.servers", "src:9092"),
                ("request.timeout.ms", "5000"),
                ("sasl.jaas.config", JAAS),
                ("sasl.mechanism", "SCRAM-SHA-256"),
                ("security.protocol", "SASL_SSL"),
                ("ssl.ca.location", "/ca.pem"),
                ("ssl.endpoint.identification.algorithm", "https"),
            ],
        ),
        (
            "PEM truststore becomes ssl.ca.location",
            &[
                ("security.protocol", "SSL"),
                ("ssl.truststore.location", "/ca.crt"),
                ("ssl.truststore.type", "PEM"),
                ("ssl.endpoint.identification.algorithm", ""),
            ],
            &[
                ("bootstrap.servers", "src:9092"),
                ("request.timeout.ms", "30000"),
                ("security.protocol", "SSL"),
                ("ssl.ca.location", "/ca.crt"),
                ("ssl.endpoint.identification.algorithm", ""),
            ],
        ),
        (
            "in-line certificates become ssl.ca.pem",
            &[
                ("security.protocol", "SSL"),
                ("ssl.truststore.certificates", pem),
            ],
            &[
                ("bootstrap.servers", "src:9092"),
                ("request.timeout.ms", "30000"),
                ("security.protocol", "SSL"),
                ("ssl.ca.pem", pem),
                ("ssl.endpoint.identification.algorithm", "https"),
            ],
        ),
        (
            "librdkafka credentials",
            &[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "PLAIN"),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
            ],
            &[
                ("bootstrap.servers", "src:9092"),
                ("request.timeout.ms", "30000"),
                ("sasl.mechanism", "PLAIN"),
                ("sasl.password", "p"),
                ("sasl.username", "u"),
                ("security.protocol", "SASL_PLAINTEXT"),
            ],
        ),
    ];
    for (what, pairs, want) in cases {
        let got = config(pairs).client_properties();
        let want: BTreeMap<String, String> = want
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        assert_eq!(got, want, "{what}");
        // ferry's client accepts every one of them (file reads aside).
        let mut client = ferry_client::ClientConfig::default();
        let readable: BTreeMap<String, String> = got
            .into_iter()
            .filter(|(k, _)| k != "ssl.ca.location")
            .collect();
        client
            .apply_properties(&readable)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        client.validate().unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    // The in-line PEM arrives as the client's CA.
    let mut client = ferry_client::ClientConfig::default();
    client
        .apply_properties(
            &config(&[
                ("security.protocol", "SSL"),
                ("ssl.truststore.certificates", pem),
            ])
            .client_properties(),
        )
        .unwrap();
    assert_eq!(client.ca_pem.as_deref(), Some(pem.as_bytes()));
}

#[test]
fn printable_configs_are_the_cli_allow_list() {
    let c = config(&[
        ("link.mode", "DESTINATION"),
        ("security.protocol", "SASL_SSL"),
        ("sasl.mechanism", "PLAIN"),
        ("sasl.jaas.config", JAAS),
        ("consumer.offset.sync.enable", "true"),
        ("cluster.link.paused", "true"),
        ("local.security.protocol", "SASL_SSL"),
    ]);
    let want: Vec<(String, String)> = [
        ("bootstrap.servers", "src:9092"),
        ("consumer.offset.sync.enable", "true"),
        ("link.mode", "DESTINATION"),
        ("local.security.protocol", "SASL_SSL"),
        ("sasl.mechanism", "PLAIN"),
        ("security.protocol", "SASL_SSL"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
    .collect();
    assert_eq!(c.printable_configs(), want);
    assert_eq!(PRINTABLE.len(), 20);
    for key in PRINTABLE {
        assert!(config_def(key).is_some_and(|d| !d.sensitive), "{key}");
    }
}

#[test]
fn link_names_table() {
    let long_ok = "a".repeat(200);
    let too_long = "a".repeat(201);
    let cases: &[(&str, Result<(), &str>)] = &[
        ("my-link", Ok(())),
        ("A.b_c-9", Ok(())),
        ("...", Ok(())),
        (&long_ok, Ok(())),
        ("", Err("must not be empty")),
        (".", Err("cannot be '.'")),
        ("..", Err("cannot be '..'")),
        (&too_long, Err("longer than 200 characters")),
        ("a/b", Err("'/' is not allowed")),
        ("a b", Err("' ' is not allowed")),
        ("é", Err("'é' is not allowed")),
        ("a:b", Err("':' is not allowed")),
    ];
    for (name, want) in cases {
        match (validate_link_name(name), want) {
            (Ok(()), Ok(())) => {}
            (Err(e), Err(text)) => assert!(e.0.contains(text), "{name}: got '{e}', want '{text}'"),
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn iso8601_table() {
    let cases: &[(&str, Result<i64, &str>)] = &[
        ("2024-05-01T12:00:00Z", Ok(1_714_564_800_000)),
        ("2024-05-01T12:00:00.123+02:00", Ok(1_714_557_600_123)),
        ("1970-01-01T00:00:00Z", Ok(0)),
        ("1970-01-01T00:00:00.001Z", Ok(1)),
        ("2000-02-29T23:59:59Z", Ok(951_868_799_000)),
        ("2024-05-01t12:00z", Ok(1_714_564_800_000)),
        ("2024-05-01T12:00:00.5Z", Ok(1_714_564_800_500)),
        ("2024-05-01T12:00:00.123456789Z", Ok(1_714_564_800_123)),
        ("2024-05-01T12:00:00,25Z", Ok(1_714_564_800_250)),
        ("2024-05-01T12:00:00-0130", Ok(1_714_570_200_000)),
        ("2024-05-01T12:00:00+05", Ok(1_714_546_800_000)),
        ("2024-12-31T23:59:59Z", Ok(1_735_689_599_000)),
        ("2100-03-01T00:00:00Z", Ok(4_107_542_400_000)),
        ("2024-05-01T12:00:00", Err("a zone is required")),
        ("2024-05-01 12:00:00Z", Err("expected 'T'")),
        ("2024-5-01T12:00:00Z", Err("2 digits for the month")),
        ("2024-13-01T12:00:00Z", Err("month 13")),
        (
            "2100-02-29T00:00:00Z",
            Err("day 29 does not exist in 2100-02"),
        ),
        ("2024-04-31T00:00:00Z", Err("day 31")),
        ("2024-05-01T24:00:00Z", Err("does not exist")),
        ("2024-05-01T12:60:00Z", Err("does not exist")),
        ("2024-05-01T12:00:00.Z", Err("1 to 9 digits")),
        ("2024-05-01T12:00:00.1234567890Z", Err("1 to 9 digits")),
        ("2024-05-01T12:00:00+19:00", Err("±18:00")),
        ("2024-05-01T12:00:00+02:", Err("offset minutes")),
        ("2024-05-01T12:00:00Zjunk", Err("unexpected characters")),
        ("2024-05-01T12:00:00X", Err("expected Z or an offset")),
        ("1969-12-31T23:59:59Z", Err("before 1970")),
        ("", Err("4 digits for the year")),
        ("now", Err("4 digits for the year")),
    ];
    for (text, want) in cases {
        match (parse_iso8601_millis(text), want) {
            (Ok(got), Ok(want)) => assert_eq!(got, *want, "{text}"),
            (Err(e), Err(w)) => assert!(e.contains(w), "{text}: got '{e}', want '{w}'"),
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn filters_reach_the_settings() {
    let s = config(&[
        ("auto.create.mirror.topics.enable", "true"),
        (
            "auto.create.mirror.topics.filters",
            r#"{"topicFilters":[{"name":"*","patternType":"LITERAL"},{"name":"_","patternType":"PREFIXED","filterType":"EXCLUDE"}]}"#,
        ),
    ])
    .settings()
    .unwrap();
    assert_eq!(
        s.auto_create_mirror_topics_filters.filters[1],
        Filter {
            name: "_".into(),
            pattern_type: PatternType::Prefixed,
            filter_type: FilterType::Exclude
        }
    );
    assert!(s.auto_create_mirror_topics_filters.matches("orders"));
    assert!(!s.auto_create_mirror_topics_filters.matches("_schemas"));
}
