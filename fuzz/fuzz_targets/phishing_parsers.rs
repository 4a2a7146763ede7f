//! The phishing and authentication processors' parsers on arbitrary input: the HTML link
//! scanner, URL and link-text hosts, ZIP central directories, look-alike domains,
//! `Authentication-Results` authserv-ids and rspamd replies. None may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postwarden_filter::processors::auth::claims_authserv_id;
use postwarden_filter::processors::phishing::{archive, domains, html};
use postwarden_filter::processors::rspamd::parse_reply;

fuzz_target!(|data: &[u8]| {
    let _ = archive::zip_names(data);
    let _ = parse_reply(data);
    let text = String::from_utf8_lossy(data);
    let scanned = html::scan(&text);
    for link in &scanned.links {
        let _ = html::url_host(&link.href);
        let _ = html::shown_host(&link.text);
    }
    let _ = claims_authserv_id(&text, "mx.example.org");
    if let Some((host, _)) = text.split_once(' ') {
        let _ = domains::imitates(host, "example.org");
        let _ = domains::registered(host);
    }
});
