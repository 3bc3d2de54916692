//! fold_table.rs's generator and the proofs that the table-driven
//! `fold_unicode` answers exactly as ICU4X's normalizer did (its keys are
//! stored in users' databases). ICU4X is a dev-dependency only: the shipped
//! library carries the generated table instead.
//!
//! The generator is a test (rust-analyzer's "sourcegen" pattern): it builds
//! the table's text from ICU4X and fails when the checked-in file differs;
//! `FIELDSYNC_REGENERATE=1` rewrites the file instead.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use icu_normalizer::DecomposingNormalizerBorrowed;
use icu_properties::CodePointMapData;
use icu_properties::props::{CanonicalCombiningClass, GeneralCategory, GeneralCategoryGroup};
use proptest::prelude::*;

use super::{HANGUL_SYLLABLES, fold_table, fold_unicode, section, unmark};

/// What icu_normalizer_data / icu_properties_data (2.4) were built from, for
/// the header; update it with them (their README says it).
const UNICODE_VERSION: &str = "18.0.0";
/// Escapes into EXPANSIONS are surrogates, 0xD800 + index.
const ESCAPE_BASE: u32 = 0xD800;
const ESCAPE_LIMIT: u32 = 0xE000;

/// The fold as it was built on ICU4X: the reference every answer must match.
fn fold_with_icu(text: &str) -> String {
    DecomposingNormalizerBorrowed::new_nfd()
        .normalize_iter(text.chars())
        .filter(|&c| !is_mark(c))
        .collect::<String>()
        .to_lowercase()
}

fn is_mark(c: char) -> bool {
    GeneralCategoryGroup::Mark.contains(CodePointMapData::<GeneralCategory>::new().get(c))
}

/// ICU's NFD of one char, marks dropped: what the table gives, before lower case.
fn unmarked_with_icu(c: char) -> String {
    DecomposingNormalizerBorrowed::new_nfd()
        .normalize_iter(std::iter::once(c))
        .filter(|&c| !is_mark(c))
        .collect()
}

fn unmarked_with_table(c: char) -> String {
    unmark(c.encode_utf8(&mut [0; 4]))
}

fn all_chars() -> impl Iterator<Item = char> {
    (0..=char::MAX as u32).filter_map(char::from_u32)
}

