//! A test double of ClickSend's SMS REST API (v3).
//!
//! ClickSend is a SaaS that cannot run here, so integration tests point postwarden's
//! `api_base` at this local HTTP server instead. It follows ClickSend's published REST v3
//! API (developers.clicksend.com) for the three endpoints postwarden uses:
//!
//! - `POST /v3/sms/send`: HTTP Basic auth (API username : API key), JSON body
//!   `{"messages":[{"source","from","body","to","custom_string","schedule"?}, …]}` with up
//!   to 1,000 messages. Answers HTTP 200 with `response_code` `SUCCESS` and one entry per
//!   message; a refused message keeps the HTTP 200 but carries its own `status` (e.g.
//!   `INVALID_RECIPIENT`, `EMPTY_MESSAGE`) while the others are still `SUCCESS`.
//! - `GET /v3/account`: the account ("Here's your account."), with a balance that goes
//!   down as messages are accepted.
//! - `GET /v3/sms/history?date_from=&date_to=&page=&limit=`: the paged list of accepted
//!   messages (`total`, `per_page`, `current_page`, `last_page`, `data`), which postwarden
//!   reads after a crash to learn whether a `custom_string` was already accepted.
//!
//! Every answer uses ClickSend's envelope `{"http_code","response_code","response_msg",
//! "data"}`; wrong credentials give 401 `UNAUTHORIZED`, an empty or malformed body gives
//! 400 `BAD_REQUEST` (both with `"data": null`). Message parts are real SMS segments
//! (GSM-7: 160 / 153 per part, extension characters count twice; anything else UCS-2:
//! 70 / 67 per part) and each part costs [`PRICE_PER_PART`].
//!
//! Tests can inject faults ([`ClickSend::fail_next`], [`ClickSend::reject_recipient`],
//! [`ClickSend::set_delay`]) and inspect what was accepted ([`ClickSend::accepted`]).
//! Messages are recorded as accepted *before* any delay, as the real provider has
//! accepted a message even when the caller dies waiting for the answer.
//!
//! The server runs on its own thread and Tokio runtime, so it works both from
//! `#[tokio::test]` ([`ClickSend::start`]) and from plain `#[test]`
//! ([`ClickSend::start_in_background`]); dropping the [`ClickSend`] stops it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::server::Server;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::watch;

/// Price of one SMS part (one segment), in the account currency (USD).
pub const PRICE_PER_PART: &str = "0.0771";
/// [`PRICE_PER_PART`] in units of 1/10,000 of the currency.
const PRICE_PER_PART_UNITS: u64 = 771;
/// Opening account balance (100.00), in units of 1/10,000.
const OPENING_BALANCE_UNITS: u64 = 1_000_000;
/// Most messages ClickSend takes in one `/v3/sms/send` request.
pub const MAX_MESSAGES_PER_REQUEST: usize = 1000;
const DEFAULT_HISTORY_LIMIT: usize = 15;
const MAX_HISTORY_LIMIT: usize = 100;
const BODY_LIMIT: usize = 16 * 1024 * 1024;
const USER_ID: u64 = 116;
const SUBACCOUNT_ID: u64 = 126;

/// GSM 03.38 basic character set: one septet each.
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM 03.38 extension table: escape + character, two septets each.
const GSM_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// One message the double accepted (per-message status `SUCCESS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    pub to: String,
    /// Sender ID as sent (`""` when the request had none).
    pub from: String,
    pub body: String,
    /// The `source` field as sent (`""` when absent).
    pub source: String,
    /// The caller's reference as sent (`""` when absent).
    pub custom_string: String,
    /// ClickSend-style upper-case UUID, e.g. `BF7AD270-0DE2-418B-B606-71D527D9C1AE`.
    pub message_id: String,
    /// Number of SMS segments the body takes.
    pub message_parts: u32,
    /// `message_parts` × [`PRICE_PER_PART`], four decimals, e.g. `"0.1542"`.
    pub message_price: String,
}

/// A running ClickSend REST v3 double on `127.0.0.1`; dropping it stops the server.
pub struct ClickSend {
    base_url: String,
    shared: Arc<Shared>,
    _server: Server,
}

