//! Demo data (`--seed-demo`) and synthetic data for benchmarks
//! (`--generate-customers N`, `--generate-segments N`,
//! `--generate-transactions N`, deterministic for a `--seed`).
//!
//! Seeding only fills a fresh database: a `--db` file that already has
//! organizations is left as it is, so restarting with the same flags keeps
//! the data instead of doubling it.

use chrono::{DateTime, Days, NaiveDate, Utc};
use fieldsync_core::model::profile::{
    AttributeValue, CampaignReceipt, Cart, Consent, ConsentKind, CustomAttribute, CustomerEvent,
    CustomerProfile, EventKind, Loyalty, Transaction, TransactionKind,
};
use fieldsync_core::model::{
    CustomerDraft, CustomerSegmentDraft, PicklistDraft, PicklistKind, RemoteCustomer, Role,
    SegmentDraft, Session, VisitFrequency,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use serde_json::json;

use crate::error::{ApiError, Result};
use crate::store::catalogue::{create_picklist_value, create_segment, list_segments};
use crate::store::customer_segments;
use crate::store::customers::{create_customer, get_customer, list_customers, write};
use crate::store::profiles::{insert_new_transactions, put_cart, put_profile, put_transactions};
use crate::store::{Db, organization_ids, reserve_seq, upsert_organization, users};

pub const NORTH: &str = "org-north";
pub const SOUTH: &str = "org-south";

/// The demo's business units and partner (settings of partners and
/// business units: the customers' home ones, and where they bought).
pub const BU_BRNO: &str = "bu-brno";
pub const BU_PRAHA: &str = "bu-praha";
pub const BU_WEB: &str = "bu-web";
pub const PT_WHOLESALE: &str = "pt-wholesale";

/// What to put into a fresh database.
#[derive(Clone, Debug, Default)]
pub struct SeedPlan {
    pub demo: bool,
    pub customers: usize,
    pub segments: usize,
    /// Transactions spread over the generated customers (over every
    /// customer when none are generated), plus a profile per generated
    /// customer.
    pub transactions: usize,
    pub seed: u64,
}

/// Fills a fresh database; does nothing to one that has data.
pub fn run(db: &Db, plan: &SeedPlan) -> Result<()> {
    if !plan.demo && plan.customers == 0 && plan.segments == 0 && plan.transactions == 0 {
        return Ok(());
    }
    db.write_blocking(|tx| {
        if !organization_ids(tx)?.is_empty() {
            tracing::info!("database has data already: not seeding");
            return Ok(());
        }
        let now = Utc::now();
        if plan.demo {
            demo(tx, now)?;
        } else {
            // Synthetic data needs organizations to belong to.
            upsert_organization(tx, NORTH, Some("nl"))?;
            upsert_organization(tx, SOUTH, Some("en"))?;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
        generate_segments(tx, &mut rng, plan.segments, now)?;
        let generated = generate_customers(tx, &mut rng, plan.customers, now)?;
        if plan.transactions > 0 {
            let owners = if generated.is_empty() {
                list_customers(tx, None)?
                    .into_iter()
                    .map(|c| (c.id, c.organization_id))
                    .collect()
            } else {
                generate_profiles(tx, &mut rng, &generated, now)?;
                generated
            };
            generate_transactions(tx, &mut rng, &owners, plan.transactions, now)?;
        }
        Ok(())
    })
}

fn names(pairs: &[(&str, &str)]) -> Option<std::collections::BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(l, t)| ((*l).to_owned(), (*t).to_owned()))
            .collect(),
    )
}

/// The demo users: (name and password, organization, role).
const DEMO_USERS: [(&str, &str, Role); 4] = [
    ("admin", NORTH, Role::Admin),
    ("manager", NORTH, Role::Manager),
    ("tech", NORTH, Role::Technician),
    ("tech2", SOUTH, Role::Technician),
];

/// The argon2id hashes of the demo users' passwords, made once per process:
/// every demo server of a test run would otherwise spend ~100 ms hashing
/// the same four published passwords. Each has its own random salt; servers
/// of one process share them (the passwords are public anyway). Only these
/// seeded hashes are kept: logins are always verified afresh.
fn demo_password_hashes() -> Result<&'static [String]> {
    static HASHES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    if let Some(h) = HASHES.get() {
        return Ok(h);
    }
    let made = DEMO_USERS
        .iter()
        .map(|(user, _, _)| crate::passwords::hash(user))
        .collect::<Result<Vec<_>>>()?;
    Ok(HASHES.get_or_init(|| made))
}

