//! Sign-out and a device shared by several users: what is cleared, the
//! file compacted, pending changes never lost nor uploaded by someone else.

use super::*;
use crate::store::session::{apply_user_profile, data_owner};
use crate::store::sync_state;

const BOOKKEEPING: &[&str] = &["dropdown_state", "segment_evaluation_state"];

/// Rows in every table the device holds for a user, through the store
/// where it is simple, by hand for the rest.
fn fill(store: &Store) {
    store
        .write(|tx| {
            tx.execute_batch(
                "INSERT INTO organizations (id, default_language) VALUES ('org-north', 'en');
                 INSERT INTO sync_state (id, cursor, last_success_at) VALUES (1, 'c9', '2026-11-23T08:00:00Z');
                 INSERT INTO sync_conflicts (mutation_id, entity_id, field, local_value, server_value, resolved_at)
                     VALUES ('m0', 'c1', 'name', '\"a\"', '\"b\"', '2026-11-23T08:00:00Z');
                 INSERT INTO customer_segments (id, organization_id, name, kind, version, updated_at)
                     VALUES ('cs', 'org-north', 'VIP', 'static', 1, '2026-11-23T08:00:00Z');
                 INSERT INTO customer_segment_tags VALUES ('cs', 'vip');
                 INSERT INTO customer_segment_members VALUES ('cs', 'c1');
                 INSERT INTO customer_segment_server_members VALUES ('cs', 'c1');
                 INSERT INTO customer_profiles (customer_id, city, version) VALUES ('c1', 'Brno', 1);
                 INSERT INTO customer_profile_records VALUES ('c1', '{}');
                 INSERT INTO customer_consents VALUES ('c1', 'email', '2026-01-01');
                 INSERT INTO customer_badges VALUES ('c1', 'gold');
                 INSERT INTO customer_attributes (customer_id, key, kind, text_value) VALUES ('c1', 'k', 'text', 'v');
                 INSERT INTO customer_events VALUES ('c1', 'visit', '2026-01-01');
                 INSERT INTO customer_audiences VALUES ('c1', 'a1');
                 INSERT INTO customer_campaigns VALUES ('c1', 'cp', 1, 1, 0);
                 INSERT INTO transactions (id, customer_id, on_date, amount_minor, kind, version, business_unit_id, partner_id)
                     VALUES ('t1', 'c1', '2026-01-01', 1250, 'purchase', 1, 'bu-1', 'pt-1');
                 INSERT INTO carts (customer_id, value_minor, items, updated_on, abandoned, version)
                     VALUES ('c1', 5990, 2, '2026-01-01', 1, 1);
                 INSERT INTO customer_stats (customer_id, purchase_count, total_spend_minor) VALUES ('c1', 1, 1250);
                 INSERT INTO segment_dirty_customers VALUES ('c1');
                 UPDATE segment_evaluation_state SET rfm_dirty = 1, all_customers_changed = 1;",
            )?;
            Ok(())
        })
        .unwrap();
    // A customer the server accepted (notes it in the journal), and a
    // change the server refused (set aside: not pending).
    let c = store
        .create_customer(draft("Corner Shop", Some("retail")))
        .unwrap();
    accept(store, &c, 1);
    store.create_customer(draft("Refused", None)).unwrap();
    store
        .write(|tx| {
            tx.execute("UPDATE outbox SET state = 'rejected'", [])?;
            Ok(())
        })
        .unwrap();
}

fn tables(store: &Store) -> Vec<String> {
    store
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name",
            )?;
            let names = stmt.query_map([], |r| r.get(0))?;
            Ok(names.collect::<rusqlite::Result<Vec<String>>>()?)
        })
        .unwrap()
        .into_iter()
        .filter(|t| !BOOKKEEPING.contains(&t.as_str()))
        .collect()
}

fn non_empty(store: &Store) -> Vec<String> {
    tables(store)
        .into_iter()
        .filter(|t| count(store, t) > 0)
        .collect()
}

fn cursor(store: &Store) -> Option<String> {
    store.read(sync_state::cursor).unwrap()
}

