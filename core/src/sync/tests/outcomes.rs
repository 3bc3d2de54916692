//! What the server's answers do to the device.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::error::Error;
use crate::model::{CustomerDraft, CustomerUpdate, LanguageTag, Role, Session};
use crate::protocol::{Rejection, RejectionCode};
use crate::store::Store;

#[tokio::test]
async fn a_rejected_change_is_set_aside_without_blocking_the_ones_behind_it() {
    let store = store();
    let en = LanguageTag::parse("en").unwrap();
    let first = store
        .create_customer(CustomerDraft::named("First"))
        .unwrap();
    let second = store
        .create_customer(CustomerDraft::named("Second"))
        .unwrap();
    let transport = Arc::new(Scripted::new(
        |c, _| Ok(empty_page(c)),
        |req, _| {
            Ok(PushResponse {
                results: req
                    .mutations
                    .iter()
                    .map(|m| {
                        if m.changes["name"] == "First" {
                            MutationResult::Rejected {
                                mutation_id: m.mutation_id.clone(),
                                rejection: Rejection {
                                    code: crate::protocol::RejectionCode::Validation,
                                    field: Some("name".into()),
                                    reason: "is taken".into(),
                                },
                                current: None,
                            }
                        } else {
                            MutationResult::Applied {
                                mutation_id: m.mutation_id.clone(),
                                version: 1,
                            }
                        }
                    })
                    .collect(),
            })
        },
    ));
    let engine = engine(&store, &transport);
    let report = engine.sync().await.unwrap();
    assert_eq!((report.uploaded, report.rejected), (1, 1));
    let status = engine.status();
    assert_eq!((status.pending_uploads, status.set_aside), (0, 1));
    let aside = store.pending_changes(10).unwrap();
    assert_eq!(aside.len(), 1);
    assert_eq!(aside[0].entity_id, first.id);
    assert_eq!(aside[0].rejection.as_ref().unwrap().reason, "is taken");
    assert_eq!(
        aside[0].changes["name"], "First",
        "the refused data is kept"
    );
    // the refused create leaves the lists; the accepted one stays
    assert_eq!(store.customer(&first.id, &en).unwrap(), None);
    assert!(store.customer(&second.id, &en).unwrap().is_some());
    // the set-aside entry is not sent again
    engine.sync().await.unwrap();
    assert_eq!(transport.pushes.lock().unwrap().len(), 1);
}

fn remote_customer(
    id: &str,
    name: &str,
    segment: Option<&str>,
    version: i64,
) -> crate::model::RemoteCustomer {
    serde_json::from_value(json!({
        "id": id, "organization_id": "org-north", "name": name, "segment_id": segment,
        "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-20T10:00:00Z", "version": version
    }))
    .unwrap()
}

/// A store holding one customer the server has accepted at version 1.
fn store_with_existing(role: Role) -> (Arc<Store>, String) {
    let store = store();
    store
        .set_session(&Session::new("tech", "org-north", role))
        .unwrap();
    store
        .apply_segment_changes(&[
            crate::store::Change::Upsert(segment_change(1, "retail", "Retail").decode().unwrap()),
            crate::store::Change::Upsert(
                segment_change(2, "wholesale", "Wholesale")
                    .decode()
                    .unwrap(),
            ),
        ])
        .unwrap();
    store
        .apply_customer_changes(&[crate::store::Change::Upsert(remote_customer(
            "c1",
            "Shop",
            Some("retail"),
            1,
        ))])
        .unwrap();
    (store, "c1".into())
}

/// A manager's segment change on an existing customer that the server
/// refuses, answering with `current`; the customer afterwards.
async fn refused_segment_change(
    current: Option<crate::model::RemoteCustomer>,
) -> (Arc<Store>, crate::model::Customer) {
    let (store, id) = store_with_existing(Role::Manager);
    store
        .update_customer(
            &id,
            &CustomerUpdate {
                segment_id: Some(Some("wholesale".into())),
                ..Default::default()
            },
        )
        .unwrap();
    let transport = Arc::new(Scripted::new(
        |c, _| Ok(empty_page(c)),
        move |req, _| {
            Ok(PushResponse {
                results: vec![MutationResult::Rejected {
                    mutation_id: req.mutations[0].mutation_id.clone(),
                    rejection: Rejection {
                        code: RejectionCode::Permission,
                        field: Some("segment_id".into()),
                        reason: "role changed".into(),
                    },
                    current: current.clone(),
                }],
            })
        },
    ));
    engine(&store, &transport).sync().await.unwrap();
    let c = store
        .customer(&id, &LanguageTag::parse("en").unwrap())
        .unwrap()
        .unwrap()
        .customer;
    (store, c)
}

#[tokio::test]
async fn a_rejected_update_returns_the_customer_to_the_servers_state() {
    let office = remote_customer("c1", "Shop (office)", Some("retail"), 3);
    let (store, c) = refused_segment_change(Some(office)).await;
    assert_eq!(c.segment_id.as_deref(), Some("retail"));
    assert_eq!(c.name, "Shop (office)");
    assert_eq!(c.version, Some(3));
    assert_eq!(store.set_aside_count().unwrap(), 1);
}

