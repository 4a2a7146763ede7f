//! The dispatcher: one pass routes new events, turns due groups into notifications and
//! delivers due notifications; `postwarden dispatch --once` runs one pass (mailgen's run),
//! [`Dispatcher::run`] repeats it (part of `postwarden run`).
//!
//! A pass never holds work that another dispatcher could also take: every step claims its
//! rows in the store (see `postwarden_store::notify`). A notification is marked `sending`
//! (with a claim that expires) before it is handed to its channel, so a crash between the
//! two is found later and checked with the provider instead of being lost or sent twice.

use crate::channels::{Channel, Delivered, Outgoing, SendError, build_all};
use crate::directive::hex;
use crate::fields::micros;
use crate::groups::{due_at, is_repeat};
use crate::limits;
use crate::rules::{Rule, compile_all};
use crate::template::{RenderInput, Templates};
use chrono::{DateTime, Utc};
use postwarden_core::Config;
use postwarden_core::config::{LimitsConfig, NotifyConfig};
use postwarden_core::metrics::metrics;
use postwarden_store::{
    AttemptStatus, ClaimedGroup, ClaimedNotification, FinishedAttempt, NewNotification, NewStatus,
    NotificationState, PendingGroup, SendSlot, Store, StoreError,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Events routed per transaction.
const ROUTE_BATCH: u32 = 5000;
/// Groups turned into notifications per transaction.
const FLUSH_BATCH: usize = 2000;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pass {
    pub events_routed: usize,
    pub notifications: usize,
    pub sent: usize,
    pub failed: usize,
    pub retried: usize,
    /// Held back by a limit (their events wait for the next allowed notification).
    pub held: usize,
    pub duplicates: usize,
    /// The provider could not say whether an earlier, crashed attempt went out; held for
    /// an operator (`on_unknown = "hold"`).
    pub unknown: usize,
}

/// Everything a dispatcher needs: rules, templates, channels, limits and the store.
pub struct Dispatcher {
    store: Store,
    rules: Vec<Rule>,
    templates: Templates,
    channels: BTreeMap<String, Channel>,
    limits: BTreeMap<String, LimitsConfig>,
    config: NotifyConfig,
    hostname: String,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("rules", &self.rules.len())
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// Compiles the rules, loads the templates and builds every channel; errors name the
    /// rule, template or channel at fault.
    pub fn new(config: &Config, store: Store, hostname: &str) -> Result<Dispatcher, String> {
        let (rules, templates) = check_config(config)?;
        let channels = build_all(config, hostname)?;
        let limits = config
            .channels
            .iter()
            .map(|(name, c)| (name.clone(), c.limits().unwrap_or(config.limits)))
            .collect();
        Ok(Dispatcher {
            store,
            rules,
            templates,
            channels,
            limits,
            config: config.notify.clone(),
            hostname: hostname.to_owned(),
        })
    }

    /// The templates, for `notify render`.
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// A channel by name.
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.get(name)
    }

    /// One pass: route, group, deliver.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Pass, StoreError> {
        let started = std::time::Instant::now();
        let mut pass = Pass {
            events_routed: self.route(now).await?,
            ..Pass::default()
        };
        let routed = started.elapsed();
        pass.notifications = self.flush(now).await?;
        let flushed = started.elapsed();
        self.deliver(now, None, &mut pass).await?;
        tracing::debug!(
            ?routed,
            grouped = ?(flushed - routed),
            delivered = ?(started.elapsed() - flushed),
            "notification pass"
        );
        Ok(pass)
    }

    /// Runs a pass every `notify.interval` until `shutdown` resolves; a failing pass is
    /// logged and retried on the next tick.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(self.config.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tick.tick() => {}
            }
            match self.run_once(Utc::now()).await {
                Ok(pass) if pass != Pass::default() => tracing::info!(?pass, "notifications"),
                Ok(_) => {}
                Err(e) => tracing::warn!("notification pass failed: {e}"),
            }
        }
    }

    /// Routes every event not routed yet; returns how many. Events older than
    /// `notify.max_event_age` are marked routed without notifying anyone.
    pub async fn route(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let oldest = now - to_chrono(self.config.max_event_age);
            let routed = retrying(async || {
                self.store
                    .route_events(ROUTE_BATCH, |stored| {
                        if stored.event.time < oldest {
                            return Vec::new();
                        }
                        self.rules
                            .iter()
                            .filter(|rule| rule.matches(&stored.event))
                            .flat_map(|rule| rule.directives(&stored.event))
                            .map(|spec| spec.into_new(now))
                            .collect()
                    })
                    .await
            })
            .await?;
            total += routed;
            if routed < ROUTE_BATCH as usize {
                return Ok(total);
            }
        }
    }

    /// Turns every due group into a notification; returns how many were made.
    pub async fn flush(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let now_us = now.timestamp_micros();
        let due: Vec<PendingGroup> = self
            .store
            .pending_groups()
            .await?
            .into_iter()
            .filter(|g| due_at(g) <= now_us)
            .collect();
        let mut made = 0;
        for chunk in due.chunks(FLUSH_BATCH) {
            let by_id: HashMap<i64, &PendingGroup> = chunk.iter().map(|g| (g.id, g)).collect();
            let expected: Vec<(i64, Option<i64>)> =
                chunk.iter().map(|g| (g.id, g.last_flush_us)).collect();
            let started = std::time::Instant::now();
            let tickets = retrying(async || {
                self.store
                    .flush_groups(&expected, now, |groups, tickets| {
                        self.render_all(groups, tickets, &by_id, now_us)
                    })
                    .await
            })
            .await?;
            tracing::debug!(groups = tickets.len(), took = ?started.elapsed(), "grouped");
            made += tickets.len();
        }
        Ok(made)
    }

    /// Renders one notification per claimed group (with its ticket), on every core: the
    /// groups are split into one run per core.
    fn render_all(
        &self,
        groups: Vec<ClaimedGroup>,
        tickets: &[String],
        pending: &HashMap<i64, &PendingGroup>,
        now_us: i64,
    ) -> Vec<NewNotification> {
        let started = std::time::Instant::now();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per_run = groups.len().div_ceil(cores).max(1);
        let work: Vec<(ClaimedGroup, &String)> = groups.into_iter().zip(tickets).collect();
        let mut runs: Vec<Vec<(ClaimedGroup, &String)>> = Vec::with_capacity(cores);
        let mut rest = work.into_iter();
        loop {
            let run: Vec<_> = rest.by_ref().take(per_run).collect();
            if run.is_empty() {
                break;
            }
            runs.push(run);
        }
        let render_run = |run: Vec<(ClaimedGroup, &String)>| -> Vec<NewNotification> {
            run.into_iter()
                .map(|(group, ticket)| {
                    let found = pending.get(&group.id).copied();
                    self.notification_of(found, group, ticket, now_us)
                })
                .collect()
        };
        let rendered: Vec<NewNotification> = std::thread::scope(|scope| {
            let mut runs = runs.into_iter();
            let first = runs.next();
            let others: Vec<_> = runs
                .map(|run| scope.spawn(move || render_run(run)))
                .collect();
            let mut out = first.map(render_run).unwrap_or_default();
            for handle in others {
                match handle.join() {
                    Ok(done) => out.extend(done),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            out
        });
        tracing::debug!(notifications = rendered.len(), took = ?started.elapsed(), "rendered");
        rendered
    }

    fn notification_of(
        &self,
        group: Option<&PendingGroup>,
        claimed: ClaimedGroup,
        ticket: &str,
        now_us: i64,
    ) -> NewNotification {
        let ClaimedGroup {
            key,
            channel,
            recipient,
            template,
            format,
            labels,
            directives,
            ..
        } = claimed;
        let labels: BTreeMap<String, String> = serde_json::from_str(&labels).unwrap_or_default();
        let directive_ids: Vec<i64> = directives.iter().map(|d| d.id).collect();
        let mut events: Vec<_> = directives.into_iter().map(|d| d.event).collect();
        events.sort_by_key(|e| e.id);
        events.dedup_by_key(|e| e.id);
        let input = RenderInput {
            events: &events,
            labels: &labels,
            ticket,
            channel: &channel,
            recipient: &recipient,
            hostname: &self.hostname,
        };
        let rendered = self.templates.render(&template, &format, input);
        let (rendered, status, error) = match rendered {
            Ok(r) => (r, NewStatus::Ready, None),
            Err(e) => (Default::default(), NewStatus::Failed, Some(e)),
        };
        let content_hash = content_hash(&rendered.subject, &rendered.body, ticket);
        let status = match group {
            Some(g) if status == NewStatus::Ready && is_repeat(g, &content_hash, now_us) => {
                NewStatus::Duplicate
            }
            _ => status,
        };
        NewNotification {
            group_key: key,
            channel,
            recipient,
            template,
            format,
            subject: rendered.subject,
            body: rendered.body,
            html: rendered.html,
            csv: rendered.csv,
            content_hash,
            event_ids: events.iter().map(|e| e.id).collect(),
            directive_ids,
            status,
            error,
        }
    }

    /// Delivers every due notification (with `ticket`, only that one), adding to `pass`.
    pub async fn deliver(
        &self,
        now: DateTime<Utc>,
        ticket: Option<&str>,
        pass: &mut Pass,
    ) -> Result<(), StoreError> {
        let claim_for = micros(self.config.claim_timeout);
        let started = std::time::Instant::now();
        let pass_start = now;
        loop {
            // The pass's clock moves on with real time: claims and sends made late in a
            // long pass are stamped when they happen, not when the pass began.
            let now = pass_start + to_chrono(started.elapsed());
            let claimed = retrying(async || {
                self.store
                    .claim_notifications(now, claim_for, self.config.batch_size, ticket)
                    .await
            })
            .await?;
            if claimed.is_empty() {
                return Ok(());
            }
            let mut finished = Vec::with_capacity(claimed.len());
            let mut by_channel: BTreeMap<String, Vec<ClaimedNotification>> = BTreeMap::new();
            for n in claimed {
                match self.hold_back(&n, now).await {
                    Ok(Some(held)) => finished.push(held),
                    Ok(None) => by_channel.entry(n.channel.clone()).or_default().push(n),
                    // One notification the store cannot check limits for must not hold up
                    // the batch: it is retried later like a failed send.
                    Err(e) => finished.push(self.outcome(
                        &n,
                        Err(SendError::retryable("STORE", e.to_string())),
                        now,
                    )),
                }
            }
            let sending = std::time::Instant::now();
            for (name, batch) in by_channel {
                finished.extend(self.send_batch(&name, batch, now).await);
            }
            let recording = std::time::Instant::now();
            for f in &finished {
                count(pass, f.status);
                metrics().notification(&f.channel, f.status.as_str());
            }
            retrying(async || self.store.finish_notifications(&finished).await).await?;
            tracing::debug!(
                notifications = finished.len(),
                sending = ?(recording - sending),
                recording = ?recording.elapsed(),
                "delivered"
            );
            if ticket.is_some() {
                return Ok(());
            }
        }
    }

    /// The outcome for a notification its receiver's limits hold back, if they do.
    async fn hold_back(
        &self,
        n: &ClaimedNotification,
        now: DateTime<Utc>,
    ) -> Result<Option<FinishedAttempt>, StoreError> {
        let Some(limits) = self.limits.get(&n.channel).filter(|l| l.any()) else {
            return Ok(None);
        };
        let now_us = now.timestamp_micros();
        let mut next = now_us;
        let slot = SendSlot {
            channel: &n.channel,
            recipient: &n.recipient,
            ticket: &n.ticket,
            content_hash: &n.content_hash,
            now,
            since_us: now_us - limits::horizon_us(limits),
        };
        let reason = retrying(async || {
            self.store
                .take_send_slot(&slot, |sends| {
                    let reason = limits::decide(limits, sends, &n.content_hash, now_us);
                    if let Some(reason) = reason {
                        next = limits::retry_at(limits, sends, reason, now_us);
                    }
                    reason
                })
                .await
        })
        .await?;
        Ok(reason.map(|reason| {
            let mut held = finished(n, now, reason.status());
            held.next_us = Some(next);
            held.message = Some(match reason {
                limits::Held::Duplicate => "the same text was sent within duplicate_window".into(),
                limits::Held::Cooldown | limits::Held::RateLimited => format!(
                    "held back until {}; its events go out with the next notification",
                    DateTime::from_timestamp_micros(next)
                        .unwrap_or(now)
                        .to_rfc3339()
                ),
            });
            held
        }))
    }

    async fn send_batch(
        &self,
        channel_name: &str,
        batch: Vec<ClaimedNotification>,
        now: DateTime<Utc>,
    ) -> Vec<FinishedAttempt> {
        let Some(channel) = self.channels.get(channel_name) else {
            return batch
                .iter()
                .map(|n| {
                    let mut f = finished(n, now, AttemptStatus::Failed);
                    f.code = Some("CONFIG".into());
                    f.message = Some(format!("channel `{channel_name}` is not configured"));
                    f
                })
                .collect();
        };
        let outgoing: Vec<Outgoing> = batch.iter().map(outgoing_of).collect();
        let results = channel.send(&outgoing).await;
        batch
            .iter()
            .zip(results)
            .map(|(n, result)| self.outcome(n, result, now))
            .collect()
    }

    fn outcome(
        &self,
        n: &ClaimedNotification,
        result: Result<Delivered, SendError>,
        now: DateTime<Utc>,
    ) -> FinishedAttempt {
        match result {
            Ok(delivered) => {
                let mut f = finished(n, now, AttemptStatus::Sent);
                f.provider_id = delivered.provider_id;
                f.parts = delivered.parts;
                f.price = delivered.price;
                if let Some(note) = delivered.note {
                    f.code = Some("RESENT".into());
                    f.message = Some(note);
                }
                f
            }
            Err(SendError::Unknown { code, message }) => {
                let mut f = finished(n, now, AttemptStatus::Unknown);
                f.code = Some(code);
                f.message = Some(message);
                f
            }
            Err(error) => {
                let retry_at = now + self.backoff(n.attempts);
                let deadline = n.created + to_chrono(self.config.retry_deadline);
                let retry = matches!(error, SendError::Retryable { .. }) && retry_at <= deadline;
                let status = if retry {
                    AttemptStatus::Retried
                } else {
                    AttemptStatus::Failed
                };
                let mut f = finished(n, now, status);
                f.code = Some(error.code().to_owned());
                f.message = Some(if matches!(error, SendError::Retryable { .. }) && !retry {
                    format!("gave up after {} attempts: {}", n.attempts, error.message())
                } else {
                    error.message().to_owned()
                });
                f.next_us = retry.then(|| retry_at.timestamp_micros());
                f
            }
        }
    }

    /// Exponential backoff with ±25 % jitter: `retry_initial × 2^(attempts-1)`, capped at
    /// `retry_max`.
    fn backoff(&self, attempts: i64) -> chrono::Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        let base = self
            .config
            .retry_initial
            .saturating_mul(2u32.saturating_pow(exponent));
        let jitter = rand::random_range(0.75..1.25);
        to_chrono(base.mul_f64(jitter).min(self.config.retry_max))
    }

    /// `notify send`: one text to one recipient through the same limits and audit, now.
    /// Returns the ticket and the outcome.
    pub async fn send_now(
        &self,
        channel: &str,
        recipient: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, NotificationState), String> {
        let found = self
            .channels
            .get(channel)
            .ok_or_else(|| format!("no channel `{channel}` in the configuration"))?;
        found.accepts(recipient)?;
        let format = found.default_format();
        let subject = crate::sanitize::header(text.lines().next().unwrap_or_default(), 200);
        let notification = NewNotification {
            group_key: "manual".into(),
            channel: channel.into(),
            recipient: recipient.into(),
            template: "manual".into(),
            format: format.into(),
            content_hash: content_hash(&subject, text, ""),
            subject,
            body: text.into(),
            html: None,
            csv: None,
            event_ids: Vec::new(),
            directive_ids: Vec::new(),
            status: NewStatus::Ready,
            error: None,
        };
        let store_error = |e: StoreError| e.to_string();
        let ticket = self
            .store
            .create_notification(&notification, now)
            .await
            .map_err(store_error)?;
        self.deliver(now, Some(&ticket), &mut Pass::default())
            .await
            .map_err(store_error)?;
        let state = self
            .store
            .notification_state(&ticket)
            .await
            .map_err(store_error)?
            .ok_or_else(|| format!("notification {ticket} vanished"))?;
        Ok((ticket, state))
    }
}

