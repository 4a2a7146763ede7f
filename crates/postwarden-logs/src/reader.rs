//! Incremental, rotation-safe reading of log files: what is new since the last checkpoint.
//!
//! A [`Checkpoint`] names a position in one physical file (device, inode, byte offset) and a
//! fingerprint of that file's first line, which guards against inode reuse and recognises a
//! rotated copy (`mail.log.1`, or `mail.log.1.gz` after compression) as the file read before.
//! [`read_new`] plans which files to read from where — the saved file finished first, then
//! every newer rotated file, then the live file — and hands complete lines to a
//! [`ChunkSink`] in chunks, each with the checkpoint just after its last line. A caller that
//! stores the lines of a chunk and its checkpoint in one transaction loses and duplicates
//! nothing across crashes, rename rotation, copytruncate, compression, or a file that
//! disappears and comes back. A half-written last line of a live file is held back until
//! its newline arrives; a rotated file is final, so its unterminated last line is delivered.

use flate2::read::MultiGzDecoder;
use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Bytes read from disk at a time; also the longest line handed to the sink.
const CHUNK: usize = 1 << 20;
/// Longest first-line prefix kept as a file's fingerprint.
const FINGERPRINT_LEN: usize = 256;

/// A position in one physical log file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checkpoint {
    pub device: u64,
    pub inode: u64,
    /// Bytes consumed (of the decompressed stream, for a gzip file).
    pub offset: u64,
    /// The file's first line (at most 256 bytes), empty while it has none.
    pub fingerprint: Vec<u8>,
}

/// Receives complete lines in chunks.
pub trait ChunkSink {
    type Error: From<io::Error>;
    /// `lines` holds whole lines, each ending in `\n` except possibly a final line of a file
    /// that will not grow; `at` is the position just after them. `lines` may be empty when
    /// only the position changed (a new file was started).
    fn chunk(&mut self, lines: &[u8], at: &Checkpoint) -> Result<(), Self::Error>;
}

/// What one [`read_new`] call did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadSummary {
    /// Bytes of lines handed to the sink.
    pub bytes: u64,
    /// Lines longer than the chunk size, skipped whole.
    pub oversized_lines: u64,
    /// Files read, oldest first.
    pub files: Vec<PathBuf>,
    /// The position after the last complete line read (unchanged when nothing was new).
    pub checkpoint: Option<Checkpoint>,
    /// The saved file was found neither live nor among the rotated copies: lines written to
    /// it after the checkpoint, if any, could not be read.
    pub lost_track: bool,
}

/// One file to read, from where.
#[derive(Debug, Clone)]
struct Segment {
    path: PathBuf,
    device: u64,
    inode: u64,
    start: u64,
    gzip: bool,
    /// The file will not grow: an unterminated last line is complete.
    finished: bool,
}

/// A rotated sibling of the live file, with what identifies it.
#[derive(Debug, Clone)]
struct Rotated {
    path: PathBuf,
    device: u64,
    inode: u64,
    len: u64,
    gzip: bool,
    fingerprint: Vec<u8>,
}

/// The non-empty lines of a chunk, without their newlines.
pub fn lines(chunk: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', chunk)
        .chain(std::iter::once(chunk.len()))
        .filter_map(move |end| {
            let line = chunk.get(start..end)?;
            start = end + 1;
            (!line.is_empty()).then_some(line)
        })
}

/// Reads what is new in the log at `path` since `saved` and hands it to `sink`.
///
/// With no checkpoint, reads the live file from the start, preceded by its rotated copies
/// (oldest first) when `backfill_rotated` is set.
pub fn read_new<S: ChunkSink>(
    path: &Path,
    saved: Option<&Checkpoint>,
    backfill_rotated: bool,
    sink: &mut S,
) -> Result<ReadSummary, S::Error> {
    let (segments, lost_track) = plan(path, saved, backfill_rotated)?;
    let mut summary = ReadSummary {
        lost_track,
        ..ReadSummary::default()
    };
    for segment in segments {
        let checkpoint = read_segment(&segment, saved, sink, &mut summary)?;
        summary.files.push(segment.path);
        summary.checkpoint = Some(checkpoint);
    }
    Ok(summary)
}

