//! Replays every committed corpus file (`corpus/<target>/`, crashes found
//! and fixed included) and every seed through the targets' checks, on
//! stable, without libFuzzer: `cargo test --manifest-path fuzz/Cargo.toml
//! --no-default-features` (a stage of `./test.sh`).

use std::path::PathBuf;

use fieldsync_fuzz::{TARGETS, seeds};

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

fn replay(target: &str) {
    let check = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, check)| *check)
        .expect("a target");
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir(target))
        .unwrap_or_else(|e| panic!("corpus/{target}: {e}"))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "corpus/{target} is empty");
    for file in &files {
        let data = std::fs::read(file).expect("a corpus file");
        eprintln!("{target}: {}", file.display());
        check(&data);
    }
    for seed in seeds(target) {
        check(&seed);
    }
    println!(
        "{target}: {} corpus files and the seeds replayed",
        files.len()
    );
}

#[test]
fn feed_page() {
    replay("feed_page");
}

#[test]
fn feed_page_structured() {
    replay("feed_page_structured");
}

#[test]
fn criteria() {
    replay("criteria");
}

#[test]
fn language_tag() {
    replay("language_tag");
}

#[test]
fn mock_bodies() {
    replay("mock_bodies");
}

/// The seeds are what they claim: every feed seed applies without a
/// skipped record, every criteria seed parses.
#[test]
fn seeds_are_valid() {
    use fieldsync_core::model::criteria::Criteria;
    for tree in fieldsync_fuzz::seed_criteria_trees() {
        Criteria::parse(&tree).unwrap_or_else(|e| panic!("{tree}: {e}"));
    }
}