impl ClickSend {
    /// Starts on 127.0.0.1 on a free port, accepting exactly this username and api key.
    ///
    /// The server has its own thread and runtime, so a test's blocking client cannot
    /// starve it.
    pub async fn start(username: &str, api_key: &str) -> ClickSend {
        Self::start_in_background(username, api_key)
    }

    /// Like [`ClickSend::start`], for plain (non-async) tests.
    pub fn start_in_background(username: &str, api_key: &str) -> ClickSend {
        let mut shared = None;
        let server = Server::start("clicksend-double", |base_url, port| {
            let state = Arc::new(Shared::new(username, api_key, base_url, port));
            shared = Some(Arc::clone(&state));
            router(state)
        });
        ClickSend {
            base_url: server.base_url.clone(),
            shared: shared.expect("the router was built"),
            _server: server,
        }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash, no `/v3`): postwarden's `api_base`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Every message accepted (status `SUCCESS`), in arrival order.
    pub fn accepted(&self) -> Vec<Sms> {
        let inner = self.shared.lock();
        inner.accepted.iter().map(|r| r.sms.clone()).collect()
    }

    /// Number of HTTP requests to `/v3/sms/send` received so far (including refused ones).
    pub fn send_requests(&self) -> usize {
        self.shared.lock().send_requests
    }

    /// The next `n` requests to `/v3/sms/send` answer HTTP `status` (e.g. 429
    /// `TOO_MANY_REQUESTS` without `Retry-After`, 500 `INTERNAL_SERVER_ERROR`, 503) in
    /// ClickSend's envelope instead of being processed. Calls add up.
    pub fn fail_next(&self, n: usize, status: u16) {
        let status = StatusCode::from_u16(status)
            .unwrap_or_else(|_| panic!("fail_next: {status} is not an HTTP status"));
        let mut inner = self.shared.lock();
        inner.forced_failures.extend(std::iter::repeat_n(status, n));
    }

    /// `GET /v3/sms/history` answers 403 `FORBIDDEN`, as for a subaccount without the
    /// history permission.
    pub fn refuse_history(&self) {
        self.shared.lock().history_refused = true;
    }

    /// Messages to `to` get this per-message status (e.g. `"INVALID_RECIPIENT"`,
    /// `"COUNTRY_NOT_ENABLED"`, `"INSUFFICIENT_CREDIT"`) and are not accepted.
    pub fn reject_recipient(&self, to: &str, status: &str) {
        let mut inner = self.shared.lock();
        inner
            .rejected_recipients
            .insert(to.to_owned(), status.to_owned());
    }

    /// Each `/v3/sms/send` request waits this long before answering; its messages are
    /// recorded as accepted before the wait.
    pub fn set_delay(&self, delay: Duration) {
        self.shared.lock().delay = delay;
    }

    /// Resolves once at least `n` messages have been accepted, or errs after `timeout`.
    pub async fn wait_accepted(&self, n: usize, timeout: Duration) -> Result<(), String> {
        let mut count = self.shared.accepted_count.subscribe();
        let reached = tokio::time::timeout(timeout, count.wait_for(|&c| c >= n)).await;
        match reached {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err("ClickSend double stopped".to_owned()),
            Err(_) => Err(self.timeout_message(n, timeout)),
        }
    }

    /// Blocking form of [`ClickSend::wait_accepted`] for plain `#[test]`s.
    pub fn wait_accepted_blocking(&self, n: usize, timeout: Duration) -> Result<(), String> {
        let inner = self.shared.lock();
        let (inner, _) = self
            .shared
            .accepted_changed
            .wait_timeout_while(inner, timeout, |i| i.accepted.len() < n)
            .unwrap_or_else(PoisonError::into_inner);
        if inner.accepted.len() >= n {
            Ok(())
        } else {
            Err(format!(
                "{} of {n} messages accepted after {timeout:?}",
                inner.accepted.len()
            ))
        }
    }

    fn timeout_message(&self, n: usize, timeout: Duration) -> String {
        let have = self.shared.lock().accepted.len();
        format!("{have} of {n} messages accepted after {timeout:?}")
    }
}

