//! Domains as an impostor bends them: the registered domain (public suffix list, so
//! `mail.example.co.uk` and `example.co.uk` are one sender), and whether a domain imitates
//! a protected one — the same UTS #39 confusable skeleton (`examp1e`, `exarnple`, Cyrillic
//! `а` in `pаypal`), a small edit distance between skeletons, the protected name inside a
//! hyphenated or dotted disguise (`paypal-secure.com`, `example.org.login.top`), or the same
//! name under another suffix (`example.com` for `example.org`). Pure functions.

use unicode_security::MixedScript;
use unicode_security::confusable_detection::skeleton;

/// A host in lower case, its punycode labels decoded (`xn--pypal-4ve.com` → `pаypal.com`).
pub fn unicode_host(host: &str) -> String {
    let host = host.trim().trim_end_matches('.').to_lowercase();
    if host.split('.').any(|label| label.starts_with("xn--")) {
        let (decoded, result) = idna::domain_to_unicode(&host);
        if result.is_ok() {
            return decoded;
        }
    }
    host
}

/// Whether any label is punycode.
pub fn is_punycode(host: &str) -> bool {
    host.split('.')
        .any(|label| label.to_ascii_lowercase().starts_with("xn--"))
}

/// The registered domain (`a.b.example.co.uk` → `example.co.uk`); the host itself when the
/// list does not know it.
pub fn registered(host: &str) -> String {
    let host = host.trim().trim_end_matches('.').to_lowercase();
    let ascii = if host.is_ascii() {
        host.clone()
    } else {
        idna::domain_to_ascii(&host).unwrap_or_else(|_| host.clone())
    };
    let domain = psl::domain_str(&ascii).unwrap_or(&ascii).to_string();
    unicode_host(&domain)
}

/// The registered domain's name without its public suffix (`example` of `example.co.uk`).
fn name_part(registered: &str) -> &str {
    let ascii_suffix_len = psl::suffix_str(registered).map_or(0, str::len);
    if ascii_suffix_len > 0 && registered.is_ascii() && registered.len() > ascii_suffix_len {
        &registered[..registered.len() - ascii_suffix_len - 1]
    } else {
        registered.split('.').next().unwrap_or(registered)
    }
}

/// Confusable skeleton, lower-cased (so `0` and `o`, `1` and `l` meet).
fn skel(text: &str) -> String {
    skeleton(text).flat_map(char::to_lowercase).collect()
}

/// Whether a label mixes scripts (Latin with Cyrillic, …): a classic homograph.
pub fn mixed_script(host: &str) -> bool {
    unicode_host(host)
        .split('.')
        .any(|label| !label.is_ascii() && !label.is_single_script())
}

/// How one domain imitates another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imitation {
    /// `example.com` for `example.org`: brands and partners own many suffixes, so only
    /// our own domains count this one.
    OtherSuffix,
    /// The same UTS #39 skeleton: `examp1e`, `exarnple`, Cyrillic `а`.
    Confusable,
    /// The protected domain in front of another one: `example.org.login.top`.
    Subdomain,
    /// The protected name as one part of the name: `paypal-secure.com`, `netfiix-billing`.
    Inside,
    /// A small edit distance: `exmaple.org`.
    Misspelling,
}

impl Imitation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OtherSuffix => "the same name under another suffix",
            Self::Confusable => "confusable characters",
            Self::Subdomain => "our domain as a subdomain of another",
            Self::Inside => "our name inside another domain",
            Self::Misspelling => "a small misspelling",
        }
    }
}