/// Reads a whole stream (stdin, a file given on the command line) as one finished file.
pub fn read_all<S: ChunkSink>(input: &mut dyn Read, sink: &mut S) -> Result<ReadSummary, S::Error> {
    let mut summary = ReadSummary::default();
    let mut checkpoint = Checkpoint::default();
    pump(input, &mut checkpoint, true, sink, &mut summary)?;
    summary.checkpoint = Some(checkpoint);
    Ok(summary)
}

/// Opens a file for [`read_all`], decompressing it when its name ends in `.gz`.
pub fn open_maybe_gzip(path: &Path) -> io::Result<Box<dyn Read + Send>> {
    let file = File::open(path)?;
    Ok(if is_gzip(path) {
        Box::new(MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    })
}

fn plan(
    path: &Path,
    saved: Option<&Checkpoint>,
    backfill: bool,
) -> io::Result<(Vec<Segment>, bool)> {
    let live = match fs::metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let live_segment = |start| {
        live.as_ref().map(|meta| Segment {
            path: path.to_path_buf(),
            device: meta.dev(),
            inode: meta.ino(),
            start,
            gzip: false,
            finished: false,
        })
    };
    let Some(saved) = saved else {
        let mut segments = if backfill {
            finished(rotated_siblings(path)?, 0)
        } else {
            Vec::new()
        };
        segments.extend(live_segment(0));
        return Ok((segments, false));
    };
    if let Some(meta) = live.as_ref().filter(|m| same_file(m, saved)) {
        let grown_from_same_start =
            meta.len() >= saved.offset && fingerprint_matches(&fingerprint(path, false)?, saved);
        if grown_from_same_start {
            return Ok((live_segment(saved.offset).into_iter().collect(), false));
        }
        // copytruncate: the lines after the checkpoint are in the copy, the live file restarts.
        let copy = rotated_siblings(path)?.into_iter().rev().find(|r| {
            !saved.fingerprint.is_empty()
                && r.fingerprint == saved.fingerprint
                && (r.gzip || r.len >= saved.offset)
        });
        let mut segments = finished(copy.into_iter().collect(), saved.offset);
        segments.extend(live_segment(0));
        return Ok((segments, false));
    }
    let siblings = rotated_siblings(path)?;
    let by_inode = siblings.iter().position(|r| {
        r.device == saved.device
            && r.inode == saved.inode
            && fingerprint_matches(&r.fingerprint, saved)
    });
    let by_content = || {
        siblings
            .iter()
            .position(|r| !saved.fingerprint.is_empty() && r.fingerprint == saved.fingerprint)
    };
    match by_inode.or_else(by_content) {
        Some(index) => {
            let mut rest = siblings.into_iter().skip(index);
            let mut segments = finished(rest.next().into_iter().collect(), saved.offset);
            segments.extend(finished(rest.collect(), 0));
            segments.extend(live_segment(0));
            Ok((segments, false))
        }
        None => Ok((
            live_segment(0).into_iter().collect(),
            live.is_some() || saved.offset > 0,
        )),
    }
}

fn finished(files: Vec<Rotated>, first_start: u64) -> Vec<Segment> {
    files
        .into_iter()
        .enumerate()
        .map(|(i, r)| Segment {
            path: r.path,
            device: r.device,
            inode: r.inode,
            start: if i == 0 { first_start } else { 0 },
            gzip: r.gzip,
            finished: true,
        })
        .collect()
}

fn same_file(meta: &Metadata, saved: &Checkpoint) -> bool {
    meta.dev() == saved.device && meta.ino() == saved.inode
}

fn fingerprint_matches(current: &[u8], saved: &Checkpoint) -> bool {
    saved.fingerprint.is_empty() || current == saved.fingerprint.as_slice()
}

fn is_gzip(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

/// Rotated copies of `path` in its directory (`mail.log.1`, `mail.log.2.gz`,
/// `mail.log-20261121`), oldest first.
fn rotated_siblings(path: &Path) -> io::Result<Vec<Rotated>> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Ok(Vec::new());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(suffix) = file_name.to_str().and_then(|n| n.strip_prefix(name)) else {
            continue;
        };
        let Some(rotation) = rotation_rank(suffix) else {
            continue;
        };
        let meta = match entry.metadata() {
            Ok(meta) if meta.is_file() => meta,
            _ => continue,
        };
        let path = entry.path();
        let gzip = is_gzip(&path);
        let Ok(fingerprint) = fingerprint(&path, gzip) else {
            continue;
        };
        found.push((
            meta.mtime(),
            rotation,
            Rotated {
                device: meta.dev(),
                inode: meta.ino(),
                len: meta.len(),
                gzip,
                fingerprint,
                path,
            },
        ));
    }
    // Oldest first: by modification time, then higher rotation numbers (older) first.
    found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    Ok(found.into_iter().map(|(_, _, r)| r).collect())
}

