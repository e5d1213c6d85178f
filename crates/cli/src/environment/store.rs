//! `$FERRY_HOME/config.json` (default `~/.ferry/config.json`): the
//! environment profiles and which one is current.
//!
//! ```json
//! {
//!   "current_environment": "dest",
//!   "environments": {
//!     "dest": {
//!       "rest_url": "http://localhost:8090/kafka",
//!       "schema_registry_endpoint": "http://localhost:8081",
//!       "bootstrap": "localhost:9092",
//!       "api_key": "KEY", "api_secret": "SECRET",
//!       "schema_registry_api_key": "SRKEY", "schema_registry_api_secret": "SRSECRET",
//!       "ca_location": "/path/ca.pem"
//!     }
//!   }
//! }
//! ```
//!
//! The file holds secrets, so it is written with mode 0600 (its directory
//! 0700), and atomically (a temporary file renamed over it) so that a crash
//! or a full disk never leaves half a file behind.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::{
    DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _,
};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// One environment: the endpoints and credentials of one deployment (a
/// source or a destination), so commands need no endpoint flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Profile {
    /// Kafka REST API v3 base URL, including `/kafka` (`ferry kafka link|mirror`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rest_url: Option<String>,
    /// Schema registry base URL (`ferry schema-registry`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) schema_registry_endpoint: Option<String>,
    /// Kafka bootstrap servers, `HOST:PORT[,…]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bootstrap: Option<String>,
    /// API key for the cluster (SASL and the REST API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) api_key: Option<String>,
    /// Its secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) api_secret: Option<String>,
    /// API key for the schema registry; the cluster key is used when absent
    /// (ferry's registry checks the same API keys as its broker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) schema_registry_api_key: Option<String>,
    /// Its secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) schema_registry_api_secret: Option<String>,
    /// PEM file of the CA that signed the servers' certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ca_location: Option<PathBuf>,
}

impl Profile {
    /// The cluster API key and secret, when both are set.
    pub(crate) fn cluster_credentials(&self) -> Option<(String, String)> {
        self.api_key.clone().zip(self.api_secret.clone())
    }

    /// The registry's key and secret: its own, else the cluster's.
    pub(crate) fn registry_credentials(&self) -> Option<(String, String)> {
        self.schema_registry_api_key
            .clone()
            .zip(self.schema_registry_api_secret.clone())
            .or_else(|| self.cluster_credentials())
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ConfigFile {
    /// The environment chosen with `ferry environment use`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) current_environment: Option<String>,
    /// Every environment by name.
    #[serde(default)]
    pub(crate) environments: BTreeMap<String, Profile>,
}

/// `$FERRY_HOME`, else `$HOME/.ferry`.
pub(crate) fn ferry_home() -> anyhow::Result<PathBuf> {
    if let Some(home) = std::env::var_os("FERRY_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".ferry")),
        None => {
            anyhow::bail!("neither FERRY_HOME nor HOME is set: cannot locate ferry's config.json")
        }
    }
}

/// `<ferry home>/config.json`.
pub(crate) fn config_path() -> anyhow::Result<PathBuf> {
    Ok(ferry_home()?.join("config.json"))
}

impl ConfigFile {
    /// Reads the file; a missing file is an empty configuration.
    pub(crate) fn load(path: &Path) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        warn_if_readable_by_others(path);
        let config: Self = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a valid ferry configuration (fix it, or remove it to start afresh)",
                path.display()
            )
        })?;
        if let Some(current) = &config.current_environment {
            anyhow::ensure!(
                config.environments.contains_key(current),
                "{}: current_environment \"{current}\" names no environment in the file",
                path.display()
            );
        }
        Ok(config)
    }

    /// Writes the file atomically with mode 0600, creating its directory
    /// (mode 0700) when needed.
    pub(crate) fn save(&self, path: &Path) -> anyhow::Result<()> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        let tmp = dir.join(format!(".config.json.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            // A stale temporary file keeps its old mode; set it explicitly.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)?;
            // The rename itself is durable once the directory is synced.
            std::fs::File::open(dir)?.sync_all()
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            anyhow::Error::new(e).context(format!("cannot write {}", path.display()))
        })
    }
}

/// The file holds secrets: say so when others may read it (someone
/// copied it, or created it by hand).
fn warn_if_readable_by_others(path: &Path) {
    if let Ok(meta) = std::fs::metadata(path)
        && meta.mode() & 0o077 != 0
    {
        eprintln!(
            "Warning: {} holds secrets but is readable by others (mode {:o}); run: chmod 600 {}",
            path.display(),
            meta.mode() & 0o777,
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load_round_trips_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("config.json");
        assert_eq!(ConfigFile::load(&path).unwrap(), ConfigFile::default());
        let mut config = ConfigFile::default();
        config.environments.insert(
            "dest".into(),
            Profile {
                rest_url: Some("http://h:8090/kafka".into()),
                api_key: Some("k".into()),
                api_secret: Some("s".into()),
                ..Profile::default()
            },
        );
        config.current_environment = Some("dest".into());
        config.save(&path).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::metadata(path.parent().unwrap()).unwrap().mode() & 0o777,
            0o700
        );
        assert_eq!(ConfigFile::load(&path).unwrap(), config);
        // Unset fields are left out of the file.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("bootstrap"), "{text}");
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("config.json")]);
    }

    #[test]
    fn corrupt_files_and_dangling_current_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, "{ not json").unwrap();
        let e = format!("{:#}", ConfigFile::load(&path).unwrap_err());
        assert!(e.contains("is not a valid ferry configuration"), "{e}");
        std::fs::write(&path, r#"{"current_environment":"gone","environments":{}}"#).unwrap();
        let e = format!("{:#}", ConfigFile::load(&path).unwrap_err());
        assert!(e.contains("\"gone\" names no environment"), "{e}");
        std::fs::write(&path, r#"{"environments":{"a":{"rest_url":7}}}"#).unwrap();
        assert!(ConfigFile::load(&path).is_err());
    }

    #[test]
    fn registry_credentials_fall_back_to_the_cluster_key() {
        let mut p = Profile {
            api_key: Some("k".into()),
            api_secret: Some("s".into()),
            ..Profile::default()
        };
        assert_eq!(p.registry_credentials(), Some(("k".into(), "s".into())));
        p.schema_registry_api_key = Some("sk".into());
        p.schema_registry_api_secret = Some("ss".into());
        assert_eq!(p.registry_credentials(), Some(("sk".into(), "ss".into())));
    }
}
