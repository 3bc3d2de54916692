//! Storage guarantees: rollback, readers beside a writer, threads, versions.

use super::*;
use crate::error::Error;

#[test]
fn a_panic_inside_a_write_rolls_it_back_and_the_store_lives_on() {
    let store = store(Role::Technician);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = store.write(|tx| -> crate::Result<()> {
            tx.execute("DELETE FROM segments", [])?;
            panic!("boom");
        });
    }));
    assert!(result.is_err());
    assert_eq!(count(&store, "segments"), 6);
    assert!(store.create_customer(draft("After", None)).is_ok());
}

#[test]
fn readers_do_not_wait_for_an_open_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    seed(&store);
    store
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    let (inside, wait_inside) = std::sync::mpsc::channel();
    let (release, wait_release) = std::sync::mpsc::channel::<()>();
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            store.write(|tx| {
                tx.execute("DELETE FROM segments", [])?;
                inside.send(()).unwrap();
                wait_release.recv().unwrap();
                Ok(())
            })
        })
    };
    wait_inside.recv().unwrap();
    // The write transaction is open and holds the writer: a read still
    // answers, from the last committed state.
    assert_eq!(store.segment_options(&tag("en")).unwrap().len(), 4);
    release.send(()).unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(store.segment_options(&tag("en")).unwrap().len(), 0);
}

#[test]
fn many_threads_write_and_read_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    seed(&store);
    store
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    store
                        .create_customer(draft(&format!("T{t} C{i}"), Some("retail")))
                        .unwrap();
                    store
                        .customers(&CustomerQuery::default(), &tag("en"))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(count(&store, "customers"), 100);
    assert_eq!(store.pending_count().unwrap(), 100);
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    match Store::open(&path) {
        Err(Error::IncompatibleSchema { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected IncompatibleSchema, got {:?}", other.map(|_| ())),
    }
}
