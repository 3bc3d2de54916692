//! A device as its own process, for the process-kill tests
//! (`tests/tests/kills.rs`): the harness SIGKILLs it at random moments.
//!
//! - `device sync DB URL USER`: one sync run (password = user name, as in
//!   the demo data); exit 0 when it succeeded, 2 when the run failed.
//! - `device edit DB SEED`: a few offline edits, each printed once
//!   committed: `created ID` or `edited ID QUEUED` (QUEUED: outbox entries
//!   the edit added). Exit 3 when the device has no session yet.

use std::sync::Arc;

use fieldsync_client::{HttpConfig, SyncClient};
use fieldsync_core::Store;
use fieldsync_core::model::{CustomerDraft, CustomerUpdate};
use fieldsync_core::sync::Credentials;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("sync") if args.len() == 4 => sync(&args[1], &args[2], &args[3]),
        Some("edit") if args.len() == 3 => edit(&args[1], args[2].parse().expect("a seed")),
        _ => {
            eprintln!("usage: device sync DB URL USER | device edit DB SEED");
            std::process::exit(64);
        }
    }
}

fn sync(db: &str, url: &str, user: &str) {
    let store = Arc::new(Store::open(db).expect("the database opens"));
    let credentials = Credentials::Password {
        username: user.into(),
        password: user.into(),
    };
    let settings = fieldsync_e2e::fast_settings();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let result = runtime.block_on(async {
        let client =
            SyncClient::new(store, &HttpConfig::new(url), credentials, settings).expect("a client");
        client.sync().await
    });
    if let Err(e) = result {
        eprintln!("sync failed: {e}");
        std::process::exit(2);
    }
}

fn edit(db: &str, seed: u64) {
    let store = Store::open(db).expect("the database opens");
    if store.session().unwrap().is_none() {
        std::process::exit(3);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let own: Vec<String> = store
        .pending_changes(usize::MAX)
        .unwrap()
        .into_iter()
        .map(|e| e.entity_id)
        .chain(
            std::env::var("DEVICE_OWN")
                .unwrap_or_default()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        )
        .collect();
    // The dropdown offers a segment once the catalogue has arrived.
    let segment = store
        .segment("seg-retail")
        .unwrap()
        .map(|_| "seg-retail".to_owned());
    for _ in 0..rng.random_range(1..4) {
        if own.is_empty() || rng.random_bool(0.4) {
            let c = store
                .create_customer(CustomerDraft {
                    segment_id: segment.clone(),
                    ..CustomerDraft::named(format!("Killed {}", rng.random_range(0..1_000_000)))
                })
                .unwrap();
            println!("created {}", c.id);
        } else {
            let id = &own[rng.random_range(0..own.len())];
            let before = store.pending_changes(usize::MAX).unwrap().len();
            store
                .update_customer(
                    id,
                    &CustomerUpdate {
                        name: Some(format!("Renamed {}", rng.random_range(0..1_000_000))),
                        ..Default::default()
                    },
                )
                .unwrap();
            let queued = store.pending_changes(usize::MAX).unwrap().len() - before;
            println!("edited {id} {queued}");
        }
    }
}