fn u(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

// ---- the generator ----

/// The generated tables, as fold_table.rs lays them out (see `section`).
#[derive(Default)]
struct Tables {
    first_affected: u32,
    keys: Vec<u32>,
    codes: Vec<u16>,
    expansions: Vec<u32>,
    marks: Vec<(u32, u32)>,
}

fn build_tables() -> Tables {
    let mut t = Tables::default();
    // Each distinct replacement is stored once in EXPANSIONS.
    let mut escapes: HashMap<Vec<char>, u16> = HashMap::new();
    for c in all_chars() {
        let cp = c as u32;
        let unmarked: Vec<char> = unmarked_with_icu(c).chars().collect();
        if is_mark(c) {
            // Dropping a mark whole is exact only if nothing of it survives.
            assert!(
                unmarked.is_empty(),
                "{} is a mark but keeps {unmarked:?}",
                u(c)
            );
            // A range ends with its section (lookups search one section).
            match t.marks.last_mut() {
                Some((_, end)) if *end + 1 == cp && section(*end) == section(cp) => *end = cp,
                _ => t.marks.push((cp, cp)),
            }
            continue;
        }
        // Hangul syllables are computed (push_hangul), the rest unchanged.
        if HANGUL_SYLLABLES.contains(&cp) || unmarked == [c] {
            continue;
        }
        assert!(
            !unmarked.is_empty(),
            "{} keeps nothing but is no mark",
            u(c)
        );
        let code = match unmarked[..] {
            [single] if u16::try_from(single as u32).is_ok() => single as u16,
            _ => *escapes.entry(unmarked.clone()).or_insert_with(|| {
                let index = u32::try_from(t.expansions.len()).unwrap();
                assert!(
                    ESCAPE_BASE + index < ESCAPE_LIMIT,
                    "EXPANSIONS outgrew its escapes"
                );
                let mut chars: Vec<u32> = unmarked.iter().map(|&e| e as u32).collect();
                *chars.last_mut().unwrap() |= fold_table::EXPANSION_END;
                t.expansions.extend(chars);
                (ESCAPE_BASE + index) as u16
            }),
        };
        t.keys.push(cp);
        t.codes.push(code);
    }
    t.first_affected = t.keys[0].min(t.marks[0].0);
    t
}

/// For each section and the end, where its entries start: `starts[s]..starts[s + 1]`.
fn section_starts(sorted: impl Iterator<Item = u32> + Clone) -> Vec<u16> {
    (0..=section(char::MAX as u32) + 1)
        .map(|s| u16::try_from(sorted.clone().filter(|&cp| section(cp) < s).count()).unwrap())
        .collect()
}

/// The ICU4X crates' versions, from the workspace's Cargo.lock.
fn locked_version(krate: &str) -> String {
    let lock = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    let lock = std::fs::read_to_string(lock).expect("the workspace's Cargo.lock");
    let name = format!("name = \"{krate}\"\nversion = \"");
    let at = lock
        .find(&name)
        .unwrap_or_else(|| panic!("{krate} in Cargo.lock"))
        + name.len();
    lock[at..].split('"').next().unwrap().to_owned()
}

/// Writes `items` as the body of an array, `per_line` to a line.
fn array<T>(out: &mut String, items: &[T], per_line: usize, item: impl Fn(&T) -> String) {
    for line in items.chunks(per_line) {
        let line: Vec<String> = line.iter().map(&item).collect();
        writeln!(out, "    {},", line.join(", ")).unwrap();
    }
}

fn generate() -> String {
    let t = build_tables();
    let versions: Vec<String> = [
        "icu_normalizer",
        "icu_normalizer_data",
        "icu_properties",
        "icu_properties_data",
    ]
    .iter()
    .map(|k| format!("{k} {}", locked_version(k)))
    .collect();
    let mut out = String::new();
    let o = &mut out;
    writeln!(
        o,
        "//! @generated by `fold_table_is_up_to_date` (core/src/model/fold_table_tests.rs)\n\
         //! from ICU4X's data: {}, {};\n\
         //! {}, {}; Unicode {UNICODE_VERSION}.\n\
         //! Do not edit: regenerate with\n\
         //!   FIELDSYNC_REGENERATE=1 cargo test -p fieldsync-core fold_table_is_up_to_date\n\
         //!\n\
         //! For fold_unicode (mod.rs): what each char becomes before lower case, the\n\
         //! non-mark characters of its canonical decomposition (NFD). Marks become\n\
         //! nothing; Hangul syllables are computed; any other char is itself. Keys\n\
         //! and ranges hold a char's low 16 bits; `section` (mod.rs) gives the rest.\n",
        versions[0], versions[1], versions[2], versions[3]
    )
    .unwrap();
    writeln!(
        o,
        "/// Below this no char decomposes and none is a mark.\n\
         pub(super) const FIRST_AFFECTED: u32 = 0x{:04X};\n",
        t.first_affected
    )
    .unwrap();
    let hex = |x: &u16| format!("0x{x:04X}");
    let low = |cp: u32| cp as u16;
    let starts = section_starts(t.keys.iter().copied());
    writeln!(
        o,
        "/// Where each section's keys start in KEYS (and CODES); one more for the end.\n\
         pub(super) static KEY_SECTIONS: [u16; {}] = [",
        starts.len()
    )
    .unwrap();
    array(o, &starts, 16, |x| format!("{x:4}"));
    let keys: Vec<u16> = t.keys.iter().map(|&k| low(k)).collect();
    writeln!(
        o,
        "];\n\n/// The chars that decompose, sorted within each section.\n\
         pub(super) static KEYS: [u16; {}] = [",
        keys.len()
    )
    .unwrap();
    array(o, &keys, 12, hex);
    writeln!(
        o,
        "];\n/// What each of KEYS becomes: a BMP char, or a surrogate 0xD800 + i for\n\
         /// `EXPANSIONS[i..]`.\n\
         pub(super) static CODES: [u16; {}] = [",
        t.codes.len()
    )
    .unwrap();
    array(o, &t.codes, 12, hex);
    writeln!(
        o,
        "];\n\n/// Set on the last char of each replacement in EXPANSIONS.\n\
         pub(super) const EXPANSION_END: u32 = 1 << 31;\n\
         /// Replacements that are not one BMP char (supplementary, or several).\n\
         pub(super) static EXPANSIONS: [u32; {}] = [",
        t.expansions.len()
    )
    .unwrap();
    array(o, &t.expansions, 8, |x| format!("0x{x:08X}"));
    let starts = section_starts(t.marks.iter().map(|&(start, _)| start));
    writeln!(
        o,
        "];\n\n/// Where each section's ranges start in MARKS; one more for the end.\n\
         pub(super) static MARK_SECTIONS: [u16; {}] = [",
        starts.len()
    )
    .unwrap();
    array(o, &starts, 16, |x| format!("{x:4}"));
    writeln!(
        o,
        "];\n\n/// General_Category=Mark: inclusive ranges, sorted within each section.\n\
         pub(super) static MARKS: [(u16, u16); {}] = [",
        t.marks.len()
    )
    .unwrap();
    array(o, &t.marks, 5, |&(s, e)| {
        format!("(0x{:04X}, 0x{:04X})", low(s), low(e))
    });
    out.push_str("];\n");
    out
}

#[test]
fn fold_table_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/model/fold_table.rs");
    let fresh = generate();
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current.replace("\r\n", "\n") == fresh {
        return;
    }
    if std::env::var_os("FIELDSYNC_REGENERATE").is_some_and(|v| v == "1") {
        std::fs::write(&path, fresh).expect("writing fold_table.rs");
        return;
    }
    panic!(
        "{} is not what ICU4X's data gives. Regenerate it with\n  \
         FIELDSYNC_REGENERATE=1 cargo test -p fieldsync-core fold_table_is_up_to_date\n\
         then review the diff: a fold that changes changes the keys stored in users' \
         databases.",
        path.display()
    );
}

