//! `postwarden logs …`: parse, scan, follow, export and anonymize Postfix logs.

use crate::context::{ConfigPaths, open_store};
use crate::ingest::{LineCounts, PassOutcome, Pipeline};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use postwarden_core::Config;
use postwarden_core::config::LogSource;
use postwarden_logs::anonymize::Anonymizer;
use postwarden_logs::journal::{Journal, Location};
use postwarden_logs::parse::{ParseContext, Zone, parse_line};
use postwarden_logs::reader::{Checkpoint, ChunkSink, lines, open_maybe_gzip, read_all};
use postwarden_store::Store;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Classify every line of the given files (or standard input) and print the records
    Parse(ParseArgs),
    /// Store what is new in the logs since the last scan, then exit
    Scan(ScanArgs),
    /// Keep storing new log lines as Postfix writes them, across rotations
    Follow(ScanArgs),
    /// Print stored authentication failures and abusive records
    Export(ExportArgs),
    /// Replace IPs, addresses, host names and logins consistently (stdin to stdout)
    Anonymize,
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Log files ("-" for standard input; ".gz" files are decompressed)
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ParseFormat::Jsonl)]
    format: ParseFormat,
    /// Print the number of lines of each kind instead of the records
    #[arg(long)]
    stats: bool,
    /// Reference time for the year of syslog timestamps [default: the file's modification time]
    #[arg(long, value_name = "RFC3339")]
    now: Option<DateTime<Utc>>,
    /// Time zone of syslog timestamps [default: `logs.timezone` from the configuration]
    #[arg(long, value_name = "ZONE")]
    tz: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ParseFormat {
    Jsonl,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Log files [default: `logs.files`, or the journal with `logs.source = "journal"`]
    files: Vec<PathBuf>,
    /// Read the systemd journal (`logs.journal_path`, `logs.journal_matches`) whatever
    /// `logs.source` says
    #[arg(long, conflicts_with = "files")]
    journal: bool,
    /// Time zone of syslog timestamps [default: `logs.timezone`]
    #[arg(long, value_name = "ZONE")]
    tz: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    format: ExportFormat,
    /// Only records newer than this: a duration ("24h", "7d") or an RFC 3339 time
    #[arg(long, default_value = "100y")]
    since: String,
    /// Every abusive record, not only authentication failures (jsonl; CSV is always auth only)
    #[arg(long)]
    all: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// MailLogSentinel's columns: server;date;ip;user;hostname;reverse_dns_status;country_code;asn;aso
    Csv,
    /// MailLogSentinel's columns and its value formats (dd/mm/YYYY HH:MM, null, N/A, ERRNO n,
    /// CRLF): what its users' scripts read unchanged
    Mls,
    Jsonl,
}

pub async fn run(command: LogsCommand, paths: &ConfigPaths) -> Result<ExitCode> {
    match command {
        LogsCommand::Parse(args) => parse(args, &paths.load()?),
        LogsCommand::Scan(args) => scan(args, &paths.load()?).await,
        LogsCommand::Follow(args) => follow(args, &paths.load()?).await,
        LogsCommand::Export(args) => export(args, &paths.load()?).await,
        LogsCommand::Anonymize => anonymize(),
    }
}

pub fn zone(arg: Option<&str>, config: &Config) -> Result<Zone> {
    let text = arg.unwrap_or(&config.logs.timezone);
    text.parse().with_context(|| {
        format!("unknown time zone `{text}` (use UTC, local or an IANA name such as Europe/Berlin)")
    })
}

/// Prints records (or counts) for each line of the given inputs.
struct Printer<W: Write> {
    context: ParseContext,
    out: W,
    stats: Option<LineCounts>,
}

impl<W: Write> ChunkSink for Printer<W> {
    type Error = io::Error;

    fn chunk(&mut self, chunk: &[u8], _at: &Checkpoint) -> io::Result<()> {
        for line in lines(chunk) {
            let parsed = parse_line(line, &mut self.context);
            match (&mut self.stats, parsed) {
                (Some(stats), parsed) => stats.count(parsed.as_ref().map_err(|u| u.as_str())),
                (None, Ok(record)) => {
                    serde_json::to_writer(&mut self.out, &record.to_json())?;
                    self.out.write_all(b"\n")?;
                }
                (None, Err(_)) => {}
            }
        }
        Ok(())
    }
}

