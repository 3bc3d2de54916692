//! Customer segment benchmark: prints each figure beside a limit measured
//! in the same run on the same machine, and their ratio.
//!
//! `cargo bench -p fieldsync-core --bench customer_segments`
//!
//! Data: 100,000 customers with profiles, 1,000,000 purchase transactions.
//!
//! - Full evaluation of a segment with five conditions (city, age, an RFM
//!   range, a 365-day spend aggregate, an e-mail consent), members written,
//!   against a hand-written SQL statement for the same condition writing
//!   the same member rows.
//! - Re-evaluating flexi segments after one customer changes on the device
//!   (`update_customer` with five flexi segments present), against the same
//!   update with no segments, and against a full evaluation.
//! - Recomputing every RFM score after new transactions.

use std::time::{Duration, Instant};

use chrono::{Datelike, Days, Local, NaiveDate, Utc};
use fieldsync_core::Store;
use fieldsync_core::model::profile::{
    Consent, ConsentKind, CustomerProfile, Transaction, TransactionKind,
};
use fieldsync_core::model::{
    CustomerSegment, CustomerSegmentKind, CustomerUpdate, OrgScope, RemoteCustomer, Role, Session,
};
use fieldsync_core::store::Change;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const CUSTOMERS: usize = 100_000;
const TRANSACTIONS: usize = 1_000_000;
const RUNS: usize = 7;
const CITIES: [&str; 8] = [
    "Brno", "Praha", "Ostrava", "Plzeň", "Olomouc", "Liberec", "Zlín", "Jihlava",
];

fn main() {
    // FIELDSYNC_BENCH_DIR keeps the loaded database for the next run.
    let keep = std::env::var_os("FIELDSYNC_BENCH_DIR").map(std::path::PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("fieldsync-cs-bench-{}", std::process::id()))
    });
    let reuse = dir.join("device.db").exists();
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "fieldsync customer segment benchmark ({} cores), {CUSTOMERS} customers, {TRANSACTIONS} transactions",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let store = Store::open(dir.join("device.db")).unwrap();
    store
        .set_session(&Session::new("u-manager", "org-north", Role::Manager))
        .unwrap();
    if !reuse {
        load(&store);
    }
    full_evaluation(&store);
    one_customer_changes(&store);
    drop(store);
    if keep.is_none() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

fn today() -> NaiveDate {
    Local::now().date_naive()
}

fn ago(days: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(days)).unwrap()
}

fn customer_id(i: usize) -> String {
    format!("cust-{i:06}")
}

fn load(store: &Store) {
    let mut rng = StdRng::seed_from_u64(7);
    let now = Utc::now();
    let started = Instant::now();
    let customers: Vec<_> = (0..CUSTOMERS)
        .map(|i| {
            Change::Upsert(RemoteCustomer {
                id: customer_id(i),
                organization_id: "org-north".into(),
                name: format!("Customer {i}"),
                status_id: None,
                source_id: None,
                industry_id: None,
                channel_id: None,
                segment_id: None,
                last_visit: None,
                created_at: now,
                updated_at: now,
                version: 1,
                deleted: false,
            })
        })
        .collect();
    store.apply_customer_changes(&customers).unwrap();
    let profiles: Vec<_> = (0..CUSTOMERS)
        .map(|i| {
            let mut p = CustomerProfile::empty(customer_id(i));
            p.version = 1;
            p.city = Some(CITIES[rng.random_range(0..CITIES.len())].into());
            let years = rng.random_range(18..80);
            p.birth_date = today()
                .with_year(today().year() - years)
                .and_then(|d| d.checked_sub_days(Days::new(rng.random_range(0..365))));
            if rng.random_bool(0.6) {
                p.consents.push(Consent {
                    kind: ConsentKind::Email,
                    given_on: ago(rng.random_range(0..1000)),
                });
            }
            Change::Upsert(p)
        })
        .collect();
    store.apply_profile_changes(&profiles).unwrap();
    let loaded_profiles = started.elapsed();
    let started = Instant::now();
    let kinds = [
        TransactionKind::InStore,
        TransactionKind::Online,
        TransactionKind::ClickAndCollect,
    ];
    for batch in 0..(TRANSACTIONS / 100_000) {
        let transactions: Vec<_> = (0..100_000)
            .map(|j| {
                let n = batch * 100_000 + j;
                Change::Upsert(Transaction {
                    id: format!("t-{n:07}"),
                    customer_id: customer_id(rng.random_range(0..CUSTOMERS)),
                    date: ago(rng.random_range(0..730)),
                    amount: f64::from(rng.random_range(100..20_000)) / 100.0,
                    kind: kinds[rng.random_range(0..3)],
                    business_unit_id: None,
                    partner_id: None,
                    version: 1,
                })
            })
            .collect();
        store.apply_transaction_changes(&transactions).unwrap();
    }
    let loaded_transactions = started.elapsed();
    let started = Instant::now();
    store.refresh_customer_segments().unwrap();
    let rfm = started.elapsed();
    println!(
        "load: customers + profiles {:.1} s, transactions {:.1} s ({:.0}/s), first RFM pass {:.0} ms",
        loaded_profiles.as_secs_f64(),
        loaded_transactions.as_secs_f64(),
        TRANSACTIONS as f64 / loaded_transactions.as_secs_f64(),
        rfm.as_secs_f64() * 1e3
    );
}

