//! `/api/v1/messages` and `/api/v1/quarantine`.

use crate::WebError;
use crate::auth::ApiCaller;
use crate::auth::token::Scope;
use crate::ops::{self, MessageParams, ReleaseScope};
use crate::state::WebState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// Query parameters, refusing unknown ones and naming what is wrong.
pub(crate) fn params<T: serde::de::DeserializeOwned>(uri: &Uri) -> Result<T, WebError> {
    axum::extract::Query::<T>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| WebError::bad_request(format!("query string: {}", e.body_text())))
}

pub async fn messages(
    State(state): State<WebState>,
    ApiCaller(caller): ApiCaller,
    uri: Uri,
) -> Result<Response, WebError> {
    caller.require(Scope::Read)?;
    let p: MessageParams = params(&uri)?;
    let q = p.query(caller.visibility())?;
    Ok(listing(ops::search_messages(&state, &q).await?))
}

/// A listing: the items as a JSON array; where more follow, `X-Next-Cursor` holds the
/// `cursor` for the next page.
fn listing<T: serde::Serialize>(page: ops::Page<T>) -> Response {
    let mut response = Json(page.items).into_response();
    if let Some(cursor) = page.next_cursor
        && let Ok(value) = cursor.parse()
    {
        response.headers_mut().insert("x-next-cursor", value);
    }
    response
}

pub async fn message(
    State(state): State<WebState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    caller.require(Scope::Read)?;
    Ok(Json(json!(
        ops::visible_message(&state, &id, &caller.visibility()).await?
    )))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuarantineParams {
    cursor: Option<String>,
    limit: Option<u32>,
    /// Include entries already released.
    released: Option<bool>,
}

pub async fn quarantine(
    State(state): State<WebState>,
    ApiCaller(caller): ApiCaller,
    uri: Uri,
) -> Result<Response, WebError> {
    caller.require(Scope::Read)?;
    let p: QuarantineParams = params(&uri)?;
    let q = ops::quarantine_query(
        caller.visibility(),
        p.cursor.as_deref(),
        p.limit,
        p.released.unwrap_or(false),
    )?;
    Ok(listing(ops::list_quarantine(&state, &q).await?))
}

pub async fn quarantine_entry(
    State(state): State<WebState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    caller.require(Scope::Read)?;
    let visibility = caller.visibility();
    let entry = ops::visible_entry(&state, &id, &visibility).await?;
    let raw = state.quarantine.read(&entry.digest).ok();
    let preview = raw.as_deref().map(ops::preview);
    let mut value = json!(ops::entry_view(entry, &visibility));
    value["preview"] = json!(preview);
    Ok(Json(value))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    #[serde(default)]
    to: ReleaseScope,
    #[serde(default)]
    allow_sender: bool,
}

pub async fn quarantine_release(
    State(state): State<WebState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, WebError> {
    caller.require(Scope::Quarantine)?;
    // The body is optional: none means "release to every recipient I cover".
    let body: ReleaseBody = if body.iter().all(u8::is_ascii_whitespace) {
        ReleaseBody::default()
    } else {
        super::parse_json(&body)?
    };
    let released = ops::release_entry(&state, &caller, &id, body.to, body.allow_sender).await?;
    Ok(Json(json!({ "released": true, "entry": released })))
}

pub async fn quarantine_delete(
    State(state): State<WebState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, WebError> {
    caller.require(Scope::Quarantine)?;
    ops::delete_entry(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