fn parse(args: ParseArgs, config: &Config) -> Result<ExitCode> {
    let zone = zone(args.tz.as_deref(), config)?;
    let stdout = io::stdout().lock();
    let mut printer = Printer {
        context: ParseContext::new(args.now.unwrap_or_else(Utc::now), zone),
        out: BufWriter::with_capacity(1 << 16, stdout),
        stats: args.stats.then(LineCounts::default),
    };
    for file in &args.files {
        let reference = args.now.or_else(|| modified(file)).unwrap_or_else(Utc::now);
        printer.context = ParseContext::new(reference, zone);
        if let Some(stats) = printer.stats.as_mut().filter(|_| splittable(file)) {
            stats.merge(&count_in_parallel(file, &printer.context)?);
            continue;
        }
        if file.as_os_str() == "-" {
            read_all(&mut io::stdin().lock(), &mut printer)
        } else {
            let mut input =
                open_maybe_gzip(file).with_context(|| format!("cannot open {}", file.display()))?;
            read_all(&mut input, &mut printer)
        }
        .with_context(|| format!("reading {}", file.display()))?;
    }
    if let Some(stats) = &printer.stats {
        print_counts(&mut printer.out, stats)?;
    }
    printer.out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Files at least this big are counted by all cores at once (`--stats`).
const PARALLEL_FROM: u64 = 64 << 20;

fn splittable(file: &Path) -> bool {
    file.as_os_str() != "-"
        && file.extension().is_none_or(|e| e != "gz")
        && std::fs::metadata(file).is_ok_and(|m| m.is_file() && m.len() >= PARALLEL_FROM)
}

/// Counts the kinds of a big file's lines with one thread per core, each on a range of
/// whole lines.
fn count_in_parallel(file: &Path, context: &ParseContext) -> Result<LineCounts> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let bounds =
        line_bounds(file, threads).with_context(|| format!("reading {}", file.display()))?;
    std::thread::scope(|scope| {
        let workers: Vec<_> = bounds
            .windows(2)
            .map(|range| {
                let (start, end) = (range[0], range[1]);
                scope.spawn(move || -> io::Result<LineCounts> {
                    let mut input = std::fs::File::open(file)?;
                    io::Seek::seek(&mut input, io::SeekFrom::Start(start))?;
                    let mut printer = Printer {
                        context: context.clone(),
                        out: io::sink(),
                        stats: Some(LineCounts::default()),
                    };
                    read_all(&mut io::Read::take(input, end - start), &mut printer)?;
                    Ok(printer.stats.unwrap_or_default())
                })
            })
            .collect();
        let mut total = LineCounts::default();
        for worker in workers {
            let counts = worker
                .join()
                .map_err(|_| anyhow::anyhow!("a counting thread panicked"))?;
            total.merge(&counts.with_context(|| format!("reading {}", file.display()))?);
        }
        Ok(total)
    })
}

/// Byte offsets that cut `file` into `parts` ranges of whole lines: 0, …, its length.
fn line_bounds(file: &Path, parts: u64) -> io::Result<Vec<u64>> {
    let mut input = std::fs::File::open(file)?;
    let len = input.metadata()?.len();
    let mut bounds = vec![0];
    let mut probe = vec![0u8; 64 << 10];
    for i in 1..parts {
        let mut at = (len * i / parts).max(*bounds.last().unwrap_or(&0));
        // The range ends after the first newline at or past the cut.
        loop {
            io::Seek::seek(&mut input, io::SeekFrom::Start(at))?;
            let n = io::Read::read(&mut input, &mut probe)?;
            if n == 0 {
                at = len;
                break;
            }
            if let Some(newline) = memchr::memchr(b'\n', &probe[..n]) {
                at += newline as u64 + 1;
                break;
            }
            at += n as u64;
        }
        bounds.push(at);
    }
    bounds.push(len);
    bounds.dedup();
    Ok(bounds)
}

fn modified(path: &Path) -> Option<DateTime<Utc>> {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(DateTime::<Utc>::from)
}

fn print_counts(out: &mut impl Write, counts: &LineCounts) -> io::Result<()> {
    let mut kinds: Vec<_> = counts.by_kind().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (kind, n) in kinds {
        writeln!(out, "{n:>12}  {kind}")?;
    }
    let unparsed: u64 = counts.unparsed.values().sum();
    for (reason, n) in &counts.unparsed {
        writeln!(out, "{n:>12}  unparsed: {reason}")?;
    }
    writeln!(
        out,
        "{:>12}  lines ({} classified, {unparsed} unparsed)",
        counts.lines,
        counts.lines - unparsed
    )
}

