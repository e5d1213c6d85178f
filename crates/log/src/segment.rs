//! One segment: a `.log` file of concatenated batches and its two index
//! files. All of the log's file IO on segments happens here.
//!
//! # Files
//! `{base_offset:020}.log`, `.index` and `.timeindex`, as in Kafka. Indexes
//! are kept in memory and appended to their files as entries are added; they
//! are caches and are rebuilt from the `.log` whenever they look wrong.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use ferry_protocol::BatchHeader;

use crate::batches::{Located, last_offset, next_offset};
use crate::error::IoContext;
use crate::index::{self, OffsetIndex, relative};
use crate::indexer::Indexer;
use crate::read_plan::{Selection, select};
use crate::recovery::ScanRules;
use crate::scan::{Scanned, Scanner};
use crate::time_index::{self, TimeIndex};
use crate::{LogConfig, LogError};

/// File-name suffixes.
pub(crate) const LOG_SUFFIX: &str = ".log";
pub(crate) const INDEX_SUFFIX: &str = ".index";
pub(crate) const TIME_INDEX_SUFFIX: &str = ".timeindex";

/// The file name stem of a segment: its base offset, 20 digits.
pub(crate) fn file_stem(base_offset: i64) -> String {
    format!("{base_offset:020}")
}

/// The three paths of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentPaths {
    pub(crate) log: PathBuf,
    pub(crate) index: PathBuf,
    pub(crate) time_index: PathBuf,
}

impl SegmentPaths {
    pub(crate) fn new(dir: &Path, base_offset: i64) -> Self {
        let stem = file_stem(base_offset);
        Self {
            log: dir.join(format!("{stem}{LOG_SUFFIX}")),
            index: dir.join(format!("{stem}{INDEX_SUFFIX}")),
            time_index: dir.join(format!("{stem}{TIME_INDEX_SUFFIX}")),
        }
    }
}

/// How much to trust a segment on open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenMode {
    /// Check every batch's CRC, truncate at the first bad one, rebuild the
    /// indexes (the active segment after an unclean shutdown).
    Recover,
    /// Load the indexes if consistent and scan headers after the last entry.
    Trusted,
}

/// What opening a segment found, for the log's recovery report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OpenReport {
    /// Bytes cut off the end of the `.log` file.
    pub(crate) truncated_bytes: u64,
    /// Whether the indexes were rebuilt.
    pub(crate) rebuilt_indexes: bool,
}

/// One open segment.
#[derive(Debug)]
pub(crate) struct Segment {
    base_offset: i64,
    paths: SegmentPaths,
    log: File,
    index_file: File,
    time_index_file: File,
    size: u64,
    next_offset: i64,
    first_batch: Option<BatchHeader>,
    index: OffsetIndex,
    index_written: usize,
    time_index: TimeIndex,
    time_index_written: usize,
    indexer: Indexer,
    rolling_base_ms: i64,
    dirty: bool,
}

fn open_rw(path: &Path, truncate: bool) -> Result<File, LogError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(truncate)
        .open(path)
        .at(path)
}

fn read_all(file: &File, path: &Path) -> Result<Vec<u8>, LogError> {
    let len = file.metadata().at(path)?.len();
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
    file.read_exact_at(&mut buf, 0).at(path)?;
    Ok(buf)
}

impl Segment {
    /// Creates a new, empty segment (replacing leftover files of the same name).
    pub(crate) fn create(dir: &Path, base_offset: i64, now_ms: i64) -> Result<Self, LogError> {
        let paths = SegmentPaths::new(dir, base_offset);
        Ok(Self {
            base_offset,
            log: open_rw(&paths.log, true)?,
            index_file: open_rw(&paths.index, true)?,
            time_index_file: open_rw(&paths.time_index, true)?,
            paths,
            size: 0,
            next_offset: base_offset,
            first_batch: None,
            index: OffsetIndex::default(),
            index_written: 0,
            time_index: TimeIndex::default(),
            time_index_written: 0,
            indexer: Indexer::default(),
            rolling_base_ms: now_ms,
            dirty: true,
        })
    }

