//! The domain: what the Portal configures, what the device edits, and who is
//! working. Plain data with validation; no storage here.

pub mod criteria;
mod customer;
mod customer_segment;
// Generated (fold_table_tests.rs): laid out by its generator, not rustfmt.
#[rustfmt::skip]
mod fold_table;
#[cfg(test)]
mod fold_table_tests;
mod frequency;
mod locale;
mod picklist;
pub mod profile;
mod remote;
mod segment;
mod session;
mod views;

pub use customer::{
    Customer, CustomerDraft, CustomerField, CustomerUpdate, MAX_CUSTOMER_NAME_CHARS,
};
pub use customer_segment::{
    CustomerSegment, CustomerSegmentDefinition, CustomerSegmentDraft, CustomerSegmentKind,
    MAX_PRIORITY, cycle_error, inclusion_cycle,
};
pub use frequency::VisitFrequency;
pub use locale::{LanguageTag, LocalizedText};
pub use picklist::{PicklistDraft, PicklistKind, PicklistOption, PicklistValue};
pub use remote::RemoteCustomer;
pub use segment::{
    MAX_DESCRIPTION_CHARS, MAX_LABEL_CHARS, OrgScope, Segment, SegmentDefinition, SegmentDraft,
    SegmentOption,
};
pub use session::{Organization, Role, Session};
pub use views::{CustomerView, DueVisit, SegmentCount, SegmentLabel};

use crate::error::{Error, Result, ValidationReason};

/// Longest id accepted (server ids and device UUIDs are far shorter).
pub const MAX_ID_CHARS: usize = 128;

/// Checks an id: not blank, no white space or control characters, bounded.
pub fn validate_id(field: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::invalid(field, ValidationReason::Blank));
    }
    if id.chars().count() > MAX_ID_CHARS {
        return Err(Error::invalid(
            field,
            ValidationReason::TooLong {
                max_chars: MAX_ID_CHARS,
            },
        ));
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(field, ValidationReason::Malformed));
    }
    Ok(())
}

/// The key names and labels sort and match by: lower case without
/// diacritics, so `École` sorts among the E's and `ecole` finds it.
pub fn fold_for_search(text: &str) -> String {
    // Most names are ASCII: nothing to decompose, the same answer faster
    // (every customer row of a pull computes its key).
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    fold_unicode(text)
}

/// Canonical decomposition (NFD), then every mark (General_Category=Mark)
/// dropped, then lower case: the keys users' databases hold, so the answer
/// must never change for any string (fold_table_tests.rs checks it against
/// ICU4X for every code point).
///
/// Decomposing char by char is exact here: canonical reordering only moves
/// characters of non-zero combining class, which are all marks (tested), and
/// marks are dropped. So each char is replaced by the non-mark part of its
/// own decomposition, from `fold_table` (generated from ICU4X's data: a few
/// KB instead of linking ICU4X's normalizer and properties).
fn fold_unicode(text: &str) -> String {
    // Lower case last, on the whole text: Σ's lower case depends on its
    // neighbours (final ς), as it did after ICU's normalizer.
    unmark(text).to_lowercase()
}

/// Each char replaced by the non-mark characters of its canonical
/// decomposition.
fn unmark(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Unchanged chars are copied in runs, not pushed one by one.
    let mut same_from = 0;
    for (at, c) in text.char_indices() {
        let fold = fold_char(c);
        if let CharFold::Same = fold {
            continue;
        }
        if same_from < at {
            out.push_str(&text[same_from..at]);
        }
        same_from = at + c.len_utf8();
        match fold {
            CharFold::Same | CharFold::Dropped => {}
            CharFold::Code(code) => push_code(code, &mut out),
            CharFold::Hangul => push_hangul(c, &mut out),
        }
    }
    out.push_str(&text[same_from..]);
    out
}

/// What a char becomes before lower case.
enum CharFold {
    Same,
    /// A mark.
    Dropped,
    /// From fold_table: see `push_code`.
    Code(u16),
    /// A Hangul syllable: see `push_hangul`.
    Hangul,
}

fn fold_char(c: char) -> CharFold {
    use fold_table::*;
    let cp = c as u32;
    if cp < FIRST_AFFECTED {
        return CharFold::Same;
    }
    if HANGUL_SYLLABLES.contains(&cp) {
        return CharFold::Hangul;
    }
    let s = section(cp);
    // A section's keys and ranges share the bits above their low 16.
    let low = cp as u16;
    let (first, end) = (
        usize::from(KEY_SECTIONS[s]),
        usize::from(KEY_SECTIONS[s + 1]),
    );
    if let Ok(i) = KEYS[first..end].binary_search(&low) {
        return CharFold::Code(CODES[first + i]);
    }
    let marks = &MARKS[usize::from(MARK_SECTIONS[s])..usize::from(MARK_SECTIONS[s + 1])];
    // The first range starting after `low`; a mark is in the one before.
    let after = marks.partition_point(|&(start, _)| start <= low);
    if after > 0 && low <= marks[after - 1].1 {
        CharFold::Dropped
    } else {
        CharFold::Same
    }
}

/// fold_table's keys and mark ranges are cut into sections: blocks of 256
/// chars for the BMP, so that a lookup searches a few dozen entries at most,
/// then one per supplementary plane (rare text). Within a section the low 16
/// bits tell chars apart, so the tables hold `u16`s.
fn section(cp: u32) -> usize {
    const BMP_SECTIONS: u32 = 0x1_0000 >> 8;
    (if cp < 0x1_0000 {
        cp >> 8
    } else {
        BMP_SECTIONS - 1 + (cp >> 16)
    }) as usize
}

