//! `ferry demo`: the seed walkthrough end to end.
//!
//! - `ferry demo --check` exits 0, its report shows every verification
//!   passing, and none of the servers it started is left running.
//! - The commands sheet replays by hand: `ferry demo --servers-only` brings
//!   up the two clusters and writes the sheet without running it; each of
//!   its lines then runs as its own shell command, as a user would type it;
//!   `ferry demo verify` checks the same state `--check` does; `ferry demo
//!   down` stops the servers and removes the directory.
//!
//! Waits are bounded generously; nothing asserts on timing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{CliOutput, run_command};

const FERRY: &str = env!("CARGO_BIN_EXE_ferry");
/// Far above the two minutes `--check` is meant to take.
const DEMO_TIMEOUT: Duration = Duration::from_secs(400);
/// For one command of the sheet.
const LINE_TIMEOUT: Duration = Duration::from_secs(120);

/// The checks a passing report must show.
const VERIFICATIONS: &[&str] = &[
    "receives orders",
    "is a mirror topic of cross-cloud-link",
    "is read-only (a produce is refused)",
    "offsets and bytes match aws per partition",
    "consumer offsets synced to azure",
    "schema exported to azure's registry under the same id",
    "azure decodes mirrored orders with its own registry",
    "ferry kafka topic consume --value-format avro at azure prints readable JSON",
];

/// Variables that would send the demo's commands elsewhere.
const FOREIGN_VARS: &[&str] = &[
    "FERRY_HOME",
    "FERRY_ENVIRONMENT",
    "FERRY_BOOTSTRAP",
    "FERRY_API_KEY",
    "FERRY_API_SECRET",
    "FERRY_REST_URL",
    "CONFLUENT_REST_URL",
    "FERRY_SCHEMA_REGISTRY_URL",
    "FERRY_SCHEMA_REGISTRY_API_KEY",
    "FERRY_SCHEMA_REGISTRY_API_SECRET",
];

fn ferry(args: &[&str], timeout: Duration) -> CliOutput {
    let mut cmd = Command::new(FERRY);
    cmd.args(args);
    for v in FOREIGN_VARS {
        cmd.env_remove(v);
    }
    run_command(cmd, None, timeout)
}

/// Whether `pid` still runs (a zombie does not).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start())
            .is_some_and(|s| s.starts_with('Z') || s.starts_with('X')),
        Err(_) => false,
    }
}

