//! Who is asking. Every route takes one of the extractors here, so no handler runs without
//! knowing its caller: [`ApiCaller`] (a bearer token; 401 without one) for `/api/v1`,
//! [`PageCaller`] (a session cookie; a redirect to the sign-in page without one) for the
//! console. What a caller may see follows from [`Caller::visibility`].

pub(crate) mod keys;
pub mod ldap;
pub(crate) mod password;
pub mod session;
pub(crate) mod throttle;
pub(crate) mod token;

use crate::state::WebState;
use crate::{PageError, WebError};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use postwarden_core::{Event, Role, Severity};
use postwarden_store::{NewUser, UserRecord, UserSource, Visibility};
use std::time::Instant;
use token::Scope;

/// A signed-in user and how they proved it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserRecord,
    pub via: Via,
}

#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session; forms must carry its CSRF token.
    Session { csrf: String },
    /// An API token with these scopes.
    Token { scopes: Vec<Scope> },
}

impl Caller {
    /// Whose mail this caller may see.
    pub fn visibility(&self) -> Visibility {
        visibility_of(&self.user)
    }

    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    /// 403 unless a token caller holds `scope` (sessions hold every scope of their role).
    pub fn require(&self, scope: Scope) -> Result<(), WebError> {
        match &self.via {
            Via::Token { scopes } if !scopes.contains(&scope) => Err(WebError::forbidden(format!(
                "the token lacks the `{}` scope",
                scope.as_str()
            ))),
            _ => Ok(()),
        }
    }

    pub fn require_admin(&self) -> Result<(), WebError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(WebError::forbidden("only admins may do this"))
        }
    }

    /// 403 unless `given` is this session's CSRF token.
    pub fn check_csrf(&self, given: &str) -> Result<(), WebError> {
        match &self.via {
            Via::Session { csrf } if session::same_secret(csrf, given) => Ok(()),
            Via::Session { .. } => Err(WebError::forbidden(
                "the form is stale or came from another site; reload the page and try again",
            )),
            Via::Token { .. } => Ok(()),
        }
    }

    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf } => csrf,
            Via::Token { .. } => "",
        }
    }
}

/// A user's visibility: everything, their domains, or their address.
pub fn visibility_of(user: &UserRecord) -> Visibility {
    match user.role {
        Role::Admin => Visibility::All,
        Role::DomainAdmin => Visibility::Domains(user.domains.clone()),
        Role::User => Visibility::Address(user.address.clone()),
    }
}

/// The caller of an API route: `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub struct ApiCaller(pub Caller);

impl FromRequestParts<WebState> for ApiCaller {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, WebError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| WebError::unauthorized("send `Authorization: Bearer <token>`"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| {
                WebError::unauthorized("the Authorization header is not `Bearer <token>`")
            })?;
        let (user, scopes, _jti) =
            token::verify_token(&state.store, &state.keys, &state.tokens, token.trim()).await?;
        Ok(ApiCaller(Caller {
            user,
            via: Via::Token { scopes },
        }))
    }
}

/// The caller of a console page: a live session, or a redirect to `/login`.
#[derive(Debug, Clone)]
pub struct PageCaller(pub Caller);

/// What a page without a session answers.
pub enum NoSession {
    Redirect(String),
    Error(PageError),
}

impl IntoResponse for NoSession {
    fn into_response(self) -> Response {
        match self {
            NoSession::Redirect(to) => Redirect::to(&to).into_response(),
            NoSession::Error(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<WebState> for PageCaller {
    type Rejection = NoSession;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, NoSession> {
        match session::current(state, &parts.headers).await {
            Ok(Some((session, user))) => Ok(PageCaller(Caller {
                user,
                via: Via::Session { csrf: session.csrf },
            })),
            Ok(None) => {
                let back = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .filter(|p| p.starts_with('/') && !p.starts_with("//"))
                    .unwrap_or("/");
                let query = if parts.method == axum::http::Method::GET && back != "/" {
                    format!("?next={}", crate::pages::urlencode(back))
                } else {
                    String::new()
                };
                Err(NoSession::Redirect(format!("/login{query}")))
            }
            Err(e) => Err(NoSession::Error(e.into())),
        }
    }
}

/// Checks an address and password: the local hash, or the directory for users without one
/// (an LDAP user's row is made at their first sign-in). Throttled per address and account;
/// each failure is an `auth.web_failed` event. The error says only "refused".
pub async fn sign_in(
    state: &WebState,
    client_ip: &str,
    address: &str,
    password: &str,
) -> Result<UserRecord, WebError> {
    let address = address.trim().to_lowercase();
    if let Err(wait) = state.throttle.check(client_ip, &address, Instant::now()) {
        return Err(WebError::too_many(
            "too many failed sign-ins; wait before trying again",
            wait.as_secs(),
        ));
    }
    let refused = || WebError::unauthorized("wrong address or password");
    let user = state.store.user_by_address(&address).await?;
    let result = match (&user, &state.config.auth.ldap) {
        _ if password.is_empty() => Err(refused()),
        (Some(user), _) if user.source == UserSource::Local => {
            let ok =
                password::verify_blocking(password.to_string(), user.password_hash.clone()).await;
            if ok && !user.disabled {
                Ok(user.clone())
            } else {
                Err(refused())
            }
        }
        (_, Some(ldap)) => match ldap::authenticate(ldap, &address, password).await {
            Ok(found) => {
                let role = if found.admin { Role::Admin } else { Role::User };
                match user {
                    Some(user) if user.disabled => Err(refused()),
                    Some(user) => {
                        // With `admin_group`, the directory decides admin membership at
                        // every sign-in; without it, roles are set with `users role`.
                        let decides = ldap.admin_group.is_some();
                        if decides && found.admin && user.role != Role::Admin {
                            state.store.set_role(user.id, Role::Admin, &[]).await?;
                        } else if decides && !found.admin && user.role == Role::Admin {
                            state.store.set_role(user.id, Role::User, &[]).await?;
                        }
                        Ok(state.store.user_by_id(user.id).await?.unwrap_or(user))
                    }
                    None => Ok(state
                        .store
                        .create_user(&NewUser {
                            address: &address,
                            display_name: found.display_name.as_deref(),
                            role,
                            domains: &[],
                            password_hash: None,
                            source: UserSource::Ldap,
                        })
                        .await?),
                }
            }
            Err(ldap::LdapError::Refused) => Err(refused()),
            Err(ldap::LdapError::Unavailable(why)) => {
                tracing::error!("web: LDAP sign-in of {address}: {why}");
                Err(WebError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "directory_unavailable",
                    "the directory cannot be reached; try again later",
                ))
            }
        },
        (None, None) => {
            // As slow as a wrong password, so unknown addresses cannot be told apart.
            password::verify_blocking(password.to_string(), None).await;
            Err(refused())
        }
        (Some(_), None) => Err(refused()),
    };
    match &result {
        Ok(user) => state.throttle.succeeded(&user.address),
        Err(e) if e.status == axum::http::StatusCode::UNAUTHORIZED => {
            state.throttle.failed(client_ip, &address, Instant::now());
            let mut event = Event::new(
                Utc::now(),
                "auth.web_failed",
                Severity::Warning,
                "web",
                format!(
                    "failed web sign-in for {} from {client_ip}",
                    address.escape_debug()
                ),
            );
            event.user = Some(address.chars().take(320).collect());
            event.ip = client_ip.parse().ok();
            if let Err(e) = state.store.insert_event(&event).await {
                tracing::warn!("web: storing auth.web_failed: {e}");
            }
        }
        Err(_) => {}
    }
    result
}
