//! Soak runs: seeded scenarios of several devices of different users and
//! roles working offline while the office edits in the Portal and the mock
//! injects every fault kind at random; after each run, the promises are
//! checked:
//!
//! - every local change is on the server exactly once (a customer created
//!   and edited on a device has version 1 + its edits), or set aside with
//!   its reason;
//! - nothing that should have gone is left in an outbox;
//! - each device equals the server for what its user may see (customers of
//!   its organization, the static segment's members);
//! - a technician's segment change on an existing customer is refused on
//!   the device, and never reaches the server;
//! - `PRAGMA integrity_check` is ok on every device database.
//!
//! `cargo run -p fieldsync-e2e --bin soak -- --runs 1000 --seed S`; the
//! test command runs 50 (`tests/tests/soak.rs`). A failing run names its
//! seed, and `--runs 1 --seed <that seed>` replays it.

use std::collections::{BTreeSet, HashMap};

use fieldsync_core::Error;
use fieldsync_core::model::{CustomerDraft, CustomerUpdate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::{Device, Portal, assert_each_change_once, assert_same_customers};

/// Who works on devices in a run: (user, organization, may edit static
/// segments).
const USERS: [(&str, &str, bool); 3] = [
    ("manager", "org-north", true),
    ("tech", "org-north", false),
    ("tech2", "org-south", false),
];
const SEGMENTS: [&str; 2] = ["seg-retail", "seg-wholesale"];
/// The demo's static customer segment (org-north).
const STATIC_SEGMENT: &str = "cs-vip";

/// What one run did, for the summary line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub local_changes: u64,
    pub refused_locally: u64,
    pub set_aside: u64,
    pub office_edits: u64,
    pub failed_syncs: u64,
    /// Requests the engine retried (faults it met and got past).
    pub retries: u64,
    pub membership_edits: u64,
}

/// One device's local work: its own customers and how many queued
/// changes each got.
struct DeviceWork {
    device: Device,
    organization: &'static str,
    may_edit_members: bool,
    own: HashMap<String, i64>,
}

/// Random fault rates (each kind sometimes on), or none.
fn random_faults(rng: &mut StdRng) -> Value {
    if rng.random_bool(0.2) {
        return json!({});
    }
    let mut rate = |p: f64| if rng.random_bool(0.6) { p } else { 0.0 };
    json!({
        "error_rate": rate(0.08), "unavailable_rate": rate(0.03), "rate_limit_rate": rate(0.03),
        "drop_rate": rate(0.08), "truncate_rate": rate(0.08), "applied_then_fail_rate": rate(0.1),
        "latency_ms": 1, "seed": rng.random::<u32>()
    })
}

/// Offline work on one device.
fn offline_work(
    rng: &mut StdRng,
    work: &mut DeviceWork,
    others: &[String],
    summary: &mut RunSummary,
) {
    let store = &work.device.store;
    for _ in 0..rng.random_range(1..4) {
        let before = store.pending_changes(usize::MAX).unwrap().len();
        let own: Vec<String> = work.own.keys().cloned().collect();
        match rng.random_range(0..5) {
            // A new customer, the technician picking its segment.
            0 | 1 if own.len() < 6 || rng.random_bool(0.3) => {
                let c = store
                    .create_customer(CustomerDraft {
                        segment_id: Some(SEGMENTS[rng.random_range(0..2)].into()),
                        ..CustomerDraft::named(format!("Soak {}", rng.random_range(0..1_000_000)))
                    })
                    .unwrap();
                work.own.insert(c.id, 0);
            }
            // An edit of one of its own customers.
            0..=2 if !own.is_empty() => {
                let id = &own[rng.random_range(0..own.len())];
                let update = if rng.random_bool(0.5) {
                    CustomerUpdate {
                        name: Some(format!("Renamed {}", rng.random_range(0..1_000_000))),
                        ..Default::default()
                    }
                } else {
                    CustomerUpdate {
                        last_visit: Some(Some(
                            format!("2026-11-{:02}", rng.random_range(1..28))
                                .parse()
                                .unwrap(),
                        )),
                        ..Default::default()
                    }
                };
                match store.update_customer(id, &update) {
                    Ok(_) => {}
                    // Its segment rule or a server refusal may have set it aside.
                    Err(e) => panic!("an edit of an own customer failed: {e}"),
                }
            }
            // A technician changing the segment of an existing customer
            // (accepted by the server): refused on the device.
            3 if !work.may_edit_members && !others.is_empty() => {
                let id = &others[rng.random_range(0..others.len())];
                let Ok(Some(view)) = store.customer(id, &crate::en()) else {
                    continue;
                };
                if view.customer.version.is_none()
                    || view.customer.organization_id != work.organization
                {
                    continue;
                }
                let to = SEGMENTS
                    .iter()
                    .find(|s| view.customer.segment_id.as_deref() != Some(**s))
                    .unwrap();
                let update = CustomerUpdate {
                    segment_id: Some(Some((*to).into())),
                    ..Default::default()
                };
                match store.update_customer(id, &update) {
                    Err(Error::SegmentReadOnly { .. }) => summary.refused_locally += 1,
                    other => {
                        panic!("a technician changed an existing customer's segment: {other:?}")
                    }
                }
            }
            // A manager editing the static segment's members.
            _ if work.may_edit_members && !others.is_empty() => {
                let id = &others[rng.random_range(0..others.len())];
                let changed = if rng.random_bool(0.5) {
                    store.add_to_customer_segment(STATIC_SEGMENT, id)
                } else {
                    store.remove_from_customer_segment(STATIC_SEGMENT, id)
                };
                if changed.unwrap() {
                    summary.membership_edits += 1;
                }
            }
            _ => {}
        }
        let queued = store.pending_changes(usize::MAX).unwrap().len() - before;
        summary.local_changes += queued as u64;
    }
}