    /// Opens an existing segment. `offset_limit` is the next segment's base
    /// offset: batches reaching it are treated as corrupt.
    pub(crate) fn open(
        dir: &Path,
        base_offset: i64,
        mode: OpenMode,
        offset_limit: Option<i64>,
        config: &LogConfig,
        now_ms: i64,
    ) -> Result<(Self, OpenReport), LogError> {
        let paths = SegmentPaths::new(dir, base_offset);
        let log = open_rw(&paths.log, false)?;
        let size = log.metadata().at(&paths.log)?.len();
        let mut seg = Self {
            base_offset,
            log,
            index_file: open_rw(&paths.index, false)?,
            time_index_file: open_rw(&paths.time_index, false)?,
            paths,
            size,
            next_offset: base_offset,
            first_batch: None,
            index: OffsetIndex::default(),
            index_written: 0,
            time_index: TimeIndex::default(),
            time_index_written: 0,
            indexer: Indexer::default(),
            rolling_base_ms: now_ms,
            dirty: false,
        };
        let rules = ScanRules {
            verify_crc: mode == OpenMode::Recover,
            segment_base: base_offset,
            min_base_offset: base_offset,
            offset_limit,
        };
        let mut report = OpenReport::default();
        let loaded = match mode {
            OpenMode::Recover => false,
            OpenMode::Trusted => seg.load_indexes(config, rules, &mut report)?,
        };
        if !loaded {
            seg.rebuild(config, rules, &mut report)?;
        }
        seg.first_batch = seg.header_at(0)?;
        if let Some(first) = seg.first_batch
            && first.max_timestamp >= 0
        {
            seg.rolling_base_ms = first.max_timestamp.min(now_ms);
        }
        Ok((seg, report))
    }

    /// Loads the index files and replays the batches after the last offset
    /// entry. Returns false when the indexes must be rebuilt instead.
    fn load_indexes(
        &mut self,
        config: &LogConfig,
        rules: ScanRules,
        report: &mut OpenReport,
    ) -> Result<bool, LogError> {
        let index = OffsetIndex::from_bytes(&read_all(&self.index_file, &self.paths.index)?);
        let time_index =
            TimeIndex::from_bytes(&read_all(&self.time_index_file, &self.paths.time_index)?);
        let (Ok(index), Ok(time_index)) = (index, time_index) else {
            tracing::warn!(segment = %self.paths.log.display(), "index file unreadable; rebuilding");
            return Ok(false);
        };
        // The last offset entry must name a batch that is really there.
        let mut start = 0;
        if let Some(last) = index.last() {
            let ok = self.header_at(u64::from(last.position))?.is_some_and(|h| {
                relative(last_offset(&h), self.base_offset) == Some(last.relative_offset)
            });
            if !ok {
                tracing::warn!(segment = %self.paths.log.display(), "offset index does not match the segment; rebuilding");
                return Ok(false);
            }
            start = u64::from(last.position);
        }
        // The replay below resumes the running maximum from the last time
        // entry; without one (a lost time index) it would push entries
        // claiming too small a maximum, so rebuild instead.
        if index.len() > 0 && time_index.len() == 0 {
            tracing::warn!(segment = %self.paths.log.display(), "time index missing; rebuilding");
            return Ok(false);
        }
        let resume = time_index
            .last()
            .map(|e| (e.timestamp, self.base_offset + i64::from(e.relative_offset)));
        self.index_written = index.len();
        self.time_index_written = time_index.len();
        self.index = index;
        self.time_index = time_index;
        self.indexer = if start == 0 {
            // Nothing indexed yet: replaying the whole segment from scratch
            // reproduces the state exactly (existing entries are refused as
            // duplicates).
            Indexer::default()
        } else {
            Indexer::resume(config.index_interval_bytes, resume)
        };
        let min_base = if start == 0 {
            self.base_offset
        } else {
            i64::MIN
        };
        self.replay(
            config,
            ScanRules {
                min_base_offset: min_base,
                ..rules
            },
            start,
            report,
        )?;
        let last_rel = self.last_relative();
        if self.index.check(self.size, last_rel).is_err()
            || self.time_index.check(last_rel).is_err()
        {
            tracing::warn!(segment = %self.paths.log.display(), "indexes inconsistent after replay; rebuilding");
            self.index = OffsetIndex::default();
            self.time_index = TimeIndex::default();
            return Ok(false);
        }
        self.write_index_tails()?;
        Ok(true)
    }