/// What `logs scan` and `logs follow` read.
#[derive(Debug, Clone)]
pub enum Input {
    Files(Vec<PathBuf>),
    Journal(Journal),
}

impl Input {
    /// The command line's files, else what `[logs]` says.
    pub fn of(files: &[PathBuf], journal: bool, config: &Config) -> Result<Self> {
        if !files.is_empty() {
            return Ok(Input::Files(files.to_vec()));
        }
        if journal || config.logs.source == LogSource::Journal {
            return Ok(Input::Journal(Journal {
                program: config.logs.journalctl.clone(),
                location: Location::of(config.logs.journal_path.clone()),
                matches: config.logs.journal_matches.clone(),
            }));
        }
        if config.logs.files.is_empty() {
            bail!("no log files: give them on the command line or set `logs.files`");
        }
        Ok(Input::Files(config.logs.files.clone()))
    }
}

async fn scan(args: ScanArgs, config: &Config) -> Result<ExitCode> {
    let input = Input::of(&args.files, args.journal, config)?;
    let zone = zone(args.tz.as_deref(), config)?;
    let store = open_store(config).await?;
    let mut pipeline = Pipeline::open(config, store, ParseContext::new(Utc::now(), zone)).await?;
    let files = match input {
        Input::Files(files) => files,
        Input::Journal(journal) => {
            let pass = pipeline.pass_journal(&journal).await?;
            let unparsed: u64 = pass.counts.unparsed.values().sum();
            println!(
                "scanned the journal ({}): {} entries ({} not Postfix's or unparsed): {} records and {} events stored{}",
                journal.location.key(),
                pass.counts.lines,
                unparsed,
                pass.records,
                pass.events,
                if pass.read.lost_track {
                    "; the entry read last time is gone (vacuumed): entries before the oldest one left could not be read"
                } else {
                    ""
                }
            );
            return Ok(ExitCode::SUCCESS);
        }
    };
    let mut total = PassOutcome::default();
    for file in &files {
        if !file.exists() {
            bail!(
                "{}: no such file (check `logs.files` or the command line)",
                file.display()
            );
        }
        pipeline.set_context(ParseContext::new(
            modified(file).unwrap_or_else(Utc::now),
            zone,
        ));
        let bar = progress_bar(file);
        let ticker = bar.clone();
        let outcome = pipeline.pass(file, move |bytes| ticker.inc(bytes)).await?;
        bar.finish_and_clear();
        total.counts.merge(&outcome.counts);
        total.records += outcome.records;
        total.events += outcome.events;
        total.read.bytes += outcome.read.bytes;
        total.read.oversized_lines += outcome.read.oversized_lines;
        total.read.files.extend(outcome.read.files);
    }
    let unparsed: u64 = total.counts.unparsed.values().sum();
    println!(
        "scanned {} file(s), {} lines ({} unparsed, {} over 1 MiB skipped): {} records and {} events stored",
        total.read.files.len(),
        total.counts.lines,
        unparsed,
        total.read.oversized_lines,
        total.records,
        total.events
    );
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(file: &Path) -> ProgressBar {
    let bar = ProgressBar::new(std::fs::metadata(file).map(|m| m.len()).unwrap_or(0));
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .expect("progress template is valid")
        .progress_chars("=> "),
    );
    bar.set_message(file.display().to_string());
    bar
}

async fn follow(args: ScanArgs, config: &Config) -> Result<ExitCode> {
    let input = Input::of(&args.files, args.journal, config)?;
    let zone = zone(args.tz.as_deref(), config)?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let stop = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    };
    follow_logs(config, open_store(config).await?, &input, zone, stop).await?;
    Ok(ExitCode::SUCCESS)
}