// ---------------------------------------------------------------------------------------
// Shared state
// ---------------------------------------------------------------------------------------

struct Shared {
    username: String,
    api_key: String,
    base_url: String,
    id_seed: u64,
    inner: Mutex<Inner>,
    accepted_changed: Condvar,
    accepted_count: watch::Sender<usize>,
}

#[derive(Default)]
struct Inner {
    accepted: Vec<Record>,
    send_requests: usize,
    forced_failures: VecDeque<StatusCode>,
    rejected_recipients: HashMap<String, String>,
    delay: Duration,
    next_id: u64,
    history_refused: bool,
}

/// A message as the double saw it: accepted ones are kept for `accepted()` and history.
#[derive(Clone)]
struct Record {
    sms: Sms,
    status: String,
    date: u64,
    schedule: Value,
    price_units: u64,
}

impl Shared {
    fn new(username: &str, api_key: &str, base_url: &str, port: u16) -> Shared {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let id_seed = nanos ^ (u64::from(port) << 48) ^ u64::from(std::process::id());
        Shared {
            username: username.to_owned(),
            api_key: api_key.to_owned(),
            base_url: base_url.to_owned(),
            id_seed,
            inner: Mutex::new(Inner::default()),
            accepted_changed: Condvar::new(),
            accepted_count: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a `/v3/sms/send` request; returns the forced failure it must answer, if any.
    fn begin_send_request(&self) -> Option<StatusCode> {
        let mut inner = self.lock();
        inner.send_requests += 1;
        inner.forced_failures.pop_front()
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        basic_credentials(headers)
            .is_some_and(|(user, key)| user == self.username && key == self.api_key)
    }

    /// Decides every message, records the accepted ones (waking waiters) and returns the
    /// records for the answer plus the delay to apply before answering.
    fn process(&self, messages: Vec<IncomingMessage>) -> (Vec<Record>, Duration) {
        let mut inner = self.lock();
        let now = unix_now();
        let mut records = Vec::with_capacity(messages.len());
        for message in messages {
            inner.next_id += 1;
            let id = message_id(self.id_seed, inner.next_id);
            let status = message_status(&message, &inner.rejected_recipients);
            let record = make_record(message, status, id, now);
            if record.status == "SUCCESS" {
                inner.accepted.push(record.clone());
            }
            records.push(record);
        }
        let (accepted, delay) = (inner.accepted.len(), inner.delay);
        drop(inner);
        self.accepted_changed.notify_all();
        self.accepted_count.send_replace(accepted);
        (records, delay)
    }

    fn balance_units(&self) -> u64 {
        let spent: u64 = self.lock().accepted.iter().map(|r| r.price_units).sum();
        OPENING_BALANCE_UNITS.saturating_sub(spent)
    }

    fn history_page(&self, params: &HistoryParams) -> Value {
        let inner = self.lock();
        let matching: Vec<&Record> = inner
            .accepted
            .iter()
            .filter(|r| params.date_from.is_none_or(|from| r.date >= from))
            .filter(|r| params.date_to.is_none_or(|to| r.date <= to))
            .collect();
        let total = matching.len();
        let last_page = total.div_ceil(params.limit).max(1);
        let skip = (params.page - 1).saturating_mul(params.limit);
        let items: Vec<Value> = matching
            .iter()
            .skip(skip)
            .take(params.limit)
            .map(|r| history_json(r, &self.username))
            .collect();
        let first = (!items.is_empty()).then_some(skip + 1);
        let last = first.map(|f| f + items.len() - 1);
        json!({
            "total": total,
            "per_page": params.limit,
            "current_page": params.page,
            "last_page": last_page,
            "next_page_url": self.page_url(params, params.page + 1, last_page),
            "prev_page_url": self.page_url(params, params.page.wrapping_sub(1), last_page),
            "from": first,
            "to": last,
            "data": items,
        })
    }

    fn page_url(&self, params: &HistoryParams, page: usize, last_page: usize) -> Value {
        if page == 0 || page > last_page {
            return Value::Null;
        }
        let mut url = format!(
            "{}/v3/sms/history?page={page}&limit={}",
            self.base_url, params.limit
        );
        if let Some(from) = params.date_from {
            url.push_str(&format!("&date_from={from}"));
        }
        if let Some(to) = params.date_to {
            url.push_str(&format!("&date_to={to}"));
        }
        Value::String(url)
    }
}

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v3/sms/send", post(send_sms))
        .route("/v3/account", get(account))
        .route("/v3/sms/history", get(sms_history))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

async fn send_sms(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(status) = shared.begin_send_request() {
        return error_response(status, None);
    }
    if !shared.authorized(&headers) {
        return error_response(StatusCode::UNAUTHORIZED, None);
    }
    let messages = match parse_send_body(&body) {
        Ok(messages) => messages,
        Err(why) => return error_response(StatusCode::BAD_REQUEST, Some(&why)),
    };
    let (records, delay) = shared.process(messages);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    envelope(
        StatusCode::OK,
        "SUCCESS",
        "Messages queued for delivery.",
        send_data(&records),
    )
}

async fn account(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !shared.authorized(&headers) {
        return error_response(StatusCode::UNAUTHORIZED, None);
    }
    let data = account_json(&shared.username, shared.balance_units());
    envelope(StatusCode::OK, "SUCCESS", "Here's your account.", data)
}

async fn sms_history(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    if !shared.authorized(&headers) {
        return error_response(StatusCode::UNAUTHORIZED, None);
    }
    if shared.lock().history_refused {
        return error_response(StatusCode::FORBIDDEN, None);
    }
    let params = query
        .map_err(|e| e.body_text())
        .and_then(|Query(q)| HistoryParams::parse(&q));
    match params {
        Ok(params) => envelope(
            StatusCode::OK,
            "SUCCESS",
            "Here is your history.",
            shared.history_page(&params),
        ),
        Err(why) => error_response(StatusCode::BAD_REQUEST, Some(&why)),
    }
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, None)
}

async fn method_not_allowed() -> Response {
    error_response(StatusCode::METHOD_NOT_ALLOWED, None)
}

/// ClickSend's envelope: `{"http_code","response_code","response_msg","data"}`.
fn envelope(status: StatusCode, code: &str, msg: &str, data: Value) -> Response {
    let body = json!({
        "http_code": status.as_u16(),
        "response_code": code,
        "response_msg": msg,
        "data": data,
    });
    (status, [(header::CACHE_CONTROL, "no-cache")], Json(body)).into_response()
}

/// An error in ClickSend's envelope with `"data": null` (never a `Retry-After` header).
fn error_response(status: StatusCode, msg: Option<&str>) -> Response {
    let (code, default_msg) = error_code(status);
    envelope(status, &code, msg.unwrap_or(&default_msg), Value::Null)
}

/// ClickSend's `response_code` and a message for an HTTP error status.
fn error_code(status: StatusCode) -> (String, String) {
    let (code, msg) = match status.as_u16() {
        400 => (
            "BAD_REQUEST",
            "The request was invalid or cannot be otherwise served.",
        ),
        401 => (
            "UNAUTHORIZED",
            "Authentication credentials were missing or incorrect.",
        ),
        403 => (
            "FORBIDDEN",
            "The request is understood, but it has been refused.",
        ),
        404 => (
            "NOT_FOUND",
            "The URI requested is invalid or the resource does not exist.",
        ),
        405 => (
            "METHOD_NOT_FOUND",
            "The method is not allowed for this resource.",
        ),
        429 => ("TOO_MANY_REQUESTS", "Too many requests: slow down."),
        500 => ("INTERNAL_SERVER_ERROR", "Something is broken."),
        503 => (
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable.",
        ),
        _ => {
            let reason = status.canonical_reason().unwrap_or("Error");
            return (
                reason.to_uppercase().replace([' ', '-'], "_"),
                reason.to_owned(),
            );
        }
    };
    (code.to_owned(), msg.to_owned())
}

/// `Authorization: Basic base64(user:key)` → `(user, key)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(BASE64.decode(encoded.trim()).ok()?).ok()?;
    let (user, key) = decoded.split_once(':')?;
    Some((user.to_owned(), key.to_owned()))
}