/// How `host` imitates `protected` (both hosts or registered domains), if it does.
pub fn imitates(host: &str, protected: &str) -> Option<Imitation> {
    let host = unicode_host(host);
    let candidate = registered(&host);
    let protected = registered(protected);
    if candidate == protected || candidate.is_empty() || protected.is_empty() {
        return None;
    }
    let (name, target) = (name_part(&candidate), name_part(&protected));
    if target.len() < 3 {
        return None;
    }
    let (name_skel, target_skel) = (skel(name), skel(target));
    if name_skel == target_skel {
        return Some(if name == target {
            Imitation::OtherSuffix
        } else {
            Imitation::Confusable
        });
    }
    if host.starts_with(&format!("{protected}.")) {
        return Some(Imitation::Subdomain);
    }
    let close = |a: &str, b: &str, raw_a: &str, raw_b: &str| {
        let allowed = match b.chars().count() {
            0..=4 => 0,
            5..=8 => 1,
            _ => 2,
        };
        edit_distance(a, b).min(edit_distance(raw_a, raw_b)) <= allowed
    };
    if close(&name_skel, &target_skel, name, target) {
        return Some(Imitation::Misspelling);
    }
    // One part of a hyphenated or dotted name: the name itself, a misspelling of it, or
    // the name with letters added (`docusigned`) when the name is long enough to be sure.
    let parts = name.split(['-', '.', '_']).filter(|p| !p.is_empty());
    for part in parts {
        let part_skel = skel(part);
        if part_skel == target_skel
            || (part != name && close(&part_skel, &target_skel, part, target))
            || (target_skel.chars().count() >= 6 && part_skel.starts_with(&target_skel))
        {
            return Some(Imitation::Inside);
        }
    }
    None
}

/// A protected domain prepared once: its registered domain, name and skeleton.
#[derive(Debug, Clone)]
pub struct Protected {
    pub domain: String,
    name: String,
    skel: String,
}

impl Protected {
    pub fn new(domain: &str) -> Self {
        let domain = registered(domain);
        let name = name_part(&domain).to_string();
        let skel = skel(&name);
        Self { domain, name, skel }
    }
}

/// A host under suspicion prepared once: what [`imitates`] computes of it, so one host
/// is compared with many protected domains at the cost of string comparisons.
#[derive(Debug, Clone)]
pub struct Candidate {
    host: String,
    registered: String,
    name: String,
    skel: String,
    /// The name's hyphen-, dot- and underscore-separated parts, each with its skeleton.
    parts: Vec<(String, String)>,
}

impl Candidate {
    pub fn new(host: &str) -> Self {
        let host = unicode_host(host);
        let registered = registered(&host);
        let name = name_part(&registered).to_string();
        let skel = skel(&name);
        let parts = name
            .split(['-', '.', '_'])
            .filter(|p| !p.is_empty())
            .map(|p| (p.to_string(), self::skel(p)))
            .collect();
        Self {
            host,
            registered,
            name,
            skel,
            parts,
        }
    }

    pub fn registered(&self) -> &str {
        &self.registered
    }

    /// [`imitates`], for prepared values.
    pub fn imitates(&self, protected: &Protected) -> Option<Imitation> {
        if self.registered == protected.domain
            || self.registered.is_empty()
            || protected.domain.is_empty()
            || protected.name.len() < 3
        {
            return None;
        }
        if self.skel == protected.skel {
            return Some(if self.name == protected.name {
                Imitation::OtherSuffix
            } else {
                Imitation::Confusable
            });
        }
        if self.host.len() > protected.domain.len()
            && self.host.starts_with(&protected.domain)
            && self.host.as_bytes()[protected.domain.len()] == b'.'
        {
            return Some(Imitation::Subdomain);
        }
        if close(&self.skel, &protected.skel, &self.name, &protected.name) {
            return Some(Imitation::Misspelling);
        }
        let long = protected.skel.chars().count() >= 6;
        for (part, part_skel) in &self.parts {
            if *part_skel == protected.skel
                || (*part != self.name && close(part_skel, &protected.skel, part, &protected.name))
                || (long && part_skel.starts_with(&protected.skel))
            {
                return Some(Imitation::Inside);
            }
        }
        None
    }
}

/// Whether `a` is within the edit distance allowed for `b`'s length, on skeletons or as
/// written; lengths too far apart are ruled out before any distance is computed.
fn close(a: &str, b: &str, raw_a: &str, raw_b: &str) -> bool {
    let allowed = match b.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    };
    within_distance(a, b, allowed) || within_distance(raw_a, raw_b, allowed)
}

