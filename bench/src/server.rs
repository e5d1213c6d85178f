//! Runs the release `ferry server` the benchmark measures.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A `ferry server` child process, killed on drop.
#[derive(Debug)]
pub(crate) struct Server {
    child: Option<Child>,
    /// `127.0.0.1:PORT` of its PLAINTEXT listener.
    pub(crate) bootstrap: String,
    /// The cluster id from its ready line.
    pub(crate) cluster_id: String,
    /// `127.0.0.1:PORT` of its REST listener, when `rest.listeners` is set.
    pub(crate) rest: Option<String>,
    /// The directory it was started on.
    pub(crate) data_dir: std::path::PathBuf,
}

impl Server {
    /// Starts `ferry server` on `data_dir` and a free port; waits (up to a
    /// minute) for its ready line.
    pub(crate) fn start(
        ferry: &Path,
        data_dir: &Path,
        overrides: &[String],
    ) -> anyhow::Result<Self> {
        // Inside the temporary dir, so it goes away with it.
        let stderr = std::fs::File::create(data_dir.join("server.stderr"))?;
        let mut cmd = Command::new(ferry);
        cmd.arg("server")
            .arg("--data-dir")
            .arg(data_dir.join("data"))
            .args(["--override", "listeners=PLAINTEXT://127.0.0.1:0"])
            .args(["--override", "group.initial.rebalance.delay.ms=0"])
            .args(["--override", "schema.registry.listeners="]);
        for o in overrides {
            cmd.arg("--override").arg(o);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut bootstrap = None;
        let mut rest = None;
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("ferry server: listener PLAINTEXT on ") {
                        bootstrap = Some(addr.trim().to_string());
                    } else if let Some(addr) = line.strip_prefix("ferry server: rest listener on ")
                    {
                        rest = Some(addr.trim().to_string());
                    } else if let Some(ready) = line.strip_prefix("ferry server: ready") {
                        let bootstrap = bootstrap
                            .ok_or_else(|| anyhow::anyhow!("ready without a PLAINTEXT listener"))?;
                        let cluster_id = ready
                            .trim()
                            .trim_start_matches("(cluster id ")
                            .trim_end_matches(')')
                            .to_string();
                        return Ok(Self {
                            child: Some(child),
                            bootstrap,
                            cluster_id,
                            rest,
                            data_dir: data_dir.to_path_buf(),
                        });
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(status) = child.try_wait()? {
                        anyhow::bail!("ferry server exited before ready: {status}");
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    anyhow::bail!("ferry server closed stdout before ready")
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        anyhow::bail!("ferry server not ready within 60s")
    }

    /// The broker's PID.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Peak resident set size so far (`VmHWM`), in KiB.
    pub(crate) fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Resident set size now (`VmRSS`), in KiB.
    pub(crate) fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Asks for a clean shutdown (SIGTERM) and waits up to 30 s.
    pub(crate) fn stop(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