/// Stores new lines of `input` as Postfix writes them, across rotations, until `stop`
/// resolves (`logs follow`, and the `logs` component of `postwarden run`).
pub async fn follow_logs(
    config: &Config,
    store: Store,
    input: &Input,
    zone: Zone,
    stop: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let files = match input {
        Input::Files(files) => files,
        Input::Journal(journal) => {
            return follow_journal(config, store, journal, zone, stop).await;
        }
    };
    let mut pipeline = Pipeline::open(config, store, ParseContext::new(Utc::now(), zone)).await?;
    let (wake, mut woken) = tokio::sync::mpsc::channel::<()>(1);
    let _watcher = watch_directories(files, wake, config.logs.poll_interval);
    tokio::pin!(stop);
    let mut backoff = Backoff::default();
    tracing::info!(files = ?files, "following");
    loop {
        let mut failed = false;
        for file in files {
            pipeline.set_context(ParseContext::new(Utc::now(), zone));
            match pipeline.pass(file, |_| {}).await {
                Ok(outcome) if outcome.counts.lines > 0 => {
                    outcome.counts.publish();
                    tracing::debug!(file = %file.display(), lines = outcome.counts.lines, records = outcome.records, events = outcome.events, "stored");
                }
                Ok(_) => {}
                Err(e) => {
                    // Nothing after the last committed checkpoint is lost: the next pass reads it again.
                    tracing::warn!(file = %file.display(), error = format!("{e:#}"), "storing new log lines failed; retrying in {:?}", backoff.retry);
                    failed = true;
                }
            }
        }
        let pause = backoff.after(failed, config.logs.poll_interval);
        tokio::select! {
            _ = woken.recv(), if !failed => {}
            _ = tokio::time::sleep(pause) => {}
            _ = &mut stop => return Ok(()),
        }
    }
}

/// The journal's new entries every `logs.poll_interval` (one short `journalctl` run each,
/// from the saved cursor), until `stop`.
async fn follow_journal(
    config: &Config,
    store: Store,
    journal: &Journal,
    zone: Zone,
    stop: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let mut pipeline = Pipeline::open(config, store, ParseContext::new(Utc::now(), zone)).await?;
    tokio::pin!(stop);
    let mut backoff = Backoff::default();
    tracing::info!(journal = %journal.location.key(), "following the journal");
    loop {
        let failed = match pipeline.pass_journal(journal).await {
            Ok(pass) => {
                if pass.counts.lines > 0 {
                    pass.counts.publish();
                    tracing::debug!(
                        entries = pass.counts.lines,
                        records = pass.records,
                        events = pass.events,
                        "stored"
                    );
                }
                false
            }
            Err(e) => {
                // Nothing after the last committed cursor is lost: the next pass reads it again.
                tracing::warn!(
                    error = format!("{e:#}"),
                    "storing new journal entries failed; retrying in {:?}",
                    backoff.retry
                );
                true
            }
        };
        let pause = backoff.after(failed, config.logs.poll_interval);
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = &mut stop => return Ok(()),
        }
    }
}

/// The pause before the next pass: `poll` after a good one; after a failed one
/// [`RETRY_MIN`], doubling up to [`RETRY_MAX`] while passes keep failing.
struct Backoff {
    retry: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { retry: RETRY_MIN }
    }
}

impl Backoff {
    fn after(&mut self, failed: bool, poll: Duration) -> Duration {
        if failed {
            let pause = self.retry;
            self.retry = (self.retry * 2).min(RETRY_MAX);
            pause
        } else {
            self.retry = RETRY_MIN;
            poll
        }
    }
}

/// First and longest pause before `follow` retries after a failed pass.
const RETRY_MIN: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(60);

/// Watches the directories of `files` (rotation replaces the files themselves) and wakes
/// the follower on any change. Without notifications, the follower still polls.
fn watch_directories(
    files: &[PathBuf],
    wake: tokio::sync::mpsc::Sender<()>,
    poll: Duration,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let mut watcher = match notify::recommended_watcher(move |_event| {
        let _ = wake.try_send(());
    }) {
        Ok(watcher) => watcher,
        Err(e) => {
            tracing::warn!(error = %e, "no file notifications; polling every {poll:?}");
            return None;
        }
    };
    for file in files {
        let dir = file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if let Err(e) = watcher.watch(dir, notify::RecursiveMode::NonRecursive) {
            tracing::warn!(dir = %dir.display(), error = %e, "no file notifications; polling every {poll:?}");
        }
    }
    Some(watcher)
}

/// Parses `--since`: a duration back from now, or an absolute RFC 3339 time.
pub fn since(text: &str) -> Result<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let ago: Duration = humantime::parse_duration(text).with_context(|| {
        format!("--since `{text}`: expected a duration such as 24h or 7d, or an RFC 3339 time")
    })?;
    Ok(Utc::now() - chrono::Duration::from_std(ago).unwrap_or(chrono::Duration::MAX))
}

