//! Migration tests: every shipped schema version, kept as a snapshot in
//! `tests/schema/vN.sql` with sample rows in `tests/schema/vN_data.sql`, must
//! upgrade to the current schema with its data intact; and the current
//! schema must equal its own snapshot, so a schema change without a new
//! migration step (or an edit of a shipped one) fails here.
//!
//! When adding version N+1: add the migration step, then snapshot the new
//! schema with an empty `vN+1.sql` and
//! `FIELDSYNC_WRITE_SCHEMA_SNAPSHOT=1 cargo test -p fieldsync-core --test migrations`
//! and write `vN+1_data.sql`. Never edit an existing snapshot.

use fieldsync_core::model::{LanguageTag, Role, Session};
use fieldsync_core::store::{CustomerQuery, SCHEMA_VERSION};
use fieldsync_core::{Error, Store};
use rusqlite::Connection;

/// (version, schema, sample data) of every shipped version.
const SNAPSHOTS: &[(i64, &str, &str)] = &[
    (
        1,
        include_str!("schema/v1.sql"),
        include_str!("schema/v1_data.sql"),
    ),
    (
        2,
        include_str!("schema/v2.sql"),
        include_str!("schema/v2_data.sql"),
    ),
    (
        3,
        include_str!("schema/v3.sql"),
        include_str!("schema/v3_data.sql"),
    ),
    (
        4,
        include_str!("schema/v4.sql"),
        include_str!("schema/v4_data.sql"),
    ),
    (
        5,
        include_str!("schema/v5.sql"),
        include_str!("schema/v5_data.sql"),
    ),
    (
        6,
        include_str!("schema/v6.sql"),
        include_str!("schema/v6_data.sql"),
    ),
    (
        7,
        include_str!("schema/v7.sql"),
        include_str!("schema/v7_data.sql"),
    ),
];

fn schema_of(conn: &Connection) -> String {
    let mut stmt = conn
        // Tables, then indexes, then triggers (which name the tables), so a
        // snapshot runs as it reads.
        .prepare(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
             ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, name",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(|r| r.unwrap() + ";\n").collect()
}

fn fresh_schema() -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    drop(Store::open(&path).unwrap());
    schema_of(&Connection::open(&path).unwrap())
}

