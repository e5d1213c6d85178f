//! Small files beside the segments: the log start offset checkpoint and the
//! clean-shutdown marker.
//!
//! # `log-start-offset` format
//! Two text lines: a format version (`0`) and the log start offset, e.g.
//! `0\n1234\n`. It is replaced atomically (write to a temporary file, fsync,
//! rename, fsync the directory), so a crash leaves the old or the new value.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::LogError;
use crate::error::IoContext;

/// File name of the log start offset checkpoint.
pub(crate) const LOG_START_FILE: &str = "log-start-offset";
/// File name of the marker `close()` leaves behind.
pub(crate) const CLEAN_SHUTDOWN_FILE: &str = "clean-shutdown";
const VERSION: &str = "0";

/// Parses checkpoint text.
pub(crate) fn parse(text: &str) -> Option<i64> {
    let mut lines = text.lines();
    if lines.next()?.trim() != VERSION {
        return None;
    }
    lines.next()?.trim().parse().ok().filter(|o: &i64| *o >= 0)
}

/// Renders checkpoint text.
pub(crate) fn render(offset: i64) -> String {
    format!("{VERSION}\n{offset}\n")
}

/// Reads the checkpoint; None when missing. An unreadable checkpoint is
/// logged and ignored (the first segment then bounds the log start).
pub(crate) fn read_log_start(dir: &Path) -> Result<Option<i64>, LogError> {
    let path = dir.join(LOG_START_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => {
            let parsed = parse(&text);
            if parsed.is_none() {
                tracing::warn!(path = %path.display(), "ignoring unreadable log start checkpoint");
            }
            Ok(parsed)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).at(&path),
    }
}

/// Persists the checkpoint atomically and durably.
pub(crate) fn write_log_start(dir: &Path, offset: i64) -> Result<(), LogError> {
    let path = dir.join(LOG_START_FILE);
    let tmp = dir.join(format!("{LOG_START_FILE}.tmp"));
    let mut f = fs::File::create(&tmp).at(&tmp)?;
    f.write_all(render(offset).as_bytes()).at(&tmp)?;
    f.sync_all().at(&tmp)?;
    fs::rename(&tmp, &path).at(&path)?;
    fsync_dir(dir)
}

/// Makes file creations, renames and deletions in `dir` durable.
pub(crate) fn fsync_dir(dir: &Path) -> Result<(), LogError> {
    fs::File::open(dir).and_then(|d| d.sync_all()).at(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_text() {
        assert_eq!(render(1234), "0\n1234\n");
        assert_eq!(parse("0\n1234\n"), Some(1234));
        assert_eq!(parse(&render(0)), Some(0));
        assert_eq!(parse("1\n5\n"), None, "unknown version");
        assert_eq!(parse("0\n-5\n"), None);
        assert_eq!(parse("0\n"), None);
        assert_eq!(parse("0\nabc\n"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn write_then_read() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_log_start(dir.path()).unwrap(), None);
        write_log_start(dir.path(), 42).unwrap();
        assert_eq!(read_log_start(dir.path()).unwrap(), Some(42));
        write_log_start(dir.path(), 43).unwrap();
        assert_eq!(read_log_start(dir.path()).unwrap(), Some(43));
        std::fs::write(dir.path().join(LOG_START_FILE), "garbage").unwrap();
        assert_eq!(read_log_start(dir.path()).unwrap(), None);
    }
}