/// The table stays small: it stands in for ~65 KB of ICU4X's code and data.
#[test]
fn fold_table_is_compact() {
    use fold_table::*;
    use std::mem::size_of_val;
    let sizes = [
        ("KEY_SECTIONS", size_of_val(&KEY_SECTIONS)),
        ("KEYS", size_of_val(&KEYS)),
        ("CODES", size_of_val(&CODES)),
        ("EXPANSIONS", size_of_val(&EXPANSIONS)),
        ("MARK_SECTIONS", size_of_val(&MARK_SECTIONS)),
        ("MARKS", size_of_val(&MARKS)),
    ];
    let total: usize = sizes.iter().map(|(_, size)| size).sum();
    println!("fold_table: {sizes:?}, {total} bytes in all");
    assert!(total <= 12 * 1024, "fold_table grew to {total} bytes");
}

// ---- the fold answers as ICU4X's did ----

/// Char-by-char decomposition is exact only because canonical reordering
/// moves nothing but characters of non-zero combining class, and those are
/// all marks, which the fold drops.
#[test]
fn every_reordered_char_is_a_mark() {
    let ccc = CodePointMapData::<CanonicalCombiningClass>::new();
    let not_marks: Vec<String> = all_chars()
        .filter(|&c| ccc.get(c) != CanonicalCombiningClass::NotReordered && !is_mark(c))
        .map(u)
        .collect();
    assert!(
        not_marks.is_empty(),
        "chars of non-zero combining class that are not marks: {not_marks:?}"
    );
}

#[test]
fn every_char_decomposes_as_with_icu() {
    for c in all_chars() {
        assert_eq!(unmarked_with_table(c), unmarked_with_icu(c), "{}", u(c));
    }
}

#[test]
fn every_code_point_folds_as_with_icu() {
    let mut text = String::new();
    for c in all_chars() {
        text.clear();
        text.push(c);
        assert_eq!(fold_unicode(&text), fold_with_icu(&text), "{}", u(c));
    }
}

#[test]
fn hangul_and_multi_char_replacements() {
    // 한 = ᄒ ᅡ ᆫ; 가 has no trailing consonant.
    assert_eq!(
        fold_unicode("한가"),
        "\u{1112}\u{1161}\u{11AB}\u{1100}\u{1161}"
    );
    // Kirat Rai's vowel signs are letters, so their decompositions stay whole.
    assert_eq!(fold_unicode("\u{16D6A}"), "\u{16D63}\u{16D67}\u{16D67}");
    // Final sigma: lower case sees the whole text, marks already gone.
    assert_eq!(fold_unicode("ΌΣΟΣ ΣΆΣ"), fold_with_icu("ΌΣΟΣ ΣΆΣ"));
    assert_eq!(fold_unicode("ΌΣΟΣ ΣΆΣ"), "οσος σας");
}

/// Pieces of text where decomposition, mark order and context matter.
fn tricky_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{1,4}",
        // Latin, precomposed or not, with a run of marks of mixed
        // combining classes (0, 220, 230, 202, 216, 1, 9 ...) in any order.
        r"[a-zA-Z\x{C0}-\x{24F}\x{1E00}-\x{1EFF}][\x{300}-\x{36F}\x{1AB0}-\x{1ACE}\x{20D0}-\x{20F0}\x{93C}\x{94D}\x{93E}\x{1D165}-\x{1D169}]{0,5}",
        r"[\x{300}-\x{36F}\x{591}-\x{5C7}\x{64B}-\x{65F}\x{F71}-\x{F84}]{1,5}",
        // Hangul syllables and conjoining jamo, alone or around marks.
        r"[\x{AC00}-\x{D7A3}\x{1100}-\x{11FF}\x{A960}-\x{A97F}\x{D7B0}-\x{D7FF}\x{3131}-\x{318E}]{1,4}",
        // Greek, capital sigma in final and non-final places.
        r"[\x{386}-\x{3CE}\x{1F00}-\x{1FFE}]{0,3}Σ[\x{301}\x{308}\x{345}]{0,2}[ .Σ\x{391}-\x{3A9}]{0,2}",
        // Compatibility ideographs, Kirat Rai, musical symbols, Indic nuktas.
        r"[\x{F900}-\x{FAFF}\x{2F800}-\x{2FA1F}\x{16D40}-\x{16D79}\x{1D15E}-\x{1D1C0}\x{958}-\x{95F}\x{1109A}-\x{110AB}]{1,3}",
        r"\PC{1,6}",
    ]
}

proptest! {
    #[test]
    fn texts_fold_as_with_icu(pieces in proptest::collection::vec(tricky_piece(), 0..10)) {
        let text = pieces.concat();
        prop_assert_eq!(fold_unicode(&text), fold_with_icu(&text));
    }
}