fn five_conditions() -> Value {
    json!({"all": [
        {"attribute": "city", "op": "in", "values": ["Brno", "Praha"]},
        {"attribute": "age", "op": "between", "min": 25, "max": 60},
        {"attribute": "rfm_monetary", "op": "between", "min": 4, "max": 5},
        {"purchases": "sum", "window": {"last_days": 365}, "op": "between", "min": 500},
        {"attribute": "consent.email", "op": "exists"}
    ]})
}

fn segment(id: &str, flexi: bool, criteria: Value) -> CustomerSegment {
    CustomerSegment {
        id: id.into(),
        scope: OrgScope::All,
        name: id.into(),
        note: None,
        priority: 1,
        kind: CustomerSegmentKind::Conditional,
        flexi,
        tags: Vec::new(),
        criteria: Some(criteria),
        version: 1,
        updated_at: Utc::now(),
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The same condition written by hand for these tables, as one would
/// without fieldsync (the two profile tests in one set, no generality),
/// writing the same member rows.
fn hand_written(store: &Store) -> (Duration, u64) {
    let today = today();
    let window_start = ago(365).format("%Y-%m-%d").to_string();
    let started = Instant::now();
    let count = store
        .write(|tx| {
            tx.execute("DELETE FROM customer_segment_members WHERE segment_id = 'hand'", [])?;
            let n = tx.execute(
                "INSERT INTO customer_segment_members (segment_id, customer_id)
                 SELECT 'hand', c.id FROM customers c
                 WHERE c.deleted = 0
                   AND c.id IN (SELECT customer_id FROM customer_profiles WHERE city IN ('Brno', 'Praha')
                       AND (CAST(substr(?1, 1, 4) AS INTEGER) - CAST(substr(birth_date, 1, 4) AS INTEGER)
                            - (substr(?1, 6, 5) < substr(birth_date, 6, 5))) BETWEEN 25 AND 60)
                   AND c.id IN (SELECT customer_id FROM customer_stats WHERE rfm_monetary BETWEEN 4 AND 5)
                   AND c.id IN (SELECT customer_id FROM customer_consents WHERE kind = 'email')
                   AND (SELECT sum(t.amount_minor) FROM transactions t
                        WHERE t.customer_id = c.id AND t.on_date BETWEEN ?2 AND ?1) >= 50000",
                rusqlite::params![today.format("%Y-%m-%d").to_string(), window_start],
            )?;
            Ok(n as u64)
        })
        .unwrap();
    (started.elapsed(), count)
}

/// Removes segments a kept database has from an earlier run.
fn forget(store: &Store, ids: &[&str]) {
    let deletes: Vec<_> = ids
        .iter()
        .map(|id| Change::Delete {
            id: (*id).to_owned(),
            version: i64::MAX,
        })
        .collect();
    store.apply_customer_segment_changes(&deletes).unwrap();
}

fn full_evaluation(store: &Store) {
    forget(store, &["five"]);
    store
        .apply_customer_segment_changes(&[Change::Upsert(segment(
            "five",
            false,
            five_conditions(),
        ))])
        .unwrap();
    store.refresh_customer_segments().unwrap();
    let mut ours = Vec::new();
    let mut limit = Vec::new();
    let mut hand_count = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        store.refresh_customer_segment("five").unwrap();
        ours.push(started.elapsed());
        let (elapsed, n) = hand_written(store);
        limit.push(elapsed);
        hand_count = n;
    }
    let members = store
        .customer_segment("five")
        .unwrap()
        .unwrap()
        .member_count;
    assert_eq!(
        members, hand_count,
        "the hand-written query is the same condition"
    );
    let (ours, limit) = (median(ours), median(limit));
    println!(
        "full evaluation, 5 conditions (RFM range + 365-day spend): {:.1} ms for {members} members \
         (median of {RUNS}; target < 150 ms); hand-written SQL {:.1} ms; ratio {:.2}x",
        ms(ours),
        ms(limit),
        ms(ours) / ms(limit)
    );
}

fn one_customer_changes(store: &Store) {
    let update = |i: usize| {
        let c = customer_id(i * 7_919 % CUSTOMERS);
        let started = Instant::now();
        store
            .update_customer(
                &c,
                &CustomerUpdate {
                    name: Some(format!("Renamed {i}")),
                    ..Default::default()
                },
            )
            .unwrap();
        started.elapsed()
    };
    let samples = 200;
    forget(
        store,
        &["flexi-0", "flexi-1", "flexi-2", "flexi-3", "flexi-4"],
    );
    // Limit: the same update with no flexi segment to follow.
    let without: Vec<_> = (0..samples).map(update).collect();
    let flexi: Vec<_> = [
        five_conditions(),
        json!({"attribute": "city", "op": "equals", "value": "Brno"}),
        json!({"purchases": "count", "window": {"last_days": 90}, "op": "between", "min": 2}),
        json!({"attribute": "rfm_recency", "op": "equals", "value": 5}),
        json!({"not": {"in_segment": "flexi-0"}}),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, c)| Change::Upsert(segment(&format!("flexi-{i}"), true, c)))
    .collect();
    store.apply_customer_segment_changes(&flexi).unwrap();
    let started = Instant::now();
    store.refresh_customer_segments().unwrap();
    let full_five = started.elapsed();
    let with: Vec<_> = (samples..2 * samples).map(update).collect();
    let (without, with) = (median(without), median(with));
    println!(
        "one customer changes, 5 flexi segments follow: update_customer {:.2} ms (median of {samples}); \
         same update without segments {:.2} ms; ratio {:.2}x; a full evaluation of the five takes {:.0} ms ({:.0}x more)",
        ms(with),
        ms(without),
        ms(with) / ms(without),
        ms(full_five),
        ms(full_five) / ms(with)
    );
    // New transactions move every RFM score: the next refresh recomputes
    // them and re-evaluates the flexi segments that use RFM in full.
    store
        .apply_transaction_changes(&[Change::Upsert(Transaction {
            id: format!("t-new-{}", std::process::id()),
            customer_id: customer_id(1),
            date: today(),
            amount: 99.0,
            kind: TransactionKind::Online,
            business_unit_id: None,
            partner_id: None,
            version: 1,
        })])
        .unwrap();
    let started = Instant::now();
    let refresh = store.refresh_customer_segments().unwrap();
    println!(
        "one new transaction: RFM recomputed and {} RFM segments re-evaluated in full, {} customer evaluations: {:.0} ms",
        refresh.full_evaluations,
        refresh.customer_evaluations,
        ms(started.elapsed())
    );
}
