//! Customer segments through the exported API against the mock Portal's
//! demo data: lists, members, a customer's segments, a manager's edit of a
//! static segment that a flexi one follows offline, the refusals, profiles
//! and purchase figures. The evaluation rules themselves are tested in core.

use std::sync::Arc;

use fieldsync::{
    AttributeValue, CustomerDraft, CustomerSegmentView, FieldStore, FieldSyncError, SyncClient,
    SyncCollection, SyncConfig,
};
use fieldsync_core::model::CustomerSegmentKind;
use fieldsync_core::protocol::{EntityKind, MutationOperation};
use sync_server_mock::{BlockingServer, ServerConfig, spawn_blocking_server};

fn server() -> BlockingServer {
    spawn_blocking_server(ServerConfig::demo()).expect("mock server")
}

async fn device(
    server: &BlockingServer,
    dir: &tempfile::TempDir,
    user: &str,
) -> (Arc<FieldStore>, Arc<SyncClient>) {
    let path = dir.path().join(format!("{user}.db"));
    let store = FieldStore::open(path.to_string_lossy().into_owned(), "en".into()).unwrap();
    let config = SyncConfig {
        server_url: server.url(),
        connect_timeout_seconds: 10,
        request_timeout_seconds: 60,
        pull_page_size: 500,
        push_batch_size: 100,
        attempts_per_run: 2,
    };
    let client = SyncClient::new(store.clone(), config, None, None).unwrap();
    client.login(user.into(), user.into()).await.unwrap();
    let report = client.sync().await.unwrap();
    assert!(report.changed.contains(&SyncCollection::CustomerSegments));
    assert!(
        report.customer_segment_refresh.full_evaluations >= 1,
        "the first run evaluates the conditional segments: {:?}",
        report.customer_segment_refresh
    );
    assert!(report.customer_segment_refresh.membership_changes >= 1);
    (store, client)
}

fn ids(segments: &[CustomerSegmentView]) -> Vec<&str> {
    segments.iter().map(|s| s.id.as_str()).collect()
}

fn member_ids(store: &FieldStore, segment_id: &str) -> Vec<String> {
    store
        .customer_segment_members(segment_id.into(), 500, 0)
        .unwrap()
        .members
        .into_iter()
        .map(|m| m.customer_id)
        .collect()
}