/// Whether [`edit_distance`] of `a` and `b` is at most `max`, giving up as soon as a row
/// of the table exceeds it (two rows kept, not the whole table).
fn within_distance(a: &str, b: &str, max: usize) -> bool {
    if a == b {
        return true;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    let m = b.len();
    let mut before: Vec<usize> = (0..=m).collect();
    let mut previous: Vec<usize> = (0..=m).collect();
    let mut current = vec![0usize; m + 1];
    for i in 1..=a.len() {
        current[0] = i;
        let mut lowest = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
            lowest = lowest.min(d);
        }
        if lowest > max {
            return false;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[m] <= max
}

/// Damerau–Levenshtein (optimal string alignment) distance, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[n][m]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn registered_domains_follow_the_public_suffix_list() {
        assert_eq!(registered("mail.example.co.uk"), "example.co.uk");
        assert_eq!(registered("a.b.example.org."), "example.org");
        assert_eq!(registered("Example.ORG"), "example.org");
        assert_eq!(registered("acme-supplies.example"), "acme-supplies.example");
    }

    #[test]
    fn look_alikes_are_caught_and_explained() {
        use Imitation::*;
        let cases = [
            ("examp1e.org", "example.org", Some(Confusable)),
            ("exarnple.org", "example.org", Some(Confusable)),
            ("example.com", "example.org", Some(OtherSuffix)),
            ("xn--pypal-4ve.com", "paypal.com", Some(Confusable)),
            ("paypal-secure.com", "paypal.com", Some(Inside)),
            ("netfiix-billing.example", "netflix.com", Some(Inside)),
            ("docusigned-mail.example", "docusign.net", Some(Inside)),
            ("example.org.login.top", "example.org", Some(Subdomain)),
            ("exmaple.org", "example.org", Some(Misspelling)),
            ("micros0ft-support.com", "microsoft.com", Some(Inside)),
            ("mail.example.org", "example.org", None),
            ("examples.org.uk", "example.org", Some(Misspelling)),
            ("northwind.co.uk", "example.org", None),
            ("sample.org", "example.org", None),
            ("northwind.example", "example.org", None),
            ("github.com", "example.org", None),
            ("dhl.com", "dhl.de", Some(OtherSuffix)),
            ("ups.com", "dhl.com", None),
            ("hups-logistics.com", "ups.com", None),
        ];
        for (host, protected, expected) in cases {
            assert_eq!(imitates(host, protected), expected, "{host} vs {protected}");
            let fast = Candidate::new(host).imitates(&Protected::new(protected));
            assert_eq!(fast, expected, "prepared: {host} vs {protected}");
        }
    }

    #[test]
    fn mixed_scripts_and_punycode_are_seen() {
        assert!(mixed_script("xn--pypal-4ve.com"));
        assert!(!mixed_script("paypal.com"));
        assert!(!mixed_script("xn--mnchen-3ya.de"), "münchen is one script");
        assert!(is_punycode("XN--mnchen-3ya.de"));
        assert_eq!(unicode_host("xn--mnchen-3ya.de"), "münchen.de");
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("example", "exmaple"), 1);
        assert_eq!(edit_distance("example", "example"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    proptest! {
        #[test]
        fn any_host_is_judged_without_panicking(host in "[a-zа-я0-9.\\-]{0,40}", other in "[a-z.]{0,20}") {
            let _ = imitates(&host, &other);
            let _ = registered(&host);
            let _ = mixed_script(&host);
        }

        #[test]
        fn prepared_values_judge_as_the_plain_version(host in "[a-z0-9\\-]{1,14}\\.(org|com|co\\.uk|example)", target in "(example\\.org|paypal\\.com|dhl\\.de|netflix\\.com)") {
            let fast = Candidate::new(&host).imitates(&Protected::new(&target));
            prop_assert_eq!(fast, imitates(&host, &target), "{} vs {}", host, target);
        }

                #[test]
        fn the_bounded_distance_agrees_with_the_full_table(a in "[a-e]{0,9}", b in "[a-e]{0,9}", max in 0usize..4) {
            prop_assert_eq!(within_distance(&a, &b, max), edit_distance(&a, &b) <= max);
        }

        #[test]
        fn a_domain_never_imitates_itself(name in "[a-z]{3,12}") {
            let domain = format!("{name}.org");
            prop_assert_eq!(imitates(&domain, &domain), None);
            prop_assert_eq!(imitates(&format!("mail.{domain}"), &domain), None);
        }
    }
}