/// The rotation order of a sibling's name suffix (`.1` → 1, `.2.gz` → 2, `-20261121` → the
/// date), or `None` when the file is not a rotated copy.
fn rotation_rank(suffix: &str) -> Option<u64> {
    let core = suffix.strip_suffix(".gz").unwrap_or(suffix);
    let digits = core.strip_prefix('.').or_else(|| core.strip_prefix('-'))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rank: u64 = digits.parse().ok()?;
    // Date suffixes grow with age reversed: newer dates are newer files, so invert them.
    Some(if digits.len() >= 8 {
        u64::MAX - rank
    } else {
        rank
    })
}

/// The first line of a file (at most [`FINGERPRINT_LEN`] bytes); empty until it is complete.
fn fingerprint(path: &Path, gzip: bool) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    let reader: Box<dyn Read> = if gzip {
        Box::new(MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut head = Vec::with_capacity(FINGERPRINT_LEN + 1);
    reader
        .take(FINGERPRINT_LEN as u64 + 1)
        .read_to_end(&mut head)?;
    Ok(match memchr::memchr(b'\n', &head) {
        Some(end) => head[..end].to_vec(),
        None if head.len() > FINGERPRINT_LEN => head[..FINGERPRINT_LEN].to_vec(),
        None => Vec::new(),
    })
}

fn read_segment<S: ChunkSink>(
    segment: &Segment,
    saved: Option<&Checkpoint>,
    sink: &mut S,
    summary: &mut ReadSummary,
) -> Result<Checkpoint, S::Error> {
    let file = File::open(&segment.path)?;
    let mut reader: Box<dyn Read> = if segment.gzip {
        let mut decoder = MultiGzDecoder::new(file);
        io::copy(&mut (&mut decoder).take(segment.start), &mut io::sink())?;
        Box::new(decoder)
    } else {
        let mut file = file;
        io::Seek::seek(&mut file, io::SeekFrom::Start(segment.start))?;
        Box::new(file)
    };
    let mut checkpoint = Checkpoint {
        device: segment.device,
        inode: segment.inode,
        offset: segment.start,
        fingerprint: fingerprint(&segment.path, segment.gzip)?,
    };
    if saved != Some(&checkpoint) {
        sink.chunk(&[], &checkpoint)?;
    }
    pump(
        &mut reader,
        &mut checkpoint,
        segment.finished,
        sink,
        summary,
    )?;
    Ok(checkpoint)
}

/// Reads `input` to its end, handing complete lines to `sink` and advancing `checkpoint`.
fn pump<S: ChunkSink>(
    input: &mut dyn Read,
    checkpoint: &mut Checkpoint,
    finished: bool,
    sink: &mut S,
    summary: &mut ReadSummary,
) -> Result<(), S::Error> {
    let mut buffer = vec![0u8; CHUNK];
    let mut filled = 0;
    let mut skipping_oversized = false;
    loop {
        let read = match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        filled += read;
        let Some(last_newline) = memchr::memrchr(b'\n', &buffer[..filled]) else {
            if filled == buffer.len() {
                // One line fills the whole buffer: skip it through its newline.
                checkpoint.offset += filled as u64;
                filled = 0;
                if !skipping_oversized {
                    summary.oversized_lines += 1;
                }
                skipping_oversized = true;
            }
            continue;
        };
        let mut start = 0;
        if skipping_oversized {
            start = memchr::memchr(b'\n', &buffer[..filled]).map_or(0, |i| i + 1);
            skipping_oversized = false;
        }
        let complete = last_newline + 1;
        checkpoint.offset += complete as u64;
        summary.bytes += (complete - start) as u64;
        sink.chunk(&buffer[start..complete], checkpoint)?;
        buffer.copy_within(complete..filled, 0);
        filled -= complete;
    }
    if finished && filled > 0 && !skipping_oversized {
        checkpoint.offset += filled as u64;
        summary.bytes += filled as u64;
        sink.chunk(&buffer[..filled], checkpoint)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Collects lines and remembers the last checkpoint, like a store would.
    #[derive(Default)]
    struct Collect {
        lines: Vec<String>,
        at: Option<Checkpoint>,
    }

    impl ChunkSink for Collect {
        type Error = io::Error;
        fn chunk(&mut self, lines: &[u8], at: &Checkpoint) -> io::Result<()> {
            for line in super::lines(lines) {
                self.lines.push(String::from_utf8_lossy(line).into_owned());
            }
            self.at = Some(at.clone());
            Ok(())
        }
    }

    impl Collect {
        fn scan(&mut self, path: &Path, backfill: bool) -> ReadSummary {
            let saved = self.at.clone();
            read_new(path, saved.as_ref(), backfill, self).unwrap()
        }
    }

    fn append(path: &Path, text: &str) {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    fn gzip(path: &Path, text: &str) {
        let mut enc =
            flate2::write::GzEncoder::new(File::create(path).unwrap(), flate2::Compression::fast());
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap();
    }

    #[test]
    fn reads_only_what_is_new_and_holds_a_half_written_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, "one\ntwo\nthr");
        let mut c = Collect::default();
        c.scan(&log, false);
        assert_eq!(c.lines, ["one", "two"]);
        c.scan(&log, false);
        assert_eq!(c.lines, ["one", "two"], "nothing new, nothing read again");
        append(&log, "ee\nfour\n");
        c.scan(&log, false);
        assert_eq!(c.lines, ["one", "two", "three", "four"]);
    }

    #[test]
    fn rename_rotation_finishes_the_old_file_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, "a1\na2\n");
        let mut c = Collect::default();
        c.scan(&log, false);
        append(&log, "a3\n");
        fs::rename(&log, dir.path().join("mail.log.1")).unwrap();
        append(&log, "b1\n");
        let summary = c.scan(&log, false);
        assert_eq!(c.lines, ["a1", "a2", "a3", "b1"]);
        assert!(!summary.lost_track);
        append(&log, "b2\n");
        c.scan(&log, false);
        assert_eq!(c.lines, ["a1", "a2", "a3", "b1", "b2"]);
    }

    #[test]
    fn two_rotations_while_away_including_compression() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, "a1\n");
        let mut c = Collect::default();
        c.scan(&log, false);
        append(&log, "a2\n");
        // a → mail.log.1 → compressed to mail.log.2.gz; b → mail.log.1; c live.
        let a = fs::read_to_string(&log).unwrap();
        fs::remove_file(&log).unwrap();
        gzip(&dir.path().join("mail.log.2.gz"), &a);
        append(&dir.path().join("mail.log.1"), "b1\nb2");
        append(&log, "c1\n");
        // mtimes: make the gz the oldest explicitly.
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(dir.path().join("mail.log.2.gz"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        c.scan(&log, false);
        assert_eq!(c.lines, ["a1", "a2", "b1", "b2", "c1"]);
    }

    #[test]
    fn copytruncate_reads_the_tail_from_the_copy() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, "a1\n");
        let mut c = Collect::default();
        c.scan(&log, false);
        append(&log, "a2\n");
        fs::copy(&log, dir.path().join("mail.log.1")).unwrap();
        File::options()
            .write(true)
            .open(&log)
            .unwrap()
            .set_len(0)
            .unwrap();
        append(&log, "b1\n");
        c.scan(&log, false);
        assert_eq!(c.lines, ["a1", "a2", "b1"]);
    }

    #[test]
    fn copytruncate_refilled_past_the_old_offset_is_still_seen() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, "a1\n");
        let mut c = Collect::default();
        c.scan(&log, false);
        fs::copy(&log, dir.path().join("mail.log.1")).unwrap();
        File::options()
            .write(true)
            .open(&log)
            .unwrap()
            .set_len(0)
            .unwrap();
        append(&log, "b1 is longer\n");
        c.scan(&log, false);
        assert_eq!(c.lines, ["a1", "b1 is longer"]);
    }

    #[test]
    fn first_scan_backfills_rotated_files_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        gzip(&dir.path().join("mail.log.3.gz"), "r3\n");
        gzip(&dir.path().join("mail.log.2.gz"), "r2\n");
        append(&dir.path().join("mail.log.1"), "r1\n");
        append(&log, "live\n");
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        for (name, age) in [
            ("mail.log.3.gz", 3),
            ("mail.log.2.gz", 2),
            ("mail.log.1", 1),
        ] {
            let t = old + std::time::Duration::from_secs(1000 - age * 100);
            File::options()
                .write(true)
                .open(dir.path().join(name))
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
        let mut c = Collect::default();
        c.scan(&log, true);
        assert_eq!(c.lines, ["r3", "r2", "r1", "live"]);
        let mut fresh = Collect::default();
        fresh.scan(&log, false);
        assert_eq!(fresh.lines, ["live"]);
    }

    #[test]
    fn a_file_that_disappears_and_returns_is_read_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        append(&log, "a1\n");
        let mut c = Collect::default();
        c.scan(&log, false);
        fs::remove_file(&log).unwrap();
        let gone = c.scan(&log, false);
        assert!(gone.files.is_empty());
        append(&log, "b1\n");
        c.scan(&log, false);
        assert_eq!(c.lines, ["a1", "b1"]);
    }

    #[test]
    fn an_oversized_line_is_skipped_and_later_lines_survive() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        let huge = "x".repeat(CHUNK * 2 + 17);
        append(&log, &format!("before\n{huge}\nafter\n"));
        let mut c = Collect::default();
        let summary = c.scan(&log, false);
        assert_eq!(c.lines, ["before", "after"]);
        assert_eq!(summary.oversized_lines, 1);
        assert_eq!(c.at.unwrap().offset, fs::metadata(&log).unwrap().len());
    }

    #[test]
    fn read_all_delivers_an_unterminated_last_line() {
        let mut c = Collect::default();
        read_all(&mut &b"one\ntwo"[..], &mut c).unwrap();
        assert_eq!(c.lines, ["one", "two"]);
    }

    #[test]
    fn lines_skips_empty_ones_and_keeps_an_unterminated_last() {
        let got: Vec<&[u8]> = lines(b"a\n\nbc\nd").collect();
        assert_eq!(got, [&b"a"[..], b"bc", b"d"]);
        assert_eq!(lines(b"").count(), 0);
        assert_eq!(lines(b"\n\n").count(), 0);
    }

    #[test]
    fn rotation_ranks() {
        assert_eq!(rotation_rank(".1"), Some(1));
        assert_eq!(rotation_rank(".12.gz"), Some(12));
        assert!(rotation_rank("-20261121").unwrap() < rotation_rank("-20261120").unwrap());
        assert_eq!(rotation_rank(".bak"), None);
        assert_eq!(rotation_rank(""), None);
        assert_eq!(rotation_rank(".gz"), None);
    }
}
