//! Schema-aware `ferry kafka topic produce|consume` end to end: a real
//! `ferry server` serving its schema registry, the CLI run as separate
//! processes. Avro, JSON Schema and Protobuf records produced by the CLI
//! come back from the CLI's consume as the JSON that went in; ids from a
//! schema context decode; records that are not decodable are reported on
//! stderr with their partition and offset and consumption goes on; a line
//! that does not fit the schema stops produce.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{CliOutput, FerryServer, ferry_cli, ferry_cli_with_stdin, http, wait_for};
use serde_json::Value;

/// Guard against a hung command; not an assertion on speed.
const HANG_GUARD: Duration = Duration::from_secs(120);

const ORDER_AVSC: &str = r#"{"type":"record","name":"Order","namespace":"ferry.test","fields":[
  {"name":"orderid","type":"int"},
  {"name":"itemid","type":"string"},
  {"name":"orderunits","type":"double"},
  {"name":"note","type":["null","string"],"default":null},
  {"name":"address","type":{"type":"record","name":"Address","fields":[
     {"name":"city","type":"string"},{"name":"zipcode","type":"long"}]}}]}"#;

const ORDERS: [&str; 3] = [
    r#"{"orderid":1,"itemid":"Item_1","orderunits":2.5,"note":null,"address":{"city":"City_1","zipcode":12345}}"#,
    r#"{"orderid":2,"itemid":"Item_2","orderunits":0.25,"note":"fragile","address":{"city":"City_2","zipcode":99999}}"#,
    r#"{"orderid":3,"itemid":"Item_3","orderunits":10.0,"note":null,"address":{"city":"City_3","zipcode":1}}"#,
];

/// A server with its registry on a free loopback port, and the registry URL.
fn server_with_registry() -> (FerryServer, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let listeners = format!("schema.registry.listeners=http://127.0.0.1:{port}");
    let server = FerryServer::start(&[listeners.as_str()]);
    let url = format!("http://127.0.0.1:{port}");
    wait_for("the schema registry", Duration::from_secs(30), || {
        http("GET", &format!("{url}/subjects"), None)
            .ok()
            .filter(|(status, _)| *status == 200)
    });
    (server, url)
}

fn run(args: &[&str], stdin: Option<&str>) -> CliOutput {
    ferry_cli_with_stdin(args, stdin, HANG_GUARD)
}

fn ok(args: &[&str], stdin: Option<&str>) -> CliOutput {
    let out = run(args, stdin);
    assert!(
        out.success(),
        "ferry {args:?} failed ({:?}):\n{}\n{}",
        out.code,
        out.stdout,
        out.stderr
    );
    out
}

fn create_topic(server: &FerryServer, topic: &str) {
    ok(
        &[
            "kafka",
            "topic",
            "create",
            topic,
            "--partitions",
            "1",
            "--bootstrap",
            &server.bootstrap(),
        ],
        None,
    );
}

/// Produces `lines` with `extra` flags (format, schema, …).
fn produce(
    server: &FerryServer,
    url: &str,
    topic: &str,
    extra: &[&str],
    lines: &[&str],
) -> CliOutput {
    let bootstrap = server.bootstrap();
    let mut args = vec![
        "kafka",
        "topic",
        "produce",
        topic,
        "--bootstrap",
        &bootstrap,
        "--schema-registry-endpoint",
        url,
    ];
    args.extend_from_slice(extra);
    let input = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    run(&args, Some(&input))
}

