//! The store's one error type, and the redaction that keeps passwords out of it.
//!
//! Every message says what went wrong and what to do about it. A database URL appears in
//! messages only through [`redact_url`], which replaces the password and drops the query
//! string; driver messages from a failed connection are scrubbed of the password too.

use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL could not be understood.
    #[error(
        "the database URL is not usable: {0}; write it as sqlite://PATH, \
         postgres://USER:PASSWORD@HOST/DB or mysql://USER:PASSWORD@HOST/DB in [database].url"
    )]
    InvalidUrl(String),

    /// The directory for an SQLite file could not be created.
    #[error(
        "cannot create {path}, the directory of the SQLite database: {error}; \
         create it, or point data_dir / [database].url at a writable place"
    )]
    CreateDir {
        path: PathBuf,
        error: std::io::Error,
    },

    /// No connection could be made.
    #[error(
        "cannot connect to the {backend} database {url}: {message}; check that the server \
         is running and reachable and that the host, port, database name, user and password \
         in [database].url are right"
    )]
    Connect {
        backend: &'static str,
        url: String,
        message: String,
    },

    /// The schema could not be brought up to date.
    #[error(
        "updating the {backend} database schema failed: {message}; check that the database \
         user may create tables and indexes, and that the database was not modified by hand"
    )]
    Migrate {
        backend: &'static str,
        message: String,
    },

    /// A query failed.
    #[error(
        "database error while {context}: {error}; if this persists, check the database \
         server's log and that `postwarden` migrations have run"
    )]
    Query {
        context: &'static str,
        error: sqlx::Error,
    },

    /// Something with the same key exists already (`a user \`alice@example.org\``).
    #[error("{0} exists already")]
    Exists(String),

    /// A stored value could not be read back.
    #[error(
        "stored data is not valid ({0}); the database was changed outside postwarden or is damaged"
    )]
    Corrupt(String),
}

impl StoreError {
    /// Whether the database gave up the transaction because of a concurrent one (a deadlock
    /// or serialization failure: SQLSTATE 40001, which MySQL/MariaDB report for a deadlock,
    /// or PostgreSQL's 40P01): running the same transaction again is the cure.
    pub fn is_conflict(&self) -> bool {
        match self {
            StoreError::Query {
                error: sqlx::Error::Database(e),
                ..
            } => matches!(e.code().as_deref(), Some("40001" | "40P01")),
            _ => false,
        }
    }

    /// A closure for `map_err` that wraps a query error with what was being done.
    pub(crate) fn query(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |error| StoreError::Query { context, error }
    }
}

/// The parts of a URL's authority: user-info password span, if any.
fn password_span(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let authority_len = url[start..]
        .find(['/', '?', '#'])
        .unwrap_or(url.len() - start);
    let authority = &url[start..start + authority_len];
    let at = authority.rfind('@')?;
    let colon = authority[..at].find(':')?;
    Some((start + colon + 1, start + at))
}

/// The password of a URL's user-info, if any (as written, possibly percent-encoded).
pub(crate) fn url_password(url: &str) -> Option<&str> {
    password_span(url).map(|(a, b)| &url[a..b])
}

/// `url` safe to print: the password replaced by `***` and the query string removed.
pub fn redact_url(url: &str) -> String {
    let mut out = match password_span(url) {
        Some((a, b)) => format!("{}***{}", &url[..a], &url[b..]),
        None => url.to_owned(),
    };
    if let Some(q) = out.find(['?', '#']) {
        out.truncate(q);
    }
    out
}

/// `message` with every occurrence of the URL's password (raw and percent-decoded) replaced.
pub(crate) fn scrub(message: &str, url: &str) -> String {
    let mut message = message.to_owned();
    if let Some(password) = url_password(url).filter(|p| !p.is_empty()) {
        for form in [password.to_owned(), percent_decode(password)] {
            // Very short passwords would garble the message and cannot be recognised anyway.
            if form.chars().count() >= 4 {
                message = message.replace(&form, "***");
            }
        }
    }
    message
}

/// `%XX` escapes of a URL part decoded (invalid escapes and bytes kept as they are).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_the_password_and_query() {
        assert_eq!(
            redact_url("postgres://pw:s3cr%40t@db.example:5432/mail?sslmode=disable"),
            "postgres://pw:***@db.example:5432/mail"
        );
        assert_eq!(
            redact_url("mysql://root@127.0.0.1/test"),
            "mysql://root@127.0.0.1/test"
        );
        assert_eq!(
            redact_url("sqlite:///var/lib/pw.db?mode=rwc"),
            "sqlite:///var/lib/pw.db"
        );
        assert_eq!(redact_url("mysql://u:p@ss@h/db"), "mysql://u:***@h/db");
    }

    #[test]
    fn scrubs_raw_and_decoded_passwords() {
        let url = "postgres://u:s3cr%40t@h/db";
        assert_eq!(scrub("bad s3cr%40t and s3cr@t", url), "bad *** and ***");
        assert_eq!(scrub("nothing here", "postgres://u@h/db"), "nothing here");
    }
}