/// Counts the queued edits per own customer, from the outbox (creates
/// excluded: each is the customer's version 1).
fn count_edits(work: &mut DeviceWork, before: &BTreeSet<String>) {
    let entries = work.device.store.pending_changes(usize::MAX).unwrap();
    for e in entries {
        if before.contains(&e.mutation_id) {
            continue;
        }
        if let Some(n) = work.own.get_mut(&e.entity_id)
            && e.operation == fieldsync_core::protocol::MutationOperation::Update
        {
            *n += 1;
        }
    }
}

/// The server's members of the static segment, as the admin sees them.
async fn server_members(portal: &Portal) -> BTreeSet<String> {
    let (status, body) = portal
        .call(
            reqwest::Method::GET,
            &format!("/portal/v1/customer-segments/{STATIC_SEGMENT}/members?limit=1000"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["customer_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// One seeded run; panics (naming the seed) when a promise is broken.
pub async fn run(seed: u64) -> RunSummary {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut summary = RunSummary::default();
    let portal = Portal::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let mut devices = Vec::new();
    for (user, organization, may_edit_members) in USERS {
        let device = Device::synced(dir.path(), &portal, user).await;
        devices.push(DeviceWork {
            device,
            organization,
            may_edit_members,
            own: HashMap::new(),
        });
    }
    // The seeded customers the office edits; devices only read them (and
    // technicians try to change their segment), so each own customer's
    // version counts its device's changes alone.
    let seeded: HashMap<&str, Vec<String>> = [
        ("org-north", portal.customers_of("org-north").await),
        ("org-south", portal.customers_of("org-south").await),
    ]
    .into_iter()
    .map(|(org, cs)| (org, cs.into_iter().map(|c| c.id).collect()))
    .collect();

    for _round in 0..rng.random_range(3..7) {
        portal.set_faults(random_faults(&mut rng)).await;
        for work in devices.iter_mut() {
            let before: BTreeSet<String> = work
                .device
                .store
                .pending_changes(usize::MAX)
                .unwrap()
                .into_iter()
                .map(|e| e.mutation_id)
                .collect();
            let others = &seeded[work.organization];
            offline_work(&mut rng, work, others, &mut summary);
            count_edits(work, &before);
        }
        // The office edits seeded customers meanwhile (faults are on the
        // sync API only).
        for _ in 0..rng.random_range(0..3) {
            let org = if rng.random_bool(0.5) {
                "org-north"
            } else {
                "org-south"
            };
            let ids = &seeded[org];
            let id = &ids[rng.random_range(0..ids.len())];
            portal
                .edit_customer(
                    id,
                    json!({"name": format!("Office {}", rng.random_range(0..1_000_000))}),
                )
                .await;
            summary.office_edits += 1;
        }
        for work in &devices {
            if rng.random_bool(0.8) {
                match work.device.client.sync().await {
                    Ok(report) => summary.retries += report.retries,
                    Err(_) => summary.failed_syncs += 1,
                }
            }
        }
    }

    // Faults off: every device catches up, then all agree.
    portal.clear_faults().await;
    for _ in 0..2 {
        for work in &devices {
            work.device.sync_until_success(3).await;
        }
    }
    let members_on_server = server_members(&portal).await;
    for work in &devices {
        let store = &work.device.store;
        let entries = store.pending_changes(usize::MAX).unwrap();
        let left: Vec<_> = entries.iter().filter(|e| e.rejection.is_none()).collect();
        assert!(left.is_empty(), "seed {seed}: left in the outbox: {left:?}");
        for e in &entries {
            let reason = &e.rejection.as_ref().unwrap().reason;
            assert!(
                !reason.is_empty(),
                "seed {seed}: set aside without a reason"
            );
        }
        summary.set_aside += entries.len() as u64;
        let server = portal.customers_of(work.organization).await;
        assert_same_customers(&work.device.customers(), &server);
        assert_each_change_once(&server, &work.own, &format!("seed {seed}"));
        if work.organization == "org-north" {
            let page = store
                .customer_segment_members(STATIC_SEGMENT, 500, 0)
                .unwrap();
            let on_device: BTreeSet<String> =
                page.members.into_iter().map(|m| m.customer_id).collect();
            assert_eq!(
                on_device,
                members_on_server,
                "seed {seed}: {}'s static members differ from the server's",
                work.device.path.display()
            );
        }
        let conn = rusqlite::Connection::open(&work.device.path).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "seed {seed}: integrity_check");
    }
    summary
}
