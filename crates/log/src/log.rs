//! [`PartitionLog`]: the segments of one partition directory, tied together.

use std::fs;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use ferry_protocol::BatchHeader;

use crate::batches::{
    AppendInfo, Located, assign_offsets, check_mirror_order, check_producer_counts, last_offset,
    summarize, validate_all,
};
use crate::checkpoint::{self, CLEAN_SHUTDOWN_FILE, LOG_START_FILE};
use crate::error::IoContext;
use crate::recovery::{StartDecision, log_start_on_open};
use crate::retention::{self, SegmentSummary};
use crate::roll::{RollInput, should_roll};
use crate::segment::{INDEX_SUFFIX, LOG_SUFFIX, OpenMode, Segment, TIME_INDEX_SUFFIX};
use crate::{LogConfig, LogError};

/// What [`PartitionLog::open`] found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// A clean-shutdown marker was present, so the active segment's CRC scan
    /// was skipped.
    pub clean_shutdown: bool,
    /// Segments found on disk.
    pub segments: usize,
    /// Bytes cut off segment ends (torn or invalid tails).
    pub truncated_bytes: u64,
    /// Segments whose indexes were rebuilt (always includes the active
    /// segment after an unclean shutdown).
    pub rebuilt_indexes: usize,
}

/// The log of one partition: a directory of segments holding record batches
/// exactly as they were appended.
///
/// Not internally locked: the broker wraps it in a `RwLock`. Reads take
/// `&self` and use positional reads only, so they can run concurrently.
#[derive(Debug)]
pub struct PartitionLog {
    dir: PathBuf,
    config: LogConfig,
    /// Ordered by base offset; never empty; the last one is active.
    segments: Vec<Segment>,
    log_start_offset: i64,
    /// Segment files were created or deleted since the last directory fsync.
    dir_dirty: bool,
    recovery: RecoveryReport,
}

/// Wall-clock milliseconds since the epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Lists segment base offsets in `dir`, removing files left behind by a
/// crash (index files without a segment, temporary checkpoints).
fn list_segments(dir: &Path) -> Result<Vec<i64>, LogError> {
    let mut bases = Vec::new();
    let mut index_files = Vec::new();
    for entry in fs::read_dir(dir).at(dir)? {
        let entry = entry.at(dir)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let parse = |stem: &str| -> Option<i64> {
            if stem.is_empty() || !stem.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            stem.parse::<i64>().ok()
        };
        if let Some(stem) = name.strip_suffix(LOG_SUFFIX) {
            match parse(stem) {
                Some(base) => bases.push(base),
                None => {
                    return Err(LogError::BadFile {
                        path: entry.path(),
                        reason: "segment name is not a base offset".into(),
                    });
                }
            }
        } else if let Some(stem) = name
            .strip_suffix(INDEX_SUFFIX)
            .or_else(|| name.strip_suffix(TIME_INDEX_SUFFIX))
        {
            index_files.push((parse(stem), entry.path()));
        } else if name == format!("{LOG_START_FILE}.tmp") {
            let p = entry.path();
            fs::remove_file(&p).at(&p)?;
        }
    }
    bases.sort_unstable();
    for (base, path) in index_files {
        if base.is_none_or(|b| bases.binary_search(&b).is_err()) {
            tracing::info!(path = %path.display(), "removing index file without a segment");
            fs::remove_file(&path).at(&path)?;
        }
    }
    Ok(bases)
}

