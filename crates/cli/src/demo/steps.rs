//! The seed's steps as `ferry` commands, planned from the demo's state:
//! environments (`confluent environment use`), the orders datagen
//! (the DataGen Source connector), the destination-initiated cluster link
//! with the seed's `link-config.properties`, the schema exporter with the
//! seed's `config.txt`, and a consumer group on the source whose offsets
//! the link syncs.
//!
//! [`plan`] writes the files and the sheet without running anything
//! (`--servers-only`); [`run`] also runs each command, as a child process,
//! reporting each one.

use std::path::PathBuf;

use super::cluster::path_str;
use super::pieces::Pieces;
use super::report::Report;
use super::runner::Runner;
use super::sheet::{Sheet, command_line};
use super::state::{DemoState, Side};

/// The seed's topic.
pub(crate) const TOPIC: &str = "sample_order_data";
/// Its partitions (Confluent Cloud's default).
pub(crate) const PARTITIONS: i32 = 6;
/// The seed's link.
pub(crate) const LINK: &str = "cross-cloud-link";
/// The seed's exporter.
pub(crate) const EXPORTER: &str = "cross-cloud-exporter";
/// The consumer group whose offsets the link syncs.
pub(crate) const GROUP: &str = "order-readers";
/// How many orders that group reads (and commits) on the source.
pub(crate) const GROUP_READS: u32 = 50;
/// The datagen connector's name.
pub(crate) const CONNECTOR: &str = "DatagenSourceConnector_orders";

