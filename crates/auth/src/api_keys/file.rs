//! The on-disk form of the API-key store: `<data_dir>/api-keys.json`.
//!
//! # Format
//! ```json
//! {
//!   "version": 1,
//!   "api_keys": [
//!     {
//!       "api_key": "ABCDEFGH12345678",
//!       "description": "link to dc-west",
//!       "created_at_ms": 1767225600000,
//!       "scram_sha_256": { "salt": "<b64>", "iterations": 4096, "stored_key": "<b64>", "server_key": "<b64>" },
//!       "scram_sha_512": { ... }
//!     }
//!   ]
//! }
//! ```
//! Only SCRAM-derived material is stored, never the secret. Writers take an
//! exclusive lock on `api-keys.json.lock`, write a temporary file with mode
//! 0600, fsync it and rename it over the old one, so readers always see a
//! whole file and concurrent `ferry api-key create` runs do not lose keys.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use crate::scram::{ScramAlgorithm, ScramCredential};

/// The file name inside the data directory.
pub(crate) const FILE_NAME: &str = "api-keys.json";
/// Newest format version this code reads and the one it writes.
const VERSION: u32 = 1;

/// One API key in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// The key (the SASL user name).
    pub(crate) key: String,
    /// Free text from `--description`.
    pub(crate) description: Option<String>,
    /// Creation time, milliseconds since the Unix epoch.
    pub(crate) created_at_ms: u64,
    /// SCRAM-SHA-256 material (also used to verify PLAIN).
    pub(crate) scram_sha_256: ScramCredential,
    /// SCRAM-SHA-512 material.
    pub(crate) scram_sha_512: ScramCredential,
}

/// Every key, by key.
pub(crate) type Records = BTreeMap<String, Record>;

#[derive(Serialize, Deserialize)]
struct FileContents {
    version: u32,
    #[serde(default)]
    api_keys: Vec<FileEntry>,
}

#[derive(Serialize, Deserialize)]
struct FileEntry {
    api_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default)]
    created_at_ms: u64,
    scram_sha_256: FileCredential,
    scram_sha_512: FileCredential,
}

#[derive(Serialize, Deserialize)]
struct FileCredential {
    salt: String,
    iterations: u32,
    stored_key: String,
    server_key: String,
}

impl FileCredential {
    fn from_credential(c: &ScramCredential) -> Self {
        FileCredential {
            salt: BASE64.encode(c.salt()),
            iterations: c.iterations(),
            stored_key: BASE64.encode(c.stored_key()),
            server_key: BASE64.encode(c.server_key()),
        }
    }

    fn into_credential(self, algorithm: ScramAlgorithm) -> Result<ScramCredential, String> {
        let decode = |field: &str, value: &str| {
            BASE64
                .decode(value)
                .map_err(|e| format!("{field} is not valid base64: {e}"))
        };
        ScramCredential::new(
            algorithm,
            decode("salt", &self.salt)?,
            self.iterations,
            decode("stored_key", &self.stored_key)?,
            decode("server_key", &self.server_key)?,
        )
        .map_err(|e| e.to_string())
    }
}

fn corrupt(path: &Path, message: String) -> AuthError {
    AuthError::ApiKeyStore {
        path: path.to_path_buf(),
        message,
    }
}

/// Parses file contents.
pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Records, AuthError> {
    let contents: FileContents = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(path, format!("not a valid API-key file: {e}")))?;
    if contents.version > VERSION {
        return Err(corrupt(
            path,
            format!(
                "format version {} is newer than this ferry understands ({VERSION})",
                contents.version
            ),
        ));
    }
    let mut records = Records::new();
    for entry in contents.api_keys {
        let key = entry.api_key;
        let bad = |m: String| corrupt(path, format!("API key {key}: {m}"));
        let record = Record {
            scram_sha_256: entry
                .scram_sha_256
                .into_credential(ScramAlgorithm::Sha256)
                .map_err(bad)?,
            scram_sha_512: entry
                .scram_sha_512
                .into_credential(ScramAlgorithm::Sha512)
                .map_err(bad)?,
            key: key.clone(),
            description: entry.description,
            created_at_ms: entry.created_at_ms,
        };
        if records.insert(key.clone(), record).is_some() {
            return Err(corrupt(path, format!("API key {key} appears twice")));
        }
    }
    Ok(records)
}