impl PartitionLog {
    /// Opens (creating if missing) the log in `dir` and recovers it.
    ///
    /// Recovery: every segment's indexes are loaded, or rebuilt when missing
    /// or inconsistent. Unless the previous run ended with
    /// [`close`](Self::close), the active segment is scanned batch by batch
    /// with CRC checks and cut at the first torn or invalid batch (a torn
    /// tail is normal after kill -9). The log end is the offset after the
    /// last batch; the log start is the checkpoint, raised to the first
    /// segment's (and first batch's) base offset.
    ///
    /// # Errors
    /// IO errors, or a `.log` file whose name is not a base offset.
    pub fn open(dir: &Path, config: LogConfig) -> Result<Self, LogError> {
        fs::create_dir_all(dir).at(dir)?;
        let marker = dir.join(CLEAN_SHUTDOWN_FILE);
        let clean_shutdown = marker.exists();
        let bases = list_segments(dir)?;
        if clean_shutdown {
            // Removed before any write, so a crash from here on is unclean.
            fs::remove_file(&marker).at(&marker)?;
        }
        let checkpoint = checkpoint::read_log_start(dir)?;
        let now = now_ms();
        let mut recovery = RecoveryReport {
            clean_shutdown,
            segments: bases.len(),
            ..RecoveryReport::default()
        };
        let mut segments = Vec::with_capacity(bases.len().max(1));
        for (i, base) in bases.iter().enumerate() {
            let next_base = bases.get(i + 1).copied();
            let mode = if next_base.is_none() && !clean_shutdown {
                OpenMode::Recover
            } else {
                OpenMode::Trusted
            };
            let (mut segment, report) = Segment::open(dir, *base, mode, next_base, &config, now)?;
            if next_base.is_some() {
                // Inactive segments end with their maximum in the time index
                // (a no-op unless the index was just rebuilt).
                segment.finish()?;
            }
            recovery.truncated_bytes += report.truncated_bytes;
            recovery.rebuilt_indexes += usize::from(report.rebuilt_indexes);
            segments.push(segment);
        }
        if segments.is_empty() {
            segments.push(Segment::create(dir, checkpoint.unwrap_or(0), now)?);
        }
        let mut log = Self {
            dir: dir.to_path_buf(),
            config,
            segments,
            log_start_offset: 0,
            dir_dirty: true,
            recovery,
        };
        let first = &log.segments[0];
        let decision = log_start_on_open(
            checkpoint,
            first.base_offset(),
            first.first_batch().map(|h| h.base_offset),
            log.log_end_offset(),
        );
        match decision {
            StartDecision::Start(start) => log.log_start_offset = start,
            StartDecision::TruncateFullyTo(start) => {
                tracing::warn!(dir = %dir.display(), start, end = log.log_end_offset(),
                    "log start checkpoint is past the log end; starting an empty log there");
                log.truncate_fully_at(start)?;
            }
        }
        if log.recovery.truncated_bytes > 0 || log.recovery.rebuilt_indexes > 0 {
            tracing::info!(dir = %dir.display(), report = ?log.recovery, "log recovered");
        }
        Ok(log)
    }

    /// Replaces the config; applies from the next append or retention pass.
    pub fn set_config(&mut self, config: LogConfig) {
        self.config = config;
    }

