//! `/api/v1/lists`: allow and block entries. A user edits their own, a domain admin their
//! domains' (`@domain`) and their own, an admin every one (global: no owner).

use super::ApiJson;
use crate::WebError;
use crate::auth::token::Scope;
use crate::auth::{ApiCaller, Caller};
use crate::state::WebState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use postwarden_core::Role;
use postwarden_store::{ListEntry, OwnedListEntry};
use serde::Deserialize;
use serde_json::{Value, json};

/// The owners whose entries `caller` may see and edit (`None`: global).
pub(crate) fn owners_of(caller: &Caller) -> Vec<Option<String>> {
    let user = &caller.user;
    let mut owners = vec![Some(user.address.clone())];
    match user.role {
        Role::Admin => owners.push(None),
        Role::DomainAdmin => owners.extend(user.domains.iter().map(|d| Some(format!("@{d}")))),
        Role::User => {}
    }
    owners
}

pub async fn list(
    State(state): State<WebState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Value>, WebError> {
    caller.require(Scope::Read)?;
    let entries = state.store.owned_list_entries(&owners_of(&caller)).await?;
    Ok(Json(json!(entries)))
}

/// A new entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// `allow` or `block`.
    pub list: String,
    /// `sender` (default), `recipient`, `client`.
    #[serde(default = "sender")]
    pub field: String,
    pub value: String,
    /// `global` (admins), `@domain` (its admins), or an address (its user); default: mine.
    pub owner: Option<String>,
    pub comment: Option<String>,
}

fn sender() -> String {
    "sender".into()
}

/// Checks `entry` and where it goes; returns the owner to store.
pub(crate) fn check_entry(caller: &Caller, entry: &NewEntry) -> Result<Option<String>, WebError> {
    if !matches!(entry.list.as_str(), "allow" | "block") {
        return Err(WebError::invalid("list", "`allow` or `block`"));
    }
    if !matches!(entry.field.as_str(), "sender" | "recipient" | "client") {
        return Err(WebError::invalid(
            "field",
            "`sender`, `recipient` or `client`",
        ));
    }
    let value = entry.value.trim();
    let valid = match entry.field.as_str() {
        "client" => {
            value.parse::<std::net::IpAddr>().is_ok() || value.parse::<ipnet_like::Net>().is_ok()
        }
        _ => postwarden_core::users::is_sender_pattern(value),
    };
    if !valid {
        return Err(WebError::invalid(
            "value",
            format!(
                "`{}` is not an address, @domain or IP address",
                value.escape_debug()
            ),
        ));
    }
    if entry
        .comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > 200)
    {
        return Err(WebError::invalid("comment", "at most 200 characters"));
    }
    let owner = match entry.owner.as_deref().map(str::trim) {
        None | Some("") => Some(caller.user.address.clone()),
        Some("global") => None,
        Some(other) => Some(other.to_lowercase()),
    };
    if !owners_of(caller).contains(&owner) {
        return Err(WebError::forbidden(format!(
            "you may not edit the list of `{}`",
            owner.as_deref().unwrap_or("global")
        )));
    }
    Ok(owner)
}

/// Tiny CIDR check (`192.0.2.0/24`, `2001:db8::/32`).
mod ipnet_like {
    pub struct Net;
    impl std::str::FromStr for Net {
        type Err = ();
        fn from_str(s: &str) -> Result<Self, ()> {
            let (ip, len) = s.split_once('/').ok_or(())?;
            let ip: std::net::IpAddr = ip.parse().map_err(|_| ())?;
            let len: u8 = len.parse().map_err(|_| ())?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            if len <= max { Ok(Net) } else { Err(()) }
        }
    }
}

pub async fn add(
    State(state): State<WebState>,
    ApiCaller(caller): ApiCaller,
    ApiJson(entry): ApiJson<NewEntry>,
) -> Result<(StatusCode, Json<OwnedListEntry>), WebError> {
    caller.require(Scope::Lists)?;
    let owner = check_entry(&caller, &entry)?;
    let id = state
        .store
        .add_owned_list_entry(
            &ListEntry {
                list: entry.list.clone(),
                field: entry.field.clone(),
                value: entry.value.trim().to_lowercase(),
            },
            owner.as_deref(),
            entry.comment.as_deref(),
        )
        .await?;
    let stored = state
        .store
        .owned_list_entry(id)
        .await?
        .ok_or_else(WebError::not_found)?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// Removes entry `id` if the caller may edit its owner's list (404 otherwise).
pub(crate) async fn remove_entry(
    state: &WebState,
    caller: &Caller,
    id: i64,
) -> Result<(), WebError> {
    let entry = state
        .store
        .owned_list_entry(id)
        .await?
        .filter(|e| owners_of(caller).contains(&e.owner))
        .ok_or_else(WebError::not_found)?;
    state.store.delete_list_entry(entry.id).await?;
    Ok(())
}

pub async fn remove(
    State(state): State<WebState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, WebError> {
    caller.require(Scope::Lists)?;
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    remove_entry(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
