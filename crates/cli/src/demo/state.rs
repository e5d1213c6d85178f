//! What a demo knows about its clusters, kept in `<dir>/demo.json` so that
//! `ferry demo verify` and `ferry demo down` work on a demo started by
//! another process (`ferry demo --servers-only`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::cluster::{Cluster, tls_dir};

/// The state file's name, inside the demo directory.
pub(crate) const STATE_FILE: &str = "demo.json";
/// The commands sheet's name (the seed's `replication_commands.txt`).
pub(crate) const SHEET_FILE: &str = "replication_commands.txt";

/// `FERRY_HOME` of every command the demo runs: its environments live
/// there, not in the user's `~/.ferry`.
pub(crate) fn home_dir(demo_dir: &Path) -> PathBuf {
    demo_dir.join("home")
}

/// One cluster's endpoints and credentials.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Side {
    /// `aws` or `azure`.
    pub(crate) name: String,
    /// Its directory (data, tls, server.properties, server.log).
    pub(crate) dir: PathBuf,
    pub(crate) cluster_id: String,
    pub(crate) api_key: String,
    pub(crate) api_secret: String,
    pub(crate) kafka_port: u16,
    pub(crate) rest_port: u16,
    pub(crate) registry_port: u16,
}

impl Side {
    fn from_cluster(c: &Cluster) -> Self {
        Self {
            name: c.name.to_owned(),
            dir: c.dir.clone(),
            cluster_id: c.cluster_id.clone(),
            api_key: c.api_key.clone(),
            api_secret: c.api_secret.clone(),
            kafka_port: c.kafka_port,
            rest_port: c.rest_port,
            registry_port: c.registry_port,
        }
    }

    /// `localhost:PORT` (SASL_SSL).
    pub(crate) fn bootstrap(&self) -> String {
        format!("localhost:{}", self.kafka_port)
    }

    /// The Kafka REST base URL, `https://localhost:PORT/kafka`.
    pub(crate) fn rest_url(&self) -> String {
        format!("https://localhost:{}/kafka", self.rest_port)
    }

    /// The schema registry URL.
    pub(crate) fn registry_url(&self) -> String {
        format!("http://localhost:{}", self.registry_port)
    }

    /// The CA that signed this cluster's certificate.
    pub(crate) fn ca(&self) -> PathBuf {
        tls_dir(&self.dir).join("ca.pem")
    }

    /// `KEY:SECRET`.
    pub(crate) fn user_info(&self) -> String {
        format!("{}:{}", self.api_key, self.api_secret)
    }
}

/// The whole demo.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DemoState {
    /// The demo directory (absolute).
    pub(crate) dir: PathBuf,
    /// "aws".
    pub(crate) source: Side,
    /// "azure".
    pub(crate) destination: Side,
}

impl DemoState {
    pub(crate) fn new(dir: &Path, source: &Cluster, destination: &Cluster) -> Self {
        Self {
            dir: dir.to_owned(),
            source: Side::from_cluster(source),
            destination: Side::from_cluster(destination),
        }
    }

    /// Writes `<dir>/demo.json` (owner-only: it holds the API secrets).
    pub(crate) fn save(&self) -> anyhow::Result<()> {
        let path = self.dir.join(STATE_FILE);
        let text = serde_json::to_string_pretty(self)?;
        write_private(&path, &text).with_context(|| format!("writing {}", path.display()))
    }

    /// Reads `<dir>/demo.json`.
    pub(crate) fn load(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(STATE_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {}: is there a demo in {}? (start one with `ferry demo --dir {}`)",
                path.display(),
                dir.display(),
                dir.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// `FERRY_HOME` of the demo's commands.
    pub(crate) fn home(&self) -> PathBuf {
        home_dir(&self.dir)
    }

    /// The commands sheet.
    pub(crate) fn sheet_path(&self) -> PathBuf {
        self.dir.join(SHEET_FILE)
    }

    /// A file beside the sheet.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Writes a file readable by its owner only.
pub(crate) fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}
