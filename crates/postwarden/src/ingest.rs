//! The log ingestion pipeline behind `logs scan` and `logs follow`.
//!
//! Lines go through two stages on two threads, so parsing and storing overlap:
//!
//! 1. [`Classifier`] (a blocking thread) parses each line, looks up country and ASN, feeds
//!    the brute-force [`Detector`], and collects abusive and authentication records, hourly
//!    traffic counts and events into a [`LogBatch`] that carries the reader's checkpoint.
//! 2. [`store_batches`] (async) adds reverse DNS and commits each batch in one transaction,
//!    records and checkpoint together — so a crash loses nothing and repeats nothing.

use crate::context::{open_geo, open_rdns};
use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use postwarden_core::metrics::metrics;
use postwarden_core::{Config, Event};
use postwarden_enrich::{GeoDb, ReverseDns};
use postwarden_logs::detect::{Detector, Observation};
use postwarden_logs::journal::{Entry, EntrySink, Journal, JournalSummary};
use postwarden_logs::parse::{
    DeliveryStatus, Detail, Kind, ParseContext, Record, Unparsed, parse_entry, parse_line,
};
use postwarden_logs::reader::{self, Checkpoint, ChunkSink, ReadSummary, read_new};
use postwarden_store::{FileState, JournalState, LogBatch, LogRecordRow, Store, TrafficCount};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Records collected before a batch is handed to the store.
const BATCH_RECORDS: usize = 20_000;

/// Per-kind line counts, for `--stats` and the scan summary.
#[derive(Debug, Clone)]
pub struct LineCounts {
    /// Indexed by `Kind as usize`.
    kinds: Vec<u64>,
    pub unparsed: BTreeMap<&'static str, u64>,
    pub lines: u64,
}

impl Default for LineCounts {
    fn default() -> Self {
        Self {
            kinds: vec![0; Kind::ALL.len()],
            unparsed: BTreeMap::new(),
            lines: 0,
        }
    }
}

impl LineCounts {
    pub fn count(&mut self, outcome: Result<&Record, &'static str>) {
        self.lines += 1;
        match outcome {
            Ok(record) => self.kinds[record.kind as usize] += 1,
            Err(reason) => *self.unparsed.entry(reason).or_default() += 1,
        }
    }

    /// (kind, lines) for every kind seen.
    pub fn by_kind(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        Kind::ALL
            .iter()
            .map(|k| (k.as_str(), self.kinds[*k as usize]))
            .filter(|(_, n)| *n > 0)
    }

    /// Adds these lines to the `postwarden_log_lines_total` metric.
    pub fn publish(&self) {
        for (kind, lines) in self.by_kind() {
            metrics().log_lines(kind, lines);
        }
        let unparsed: u64 = self.unparsed.values().sum();
        if unparsed > 0 {
            metrics().log_lines("unparsed", unparsed);
        }
    }

    pub fn merge(&mut self, other: &LineCounts) {
        self.lines += other.lines;
        for (mine, theirs) in self.kinds.iter_mut().zip(&other.kinds) {
            *mine += theirs;
        }
        for (k, v) in &other.unparsed {
            *self.unparsed.entry(k).or_default() += v;
        }
    }
}

/// Addresses whose geo data the classifier remembers before it starts afresh.
const GEO_CACHE_MAX: usize = 1 << 20;

/// A geo lookup's answer, owned so it can be remembered.
#[derive(Debug, Clone)]
struct CachedGeo {
    country: Option<Arc<str>>,
    asn: Option<u32>,
    as_org: Option<Arc<str>>,
}

/// The long-lived parts of the pipeline, shared by every file and every pass of `follow`.
pub struct Pipeline {
    store: Store,
    rdns: Arc<ReverseDns>,
    backfill_rotated: bool,
    detect: postwarden_core::config::DetectConfig,
    /// Lent to the classifier thread during a pass; `None` only if that thread panicked.
    carried: Option<Carried>,
}