#[tokio::test]
async fn customer_segments_lists_members_and_a_customers_segments() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = device(&server, &dir, "tech").await;

    let all = store.customer_segments(None).unwrap();
    assert_eq!(
        ids(&all),
        [
            "cs-vip",
            "cs-brno-buyers",
            "cs-retail-snapshot",
            "cs-not-vip"
        ],
        "highest priority first"
    );
    let vip = &all[0];
    assert_eq!(vip.kind, CustomerSegmentKind::Static);
    assert_eq!(vip.priority, 50);
    assert!(vip.evaluated && vip.criteria.is_none());
    let brno = &all[1];
    assert_eq!(brno.kind, CustomerSegmentKind::Conditional);
    assert!(brno.flexi && brno.evaluated);
    assert_eq!(brno.tags, ["city", "loyalty"]);
    assert!(brno.criteria.as_deref().unwrap().contains("Brno"));
    assert!(brno.evaluated_on.as_deref().is_some_and(|d| d.len() == 10));
    assert!(!all[2].flexi, "the retail segment is a snapshot");

    let tagged = store.customer_segments(Some("city".into())).unwrap();
    assert_eq!(ids(&tagged), ["cs-brno-buyers"]);
    let tags = store.customer_segment_tags().unwrap();
    assert_eq!(
        tags.iter()
            .map(|t| (t.tag.as_str(), t.segments))
            .collect::<Vec<_>>(),
        [("city", 1), ("loyalty", 1)]
    );
    assert_eq!(
        store.customer_segment("cs-vip".into()).unwrap().as_ref(),
        Some(vip)
    );
    assert_eq!(store.customer_segment("cs-nowhere".into()).unwrap(), None);

    // cust-north-1 is in the static VIP segment, in Brno with purchases, and
    // in the retail marketing segment: three segments, VIP the primary.
    let of = store.customer_segments_of("cust-north-1".into()).unwrap();
    assert_eq!(ids(&of), ["cs-vip", "cs-brno-buyers", "cs-retail-snapshot"]);
    assert_eq!(
        store
            .primary_customer_segment("cust-north-1".into())
            .unwrap()
            .map(|s| s.id),
        Some("cs-vip".into())
    );
    assert!(!ids(&store.customer_segments_of("cust-north-2".into()).unwrap()).contains(&"cs-vip"));
    assert!(
        store
            .customer_segments_of("c-404".into())
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.primary_customer_segment("c-404".into()).unwrap(),
        None
    );

    // Members come sorted by name, a page at a time.
    let whole = store
        .customer_segment_members("cs-not-vip".into(), 500, 0)
        .unwrap();
    assert!(whole.total >= 3, "{whole:?}");
    assert_eq!(whole.members.len() as u64, whole.total);
    assert!(
        whole
            .members
            .iter()
            .all(|m| m.customer_id != "cust-north-1")
    );
    let first = store
        .customer_segment_members("cs-not-vip".into(), 2, 0)
        .unwrap();
    let second = store
        .customer_segment_members("cs-not-vip".into(), 2, 2)
        .unwrap();
    assert_eq!(first.total, whole.total);
    assert_eq!(first.members, whole.members[..2]);
    assert_eq!(second.members[0], whole.members[2]);
    assert_eq!(
        store.customer_segment_members("cs-nowhere".into(), 10, 0),
        Err(FieldSyncError::NotFound {
            entity: "customer segment".into(),
            id: "cs-nowhere".into()
        })
    );
    assert!(matches!(
        store.customer_segment_members("cs-vip".into(), 0, 0),
        Err(FieldSyncError::Validation { field, .. }) if field == "limit"
    ));
}

#[tokio::test]
async fn a_managers_static_edit_is_followed_offline_and_uploaded() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let (manager, manager_client) = device(&server, &dir, "manager").await;
    let customer = manager
        .create_customer(CustomerDraft {
            name: "Segment Rust".into(),
            ..Default::default()
        })
        .unwrap();
    manager_client.sync().await.unwrap();
    assert!(member_ids(&manager, "cs-not-vip").contains(&customer.id));

    assert_eq!(
        manager.add_to_customer_segment("cs-vip".into(), customer.id.clone()),
        Ok(true)
    );
    assert_eq!(
        manager.add_to_customer_segment("cs-vip".into(), customer.id.clone()),
        Ok(false),
        "already a member"
    );
    assert!(member_ids(&manager, "cs-vip").contains(&customer.id));
    assert!(
        !member_ids(&manager, "cs-not-vip").contains(&customer.id),
        "the flexi segment follows at once, offline"
    );
    assert_eq!(
        manager
            .primary_customer_segment(customer.id.clone())
            .unwrap()
            .map(|s| s.id),
        Some("cs-vip".into())
    );
    let pending = manager.pending_changes(10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].operation, MutationOperation::AddMember);
    assert_eq!(pending[0].entity, EntityKind::CustomerSegmentMember);

    let report = manager_client.sync().await.unwrap();
    assert_eq!((report.uploaded, report.rejected), (1, 0));
    assert_eq!(manager.pending_count().unwrap(), 0);
    assert!(member_ids(&manager, "cs-vip").contains(&customer.id));

    // Another device learns the membership from the server and evaluates
    // the flexi segment itself.
    let (tech, tech_client) = device(&server, &dir, "tech").await;
    assert!(member_ids(&tech, "cs-vip").contains(&customer.id));
    assert!(!member_ids(&tech, "cs-not-vip").contains(&customer.id));

    // The technician may not edit members; nothing is written.
    let refused = tech.remove_from_customer_segment("cs-vip".into(), customer.id.clone());
    assert!(
        matches!(&refused, Err(FieldSyncError::NotPermitted { .. })),
        "{refused:?}"
    );
    assert_eq!(
        refused.unwrap_err().to_string(),
        "not permitted for this role: change the members of a customer segment; ask a manager or an admin"
    );
    assert_eq!(tech.pending_count().unwrap(), 0);

    // A segment defined by conditions cannot be edited by hand, not even
    // by a manager.
    assert_eq!(
        manager.add_to_customer_segment("cs-brno-buyers".into(), customer.id.clone()),
        Err(FieldSyncError::Validation {
            field: "segment_id".into(),
            reason: "is defined by conditions; its members follow its criteria".into()
        })
    );
    assert!(matches!(
        manager.add_to_customer_segment("cs-nowhere".into(), customer.id.clone()),
        Err(FieldSyncError::NotFound { entity, .. }) if entity == "customer segment"
    ));

    // Taking the customer out again: back in the flexi segment, uploaded,
    // and the technician's device follows.
    assert_eq!(
        manager.remove_from_customer_segment("cs-vip".into(), customer.id.clone()),
        Ok(true)
    );
    assert!(member_ids(&manager, "cs-not-vip").contains(&customer.id));
    assert_eq!(
        manager.pending_changes(10).unwrap()[0].operation,
        MutationOperation::RemoveMember
    );
    assert_eq!(manager_client.sync().await.unwrap().uploaded, 1);
    let report = tech_client.sync().await.unwrap();
    assert!(
        report
            .changed
            .contains(&SyncCollection::CustomerSegmentMembers)
    );
    assert!(!member_ids(&tech, "cs-vip").contains(&customer.id));
    assert!(member_ids(&tech, "cs-not-vip").contains(&customer.id));
}