async fn export(args: ExportArgs, config: &Config) -> Result<ExitCode> {
    let since = since(&args.since)?;
    let store = open_store(config).await?;
    let auth_only = match args.format {
        ExportFormat::Csv => true,
        // Its rows are SASL lines with a user: successes as well as failures.
        ExportFormat::Mls => false,
        ExportFormat::Jsonl => !args.all,
    };
    let records = store.log_records(since, auth_only).await?;
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        ExportFormat::Csv => {
            let mut csv = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(&mut out);
            csv.write_record(postwarden_report::mls::HEADER)?;
            for r in &records {
                let ip = r.ip.map(|ip| ip.to_string()).unwrap_or_default();
                let asn = r.asn.map(|a| a.to_string()).unwrap_or_default();
                let date = r.time.format("%Y-%m-%d %H:%M:%S").to_string();
                let fields = [
                    r.host.as_str(),
                    &date,
                    &ip,
                    r.user.as_deref().unwrap_or(""),
                    r.client_name.as_deref().unwrap_or(""),
                    r.rdns_status.as_deref().unwrap_or(""),
                    r.country.as_deref().unwrap_or(""),
                    &asn,
                    r.as_org.as_deref().unwrap_or(""),
                ];
                csv.write_record(fields.map(spreadsheet_safe))?;
            }
            csv.flush()?;
        }
        ExportFormat::Mls => {
            let zone = zone(None, config)?;
            postwarden_report::mls::write(&mut out, &records, |t| zone.wall(t))?;
        }
        ExportFormat::Jsonl => {
            for r in &records {
                serde_json::to_writer(&mut out, r)?;
                out.write_all(b"\n")?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Neutralises a field a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first).
fn spreadsheet_safe(field: &str) -> String {
    match field.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{field}"),
        _ => field.to_owned(),
    }
}

fn anonymize() -> Result<ExitCode> {
    let mut anonymizer = Anonymizer::new();
    let mut out = BufWriter::new(io::stdout().lock());
    let mut input = io::stdin().lock();
    let mut line = Vec::new();
    while input.read_until(b'\n', &mut line)? > 0 {
        let text = String::from_utf8_lossy(&line);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        writeln!(out, "{}", anonymizer.line(text))?;
        line.clear();
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sample/mail.log")
    }

    #[test]
    fn parallel_counts_equal_sequential_counts() {
        let context = ParseContext::new(Utc::now(), Zone::Utc);
        let parallel = count_in_parallel(&sample(), &context).unwrap();
        let mut printer = Printer {
            context,
            out: io::sink(),
            stats: Some(LineCounts::default()),
        };
        read_all(&mut std::fs::File::open(sample()).unwrap(), &mut printer).unwrap();
        let sequential = printer.stats.unwrap();
        assert_eq!(parallel.lines, sequential.lines);
        assert_eq!(
            parallel.by_kind().collect::<Vec<_>>(),
            sequential.by_kind().collect::<Vec<_>>()
        );
    }

    #[test]
    fn line_bounds_cut_after_newlines() {
        let text = std::fs::read(sample()).unwrap();
        for parts in [1, 2, 3, 7, 64] {
            let bounds = line_bounds(&sample(), parts).unwrap();
            assert_eq!(bounds.first(), Some(&0));
            assert_eq!(bounds.last(), Some(&(text.len() as u64)));
            for b in &bounds[1..bounds.len() - 1] {
                assert_eq!(text[*b as usize - 1], b'\n', "{parts} parts: bound {b}");
            }
        }
    }

    #[test]
    fn a_failing_pass_backs_off_and_a_good_one_resets() {
        let poll = Duration::from_millis(250);
        let mut backoff = Backoff::default();
        let pauses: Vec<u64> = [true, true, true]
            .map(|failed| backoff.after(failed, poll).as_secs())
            .into();
        assert_eq!(pauses, [1, 2, 4]);
        assert_eq!(backoff.after(false, poll), poll);
        assert_eq!(backoff.after(true, poll), RETRY_MIN);
        for _ in 0..10 {
            backoff.after(true, poll);
        }
        assert_eq!(backoff.after(true, poll), RETRY_MAX);
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("alice"), "alice");
    }

    #[test]
    fn since_accepts_durations_and_times() {
        let t = since("2026-11-01T00:00:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert!(since("24h").unwrap() < Utc::now());
        assert!(
            since("yesterday-ish")
                .unwrap_err()
                .to_string()
                .contains("yesterday-ish")
        );
    }
}