/// What the classifier thread takes along for a pass and hands back after it.
struct Carried {
    geo: Arc<GeoDb>,
    detector: Detector,
    context: ParseContext,
    geo_cache: HashMap<IpAddr, CachedGeo>,
}

/// What one pass over one file did.
#[derive(Debug, Default)]
pub struct PassOutcome {
    pub read: ReadSummary,
    pub counts: LineCounts,
    pub records: u64,
    pub events: u64,
}

impl Pipeline {
    /// Sets up the pipeline; the detector resumes the windows still open (see [`resume`]).
    pub async fn open(config: &Config, store: Store, context: ParseContext) -> Result<Self> {
        let detector = resume(&store, &config.detect).await?;
        Ok(Self {
            store,
            rdns: open_rdns(config)?,
            backfill_rotated: config.logs.backfill_rotated,
            detect: config.detect.clone(),
            carried: Some(Carried {
                geo: open_geo(config)?,
                detector,
                context,
                geo_cache: HashMap::new(),
            }),
        })
    }

    /// Sets the reference time (and zone) for the years of syslog timestamps.
    pub fn set_context(&mut self, context: ParseContext) {
        if let Some(carried) = &mut self.carried {
            carried.context = context;
        }
    }

    /// Reads what is new in `path` and stores it. `progress` receives byte counts.
    pub async fn pass(
        &mut self,
        path: &Path,
        progress: impl FnMut(u64) + Send + 'static,
    ) -> Result<PassOutcome> {
        let key = path.display().to_string();
        let saved = self.store.file_state(&key).await?.map(|s| Checkpoint {
            device: s.device,
            inode: s.inode,
            offset: s.offset,
            fingerprint: s.fingerprint,
        });
        let (path_owned, backfill) = (path.to_path_buf(), self.backfill_rotated);
        let (read, counts, records, events) = self
            .run(key, Box::new(progress), move |classifier| {
                read_new(&path_owned, saved.as_ref(), backfill, classifier)
            })
            .await?;
        if read.lost_track {
            tracing::warn!(file = %path.display(), "the file read last time is gone and no rotated copy matches it; lines written to it after the last scan could not be read");
        }
        Ok(PassOutcome {
            read,
            counts,
            records,
            events,
        })
    }

    /// Reads the journal's new entries (after the saved cursor) and stores them.
    pub async fn pass_journal(&mut self, journal: &Journal) -> Result<JournalPass> {
        let key = journal.location.key();
        let saved = self.store.journal_state(&key).await?.map(|s| s.cursor);
        let journal_owned = journal.clone();
        let (read, counts, records, events) = self
            .run(key.clone(), Box::new(|_| {}), move |classifier| {
                journal_owned.read_new(saved.as_deref(), classifier)
            })
            .await?;
        if read.lost_track {
            tracing::warn!(journal = %key, "the journal entry read last time is gone (vacuumed, or another journal): entries between it and the oldest one left could not be read");
        }
        Ok(JournalPass {
            read,
            counts,
            records,
            events,
        })
    }

    /// One pass: `read` feeds the classifier on a blocking thread while the writer stores
    /// its batches; the detector survives the pass unless something was not stored.
    async fn run<T: Send + 'static>(
        &mut self,
        key: String,
        progress: Box<dyn FnMut(u64) + Send>,
        read: impl FnOnce(&mut Classifier) -> Result<T> + Send + 'static,
    ) -> Result<(T, LineCounts, u64, u64)> {
        let carried = self
            .carried
            .take()
            .context("an earlier pass crashed; restart postwarden")?;
        let (sender, receiver) = mpsc::channel(2);
        let writer = tokio::spawn(store_batches(
            self.store.clone(),
            self.rdns.clone(),
            receiver,
        ));
        let mut classifier = Classifier::new(key, carried, sender, progress);
        let reading = tokio::task::spawn_blocking(move || {
            let read =
                read(&mut classifier).and_then(|summary| classifier.flush().map(|()| summary));
            // Dropping the classifier's channel ends the writer.
            classifier.finish(read)
        });
        let (mut carried, counts, read) = reading.await.context("log reader thread panicked")?;
        let stored = writer.await.context("store writer panicked")?;
        if read.is_err() || stored.is_err() {
            // The detector saw lines that were not stored and will be read again: start it
            // afresh so the events they raise are raised again, not swallowed as repeats.
            carried.detector = Detector::new(&self.detect);
        }
        self.carried = Some(carried);
        let (records, events) = stored?;
        Ok((read?, counts, records, events))
    }
}

