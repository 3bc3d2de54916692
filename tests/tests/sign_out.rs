//! A device shared by technicians, over real HTTP: sign-out refused while a
//! change waits, cleared after the upload, then other users signing in see
//! only their own data, from an empty cursor; the server holds the first
//! user's change once, made by them.

use std::sync::Arc;

use fieldsync_client::{HttpConfig, SyncClient};
use fieldsync_core::model::CustomerDraft;
use fieldsync_core::store::SignOut;
use fieldsync_core::sync::Credentials;
use fieldsync_core::{Error, Store};
use fieldsync_e2e::{Portal, all_customers, assert_same_customers, fast_settings};
use rusqlite::Connection;
use sync_server_mock::ServerConfig;

/// Rows of a table in the device's file, whoever is signed in.
fn rows(store: &Store, sql: &str) -> i64 {
    store
        .read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn technicians_share_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let portal_db = dir.path().join("portal.db");
    let portal = Portal::start(ServerConfig {
        db_path: Some(portal_db.clone()),
        ..ServerConfig::demo()
    })
    .await;
    let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
    let client = SyncClient::new(
        store.clone(),
        &HttpConfig::new(portal.url()),
        Credentials::None,
        fast_settings(),
    )
    .unwrap();

    // tech signs in, syncs, makes a change offline.
    let tech = client.login("tech", "tech").await.unwrap();
    client.sync().await.unwrap();
    assert!(!all_customers(&store).is_empty());
    let made = store
        .create_customer(CustomerDraft::named("Shared Device Bakery"))
        .unwrap();

    // The change waits: no sign-out, no other user.
    for mode in [SignOut::KeepData, SignOut::ClearData] {
        assert!(matches!(
            client.sign_out(mode).await,
            Err(Error::PendingChanges { count: 1 })
        ));
    }
    assert!(matches!(
        client.login("manager", "manager").await,
        Err(Error::PendingChanges { count: 1 })
    ));
    assert_eq!(store.session().unwrap().as_ref(), Some(&tech));
    assert_eq!(store.pending_count().unwrap(), 1);

    // Synced (still as tech), then signed out with the data cleared.
    assert_eq!(client.sync().await.unwrap().uploaded, 1);
    client.sign_out(SignOut::ClearData).await.unwrap();
    assert_eq!(store.session().unwrap(), None);
    assert_eq!(rows(&store, "SELECT count(*) FROM customers"), 0);
    assert_eq!(rows(&store, "SELECT count(*) FROM segments"), 0);
    // Token and password forgotten.
    assert!(matches!(client.sync().await, Err(Error::Unauthorized)));

    // tech2, another organization: only theirs, nothing of tech's.
    let tech2 = client.login("tech2", "tech2").await.unwrap();
    assert_ne!(tech2.organization_id, tech.organization_id);
    let first = client.sync().await.unwrap();
    assert!(first.downloaded > 0);
    let south = all_customers(&store);
    assert!(!south.is_empty());
    assert_same_customers(&south, &portal.customers_of(&tech2.organization_id).await);
    let foreign = format!(
        "SELECT count(*) FROM customers WHERE organization_id <> '{}'",
        tech2.organization_id
    );
    assert_eq!(rows(&store, &foreign), 0);
    let foreign_segments = format!(
        "SELECT count(*) FROM segments WHERE organization_id IS NOT NULL AND organization_id <> '{}'",
        tech2.organization_id
    );
    assert_eq!(rows(&store, &foreign_segments), 0);
    assert!(
        store
            .customer(&made.id, &fieldsync_e2e::en())
            .unwrap()
            .is_none()
    );

    // tech2 signs out keeping the data; manager, of tech's organization,
    // signs in: the device starts empty (no continuation of tech2's
    // cursor), then holds exactly the server's customers of that
    // organization.
    client.sign_out(SignOut::KeepData).await.unwrap();
    assert!(
        rows(&store, "SELECT count(*) FROM customers") > 0,
        "kept for tech2"
    );
    let manager = client.login("manager", "manager").await.unwrap();
    assert_eq!(manager.organization_id, tech.organization_id);
    assert_eq!(rows(&store, "SELECT count(*) FROM customers"), 0);
    assert_eq!(rows(&store, "SELECT count(*) FROM sync_state"), 0);
    client.sync().await.unwrap();
    let north = portal.customers_of(&manager.organization_id).await;
    assert_same_customers(&all_customers(&store), &north);

    // The same user again keeps the data and the cursor: nothing to download.
    client.sign_out(SignOut::KeepData).await.unwrap();
    client.login("manager", "manager").await.unwrap();
    assert_eq!(client.sync().await.unwrap().downloaded, 0);
    assert_same_customers(&all_customers(&store), &north);

    // The server holds tech's change once (version 1), made by tech; no
    // one else uploaded anything.
    let on_server = portal.customer(&made.id).await.expect("uploaded");
    assert_eq!(on_server.version, 1);
    let server = Connection::open(&portal_db).unwrap();
    let created_by: String = server
        .query_row(
            "SELECT created_by FROM customers WHERE id = ?1",
            [&made.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(created_by, tech.user_id);
    let mut stmt = server
        .prepare("SELECT user_id FROM mutation_outcomes")
        .unwrap();
    let uploaders: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(uploaders, [tech.user_id]);
}