#[test]
fn the_current_schema_matches_its_snapshot() {
    let fresh = fresh_schema();
    let path = format!(
        "{}/tests/schema/v{SCHEMA_VERSION}.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    // Bootstrapping a new version's snapshot: create the file empty (it is
    // include_str!'d), then run once with this variable set.
    if std::env::var_os("FIELDSYNC_WRITE_SCHEMA_SNAPSHOT").is_some()
        && std::fs::read_to_string(&path).is_ok_and(|s| s.is_empty())
    {
        std::fs::write(&path, &fresh).unwrap();
        panic!("wrote {path}: run the tests again");
    }
    let (_, snapshot, _) = SNAPSHOTS
        .iter()
        .find(|(v, _, _)| *v == SCHEMA_VERSION)
        .expect("every schema version has a snapshot in tests/schema");
    assert_eq!(
        &fresh, snapshot,
        "the schema changed: add a migration step and a new snapshot"
    );
}

#[test]
fn every_snapshot_is_a_known_version() {
    let versions: Vec<_> = SNAPSHOTS.iter().map(|(v, _, _)| *v).collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
}

#[test]
fn an_empty_database_upgrades_to_the_current_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v0.db");
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 0)
        .unwrap();
    drop(Store::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    assert_eq!(schema_of(&conn), fresh_schema());
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn every_shipped_schema_upgrades_with_its_data() {
    for (version, schema, data) in SNAPSHOTS {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("v{version}.db"));
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(schema).unwrap();
            conn.execute_batch(data).unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        let store = Store::open(&path).unwrap();
        {
            let conn = Connection::open(&path).unwrap();
            assert_eq!(schema_of(&conn), fresh_schema(), "v{version} upgraded");
        }
        // The sample data reads back through the current API.
        let session = store
            .session()
            .unwrap()
            .expect("the sample data has a session");
        assert_eq!(
            session,
            Session::new("u-tech", "org-north", Role::Technician)
        );
        let en = LanguageTag::parse("en").unwrap();
        let page = store.customers(&CustomerQuery::default(), &en).unwrap();
        assert_eq!(page.total, 2, "v{version}");
        let shop = page
            .customers
            .iter()
            .find(|c| c.customer.name == "Corner Shop")
            .unwrap();
        assert_eq!(
            shop.segment.as_ref().unwrap().label.as_deref(),
            Some("Retail")
        );
        assert!(
            !shop.segment_editable,
            "accepted by the server: read-only for a technician"
        );
        assert_eq!(store.pending_count().unwrap(), 1);
        let set_aside = if *version >= 2 { 1 } else { 0 };
        assert_eq!(store.set_aside_count().unwrap(), set_aside, "v{version}");
        assert_eq!(store.segment_options(&en).unwrap().len(), 1);
        if *version >= 3 {
            let segments = store.customer_segments(None).unwrap();
            let ids: Vec<_> = segments.iter().map(|s| s.id.as_str()).collect();
            assert_eq!(ids, ["cs-vip", "cs-retail"]);
            assert_eq!(segments[1].tags, ["retail"]);
            let of_shop = store.customer_segments_of(&shop.customer.id).unwrap();
            assert_eq!(of_shop[0].id, "cs-vip", "primary: highest priority");
            let profile = store.customer_profile(&shop.customer.id).unwrap().unwrap();
            assert_eq!(profile.city.as_deref(), Some("Brno"));
            assert_eq!(
                store
                    .purchase_summary(&shop.customer.id)
                    .unwrap()
                    .total_spend_minor,
                12_550
            );
        }
        // Carts and business units (migration 7): none before, read back
        // after.
        let cart = store.cart(&shop.customer.id).unwrap();
        let profile = store.customer_profile(&shop.customer.id).unwrap();
        if *version >= 7 {
            let cart = cart.expect("the v7 sample has a cart");
            assert_eq!((cart.value, cart.items, cart.abandoned), (59.9, 3, true));
            let profile = profile.unwrap();
            assert_eq!(profile.business_unit_id.as_deref(), Some("bu-brno"));
            assert_eq!(profile.partner_id.as_deref(), Some("pt-acme"));
        } else {
            assert_eq!(cart, None, "v{version}");
            if let Some(profile) = profile {
                assert_eq!(profile.business_unit_id, None, "v{version}");
            }
        }
        // The data belongs to the signed-in user (backfilled by migration
        // 6): the same user keeps it, another is refused while its changes
        // wait for upload.
        let same = Session::new("u-tech", "org-north", Role::Manager);
        store.set_session(&same).unwrap();
        assert_eq!(store.pending_count().unwrap(), 1, "v{version}");
        let other = Session::new("u-other", "org-north", Role::Technician);
        assert!(
            matches!(
                store.set_session(&other),
                Err(Error::PendingChanges { count: 1 })
            ),
            "v{version}"
        );
        store.set_session(&session).unwrap();
        if *version >= 5 {
            // v5 sample: the journal notes all customers as changed, so the
            // flexi segment is evaluated in full, once.
            let refresh = store.refresh_customer_segments().unwrap();
            assert!(refresh.full_evaluations >= 1, "{refresh:?}");
            let again = store.refresh_customer_segments().unwrap();
            assert_eq!(again.full_evaluations, 0);
        }
    }
}

#[test]
fn an_unknown_future_version_is_incompatible() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 7)
        .unwrap();
    assert!(matches!(
        Store::open(&path),
        Err(Error::IncompatibleSchema { .. })
    ));
    // refused without being touched
    let version: i64 = Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION + 7);
}

#[test]
fn data_left_signed_out_belongs_to_no_one_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("schema/v5.sql")).unwrap();
        conn.execute_batch(include_str!("schema/v5_data.sql"))
            .unwrap();
        // Signed out with fieldsync 5 (data kept), nothing pending.
        conn.execute_batch("DELETE FROM session; DELETE FROM outbox;")
            .unwrap();
        conn.pragma_update(None, "user_version", 5).unwrap();
    }
    let store = Store::open(&path).unwrap();
    let customers = |store: &Store| {
        store
            .read(
                |c| Ok(c.query_row("SELECT count(*) FROM customers", [], |r| r.get::<_, i64>(0))?),
            )
            .unwrap()
    };
    assert_eq!(customers(&store), 2);
    // Whoever signs in cannot be told from the previous user: empty device.
    store
        .set_session(&Session::new("u-tech", "org-north", Role::Technician))
        .unwrap();
    assert_eq!(customers(&store), 0);
    assert_eq!(store.last_sync_success().unwrap(), None);
}
