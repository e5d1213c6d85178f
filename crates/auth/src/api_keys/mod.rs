//! API keys: Confluent-style key/secret pairs that work as SASL PLAIN and
//! SCRAM credentials (key = user name, secret = password).
//!
//! The store lives in `<data_dir>/api-keys.json` (format in `file`), holds
//! only SCRAM-derived material, and re-reads the file whenever it changes,
//! so a key made by `ferry api-key create` works on a running server at once.

mod file;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::error::AuthError;
use crate::mechanism::Mechanism;
use crate::scram::{ScramAlgorithm, ScramCredential};

/// Length of an API key (as Confluent's).
pub const API_KEY_LEN: usize = 16;
/// Length of an API secret (as Confluent's).
pub const API_SECRET_LEN: usize = 64;
/// API keys are upper-case letters and digits.
const KEY_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Secrets use the base64 alphabet (6 random bits a character, 384 in all).
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// What `list` shows about a key (never its secret, which is not stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyInfo {
    /// The key.
    pub api_key: String,
    /// The description given at creation.
    pub description: Option<String>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_at_ms: u64,
}

/// The last version of the file read, and when.
#[derive(Debug)]
struct Cache {
    /// Stamp of the version in `records` (`None`: no file).
    stamp: Option<file::Stamp>,
    /// The keys, shared with readers so a lookup need not copy them.
    records: Arc<file::Records>,
}

#[derive(Debug)]
struct Shared {
    path: PathBuf,
    cache: Mutex<Cache>,
}

/// The API-key store over `<data_dir>/api-keys.json`. Cheap to clone (one
/// `Arc`) and `Send + Sync`.
#[derive(Debug, Clone)]
pub struct ApiKeyStore {
    shared: Arc<Shared>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl ApiKeyStore {
    /// Opens the store in `data_dir`. The file need not exist yet (no keys);
    /// the directory is created on the first [`ApiKeyStore::create`].
    ///
    /// # Errors
    /// [`AuthError::ApiKeyStore`] if the file exists but cannot be read or parsed.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self, AuthError> {
        let path = data_dir.as_ref().join(file::FILE_NAME);
        let (records, stamp) = file::read(&path)?;
        Ok(ApiKeyStore {
            shared: Arc::new(Shared {
                path,
                cache: Mutex::new(Cache {
                    stamp,
                    records: Arc::new(records),
                }),
            }),
        })
    }

    /// The file the store reads and writes.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// The current keys, re-reading the file first if it changed. A file that
    /// turned unreadable or corrupt is reported once (tracing warning) and the
    /// last good keys stay in force until it is fixed.
    fn records(&self) -> Arc<file::Records> {
        let path = &self.shared.path;
        let mut cache = self
            .shared
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let current = match file::stamp(path) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "keeping the API keys already loaded");
                return Arc::clone(&cache.records);
            }
        };
        if current != cache.stamp {
            match file::read(path) {
                Ok((records, stamp)) => {
                    cache.records = Arc::new(records);
                    cache.stamp = stamp;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "keeping the API keys already loaded");
                    // Do not retry this same broken version on every login.
                    cache.stamp = current;
                }
            }
        }
        Arc::clone(&cache.records)
    }

    /// Replaces the cache after a write by this process.
    fn remember(&self, records: file::Records) {
        let stamp = file::stamp(&self.shared.path).ok().flatten();
        let mut cache = self
            .shared
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache.records = Arc::new(records);
        cache.stamp = stamp;
    }

    /// Creates a key and returns `(key, secret)`. The secret is shown only
    /// here: the store keeps just its SCRAM-SHA-256 and SCRAM-SHA-512
    /// credentials (random salts, 4096 iterations).
    ///
    /// # Errors
    /// [`AuthError::ApiKeyStore`] if the file cannot be read, parsed or written
    /// (a corrupt file is never overwritten).
    pub fn create(&self, description: Option<&str>) -> Result<(String, String), AuthError> {
        let path = &self.shared.path;
        let lock = file::lock(path)?;
        let (mut records, _) = file::read(path)?;
        let key = loop {
            let candidate = crate::random::string_from(KEY_ALPHABET, API_KEY_LEN);
            if !records.contains_key(&candidate) {
                break candidate;
            }
        };
        let secret = crate::random::string_from(SECRET_ALPHABET, API_SECRET_LEN);
        let record = file::Record {
            key: key.clone(),
            description: description.map(str::to_owned),
            created_at_ms: now_ms(),
            scram_sha_256: ScramCredential::generate(ScramAlgorithm::Sha256, &secret),
            scram_sha_512: ScramCredential::generate(ScramAlgorithm::Sha512, &secret),
        };
        records.insert(key.clone(), record);
        file::write(path, &records, &lock)?;
        drop(lock);
        self.remember(records);
        Ok((key, secret))
    }

    /// Every key, oldest first.
    ///
    /// # Errors
    /// [`AuthError::ApiKeyStore`] if the file cannot be read or parsed.
    pub fn list(&self) -> Result<Vec<ApiKeyInfo>, AuthError> {
        let (records, _) = file::read(&self.shared.path)?;
        let mut out: Vec<ApiKeyInfo> = records
            .into_values()
            .map(|r| ApiKeyInfo {
                api_key: r.key,
                description: r.description,
                created_at_ms: r.created_at_ms,
            })
            .collect();
        out.sort_by(|a, b| (a.created_at_ms, &a.api_key).cmp(&(b.created_at_ms, &b.api_key)));
        Ok(out)
    }

    /// Deletes a key. Returns whether it existed.
    ///
    /// # Errors
    /// [`AuthError::ApiKeyStore`] if the file cannot be read, parsed or written.
    pub fn delete(&self, key: &str) -> Result<bool, AuthError> {
        let path = &self.shared.path;
        let lock = file::lock(path)?;
        let (mut records, _) = file::read(path)?;
        if records.remove(key).is_none() {
            return Ok(false);
        }
        file::write(path, &records, &lock)?;
        drop(lock);
        self.remember(records);
        Ok(true)
    }

    /// Whether `key` exists (after re-reading a changed file).
    pub fn contains(&self, key: &str) -> bool {
        self.records().contains_key(key)
    }

    /// Checks a key and secret as PLAIN credentials: recomputes the
    /// SCRAM-SHA-256 `StoredKey` from `secret` and compares in constant time.
    pub fn verify_plain(&self, key: &str, secret: &str) -> bool {
        let records = self.records();
        records.get(key).is_some_and(|r| {
            r.scram_sha_256
                .verify_password(ScramAlgorithm::Sha256, secret)
        })
    }

    /// The SCRAM credential of `key` for a SCRAM `mechanism` (`None` for an
    /// unknown key or for PLAIN).
    pub fn scram_credential(&self, key: &str, mechanism: Mechanism) -> Option<ScramCredential> {
        let records = self.records();
        let record = records.get(key)?;
        match mechanism.scram_algorithm()? {
            ScramAlgorithm::Sha256 => Some(record.scram_sha_256.clone()),
            ScramAlgorithm::Sha512 => Some(record.scram_sha_512.clone()),
        }
    }
}

#[cfg(test)]
mod tests;