/// One step: files to write, then commands to run in order.
#[derive(Debug)]
pub(crate) struct Step {
    /// The heading (seed step → ferry).
    pub(crate) title: String,
    /// Files written beside the sheet before the commands run.
    pub(crate) files: Vec<(PathBuf, String)>,
    /// `ferry` arguments, one command each, with the command this build
    /// lacks for it, if any (then it is recorded but not run).
    pub(crate) commands: Vec<(Vec<String>, Option<&'static str>)>,
}

/// Commands this build has.
fn all(commands: Vec<Vec<String>>) -> Vec<(Vec<String>, Option<&'static str>)> {
    commands.into_iter().map(|c| (c, None)).collect()
}

/// `what` when `present` is false.
fn lacking(present: bool, what: &'static str) -> Option<&'static str> {
    (!present).then_some(what)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// `--bootstrap … --api-key … --api-secret … --ca-cert …` for `ferry kafka topic …`.
pub(crate) fn kafka_flags(side: &Side) -> Vec<String> {
    strings(&[
        "--bootstrap",
        &side.bootstrap(),
        "--api-key",
        &side.api_key,
        "--api-secret",
        &side.api_secret,
        "--ca-cert",
        &path_str(&side.ca()),
    ])
}

/// REST flags when no environment command exists to carry them.
fn rest_flags(side: &Side, pieces: &Pieces) -> Vec<String> {
    if pieces.environment {
        return Vec::new();
    }
    strings(&[
        "--url",
        &side.rest_url(),
        "--api-key",
        &side.api_key,
        "--api-secret",
        &side.api_secret,
        "--certificate-authority-path",
        &path_str(&side.ca()),
    ])
}

/// Registry flags when no environment command exists to carry them.
fn registry_flags(side: &Side, pieces: &Pieces) -> Vec<String> {
    if pieces.environment {
        return Vec::new();
    }
    strings(&[
        "--schema-registry-endpoint",
        &side.registry_url(),
        "--api-key",
        &side.api_key,
        "--api-secret",
        &side.api_secret,
    ])
}

fn environment_create(side: &Side) -> Vec<String> {
    strings(&[
        "environment",
        "create",
        &side.name,
        "--rest-url",
        &side.rest_url(),
        "--schema-registry-endpoint",
        &side.registry_url(),
        "--bootstrap",
        &side.bootstrap(),
        "--api-key",
        &side.api_key,
        "--api-secret",
        &side.api_secret,
        "--ca-location",
        &path_str(&side.ca()),
    ])
}

fn environment_use(side: &Side, pieces: &Pieces) -> Option<Vec<String>> {
    pieces
        .environment
        .then(|| strings(&["environment", "use", &side.name]))
}

/// The seed's `link-config.properties`, plus the one line a private CA needs.
pub(crate) fn link_config(state: &DemoState) -> String {
    format!(
        "auto.create.mirror.topics.enable=true\n\
         consumer.offset.sync.enable=true\n\
         auto.create.mirror.topics.filters={{\"topicFilters\": [{{\"name\": \"*\", \"patternType\": \"LITERAL\", \"filterType\": \"INCLUDE\"}}]}}\n\
         # ferry demo: the source's certificate is signed by the demo's own CA (Confluent Cloud's by a public one).\n\
         ssl.ca.location={}\n",
        path_str(&state.source.ca())
    )
}

/// The seed's `config.txt`: the destination registry and its credentials.
pub(crate) fn exporter_config(state: &DemoState) -> String {
    format!(
        "schema.registry.url={}\nbasic.auth.credentials.source=USER_INFO\nbasic.auth.user.info={}\n",
        state.destination.registry_url(),
        state.destination.user_info()
    )
}

/// The DataGen Source connector's configuration, as the Confluent Cloud UI
/// creates it for the seed: Avro orders into `sample_order_data`.
pub(crate) fn datagen_config(state: &DemoState) -> String {
    let config = serde_json::json!({
        "name": CONNECTOR,
        "connector.class": "DatagenSource",
        "kafka.auth.mode": "KAFKA_API_KEY",
        "kafka.api.key": state.source.api_key,
        "kafka.api.secret": state.source.api_secret,
        "kafka.topic": TOPIC,
        "output.data.format": "AVRO",
        "quickstart": "ORDERS",
        "max.interval": "100",
        "tasks.max": "1"
    });
    let mut text = serde_json::to_string_pretty(&config).unwrap_or_default();
    text.push('\n');
    text
}

/// The steps, in the seed's order.
pub(crate) fn steps(state: &DemoState, pieces: &Pieces) -> Vec<Step> {
    let (src, dst) = (&state.source, &state.destination);
    let mut out = Vec::new();

    out.push(Step {
        title: "1. Environments, one per side (seed: `confluent environment use <id>`)".into(),
        files: Vec::new(),
        commands: vec![environment_create(src), environment_create(dst)]
            .into_iter()
            .map(|c| (c, lacking(pieces.environment, "ferry environment")))
            .collect(),
    });

    let datagen_file = state.file("datagen-orders.json");
    let mut datagen = all(vec![{
        let mut c = strings(&[
            "kafka",
            "topic",
            "create",
            TOPIC,
            "--partitions",
            &PARTITIONS.to_string(),
        ]);
        c.extend(kafka_flags(src));
        c
    }]);
    datagen.extend(all(environment_use(src, pieces).into_iter().collect()));
    datagen.push((
        {
            let mut c = strings(&[
                "connect",
                "cluster",
                "create",
                "--config-file",
                &path_str(&datagen_file),
                "--cluster",
                &src.cluster_id,
            ]);
            c.extend(rest_flags(src, pieces));
            c
        },
        lacking(pieces.connect, "ferry connect cluster create"),
    ));
    out.push(Step {
        title: "2. Orders on aws (seed: the DataGen Source connector, quickstart ORDERS, Avro)"
            .into(),
        files: vec![(datagen_file, datagen_config(state))],
        commands: datagen,
    });

    let link_file = state.file("link-config.properties");
    let mut link: Vec<Vec<String>> = environment_use(dst, pieces).into_iter().collect();
    link.push({
        let mut c = strings(&[
            "kafka",
            "link",
            "create",
            LINK,
            "--cluster",
            &dst.cluster_id,
            "--source-cluster",
            &src.cluster_id,
            "--source-bootstrap-server",
            &src.bootstrap(),
            "--source-api-key",
            &src.api_key,
            "--source-api-secret",
            &src.api_secret,
            "--config",
            &path_str(&link_file),
        ]);
        c.extend(rest_flags(dst, pieces));
        c
    });
    out.push(Step {
        title: "3. Cluster link, destination-initiated, created on azure (seed: `confluent kafka link create`)".into(),
        files: vec![(link_file, link_config(state))],
        commands: all(link),
    });

    let exporter_file = state.file("config.txt");
    let mut exporter = all(environment_use(src, pieces).into_iter().collect());
    exporter.push((
        {
            let mut c = strings(&[
                "schema-registry",
                "exporter",
                "create",
                EXPORTER,
                "--subjects",
                ":*:",
                "--config",
                &path_str(&exporter_file),
            ]);
            c.extend(registry_flags(src, pieces));
            c
        },
        lacking(pieces.exporter, "ferry schema-registry exporter create"),
    ));
    out.push(Step {
        title: "4. Schema linking from aws's registry to azure's (seed: `confluent schema-registry exporter create`)".into(),
        files: vec![(exporter_file, exporter_config(state))],
        commands: exporter,
    });

    out.push(Step {
        title: format!(
            "5. A consumer group on aws reads {GROUP_READS} orders and commits (the link syncs its offsets to azure)"
        ),
        files: Vec::new(),
        commands: all(vec![{
            let mut c = strings(&[
                "kafka",
                "topic",
                "consume",
                TOPIC,
                "--group",
                GROUP,
                "--from-beginning",
                "--max-messages",
                &GROUP_READS.to_string(),
            ]);
            c.extend(kafka_flags(src));
            c
        }]),
    });
    out
}

/// Writes one step's files and records them in the sheet.
fn write_files(step: &Step, sheet: &mut Sheet) -> anyhow::Result<()> {
    for (path, contents) in &step.files {
        super::state::write_private(path, contents)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        sheet.file(path, contents);
    }
    Ok(())
}

/// Writes the files and the sheet's steps without running them.
pub(crate) fn plan(state: &DemoState, pieces: &Pieces, sheet: &mut Sheet) -> anyhow::Result<()> {
    for step in steps(state, pieces) {
        sheet.section(&step.title);
        write_files(&step, sheet)?;
        for (c, missing) in &step.commands {
            match missing {
                Some(m) => {
                    sheet.comment(&format!("(`{m}` is not in this build of ferry)"));
                    sheet.comment(&command_line(c));
                }
                None => sheet.command(c),
            }
        }
    }
    Ok(())
}

/// Runs every step, recording each command in the sheet and the report.
/// A failed command is reported and the demo goes on, so that the report
/// shows everything that does work.
pub(crate) fn run(
    state: &DemoState,
    pieces: &Pieces,
    runner: &Runner,
    sheet: &mut Sheet,
    report: &mut Report,
) {
    for step in steps(state, pieces) {
        if super::interrupted() {
            report.fail("demo", "interrupted (Ctrl-C)");
            break;
        }
        report.step(&step.title);
        sheet.section(&step.title);
        if let Err(e) = write_files(&step, sheet) {
            report.fail("writing the step's files", &format!("{e:#}"));
            continue;
        }
        for (path, _) in &step.files {
            report.line(&format!("wrote {}", path.display()));
        }
        for (c, missing) in &step.commands {
            if let Some(m) = missing {
                sheet.comment(&format!("(not run: `{m}` is not in this build of ferry)"));
                sheet.comment(&command_line(c));
                report.fail(
                    &format!("`{m}`"),
                    "not in this build of ferry; command skipped",
                );
                continue;
            }
            let line = command_line(c);
            report.command(&line);
            sheet.command(c);
            let what = format!(
                "ferry {}",
                c.iter().take(3).cloned().collect::<Vec<_>>().join(" ")
            );
            match runner.run(c) {
                Ok(out) if out.success() => {
                    let first = out.stdout.lines().find(|l| !l.trim().is_empty());
                    let detail = match c.get(2).map(String::as_str) {
                        // `consume` prints the (binary) records themselves.
                        Some("consume") => format!("read {GROUP_READS} records, offsets committed"),
                        _ => first.unwrap_or("").trim().chars().take(100).collect(),
                    };
                    report.outcome(&what, Ok(detail));
                }
                Ok(out) => {
                    report.outcome(&what, Err(out.error(c)));
                }
                Err(e) => {
                    report.outcome(&what, Err(e));
                }
            }
        }
    }
}

/// The seed's cleanup, as comments (the demo does it on Ctrl-C).
pub(crate) fn cleanup(state: &DemoState, sheet: &mut Sheet) {
    sheet.section("Cleanup (seed: delete the connector, then `terraform destroy`)");
    sheet.comment("ferry environment use aws");
    sheet.comment(&format!(
        "ferry connect cluster delete {CONNECTOR} --cluster {} --force",
        state.source.cluster_id
    ));
    sheet.comment(&format!(
        "ferry demo down --dir {}",
        super::sheet::quote(&path_str(&state.dir))
    ));
}