/// What one pass over the journal did.
#[derive(Debug, Default)]
pub struct JournalPass {
    pub read: JournalSummary,
    pub counts: LineCounts,
    pub records: u64,
    pub events: u64,
}

/// Where a batch was read up to: committed with its records.
#[derive(Debug, Clone)]
enum Position {
    File(Checkpoint),
    Journal(String),
}

/// A detector that has seen the abusive records of its longest window, so an attack split
/// over two runs of `logs scan` (from cron, say) is still detected. Crossings in the
/// replayed records were reported by the run that stored them and are not raised again.
async fn resume(store: &Store, config: &postwarden_core::config::DetectConfig) -> Result<Detector> {
    let mut detector = Detector::new(config);
    let longest = config
        .rules
        .iter()
        .map(|r| r.window)
        .max()
        .unwrap_or_default();
    let since = Utc::now() - chrono::Duration::from_std(longest).unwrap_or(chrono::Duration::MAX);
    let mut already_reported = Vec::new();
    for record in store
        .log_records(since, false)
        .await?
        .iter()
        .filter(|r| r.abusive)
    {
        let observation = Observation {
            time: record.time,
            host: &record.host,
            ip: record.ip,
            asn: record.asn,
            user: record.user.as_deref(),
            auth_failure: record.kind == Kind::AuthFailed.as_str(),
        };
        detector.observe(&observation, &mut already_reported);
    }
    Ok(detector)
}

/// Parses lines and builds batches; runs on a blocking thread.
struct Classifier {
    file: String,
    carried: Carried,
    sender: mpsc::Sender<LogBatch>,
    progress: Box<dyn FnMut(u64) + Send>,
    counts: LineCounts,
    records: Vec<LogRecordRow>,
    traffic: HashMap<(i64, String, &'static str, String), i64>,
    events: Vec<Event>,
    position: Option<Position>,
}

impl Classifier {
    fn new(
        file: String,
        carried: Carried,
        sender: mpsc::Sender<LogBatch>,
        progress: Box<dyn FnMut(u64) + Send>,
    ) -> Self {
        Self {
            file,
            carried,
            sender,
            progress,
            counts: LineCounts::default(),
            records: Vec::new(),
            traffic: HashMap::new(),
            events: Vec::new(),
            position: None,
        }
    }

    /// Ends the pass: drops the channel to the writer and hands back what outlives it.
    fn finish<T>(self, read: T) -> (Carried, LineCounts, T) {
        (self.carried, self.counts, read)
    }

    fn line(&mut self, line: &[u8]) {
        let parsed = parse_line(line, &mut self.carried.context);
        self.parsed(parsed);
    }

    fn entry(&mut self, entry: &Entry) {
        let parsed = parse_entry(
            entry.time,
            &entry.host,
            &entry.identifier,
            entry.pid,
            &entry.message,
        );
        self.parsed(parsed);
    }

