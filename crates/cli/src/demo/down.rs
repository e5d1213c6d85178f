//! `ferry demo down`: stops the servers a demo left running (by the PIDs in
//! `<dir>/aws.pid` and `<dir>/azure.pid`, only if that process is still a
//! `ferry server`), then removes the demo directory.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::cluster::pid_path;
use super::state::STATE_FILE;

/// How long a server gets to exit after SIGTERM before SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends `kill -<sig> <pid>`.
pub(crate) fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stderr(std::process::Stdio::null())
        .status();
}

/// The command line of `pid`, if it runs (a zombie does not count).
fn command_line(pid: u32) -> Option<String> {
    let proc_dir = Path::new("/proc").join(pid.to_string());
    if Path::new("/proc/self").exists() {
        let stat = std::fs::read_to_string(proc_dir.join("stat")).ok()?;
        // The state follows the parenthesised command name.
        let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
        if state.is_some_and(|s| s.starts_with('Z') || s.starts_with('X')) {
            return None;
        }
        let raw = std::fs::read(proc_dir.join("cmdline")).ok()?;
        return Some(
            raw.split(|&b| b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    let out = Command::new("ps")
        .args(["-o", "stat=,command=", "-p", &pid.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !text.is_empty() && !text.starts_with('Z')).then_some(text)
}

/// Whether `pid` is a running `ferry server`.
fn is_ferry_server(pid: u32) -> bool {
    command_line(pid).is_some_and(|c| c.contains("ferry") && c.contains(" server"))
}

/// The PID recorded in `pid_file` when that process is a running `ferry server`.
pub(crate) fn running_pid(pid_file: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pid_file)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    is_ferry_server(pid).then_some(pid)
}

/// SIGTERM, a bounded wait, then SIGKILL. Says which it took.
fn stop(pid: u32) -> &'static str {
    signal(pid, "TERM");
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if command_line(pid).is_none() {
            return "SIGTERM, clean exit";
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    signal(pid, "KILL");
    "SIGKILL after ignoring SIGTERM"
}

/// `ferry demo down --dir D`.
pub(crate) fn run(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        println!("Nothing to do: {} does not exist.", dir.display());
        return Ok(());
    }
    anyhow::ensure!(
        dir.join(STATE_FILE).exists(),
        "{} is not a ferry demo directory (no {STATE_FILE}); not touching it",
        dir.display()
    );
    for name in ["azure", "aws"] {
        let file = pid_path(dir, name);
        match running_pid(&file) {
            Some(pid) => println!("✓ stopped {name} (PID {pid}, {})", stop(pid)),
            None if file.exists() => {
                println!("✓ {name} was not running (stale {})", file.display());
            }
            None => {}
        }
    }
    std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    println!("✓ removed {}", dir.display());
    Ok(())
}
