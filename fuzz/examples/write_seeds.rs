//! Writes every target's seeds into `corpus/<target>/seed-NNN` (to start a
//! corpus, or after the seeds change):
//! `cargo run --manifest-path fuzz/Cargo.toml --no-default-features --example write_seeds`.

use std::path::PathBuf;

use fieldsync_fuzz::{TARGETS, seeds};

fn main() {
    for (target, _) in TARGETS {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(target);
        std::fs::create_dir_all(&dir).expect("the corpus directory");
        for (i, seed) in seeds(target).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:03}")), seed).expect("a seed file");
        }
        println!("{target}: {} seeds written", seeds(target).len());
    }
}
