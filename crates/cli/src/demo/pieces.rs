//! Which of the commands the demo relies on this binary has: each step is
//! switched on by the presence of its command (asked with `--help`), so a
//! build without one reports that step as missing instead of failing
//! obscurely.

use std::time::Duration;

use super::runner;

/// The optional commands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pieces {
    /// `ferry environment create|use`.
    pub(crate) environment: bool,
    /// `ferry connect cluster create --config-file` (managed datagen).
    pub(crate) connect: bool,
    /// `ferry schema-registry exporter create`.
    pub(crate) exporter: bool,
    /// `ferry kafka topic consume --value-format avro`.
    pub(crate) avro_consume: bool,
}

/// Whether `ferry <args> --help` succeeds and mentions `needle`.
fn has(args: &[&str], needle: &str) -> bool {
    let mut all: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    all.push("--help".to_owned());
    let home = std::env::temp_dir();
    runner::ferry(&all, &home, Duration::from_secs(30))
        .is_ok_and(|out| out.success() && out.stdout.contains(needle))
}

impl Pieces {
    /// Asks this binary.
    pub(crate) fn detect() -> Self {
        Self {
            environment: has(&["environment", "use"], "Usage"),
            connect: has(&["connect", "cluster", "create"], "--config-file"),
            exporter: has(&["schema-registry", "exporter", "create"], "--subjects"),
            avro_consume: has(&["kafka", "topic", "consume"], "--value-format"),
        }
    }

    /// The missing commands, for the report.
    pub(crate) fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if !self.environment {
            out.push("ferry environment");
        }
        if !self.connect {
            out.push("ferry connect cluster create");
        }
        if !self.exporter {
            out.push("ferry schema-registry exporter create");
        }
        if !self.avro_consume {
            out.push("ferry kafka topic consume --value-format");
        }
        out
    }
}