/// Serializes records.
fn render(records: &Records) -> Result<Vec<u8>, serde_json::Error> {
    let contents = FileContents {
        version: VERSION,
        api_keys: records
            .values()
            .map(|r| FileEntry {
                api_key: r.key.clone(),
                description: r.description.clone(),
                created_at_ms: r.created_at_ms,
                scram_sha_256: FileCredential::from_credential(&r.scram_sha_256),
                scram_sha_512: FileCredential::from_credential(&r.scram_sha_512),
            })
            .collect(),
    };
    let mut out = serde_json::to_vec_pretty(&contents)?;
    out.push(b'\n');
    Ok(out)
}

/// Identifies one version of the file: a rewrite renames a new inode into
/// place, so the inode changes even when size and mtime happen to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
    inode: u64,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode,
        }
    }
}

/// The file's current stamp, or `None` if it does not exist.
pub(crate) fn stamp(path: &Path) -> Result<Option<Stamp>, AuthError> {
    match fs::metadata(path) {
        Ok(meta) => Ok(Some(Stamp::of(&meta))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AuthError::store_io(path, "cannot inspect", &e)),
    }
}

/// Reads the file: its records and the stamp of the version read. A missing
/// file is an empty store.
pub(crate) fn read(path: &Path) -> Result<(Records, Option<Stamp>), AuthError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Records::new(), None)),
        Err(e) => return Err(AuthError::store_io(path, "cannot open", &e)),
    };
    // Stamp and contents come from the same open file, so they agree even if
    // a writer renames a new version into place meanwhile.
    let meta = file
        .metadata()
        .map_err(|e| AuthError::store_io(path, "cannot inspect", &e))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| AuthError::store_io(path, "cannot read", &e))?;
    Ok((parse(path, &bytes)?, Some(Stamp::of(&meta))))
}

/// Opens a file for writing with owner-only permissions.
fn open_private(path: &Path, options: &mut OpenOptions) -> std::io::Result<File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    options.open(path)
}

/// An exclusive lock on the store, held by writers for a read-modify-write.
#[derive(Debug)]
pub(crate) struct WriteLock {
    _file: File,
}

/// Takes the writers' lock (blocking), creating the directory if needed.
pub(crate) fn lock(path: &Path) -> Result<WriteLock, AuthError> {
    let dir = parent(path);
    fs::create_dir_all(dir).map_err(|e| AuthError::store_io(dir, "cannot create directory", &e))?;
    let lock_path = with_suffix(path, ".lock");
    let file = open_private(
        &lock_path,
        OpenOptions::new().create(true).truncate(false).write(true),
    )
    .map_err(|e| AuthError::store_io(&lock_path, "cannot open lock file", &e))?;
    file.lock()
        .map_err(|e| AuthError::store_io(&lock_path, "cannot lock", &e))?;
    Ok(WriteLock { _file: file })
}

/// Replaces the file with `records`, atomically. Call with the [`WriteLock`] held.
pub(crate) fn write(path: &Path, records: &Records, _lock: &WriteLock) -> Result<(), AuthError> {
    let bytes = render(records).map_err(|e| corrupt(path, format!("cannot serialize: {e}")))?;
    let tmp = with_suffix(
        path,
        &format!(".tmp.{}.{}", std::process::id(), crate::random::nonce(8)),
    );
    let result = (|| {
        let mut file = open_private(&tmp, OpenOptions::new().create_new(true).write(true))?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        File::open(parent(path))?.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(AuthError::store_io(path, "cannot write", &e));
    }
    Ok(())
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
