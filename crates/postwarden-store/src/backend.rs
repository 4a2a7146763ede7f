//! Which database a URL names, and the few places where the three SQL dialects differ.
//!
//! All SQL in this crate is written once with `?` placeholders and portable syntax;
//! [`Backend::sql`] rewrites the placeholders to `$1..$n` for PostgreSQL. The other
//! differences (upsert syntax, integer casts, bind limits) are small methods here, so a
//! reader can see every dialect switch in one file.

use std::fmt;

/// The kind of database behind a [`Store`](crate::Store), chosen by the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// `sqlite:` — the embedded default.
    Sqlite,
    /// `postgres:` or `postgresql:`.
    Postgres,
    /// `mysql:` or `mariadb:` (MySQL 8 or MariaDB 10.5 and later).
    MySql,
}

impl Backend {
    /// The backend for a database URL, from its scheme; `None` for an unknown scheme.
    pub fn from_url(url: &str) -> Option<Backend> {
        let scheme = url.split_once(':')?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            "mysql" | "mariadb" => Some(Backend::MySql),
            _ => None,
        }
    }

    /// A short lowercase name: `sqlite`, `postgres` or `mysql`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
        }
    }

    /// The most bind parameters one statement may carry.
    pub(crate) fn max_binds(self) -> usize {
        match self {
            Backend::Sqlite => 32_766,
            Backend::Postgres | Backend::MySql => 65_535,
        }
    }

    /// `sql` with placeholders in this backend's syntax.
    pub(crate) fn sql(self, sql: &str) -> String {
        match self {
            Backend::Postgres => numbered_placeholders(sql),
            Backend::Sqlite | Backend::MySql => sql.to_owned(),
        }
    }

    /// An SQL expression that turns the integer-valued `expr` (e.g. a `SUM`, which is
    /// NUMERIC in PostgreSQL and DECIMAL in MySQL) back into a 64-bit integer.
    pub(crate) fn int64(self, expr: &str) -> String {
        match self {
            Backend::MySql => format!("CAST({expr} AS SIGNED)"),
            Backend::Sqlite | Backend::Postgres => format!("CAST({expr} AS BIGINT)"),
        }
    }

    /// The clause that turns an `INSERT` into an upsert on `key_columns`, setting each of
    /// `set` to an expression over the old row (`<table>.col`) and the new one (written
    /// `NEW.col` in `set`, rewritten here to `excluded.col` or `VALUES(col)`).
    pub(crate) fn upsert(self, table: &str, key_columns: &str, set: &[(&str, &str)]) -> String {
        let assignments: Vec<String> = set
            .iter()
            .map(|(column, expr)| {
                let expr = match self {
                    Backend::MySql => rewrite_new(expr, |c| format!("VALUES({c})"))
                        .replace(&format!("{table}."), ""),
                    Backend::Sqlite | Backend::Postgres => {
                        rewrite_new(expr, |c| format!("excluded.{c}"))
                    }
                };
                format!("{column} = {expr}")
            })
            .collect();
        match self {
            Backend::MySql => format!(" ON DUPLICATE KEY UPDATE {}", assignments.join(", ")),
            Backend::Sqlite | Backend::Postgres => format!(
                " ON CONFLICT ({key_columns}) DO UPDATE SET {}",
                assignments.join(", ")
            ),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::MySql => "MySQL/MariaDB",
        })
    }
}

/// Replaces each `NEW.column` in `expr` with `with(column)`.
fn rewrite_new(expr: &str, with: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(expr.len() + 16);
    let mut rest = expr;
    while let Some(at) = rest.find("NEW.") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        out.push_str(&with(&after[..end]));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Rewrites `?` placeholders to `$1`, `$2`, … (PostgreSQL), leaving any `?` inside
/// single-quoted strings, double-quoted identifiers and `--` comments alone.
pub(crate) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + sql.len() / 4);
    let mut n = 0u32;
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if comment {
            comment = c != '\n';
        } else if let Some(q) = quote {
            if c == q {
                quote = None; // a doubled quote re-opens on the next character
            }
        } else {
            match c {
                '\'' | '"' => quote = Some(c),
                '-' if chars.peek() == Some(&'-') => comment = true,
                '?' => {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// `s` cut to at most `max` characters (not bytes), on a character boundary.
pub(crate) fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_in_order() {
        assert_eq!(
            numbered_placeholders("INSERT INTO t (a, b) VALUES (?, ?), (?,?)"),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3,$4)"
        );
        let many = ["?"; 12].join(",");
        assert!(numbered_placeholders(&many).ends_with("$11,$12"));
    }

    #[test]
    fn leaves_quoted_and_commented_question_marks_alone() {
        assert_eq!(
            numbered_placeholders(
                "SELECT '?', \"a?\", 'it''s ?' FROM t WHERE x = ? -- why?\nAND y = ?"
            ),
            "SELECT '?', \"a?\", 'it''s ?' FROM t WHERE x = $1 -- why?\nAND y = $2"
        );
    }

    #[test]
    fn other_backends_keep_question_marks() {
        assert_eq!(Backend::Sqlite.sql("a = ?"), "a = ?");
        assert_eq!(Backend::MySql.sql("a = ?"), "a = ?");
        assert_eq!(Backend::Postgres.sql("a = ?"), "a = $1");
    }

    #[test]
    fn scheme_picks_the_backend() {
        assert_eq!(
            Backend::from_url("sqlite:///x.db?mode=rwc"),
            Some(Backend::Sqlite)
        );
        assert_eq!(Backend::from_url("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::from_url("postgresql://h/d"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::from_url("POSTGRES://h/d"), Some(Backend::Postgres));
        assert_eq!(Backend::from_url("mariadb://h/d"), Some(Backend::MySql));
        assert_eq!(Backend::from_url("mysql://h/d"), Some(Backend::MySql));
        assert_eq!(Backend::from_url("oracle://h/d"), None);
        assert_eq!(Backend::from_url("nothing"), None);
    }

    #[test]
    fn upsert_clauses_per_dialect() {
        let set = [("count", "traffic_counts.count + NEW.count")];
        assert_eq!(
            Backend::Postgres.upsert("traffic_counts", "a, b", &set),
            " ON CONFLICT (a, b) DO UPDATE SET count = traffic_counts.count + excluded.count"
        );
        assert_eq!(
            Backend::MySql.upsert("traffic_counts", "a, b", &set),
            " ON DUPLICATE KEY UPDATE count = count + VALUES(count)"
        );
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("abc", 5), "abc");
        assert_eq!(truncate_chars("", 0), "");
    }
}
