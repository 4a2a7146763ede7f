//! Where setup's values come from and whether they are acceptable: a flag's value, else an
//! answer on a terminal, else the default; every value checked, and an error names its flag.

use super::render::toml_string;
use anyhow::{Result, anyhow, bail};
use postwarden_core::Config;
use postwarden_core::config::RunConfig;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Takes a flag's value when given; otherwise asks on a terminal, or takes the default.
pub(super) struct Asker {
    interactive: bool,
}

impl Asker {
    /// Interactive only when standard input is a terminal and `--non-interactive` is unset.
    pub(super) fn new(non_interactive: bool) -> Asker {
        Asker {
            interactive: !non_interactive && std::io::stdin().is_terminal(),
        }
    }

    pub(super) fn value<T>(
        &self,
        flag: &str,
        given: Option<String>,
        question: &str,
        default: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T> {
        match given {
            Some(value) => checked(flag, &value, parse),
            None if self.interactive => self.ask_until(question, default, parse),
            None => checked(flag, default, parse),
        }
    }

    /// A value with no default: asked on a terminal, an error naming the flag otherwise.
    pub(super) fn required<T>(
        &self,
        flag: &str,
        given: Option<String>,
        question: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T> {
        match given {
            Some(value) => checked(flag, &value, parse),
            None if self.interactive => self.ask_until(question, "", |answer| {
                if answer.is_empty() {
                    Err("an answer is needed".to_owned())
                } else {
                    parse(answer)
                }
            }),
            None => bail!("{flag} is needed here (or run setup on a terminal to be asked)"),
        }
    }

    /// A comma-separated list; given flags win, an empty answer is an empty list.
    pub(super) fn list<T>(
        &self,
        flag: &str,
        given: Vec<String>,
        question: &str,
        default: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>> {
        let parse_all = |text: &str| -> Result<Vec<T>, String> {
            split_list(text).into_iter().map(&parse).collect()
        };
        if !given.is_empty() {
            return given.iter().map(|v| checked(flag, v, &parse)).collect();
        }
        if self.interactive {
            self.ask_until(question, default, parse_all)
        } else {
            checked(flag, default, parse_all)
        }
    }

    /// Asks on standard error until the answer parses.
    fn ask_until<T>(
        &self,
        question: &str,
        default: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T> {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut output = std::io::stderr();
        loop {
            let answer = prompt(&mut input, &mut output, question, default)?
                .ok_or_else(|| anyhow!("no answer to “{question}” (end of input)"))?;
            match parse(&answer) {
                Ok(value) => return Ok(value),
                Err(e) => writeln!(output, "  {e}")?,
            }
        }
    }
}

/// Writes `question [default]: `, reads one line; an empty line is the default, `None` the
/// end of input.
fn prompt(
    input: &mut impl BufRead,
    output: &mut impl Write,
    question: &str,
    default: &str,
) -> Result<Option<String>> {
    if default.is_empty() {
        write!(output, "{question}: ")?;
    } else {
        write!(output, "{question} [{default}]: ")?;
    }
    output.flush()?;
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let answer = line.trim();
    Ok(Some(
        if answer.is_empty() { default } else { answer }.to_owned(),
    ))
}

fn split_list(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parses a flag's value; the error names the flag and shows the value.
pub(super) fn checked<T>(
    flag: &str,
    value: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T> {
    parse(value).map_err(|e| anyhow!("{flag} {value:?}: {e}"))
}

/// A path flag as text (paths go into TOML and the unit, which need UTF-8).
pub(super) fn path_text(flag: &str, path: Option<&Path>) -> Result<Option<String>> {
    path.map(|p| {
        p.to_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("{flag} {}: not valid UTF-8", p.display()))
    })
    .transpose()
}

pub(super) fn absolute_path(flag: &str, path: &Path) -> Result<PathBuf> {
    file_flag(flag, path, path_value)
}

/// A path flag checked by `parse`.
pub(super) fn file_flag(
    flag: &str,
    path: &Path,
    parse: impl Fn(&str) -> Result<PathBuf, String>,
) -> Result<PathBuf> {
    let text = path_text(flag, Some(path))?.unwrap_or_default();
    checked(flag, &text, parse)
}

/// A file a secret (`{ file = … }`) is read from: the configuration reads it whenever it is
/// loaded, so it must be readable now.
pub(super) fn secret_file(text: &str) -> Result<PathBuf, String> {
    let path = path_value(text)?;
    std::fs::read_to_string(&path).map_err(|e| {
        format!("cannot read it ({e}): create it first (the secret on one line, chmod 600)")
    })?;
    Ok(path)
}

/// A file holding the database URL, which the configuration's validation accepts.
pub(super) fn store_url_file(text: &str) -> Result<PathBuf, String> {
    let path = secret_file(text)?;
    Config::from_toml(&format!(
        "[database]\nurl = {{ file = {} }}\n",
        toml_string(text)
    ))
    .map_err(|e| e.to_string())?;
    Ok(path)
}

/// A non-empty path without control characters, made absolute (the service runs in `/`).
pub(super) fn path_value(text: &str) -> Result<PathBuf, String> {
    if text.is_empty() {
        return Err("a path is needed".into());
    }
    if text.chars().any(char::is_control) {
        return Err("a path may not hold control characters (such as a newline)".into());
    }
    std::path::absolute(text).map_err(|e| format!("cannot make the path absolute: {e}"))
}

/// Text without control characters (a user name).
pub(super) fn plain_text(text: &str) -> Result<String, String> {
    if text.is_empty() {
        Err("may not be empty".into())
    } else if text.chars().any(char::is_control) {
        Err("may not hold control characters (such as a newline)".into())
    } else {
        Ok(text.to_owned())
    }
}

pub(super) fn component(text: &str) -> Result<String, String> {
    if RunConfig::COMPONENTS.contains(&text) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "unknown component; known: {}",
            RunConfig::COMPONENTS.join(", ")
        ))
    }
}

pub(super) fn listen_address(text: &str) -> Result<String, String> {
    text.parse::<std::net::SocketAddr>()
        .map(|_| text.to_owned())
        .map_err(|_| "expected IP:PORT, such as 127.0.0.1:10024".into())
}

/// Empty (SQLite in the data directory) or a URL the configuration accepts: checked by
/// the configuration's own validation, so the schemes stay in one place.
pub(super) fn store_url(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Ok(String::new());
    }
    plain_text(text)?;
    Config::from_toml(&format!("[database]\nurl = {}\n", toml_string(text)))
        .map(|_| text.to_owned())
        .map_err(|e| e.to_string())
}

/// A phone number in E.164 as the SMS channel will accept it (the one validator,
/// `postwarden_notify::sms`): spaces, dots, dashes and brackets people write are dropped.
pub(super) fn e164(text: &str) -> Result<String, String> {
    postwarden_notify::sms::normalize_e164(text).ok_or_else(|| {
        "not an E.164 number: write +, the country code and the number (8 to 15 digits), \
         such as +4915112345678"
            .to_owned()
    })
}

/// A plain `local@domain` address: no display name, quotes, brackets, spaces or control
/// characters (enough to catch a typo or a pasted header, not a full RFC 5321 parser).
pub(super) fn address(text: &str) -> Result<String, String> {
    const SPECIALS: &str = "\"'<>()[],;:\\";
    if text
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || SPECIALS.contains(c))
    {
        return Err(
            "not a plain e-mail address: no spaces, quotes, brackets or control characters".into(),
        );
    }
    let (local, domain) = text
        .split_once('@')
        .ok_or("not an e-mail address: user@domain")?;
    let labels_ok = domain
        .split('.')
        .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
    if local.is_empty() || !labels_ok {
        return Err("not an e-mail address: user@domain".into());
    }
    Ok(text.to_owned())
}