    /// Rebuilds both indexes from the whole segment.
    fn rebuild(
        &mut self,
        config: &LogConfig,
        rules: ScanRules,
        report: &mut OpenReport,
    ) -> Result<(), LogError> {
        self.index = OffsetIndex::default();
        self.time_index = TimeIndex::default();
        self.indexer = Indexer::default();
        self.index_written = 0;
        self.time_index_written = 0;
        self.next_offset = self.base_offset;
        self.replay(config, rules, 0, report)?;
        report.rebuilt_indexes = true;
        self.index_file.set_len(0).at(&self.paths.index)?;
        self.time_index_file.set_len(0).at(&self.paths.time_index)?;
        self.write_index_tails()
    }

    /// Scans from `position` to the end, feeding the indexer, and truncates
    /// the file where valid data stops.
    fn replay(
        &mut self,
        config: &LogConfig,
        rules: ScanRules,
        position: u64,
        report: &mut OpenReport,
    ) -> Result<(), LogError> {
        let mut scanner = Scanner::new(&self.log, &self.paths.log, position, self.size, rules);
        let stop = loop {
            match scanner.next_batch()? {
                Scanned::Batch { position, header } => {
                    let pos = u32::try_from(position).unwrap_or(u32::MAX);
                    self.indexer.observe(
                        self.base_offset,
                        pos,
                        &header,
                        config.index_interval_bytes,
                        &mut self.index,
                        &mut self.time_index,
                    );
                    self.next_offset = next_offset(&header);
                }
                Scanned::End => break None,
                Scanned::Stop {
                    position,
                    torn,
                    reason,
                } => break Some((position, torn, reason)),
            }
        };
        if let Some((position, torn, reason)) = stop {
            let cut = self.size - position;
            if torn {
                tracing::info!(segment = %self.paths.log.display(), position, cut, %reason, "truncating torn tail");
            } else {
                tracing::warn!(segment = %self.paths.log.display(), position, cut, %reason, "truncating invalid data");
            }
            self.log.set_len(position).at(&self.paths.log)?;
            self.size = position;
            report.truncated_bytes += cut;
            self.dirty = true;
        }
        Ok(())
    }

    /// Relative offset of the last batch, None when empty.
    fn last_relative(&self) -> Option<u32> {
        if self.size == 0 {
            None
        } else {
            relative(self.next_offset - 1, self.base_offset)
        }
    }

    /// Parses the header at `position`, None when the file ends before it or
    /// the bytes are not a header.
    pub(crate) fn header_at(&self, position: u64) -> Result<Option<BatchHeader>, LogError> {
        if position.saturating_add(61) > self.size {
            return Ok(None);
        }
        let mut buf = [0u8; 61];
        self.log
            .read_exact_at(&mut buf, position)
            .at(&self.paths.log)?;
        Ok(BatchHeader::parse(&buf).ok())
    }

