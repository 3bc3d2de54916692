//! Demo data (`--seed-demo`) and synthetic data for benchmarks
//! (`--generate-customers N`, `--generate-segments N`, deterministic for a
//! `--seed`).
//!
//! Seeding only fills a fresh database: a `--db` file that already has
//! organizations is left as it is, so restarting with the same flags keeps
//! the data instead of doubling it.

use chrono::{DateTime, Utc};
use fieldsync_core::model::{
    CustomerDraft, PicklistDraft, PicklistKind, RemoteCustomer, Role, SegmentDraft, Session,
    VisitFrequency,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;

use crate::error::Result;
use crate::store::catalogue::{create_picklist_value, create_segment, list_segments};
use crate::store::customers::{create_customer, write};
use crate::store::{Db, organization_ids, reserve_seq, upsert_organization, users};

pub const NORTH: &str = "org-north";
pub const SOUTH: &str = "org-south";

/// What to put into a fresh database.
#[derive(Clone, Debug, Default)]
pub struct SeedPlan {
    pub demo: bool,
    pub customers: usize,
    pub segments: usize,
    pub seed: u64,
}

/// Fills a fresh database; does nothing to one that has data.
pub fn run(db: &Db, plan: &SeedPlan) -> Result<()> {
    if !plan.demo && plan.customers == 0 && plan.segments == 0 {
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
        generate_customers(tx, &mut rng, plan.customers, now)
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

fn demo(tx: &Connection, now: DateTime<Utc>) -> Result<()> {
    upsert_organization(tx, NORTH, Some("nl"))?;
    upsert_organization(tx, SOUTH, Some("en"))?;
    for (user, org, role) in [
        ("admin", NORTH, Role::Admin),
        ("manager", NORTH, Role::Manager),
        ("tech", NORTH, Role::Technician),
        ("tech2", SOUTH, Role::Technician),
    ] {
        users::create_user(tx, &format!("user-{user}"), user, user, org, role)?;
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
) -> Result<()> {
    if n == 0 {
        return Ok(());
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
    }
    Ok(())
}
