//! Table-driven tests of the properties and `--config` parsers.

use super::*;

/// Expected pairs of a table row.
type Pairs<'a> = &'a [(&'a str, &'a str)];

/// Expected pairs of a table row, owned.
type Expected<'a> = Vec<(&'a str, &'a str)>;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

/// The example file of reference §2.4, verbatim.
const REFERENCE_EXAMPLE: &str = r#"link.mode=DESTINATION
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

#[test]
fn reference_example_file() {
    let parsed = parse_properties(REFERENCE_EXAMPLE).unwrap();
    assert_eq!(parsed.len(), 11);
    assert_eq!(parsed[0], pairs(&[("link.mode", "DESTINATION")])[0]);
    assert_eq!(
        parsed[1].1, "src-broker-1:9092,src-broker-2:9092",
        "commas stay in file values"
    );
    assert_eq!(
        parsed[4].1,
        r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="KEY" password="SECRET";"#
    );
    assert_eq!(
        parsed[7].1,
        r#"{"groupFilters":[{"name":"*","patternType":"LITERAL","filterType":"INCLUDE"}]}"#
    );
    assert_eq!(parsed[10], ("acl.sync.enable".into(), "false".into()));
}

#[test]
fn file_syntax_table() {
    let cases: &[(&str, &str, Pairs<'_>)] = &[
        ("empty text", "", &[]),
        ("blank and comment lines", "\n   \n# a=b\n  # c=d\n", &[]),
        ("line trimmed", "   a=b   ", &[("a", "b")]),
        ("split at first =", "a=b=c==", &[("a", "b=c==")]),
        ("empty value", "a=", &[("a", "")]),
        ("key not trimmed inside", "a =b", &[("a ", "b")]),
        ("value not trimmed inside", "a= b", &[("a", " b")]),
        ("hash inside value", "a=b#c", &[("a", "b#c")]),
        ("bang is not a comment", "!a=b", &[("!a", "b")]),
        ("continuation", "a=b\\\nc", &[("a", "bc")]),
        (
            "continuation keeps the next line's blanks",
            "a=b \\\n   c",
            &[("a", "b    c")],
        ),
        ("continuation over CRLF", "a=b\\\r\nc\r\n", &[("a", "bc")]),
        (
            "double continuation",
            "a=1\\\n2\\\n3\nb=4",
            &[("a", "123"), ("b", "4")],
        ),
        ("backslash on the last line stays", "a=b\\", &[("a", "b\\")]),
        ("escapes", r"a=x\ny\rz\tw", &[("a", "x\ny\rz\tw")]),
        (
            "other backslashes stay",
            r"a=c:\dir\file",
            &[("a", r"c:\dir\file")],
        ),
        ("escaped backslash then n", r"a=\\n", &[("a", "\\\n")]),
        ("CRLF lines", "a=1\r\nb=2\r\n", &[("a", "1"), ("b", "2")]),
        ("byte-order mark dropped", "\u{feff}a=1", &[("a", "1")]),
        (
            "duplicates kept in order",
            "a=1\na=2",
            &[("a", "1"), ("a", "2")],
        ),
        (
            "PEM in one line",
            r"ssl.truststore.certificates=-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            &[(
                "ssl.truststore.certificates",
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            )],
        ),
    ];
    for (what, text, want) in cases {
        assert_eq!(parse_properties(text).unwrap(), pairs(want), "{what}");
    }
}

#[test]
fn file_errors_table() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "no = sign",
            "a=1\nbogus\n",
            "line 2: failed to parse \"key=value\"",
        ),
        ("empty key", "\n\n=value", "line 3: empty key"),
        (
            "continued line numbered by its first line",
            "a=1\\\n2\nnope",
            "line 3:",
        ),
        ("secret-looking line is not echoed", "hunter2", "line 1:"),
    ];
    for (what, text, want) in cases {
        let err = parse_properties(text).unwrap_err();
        assert!(err.0.contains(want), "{what}: {err}");
        assert!(!err.0.contains("hunter2"), "{what}: value echoed: {err}");
    }
}