fn demo(tx: &Connection, now: DateTime<Utc>) -> Result<()> {
    upsert_organization(tx, NORTH, Some("nl"))?;
    upsert_organization(tx, SOUTH, Some("en"))?;
    for ((user, org, role), hash) in DEMO_USERS.iter().zip(demo_password_hashes()?) {
        users::create_user_with_hash(tx, &format!("user-{user}"), user, hash, org, *role)?;
    }

    // (code, English, Dutch) per list.
    type Values = &'static [(&'static str, &'static str, &'static str)];
    let picklists: [(PicklistKind, Values); 4] = [
        (
            PicklistKind::Status,
            &[
                ("active", "Active", "Actief"),
                ("prospect", "Prospect", "Prospect"),
                ("inactive", "Inactive", "Inactief"),
            ],
        ),
        (
            PicklistKind::Source,
            &[
                ("referral", "Referral", "Doorverwijzing"),
                ("web", "Website", "Website"),
                ("fair", "Trade fair", "Beurs"),
            ],
        ),
        (
            PicklistKind::Industry,
            &[
                ("food", "Food", "Voeding"),
                ("construction", "Construction", "Bouw"),
                ("hospitality", "Hospitality", "Horeca"),
            ],
        ),
        (
            PicklistKind::Channel,
            &[
                ("direct", "Direct", "Direct"),
                ("partner", "Partner", "Partner"),
            ],
        ),
    ];
    for (kind, values) in picklists {
        for (order, (code, en, nl)) in values.iter().enumerate() {
            let draft = PicklistDraft {
                organization: None,
                label: names(&[("en", en), ("nl", nl)]),
                sort_order: Some(order as i64),
            };
            let id = format!("{}-{code}", kind.code());
            create_picklist_value(tx, kind, &id, draft.validate()?, now)?;
        }
    }

    let segments = [
        ("seg-wholesale", None, "Wholesale", "Groothandel", "weekly"),
        ("seg-retail", None, "Retail", "Detailhandel", "monthly"),
        (
            "seg-export",
            Some(SOUTH),
            "Export",
            "Export",
            "every_2_weeks",
        ),
    ];
    for (id, org, en, nl, frequency) in segments {
        let draft = SegmentDraft {
            organization: org.map(str::to_owned),
            name: names(&[("en", en), ("nl", nl)]),
            visit_frequency: Some(frequency.to_owned()),
            description: None,
        };
        create_segment(tx, id, draft.validate()?, now)?;
    }

    let admin = Session::new("user-admin", NORTH, Role::Admin);
    let customers = [
        (
            "cust-north-1",
            NORTH,
            "Bakkerij Janssens",
            Some("seg-retail"),
        ),
        (
            "cust-north-2",
            NORTH,
            "Groothandel De Vries",
            Some("seg-wholesale"),
        ),
        ("cust-north-3", NORTH, "Hotel Zonneveld", None),
        ("cust-north-4", NORTH, "Garage Peeters", Some("seg-retail")),
        (
            "cust-south-1",
            SOUTH,
            "Harbour Supplies",
            Some("seg-export"),
        ),
        (
            "cust-south-2",
            SOUTH,
            "Southside Builders",
            Some("seg-wholesale"),
        ),
    ];
    for (id, org, name, segment) in customers {
        let draft = CustomerDraft {
            name: name.to_owned(),
            status_id: Some("status-active".into()),
            segment_id: segment.map(str::to_owned),
            ..Default::default()
        };
        create_customer(tx, &admin, "id", id, draft, org, now)?;
    }
    demo_marketing(tx, now)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid demo date")
}

