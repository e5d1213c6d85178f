//! The step-by-step report: one `✓` or `✗` line per step and check, printed
//! (and flushed) as it happens, then a summary.

use std::io::Write as _;
use std::time::{Duration, Instant};

use super::state::DemoState;

/// Counts what passed and failed while printing it.
#[derive(Debug)]
pub(crate) struct Report {
    started: Instant,
    passed: usize,
    failed: Vec<String>,
}

impl Report {
    pub(crate) fn new() -> Self {
        Self {
            started: Instant::now(),
            passed: 0,
            failed: Vec::new(),
        }
    }

    fn print(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    fn stamp(&self) -> String {
        format!("[{:>5.1}s]", self.started.elapsed().as_secs_f64())
    }

    /// A heading.
    pub(crate) fn title(&self, text: &str) {
        self.print(&format!("\n{text}"));
    }

    /// A step heading.
    pub(crate) fn step(&self, text: &str) {
        self.print(&format!("\n{} {text}", self.stamp()));
    }

    /// Free text under a step.
    pub(crate) fn line(&self, text: &str) {
        self.print(&format!("          {text}"));
    }

    /// Something in progress (`…`), before its outcome is known.
    pub(crate) fn progress(&self, text: &str) {
        self.print(&format!("{}   … {text}", self.stamp()));
    }

    /// A command about to run, as the sheet records it.
    pub(crate) fn command(&self, line: &str) {
        self.print(&format!("{}   $ {line}", self.stamp()));
    }

    /// `✓ what`.
    pub(crate) fn pass(&mut self, what: &str) {
        self.passed += 1;
        self.print(&format!("{}   ✓ {what}", self.stamp()));
    }

    /// `✗ what: why`.
    pub(crate) fn fail(&mut self, what: &str, why: &str) {
        self.failed.push(what.to_owned());
        let why = why.replace('\n', "\n              ");
        self.print(&format!("{}   ✗ {what}: {why}", self.stamp()));
    }

    /// Records `result` as a pass or a failure.
    pub(crate) fn outcome(&mut self, what: &str, result: anyhow::Result<String>) -> bool {
        match result {
            Ok(detail) if detail.is_empty() => {
                self.pass(what);
                true
            }
            Ok(detail) => {
                self.pass(&format!("{what}: {detail}"));
                true
            }
            Err(e) => {
                self.fail(what, &format!("{e:#}"));
                false
            }
        }
    }

    /// True when nothing has failed so far.
    pub(crate) fn all_passed(&self) -> bool {
        self.failed.is_empty()
    }

    /// Prints the summary; true when nothing failed.
    pub(crate) fn summary(&self, elapsed: Duration) -> bool {
        if self.failed.is_empty() {
            self.print(&format!(
                "\n✓ all {} steps and verifications passed in {:.1}s",
                self.passed,
                elapsed.as_secs_f64()
            ));
        } else {
            self.print(&format!(
                "\n✗ {} of {} steps and verifications failed ({:.1}s): {}",
                self.failed.len(),
                self.failed.len() + self.passed,
                elapsed.as_secs_f64(),
                self.failed.join("; ")
            ));
        }
        self.all_passed()
    }

    /// Endpoints and credentials, for exploring by hand.
    pub(crate) fn endpoints(&self, state: &DemoState) {
        self.print("\nEndpoints (FERRY_HOME holds the environments `aws` and `azure`):");
        self.print(&format!(
            "  export FERRY_HOME={}",
            super::sheet::quote(&state.home().display().to_string())
        ));
        for side in [&state.source, &state.destination] {
            self.print(&format!(
                "  {:<6} cluster {}  Kafka (SASL_SSL) {}  REST {}  schema registry {}",
                side.name,
                side.cluster_id,
                side.bootstrap(),
                side.rest_url(),
                side.registry_url()
            ));
            self.print(&format!(
                "         API key {}  secret {}  CA {}",
                side.api_key,
                side.api_secret,
                side.ca().display()
            ));
        }
        self.print(&format!(
            "  e.g. ferry kafka topic consume sample_order_data --from-beginning --bootstrap {} --api-key {} --api-secret {} --ca-cert {}",
            state.destination.bootstrap(),
            state.destination.api_key,
            state.destination.api_secret,
            super::sheet::quote(&state.destination.ca().display().to_string())
        ));
        self.print(&format!(
            "  Commands sheet: {}",
            state.sheet_path().display()
        ));
        self.print(&format!(
            "  Stop a demo left running: ferry demo down --dir {}",
            super::sheet::quote(&state.dir.display().to_string())
        ));
    }
}