#[tokio::test]
async fn a_rejected_update_without_the_servers_record_restores_the_previous_values() {
    let (store, c) = refused_segment_change(None).await;
    assert_eq!(c.segment_id.as_deref(), Some("retail"));
    assert_eq!(c.version, Some(1));
    assert_eq!(store.set_aside_count().unwrap(), 1);
}

#[tokio::test]
async fn a_conflict_logs_the_losing_field_and_shows_the_servers_value() {
    let (store, id) = store_with_existing(Role::Manager);
    store
        .update_customer(
            &id,
            &CustomerUpdate {
                name: Some("Device name".into()),
                segment_id: Some(Some("wholesale".into())),
                ..Default::default()
            },
        )
        .unwrap();
    let transport = Arc::new(Scripted::new(
        |c, _| Ok(empty_page(c)),
        |req, _| {
            Ok(PushResponse {
                results: vec![MutationResult::Conflict {
                    mutation_id: req.mutations[0].mutation_id.clone(),
                    version: 4,
                    conflicts: vec![FieldConflict {
                        field: "segment_id".into(),
                        server_value: json!("retail"),
                    }],
                    current: None,
                }],
            })
        },
    ));
    let report = engine(&store, &transport).sync().await.unwrap();
    assert_eq!((report.uploaded, report.conflicts), (1, 1));
    let c = store
        .customer(&id, &LanguageTag::parse("en").unwrap())
        .unwrap()
        .unwrap()
        .customer;
    assert_eq!(
        c.name, "Device name",
        "the field that did not conflict was applied"
    );
    assert_eq!(
        c.segment_id.as_deref(),
        Some("retail"),
        "the office's value won"
    );
    assert_eq!(
        c.version,
        Some(1),
        "the next pull brings version 4 with everything in it"
    );
    let conflicts = store.sync_conflicts(10).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        (conflicts[0].field.as_str(), &conflicts[0].local_value),
        ("segment_id", &json!("wholesale"))
    );
    assert_eq!(store.pending_count().unwrap(), 0);
}

#[tokio::test]
async fn unanswered_uploads_stay_pending_and_do_not_loop() {
    let store = store();
    store.create_customer(CustomerDraft::named("Shop")).unwrap();
    let transport = Arc::new(Scripted::new(
        |c, _| Ok(empty_page(c)),
        |_, _| Ok(PushResponse { results: vec![] }),
    ));
    let err = engine(&store, &transport).sync().await.unwrap_err();
    assert!(matches!(err, Error::Server { .. }));
    assert_eq!(transport.pushes.lock().unwrap().len(), 1);
    assert_eq!(store.pending_count().unwrap(), 1);
}

#[tokio::test]
async fn unreadable_records_are_skipped_not_fatal() {
    let store = store();
    let bad = FeedChange {
        seq: 1,
        collection: Collection::Segments,
        op: ChangeOp::Upsert,
        id: "bad".into(),
        version: 1,
        data: FeedChange::record(
            &json!({"id": "bad", "name": {"en": "  "}, "version": 1, "updated_at": "2026-11-23T10:00:00Z"}),
        )
        .unwrap(),
    };
    let unknown = FeedChange {
        collection: Collection::Unknown,
        ..segment_change(2, "x", "X")
    };
    let transport = Arc::new(Scripted::new(
        move |_, _| {
            Ok(page(
                vec![
                    bad.clone(),
                    unknown.clone(),
                    segment_change(3, "retail", "Retail"),
                ],
                "c3",
                false,
                0,
            ))
        },
        |r, _| Ok(apply_all(r, 1)),
    ));
    let report = engine(&store, &transport).sync().await.unwrap();
    assert_eq!((report.downloaded, report.skipped), (3, 2));
    assert_eq!(
        store
            .segment_options(&LanguageTag::parse("en").unwrap())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .read(crate::store::sync_state::cursor)
            .unwrap()
            .as_deref(),
        Some("c3")
    );
}

#[tokio::test]
async fn the_profile_in_the_feed_updates_the_session() {
    let store = store();
    let profile = FeedChange {
        seq: 5,
        collection: Collection::UserProfile,
        op: ChangeOp::Upsert,
        id: "tech".into(),
        version: 2,
        data: FeedChange::record(
            &json!({"user_id": "tech", "organization_id": "org-north", "role": "manager"}),
        )
        .unwrap(),
    };
    let transport = Arc::new(Scripted::new(
        move |_, _| Ok(page(vec![profile.clone()], "c5", false, 0)),
        |r, _| Ok(apply_all(r, 1)),
    ));
    engine(&store, &transport).sync().await.unwrap();
    assert_eq!(store.session().unwrap().unwrap().role, Role::Manager);
}