/// Waits (bounded) for `pid` to be gone.
fn gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Server PIDs the report printed (`ferry server up (PID n, …`).
fn reported_pids(report: &str) -> Vec<u32> {
    report
        .lines()
        .filter_map(|l| {
            l.split_once("ferry server up (PID ")?
                .1
                .split(',')
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

fn assert_all_verified(report: &str, what: &str) {
    assert!(
        !report.contains('✗'),
        "{what}: a step or check failed:\n{report}"
    );
    for v in VERIFICATIONS {
        assert!(
            report.lines().any(|l| l.contains('✓') && l.contains(v)),
            "{what}: no passing line for {v:?}:\n{report}"
        );
    }
}

/// Stops whatever a demo in `dir` left running, if the test fails midway.
struct DownOnDrop(PathBuf);

impl Drop for DownOnDrop {
    fn drop(&mut self) {
        if self.0.exists() {
            let d = self.0.display().to_string();
            let _ = ferry(&["demo", "down", "--dir", &d], Duration::from_secs(60));
        }
    }
}

#[test]
fn demo_check_passes_and_leaves_nothing_running() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("demo");
    let _guard = DownOnDrop(dir.clone());
    let d = dir.display().to_string();
    let out = ferry(&["demo", "--check", "--dir", &d], DEMO_TIMEOUT);
    let report = format!("{}\n--- stderr ---\n{}", out.stdout, out.stderr);
    assert_eq!(out.code, Some(0), "ferry demo --check failed:\n{report}");
    assert_all_verified(&out.stdout, "ferry demo --check");
    assert!(out.stdout.contains("✓ all "), "{report}");

    let pids = reported_pids(&out.stdout);
    assert_eq!(pids.len(), 2, "two server PIDs in the report:\n{report}");
    for pid in pids {
        assert!(gone(pid), "server PID {pid} still runs after --check");
    }
    for name in ["aws.pid", "azure.pid"] {
        assert!(!dir.join(name).exists(), "{name} left behind");
    }
    // The sheet records what ran, with real values.
    let sheet = std::fs::read_to_string(dir.join("replication_commands.txt")).expect("sheet");
    for needle in [
        "ferry kafka link create cross-cloud-link",
        "--config ",
        "ferry schema-registry exporter create cross-cloud-exporter --subjects ':*:'",
        "ferry connect cluster create --config-file ",
    ] {
        assert!(sheet.contains(needle), "sheet lacks {needle:?}:\n{sheet}");
    }
    assert!(!sheet.contains("not in this build"), "{sheet}");

    // `down` removes the directory it left.
    let down = ferry(&["demo", "down", "--dir", &d], Duration::from_secs(60));
    assert_eq!(down.code, Some(0), "{down:?}");
    assert!(!dir.exists());
}

/// `export NAME=VALUE` (VALUE possibly single-quoted) → (NAME, VALUE).
fn export(line: &str) -> Option<(String, String)> {
    let (name, value) = line.strip_prefix("export ")?.split_once('=')?;
    let value = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .unwrap_or(value);
    Some((name.to_owned(), value.to_owned()))
}

#[test]
fn the_commands_sheet_replays_by_hand() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("demo");
    let _guard = DownOnDrop(dir.clone());
    let d = dir.display().to_string();
    let up = ferry(&["demo", "--servers-only", "--dir", &d], DEMO_TIMEOUT);
    assert_eq!(up.code, Some(0), "ferry demo --servers-only: {up:?}");
    let pids: Vec<u32> = ["aws.pid", "azure.pid"]
        .iter()
        .map(|f| {
            std::fs::read_to_string(dir.join(f))
                .unwrap_or_else(|e| panic!("{f}: {e}"))
                .trim()
                .parse()
                .expect("a PID")
        })
        .collect();
    assert!(
        pids.iter().all(|&p| alive(p)),
        "servers not running: {pids:?}"
    );

    let sheet = std::fs::read_to_string(dir.join("replication_commands.txt")).expect("sheet");
    // `ferry` on the PATH is the binary under test.
    let bin_dir = Path::new(FERRY).parent().expect("bin dir");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut exports: Vec<(String, String)> = Vec::new();
    let mut ran = 0;
    for line in sheet.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(kv) = export(line) {
            exports.push(kv);
            continue;
        }
        assert!(line.starts_with("ferry "), "not a ferry command: {line}");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(line)
            .env("PATH", &path)
            .current_dir(tmp.path());
        for v in FOREIGN_VARS {
            cmd.env_remove(v);
        }
        for (k, v) in &exports {
            cmd.env(k, v);
        }
        let out = run_command(cmd, None, LINE_TIMEOUT);
        assert_eq!(out.code, Some(0), "sheet line failed: {line}\n{out:?}");
        ran += 1;
    }
    assert!(ran >= 6, "only {ran} commands in the sheet:\n{sheet}");
    assert!(
        exports.iter().any(|(k, _)| k == "FERRY_HOME"),
        "no FERRY_HOME export:\n{sheet}"
    );

    let verify = ferry(&["demo", "verify", "--dir", &d], DEMO_TIMEOUT);
    let report = format!("{}\n--- stderr ---\n{}", verify.stdout, verify.stderr);
    assert_eq!(verify.code, Some(0), "ferry demo verify failed:\n{report}");
    assert_all_verified(&verify.stdout, "ferry demo verify after the replay");

    let down = ferry(&["demo", "down", "--dir", &d], Duration::from_secs(120));
    assert_eq!(down.code, Some(0), "{down:?}");
    for pid in pids {
        assert!(gone(pid), "server PID {pid} still runs after demo down");
    }
    assert!(!dir.exists(), "demo down left {}", dir.display());
}
