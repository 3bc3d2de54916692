//! Language tags and multi-language text, with the label fallback chain.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ValidationReason};

/// Longest tag accepted; BCP 47 tags seen in practice are far shorter.
const MAX_TAG_CHARS: usize = 35;

/// A BCP 47 language tag such as `nl`, `nl-BE` or `zh-Hant-TW`, kept in
/// canonical case (`nl-BE`, `zh-Hant-TW`) so that tags compare
/// case-insensitively. `nl_BE` (POSIX and Android style) is accepted too.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LanguageTag(String);

impl LanguageTag {
    pub fn parse(raw: &str) -> Result<Self, ValidationReason> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(ValidationReason::Blank);
        }
        if raw.chars().count() > MAX_TAG_CHARS {
            return Err(ValidationReason::TooLong {
                max_chars: MAX_TAG_CHARS,
            });
        }
        let mut out = String::with_capacity(raw.len());
        for (i, sub) in raw.split(['-', '_']).enumerate() {
            let ok_chars = sub.chars().all(|c| c.is_ascii_alphanumeric());
            let ok_len = (1..=8).contains(&sub.len());
            let ok_primary = i > 0
                || (sub.len() >= 2
                    && sub.len() <= 8
                    && sub.chars().all(|c| c.is_ascii_alphabetic()));
            if !ok_chars || !ok_len || !ok_primary {
                return Err(ValidationReason::Malformed);
            }
            if i > 0 {
                out.push('-');
            }
            match (i, sub.len()) {
                // region: NL, BE
                (1.., 2) if sub.chars().all(|c| c.is_ascii_alphabetic()) => {
                    out.push_str(&sub.to_ascii_uppercase())
                }
                // script: Hant, Latn
                (1.., 4) if sub.chars().all(|c| c.is_ascii_alphabetic()) => {
                    out.push_str(&sub[..1].to_ascii_uppercase());
                    out.push_str(&sub[1..].to_ascii_lowercase());
                }
                _ => out.push_str(&sub.to_ascii_lowercase()),
            }
        }
        Ok(LanguageTag(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag: `nl` for `nl-BE`.
    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// English, the last named step of the fallback chain.
    pub fn english() -> Self {
        LanguageTag("en".into())
    }
}

impl Ord for LanguageTag {
    fn cmp(&self, other: &Self) -> Ordering {
        // No allocation: this runs on every map lookup.
        self.0
            .bytes()
            .map(|b| b.to_ascii_lowercase())
            .cmp(other.0.bytes().map(|b| b.to_ascii_lowercase()))
    }
}

impl PartialOrd for LanguageTag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for LanguageTag {
    type Error = Error;
    fn try_from(raw: String) -> Result<Self> {
        LanguageTag::parse(&raw).map_err(|reason| Error::invalid("language", reason))
    }
}

impl From<LanguageTag> for String {
    fn from(tag: LanguageTag) -> String {
        tag.0
    }
}

/// Text in several languages (language tag → text), such as a segment name.
///
/// Always holds at least one non-blank entry. Blank entries are dropped on
/// construction: a Portal form with an empty translation field means "no
/// translation", not an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<String, String>",
    into = "BTreeMap<String, String>"
)]
pub struct LocalizedText(BTreeMap<LanguageTag, String>);

impl LocalizedText {
    /// Builds a text from (tag, text) pairs. `field` names the field in
    /// errors (`name` gives `name.nl` for a bad Dutch entry); every entry is
    /// trimmed and must be at most `max_chars` characters.
    pub fn new<I, T, S>(field: &str, entries: I, max_chars: usize) -> Result<Self>
    where
        I: IntoIterator<Item = (T, S)>,
        T: AsRef<str>,
        S: AsRef<str>,
    {
        let mut map = BTreeMap::new();
        for (tag, text) in entries {
            let tag = LanguageTag::parse(tag.as_ref())
                .map_err(|reason| Error::invalid(format!("{field}.language"), reason))?;
            let text = text.as_ref().trim();
            if text.is_empty() {
                continue;
            }
            if text.chars().count() > max_chars {
                return Err(Error::invalid(
                    format!("{field}.{tag}"),
                    ValidationReason::TooLong { max_chars },
                ));
            }
            if map.insert(tag.clone(), text.to_owned()).is_some() {
                return Err(Error::invalid(
                    format!("{field}.{tag}"),
                    ValidationReason::Duplicate,
                ));
            }
        }
        if map.is_empty() {
            return Err(Error::invalid(field, ValidationReason::NoText));
        }
        Ok(LocalizedText(map))
    }

