//! Runs `ferry …` commands as child processes of this very binary, so that
//! what the commands sheet says is exactly what ran.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::state::DemoState;

/// How long one command may take before it is killed.
pub(crate) const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Variables that would point a command elsewhere than the demo's
/// clusters; removed from every child's environment.
const FOREIGN_VARS: &[&str] = &[
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

/// This binary.
pub(crate) fn ferry_exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("locating the ferry binary (current_exe)")
}

/// Spawns `cmd`, retrying for a few seconds while the binary is missing: a
/// rebuild replaces it in place (unlink, then write), and a demo that runs
/// for a while may catch that moment.
pub(crate) fn spawn(cmd: &mut Command) -> std::io::Result<std::process::Child> {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && tries < 40 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(250));
            }
            other => return other,
        }
    }
}

/// `FERRY_HOME=home` and none of [`FOREIGN_VARS`].
pub(crate) fn clean_env(cmd: &mut Command, home: &Path) {
    for var in FOREIGN_VARS {
        cmd.env_remove(var);
    }
    cmd.env("FERRY_HOME", home);
}

/// The outcome of one command.
#[derive(Debug)]
pub(crate) struct Output {
    /// Exit code; `None` when killed (timeout or signal).
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Output {
    /// True when it exited 0.
    pub(crate) fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The error a failed command amounts to.
    pub(crate) fn error(&self, args: &[String]) -> anyhow::Error {
        let status = self.code.map_or_else(
            || "was killed (timeout)".to_owned(),
            |c| format!("exited {c}"),
        );
        anyhow::anyhow!(
            "`ferry {}` {status}: {}",
            args.first().map_or("", String::as_str),
            last_lines(if self.stderr.trim().is_empty() {
                &self.stdout
            } else {
                &self.stderr
            })
        )
    }
}

/// The last few lines of `text`, for error messages.
pub(crate) fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.trim().lines().collect();
    lines[lines.len().saturating_sub(6)..].join("\n")
}

/// Runs `ferry args…` with `FERRY_HOME=home`, stdin closed, killed after
/// `timeout`.
pub(crate) fn ferry(args: &[String], home: &Path, timeout: Duration) -> anyhow::Result<Output> {
    ferry_with_input(args, home, timeout, None)
}

/// [`ferry`] with `input` on its standard input (then closed).
pub(crate) fn ferry_with_input(
    args: &[String],
    home: &Path,
    timeout: Duration,
    input: Option<&str>,
) -> anyhow::Result<Output> {
    let mut cmd = Command::new(ferry_exe()?);
    cmd.args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    clean_env(&mut cmd, home);
    let mut child =
        spawn(&mut cmd).with_context(|| format!("starting `ferry {}`", args.join(" ")))?;
    if let (Some(text), Some(mut pipe)) = (input, child.stdin.take()) {
        let text = text.to_owned();
        std::thread::spawn(move || {
            use std::io::Write as _;
            let _ = pipe.write_all(text.as_bytes());
        });
    }
    let reader = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let code = loop {
        if let Some(status) = child.try_wait()? {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        code,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// [`ferry`] that must succeed; returns its stdout.
pub(crate) fn ferry_ok(args: &[String], home: &Path) -> anyhow::Result<String> {
    let out = ferry(args, home, COMMAND_TIMEOUT)?;
    if out.success() {
        Ok(out.stdout)
    } else {
        Err(out.error(args))
    }
}

/// Runs the demo's commands against its clusters.
#[derive(Debug)]
pub(crate) struct Runner {
    home: PathBuf,
}

impl Runner {
    pub(crate) fn new(state: &DemoState) -> Self {
        Self { home: state.home() }
    }

    /// Runs one command (without recording it).
    pub(crate) fn run(&self, args: &[String]) -> anyhow::Result<Output> {
        ferry(args, &self.home, COMMAND_TIMEOUT)
    }

    /// Runs one command with `input` on its standard input.
    pub(crate) fn run_with_input(&self, args: &[String], input: &str) -> anyhow::Result<Output> {
        ferry_with_input(args, &self.home, COMMAND_TIMEOUT, Some(input))
    }
}