/// Profiles, transactions and customer segments of the demo customers (see
/// the README's demo data for who is in which segment).
fn demo_marketing(tx: &Connection, now: DateTime<Utc>) -> Result<()> {
    let today = now.date_naive();
    let ago = |days: u64| today - Days::new(days);
    let consent = |kind, given_on| Consent { kind, given_on };
    let loyalty = |member, tier: Option<&str>, points| {
        Some(Loyalty {
            member,
            tier: tier.map(str::to_owned),
            points,
        })
    };
    let attribute = |key: &str, value| CustomAttribute {
        key: key.to_owned(),
        value,
    };
    let event = |kind, on| CustomerEvent { kind, on };
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let some = |s: &str| Some(s.to_owned());
    let profiles = [
        CustomerProfile {
            customer_id: "cust-north-1".into(),
            birth_date: Some(date(1980, 4, 12)),
            gender: some("female"),
            city: some("Brno"),
            postal_code: some("602 00"),
            language: some("cs"),
            contact_source: some("fair"),
            consents: vec![consent(ConsentKind::Email, date(2024, 3, 1))],
            loyalty: loyalty(true, Some("gold"), 1200),
            active_vouchers: 2,
            badges: strings(&["early-adopter", "top-reviewer"]),
            attributes: vec![attribute("shop_size_m2", AttributeValue::Number(120.0))],
            events: vec![event(EventKind::Visit, ago(30))],
            audiences: strings(&["aud-spring-sale"]),
            campaigns: vec![CampaignReceipt {
                campaign_id: "camp-newsletter-1".into(),
                received: true,
                opened: true,
                clicked: true,
            }],
            business_unit_id: some(BU_BRNO),
            ..CustomerProfile::empty("cust-north-1")
        },
        CustomerProfile {
            birth_date: Some(date(1975, 9, 1)),
            gender: some("male"),
            city: some("Praha"),
            postal_code: some("110 00"),
            language: some("nl"),
            contact_source: some("web"),
            consents: vec![consent(ConsentKind::Sms, date(2023, 11, 15))],
            loyalty: loyalty(true, Some("silver"), 300),
            badges: strings(&["wholesale-partner"]),
            attributes: vec![attribute(
                "delivery_day",
                AttributeValue::Text("monday".into()),
            )],
            events: vec![event(EventKind::Complaint, ago(60))],
            campaigns: vec![CampaignReceipt {
                campaign_id: "camp-newsletter-1".into(),
                received: true,
                opened: false,
                clicked: false,
            }],
            business_unit_id: some(BU_PRAHA),
            partner_id: some(PT_WHOLESALE),
            ..CustomerProfile::empty("cust-north-2")
        },
        CustomerProfile {
            birth_date: Some(date(1992, 1, 20)),
            city: some("Brno"),
            postal_code: some("612 00"),
            language: some("en"),
            consents: vec![
                consent(ConsentKind::Email, date(2025, 6, 2)),
                consent(ConsentKind::Post, date(2025, 6, 2)),
            ],
            attributes: vec![attribute("rooms", AttributeValue::Number(45.0))],
            events: vec![event(EventKind::EventAttended, ago(10))],
            audiences: strings(&["aud-spring-sale"]),
            business_unit_id: some(BU_BRNO),
            ..CustomerProfile::empty("cust-north-3")
        },
        CustomerProfile {
            birth_date: Some(date(1968, 7, 7)),
            gender: some("male"),
            city: some("Ostrava"),
            loyalty: loyalty(false, None, 0),
            attributes: vec![attribute("has_workshop", AttributeValue::Boolean(true))],
            events: vec![event(EventKind::Visit, ago(5))],
            ..CustomerProfile::empty("cust-north-4")
        },
        CustomerProfile {
            birth_date: Some(date(1985, 2, 2)),
            city: some("Bristol"),
            language: some("en"),
            consents: vec![consent(ConsentKind::Email, date(2022, 1, 10))],
            loyalty: loyalty(true, Some("bronze"), 80),
            business_unit_id: some("bu-bristol"),
            ..CustomerProfile::empty("cust-south-1")
        },
        CustomerProfile {
            birth_date: Some(date(2000, 12, 12)),
            city: some("Brno"),
            attributes: vec![attribute("founded", AttributeValue::Date(date(2019, 5, 1)))],
            ..CustomerProfile::empty("cust-south-2")
        },
    ];
    for profile in profiles {
        profile.validate()?;
        let customer = get_customer(tx, &profile.customer_id)?
            .ok_or_else(|| ApiError::Internal(format!("no {}", profile.customer_id)))?;
        put_profile(tx, &customer, profile, now, None)?;
    }

    use TransactionKind::{ClickAndCollect, InStore, Online};
    // (customer, days ago, amount, kind): 20, all within the last year.
    let purchases: [(&str, u64, f64, TransactionKind); 20] = [
        ("cust-north-1", 10, 25.50, InStore),
        ("cust-north-1", 45, 40.00, InStore),
        ("cust-north-1", 90, 12.75, Online),
        ("cust-north-1", 150, 88.20, InStore),
        ("cust-north-1", 220, 19.99, InStore),
        ("cust-north-1", 300, 64.10, ClickAndCollect),
        ("cust-north-2", 20, 450.00, Online),
        ("cust-north-2", 100, 320.50, Online),
        ("cust-north-2", 180, 510.00, Online),
        ("cust-north-2", 350, 275.25, InStore),
        ("cust-north-3", 75, 99.90, ClickAndCollect),
        ("cust-north-4", 3, 15.00, InStore),
        ("cust-north-4", 33, 22.50, InStore),
        ("cust-north-4", 63, 18.00, ClickAndCollect),
        ("cust-north-4", 93, 30.00, InStore),
        ("cust-north-4", 123, 12.40, Online),
        ("cust-south-1", 15, 70.00, InStore),
        ("cust-south-1", 160, 80.00, Online),
        ("cust-south-1", 330, 90.00, InStore),
        ("cust-south-2", 200, 35.50, InStore),
    ];
    let transactions: Vec<(Transaction, &str)> = purchases
        .iter()
        .enumerate()
        .map(|(i, (customer, days, amount, kind))| {
            let org = if customer.starts_with("cust-north") {
                NORTH
            } else {
                SOUTH
            };
            // Bought online at the web shop, else at the customer's home
            // business unit; the wholesale customer through its partner.
            let home = match *customer {
                "cust-north-2" => BU_PRAHA,
                "cust-north-4" => "bu-ostrava",
                c if c.starts_with("cust-south") => "bu-bristol",
                _ => BU_BRNO,
            };
            let t = Transaction {
                id: format!("tx-demo-{:02}", i + 1),
                customer_id: (*customer).to_owned(),
                date: ago(*days),
                amount: *amount,
                kind: *kind,
                business_unit_id: some(if *kind == Online { BU_WEB } else { home }),
                partner_id: (*customer == "cust-north-2").then(|| PT_WHOLESALE.to_owned()),
                version: 1,
            };
            (t, org)
        })
        .collect();
    for (t, _) in &transactions {
        t.validate()?;
    }
    let rows: Vec<(&Transaction, &str)> = transactions.iter().map(|(t, o)| (t, *o)).collect();
    put_transactions(tx, &rows)?;

    // Open shopping carts: (customer, value, items, days since the last
    // change, abandoned).
    let carts = [
        ("cust-north-1", 59.90, 3, 1, false),
        ("cust-north-3", 120.00, 4, 10, true),
        ("cust-south-1", 15.00, 1, 2, true),
    ];
    for (customer_id, value, items, days, abandoned) in carts {
        let cart = Cart {
            customer_id: customer_id.to_owned(),
            value,
            items,
            updated_on: ago(days),
            abandoned,
            version: 0,
        };
        cart.validate()?;
        let customer = get_customer(tx, customer_id)?
            .ok_or_else(|| ApiError::Internal(format!("no {customer_id}")))?;
        put_cart(tx, &customer, cart, None)?;
    }

    let segments = [
        (
            "cs-vip",
            CustomerSegmentDraft {
                name: some("VIP"),
                note: some("Hand-picked by marketing automation"),
                priority: Some(50),
                kind: some("static"),
                ..Default::default()
            },
        ),
        (
            "cs-brno-buyers",
            CustomerSegmentDraft {
                name: some("Buyers in Brno"),
                priority: Some(40),
                flexi: Some(true),
                tags: Some(strings(&["city", "loyalty"])),
                criteria: Some(json!({"all": [
                    {"attribute": "city", "op": "equals", "value": "Brno"},
                    {"purchases": "count", "op": "between", "min": 1}
                ]})),
                ..Default::default()
            },
        ),
        (
            "cs-retail-snapshot",
            CustomerSegmentDraft {
                name: some("Retail (snapshot)"),
                priority: Some(10),
                flexi: Some(false),
                criteria: Some(
                    json!({"attribute": "segment_id", "op": "equals", "value": "seg-retail"}),
                ),
                ..Default::default()
            },
        ),
        (
            "cs-not-vip",
            CustomerSegmentDraft {
                name: some("Everyone but the VIPs"),
                priority: Some(5),
                flexi: Some(true),
                criteria: Some(json!({"not": {"in_segment": "cs-vip"}})),
                ..Default::default()
            },
        ),
    ];
    for (id, draft) in segments {
        customer_segments::create(tx, id, draft.validate()?, now)?;
    }
    let vip_member = get_customer(tx, "cust-north-1")?
        .ok_or_else(|| ApiError::Internal("no cust-north-1".into()))?;
    customer_segments::set_member(tx, "cs-vip", &vip_member, true)?;
    Ok(())
}

