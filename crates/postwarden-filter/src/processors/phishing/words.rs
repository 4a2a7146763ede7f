//! Wording lists: phrases found in one pass of Aho–Corasick over the lower-cased text,
//! whole words only (`urgent` does not match inside `insurgent`). The shipped lists
//! (`data/phrases/*.txt`, `data/freemail.txt`, `data/brands.txt`: one entry per line, `#`
//! comments) are compiled in; the configuration adds to them.

use aho_corasick::{AhoCorasick, MatchKind};

pub const CREDENTIAL: &str = include_str!("../../../data/phrases/credential.txt");
pub const PAYMENT: &str = include_str!("../../../data/phrases/payment.txt");
pub const URGENCY: &str = include_str!("../../../data/phrases/urgency.txt");
pub const FREE_MAIL: &str = include_str!("../../../data/freemail.txt");
pub const BRANDS: &str = include_str!("../../../data/brands.txt");

/// The entries of a shipped list: trimmed, lower case, no comments or blank lines.
pub fn entries(list: &str) -> impl Iterator<Item = String> + '_ {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
}

/// A set of phrases to look for.
pub struct Phrases {
    matcher: AhoCorasick,
    phrases: Vec<String>,
}

impl Phrases {
    pub fn new(shipped: &str, extra: &[String]) -> Result<Self, String> {
        let mut phrases: Vec<String> = entries(shipped)
            .chain(extra.iter().map(|p| p.trim().to_lowercase()))
            .filter(|p| !p.is_empty())
            .collect();
        phrases.sort();
        phrases.dedup();
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&phrases)
            .map_err(|e| format!("phrase list: {e}"))?;
        Ok(Self { matcher, phrases })
    }

    /// The distinct phrases found in `text` (already lower case), in order of appearance.
    pub fn found<'a>(&'a self, text: &str) -> Vec<&'a str> {
        let mut found: Vec<&str> = Vec::new();
        for m in self.matcher.find_iter(text) {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            let boundary = |c: Option<char>| !c.is_some_and(char::is_alphanumeric);
            if boundary(before) && boundary(after) {
                let phrase = self.phrases[m.pattern().as_usize()].as_str();
                if !found.contains(&phrase) {
                    found.push(phrase);
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_only_and_each_phrase_once() {
        let phrases =
            Phrases::new("# en\nurgent\nwire transfer\n", &["Gift Cards".into()]).unwrap();
        assert_eq!(
            phrases.found("urgent: a wire transfer, another wire transfer, gift cards"),
            vec!["urgent", "wire transfer", "gift cards"]
        );
        assert!(phrases.found("the insurgents").is_empty());
    }

    #[test]
    fn the_shipped_lists_load_and_cover_four_languages() {
        for list in [CREDENTIAL, PAYMENT, URGENCY] {
            for language in ["# en", "# de", "# fr", "# es"] {
                assert!(list.contains(language), "{language}");
            }
            assert!(Phrases::new(list, &[]).is_ok());
        }
        assert!(entries(FREE_MAIL).any(|d| d == "gmail.com"));
        assert!(entries(BRANDS).any(|d| d == "paypal.com"));
    }
}