    fn parsed(&mut self, parsed: Result<Record, Unparsed>) {
        let record = match parsed {
            Ok(record) => record,
            Err(unparsed) => {
                self.counts.count(Err(unparsed.as_str()));
                return;
            }
        };
        self.counts.count(Ok(&record));
        let time = record.time.with_timezone(&Utc);
        let counters = traffic_metric(&record)
            .into_iter()
            .chain(traffic_domain(&record));
        let hour = time.timestamp().div_euclid(3600);
        for (metric, key) in counters {
            *self
                .traffic
                .entry((hour, record.host.to_owned(), metric, key))
                .or_default() += 1;
        }
        if record.abusive || matches!(record.kind, Kind::AuthFailed | Kind::AuthSuccess) {
            self.keep(&record, time);
        }
    }

    fn keep(&mut self, record: &Record, time: DateTime<Utc>) {
        let geo = record.ip.map(|ip| self.geo_of(ip));
        let asn = geo.as_ref().and_then(|g| g.asn);
        if record.abusive {
            let observation = Observation {
                time,
                host: record.host,
                ip: record.ip,
                asn,
                user: record.user,
                auth_failure: record.kind == Kind::AuthFailed,
            };
            self.carried
                .detector
                .observe(&observation, &mut self.events);
        }
        self.records.push(LogRecordRow {
            time,
            host: record.host.to_owned(),
            service: record.service.to_owned(),
            kind: record.kind.as_str().to_owned(),
            abusive: record.abusive,
            ip: record.ip,
            client_name: record.client_name.map(str::to_owned),
            user: record.user.map(str::to_owned),
            reason: reason(record),
            country: geo
                .as_ref()
                .and_then(|g| g.country.as_deref().map(str::to_owned)),
            asn,
            as_org: geo
                .as_ref()
                .and_then(|g| g.as_org.as_deref().map(str::to_owned)),
            rdns: None,
            rdns_status: None,
        });
    }

    /// Country and ASN of `ip`, remembered: attackers come back many times.
    fn geo_of(&mut self, ip: IpAddr) -> CachedGeo {
        let Carried { geo, geo_cache, .. } = &mut self.carried;
        if geo_cache.len() >= GEO_CACHE_MAX {
            geo_cache.clear();
        }
        geo_cache
            .entry(ip)
            .or_insert_with(|| {
                let info = geo.lookup(ip);
                CachedGeo {
                    country: info.country.map(Arc::from),
                    asn: info.asn,
                    as_org: info.as_org.map(Arc::from),
                }
            })
            .clone()
    }

    /// Hands everything collected so far, with the checkpoint, to the store writer.
    fn flush(&mut self) -> Result<()> {
        let Some(position) = self.position.take() else {
            return Ok(());
        };
        let traffic = self
            .traffic
            .drain()
            .map(|((hour, host, metric, key), count)| TrafficCount {
                hour,
                host,
                metric: metric.to_owned(),
                key,
                count,
            })
            .collect();
        let batch = LogBatch {
            records: std::mem::take(&mut self.records),
            traffic,
            events: std::mem::take(&mut self.events),
            file_state: match &position {
                Position::File(at) => Some(FileState {
                    path: self.file.clone(),
                    device: at.device,
                    inode: at.inode,
                    offset: at.offset,
                    fingerprint: at.fingerprint.clone(),
                    updated: Utc::now(),
                }),
                Position::Journal(_) => None,
            },
            journal_state: match position {
                Position::Journal(cursor) => Some(JournalState {
                    source: self.file.clone(),
                    cursor,
                    updated: Utc::now(),
                }),
                Position::File(_) => None,
            },
        };
        self.sender
            .blocking_send(batch)
            .map_err(|_| anyhow!("the store writer stopped"))
    }
}

impl ChunkSink for Classifier {
    type Error = anyhow::Error;

    fn chunk(&mut self, lines: &[u8], at: &Checkpoint) -> Result<()> {
        for line in reader::lines(lines) {
            self.line(line);
        }
        (self.progress)(lines.len() as u64);
        self.position = Some(Position::File(at.clone()));
        if self.records.len() >= BATCH_RECORDS {
            self.flush()?;
        }
        Ok(())
    }
}

impl EntrySink for Classifier {
    type Error = anyhow::Error;

