//! The domain: what the Portal configures, what the device edits, and who is
//! working. Plain data with validation; no storage here.

pub mod criteria;
mod customer;
mod customer_segment;
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
/// dropped, then lower case. The Unicode data comes from ICU4X, which the
/// HTTP stack links anyway (URL host names, IDNA): a second copy of the
/// decomposition tables would add about 120 KiB to the shipped library.
fn fold_unicode(text: &str) -> String {
    use icu_normalizer::DecomposingNormalizerBorrowed;
    use icu_properties::CodePointMapData;
    use icu_properties::props::{GeneralCategory, GeneralCategoryGroup};
    let general_category = CodePointMapData::<GeneralCategory>::new();
    DecomposingNormalizerBorrowed::new_nfd()
        .normalize_iter(text.chars())
        .filter(|&c| !GeneralCategoryGroup::Mark.contains(general_category.get(c)))
        .collect::<String>()
        .to_lowercase()
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