fn owner(store: &Store) -> Option<String> {
    store.read(data_owner).unwrap()
}

fn pending(store: &Store) -> u64 {
    store.pending_count().unwrap()
}

#[test]
fn clearing_deletes_every_row_of_every_table() {
    let store = store(Role::Technician);
    fill(&store);
    // Every table has a row: a table a later migration adds fails here
    // until this test fills it (and the clear then covers it).
    assert_eq!(non_empty(&store), tables(&store));
    assert_eq!(pending(&store), 0);

    store.sign_out(SignOut::ClearData).unwrap();
    assert_eq!(non_empty(&store), Vec::<String>::new());
    assert_eq!(store.session().unwrap(), None);
    assert_eq!(owner(&store), None);
    assert_eq!(cursor(&store), None);
    assert_eq!(store.last_sync_success().unwrap(), None);
    assert_eq!(store.set_aside_count().unwrap(), 0);
    let flags: (i64, i64) = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT rfm_dirty, all_customers_changed FROM segment_evaluation_state",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    assert_eq!(flags, (0, 0));
    // Nobody owns the empty device: the next user starts there, and the
    // store works on.
    store
        .set_session(&Session::new("u2", "org-north", Role::Technician))
        .unwrap();
    seed(&store);
    store.create_customer(draft("New", Some("retail"))).unwrap();
    assert_eq!(pending(&store), 1);
}

/// The database file and its WAL, as bytes.
fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    let wal = path.with_extension("db-wal");
    bytes.extend(std::fs::read(wal).unwrap_or_default());
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn clearing_compacts_the_file_so_no_deleted_row_lingers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let store = Store::open(&path).unwrap();
    seed(&store);
    store
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    let base = remote(&store.create_customer(draft("x", None)).unwrap(), 1);
    let customers: Vec<_> = (0..10_000)
        .map(|i| {
            let mut c = base.clone();
            c.id = format!("c-{i:05}");
            c.name = format!("Secret Customer {i:05}");
            Change::Upsert(c)
        })
        .collect();
    store.apply_customer_changes(&customers).unwrap();
    store
        .write(|tx| {
            tx.execute("DELETE FROM outbox", [])?;
            Ok(())
        })
        .unwrap();
    // Closed: the WAL is folded into the file.
    drop(store);
    let store = Store::open(&path).unwrap();
    let before = std::fs::metadata(&path).unwrap().len();
    assert!(contains(&file_bytes(&path), "Secret Customer 01234"));

    store.sign_out(SignOut::ClearData).unwrap();
    let freelist: i64 = store
        .read(|c| Ok(c.pragma_query_value(None, "freelist_count", |r| r.get(0))?))
        .unwrap();
    assert_eq!(freelist, 0, "VACUUM ran");
    let after = std::fs::metadata(&path).unwrap().len();
    assert!(after < before / 2, "the file shrank: {before} -> {after}");
    assert!(!contains(&file_bytes(&path), "Secret Customer"));
}

#[test]
fn pending_changes_refuse_a_sign_out_unless_discarded() {
    for mode in [SignOut::KeepData, SignOut::ClearData] {
        let store = store(Role::Technician);
        store.create_customer(draft("Offline", None)).unwrap();
        store.create_customer(draft("Offline too", None)).unwrap();
        assert!(matches!(
            store.sign_out(mode),
            Err(Error::PendingChanges { count: 2 })
        ));
        // Nothing changed.
        assert_eq!(pending(&store), 2);
        assert_eq!(count(&store, "customers"), 2);
        assert_eq!(store.session().unwrap().unwrap().user_id, "u1");
    }

    let store = store(Role::Technician);
    fill(&store);
    store.create_customer(draft("Offline", None)).unwrap();
    store.sign_out(SignOut::DiscardChanges).unwrap();
    assert_eq!(non_empty(&store), Vec::<String>::new());
    assert_eq!(pending(&store), 0);
}

