//! The fieldsync core in one run: open a store, load the Portal's segments,
//! show the dropdown in English and Dutch, and show the segment rule refusing
//! a technician's change on an existing customer while a manager's goes
//! through.
//!
//! `cargo run -p fieldsync-core --example demo [DB_PATH]`

use chrono::Utc;
use fieldsync_core::Store;
use fieldsync_core::model::{
    CustomerDraft, CustomerUpdate, LanguageTag, LocalizedText, OrgScope, RemoteCustomer, Role,
    Segment, Session, VisitFrequency,
};
use fieldsync_core::store::{Change, apply_customer_changes, outbox};

fn main() {
    if let Err(err) = run() {
        eprintln!("demo failed: {err}");
        std::process::exit(1);
    }
}

fn segment(
    id: &str,
    org: Option<&str>,
    names: &[(&str, &str)],
    freq: VisitFrequency,
) -> fieldsync_core::Result<Segment> {
    Ok(Segment {
        id: id.into(),
        scope: OrgScope::from_organization_id(org.map(Into::into)),
        name: LocalizedText::new("name", names.iter().copied(), 200)?,
        visit_frequency: freq,
        description: None,
        version: 1,
        updated_at: Utc::now(),
        deleted: false,
    })
}

fn run() -> fieldsync_core::Result<()> {
    let dir = tempfile_dir();
    let path = std::env::args()
        .nth(1)
        .map_or_else(|| dir.join("fieldsync-demo.db"), Into::into);
    let store = Store::open(&path)?;
    println!("store: {}", path.display());

    // What a sync would bring from the Portal (Settings -> Sales -> Marketing Segments).
    store.apply_segment_changes(&[
        Change::Upsert(segment(
            "seg-wholesale",
            None,
            &[("en", "Wholesale"), ("nl", "Groothandel")],
            VisitFrequency::Weekly,
        )?),
        Change::Upsert(segment(
            "seg-retail",
            None,
            &[("en", "Retail"), ("nl", "Detailhandel")],
            VisitFrequency::Monthly,
        )?),
        Change::Upsert(segment(
            "seg-farm",
            Some("org-north"),
            &[("en", "agriculture"), ("nl", "Landbouw")],
            VisitFrequency::Every3Months,
        )?),
        Change::Upsert(segment(
            "seg-port",
            Some("org-south"),
            &[("en", "Port services")],
            VisitFrequency::Every2Weeks,
        )?),
        Change::Upsert(segment(
            "seg-old",
            None,
            &[("en", "Discontinued")],
            VisitFrequency::Daily,
        )?),
        Change::Delete {
            id: "seg-old".into(),
            version: 2,
        },
    ])?;

    store.set_session(&Session::new("tech", "org-north", Role::Technician))?;
    for locale in ["en", "nl-BE"] {
        let locale = LanguageTag::parse(locale).expect("a valid tag");
        println!("\nSegment dropdown ({locale}) for a technician of org-north:");
        for option in store.segment_options(&locale)? {
            println!(
                "  {:<14} {:<14} visit: {}",
                option.id,
                option.label,
                option.visit_frequency.label()
            );
        }
    }

    let customer = store.create_customer(CustomerDraft {
        segment_id: Some("seg-retail".into()),
        ..CustomerDraft::named("Bakkerij Janssens")
    })?;
    println!(
        "\nTechnician created {} with segment Retail (new customer: segment editable).",
        customer.name
    );

    // The server accepts the upload; from now on the customer exists.
    let accepted = RemoteCustomer::from_customer(&customer, 1, false);
    store.write(|tx| {
        for entry in outbox::pending(tx, 100)? {
            outbox::acknowledge(tx, &entry.mutation_id)?;
        }
        apply_customer_changes(tx, &[Change::Upsert(accepted)])
    })?;

    let nl = LanguageTag::parse("nl").expect("a valid tag");
    let view = store.customer(&customer.id, &nl)?.expect("just created");
    let label = view
        .segment
        .as_ref()
        .and_then(|s| s.label.clone())
        .unwrap_or_default();
    println!(
        "After sync: segment shown as '{label}', editable for the technician: {}",
        view.segment_editable
    );

    let change = CustomerUpdate {
        segment_id: Some(Some("seg-wholesale".into())),
        ..Default::default()
    };
    match store.update_customer(&customer.id, &change) {
        Err(err) => println!("Technician changes the segment to Wholesale: refused: {err}"),
        Ok(_) => println!("Technician changes the segment: UNEXPECTEDLY ALLOWED"),
    }

    store.set_session(&Session::new("manager", "org-north", Role::Manager))?;
    let updated = store.update_customer(&customer.id, &change)?;
    println!(
        "Manager changes the segment to Wholesale: done ({}), {} change(s) waiting for upload.",
        updated.segment_id.as_deref().unwrap_or("-"),
        store.pending_count()?
    );
    drop(store);
    if std::env::args().nth(1).is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fieldsync-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a writable temp dir");
    dir
}