// ---------------------------------------------------------------------------------------
// /v3/sms/send
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct SendRequest {
    messages: Vec<IncomingMessage>,
}

#[derive(Deserialize)]
struct IncomingMessage {
    to: Option<String>,
    from: Option<String>,
    body: Option<String>,
    source: Option<String>,
    custom_string: Option<String>,
    schedule: Option<Value>,
}

fn parse_send_body(body: &[u8]) -> Result<Vec<IncomingMessage>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("The request body is empty.".to_owned());
    }
    let request: SendRequest =
        serde_json::from_slice(body).map_err(|e| format!("Invalid request body: {e}."))?;
    match request.messages.len() {
        0 => Err("The messages field is required.".to_owned()),
        n if n > MAX_MESSAGES_PER_REQUEST => Err(format!(
            "Too many messages: {n} (at most {MAX_MESSAGES_PER_REQUEST} per request)."
        )),
        _ => Ok(request.messages),
    }
}

/// The per-message status ClickSend would give this message.
fn message_status(message: &IncomingMessage, rejected: &HashMap<String, String>) -> String {
    let to = message.to.as_deref().unwrap_or_default();
    if !is_e164(to) {
        return "INVALID_RECIPIENT".to_owned();
    }
    if message
        .body
        .as_deref()
        .unwrap_or_default()
        .trim()
        .is_empty()
    {
        return "EMPTY_MESSAGE".to_owned();
    }
    rejected
        .get(to)
        .cloned()
        .unwrap_or_else(|| "SUCCESS".to_owned())
}