    /// The current config.
    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// The partition directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the last [`open`](Self::open) found and repaired.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.recovery
    }

    /// The first offset consumers may read.
    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    /// The next offset to assign (one past the last batch).
    pub fn log_end_offset(&self) -> i64 {
        self.active().next_offset()
    }

    /// Bytes of all segment files.
    pub fn size_bytes(&self) -> u64 {
        self.segments.iter().map(Segment::size).sum()
    }

    /// Base offsets of the segments, oldest first (the last is active).
    pub fn segment_base_offsets(&self) -> Vec<i64> {
        self.segments.iter().map(Segment::base_offset).collect()
    }

    fn active(&self) -> &Segment {
        // The constructor and every deletion keep at least one segment.
        &self.segments[self.segments.len() - 1]
    }

    fn active_mut(&mut self) -> &mut Segment {
        let last = self.segments.len() - 1;
        &mut self.segments[last]
    }

    /// Leader append: validates every batch (CRC, codec, and that its record
    /// count matches the offsets it spans, as Kafka requires of producers) before
    /// writing anything, assigns offsets from the log end by rewriting each
    /// batch's base offset and sets its partition leader epoch (both outside
    /// the CRC), and writes the bytes.
    ///
    /// # Errors
    /// [`LogError::Batch`] for invalid input (nothing written), IO errors.
    pub fn append(
        &mut self,
        mut batches: BytesMut,
        leader_epoch: i32,
    ) -> Result<AppendInfo, LogError> {
        let mut located = validate_all(&batches)?;
        check_producer_counts(&located)?;
        assign_offsets(
            &mut batches,
            &mut located,
            self.log_end_offset(),
            leader_epoch,
        )?;
        self.write_batches(&batches, &located)?;
        Ok(summarize(&located, batches.len()))
    }

    /// Mirror append (cluster links): batches keep their own base offsets,
    /// and the bytes on disk are the bytes given.
    ///
    /// The first batch must start at or after the log end, later ones after
    /// their predecessor; gaps are allowed. On an empty log (start == end)
    /// the log start moves up to the first batch's base offset.
    ///
    /// # Errors
    /// [`LogError::Batch`], [`LogError::OffsetOutOfOrder`] (nothing written),
    /// IO errors.
    pub fn append_at_offsets(&mut self, batches: Bytes) -> Result<AppendInfo, LogError> {
        let located = validate_all(&batches)?;
        let end = self.log_end_offset();
        check_mirror_order(&located, end)?;
        if let Some(first) = located.first()
            && self.log_start_offset == end
            && first.header.base_offset > end
        {
            self.truncate_fully_at(first.header.base_offset)?;
        }
        self.write_batches(&batches, &located)?;
        Ok(summarize(&located, batches.len()))
    }

    /// Writes validated batches with final offsets, rolling segments as
    /// needed. Consecutive batches that fit one segment go in one write.
    fn write_batches(&mut self, data: &[u8], batches: &[Located]) -> Result<(), LogError> {
        let now = now_ms();
        let mut i = 0;
        while let Some(first) = batches.get(i) {
            let active = self.active();
            let (index_entries, time_index_entries) = active.index_entries();
            let mut input = RollInput {
                base_offset: active.base_offset(),
                size: active.size(),
                // The age rule is checked once per append, as in Kafka.
                age_ms: (i == 0).then(|| now.saturating_sub(active.rolling_base_ms())),
                index_entries,
                time_index_entries,
                write_len: first.header.total_len() as u64,
                write_last_offset: last_offset(&first.header),
            };
            if should_roll(&self.config, &input).is_some() {
                self.roll(first.header.base_offset, now)?;
                let active = self.active();
                input.base_offset = active.base_offset();
                input.size = active.size();
                (input.index_entries, input.time_index_entries) = active.index_entries();
            }
            input.age_ms = None;
            let mut run_len = first.header.total_len() as u64;
            let mut j = i + 1;
            while let Some(next) = batches.get(j) {
                let probe = RollInput {
                    size: input.size + run_len,
                    write_len: next.header.total_len() as u64,
                    write_last_offset: last_offset(&next.header),
                    ..input
                };
                if should_roll(&self.config, &probe).is_some() {
                    break;
                }
                run_len += next.header.total_len() as u64;
                j += 1;
            }
            let start = first.position;
            let end = start + usize::try_from(run_len).unwrap_or(usize::MAX);
            let run: Vec<Located> = batches[i..j]
                .iter()
                .map(|b| Located {
                    position: b.position - start,
                    header: b.header,
                })
                .collect();
            let bytes = data.get(start..end).unwrap_or(&[]);
            let Self {
                segments, config, ..
            } = self;
            if let Some(active) = segments.last_mut() {
                active.append(bytes, &run, config)?;
            }
            i = j;
        }
        Ok(())
    }

    /// Makes a new active segment at `base`. An empty active segment that is
    /// not the only one is replaced rather than kept.
    fn roll(&mut self, base: i64, now: i64) -> Result<(), LogError> {
        if base <= self.active().base_offset() {
            return Ok(());
        }
        self.active_mut().finish()?;
        if self.active().size() == 0
            && self.segments.len() > 1
            && let Some(empty) = self.segments.pop()
        {
            empty.delete()?;
        }
        tracing::debug!(dir = %self.dir.display(), base, "rolling a new segment");
        self.segments.push(Segment::create(&self.dir, base, now)?);
        self.dir_dirty = true;
        Ok(())
    }

    /// Deletes every segment and starts an empty log at `offset`.
    ///
    /// The checkpoint goes first: a crash after it finds a checkpoint past
    /// the log end on open, which finishes the job.
    fn truncate_fully_at(&mut self, offset: i64) -> Result<(), LogError> {
        checkpoint::write_log_start(&self.dir, offset)?;
        let fresh = Segment::create(&self.dir, offset, now_ms())?;
        let old = std::mem::replace(&mut self.segments, vec![fresh]);
        self.log_start_offset = offset;
        self.dir_dirty = true;
        for seg in old {
            if seg.base_offset() != offset {
                seg.delete()?;
            }
        }
        Ok(())
    }

    fn segment_index(&self, offset: i64) -> usize {
        self.segments
            .partition_point(|s| s.base_offset() <= offset)
            .saturating_sub(1)
    }

    fn check_range(&self, offset: i64) -> Result<(), LogError> {
        let (start, end) = (self.log_start_offset, self.log_end_offset());
        if offset < start || offset > end {
            return Err(LogError::OffsetOutOfRange { offset, start, end });
        }
        Ok(())
    }

    /// Reads whole batches, starting with the batch that contains `offset`
    /// (its base may be lower, as in Kafka) or the first one after it, up to
    /// `max_bytes` but always at least one batch if there is one (KIP-74),
    /// and only batches whose base offset is below `max_offset`. Reads stay
    /// within one segment, so fewer bytes than `max_bytes` may come back
    /// even when more follow. Empty at the log end.
    ///
    /// One positional read usually does it: from the offset index entry at
    /// or before `offset` to `max_bytes` past the next entry.
    ///
    /// # Errors
    /// [`LogError::OffsetOutOfRange`] outside `[log start, log end]`;
    /// [`LogError::Corrupt`] when stored bytes are not batches.
    pub fn read(
        &self,
        offset: i64,
        max_bytes: usize,
        max_offset: Option<i64>,
    ) -> Result<Bytes, LogError> {
        self.check_range(offset)?;
        if offset == self.log_end_offset() {
            return Ok(Bytes::new());
        }
        for seg in &self.segments[self.segment_index(offset)..] {
            if let Some(bytes) = seg.read(offset, max_bytes, max_offset)? {
                return Ok(bytes);
            }
        }
        Ok(Bytes::new())
    }

    /// ListOffsets by timestamp: `(offset, timestamp)` of the first record
    /// at or after the log start whose timestamp is `>= ts`, or None.
    ///
    /// Segments whose newest timestamp is below `ts` are skipped, the time
    /// index narrows the scan within a segment, batch headers narrow it to
    /// one batch, and only that batch is decoded.
    pub fn offset_for_timestamp(&self, ts: i64) -> Result<Option<(i64, i64)>, LogError> {
        for seg in &self.segments[self.segment_index(self.log_start_offset)..] {
            if let Some(hit) = seg.offset_for_timestamp(ts, self.log_start_offset)? {
                return Ok(Some(hit));
            }
        }
        Ok(None)
    }

    /// ListOffsets MAX_TIMESTAMP: `(offset, timestamp)` of the first record
    /// with the largest timestamp at or after the log start, or None when
    /// the log holds no timestamped record.
    pub fn max_timestamp_offset(&self) -> Result<Option<(i64, i64)>, LogError> {
        let start = self.log_start_offset;
        let first = self.segment_index(start);
        let live = &self.segments[first..];
        // The first live segment may be cut by the log start: answer it
        // exactly; the others are compared by their recorded maximum.
        // (segment, its max timestamp, its exact answer when already known)
        type Candidate = (usize, i64, Option<(i64, i64)>);
        let mut best: Option<Candidate> = None;
        for (i, seg) in live.iter().enumerate() {
            let (ts, exact) = if i == 0 && seg.base_offset() < start {
                match seg.max_timestamp_offset(start)? {
                    Some(hit) => (hit.1, Some(hit)),
                    None => continue,
                }
            } else {
                (seg.max_timestamp(), None)
            };
            if ts >= 0 && best.is_none_or(|(_, t, _)| ts > t) {
                best = Some((i, ts, exact));
            }
        }
        match best {
            None => Ok(None),
            Some((_, _, Some(exact))) => Ok(Some(exact)),
            Some((i, _, None)) => live[i].max_timestamp_offset(start),
        }
    }

    /// DeleteRecords, and mirror logs following their source: moves the log
    /// start up to `offset` (never down, never past the log end), persists
    /// it, and deletes the segments wholly below it. Returns the new start.
    pub fn advance_log_start_offset(&mut self, offset: i64) -> Result<i64, LogError> {
        let new = offset.min(self.log_end_offset());
        if new <= self.log_start_offset {
            return Ok(self.log_start_offset);
        }
        checkpoint::write_log_start(&self.dir, new)?;
        self.log_start_offset = new;
        let n = retention::below_log_start(&self.summaries(), new);
        self.delete_oldest(n)?;
        Ok(new)
    }

    /// Mirror logs: moves the log start to `offset` even past the log end,
    /// where the source has deleted records the mirror never held. Past the
    /// end the log is emptied and restarts at `offset`, so the next mirrored
    /// batch (at `offset` or later) appends. Returns the new start.
    pub fn jump_log_start_offset(&mut self, offset: i64) -> Result<i64, LogError> {
        if offset > self.log_end_offset() {
            self.truncate_fully_at(offset)?;
            return Ok(offset);
        }
        self.advance_log_start_offset(offset)
    }

    /// Mirror logs: restarts an empty log (start == end) at `offset`, which
    /// may be below its current start, so that a mirror starting inside a
    /// source batch can take the whole batch at its own offsets.
    ///
    /// # Errors
    /// [`LogError::OffsetOutOfOrder`] when the log is not empty; IO errors.
    pub fn restart_empty_at(&mut self, offset: i64) -> Result<(), LogError> {
        if self.log_start_offset != self.log_end_offset() {
            return Err(LogError::OffsetOutOfOrder {
                offset,
                expected_at_least: self.log_end_offset(),
            });
        }
        self.truncate_fully_at(offset)
    }

    fn summaries(&self) -> Vec<SegmentSummary> {
        self.segments
            .iter()
            .map(|s| SegmentSummary {
                base_offset: s.base_offset(),
                size: s.size(),
                max_timestamp: if s.max_timestamp() >= 0 {
                    s.max_timestamp()
                } else {
                    s.modified_ms()
                },
            })
            .collect()
    }

    /// Deletes the oldest `n` segments (rolling first when that is all of
    /// them) and raises the log start to the new first segment. Returns `n`.
    fn delete_oldest(&mut self, n: usize) -> Result<usize, LogError> {
        if n == 0 {
            return Ok(0);
        }
        let n = n.min(self.segments.len());
        if n == self.segments.len() {
            let end = self.log_end_offset();
            self.roll(end, now_ms())?;
        }
        let n = n.min(self.segments.len() - 1);
        for seg in self.segments.drain(..n).collect::<Vec<_>>() {
            tracing::debug!(segment = %seg.paths().log.display(), "deleting segment");
            seg.delete()?;
        }
        self.dir_dirty = true;
        let first_base = self.segments[0].base_offset();
        if first_base > self.log_start_offset {
            self.log_start_offset = first_base;
            checkpoint::write_log_start(&self.dir, first_base)?;
        }
        Ok(n)
    }

    /// Applies `retention.ms` (segments whose newest record is older than
    /// `now_ms - retention_ms`, the active one too, by rolling first), then
    /// `retention.bytes` (oldest segments while the log is larger), then
    /// deletes segments wholly below the log start. Returns how many
    /// segments were deleted.
    pub fn enforce_retention(&mut self, now_ms: i64) -> Result<usize, LogError> {
        let mut deleted = 0;
        let n = retention::breached_by_time(&self.summaries(), now_ms, self.config.retention_ms);
        deleted += self.delete_oldest(n)?;
        let n = retention::breached_by_size(&self.summaries(), self.config.retention_bytes);
        deleted += self.delete_oldest(n)?;
        let n = retention::below_log_start(&self.summaries(), self.log_start_offset);
        deleted += self.delete_oldest(n)?;
        Ok(deleted)
    }

    /// Headers of the stored batches whose last offset is `>= from_offset`,
    /// in order, to the log end. Only the 61-byte headers are parsed (read
    /// through a small buffer); record bodies are neither decompressed nor
    /// kept.
    pub fn batch_headers(&self, from_offset: i64) -> Result<Vec<BatchHeader>, LogError> {
        let mut out = Vec::new();
        for seg in &self.segments[self.segment_index(from_offset)..] {
            seg.headers_from(from_offset, &mut out)?;
        }
        Ok(out)
    }

    /// Fsyncs every segment written since the last flush, their indexes,
    /// and the directory when segments were created or deleted.
    pub fn flush(&mut self) -> Result<(), LogError> {
        for seg in &mut self.segments {
            seg.flush()?;
        }
        if self.dir_dirty {
            checkpoint::fsync_dir(&self.dir)?;
            self.dir_dirty = false;
        }
        Ok(())
    }

    /// Flushes and leaves a clean-shutdown marker, so the next open skips the
    /// CRC scan of the active segment.
    pub fn close(mut self) -> Result<(), LogError> {
        self.flush()?;
        let marker = self.dir.join(CLEAN_SHUTDOWN_FILE);
        fs::File::create(&marker)
            .and_then(|f| f.sync_all())
            .at(&marker)?;
        checkpoint::fsync_dir(&self.dir)
    }

    /// Removes the partition directory and everything in it (DeleteTopics).
    pub fn delete(self) -> Result<(), LogError> {
        let dir = self.dir.clone();
        drop(self);
        fs::remove_dir_all(&dir).at(&dir)
    }
}
