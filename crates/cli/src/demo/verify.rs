//! The verifications, each reported as it completes: orders on the source;
//! the mirror on azure, active and read-only; offsets and bytes equal per
//! partition; consumer offsets synced; schemas exported under the same id;
//! mirrored orders decoded to JSON at azure with azure's registry.
//!
//! What a user would type runs as the real CLI (`ferry kafka mirror
//! describe`, `ferry kafka topic produce`, `ferry kafka topic consume
//! --value-format avro`); what no command shows (raw batches, group
//! offsets on both sides) runs in-process with ferry's client.

use std::time::Instant;

use ferry_client::Client;
use ferry_registry::client::{Method, RegistryClient};

use super::cluster::path_str;
use super::compare::{self, POLL};
use super::decode;
use super::pieces::Pieces;
use super::report::Report;
use super::runner::Runner;
use super::sheet::{Sheet, command_line};
use super::state::{DemoState, Side};
use super::steps::{GROUP, LINK, TOPIC, kafka_flags};

/// Orders decoded at the destination.
const DECODED: usize = 5;

fn rest_flags(side: &Side) -> Vec<String> {
    [
        "--url",
        &side.rest_url(),
        "--api-key",
        &side.api_key,
        "--api-secret",
        &side.api_secret,
        "--certificate-authority-path",
        &path_str(&side.ca()),
    ]
    .map(str::to_owned)
    .to_vec()
}

fn args(items: &[&str], extra: Vec<String>) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
    v.extend(extra);
    v
}

/// Runs every verification, reporting each; records the CLI ones in the
/// sheet as comments (they check, they change nothing).
pub(crate) async fn run(
    state: &DemoState,
    pieces: &Pieces,
    report: &mut Report,
    deadline: Instant,
    sheet: &mut Sheet,
) {
    report.step("Verification");
    sheet.section("Verification (`ferry demo verify` runs these and more)");
    let runner = Runner::new(state);
    let missing = pieces.missing();
    if !missing.is_empty() {
        report.line(&format!(
            "not in this build, so their checks cannot pass: {}",
            missing.join(", ")
        ));
    }
    let (source, destination) = match (
        compare::connect(&state.source).await,
        compare::connect(&state.destination).await,
    ) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(e), _) | (_, Err(e)) => {
            report.fail(
                "connecting to aws and azure over SASL_SSL",
                &format!("{e:#}"),
            );
            return;
        }
    };

    report.progress(&format!("waiting for orders in {TOPIC} on aws"));
    let orders = orders_on_source(&source, deadline).await;
    report.outcome(&format!("aws: {TOPIC} receives orders"), orders);

    let describe = args(
        &[
            "kafka", "mirror", "describe", TOPIC, "--link", LINK, "-o", "json",
        ],
        rest_flags(&state.destination),
    );
    sheet.comment(&command_line(&describe));
    report.progress(&format!("waiting for the mirror topic {TOPIC} on azure"));
    let mirror = mirror_active(&runner, &describe, deadline).await;
    report.outcome(
        &format!("azure: {TOPIC} is a mirror topic of {LINK}"),
        mirror,
    );

    let produce = args(
        &["kafka", "topic", "produce", TOPIC],
        kafka_flags(&state.destination),
    );
    sheet.comment(&format!("echo x | {}   # refused", command_line(&produce)));
    report.outcome(
        &format!("azure: {TOPIC} is read-only (a produce is refused)"),
        read_only(&runner, &produce),
    );

    report.progress("comparing batches per partition up to the source's end offsets");
    report.outcome(
        "offsets and bytes match aws per partition",
        compare::offsets_and_bytes(&source, &destination, deadline).await,
    );

    report.progress(&format!(
        "waiting for group {GROUP}'s offsets on azure (synced every 30 s)"
    ));
    report.outcome(
        "consumer offsets synced to azure",
        compare::consumer_offsets(&source, &destination, GROUP, deadline).await,
    );

    report.progress("waiting for the exporter to bring the schema to azure");
    report.outcome(
        "schema exported to azure's registry under the same id",
        schema_exported(state, deadline).await,
    );

    let decoded = report.outcome(
        &format!("azure decodes mirrored orders with its own registry ({DECODED} orders)"),
        decode::decode_orders(&destination, &state.destination, DECODED, deadline)
            .await
            .map(|(id, orders)| {
                format!(
                    "schema id {id}, e.g. {}",
                    orders.first().map(ToString::to_string).unwrap_or_default()
                )
            }),
    );

    // The same through the CLI, once the schema is known to be there (a
    // consumer skips records it cannot decode and would wait for more).
    if pieces.avro_consume && decoded {
        let consume = avro_consume(state);
        sheet.comment(&command_line(&consume));
        report.command(&command_line(&consume));
        report.outcome(
            "ferry kafka topic consume --value-format avro at azure prints readable JSON",
            consume_avro(&runner, &consume),
        );
    }
}