    /// Writes in-memory index entries not yet in the files.
    fn write_index_tails(&mut self) -> Result<(), LogError> {
        if self.index.len() > self.index_written {
            let bytes = self.index.bytes_from(self.index_written);
            let at = (self.index_written * index::ENTRY_LEN) as u64;
            self.index_file
                .write_all_at(&bytes, at)
                .at(&self.paths.index)?;
            self.index_written = self.index.len();
            self.dirty = true;
        }
        if self.time_index.len() > self.time_index_written {
            let bytes = self.time_index.bytes_from(self.time_index_written);
            let at = (self.time_index_written * time_index::ENTRY_LEN) as u64;
            self.time_index_file
                .write_all_at(&bytes, at)
                .at(&self.paths.time_index)?;
            self.time_index_written = self.time_index.len();
            self.dirty = true;
        }
        Ok(())
    }

    /// Appends `data`, which holds exactly `batches` (positions relative to
    /// `data`). On a write error the file is cut back to its previous size.
    pub(crate) fn append(
        &mut self,
        data: &[u8],
        batches: &[Located],
        config: &LogConfig,
    ) -> Result<(), LogError> {
        let Some(first) = batches.first() else {
            return Ok(());
        };
        let at = self.size;
        if let Err(e) = self.log.write_all_at(data, at) {
            let _ = self.log.set_len(at);
            return Err(LogError::Io {
                path: self.paths.log.clone(),
                source: e,
            });
        }
        self.dirty = true;
        self.size = at + data.len() as u64;
        if self.first_batch.is_none() {
            self.first_batch = Some(first.header);
        }
        for b in batches {
            let pos = u32::try_from(at + b.position as u64).unwrap_or(u32::MAX);
            self.indexer.observe(
                self.base_offset,
                pos,
                &b.header,
                config.index_interval_bytes,
                &mut self.index,
                &mut self.time_index,
            );
            self.next_offset = next_offset(&b.header);
        }
        self.write_index_tails()
    }

    /// Called when the segment stops being the active one: records its final
    /// max timestamp in the time index.
    pub(crate) fn finish(&mut self) -> Result<(), LogError> {
        self.indexer.finish(self.base_offset, &mut self.time_index);
        self.write_index_tails()
    }

    /// Where a forward scan for `offset` starts, and an upper bound on the
    /// start of the batch holding it (None: up to the end).
    fn scan_range(&self, offset: i64) -> (u64, Option<u64>) {
        let rel = relative(offset, self.base_offset).unwrap_or(0);
        let start = self.index.lookup(rel).map_or(0, |e| u64::from(e.position));
        let bound = self.index.upper_bound(rel).map(|e| u64::from(e.position));
        (start, bound)
    }

    fn read_exact(&self, position: u64, len: usize) -> Result<Vec<u8>, LogError> {
        let mut buf = vec![0u8; len];
        self.log
            .read_exact_at(&mut buf, position)
            .at(&self.paths.log)?;
        Ok(buf)
    }

    /// Reads whole batches from the one containing `offset` (or the next one
    /// in this segment). `Ok(None)`: no batch at or after `offset` here;
    /// `Ok(Some(empty))`: the next batch starts at or above `max_offset`.
    pub(crate) fn read(
        &self,
        offset: i64,
        max_bytes: usize,
        max_offset: Option<i64>,
    ) -> Result<Option<Bytes>, LogError> {
        if offset >= self.next_offset {
            return Ok(None);
        }
        let (mut position, bound) = self.scan_range(offset);
        // One read covers the scan up to the bound and max_bytes after it.
        let mut len = bound
            .unwrap_or(self.size)
            .saturating_add(max_bytes.max(61) as u64)
            .min(self.size)
            .saturating_sub(position);
        loop {
            let buf = self.read_exact(position, usize::try_from(len).unwrap_or(usize::MAX))?;
            match select(&buf, offset, max_bytes, max_offset) {
                Selection::Range { start, end } => {
                    return Ok(Some(Bytes::from(buf).slice(start..end)));
                }
                Selection::FirstBatch { start, len } => {
                    let at = position + start as u64;
                    if at + len as u64 > self.size {
                        return Err(self.corrupt(at, "batch runs past the end of the segment"));
                    }
                    return Ok(Some(Bytes::from(self.read_exact(at, len)?)));
                }
                Selection::Bounded => return Ok(Some(Bytes::new())),
                Selection::Corrupt { at, reason } => {
                    return Err(self.corrupt(position + at as u64, &reason));
                }
                Selection::NotFound { resume_at } => {
                    // Only when the index bound was wrong (or the segment has
                    // no such batch): continue from where the scan stopped.
                    let next = position + resume_at as u64;
                    if next >= self.size || resume_at == 0 {
                        return Ok(None);
                    }
                    position = next;
                    len = (self.size - position).min(max_bytes.max(1 << 16) as u64);
                }
            }
        }
    }