/// Compiles the rules and loads the templates, checking that every template a rule names
/// exists (`config check` and every dispatcher start).
pub fn check_config(config: &Config) -> Result<(Vec<Rule>, Templates), String> {
    let rules = compile_all(&config.rules, &config.channels).map_err(|e| e.to_string())?;
    let templates = Templates::load(
        config.notify.templates_dir.as_deref(),
        config.notify.max_value_length,
    )?;
    for rule in &rules {
        for name in rule.templates() {
            if !templates.has(name) {
                return Err(format!(
                    "{}: template `{name}` not found (neither {name}.txt in notify.templates_dir nor a built-in)",
                    rule.name
                ));
            }
        }
    }
    Ok((rules, templates))
}

/// Runs a store step again when the database gave it up for a concurrent transaction
/// (InnoDB deadlocks, PostgreSQL serialization failures): up to ten times, after a short
/// random pause, so parallel dispatchers fall out of step.
async fn retrying<T>(
    mut step: impl AsyncFnMut() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut attempt = 0;
    loop {
        match step().await {
            Err(e) if e.is_conflict() && attempt < 10 => {
                attempt += 1;
                tracing::debug!("retrying after a conflict ({attempt}): {e}");
                let pause = rand::random_range(5..50u64);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            result => return result,
        }
    }
}

fn count(pass: &mut Pass, status: AttemptStatus) {
    match status {
        AttemptStatus::Sent => pass.sent += 1,
        AttemptStatus::Failed => pass.failed += 1,
        AttemptStatus::Retried => pass.retried += 1,
        AttemptStatus::Duplicate => pass.duplicates += 1,
        AttemptStatus::RateLimited | AttemptStatus::Cooldown => pass.held += 1,
        AttemptStatus::Unknown => pass.unknown += 1,
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// The hash that limits and repeats compare: the text without its ticket number.
pub fn content_hash(subject: &str, body: &str, ticket: &str) -> String {
    let mut hash = Sha256::new();
    let strip = |s: &str| {
        if ticket.is_empty() {
            s.to_owned()
        } else {
            s.replace(ticket, "")
        }
    };
    hash.update(strip(subject).as_bytes());
    hash.update([0]);
    hash.update(strip(body).as_bytes());
    hex(&hash.finalize())
}

fn outgoing_of(n: &ClaimedNotification) -> Outgoing {
    Outgoing {
        ticket: n.ticket.clone(),
        recipient: n.recipient.clone(),
        subject: n.subject.clone(),
        body: n.body.clone(),
        html: n.html.clone(),
        csv: n.csv.clone(),
        format: n.format.clone(),
        created: n.created,
        recovering: n.recovering,
    }
}

fn finished(n: &ClaimedNotification, now: DateTime<Utc>, status: AttemptStatus) -> FinishedAttempt {
    FinishedAttempt {
        id: n.id,
        ticket: n.ticket.clone(),
        group_key: n.group_key.clone(),
        channel: n.channel.clone(),
        recipient: n.recipient.clone(),
        template: n.template.clone(),
        event_ids: n.event_ids.clone(),
        attempts: n.attempts,
        time: now,
        status,
        next_us: None,
        code: None,
        message: None,
        provider_id: None,
        parts: None,
        price: None,
    }
}