/// A table code: a BMP char, or for anything else (a supplementary char,
/// several chars) a surrogate, `0xD800 + i`, pointing at `EXPANSIONS[i..]`,
/// whose last char has `EXPANSION_END` set. Surrogates are never chars, so
/// the two cannot be confused, and the common case stays two bytes.
fn push_code(code: u16, out: &mut String) {
    use fold_table::{EXPANSION_END, EXPANSIONS};
    match code {
        0xD800..=0xDFFF => {
            for &e in &EXPANSIONS[usize::from(code - 0xD800)..] {
                push_u32(e & !EXPANSION_END, out);
                if e & EXPANSION_END != 0 {
                    break;
                }
            }
        }
        _ => push_u32(code.into(), out),
    }
}

/// Pushes a char from the tables or the Hangul arithmetic: all valid (the
/// tests check every code point's fold), so none is ever skipped.
fn push_u32(c: u32, out: &mut String) {
    if let Some(c) = char::from_u32(c) {
        out.push(c);
    }
}

const HANGUL_SYLLABLES: std::ops::RangeInclusive<u32> = 0xAC00..=0xD7A3;

/// A Hangul syllable's decomposition is arithmetic (Unicode's chapter 3.12):
/// leading consonant, vowel and, unless the index says none, trailing
/// consonant, all conjoining jamo (letters, not marks).
fn push_hangul(syllable: char, out: &mut String) {
    const L_BASE: u32 = 0x1100;
    const V_BASE: u32 = 0x1161;
    const T_BASE: u32 = 0x11A7;
    const V_COUNT: u32 = 21;
    const T_COUNT: u32 = 28;
    let s = syllable as u32 - HANGUL_SYLLABLES.start();
    let (l, v, t) = (
        s / (V_COUNT * T_COUNT),
        s % (V_COUNT * T_COUNT) / T_COUNT,
        s % T_COUNT,
    );
    push_u32(L_BASE + l, out);
    push_u32(V_BASE + v, out);
    if t != 0 {
        push_u32(T_BASE + t, out);
    }
}

/// Trims a free text and checks it against `max_chars`; blank becomes `None`.
pub fn optional_text(field: &str, text: Option<&str>, max_chars: usize) -> Result<Option<String>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > max_chars => Err(Error::invalid(
            field,
            ValidationReason::TooLong { max_chars },
        )),
        Some(t) => Ok(Some(t.to_owned())),
    }
}

/// Trims a mandatory text and checks it against `max_chars`.
pub fn required_text(field: &str, text: &str, max_chars: usize) -> Result<String> {
    optional_text(field, Some(text), max_chars)?
        .ok_or_else(|| Error::invalid(field, ValidationReason::Blank))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(validate_id("id", "seg-1").is_ok());
        assert!(matches!(
            validate_id("id", " "),
            Err(Error::Validation {
                reason: ValidationReason::Blank,
                ..
            })
        ));
        assert!(matches!(
            validate_id("id", "a b"),
            Err(Error::Validation {
                reason: ValidationReason::Malformed,
                ..
            })
        ));
        assert!(matches!(
            validate_id("id", "a\u{0}"),
            Err(Error::Validation {
                reason: ValidationReason::Malformed,
                ..
            })
        ));
        assert!(matches!(
            validate_id("id", &"x".repeat(129)),
            Err(Error::Validation {
                reason: ValidationReason::TooLong { max_chars: 128 },
                ..
            })
        ));
    }

    #[test]
    fn folding_drops_case_and_accents() {
        assert_eq!(
            fold_for_search("École Île-de-France"),
            "ecole ile-de-france"
        );
        assert_eq!(fold_for_search("Bäckerei ØST"), "backerei øst");
    }

    proptest::proptest! {
        #[test]
        fn the_ascii_shortcut_folds_as_the_full_path(
            text in "[ -~]{0,40}|\\PC{0,20}",
        ) {
            proptest::prop_assert_eq!(fold_for_search(&text), fold_unicode(&text));
        }

        /// The fold was built on the unicode-normalization crate before it
        /// moved to ICU4X's data (the same Unicode version): same answers.
        #[test]
        fn the_fold_matches_unicode_normalization(text in "\\PC{0,20}") {
            proptest::prop_assert_eq!(fold_unicode(&text), fold_with_unicode_normalization(&text));
        }
    }

    #[test]
    fn every_code_point_folds_as_with_unicode_normalization() {
        let mut text = String::new();
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            text.clear();
            text.push(c);
            assert_eq!(
                fold_unicode(&text),
                fold_with_unicode_normalization(&text),
                "U+{:04X}",
                c as u32
            );
        }
    }

    fn fold_with_unicode_normalization(text: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        use unicode_normalization::char::is_combining_mark;
        text.nfd()
            .filter(|c| !is_combining_mark(*c))
            .collect::<String>()
            .to_lowercase()
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(
            optional_text("d", Some("  hi "), 5).unwrap(),
            Some("hi".into())
        );
        assert_eq!(optional_text("d", Some("   "), 5).unwrap(), None);
        assert_eq!(optional_text("d", None, 5).unwrap(), None);
        // characters, not bytes
        assert!(optional_text("d", Some("ééééé"), 5).is_ok());
        assert!(optional_text("d", Some("éééééé"), 5).is_err());
        assert!(
            matches!(required_text("name", " ", 5), Err(Error::Validation { ref field, reason: ValidationReason::Blank }) if field == "name")
        );
    }
}
