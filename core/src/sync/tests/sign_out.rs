//! Signing out and in through the engine: the token and password are
//! forgotten, another user starts from an empty cursor and never uploads
//! the previous user's changes.

use super::*;
use crate::Error;
use crate::model::CustomerDraft;
use crate::store::{SignOut, sync_state};

fn scripted() -> Arc<Scripted> {
    Arc::new(Scripted::new(
        |c, _| Ok(empty_page(c.or(Some("c1")))),
        |r, _| Ok(apply_all(r, 1)),
    ))
}

fn cursor(store: &Store) -> Option<String> {
    store.read(sync_state::cursor).unwrap()
}

#[tokio::test]
async fn signing_out_forgets_the_token_and_the_password() {
    let store = store();
    let transport = scripted();
    let engine = engine(&store, &transport);
    engine.sync().await.unwrap();
    assert_eq!(cursor(&store).as_deref(), Some("c1"));

    engine.sign_out(SignOut::KeepData).unwrap();
    assert_eq!(store.session().unwrap(), None);
    assert!(matches!(engine.sync().await, Err(Error::Unauthorized)));
    assert_eq!(transport.pulls.lock().unwrap().len(), 1, "nothing asked");

    // The same user again: the cursor goes on.
    engine.login("tech", "secret").await.unwrap();
    engine.sync().await.unwrap();
    assert_eq!(transport.pulls.lock().unwrap()[1].as_deref(), Some("c1"));

    engine.sign_out(SignOut::ClearData).unwrap();
    assert_eq!(cursor(&store), None);
    assert!(matches!(engine.sync().await, Err(Error::Unauthorized)));
}

#[tokio::test]
async fn another_user_logging_in_starts_from_an_empty_cursor() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    store
        .set_session(&Session::new("someone", "org-north", Role::Manager))
        .unwrap();
    store.write(|tx| sync_state::save_cursor(tx, "c7")).unwrap();
    let transport = scripted();
    let engine = engine(&store, &transport);
    // The scripted server signs in "tech".
    engine.sync().await.unwrap();
    assert_eq!(transport.pulls.lock().unwrap()[0], None, "no continuation");
    assert_eq!(store.session().unwrap().unwrap().user_id, "tech");
}

#[tokio::test]
async fn the_previous_users_changes_are_never_uploaded_by_another() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    store
        .set_session(&Session::new("someone", "org-north", Role::Manager))
        .unwrap();
    store
        .create_customer(CustomerDraft::named("Offline"))
        .unwrap();
    let transport = scripted();
    let engine = engine(&store, &transport);
    assert!(matches!(
        engine.login("tech", "secret").await,
        Err(Error::PendingChanges { count: 1 })
    ));
    // A run whose kept password signs in "tech" is refused too, before
    // anything is sent.
    assert!(matches!(
        engine.sync().await,
        Err(Error::PendingChanges { count: 1 })
    ));
    assert!(transport.pushes.lock().unwrap().is_empty());
    assert!(transport.pulls.lock().unwrap().is_empty());
    assert_eq!(store.session().unwrap().unwrap().user_id, "someone");
    assert_eq!(store.pending_count().unwrap(), 1);
}

struct Fixed;
impl TokenProvider for Fixed {
    fn token(&self, _: bool) -> std::result::Result<String, String> {
        Ok("app-token".into())
    }
}

#[tokio::test]
async fn an_apps_token_provider_waits_for_a_sign_in_after_a_sign_out() {
    let store = store();
    let transport = scripted();
    let engine = SyncEngine::new(
        store.clone(),
        transport.clone(),
        Credentials::Provider(Arc::new(Fixed)),
        SyncSettings::default(),
    )
    .unwrap();
    engine.sync().await.unwrap();
    engine.sign_out(SignOut::KeepData).unwrap();
    // The provider may already answer for someone else.
    assert!(matches!(engine.sync().await, Err(Error::NoSession)));
    assert_eq!(transport.pulls.lock().unwrap().len(), 1);
    store
        .set_session(&Session::new("tech", "org-north", Role::Technician))
        .unwrap();
    engine.sync().await.unwrap();
    assert_eq!(transport.pulls.lock().unwrap()[1].as_deref(), Some("c1"));
}