    /// Shorthand for a text in one language, mostly for tests and examples.
    pub fn single(tag: &str, text: &str) -> Result<Self> {
        Self::new("text", [(tag, text)], usize::MAX)
    }

    /// The text for `locale`: the exact tag, then its language (`nl` for
    /// `nl-BE`), then any regional variant of that language (`nl-NL`), then
    /// the organization's default language, then English, then the first
    /// entry in tag order.
    pub fn resolve(&self, locale: &LanguageTag, org_default: Option<&LanguageTag>) -> &str {
        self.lookup_language(locale)
            .or_else(|| org_default.and_then(|tag| self.lookup_language(tag)))
            .or_else(|| self.0.get(&LanguageTag::english()).map(String::as_str))
            .or_else(|| self.0.values().next().map(String::as_str))
            .expect("LocalizedText always has an entry")
    }

    fn lookup_language(&self, tag: &LanguageTag) -> Option<&str> {
        let language = tag.language();
        self.0
            .get(tag)
            .or_else(|| {
                self.0
                    .iter()
                    .find(|(t, _)| t.as_str() == language)
                    .map(|(_, v)| v)
            })
            .or_else(|| {
                self.0
                    .iter()
                    .find(|(t, _)| t.language() == language)
                    .map(|(_, v)| v)
            })
            .map(String::as_str)
    }

    pub fn get(&self, tag: &LanguageTag) -> Option<&str> {
        self.0.get(tag).map(String::as_str)
    }