#[test]
fn config_args_table() {
    let json = r#"{"groupFilters":[{"name":"*","patternType":"LITERAL"}]}"#;
    let cases: Vec<(&str, Vec<String>, Expected<'_>)> = vec![
        ("nothing", vec![], vec![]),
        (
            "reference example, one string",
            strings(&["link.mode=SOURCE,connection.mode=OUTBOUND"]),
            vec![("connection.mode", "OUTBOUND"), ("link.mode", "SOURCE")],
        ),
        (
            "already split by clap",
            strings(&["link.mode=SOURCE", "connection.mode=OUTBOUND"]),
            vec![("connection.mode", "OUTBOUND"), ("link.mode", "SOURCE")],
        ),
        (
            "JSON with commas, one string",
            vec![format!("consumer.offset.group.filters={json},a=b")],
            vec![("a", "b"), ("consumer.offset.group.filters", json)],
        ),
        (
            "JSON with commas, split by clap",
            strings(&[
                r#"consumer.offset.group.filters={"groupFilters":[{"name":"*""#,
                r#""patternType":"LITERAL"}]}"#,
            ]),
            vec![("consumer.offset.group.filters", json)],
        ),
        (
            "bootstrap list glued back",
            strings(&["bootstrap.servers=a:1,b:2,c:3"]),
            vec![("bootstrap.servers", "a:1,b:2,c:3")],
        ),
        (
            "trailing comma glued",
            strings(&["a=1,"]),
            vec![("a", "1,")],
        ),
        ("later wins", strings(&["a=1,a=2"]), vec![("a", "2")]),
        ("split at first =", strings(&["a=b=c"]), vec![("a", "b=c")]),
        (
            "escapes not expanded in flags",
            strings(&[r"a=x\ny"]),
            vec![("a", r"x\ny")],
        ),
    ];
    for (what, items, want) in cases {
        let got = parse_config_args(&items).unwrap();
        let want: BTreeMap<String, String> = want
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want, "{what}");
    }
}

#[test]
fn config_args_errors_table() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "first piece without =",
            &["x,a=1"],
            "failed to parse \"key=value\" pattern from 'x'",
        ),
        (
            "first of several items without =",
            &["x", "a=1"],
            "from 'x'",
        ),
        ("empty key", &["=1"], "empty key"),
        (
            "missing file",
            &["/nonexistent/ferry/link.properties"],
            "reading config file '/nonexistent/ferry/link.properties'",
        ),
    ];
    for (what, items, want) in cases {
        let err = parse_config_args(&strings(items)).unwrap_err();
        assert!(err.0.contains(want), "{what}: {err}");
    }
}

#[test]
fn config_args_read_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("link-config.properties");
    std::fs::write(&path, REFERENCE_EXAMPLE).unwrap();
    let got = parse_config_args(&[path.display().to_string()]).unwrap();
    assert_eq!(got.len(), 11);
    assert_eq!(got["sasl.mechanism"], "PLAIN");
    assert_eq!(
        got["bootstrap.servers"],
        "src-broker-1:9092,src-broker-2:9092"
    );

    let bad = dir.path().join("bad.properties");
    std::fs::write(&bad, "a=1\nb\n").unwrap();
    let err = parse_config_args(&[bad.display().to_string()]).unwrap_err();
    assert!(
        err.0.contains("bad.properties") && err.0.contains("line 2"),
        "{err}"
    );
}

#[test]
fn cli_echo_format() {
    let out = format_key_values(&pairs(&[
        ("link.mode", "DESTINATION"),
        ("bootstrap.servers", "a:1"),
    ]));
    assert_eq!(
        out,
        "\"bootstrap.servers\"=\"a:1\"\n\"link.mode\"=\"DESTINATION\"\n"
    );
    assert_eq!(format_key_values(&[]), "");
}
