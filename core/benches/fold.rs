//! `fold_for_search` on non-ASCII text (the sort and search key of every
//! customer a pull applies): fieldsync's generated table against the limit
//! measured in the same run, ICU4X's normalizer and general-category data
//! doing the same fold (NFD, marks dropped, lower case), which the library
//! used before the table. Nanoseconds per char, the best of 10 rounds of
//! 20,000 folds per sample (the machine may be busy).
//!
//! `cargo bench -p fieldsync-core --bench fold`; writes
//! `<target>/bench/fold.json`.

use std::hint::black_box;
use std::time::Instant;

use fieldsync_core::model::fold_for_search;
use icu_normalizer::DecomposingNormalizerBorrowed;
use icu_properties::CodePointMapData;
use icu_properties::props::{GeneralCategory, GeneralCategoryGroup};

const SAMPLES: [(&str, &str); 6] = [
    (
        "mixed names",
        "École Île-de-France, Bäckerei ØST, Łódź, Ærøskøbing, Nguyễn Thị Hằng, \
         Σωκράτης Παπαδόπουλος, Ѓорѓија Јовановиќ, Москва, 서울특별시 강남구, \
         東京都千代田区, Ñandú, Çağrı Şahin, Dvořák, Tōkyō, São Paulo",
    ),
    ("accented Latin", "ÉÀÇÜÖÄéàçüöäñÑõøåÅæœšžčćđłńśźżőűăâîșțếệộ"),
    (
        "Cyrillic",
        "МоскваСанктПетербургНовосибирскЕкатеринбургКазань",
    ),
    ("Greek", "ΣωκράτηςΠαπαδόπουλοςΑθήναΘεσσαλονίκηΗράκλειο"),
    ("Hangul", "서울특별시강남구테헤란로부산광역시해운대구"),
    ("CJK", "東京都千代田区丸の内大阪府大阪市北区梅田"),
];

/// The fold as it was computed with ICU4X.
fn fold_with_icu(text: &str) -> String {
    let general_category = CodePointMapData::<GeneralCategory>::new();
    DecomposingNormalizerBorrowed::new_nfd()
        .normalize_iter(text.chars())
        .filter(|&c| !GeneralCategoryGroup::Mark.contains(general_category.get(c)))
        .collect::<String>()
        .to_lowercase()
}

fn ns_per_char(fold: fn(&str) -> String, sample: &str) -> f64 {
    const ROUNDS: u32 = 20_000;
    let mut best = f64::MAX;
    for _ in 0..10 {
        let started = Instant::now();
        for _ in 0..ROUNDS {
            black_box(fold(black_box(sample)));
        }
        best = best.min(started.elapsed().as_nanos() as f64 / f64::from(ROUNDS));
    }
    best / sample.chars().count() as f64
}

fn main() {
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let mut figures = Vec::new();
    println!("fold_for_search, ns a char (best of 10): table vs ICU4X (the limit), ratio");
    for (label, sample) in SAMPLES {
        assert_eq!(fold_for_search(sample), fold_with_icu(sample), "{label}");
        let table = ns_per_char(fold_for_search, sample);
        let icu = ns_per_char(fold_with_icu, sample);
        println!(
            "  {label:<15} table {table:6.1}  ICU4X {icu:6.1}  {:.2}x",
            table / icu
        );
        figures.push(serde_json::json!({
            "sample": label,
            "table_ns_per_char": round(table),
            "icu4x_ns_per_char": round(icu),
            "ratio": round(table / icu),
        }));
    }
    let path = std::env::current_exe()
        .unwrap()
        .ancestors()
        .nth(3)
        .unwrap()
        .join("bench/fold.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("{:#}\n", serde_json::Value::from(figures))).unwrap();
    println!("  figures written to {}", path.display());
}
