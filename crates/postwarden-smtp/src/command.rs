//! Client command lines (RFC 5321 §4.1, RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531
//! SMTPUTF8, Postfix's XFORWARD), parsed from the bytes of one line without its CRLF.
//!
//! The parser checks syntax only; what is allowed when (a RCPT before MAIL, say) is the
//! session's business. Every error carries the reply the session should send.

use crate::reply::Reply;

/// Longest command line accepted, CRLF excluded. RFC 5321 sets 512 octets with CRLF; a
/// command with SMTPUTF8 parameters or a long XFORWARD may exceed that, so we allow more.
pub const MAX_COMMAND_LINE: usize = 4096;
/// RFC 5321 §4.5.3.1: 64 octets of local part, 255 of domain, 256 of path.
const MAX_LOCAL_PART: usize = 64;
const MAX_DOMAIN: usize = 255;

/// One parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Helo(String),
    Ehlo(String),
    /// `MAIL FROM:<path>`; the empty string is the null sender `<>`.
    Mail {
        from: String,
        params: MailParams,
    },
    Rcpt {
        to: String,
    },
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    /// `XFORWARD NAME=… ADDR=…`: the attributes as sent (values still xtext-encoded).
    Xforward(Vec<(String, String)>),
    Starttls,
}

/// What `MAIL FROM` declared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailParams {
    /// `SIZE=`: the client's estimate of the message size.
    pub size: Option<u64>,
    /// `BODY=8BITMIME` (or `BINARYMIME`, which we do not advertise and refuse).
    pub eight_bit: bool,
    /// `SMTPUTF8`: addresses and headers may be UTF-8.
    pub smtputf8: bool,
}

/// A command that cannot be accepted, and the reply that says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reply}")]
pub struct CommandError {
    pub reply: Reply,
}

fn error(code: u16, enhanced: &str, text: &str) -> CommandError {
    CommandError {
        reply: Reply::new(code, enhanced, text),
    }
}

/// The XFORWARD attributes we advertise and accept (Postfix's XFORWARD_README).
pub const XFORWARD_ATTRIBUTES: [&str; 7] =
    ["NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"];

impl Command {
    /// Parses one command line (without CRLF).
    pub fn parse(line: &[u8]) -> Result<Self, CommandError> {
        if line.len() > MAX_COMMAND_LINE {
            return Err(error(500, "5.5.2", "Error: command line too long"));
        }
        let line = std::str::from_utf8(line)
            .map_err(|_| error(500, "5.5.2", "Error: command is not valid UTF-8"))?;
        if line.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(error(500, "5.5.2", "Error: control characters in command"));
        }
        let (verb, rest) = match line.find([' ', ':']) {
            Some(at) if line.as_bytes()[at] == b' ' => (&line[..at], line[at + 1..].trim()),
            Some(at) => (&line[..at], line[at..].trim()),
            None => (line.trim(), ""),
        };
        let verb = verb.to_ascii_uppercase();
        match verb.as_str() {
            "HELO" => Ok(Self::Helo(domain_argument(rest)?)),
            "EHLO" => Ok(Self::Ehlo(domain_argument(rest)?)),
            "MAIL" => parse_mail(rest),
            "RCPT" => parse_rcpt(rest),
            "DATA" => no_argument(rest, Self::Data),
            "RSET" => no_argument(rest, Self::Rset),
            "QUIT" => no_argument(rest, Self::Quit),
            "NOOP" => Ok(Self::Noop),
            "VRFY" | "EXPN" => Ok(Self::Vrfy),
            "HELP" => Ok(Self::Help),
            "STARTTLS" => Ok(Self::Starttls),
            "XFORWARD" => parse_xforward(rest),
            "" => Err(error(500, "5.5.2", "Error: empty command")),
            _ => Err(error(502, "5.5.2", "Error: command not recognized")),
        }
    }
}

fn no_argument(rest: &str, command: Command) -> Result<Command, CommandError> {
    if rest.is_empty() {
        Ok(command)
    } else {
        Err(error(501, "5.5.4", "Syntax: command takes no argument"))
    }
}

fn domain_argument(rest: &str) -> Result<String, CommandError> {
    match rest.split_whitespace().next() {
        Some(domain) => Ok(domain.to_string()),
        None => Err(error(501, "5.5.4", "Syntax: HELO/EHLO hostname")),
    }
}

