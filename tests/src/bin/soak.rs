//! `cargo run -p fieldsync-e2e --bin soak -- --runs 1000 --seed 1`: seeded
//! soak runs (see `fieldsync_e2e::soak`). Each run's seed is the start seed
//! plus its index; a failing run prints its seed, and `--runs 1 --seed <it>`
//! replays it. Exits 1 when any run failed.

use std::time::Instant;

use fieldsync_e2e::soak;

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    match args.iter().position(|a| a == name) {
        None => default,
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} takes a whole number")),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = arg(&args, "--runs", 50);
    let first = arg(&args, "--seed", 1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let mut total = soak::RunSummary::default();
    let mut failed = Vec::new();
    for seed in first..first + runs {
        // A panicking run is caught here, so the others still run.
        match runtime.block_on(async { tokio::spawn(soak::run(seed)).await }) {
            Ok(s) => {
                total.local_changes += s.local_changes;
                total.refused_locally += s.refused_locally;
                total.set_aside += s.set_aside;
                total.office_edits += s.office_edits;
                total.failed_syncs += s.failed_syncs;
                total.retries += s.retries;
                total.membership_edits += s.membership_edits;
            }
            Err(_) => {
                eprintln!("FAILED: seed {seed} (replay: --runs 1 --seed {seed})");
                failed.push(seed);
            }
        }
    }
    println!(
        "soak: {runs} runs from seed {first} in {:.0} s, {} failed {failed:?}; {} local changes \
         (each on the server once), {} set aside with a reason, {} segment changes refused on the \
         device, {} static-membership edits, {} office edits, {} requests retried and {} syncs failed under faults",
        started.elapsed().as_secs_f64(),
        failed.len(),
        total.local_changes,
        total.set_aside,
        total.refused_locally,
        total.membership_edits,
        total.office_edits,
        total.retries,
        total.failed_syncs
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