    fn corrupt(&self, position: u64, reason: &str) -> LogError {
        LogError::Corrupt {
            path: self.paths.log.clone(),
            position,
            reason: reason.to_string(),
        }
    }

    /// A header-only scan from the batch that holds `offset` (or earlier).
    fn scanner_from(&self, offset: i64) -> Scanner<'_> {
        let (start, _) = self.scan_range(offset);
        Scanner::new(
            &self.log,
            &self.paths.log,
            start,
            self.size,
            ScanRules {
                verify_crc: false,
                segment_base: self.base_offset,
                min_base_offset: i64::MIN,
                offset_limit: None,
            },
        )
    }

    /// Headers of the batches whose last offset is `>= from_offset`, without
    /// reading more than a small buffer of each batch.
    pub(crate) fn headers_from(
        &self,
        from_offset: i64,
        out: &mut Vec<BatchHeader>,
    ) -> Result<(), LogError> {
        let mut scanner = self.scanner_from(from_offset);
        loop {
            match scanner.next_batch()? {
                Scanned::Batch { header, .. } => {
                    if last_offset(&header) >= from_offset {
                        out.push(header);
                    }
                }
                Scanned::End => return Ok(()),
                Scanned::Stop {
                    position, reason, ..
                } => return Err(self.corrupt(position, &reason)),
            }
        }
    }

    /// The first batch (scanning from the time index's hint) that holds
    /// offsets at or above `min_offset` and has a max timestamp `>= ts`,
    /// with its position.
    fn batch_for_timestamp(
        &self,
        ts: i64,
        min_offset: i64,
    ) -> Result<Option<(BatchHeader, u64)>, LogError> {
        let hint = self.time_index.lookup(ts).map_or(self.base_offset, |e| {
            self.base_offset + i64::from(e.relative_offset)
        });
        let mut scanner = self.scanner_from(hint.max(min_offset));
        loop {
            match scanner.next_batch()? {
                Scanned::Batch { position, header } => {
                    if last_offset(&header) >= min_offset && header.max_timestamp >= ts {
                        return Ok(Some((header, position)));
                    }
                }
                Scanned::End => return Ok(None),
                Scanned::Stop {
                    position, reason, ..
                } => return Err(self.corrupt(position, &reason)),
            }
        }
    }

    /// `(offset, timestamp)` of the first record at or above `min_offset`
    /// with timestamp `>= ts` in this segment.
    pub(crate) fn offset_for_timestamp(
        &self,
        ts: i64,
        min_offset: i64,
    ) -> Result<Option<(i64, i64)>, LogError> {
        if self.indexer.max_timestamp < ts || self.next_offset <= min_offset {
            return Ok(None);
        }
        let mut from = min_offset;
        while let Some((header, position)) = self.batch_for_timestamp(ts, from)? {
            let bytes = Bytes::from(self.read_exact(position, header.total_len())?);
            if let Some(hit) = crate::timestamp::first_at_or_after(bytes, &header, ts, min_offset)?
            {
                return Ok(Some(hit));
            }
            // The header promised a record that is not there: keep looking.
            from = next_offset(&header);
        }
        Ok(None)
    }

    /// `(offset, timestamp)` of the first record at or above `min_offset`
    /// carrying the largest timestamp in this segment; None when no batch
    /// has a timestamp.
    pub(crate) fn max_timestamp_offset(
        &self,
        min_offset: i64,
    ) -> Result<Option<(i64, i64)>, LogError> {
        let (ts, offset) = (
            self.indexer.max_timestamp,
            self.indexer.offset_of_max_timestamp,
        );
        if ts < 0 || self.next_offset <= min_offset {
            return Ok(None);
        }
        // Fast path: decode the one batch the indexer remembered.
        if offset >= min_offset {
            let mut scanner = self.scanner_from(offset);
            loop {
                match scanner.next_batch()? {
                    Scanned::Batch { position, header } => {
                        if last_offset(&header) < offset {
                            continue;
                        }
                        let bytes = Bytes::from(self.read_exact(position, header.total_len())?);
                        if let Some(exact) =
                            crate::timestamp::first_with(bytes, &header, ts, min_offset)?
                        {
                            return Ok(Some((exact, ts)));
                        }
                        break;
                    }
                    Scanned::End => break,
                    Scanned::Stop {
                        position, reason, ..
                    } => return Err(self.corrupt(position, &reason)),
                }
            }
        }
        // Slow path, only when the log start cut into the batch holding the
        // maximum (or a header lied): look at every record from `min_offset`.
        let mut best: Option<(i64, i64)> = None;
        let mut scanner = self.scanner_from(min_offset);
        loop {
            match scanner.next_batch()? {
                Scanned::Batch { position, header } => {
                    if last_offset(&header) < min_offset
                        || best.is_some_and(|(_, t)| header.max_timestamp <= t)
                    {
                        continue;
                    }
                    let bytes = Bytes::from(self.read_exact(position, header.total_len())?);
                    if let Some(hit) = crate::timestamp::max_record(bytes, &header, min_offset)?
                        && best.is_none_or(|(_, t)| hit.1 > t)
                    {
                        best = Some(hit);
                    }
                }
                Scanned::End => return Ok(best),
                Scanned::Stop {
                    position, reason, ..
                } => return Err(self.corrupt(position, &reason)),
            }
        }
    }

    /// Flushes the files to disk if anything changed since the last flush.
    pub(crate) fn flush(&mut self) -> Result<(), LogError> {
        if self.dirty {
            self.log.sync_data().at(&self.paths.log)?;
            self.index_file.sync_data().at(&self.paths.index)?;
            self.time_index_file
                .sync_data()
                .at(&self.paths.time_index)?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Deletes the segment's files (the `.log` first, so a crash in between
    /// leaves only index files, which open() discards).
    pub(crate) fn delete(self) -> Result<(), LogError> {
        let paths = self.paths.clone();
        drop(self);
        fs::remove_file(&paths.log).at(&paths.log)?;
        for p in [&paths.index, &paths.time_index] {
            match fs::remove_file(p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e).at(p),
                _ => {}
            }
        }
        Ok(())
    }

    pub(crate) fn base_offset(&self) -> i64 {
        self.base_offset
    }
    /// Offset after the last batch (the base offset when empty).
    pub(crate) fn next_offset(&self) -> i64 {
        self.next_offset
    }
    pub(crate) fn size(&self) -> u64 {
        self.size
    }
    pub(crate) fn first_batch(&self) -> Option<BatchHeader> {
        self.first_batch
    }
    pub(crate) fn max_timestamp(&self) -> i64 {
        self.indexer.max_timestamp
    }
    pub(crate) fn rolling_base_ms(&self) -> i64 {
        self.rolling_base_ms
    }
    pub(crate) fn index_entries(&self) -> (usize, usize) {
        (self.index.len(), self.time_index.len())
    }
    pub(crate) fn paths(&self) -> &SegmentPaths {
        &self.paths
    }
    /// The file's modification time in ms, for retention of segments
    /// without timestamps.
    pub(crate) fn modified_ms(&self) -> i64 {
        self.log
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}
