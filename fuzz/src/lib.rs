//! The checks behind the fuzz targets (`fuzz_targets/*.rs`, cargo-fuzz and
//! libFuzzer), in plain functions: the targets call them with libFuzzer's
//! inputs, and `tests/replay.rs` calls them with every committed corpus file
//! (`corpus/<target>/`), on stable, without libFuzzer.
//!
//! Each function takes any bytes and panics only when it finds a bug: a
//! panic in fieldsync, or a property below that does not hold. Errors
//! fieldsync returns are fine (that is what hostile input should get).

mod checks;
mod mock;
mod seeds;
mod structured;

pub use checks::{criteria, feed_page, language_tag};
pub use mock::mock_bodies;
pub use seeds::{criteria_trees as seed_criteria_trees, seeds};
pub use structured::feed_page_structured;

/// A target's check: any bytes; panics on a bug.
pub type Check = fn(&[u8]);

/// Every target: its name (the directory of its corpus) and its check.
pub const TARGETS: [(&str, Check); 5] = [
    ("feed_page", feed_page),
    ("feed_page_structured", feed_page_structured),
    ("criteria", criteria),
    ("language_tag", language_tag),
    ("mock_bodies", mock_bodies),
];