/// Splits `FROM:<path> params` / `TO:<path> params` after checking the keyword.
fn path_and_params<'a>(rest: &'a str, keyword: &str) -> Result<(&'a str, &'a str), CommandError> {
    let syntax = || {
        let usage = if keyword == "FROM" {
            "Syntax: MAIL FROM:<address>"
        } else {
            "Syntax: RCPT TO:<address>"
        };
        error(501, "5.5.4", usage)
    };
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    let (word, after) = rest.split_once(':').ok_or_else(syntax)?;
    if !word.trim().eq_ignore_ascii_case(keyword) {
        return Err(syntax());
    }
    let after = after.trim_start();
    if !after.starts_with('<') {
        return Err(syntax());
    }
    let close = closing_bracket(after).ok_or_else(syntax)?;
    Ok((&after[1..close], after[close + 1..].trim()))
}

/// The index of the `>` that closes a path starting with `<`, skipping quoted strings.
fn closing_bracket(text: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '>' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_mail(rest: &str) -> Result<Command, CommandError> {
    let (path, params_text) = path_and_params(rest, "FROM")?;
    let mut params = MailParams::default();
    for param in params_text.split_whitespace() {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        match name.to_ascii_uppercase().as_str() {
            "SIZE" => {
                params.size =
                    Some(value.parse().map_err(|_| {
                        error(501, "5.5.4", "Syntax: SIZE takes a number of octets")
                    })?);
            }
            "BODY" => match value.to_ascii_uppercase().as_str() {
                "7BIT" => params.eight_bit = false,
                "8BITMIME" => params.eight_bit = true,
                _ => return Err(error(501, "5.5.4", "Error: unsupported BODY type")),
            },
            "SMTPUTF8" if value.is_empty() => params.smtputf8 = true,
            _ => {
                return Err(error(
                    555,
                    "5.5.4",
                    "Error: unsupported MAIL FROM parameter",
                ));
            }
        }
    }
    let from = if path.is_empty() {
        String::new()
    } else {
        mailbox(path, params.smtputf8)?
    };
    Ok(Command::Mail { from, params })
}

fn parse_rcpt(rest: &str) -> Result<Command, CommandError> {
    let (path, params_text) = path_and_params(rest, "TO")?;
    if !params_text.is_empty() {
        return Err(error(555, "5.5.4", "Error: unsupported RCPT TO parameter"));
    }
    if path.eq_ignore_ascii_case("postmaster") {
        return Ok(Command::Rcpt {
            to: "postmaster".into(),
        });
    }
    // Whether UTF-8 is allowed depends on MAIL's SMTPUTF8, which the session checks.
    Ok(Command::Rcpt {
        to: mailbox(path, true)?,
    })
}

/// Checks a mailbox `local@domain` (a source route `@a,@b:` before it is dropped) and
/// returns it as written.
pub fn mailbox(path: &str, utf8_allowed: bool) -> Result<String, CommandError> {
    let bad = |text| Err(error(501, "5.1.3", text));
    let path = match path.strip_prefix('@') {
        Some(routed) => match routed.split_once(':') {
            Some((_, mailbox)) => mailbox,
            None => return bad("Bad address syntax: unterminated source route"),
        },
        None => path,
    };
    if !utf8_allowed && !path.is_ascii() {
        return Err(error(
            553,
            "5.6.7",
            "Error: non-ASCII address without SMTPUTF8",
        ));
    }
    let Some(at) = path.rfind('@') else {
        return bad("Bad address syntax: no domain");
    };
    let (local, domain) = (&path[..at], &path[at + 1..]);
    if local.is_empty() || local.len() > MAX_LOCAL_PART {
        return bad("Bad address syntax: local part empty or over 64 octets");
    }
    if domain.is_empty() || domain.len() > MAX_DOMAIN || !valid_domain(domain) {
        return bad("Bad address syntax: invalid domain");
    }
    if !valid_local_part(local) {
        return bad("Bad address syntax: invalid local part");
    }
    Ok(path.to_string())
}

fn valid_local_part(local: &str) -> bool {
    if let Some(inner) = local.strip_prefix('"') {
        return inner.len() >= 2 && inner.ends_with('"');
    }
    local.split('.').all(|atom| {
        !atom.is_empty()
            && atom.chars().all(|c| {
                !c.is_ascii() || c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
            })
    })
}

fn valid_domain(domain: &str) -> bool {
    if let Some(literal) = domain.strip_prefix('[') {
        return literal.ends_with(']') && !literal.contains(char::is_whitespace);
    }
    domain.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || c == '-')
    })
}