/// `host:port` of an SMTP server; an IPv6 address in brackets.
pub(super) fn host_port(text: &str) -> Result<String, String> {
    let bad = || "expected HOST:PORT, such as 127.0.0.1:25 or smtp.example.org:587".to_owned();
    let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
    if !port.parse::<u16>().is_ok_and(|p| p > 0) {
        return Err(bad());
    }
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
        }
    };
    if host_ok {
        Ok(text.to_owned())
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_takes_the_answer_or_the_default() {
        let mut out = Vec::new();
        let mut input = std::io::Cursor::new("\n  /srv/pw \n");
        let first = prompt(&mut input, &mut out, "Data directory", "/var/lib/pw").unwrap();
        let second = prompt(&mut input, &mut out, "Data directory", "/var/lib/pw").unwrap();
        let end = prompt(&mut input, &mut out, "Data directory", "").unwrap();
        assert_eq!(first.as_deref(), Some("/var/lib/pw"));
        assert_eq!(second.as_deref(), Some("/srv/pw"));
        assert_eq!(end, None);
        let shown = String::from_utf8(out).unwrap();
        assert!(
            shown.starts_with("Data directory [/var/lib/pw]: "),
            "{shown}"
        );
        assert!(shown.ends_with("Data directory: "), "{shown}");
    }

    #[test]
    fn phone_numbers_are_e164() {
        assert_eq!(e164("+49 151-1234 5678").unwrap(), "+4915112345678");
        for bad in [
            "4915112345678",
            "+0151234567",
            "+12",
            "+1234567890123456",
            "+49abc1234567",
            "+4912345",
        ] {
            assert!(e164(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_are_plain() {
        assert!(address("ops@mail.example.org").is_ok());
        assert!(address("root@localhost").is_ok());
        for bad in [
            "a\"b@example.org",
            "ops@example.org\n[x]",
            "Ops <ops@x.org>",
            "ops",
            "@x.org",
            "a@",
            "a@b..c",
            "a@b@c",
        ] {
            assert!(address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn smtp_servers_are_host_and_port() {
        for good in ["127.0.0.1:25", "smtp.example.org:587", "[::1]:25"] {
            assert!(host_port(good).is_ok(), "{good}");
        }
        for bad in [
            "smtp.example.org",
            ":25",
            "host:0",
            "host:99999",
            "a b:25",
            "[x]:25",
        ] {
            assert!(host_port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn store_urls_are_checked_by_the_configuration() {
        assert!(store_url("postgres://pw@db/mail").is_ok());
        let err = store_url("oracle://db").unwrap_err();
        assert!(err.contains("database.url"), "{err}");
    }
}
