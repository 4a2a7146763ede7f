//! What a phisher's HTML shows and where it leads: each `<a href>` with its visible text,
//! and whether there is a `<form>` or a password field. A tolerant scanner, not an HTML
//! parser: it needs tag names, one attribute and the text between `<a>` and `</a>`, and
//! it must never fail on the broken markup spam is made of (hence no html5ever: a full
//! parser's cost in build time and per message buys nothing here). Pure, with proptests
//! and a fuzz target.

/// A link: where it goes and what it shows (tags removed, entities decoded, spaces
/// collapsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub text: String,
}

/// What the scanner found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Html {
    pub links: Vec<Link>,
    pub form: bool,
    pub password_field: bool,
}

/// Most links kept from one document.
const MAX_LINKS: usize = 500;

/// Scans `html`.
pub fn scan(html: &str) -> Html {
    let mut out = Html::default();
    let bytes = html.as_bytes();
    let mut at = 0;
    let mut open: Option<(String, String)> = None;
    while let Some(lt) = memchr::memchr(b'<', &bytes[at..]).map(|i| at + i) {
        if let Some((_, text)) = open.as_mut() {
            text.push_str(&html[at..lt]);
        }
        // Comments are skipped whole.
        if html[lt..].starts_with("<!--") {
            at = html[lt + 4..]
                .find("-->")
                .map_or(bytes.len(), |i| lt + 4 + i + 3);
            continue;
        }
        let Some(gt) = tag_end(bytes, lt + 1) else {
            break;
        };
        let tag = &html[lt + 1..gt];
        at = gt + 1;
        let (closing, name, attributes) = split_tag(tag);
        match (closing, name.as_str()) {
            (false, "a") => {
                if let Some((href, text)) = open.take() {
                    push(&mut out, href, &text);
                }
                if let Some(href) = attribute(attributes, "href") {
                    open = Some((href, String::new()));
                }
            }
            (true, "a") => {
                if let Some((href, text)) = open.take() {
                    push(&mut out, href, &text);
                }
            }
            (false, "form") => out.form = true,
            (false, "input")
                if attribute(attributes, "type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("password")) =>
            {
                out.password_field = true;
            }
            (false, "img") => {
                // An image link shows its alt text.
                if let (Some((_, text)), Some(alt)) = (open.as_mut(), attribute(attributes, "alt"))
                {
                    text.push(' ');
                    text.push_str(&alt);
                }
            }
            _ => {}
        }
    }
    if let Some((href, mut text)) = open.take() {
        if at < html.len() && !html[at..].contains('<') {
            text.push_str(&html[at..]);
        }
        push(&mut out, href, &text);
    }
    out
}

fn push(out: &mut Html, href: String, text: &str) {
    if out.links.len() < MAX_LINKS {
        out.links.push(Link {
            href: decode_entities(href.trim()),
            text: collapse(&decode_entities(text)),
        });
    }
}

/// The `>` that ends the tag starting after `<` at `from`, skipping quoted values.
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// (closing, lower-case name, attributes text) of a tag's inside.
fn split_tag(tag: &str) -> (bool, String, &str) {
    let tag = tag.trim_start();
    let (closing, tag) = match tag.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, tag),
    };
    let end = tag
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(tag.len());
    (closing, tag[..end].to_ascii_lowercase(), &tag[end..])
}

/// The value of attribute `name` (any case), quoted or not.
fn attribute(attributes: &str, name: &str) -> Option<String> {
    let bytes = attributes.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        while at < bytes.len() && (bytes[at].is_ascii_whitespace() || bytes[at] == b'/') {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() && bytes[at] != b'=' {
            at += 1;
        }
        let key = &attributes[start..at];
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at >= bytes.len() || bytes[at] != b'=' {
            if key.is_empty() {
                at += 1;
            }
            continue;
        }
        at += 1;
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let value = match bytes.get(at) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = attributes[at + 1..]
                    .find(q as char)
                    .map_or(bytes.len(), |i| at + 1 + i);
                let value = &attributes[at + 1..end];
                at = end + 1;
                value
            }
            _ => {
                let start = at;
                while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
                    at += 1;
                }
                &attributes[start..at]
            }
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(value.to_string());
        }
    }
    None
}