    pub fn entries(&self) -> impl Iterator<Item = (&LanguageTag, &str)> {
        self.0.iter().map(|(t, v)| (t, v.as_str()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a string map always serializes")
    }

    /// Decodes and validates text from outside (the wire).
    pub fn from_json(json: &str) -> Result<Self> {
        Ok(serde_json::from_str(json)?)
    }

    /// Decodes text this crate stored itself with [`Self::to_json`]: it was
    /// validated and its tags canonicalised on the way in, so this skips
    /// re-validation (the dropdown decodes thousands of these).
    pub fn from_stored_json(json: &str) -> Result<Self> {
        let map: BTreeMap<String, String> = serde_json::from_str(json)?;
        let text = LocalizedText(map.into_iter().map(|(t, v)| (LanguageTag(t), v)).collect());
        if text.0.is_empty() {
            return Err(Error::CorruptData {
                what: "multi-language text",
            });
        }
        Ok(text)
    }
}

impl TryFrom<BTreeMap<String, String>> for LocalizedText {
    type Error = Error;
    fn try_from(map: BTreeMap<String, String>) -> Result<Self> {
        LocalizedText::new("text", map, usize::MAX)
    }
}

impl From<LocalizedText> for BTreeMap<String, String> {
    fn from(text: LocalizedText) -> Self {
        text.0.into_iter().map(|(t, v)| (t.0, v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> LanguageTag {
        LanguageTag::parse(s).unwrap()
    }

    fn text(entries: &[(&str, &str)]) -> LocalizedText {
        LocalizedText::new("name", entries.iter().copied(), 200).unwrap()
    }

    #[test]
    fn tags_are_canonicalised_and_compare_case_insensitively() {
        assert_eq!(tag("NL-be").as_str(), "nl-BE");
        assert_eq!(tag("nl_BE"), tag("nl-be"));
        assert_eq!(tag("zh-hant-tw").as_str(), "zh-Hant-TW");
        assert_eq!(tag("EN").as_str(), "en");
        assert_eq!(tag("nl-BE").language(), "nl");
    }

    #[test]
    fn malformed_tags_are_refused() {
        for bad in [
            "n",
            "nl--BE",
            "nl-",
            "-nl",
            "1l",
            "nl-BE!",
            "nl BE",
            "abcdefghij",
            "nl-abcdefghi",
        ] {
            assert_eq!(
                LanguageTag::parse(bad),
                Err(ValidationReason::Malformed),
                "{bad}"
            );
        }
        assert_eq!(LanguageTag::parse("  "), Err(ValidationReason::Blank));
        let long = format!("en{}", "-abc".repeat(10));
        assert!(matches!(
            LanguageTag::parse(&long),
            Err(ValidationReason::TooLong { .. })
        ));
    }

    #[test]
    fn resolution_follows_the_fallback_chain() {
        let t = text(&[
            ("en", "Retail"),
            ("nl", "Detailhandel"),
            ("nl-BE", "Kleinhandel"),
            ("fr", "Commerce"),
        ]);
        assert_eq!(t.resolve(&tag("nl-BE"), None), "Kleinhandel", "exact tag");
        assert_eq!(
            t.resolve(&tag("NL-be"), None),
            "Kleinhandel",
            "case-insensitive"
        );
        assert_eq!(t.resolve(&tag("nl-NL"), None), "Detailhandel", "language");
        assert_eq!(
            t.resolve(&tag("de"), Some(&tag("fr"))),
            "Commerce",
            "org default"
        );
        assert_eq!(t.resolve(&tag("de"), None), "Retail", "English");
        let no_en = text(&[("fr", "Commerce"), ("de", "Handel")]);
        assert_eq!(
            no_en.resolve(&tag("it"), None),
            "Handel",
            "first in tag order"
        );
        assert_eq!(
            no_en.resolve(&tag("it"), Some(&tag("es"))),
            "Handel",
            "org default missing"
        );
    }

    #[test]
    fn a_regional_entry_serves_the_bare_language_and_sibling_regions() {
        let t = text(&[("en", "Retail"), ("nl-NL", "Detailhandel")]);
        assert_eq!(t.resolve(&tag("nl"), None), "Detailhandel");
        assert_eq!(t.resolve(&tag("nl-BE"), None), "Detailhandel");
    }

    #[test]
    fn blank_entries_are_dropped_but_one_text_is_required() {
        let t = text(&[("en", " Retail "), ("nl", "  ")]);
        assert_eq!(t.entries().count(), 1);
        assert_eq!(t.get(&tag("en")), Some("Retail"));
        let err = LocalizedText::new("name", [("en", " "), ("nl", "")], 200).unwrap_err();
        assert!(
            matches!(err, Error::Validation { ref field, reason: ValidationReason::NoText } if field == "name")
        );
        let none: [(&str, &str); 0] = [];
        assert!(LocalizedText::new("name", none, 200).is_err());
    }

    #[test]
    fn bad_entries_name_their_field() {
        let err = LocalizedText::new("name", [("en", "x".repeat(201))], 200).unwrap_err();
        assert!(
            matches!(err, Error::Validation { ref field, reason: ValidationReason::TooLong { max_chars: 200 } } if field == "name.en")
        );
        let err = LocalizedText::new("name", [("en", "a"), ("EN", "b")], 200).unwrap_err();
        assert!(
            matches!(err, Error::Validation { ref field, reason: ValidationReason::Duplicate } if field == "name.en")
        );
        let err = LocalizedText::new("name", [("e!", "a")], 200).unwrap_err();
        assert!(
            matches!(err, Error::Validation { ref field, reason: ValidationReason::Malformed } if field == "name.language")
        );
    }

    #[test]
    fn json_round_trip_validates() {
        let t = text(&[("en", "Retail"), ("nl", "Detailhandel")]);
        assert_eq!(LocalizedText::from_json(&t.to_json()).unwrap(), t);
        assert!(LocalizedText::from_json(r#"{"en":"  "}"#).is_err());
        assert!(LocalizedText::from_json(r#"{"e n":"x"}"#).is_err());
        assert_eq!(LocalizedText::from_stored_json(&t.to_json()).unwrap(), t);
        assert!(LocalizedText::from_stored_json("{}").is_err());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn any_tag() -> impl Strategy<Value = String> {
            prop_oneof![
                "[a-zA-Z]{2,3}",
                "[a-zA-Z]{2,3}[-_][a-zA-Z]{2}",
                "[a-zA-Z]{2,3}-[a-zA-Z]{4}-[a-zA-Z]{2}",
            ]
        }

        proptest! {
            #[test]
            fn resolve_always_returns_one_of_the_entries(
                entries in proptest::collection::btree_map(any_tag(), "[a-z]{1,8}", 1..6),
                locale in any_tag(),
                org in proptest::option::of(any_tag()),
            ) {
                // Tags equal up to case collapse into one entry or fail as duplicates.
                if let Ok(t) = LocalizedText::new("name", entries.iter(), 50) {
                    let locale = tag(&locale);
                    let org = org.map(|o| tag(&o));
                    let got = t.resolve(&locale, org.as_ref());
                    prop_assert!(t.entries().any(|(_, v)| v == got));
                    if let Some(exact) = t.get(&locale) {
                        prop_assert_eq!(got, exact);
                    }
                }
            }

            #[test]
            fn parse_is_idempotent(raw in any_tag()) {
                let once = tag(&raw);
                prop_assert_eq!(tag(once.as_str()), once.clone());
                prop_assert_eq!(tag(&raw.to_uppercase()), once);
            }
        }
    }
}