    fn entries(&mut self, entries: &[Entry], cursor: &str) -> Result<()> {
        for entry in entries {
            self.entry(entry);
        }
        self.position = Some(Position::Journal(cursor.to_owned()));
        if self.records.len() >= BATCH_RECORDS {
            self.flush()?;
        }
        Ok(())
    }
}

/// The traffic counter a line adds to, pflogsumm-style.
fn traffic_metric(record: &Record) -> Option<(&'static str, String)> {
    Some(match &record.detail {
        Detail::Received { .. } => ("received", String::new()),
        Detail::Delivery { status, .. } => (delivery_metric(*status)?, String::new()),
        Detail::Reject { .. } if record.kind == Kind::Reject => {
            ("rejected", reason(record).unwrap_or_default())
        }
        _ => return None,
    })
}

fn delivery_metric(status: DeliveryStatus) -> Option<&'static str> {
    Some(match status {
        DeliveryStatus::Sent => "delivered",
        DeliveryStatus::Deferred => "deferred",
        DeliveryStatus::Bounced => "bounced",
        DeliveryStatus::Expired => "expired",
        _ => return None,
    })
}

/// The sender or recipient domain counter a line adds to.
fn traffic_domain(record: &Record) -> Option<(&'static str, String)> {
    let (metric, address) = match &record.detail {
        Detail::Received {
            from: Some(from), ..
        } => ("sender_domain", *from),
        Detail::Delivery {
            to: Some(to),
            status: DeliveryStatus::Sent,
            ..
        } => ("recipient_domain", *to),
        _ => return None,
    };
    let domain = match address.rsplit_once('@') {
        Some((_, domain)) => domain,
        None if address.is_empty() => "(bounce)",
        None => "(local)",
    };
    Some((metric, domain.to_ascii_lowercase()))
}

/// Why a stored record is abusive: the reject class, the SASL reason, or the SMTP stage.
fn reason(record: &Record) -> Option<String> {
    match &record.detail {
        Detail::Reject {
            class,
            rbl: Some(rbl),
            ..
        } => Some(format!("{}:{rbl}", class.as_str())),
        Detail::Reject { class, .. } => Some(class.as_str().to_owned()),
        Detail::Auth { reason, .. } => reason.filter(|r| !r.is_empty()).map(str::to_owned),
        Detail::Stage { stage, .. } => Some(stage.as_str().to_owned()),
        Detail::Postscreen {
            stage: Some(stage), ..
        } => Some(stage.as_str().to_owned()),
        _ => None,
    }
}

/// Receives batches, adds reverse DNS, commits each in one transaction.
/// Returns the number of records and events stored.
async fn store_batches(
    store: Store,
    rdns: Arc<ReverseDns>,
    mut batches: mpsc::Receiver<LogBatch>,
) -> Result<(u64, u64)> {
    let (mut records, mut events) = (0u64, 0u64);
    while let Some(mut batch) = batches.recv().await {
        add_reverse_dns(&rdns, &mut batch.records).await;
        store.commit_log_batch(&batch).await?;
        records += batch.records.len() as u64;
        events += batch.events.len() as u64;
    }
    Ok((records, events))
}

async fn add_reverse_dns(rdns: &ReverseDns, records: &mut [LogRecordRow]) {
    if !rdns.enabled() {
        return;
    }
    let unique: HashSet<IpAddr> = records.iter().filter_map(|r| r.ip).collect();
    let answers: HashMap<IpAddr, _> = stream::iter(unique)
        .map(|ip| async move { (ip, rdns.lookup(ip).await) })
        .buffer_unordered(1024)
        .collect()
        .await;
    for record in records {
        if let Some(answer) = record.ip.and_then(|ip| answers.get(&ip)) {
            record.rdns = answer.name.clone();
            record.rdns_status = Some(answer.status.as_str().to_owned());
        }
    }
}