#[tokio::test]
async fn profiles_purchases_and_refreshes() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = device(&server, &dir, "tech").await;

    let profile = store
        .customer_profile("cust-north-1".into())
        .unwrap()
        .expect("the demo customer's profile");
    assert_eq!(profile.city.as_deref(), Some("Brno"));
    assert_eq!(profile.birth_date.as_deref(), Some("1980-04-12"));
    assert_eq!(profile.consents[0].given_on, "2024-03-01");
    let loyalty = profile.loyalty.expect("loyalty");
    assert!(loyalty.member);
    assert_eq!(loyalty.tier.as_deref(), Some("gold"));
    assert_eq!(
        profile.attributes[0].value,
        AttributeValue::Number { value: 120.0 }
    );
    assert!(profile.campaigns[0].clicked);
    assert_eq!(store.customer_profile("c-404".into()).unwrap(), None);

    let summary = store.purchase_summary("cust-north-1".into()).unwrap();
    assert_eq!(summary.count, 6);
    assert_eq!(summary.total_spend_minor, 25_054);
    assert!(summary.last_purchase.is_some_and(|d| d.len() == 10));
    assert!(summary.rfm_recency.is_some_and(|s| (1..=5).contains(&s)));
    let nothing = store.purchase_summary("c-404".into()).unwrap();
    assert_eq!((nothing.count, nothing.last_purchase), (0, None));

    assert!(store.refresh_customer_segments().unwrap().cyclic.is_empty());
    let again = store.refresh_customer_segments().unwrap();
    assert_eq!(
        (
            again.full_evaluations,
            again.customer_evaluations,
            again.membership_changes
        ),
        (0, 0, 0),
        "nothing left to evaluate"
    );
    let snapshot = store
        .refresh_customer_segment("cs-retail-snapshot".into())
        .unwrap();
    assert!(snapshot.full_evaluations >= 1);
    assert!(matches!(
        store.refresh_customer_segment("cs-vip".into()),
        Err(FieldSyncError::Validation { field, .. }) if field == "segment_id"
    ));
    assert!(matches!(
        store.refresh_customer_segment("cs-nowhere".into()),
        Err(FieldSyncError::NotFound { .. })
    ));
}