fn make_record(message: IncomingMessage, status: String, message_id: String, date: u64) -> Record {
    let body = message.body.unwrap_or_default();
    let parts = message_parts(&body);
    let price_units = if status == "SUCCESS" {
        u64::from(parts) * PRICE_PER_PART_UNITS
    } else {
        0
    };
    let sms = Sms {
        to: message.to.unwrap_or_default(),
        from: message.from.unwrap_or_default(),
        body,
        source: message.source.unwrap_or_default(),
        custom_string: message.custom_string.unwrap_or_default(),
        message_id,
        message_parts: parts,
        message_price: money(price_units, 4),
    };
    let schedule = match message.schedule {
        None | Some(Value::Null) => Value::String(String::new()),
        Some(given) => given,
    };
    Record {
        sms,
        status,
        date,
        schedule,
        price_units,
    }
}

fn send_data(records: &[Record]) -> Value {
    let accepted = records.iter().filter(|r| r.status == "SUCCESS");
    let total_units: u64 = accepted.clone().map(|r| r.price_units).sum();
    json!({
        "total_price": total_units as f64 / 10_000.0,
        "total_count": records.len(),
        "queued_count": accepted.count(),
        "messages": records.iter().map(sent_message_json).collect::<Vec<_>>(),
        "_currency": currency_json(),
    })
}

fn sent_message_json(record: &Record) -> Value {
    let sms = &record.sms;
    let (country, carrier) = country_and_carrier(&sms.to);
    json!({
        "direction": "out",
        "date": record.date,
        "to": sms.to,
        "body": sms.body,
        "from": sms.from,
        "schedule": record.schedule,
        "message_id": sms.message_id,
        "message_parts": sms.message_parts,
        "message_price": sms.message_price,
        "custom_string": sms.custom_string,
        "user_id": USER_ID,
        "subaccount_id": SUBACCOUNT_ID,
        "country": country,
        "carrier": carrier,
        "status": record.status,
    })
}

// ---------------------------------------------------------------------------------------
// /v3/sms/history and /v3/account
// ---------------------------------------------------------------------------------------

struct HistoryParams {
    date_from: Option<u64>,
    date_to: Option<u64>,
    page: usize,
    limit: usize,
}