fn parse_xforward(rest: &str) -> Result<Command, CommandError> {
    let mut attributes = Vec::new();
    for pair in rest.split_whitespace() {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(error(501, "5.5.4", "Syntax: XFORWARD attribute=value..."));
        };
        let name = name.to_ascii_uppercase();
        if !XFORWARD_ATTRIBUTES.contains(&name.as_str()) {
            return Err(error(501, "5.5.4", "Bad XFORWARD attribute name"));
        }
        attributes.push((name, value.to_string()));
    }
    if attributes.is_empty() {
        return Err(error(501, "5.5.4", "Syntax: XFORWARD attribute=value..."));
    }
    Ok(Command::Xforward(attributes))
}

/// Decodes an xtext value (RFC 3461 §4: `+XX` is the byte 0xXX).
pub fn xtext_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'+'
            && let Some(byte) = bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Command, CommandError> {
        Command::parse(line.as_bytes())
    }

    #[test]
    fn verbs_are_case_insensitive() {
        assert_eq!(
            parse("ehlo mx.example").unwrap(),
            Command::Ehlo("mx.example".into())
        );
        assert_eq!(parse("DaTa").unwrap(), Command::Data);
        assert_eq!(parse("QUIT").unwrap(), Command::Quit);
    }

    #[test]
    fn mail_with_parameters() {
        let Command::Mail { from, params } =
            parse("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME SMTPUTF8").unwrap()
        else {
            panic!()
        };
        assert_eq!(from, "a@b.example");
        assert_eq!(params.size, Some(1000));
        assert!(params.eight_bit && params.smtputf8);
    }

    #[test]
    fn null_sender_and_lenient_space() {
        assert!(
            matches!(parse("MAIL FROM:<>").unwrap(), Command::Mail { from, .. } if from.is_empty())
        );
        assert!(
            matches!(parse("MAIL FROM: <x@y.z>").unwrap(), Command::Mail { from, .. } if from == "x@y.z")
        );
    }

    #[test]
    fn source_route_dropped_and_quoted_local_part_kept() {
        assert!(
            matches!(parse("RCPT TO:<@relay.example:u@d.example>").unwrap(), Command::Rcpt { to } if to == "u@d.example")
        );
        assert!(
            matches!(parse(r#"RCPT TO:<"a>b"@d.example>"#).unwrap(), Command::Rcpt { to } if to == r#""a>b"@d.example"#)
        );
    }

    #[test]
    fn bad_addresses_get_501_or_553() {
        for bad in [
            "RCPT TO:<nodomain>",
            "RCPT TO:<a@-bad.example>",
            "RCPT TO:<a..b@x.example>",
            "RCPT TO:a@b.example",
        ] {
            let code = parse(bad).unwrap_err().reply.code;
            assert_eq!(code, 501, "{bad}");
        }
        assert_eq!(
            parse("MAIL FROM:<jörg@x.example>").unwrap_err().reply.code,
            553
        );
        assert!(parse("MAIL FROM:<jörg@x.example> SMTPUTF8").is_ok());
    }

    #[test]
    fn unknown_parameters_and_commands() {
        assert_eq!(
            parse("MAIL FROM:<a@b.c> RET=FULL").unwrap_err().reply.code,
            555
        );
        assert_eq!(
            parse("RCPT TO:<a@b.c> NOTIFY=NEVER")
                .unwrap_err()
                .reply
                .code,
            555
        );
        assert_eq!(parse("FROB").unwrap_err().reply.code, 502);
        assert_eq!(parse("").unwrap_err().reply.code, 500);
        assert_eq!(parse(&"X".repeat(5000)).unwrap_err().reply.code, 500);
        assert_eq!(parse("DATA now").unwrap_err().reply.code, 501);
    }

    #[test]
    fn xforward_attributes() {
        assert_eq!(
            parse("XFORWARD NAME=mx.example ADDR=192.0.2.1 proto=ESMTP").unwrap(),
            Command::Xforward(vec![
                ("NAME".into(), "mx.example".into()),
                ("ADDR".into(), "192.0.2.1".into()),
                ("PROTO".into(), "ESMTP".into()),
            ])
        );
        assert_eq!(parse("XFORWARD EVIL=1").unwrap_err().reply.code, 501);
        assert_eq!(xtext_decode("a+2Bb+3D"), "a+b=");
    }
}
