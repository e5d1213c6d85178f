//! `ferry demo`: the seed walkthrough (two clusters, "aws" the source and
//! "azure" the destination; orders generated on the source; a
//! destination-initiated cluster link; a schema exporter) end to end on one
//! machine, verified step by step.
//!
//! - [`cluster`]: certificates, API keys, `server.properties` and the two
//!   `ferry server` processes (PIDs in `<dir>/<name>.pid`).
//! - [`steps`]: the seed's steps as `ferry` commands, run as child processes
//!   of this binary ([`runner`]) so that the commands sheet ([`sheet`]) is
//!   exactly what ran.
//! - [`verify`]: the checks, printed as they go by [`report`].
//! - [`down`]: `ferry demo down`, stopping what a demo left running.
//! - [`state`]: what `verify` and `down` read back from `<dir>/demo.json`.
//!
//! Every command runs with `FERRY_HOME=<dir>/home`, so the demo's
//! environments never touch the user's own `~/.ferry/config.json`.

mod cluster;
mod compare;
mod decode;
mod down;
mod pieces;
mod report;
mod runner;
mod sheet;
mod state;
mod steps;
mod verify;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Args, Subcommand};

/// `ferry demo`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct DemoArgs {
    #[command(subcommand)]
    command: Option<DemoCommand>,
    #[command(flatten)]
    run: RunArgs,
}

/// `ferry demo [--dir D] [--check | --servers-only]`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Directory for everything the demo creates (data, certificates, keys,
    /// configs, logs, the commands sheet).
    #[arg(long, value_name = "DIR", default_value = "ferry-demo")]
    dir: PathBuf,
    /// Run every step and verification, tear down, and exit 0 only if every
    /// verification passed.
    #[arg(long, conflicts_with = "servers_only")]
    check: bool,
    /// Start the two clusters and write the commands sheet without running
    /// it, then exit leaving the servers running (replay the sheet by hand,
    /// then `ferry demo verify` and `ferry demo down`).
    #[arg(long)]
    servers_only: bool,
}

/// Subcommands of `ferry demo`.
#[derive(Debug, Subcommand)]
pub(crate) enum DemoCommand {
    /// Stop the servers a demo left running and remove its directory.
    Down(DirArgs),
    /// Run the demo's verifications against clusters a demo started.
    Verify(DirArgs),
}

/// `--dir` alone.
#[derive(Debug, Args)]
pub(crate) struct DirArgs {
    /// The demo's directory.
    #[arg(long, value_name = "DIR", default_value = "ferry-demo")]
    dir: PathBuf,
}

/// What the verification of a `--check` run may take at most, so that the
/// whole run stays within two minutes.
const CHECK_BUDGET: Duration = Duration::from_secs(110);

/// Set by Ctrl-C: the demo stops what it is doing and cleans up.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed.
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Whether a wait must end: `deadline` passed, or Ctrl-C.
pub(crate) fn past(deadline: Instant) -> bool {
    interrupted() || Instant::now() >= deadline
}

/// Runs `ferry demo …`.
pub(crate) fn run(args: DemoArgs) -> anyhow::Result<()> {
    match args.command {
        Some(DemoCommand::Down(a)) => down::run(&absolute(&a.dir)?),
        Some(DemoCommand::Verify(a)) => verify_only(&absolute(&a.dir)?),
        None => demo(args.run),
    }
}

fn absolute(dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(dir).with_context(|| format!("--dir {}", dir.display()))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn demo(args: RunArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = absolute(&args.dir)?;
    let rt = runtime()?;
    // From here on Ctrl-C is the demo's to handle: it stops its servers.
    rt.spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            INTERRUPTED.store(true, Ordering::Relaxed);
        }
    });
    let mut report = report::Report::new();
    report.title(&format!(
        "ferry demo: the seed walkthrough on one machine (in {})",
        dir.display()
    ));
    let pieces = pieces::Pieces::detect();
    report.step("0. Two clusters (seed: `terraform apply`)");
    let mut clusters = cluster::start_both(&dir, &mut report)?;
    let state = state::DemoState::new(&dir, &clusters.source, &clusters.destination);
    state.save()?;
    let mut sheet = sheet::Sheet::new(&state);
    if args.servers_only {
        steps::plan(&state, &pieces, &mut sheet)?;
        steps::cleanup(&state, &mut sheet);
        sheet.write(&state.sheet_path())?;
        clusters.detach();
        report.endpoints(&state);
        return Ok(());
    }
    let runner = runner::Runner::new(&state);
    steps::run(&state, &pieces, &runner, &mut sheet, &mut report);
    if !interrupted() {
        let deadline = started + CHECK_BUDGET;
        rt.block_on(verify::run(
            &state,
            &pieces,
            &mut report,
            deadline,
            &mut sheet,
        ));
    }
    steps::cleanup(&state, &mut sheet);
    if let Err(e) = sheet.write(&state.sheet_path()) {
        report.fail("writing the commands sheet", &format!("{e:#}"));
    }
    let passed = report.summary(started.elapsed());
    if args.check || interrupted() {
        report.step("Teardown");
        clusters.stop(&mut report);
        report.line(&format!(
            "kept {} (logs, configs, the commands sheet); `ferry demo down --dir {}` removes it",
            dir.display(),
            sheet::quote(&dir.display().to_string())
        ));
        anyhow::ensure!(passed, "some verifications failed (see the report above)");
        return Ok(());
    }
    report.endpoints(&state);
    println!("\nThe clusters stay up for exploring; press Ctrl-C to stop them and clean up.");
    while !interrupted() {
        std::thread::sleep(Duration::from_millis(100));
    }
    println!();
    report.step("Teardown");
    clusters.stop(&mut report);
    Ok(())
}

/// `ferry demo verify`: the checks against running demo clusters.
fn verify_only(dir: &std::path::Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let state = state::DemoState::load(dir)?;
    let pieces = pieces::Pieces::detect();
    let mut report = report::Report::new();
    report.title(&format!("ferry demo verify ({})", dir.display()));
    let mut sheet = sheet::Sheet::new(&state);
    runtime()?.block_on(verify::run(
        &state,
        &pieces,
        &mut report,
        Instant::now() + CHECK_BUDGET,
        &mut sheet,
    ));
    let passed = report.summary(started.elapsed());
    anyhow::ensure!(passed, "some verifications failed (see the report above)");
    Ok(())
}