impl HistoryParams {
    fn parse(query: &HashMap<String, String>) -> Result<HistoryParams, String> {
        let number = |key: &str| -> Result<Option<u64>, String> {
            query
                .get(key)
                .filter(|v| !v.is_empty())
                .map(|v| {
                    v.parse::<u64>()
                        .map_err(|_| format!("{key} must be a number."))
                })
                .transpose()
        };
        let page = number("page")?.unwrap_or(1).max(1);
        let limit = number("limit")?.map_or(DEFAULT_HISTORY_LIMIT as u64, |l| l.max(1));
        Ok(HistoryParams {
            date_from: number("date_from")?,
            date_to: number("date_to")?,
            page: usize::try_from(page).unwrap_or(usize::MAX),
            limit: usize::try_from(limit).map_or(MAX_HISTORY_LIMIT, |l| l.min(MAX_HISTORY_LIMIT)),
        })
    }
}

/// One history entry, formatted as ClickSend's history sample does (strings for `date`,
/// `message_parts` `"1.00"`, `message_price` with six decimals).
fn history_json(record: &Record, username: &str) -> Value {
    let sms = &record.sms;
    let (country, carrier) = country_and_carrier(&sms.to);
    let schedule = match &record.schedule {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let scheduled = schedule.parse::<u64>().is_ok_and(|at| at > unix_now());
    let status = if scheduled { "Scheduled" } else { "Completed" };
    json!({
        "direction": "out",
        "date": record.date.to_string(),
        "to": sms.to,
        "body": sms.body,
        "from": sms.from,
        "schedule": schedule,
        "message_id": sms.message_id,
        "message_parts": format!("{}.00", sms.message_parts),
        "message_price": money(record.price_units, 6),
        "custom_string": sms.custom_string,
        "user_id": USER_ID,
        "subaccount_id": SUBACCOUNT_ID,
        "_api_username": username,
        "list_id": null,
        "contact_id": 0,
        "country": country,
        "carrier": carrier,
        "status": status,
        "status_code": null,
        "status_text": null,
        "error_code": null,
        "error_text": null,
    })
}

fn account_json(username: &str, balance_units: u64) -> Value {
    let email = if username.contains('@') {
        username.to_owned()
    } else {
        format!("{username}@example.com")
    };
    json!({
        "user_id": USER_ID,
        "username": username,
        "user_email": email,
        "active": 1,
        "banned": 0,
        "balance": money(balance_units, 6),
        "user_phone": "+61411111111",
        "reply_to": "originalemail",
        "delivery_to": null,
        "user_first_name": "Test",
        "user_last_name": "Double",
        "account": 0,
        "account_name": "postwarden tests",
        "account_billing_email": email,
        "account_billing_mobile": "+61411111111",
        "country": "AU",
        "default_country_sms": "AU",
        "auto_recharge": 0,
        "auto_recharge_amount": "20.00",
        "low_credit_amount": "0.00",
        "setting_unicode_sms": 0,
        "setting_sms_message_char_limit": 6,
        "timezone": "Australia/Melbourne",
        "_currency": currency_json(),
        "_subaccount": {
            "subaccount_id": SUBACCOUNT_ID,
            "api_username": username,
            "email": email,
            "access_users": 1,
            "access_billing": 1,
        },
    })
}

fn currency_json() -> Value {
    json!({
        "currency_name_short": "USD",
        "currency_prefix_d": "$",
        "currency_prefix_c": "¢",
        "currency_name_long": "US Dollars",
    })
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Number of SMS segments `body` takes: GSM-7 when every character is in the GSM 03.38
/// tables (160 septets in one part, else 153 per part, extension characters take two
/// septets and are never split), otherwise UCS-2 (70 code units, else 67 per part).
pub fn message_parts(body: &str) -> u32 {
    let gsm: Option<Vec<usize>> = body.chars().map(gsm_septets).collect();
    match gsm {
        Some(widths) => pack_segments(&widths, 160, 153),
        None => {
            let widths: Vec<usize> = body.chars().map(char::len_utf16).collect();
            pack_segments(&widths, 70, 67)
        }
    }
}

fn gsm_septets(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Fills segments greedily without splitting a character across two of them.
fn pack_segments(widths: &[usize], single: usize, per_part: usize) -> u32 {
    if widths.iter().sum::<usize>() <= single {
        return 1;
    }
    let (mut parts, mut used) = (1, 0);
    for &width in widths {
        if used + width > per_part {
            parts += 1;
            used = 0;
        }
        used += width;
    }
    parts
}

/// `+` then 8–15 digits, not starting with 0.
fn is_e164(to: &str) -> bool {
    to.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

fn country_and_carrier(to: &str) -> (&'static str, &'static str) {
    const PREFIXES: &[(&str, &str, &str)] = &[
        ("+61", "AU", "Telstra"),
        ("+64", "NZ", ""),
        ("+44", "GB", ""),
        ("+49", "DE", ""),
        ("+33", "FR", ""),
        ("+1", "US", ""),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _, _)| to.starts_with(prefix))
        .map_or(("", ""), |&(_, country, carrier)| (country, carrier))
}

/// Money in units of 1/10,000, with `decimals` (≥ 4) decimals: `money(1542, 4)` = `"0.1542"`.
fn money(units: u64, decimals: usize) -> String {
    let padding = "0".repeat(decimals.saturating_sub(4));
    format!("{}.{:04}{padding}", units / 10_000, units % 10_000)
}

/// A unique upper-case UUID-shaped id (`8-4-4-4-12` hex digits) for message `n`.
fn message_id(seed: u64, n: u64) -> String {
    let high = mix(seed ^ n);
    let low = mix(high);
    let hex = format!("{high:016X}{low:016X}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// SplitMix64's finaliser: a bijection, so distinct inputs give distinct ids.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_segments() {
        assert_eq!(message_parts("hello"), 1);
        assert_eq!(message_parts(&"a".repeat(160)), 1);
        assert_eq!(message_parts(&"a".repeat(161)), 2);
        assert_eq!(message_parts(&"a".repeat(306)), 2);
        assert_eq!(message_parts(&"a".repeat(307)), 3);
    }

    #[test]
    fn gsm_extension_characters_count_twice() {
        assert_eq!(message_parts(&"€".repeat(80)), 1);
        assert_eq!(message_parts(&"€".repeat(81)), 2);
        // 152 septets then a two-septet character: it moves whole to the next part.
        let body = format!("{}{}", "a".repeat(152), "^".repeat(5));
        assert_eq!(message_parts(&body), 2);
    }

    #[test]
    fn ucs2_segments() {
        assert_eq!(message_parts(&"é".repeat(160)), 1, "é is GSM-7");
        assert_eq!(message_parts(&"ж".repeat(70)), 1);
        assert_eq!(message_parts(&"ж".repeat(71)), 2);
        assert_eq!(message_parts(&format!("{}✓", "a".repeat(133))), 2);
        assert_eq!(message_parts(&"ж".repeat(134)), 2);
        assert_eq!(message_parts(&"ж".repeat(135)), 3);
        // A surrogate pair (two UTF-16 units) is never split: 134 units, yet 3 parts.
        let body = format!("{}😀{}", "ж".repeat(66), "ж".repeat(66));
        assert_eq!(message_parts(&body), 3);
    }

    #[test]
    fn recipients() {
        assert!(is_e164("+61411111111"));
        assert!(is_e164("+12025550123"));
        assert!(!is_e164("0411111111"));
        assert!(!is_e164("+6141111"));
        assert!(!is_e164("+6141111111111111"));
        assert!(!is_e164("+61 411 111 111"));
        assert!(!is_e164("+0411111111"));
    }

    #[test]
    fn ids_are_uuid_shaped_and_distinct() {
        let a = message_id(42, 1);
        let b = message_id(42, 2);
        assert_ne!(a, b);
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert!(
            a.chars()
                .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase())
        );
    }

    #[test]
    fn shareable_across_tasks() {
        fn assert_send_sync<T: Send + Sync>(_: &T) {}
        fn assert_send<T: Send>(_: T) {}
        let double = ClickSend::start_in_background("u", "k");
        assert_send_sync(&double);
        assert_send(double.wait_accepted(0, Duration::ZERO));
    }

    #[test]
    fn money_formatting() {
        assert_eq!(money(771, 4), "0.0771");
        assert_eq!(money(1542, 6), "0.154200");
        assert_eq!(money(1_000_000, 6), "100.000000");
    }
}
