//! Live queries: the first result at once, again after each commit that
//! changes what the query reads and only then, never stale, never after
//! close, and never holding up a write. "Nothing came" is checked by a
//! later change whose result must be the very next one received, not by
//! waiting for a timeout.

use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use super::*;

const WAIT: Duration = Duration::from_secs(10);

fn shared_store() -> Arc<Store> {
    Arc::new(store(Role::Technician))
}

/// The names on the first page of customers, as a list screen shows them.
fn watch_names(store: &Arc<Store>) -> (Watch, Receiver<Vec<String>>) {
    let (send, receive) = channel();
    let tables = Tables::CUSTOMERS
        .union(Tables::SEGMENTS)
        .union(Tables::SESSION);
    let watch = store.watch(
        tables,
        |s| {
            let page = s.customers(&CustomerQuery::default(), &tag("en"))?;
            Ok(page
                .customers
                .into_iter()
                .map(|c| c.customer.name)
                .collect::<Vec<_>>())
        },
        move |names: &Vec<String>| {
            let _ = send.send(names.clone());
        },
    );
    (watch, receive)
}

fn next<T>(receive: &Receiver<T>) -> T {
    receive.recv_timeout(WAIT).expect("an emission")
}

#[test]
fn the_first_result_comes_at_once_then_one_per_relevant_commit() {
    let store = shared_store();
    let (_watch, names) = watch_names(&store);
    assert_eq!(next(&names), Vec::<String>::new());
    store
        .create_customer(draft("Bakery", Some("retail")))
        .unwrap();
    assert_eq!(next(&names), ["Bakery"]);
    store
        .create_customers(vec![draft("Atelier", None), draft("Corner", None)])
        .unwrap();
    // One commit of two customers: one emission with both.
    assert_eq!(next(&names), ["Atelier", "Bakery", "Corner"]);
}

#[test]
fn commits_that_do_not_touch_what_it_reads_emit_nothing() {
    let store = shared_store();
    let (_watch, names) = watch_names(&store);
    next(&names);
    // A picklist value: not read by this query.
    store
        .apply_picklist_changes(&[Change::Upsert(picklist(
            "st-x",
            PicklistKind::Status,
            None,
            "X",
            9,
        ))])
        .unwrap();
    // Read, but the page stays the same: re-run, nothing handed on.
    store
        .apply_segment_changes(&[Change::Upsert(segment(
            "extra",
            None,
            &[("en", "Extra")],
            VisitFrequency::Weekly,
        ))])
        .unwrap();
    store.create_customer(draft("Bakery", None)).unwrap();
    assert_eq!(
        next(&names),
        ["Bakery"],
        "the first emission since is the customer's"
    );
}

#[test]
fn a_rolled_back_write_emits_nothing() {
    let store = shared_store();
    let (_watch, names) = watch_names(&store);
    next(&names);
    let failed: Result<()> = store.write(|tx| {
        tx.execute(
            "INSERT INTO customers (id, name, name_key, created_at, updated_at) VALUES ('x', 'Ghost', 'ghost', '2026-11-23T08:00:00Z', '2026-11-23T08:00:00Z')",
            [],
        )?;
        Err(Error::NoSession)
    });
    assert!(failed.is_err());
    store.create_customer(draft("Real", None)).unwrap();
    assert_eq!(next(&names), ["Real"]);
}

#[test]
fn without_rowid_tables_and_whole_table_deletes_are_seen() {
    let store = shared_store();
    let (send, members) = channel();
    let _watch = store.watch(
        Tables::CUSTOMER_SEGMENT_MEMBERS.union(Tables::CUSTOMER_SEGMENT_TAGS),
        |s| {
            s.read(|c| {
                let members: i64 =
                    c.query_row("SELECT count(*) FROM customer_segment_members", [], |r| {
                        r.get(0)
                    })?;
                let tags: i64 =
                    c.query_row("SELECT count(*) FROM customer_segment_tags", [], |r| {
                        r.get(0)
                    })?;
                Ok((members, tags))
            })
        },
        move |counts: &(i64, i64)| {
            let _ = send.send(*counts);
        },
    );
    assert_eq!(next(&members), (0, 0));
    store
        .write(|tx| {
            tx.execute_batch(
                "INSERT INTO customer_segments (id, organization_id, name, kind, version, updated_at)
                     VALUES ('cs', 'org-north', 'VIP', 'static', 1, '2026-11-23T08:00:00Z');
                 INSERT INTO customer_segment_tags VALUES ('cs', 'vip');",
            )?;
            Ok(())
        })
        .unwrap();
    assert_eq!(next(&members), (0, 1));
    store
        .write(|tx| {
            Ok(tx.execute(
                "INSERT INTO customer_segment_members VALUES ('cs', 'c1')",
                [],
            )?)
        })
        .unwrap();
    assert_eq!(next(&members), (1, 1));
    store.sign_out(SignOut::DiscardChanges).unwrap();
    assert_eq!(next(&members), (0, 0));
}

#[test]
fn signing_out_empties_a_watched_list() {
    let store = shared_store();
    let (_watch, names) = watch_names(&store);
    next(&names);
    let c = store.create_customer(draft("Bakery", None)).unwrap();
    accept(&store, &c, 1);
    assert_eq!(next(&names), ["Bakery"]);
    store.sign_out(SignOut::ClearData).unwrap();
    assert_eq!(next(&names), Vec::<String>::new());
}