#[test]
fn the_same_user_keeps_data_and_cursor() {
    let store = store(Role::Technician);
    fill(&store);
    let rows = non_empty(&store);
    // Signed in again (a new role, another organization: the same user).
    store
        .set_session(&Session::new("u1", "org-south", Role::Manager))
        .unwrap();
    assert_eq!(non_empty(&store), rows);
    assert_eq!(cursor(&store).as_deref(), Some("c9"));

    // Signed out keeping the data, then back.
    store.sign_out(SignOut::KeepData).unwrap();
    assert_eq!(store.session().unwrap(), None);
    assert_eq!(owner(&store).as_deref(), Some("u1"));
    assert!(store.read(crate::store::session::signed_out).unwrap());
    assert_eq!(count(&store, "customers"), 2);
    store
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    assert_eq!(count(&store, "customers"), 2);
    assert_eq!(cursor(&store).as_deref(), Some("c9"));
}

#[test]
fn another_user_starts_from_an_empty_device() {
    let others = [
        Session::new("u2", "org-north", Role::Technician),
        Session::new("u2", "org-south", Role::Technician),
        Session::new("u2", "org-north", Role::Manager),
    ];
    for keep_signed_in in [true, false] {
        for other in &others {
            let store = store(Role::Technician);
            fill(&store);
            if !keep_signed_in {
                store.sign_out(SignOut::KeepData).unwrap();
            }
            store.set_session(other).unwrap();
            assert_eq!(cursor(&store), None, "{other:?}");
            assert_eq!(store.last_sync_success().unwrap(), None);
            assert_eq!(non_empty(&store), ["data_owner", "session"], "{other:?}");
            assert_eq!(store.session().unwrap().as_ref(), Some(other));
            assert_eq!(owner(&store).as_deref(), Some("u2"));
            assert!(store.segment_options(&tag("en")).unwrap().is_empty());
            assert_eq!(
                store
                    .customers(&CustomerQuery::default(), &tag("en"))
                    .unwrap()
                    .total,
                0
            );
        }
    }
}

#[test]
fn another_user_is_refused_while_the_previous_users_changes_wait() {
    let store = store(Role::Technician);
    fill(&store);
    store.create_customer(draft("Offline", None)).unwrap();
    let rows = non_empty(&store);
    let other = Session::new("u2", "org-north", Role::Manager);
    assert!(matches!(
        store.set_session(&other),
        Err(Error::PendingChanges { count: 1 })
    ));
    // Everything as it was.
    assert_eq!(non_empty(&store), rows);
    assert_eq!(store.session().unwrap().unwrap().user_id, "u1");
    assert_eq!(pending(&store), 1);
    assert_eq!(cursor(&store).as_deref(), Some("c9"));
    // Kept through a sign-out: still u1's changes.
    assert!(matches!(
        store.sign_out(SignOut::KeepData),
        Err(Error::PendingChanges { count: 1 })
    ));
    store.clear_session().unwrap();
    assert!(matches!(
        store.set_session(&other),
        Err(Error::PendingChanges { count: 1 })
    ));
    // Discarded explicitly: the other user may come.
    store.sign_out(SignOut::DiscardChanges).unwrap();
    store.set_session(&other).unwrap();
    assert_eq!(non_empty(&store), ["data_owner", "session"]);
}

#[test]
fn the_feed_never_switches_the_user() {
    let store = store(Role::Technician);
    let moved = Session::new("u1", "org-south", Role::Manager);
    let someone_else = Session::new("u2", "org-north", Role::Admin);
    let applied = |s: &Session| store.write(|tx| apply_user_profile(tx, s)).unwrap();
    assert!(matches!(
        store.write(|tx| apply_user_profile(tx, &someone_else)),
        Err(Error::CorruptData { .. })
    ));
    assert_eq!(store.session().unwrap().unwrap().user_id, "u1");
    assert!(applied(&moved));
    assert!(!applied(&moved));
    assert_eq!(store.session().unwrap().as_ref(), Some(&moved));

    // A device without an owner yet (first sync through an app's token
    // provider) takes the profile's user.
    let fresh = Store::open_in_memory().unwrap();
    assert!(
        fresh
            .write(|tx| apply_user_profile(tx, &someone_else))
            .unwrap()
    );
    assert_eq!(fresh.read(data_owner).unwrap().as_deref(), Some("u2"));
}