/// Consumes up to `count` records from the beginning with `extra` flags
/// (`--timeout-ms` 10000 unless `extra` sets it).
fn consume(
    server: &FerryServer,
    url: &str,
    topic: &str,
    count: usize,
    extra: &[&str],
) -> CliOutput {
    let bootstrap = server.bootstrap();
    let max = count.to_string();
    let mut args = vec![
        "kafka",
        "topic",
        "consume",
        topic,
        "--from-beginning",
        "--bootstrap",
        &bootstrap,
        "--schema-registry-endpoint",
        url,
        "--max-messages",
        &max,
    ];
    if !extra.contains(&"--timeout-ms") {
        args.extend_from_slice(&["--timeout-ms", "10000"]);
    }
    args.extend_from_slice(extra);
    ok(&args, None)
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

fn parsed(lines: &[&str]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The registry's id for the latest version of `subject`.
fn latest_id(url: &str, subject: &str) -> i64 {
    let (status, body) = http(
        "GET",
        &format!("{url}/subjects/{subject}/versions/latest"),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap()
}

#[test]
fn avro_round_trips_and_undecodable_records_are_reported_and_skipped() {
    let (server, url) = server_with_registry();
    let dir = tempfile::tempdir().unwrap();
    let schema = write(dir.path(), "order.avsc", ORDER_AVSC);
    create_topic(&server, "orders");
    // Offset 0: not in the wire format; offset 1: magic 0 and unknown id 9999.
    let garbage = ["garbage", "\u{0}\u{0}\u{0}\u{27}\u{f}xyz"];
    let out = produce(&server, &url, "orders", &[], &garbage);
    assert!(out.success(), "{}", out.stderr);
    let out = produce(
        &server,
        &url,
        "orders",
        &["--value-format", "avro", "--schema", &schema],
        &ORDERS,
    );
    assert!(out.success(), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Successfully registered schema with ID"),
        "{}",
        out.stderr
    );
    let id = latest_id(&url, "orders-value");

    let got = consume(&server, &url, "orders", 3, &["--value-format", "avro"]);
    assert_eq!(json_lines(&got.stdout), parsed(&ORDERS));
    for offset in ["offset 0", "offset 1"] {
        assert!(
            got.stderr
                .lines()
                .any(|l| l.contains("partition 0") && l.contains(offset)),
            "no error line for {offset}: {}",
            got.stderr
        );
    }
    assert!(got.stderr.contains("9999"), "{}", got.stderr);

    // Keys: an Avro key, printed before the value.
    let key_schema = write(
        dir.path(),
        "key.avsc",
        r#"{"type":"record","name":"K","fields":[{"name":"id","type":"int"}]}"#,
    );
    create_topic(&server, "keyed");
    let line = format!(r#"{{"id":7}}:{}"#, ORDERS[0]);
    let out = produce(
        &server,
        &url,
        "keyed",
        &[
            "--parse-key",
            "--key-format",
            "avro",
            "--key-schema",
            &key_schema,
            "--value-format",
            "avro",
            "--schema",
            &id.to_string(),
        ],
        &[&line],
    );
    assert!(out.success(), "{}", out.stderr);
    let got = consume(
        &server,
        &url,
        "keyed",
        1,
        &[
            "--print-key",
            "--key-format",
            "avro",
            "--value-format",
            "avro",
            "--delimiter",
            "|",
        ],
    );
    let (k, v) = got.stdout.trim_end().split_once('|').expect("key|value");
    assert_eq!(
        serde_json::from_str::<Value>(k).unwrap(),
        serde_json::json!({"id":7})
    );
    assert_eq!(
        serde_json::from_str::<Value>(v).unwrap(),
        parsed(&ORDERS)[0]
    );
}

#[test]
fn a_line_that_does_not_fit_the_schema_stops_produce_after_the_lines_before_it() {
    let (server, url) = server_with_registry();
    let dir = tempfile::tempdir().unwrap();
    let schema = write(dir.path(), "order.avsc", ORDER_AVSC);
    create_topic(&server, "strict");
    let bad = r#"{"orderid":"two","itemid":"Item_2"}"#;
    let out = produce(
        &server,
        &url,
        "strict",
        &["--value-format", "avro", "--schema", &schema],
        &[ORDERS[0], bad, ORDERS[2]],
    );
    assert!(!out.success(), "a bad line must fail the command");
    assert!(out.stderr.contains("line 2"), "{}", out.stderr);
    assert!(out.stderr.contains("orderid"), "{}", out.stderr);
    let got = consume(
        &server,
        &url,
        "strict",
        5,
        &["--value-format", "avro", "--timeout-ms", "3000"],
    );
    assert_eq!(json_lines(&got.stdout), parsed(&ORDERS[..1]));
}

#[test]
fn json_schema_and_protobuf_round_trip() {
    let (server, url) = server_with_registry();
    let dir = tempfile::tempdir().unwrap();

    let json_schema = write(
        dir.path(),
        "user.json",
        r#"{"type":"object","properties":{
        "name":{"type":"string"},"age":{"type":"integer","minimum":0},
        "tags":{"type":"array","items":{"type":"string"}}},"required":["name"]}"#,
    );
    let users = [
        r#"{"name":"ada","age":36,"tags":["x"]}"#,
        r#"{"name":"bob"}"#,
    ];
    create_topic(&server, "users");
    let out = produce(
        &server,
        &url,
        "users",
        &["--value-format", "jsonschema", "--schema", &json_schema],
        &users,
    );
    assert!(out.success(), "{}", out.stderr);
    let got = consume(&server, &url, "users", 2, &["--value-format", "jsonschema"]);
    assert_eq!(json_lines(&got.stdout), parsed(&users));
    let out = produce(
        &server,
        &url,
        "users",
        &["--value-format", "jsonschema", "--schema", &json_schema],
        &[r#"{"age":-1}"#],
    );
    assert!(!out.success());
    assert!(out.stderr.contains("name"), "{}", out.stderr);

    let proto = write(
        dir.path(),
        "trade.proto",
        r#"syntax = "proto3";
package ferry.test;
message Trade {
  string symbol = 1;
  int32 quantity = 2;
  double price = 3;
  Side side = 4;
  repeated string venues = 5;
  enum Side { SIDE_UNSPECIFIED = 0; BUY = 1; SELL = 2; }
}
"#,
    );
    let trades = [
        r#"{"symbol":"ZVV","quantity":100,"price":1.5,"side":"BUY","venues":["a","b"]}"#,
        r#"{"symbol":"ZJZZT","quantity":7,"price":2.25,"side":"SELL"}"#,
    ];
    create_topic(&server, "trades");
    let out = produce(
        &server,
        &url,
        "trades",
        &["--value-format", "protobuf", "--schema", &proto],
        &trades,
    );
    assert!(out.success(), "{}", out.stderr);
    let got = consume(&server, &url, "trades", 2, &["--value-format", "protobuf"]);
    assert_eq!(json_lines(&got.stdout), parsed(&trades));
}

#[test]
fn ids_of_a_schema_context_decode() {
    let (server, url) = server_with_registry();
    let dir = tempfile::tempdir().unwrap();
    let schema = write(dir.path(), "order.avsc", ORDER_AVSC);
    create_topic(&server, "ctxorders");
    let out = produce(
        &server,
        &url,
        "ctxorders",
        &[
            "--value-format",
            "avro",
            "--schema",
            &schema,
            "--subject",
            ":.ctx:ctxorders-value",
        ],
        &ORDERS,
    );
    assert!(out.success(), "{}", out.stderr);
    assert!(latest_id(&url, ":.ctx:ctxorders-value") >= 1);
    // The id exists only in .ctx: the unqualified lookup finds it.
    let got = consume(&server, &url, "ctxorders", 3, &["--value-format", "avro"]);
    assert_eq!(json_lines(&got.stdout), parsed(&ORDERS));

    // Now the default context holds another schema under the same id;
    // --schema-registry-context picks the right one.
    let other = write(
        dir.path(),
        "other.avsc",
        r#"{"type":"record","name":"Other","fields":[{"name":"x","type":"string"}]}"#,
    );
    create_topic(&server, "plain");
    let out = produce(
        &server,
        &url,
        "plain",
        &["--value-format", "avro", "--schema", &other],
        &[r#"{"x":"y"}"#],
    );
    assert!(out.success(), "{}", out.stderr);
    assert_eq!(
        latest_id(&url, "plain-value"),
        latest_id(&url, ":.ctx:ctxorders-value")
    );
    let got = consume(
        &server,
        &url,
        "ctxorders",
        3,
        &[
            "--value-format",
            "avro",
            "--schema-registry-context",
            ".ctx",
        ],
    );
    assert_eq!(json_lines(&got.stdout), parsed(&ORDERS));
}

#[test]
fn schema_formats_need_a_registry_and_a_schema() {
    let out = ferry_cli(
        &[
            "kafka",
            "topic",
            "produce",
            "t",
            "--bootstrap",
            "127.0.0.1:1",
            "--value-format",
            "avro",
        ],
        HANG_GUARD,
    );
    assert!(!out.success());
    assert!(out.stderr.contains("needs a schema"), "{}", out.stderr);
}