#[test]
fn the_locale_is_a_change_the_app_announces() {
    let store = shared_store();
    let (send, labels) = channel();
    let locale = Arc::new(std::sync::Mutex::new(tag("en")));
    let current = locale.clone();
    let _watch = store.watch(
        Tables::SEGMENTS.union(Tables::LOCALE),
        move |s| {
            let locale = current.lock().unwrap().clone();
            let options = s.segment_options(&locale)?;
            Ok(options.into_iter().map(|o| o.label).collect::<Vec<_>>())
        },
        move |labels: &Vec<String>| {
            let _ = send.send(labels.clone());
        },
    );
    assert!(next(&labels).contains(&"Retail".to_owned()));
    *locale.lock().unwrap() = tag("nl");
    store.notify_changed(Tables::LOCALE);
    assert!(next(&labels).contains(&"Detailhandel".to_owned()));
}

#[test]
fn a_slow_observer_holds_up_no_write_and_its_last_result_is_never_stale() {
    let store = shared_store();
    let entered = Arc::new(Barrier::new(2));
    let release = Arc::new(Barrier::new(2));
    let (send, names) = channel();
    let (first, go) = (entered.clone(), release.clone());
    let mut calls = 0;
    let _watch = store.watch(
        Tables::CUSTOMERS,
        |s| {
            let page = s.customers(&CustomerQuery::default(), &tag("en"))?;
            Ok(page
                .customers
                .into_iter()
                .map(|c| c.customer.name)
                .collect::<Vec<_>>())
        },
        move |names: &Vec<String>| {
            calls += 1;
            if calls == 1 {
                // The observer is stuck until the test has written.
                first.wait();
                go.wait();
            }
            let _ = send.send(names.clone());
        },
    );
    entered.wait();
    // The observer is busy: writes go through anyway.
    for name in ["A", "B", "C"] {
        store.create_customer(draft(name, None)).unwrap();
    }
    release.wait();
    assert_eq!(next(&names), Vec::<String>::new());
    // The three commits marked it dirty while it ran: one re-run, with all.
    assert_eq!(next(&names), ["A", "B", "C"]);
}

#[test]
fn closed_watches_are_never_called_again() {
    let store = shared_store();
    let (watch, names) = watch_names(&store);
    next(&names);
    watch.close();
    store.create_customer(draft("After", None)).unwrap();
    // Another watch sees the commit; the closed one's channel stays empty
    // (and its sender is gone with its closure).
    let (_other, other) = watch_names(&store);
    assert_eq!(next(&other), ["After"]);
    assert!(names.recv_timeout(Duration::from_millis(1)).is_err());
    assert!(matches!(
        names.try_recv(),
        Err(std::sync::mpsc::TryRecvError::Disconnected)
    ));
}

#[test]
fn an_observer_may_close_its_own_watch() {
    let store = shared_store();
    let slot: Arc<std::sync::Mutex<Option<Watch>>> = Arc::default();
    let (send, calls) = channel();
    let own = slot.clone();
    let watch = store.watch(
        Tables::CUSTOMERS,
        |s| Ok(s.customers(&CustomerQuery::default(), &tag("en"))?.total),
        move |total: &u64| {
            let _ = send.send(*total);
            if *total == 1
                && let Some(w) = own.lock().unwrap().as_ref()
            {
                w.close();
            }
        },
    );
    *slot.lock().unwrap() = Some(watch);
    assert_eq!(next(&calls), 0);
    store.create_customer(draft("One", None)).unwrap();
    assert_eq!(next(&calls), 1);
    store.create_customer(draft("Two", None)).unwrap();
    let (_other, other) = watch_names(&store);
    assert_eq!(next(&other), ["One", "Two"]);
    assert!(matches!(
        calls.try_recv(),
        Err(std::sync::mpsc::TryRecvError::Disconnected)
    ));
}

#[test]
fn an_observer_that_panics_loses_one_emission_not_the_watch() {
    let store = shared_store();
    let (send, names) = channel();
    let _watch = store.watch(
        Tables::CUSTOMERS,
        |s| Ok(s.customers(&CustomerQuery::default(), &tag("en"))?.total),
        move |total: &u64| {
            assert_ne!(*total, 1, "an observer bug");
            let _ = send.send(*total);
        },
    );
    assert_eq!(next(&names), 0);
    store.create_customer(draft("One", None)).unwrap();
    store.create_customer(draft("Two", None)).unwrap();
    assert_eq!(next(&names), 2);
}

#[test]
fn dropping_the_store_ends_the_worker_with_watches_open() {
    let store = shared_store();
    let (watch, names) = watch_names(&store);
    next(&names);
    let weak = Arc::downgrade(&store);
    drop(store);
    // The worker holds the store only while a query runs.
    let gone = std::time::Instant::now();
    while weak.strong_count() > 0 {
        assert!(gone.elapsed() < WAIT, "the worker keeps the store");
        std::thread::yield_now();
    }
    // Closing after the store is gone is harmless.
    watch.close();
}