/// A UUID from the seeded RNG, so generated ids repeat with the seed.
fn uuid(rng: &mut ChaCha8Rng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

/// Segment name parts in English, Dutch, French, German and Spanish.
const LANGUAGES: [&str; 5] = ["en", "nl", "fr", "de", "es"];
const KINDS: [[&str; 5]; 6] = [
    [
        "Retail",
        "Detailhandel",
        "Commerce de détail",
        "Einzelhandel",
        "Minorista",
    ],
    [
        "Wholesale",
        "Groothandel",
        "Commerce de gros",
        "Großhandel",
        "Mayorista",
    ],
    [
        "Hospitality",
        "Horeca",
        "Hôtellerie",
        "Gastgewerbe",
        "Hostelería",
    ],
    [
        "Industry",
        "Industrie",
        "Industrie",
        "Industrie",
        "Industria",
    ],
    [
        "Agriculture",
        "Landbouw",
        "Agriculture",
        "Landwirtschaft",
        "Agricultura",
    ],
    ["Healthcare", "Zorg", "Santé", "Gesundheitswesen", "Sanidad"],
];
const SIZES: [[&str; 5]; 3] = [
    ["small", "klein", "petit", "klein", "pequeño"],
    ["medium", "middelgroot", "moyen", "mittel", "mediano"],
    ["large", "groot", "grand", "groß", "grande"],
];

fn generate_segments(
    tx: &Connection,
    rng: &mut ChaCha8Rng,
    n: usize,
    now: DateTime<Utc>,
) -> Result<()> {
    for i in 0..n {
        let kind = KINDS[rng.random_range(0..KINDS.len())];
        let size = SIZES[rng.random_range(0..SIZES.len())];
        let name = LANGUAGES
            .iter()
            .enumerate()
            .map(|(l, lang)| ((*lang).to_owned(), format!("{} ({}) {i}", kind[l], size[l])))
            .collect();
        // Mostly for everyone, some for one organization.
        let organization = match rng.random_range(0..10) {
            0 => Some(NORTH.to_owned()),
            1 => Some(SOUTH.to_owned()),
            _ => None,
        };
        let frequency = VisitFrequency::ALL[rng.random_range(0..VisitFrequency::ALL.len())];
        let draft = SegmentDraft {
            organization,
            name: Some(name),
            visit_frequency: Some(frequency.code().to_owned()),
            description: None,
        };
        create_segment(tx, &format!("seg-{}", uuid(rng)), draft.validate()?, now)?;
    }
    Ok(())
}

const FIRST: [&str; 8] = [
    "Bakkerij",
    "Garage",
    "Hotel",
    "Café",
    "Slagerij",
    "Bouwbedrijf",
    "Apotheek",
    "Bloemist",
];
const LAST: [&str; 8] = [
    "Janssens", "De Vries", "Peeters", "Jansen", "Bakker", "Visser", "Smit", "Mulder",
];

/// Adds `n` customers in one transaction with prepared statements and one
/// reserved block of seqs: 100,000 take a second or two.
fn generate_customers(
    tx: &Connection,
    rng: &mut ChaCha8Rng,
    n: usize,
    now: DateTime<Utc>,
) -> Result<Vec<(String, String)>> {
    let mut generated = Vec::with_capacity(n);
    if n == 0 {
        return Ok(generated);
    }
    let orgs = [NORTH, SOUTH];
    // Segments each organization may use.
    let segments = list_segments(tx)?;
    let usable: Vec<Vec<&str>> = orgs
        .iter()
        .map(|o| {
            segments
                .iter()
                .filter(|s| s.scope.covers(o))
                .map(|s| s.id.as_str())
                .collect()
        })
        .collect();
    let first_seq = reserve_seq(tx, n as i64)?;
    for i in 0..n {
        let o = rng.random_range(0..orgs.len());
        let segment_id = match usable[o].len() {
            0 => None,
            len if rng.random_bool(0.8) => Some(usable[o][rng.random_range(0..len)].to_owned()),
            _ => None,
        };
        let name = format!(
            "{} {} {i}",
            FIRST[rng.random_range(0..FIRST.len())],
            LAST[rng.random_range(0..LAST.len())]
        );
        let customer = RemoteCustomer {
            id: uuid(rng),
            organization_id: orgs[o].to_owned(),
            name,
            status_id: None,
            source_id: None,
            industry_id: None,
            channel_id: None,
            segment_id,
            last_visit: None,
            created_at: now,
            updated_at: now,
            version: 1,
            deleted: false,
        };
        customer.validate()?;
        write(tx, &customer, "generator", first_seq + i as i64)?;
        generated.push((customer.id, customer.organization_id));
    }
    Ok(generated)
}

const CITIES: [&str; 8] = [
    "Brno",
    "Praha",
    "Ostrava",
    "Plzeň",
    "Amsterdam",
    "Antwerpen",
    "Bristol",
    "Leeds",
];

/// A profile per generated customer: a city, a birth date, an e-mail
/// consent for about 40% and loyalty membership for about 30%.
fn generate_profiles(
    tx: &Connection,
    rng: &mut ChaCha8Rng,
    customers: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<()> {
    let first_seq = reserve_seq(tx, customers.len() as i64)?;
    let today = now.date_naive();
    for (i, (id, org)) in customers.iter().enumerate() {
        let birth = date(1940, 1, 1) + Days::new(rng.random_range(0..24_000));
        let consents = if rng.random_bool(0.4) {
            vec![Consent {
                kind: ConsentKind::Email,
                given_on: today - Days::new(rng.random_range(0..1_500)),
            }]
        } else {
            Vec::new()
        };
        let loyalty = rng.random_bool(0.3).then(|| Loyalty {
            member: true,
            tier: Some(["bronze", "silver", "gold"][rng.random_range(0..3)].to_owned()),
            points: rng.random_range(0..5_000),
        });
        let profile = CustomerProfile {
            birth_date: Some(birth),
            city: Some(CITIES[rng.random_range(0..CITIES.len())].to_owned()),
            consents,
            loyalty,
            ..CustomerProfile::empty(id.clone())
        };
        // The customer as put_profile needs it: id and organization.
        let owner = RemoteCustomer {
            id: id.clone(),
            organization_id: org.clone(),
            name: String::new(),
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
        };
        put_profile(tx, &owner, profile, now, Some(first_seq + i as i64))?;
    }
    Ok(())
}

/// Rows written per batch of generated transactions.
const TRANSACTION_CHUNK: usize = 50_000;

/// `n` transactions spread at random over `owners` (customer id,
/// organization), dated within the last two years, ids `tx-gen-<i>` (nine
/// digits, zero-padded).
fn generate_transactions(
    tx: &Connection,
    rng: &mut ChaCha8Rng,
    owners: &[(String, String)],
    n: usize,
    now: DateTime<Utc>,
) -> Result<()> {
    if owners.is_empty() {
        return Ok(());
    }
    let today = now.date_naive();
    let kinds = TransactionKind::ALL;
    // Secondary indexes are cheaper built once, sorted, than kept up to
    // date row by row (the ids below append to the primary key in order).
    tx.execute_batch(
        "DROP INDEX IF EXISTS transactions_org_seq; DROP INDEX IF EXISTS transactions_customer;",
    )?;
    let mut chunk: Vec<(Transaction, usize)> = Vec::with_capacity(TRANSACTION_CHUNK.min(n));
    let flush = |chunk: &mut Vec<(Transaction, usize)>| -> Result<()> {
        let rows: Vec<(&Transaction, &str)> = chunk
            .iter()
            .map(|(t, o)| (t, owners[*o].1.as_str()))
            .collect();
        insert_new_transactions(tx, &rows)?;
        chunk.clear();
        Ok(())
    };
    for i in 0..n {
        let o = rng.random_range(0..owners.len());
        let t = Transaction {
            id: format!("tx-gen-{i:09}"),
            customer_id: owners[o].0.clone(),
            date: today - Days::new(rng.random_range(0..730)),
            amount: rng.random_range(100..50_000) as f64 / 100.0,
            kind: kinds[rng.random_range(0..kinds.len())],
            business_unit_id: None,
            partner_id: None,
            version: 1,
        };
        chunk.push((t, o));
        if chunk.len() == TRANSACTION_CHUNK {
            flush(&mut chunk)?;
        }
    }
    flush(&mut chunk)?;
    // The schema's indexes again (it creates them IF NOT EXISTS).
    tx.execute_batch(crate::store::SCHEMA)?;
    Ok(())
}