/// The common entities and numeric references decoded.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..].find(';').map(|i| i + 1).filter(|&i| i <= 10);
        let decoded = end.and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The host of an `http(s)://` URL (lower case, userinfo and port removed), and whether it
/// had a userinfo part (`https://paypal.com@evil.example/` goes to evil.example).
pub fn url_host(url: &str) -> Option<(String, bool)> {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        url.strip_prefix("//")?
    };
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or_default();
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((_, host)) => (true, host),
        None => (false, authority),
    };
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let host = host.trim_end_matches('.').to_lowercase();
    (!host.is_empty()).then_some((host, userinfo))
}

/// The domain a link's text shows, if it shows one (`www.paypal.com`,
/// `https://login.microsoftonline.com/…`, `paypal.com/signin`); plain words give none.
pub fn shown_host(text: &str) -> Option<String> {
    let text = text
        .trim()
        .trim_matches(['<', '>', '(', ')', '[', ']', '"', '\'']);
    if text.is_empty() || text.contains(char::is_whitespace) {
        return None;
    }
    if let Some((host, _)) = url_host(text) {
        return looks_like_domain(&host).then_some(host);
    }
    if text.contains('@') {
        return None;
    }
    let host = text.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.trim_end_matches('.').to_lowercase();
    looks_like_domain(&host).then_some(host)
}

/// Letters, digits and hyphens in at least two labels, ending in a letter-only label.
fn looks_like_domain(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic))
}

/// Whether `host` is an IP literal, including the decimal and hex forms browsers accept.
pub fn is_ip_literal(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
        || (!host.is_empty() && host.chars().all(|c| c.is_ascii_digit()) && host.len() >= 8)
        || host
            .strip_prefix("0x")
            .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn links_forms_and_password_fields_are_found() {
        let html = r#"<p>Dear user,</p><A HREF="https://evil.example/x?a=1&amp;b=2">
            https://login.microsoftonline.com/<b>common</b></A>
            <a href='http://192.0.2.7/login'>Sign in</a> <a name=top>no href</a>
            <!-- <a href="https://hidden.example/">x</a> -->
            <form action="https://evil.example/post"><input type="PASSWORD" name=p></form>
            <a href=https://unquoted.example/ >unquoted.example</a><a href="x">unclosed"#;
        let found = scan(html);
        assert_eq!(
            found.links,
            vec![
                Link {
                    href: "https://evil.example/x?a=1&b=2".into(),
                    text: "https://login.microsoftonline.com/common".into()
                },
                Link {
                    href: "http://192.0.2.7/login".into(),
                    text: "Sign in".into()
                },
                Link {
                    href: "https://unquoted.example/".into(),
                    text: "unquoted.example".into()
                },
                Link {
                    href: "x".into(),
                    text: "unclosed".into()
                },
            ]
        );
        assert!(found.form && found.password_field);
    }

    #[test]
    fn hosts_of_urls_and_of_link_texts() {
        assert_eq!(
            url_host("https://paypal.com@evil.example:8443/x"),
            Some(("evil.example".into(), true))
        );
        assert_eq!(
            url_host("HTTP://[2001:db8::1]/"),
            Some(("2001:db8::1".into(), false))
        );
        assert_eq!(url_host("mailto:a@b.example"), None);
        assert_eq!(
            shown_host("www.PayPal.com/signin"),
            Some("www.paypal.com".into())
        );
        assert_eq!(shown_host("Read more"), None);
        assert_eq!(shown_host("support@paypal.com"), None);
        assert_eq!(shown_host("1.5"), None);
        assert!(is_ip_literal("192.0.2.1") && is_ip_literal("3232235777"));
        assert!(!is_ip_literal("example.org"));
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            decode_entities("a&amp;b&#x41;&#66;&bogus;&"),
            "a&bAB&bogus;&"
        );
    }

    proptest! {
        #[test]
        fn any_markup_scans_without_panicking(html in "(<|>|a|/|\"|'|=| |href|form|input|&|#|;|!--|-->|x|é){0,80}") {
            let _ = scan(&html);
        }

        #[test]
        fn any_text_is_judged_without_panicking(text in ".{0,60}") {
            let _ = shown_host(&text);
            let _ = url_host(&text);
            let _ = decode_entities(&text);
        }
    }
}
