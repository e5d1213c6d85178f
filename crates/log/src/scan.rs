//! Walking the batches of a segment file through a buffer.
//!
//! The decisions are [`recovery::step`]'s; this only does the positional
//! reads (`pread`), so a scan costs one read per buffer, not per batch.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use ferry_protocol::BatchHeader;

use crate::LogError;
use crate::batches::next_offset;
use crate::error::IoContext;
use crate::recovery::{ScanRules, Step, step};

/// Buffer size for CRC-checking scans (whole batches are read).
pub(crate) const CRC_SCAN_CHUNK: usize = 1 << 20;
/// Buffer size for header-only scans: enough for many small batches' headers
/// per read, little wasted on big batches' bodies.
pub(crate) const HEADER_SCAN_CHUNK: usize = 16 << 10;

/// One scan result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scanned {
    /// A batch at `position`.
    Batch {
        /// Byte position in the file.
        position: u64,
        /// Its header.
        header: BatchHeader,
    },
    /// The scan reached its end cleanly.
    End,
    /// Valid data ends at `position`; what follows is torn or invalid.
    Stop {
        /// Byte position in the file.
        position: u64,
        /// True for a short tail, false for bad bytes.
        torn: bool,
        /// Why.
        reason: String,
    },
}

/// A forward scan over `[position, end)` of a segment file.
#[derive(Debug)]
pub(crate) struct Scanner<'a> {
    file: &'a File,
    path: &'a Path,
    position: u64,
    end: u64,
    buf: Vec<u8>,
    buf_start: u64,
    chunk: usize,
    rules: ScanRules,
}

impl<'a> Scanner<'a> {
    /// Scans `[position, end)` of `file` with `rules`.
    pub(crate) fn new(
        file: &'a File,
        path: &'a Path,
        position: u64,
        end: u64,
        rules: ScanRules,
    ) -> Self {
        let chunk = if rules.verify_crc {
            CRC_SCAN_CHUNK
        } else {
            HEADER_SCAN_CHUNK
        };
        Self {
            file,
            path,
            position,
            end,
            buf: Vec::new(),
            buf_start: position,
            chunk,
            rules,
        }
    }

    /// The next batch, the end, or where valid data stops.
    pub(crate) fn next_batch(&mut self) -> Result<Scanned, LogError> {
        loop {
            if self.position >= self.end {
                return Ok(Scanned::End);
            }
            let left = self.end - self.position;
            let window = usize::try_from(self.position - self.buf_start)
                .ok()
                .and_then(|from| self.buf.get(from..))
                .unwrap_or(&[]);
            match step(window, left, &self.rules) {
                Step::Batch(header) => {
                    let position = self.position;
                    self.position += header.total_len() as u64;
                    self.rules.min_base_offset = next_offset(&header);
                    return Ok(Scanned::Batch { position, header });
                }
                Step::Stop { torn, reason } => {
                    return Ok(Scanned::Stop {
                        position: self.position,
                        torn,
                        reason,
                    });
                }
                Step::Need(n) => {
                    if window.len() >= n {
                        // step() asked for bytes it already had: never loop.
                        return Ok(Scanned::Stop {
                            position: self.position,
                            torn: false,
                            reason: "scan made no progress".into(),
                        });
                    }
                    let want = u64::try_from(n.max(self.chunk))
                        .unwrap_or(u64::MAX)
                        .min(left);
                    let want = usize::try_from(want).unwrap_or(usize::MAX);
                    self.buf.resize(want, 0);
                    self.file
                        .read_exact_at(&mut self.buf, self.position)
                        .at(self.path)?;
                    self.buf_start = self.position;
                }
            }
        }
    }
}
