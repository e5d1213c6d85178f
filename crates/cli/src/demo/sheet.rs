//! The commands sheet, `<dir>/replication_commands.txt`: the analog of the
//! seed's, with every command the demo ran, in order, with real values.
//!
//! Shape (a POSIX shell script): `#` comments; one
//! `export FERRY_HOME=…` line (the demo's environments live there); and
//! otherwise one standalone `ferry …` command per line, its arguments
//! quoted for the shell, naming the files it needs by absolute path (they
//! are written beside the sheet). The set-up that produced the clusters
//! (certificates, API keys, servers) is listed as comments: it ran once,
//! with random secrets, and `ferry demo --servers-only` repeats it.

use std::path::Path;

use anyhow::Context as _;

use super::cluster::{api_key_args, certs_args, path_str, properties_path, server_args};
use super::state::DemoState;

/// The sheet being written.
#[derive(Debug)]
pub(crate) struct Sheet {
    lines: Vec<String>,
}

/// Quotes one argument for a POSIX shell (only when needed).
pub(crate) fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=,@%+".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// `ferry a b c` as one shell line.
pub(crate) fn command_line(args: &[String]) -> String {
    let mut line = "ferry".to_owned();
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    line
}

impl Sheet {
    /// The header and the set-up section, from the demo's state.
    pub(crate) fn new(state: &DemoState) -> Self {
        let mut sheet = Self { lines: Vec::new() };
        let dir = state.dir.display();
        sheet.comment("ferry demo: the cross-cloud replication walkthrough, command by command.");
        sheet
            .comment("Every line below that is not a comment ran, in this order; replay them in a");
        sheet.comment(&format!(
            "shell, one by one, against clusters started with `ferry demo --servers-only --dir {dir}`."
        ));
        sheet.blank();
        sheet.section("0. Set-up (done by `ferry demo`; the seed's `terraform apply`)");
        for side in [&state.source, &state.destination] {
            let role = if side.name == "aws" {
                "source"
            } else {
                "destination"
            };
            sheet.comment(&format!("{} ({role}):", side.name));
            for args in [
                certs_args(&side.name, &side.dir),
                api_key_args(&side.name, &side.dir),
            ] {
                sheet.comment(&format!("  {}", command_line(&args)));
            }
            sheet.comment(&format!(
                "  {}    # config: {}, output: {}",
                command_line(&server_args(&side.dir)),
                path_str(&properties_path(&side.dir)),
                path_str(&side.dir.join("server.log"))
            ));
            sheet.comment(&format!(
                "  cluster id {}, API key {} (secret in {}), Kafka {}, REST {}, schema registry {}",
                side.cluster_id,
                side.api_key,
                path_str(&state.dir.join(super::state::STATE_FILE)),
                side.bootstrap(),
                side.rest_url(),
                side.registry_url()
            ));
        }
        sheet.comment("The demo's environments live here, not in ~/.ferry:");
        sheet.lines.push(format!(
            "export FERRY_HOME={}",
            quote(&path_str(&state.home()))
        ));
        sheet
    }

    /// A blank line.
    pub(crate) fn blank(&mut self) {
        self.lines.push(String::new());
    }

    /// `# text`.
    pub(crate) fn comment(&mut self, text: &str) {
        self.lines.push(format!("# {text}").trim_end().to_owned());
    }

    /// A step heading.
    pub(crate) fn section(&mut self, title: &str) {
        if self.lines.last().is_some_and(|l| !l.is_empty()) {
            self.blank();
        }
        self.comment(&format!("== {title}"));
    }

    /// A command that ran (or is to run).
    pub(crate) fn command(&mut self, args: &[String]) {
        self.lines.push(command_line(args));
    }

    /// Records a file written beside the sheet, with its contents as comments
    /// (secrets included: the file holds them too).
    pub(crate) fn file(&mut self, path: &Path, contents: &str) {
        self.comment(&format!("wrote {}:", path.display()));
        for line in contents.lines() {
            self.comment(&format!("  {line}"));
        }
    }

    /// Writes the sheet (owner-only: it holds API secrets).
    pub(crate) fn write(&self, path: &Path) -> anyhow::Result<()> {
        let mut text = self.lines.join("\n");
        text.push('\n');
        super::state::write_private(path, &text)
            .with_context(|| format!("writing {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_the_shell() {
        assert_eq!(quote("localhost:9092"), "localhost:9092");
        assert_eq!(quote(":*:"), "':*:'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        let line = command_line(&["a b".to_owned(), "c".to_owned()]);
        assert_eq!(line, "ferry 'a b' c");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "printf '%s|' {} {}",
                quote("it's :*: {\"x\": [1]}"),
                quote("$HOME")
            ))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "it's :*: {\"x\": [1]}|$HOME|"
        );
    }
}