async fn orders_on_source(source: &Client, deadline: Instant) -> anyhow::Result<String> {
    loop {
        let ends = compare::end_offsets(source, TOPIC).await;
        if let Ok(e) = &ends
            && e.iter().sum::<i64>() > 0
        {
            return Ok(format!("{} records so far", e.iter().sum::<i64>()));
        }
        anyhow::ensure!(
            !super::past(deadline),
            "no records in {TOPIC} on aws ({}): is the datagen connector running?",
            compare::shown(&ends)
        );
        tokio::time::sleep(POLL).await;
    }
}

async fn mirror_active(
    runner: &Runner,
    describe: &[String],
    deadline: Instant,
) -> anyhow::Result<String> {
    loop {
        let out = runner.run(describe)?;
        let rows: Option<serde_json::Value> = out
            .success()
            .then(|| serde_json::from_str(&out.stdout).ok())
            .flatten();
        let partitions = rows.as_ref().and_then(|r| r.as_array()).map_or(0, Vec::len);
        let active = rows
            .as_ref()
            .and_then(|r| r.as_array())
            .is_some_and(|r| !r.is_empty() && r.iter().all(|p| p["mirror_status"] == "ACTIVE"));
        if active {
            return Ok(format!("ACTIVE, {partitions} partitions"));
        }
        if super::past(deadline) {
            return Err(if out.success() {
                anyhow::anyhow!("not ACTIVE in time: {}", out.stdout.trim())
            } else {
                out.error(describe)
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

fn read_only(runner: &Runner, produce: &[String]) -> anyhow::Result<String> {
    let out = runner.run_with_input(produce, "a record azure must refuse\n")?;
    anyhow::ensure!(
        !out.success(),
        "the produce to the mirror succeeded: {}",
        out.stdout.trim()
    );
    let text = format!("{}{}", out.stderr, out.stdout);
    anyhow::ensure!(
        text.contains("read-only mirror"),
        "refused, but not as a mirror: {}",
        text.trim()
    );
    let message = text
        .lines()
        .find(|l| l.contains("read-only mirror"))
        .unwrap_or_default();
    Ok(message.trim().chars().take(160).collect())
}

async fn schema_exported(state: &DemoState, deadline: Instant) -> anyhow::Result<String> {
    let client =
        |side: &Side| RegistryClient::new(&side.registry_url(), Some(&side.user_info()), None);
    let (src, dst) = (client(&state.source)?, client(&state.destination)?);
    let subject = format!("{TOPIC}-value");
    loop {
        let attempt = async {
            let latest = src
                .request(
                    Method::GET,
                    &format!("/subjects/{subject}/versions/latest"),
                    None,
                )
                .await?;
            let id = latest["id"]
                .as_i64()
                .ok_or_else(|| anyhow::anyhow!("no id in {latest}"))?;
            let id = i32::try_from(id)?;
            let there = dst.schema_by_id(id, None).await?;
            let want = latest["schema"].as_str().unwrap_or_default();
            anyhow::ensure!(there.schema == want, "schema id {id} differs on azure");
            let subjects = dst
                .request(Method::GET, "/subjects?subjectPrefix=:*:", None)
                .await?;
            Ok(format!(
                "{subject} id {id} on both; azure's subjects {subjects}"
            ))
        }
        .await;
        match attempt {
            Ok(done) => return Ok(done),
            Err(e) if super::past(deadline) => return Err(e),
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// `ferry kafka topic consume … --value-format avro` against azure.
fn avro_consume(state: &DemoState) -> Vec<String> {
    let d = &state.destination;
    args(
        &[
            "kafka",
            "topic",
            "consume",
            TOPIC,
            "--from-beginning",
            "--value-format",
            "avro",
            "--max-messages",
            &DECODED.to_string(),
            "--timeout-ms",
            "20000",
            "--schema-registry-endpoint",
            &d.registry_url(),
            "--schema-registry-api-key",
            &d.api_key,
            "--schema-registry-api-secret",
            &d.api_secret,
        ],
        kafka_flags(d),
    )
}

fn consume_avro(runner: &Runner, consume: &[String]) -> anyhow::Result<String> {
    let out = runner.run(consume)?;
    if !out.success() {
        return Err(out.error(consume));
    }
    let lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    anyhow::ensure!(
        lines.len() == DECODED,
        "printed {} lines, wanted {DECODED}",
        lines.len()
    );
    for line in &lines {
        let order: serde_json::Value =
            serde_json::from_str(line).map_err(|e| anyhow::anyhow!("not JSON ({e}): {line}"))?;
        decode::check_order(&order)?;
    }
    Ok(lines.first().map(|l| l.to_string()).unwrap_or_default())
}
