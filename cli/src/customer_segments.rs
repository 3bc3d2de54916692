//! `fieldsync customer-segments [members <segment-id> | of <customer-id>]`:
//! the customer segments of a device database, a segment's members and a
//! customer's segments.

use std::path::Path;

use fieldsync_core::model::{CustomerSegmentKind, LanguageTag};
use fieldsync_core::store::CustomerSegmentView;

use crate::CliResult;
use crate::inspect::open_existing;

/// `static`, `flexi` (conditional, follows the data) or `snapshot`
/// (conditional, evaluated when it arrives or is refreshed).
pub fn kind_label(segment: &CustomerSegmentView) -> &'static str {
    match (segment.kind, segment.flexi) {
        (CustomerSegmentKind::Static, _) => "static",
        (CustomerSegmentKind::Conditional, true) => "flexi",
        (CustomerSegmentKind::Conditional, false) => "snapshot",
    }
}

/// The member count, marked while a new definition waits for evaluation.
fn members_label(segment: &CustomerSegmentView) -> String {
    if segment.evaluated {
        segment.member_count.to_string()
    } else {
        format!("{} (stale)", segment.member_count)
    }
}

fn tags_label(segment: &CustomerSegmentView) -> String {
    if segment.tags.is_empty() {
        "-".to_owned()
    } else {
        segment.tags.join(", ")
    }
}

const HEADER: [&str; 6] = ["ID", "NAME", "KIND", "PRIORITY", "MEMBERS", "TAGS"];

fn row(cells: [&str; 6]) -> String {
    format!(
        "{:<24} {:<30} {:<9} {:>8} {:>8}  {}",
        cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]
    )
}

/// One table line of a segment.
pub fn segment_row(segment: &CustomerSegmentView) -> String {
    row([
        &segment.id,
        &segment.name,
        kind_label(segment),
        &segment.priority.to_string(),
        &members_label(segment),
        &tags_label(segment),
    ])
}

/// `fieldsync customer-segments --db D [--tag T]`: highest priority first.
pub fn list(db: &Path, tag: Option<&str>) -> CliResult {
    let store = open_existing(db)?;
    let segments = store.customer_segments(tag).map_err(|e| e.to_string())?;
    println!("{}", row(HEADER));
    for s in &segments {
        println!("{}", segment_row(s));
    }
    match tag {
        Some(tag) => println!("{} customer segment(s) tagged '{tag}'", segments.len()),
        None => println!("{} customer segment(s)", segments.len()),
    }
    Ok(())
}

/// `fieldsync customer-segments members <segment-id> --db D [--limit N --offset M]`:
/// sorted by name.
pub fn members(db: &Path, segment_id: &str, limit: u32, offset: u32) -> CliResult {
    let store = open_existing(db)?;
    let page = store
        .customer_segment_members(segment_id, limit, offset)
        .map_err(|e| e.to_string())?;
    for m in &page.members {
        println!("{:<38} {}", m.customer_id, m.name);
    }
    let from = if offset > 0 {
        format!(", from #{}", u64::from(offset) + 1)
    } else {
        String::new()
    };
    println!(
        "{} of {} member(s) of {segment_id}{from}",
        page.members.len(),
        page.total
    );
    Ok(())
}

/// `fieldsync customer-segments of <customer-id> --db D`: highest priority
/// first, the primary segment marked.
pub fn of_customer(db: &Path, customer_id: &str) -> CliResult {
    let store = open_existing(db)?;
    let customer = store
        .customer(customer_id, &LanguageTag::english())
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("customer {customer_id} not found"))?;
    let segments = store
        .customer_segments_of(customer_id)
        .map_err(|e| e.to_string())?;
    println!(
        "customer {customer_id} ({}): {} customer segment(s)",
        customer.customer.name,
        segments.len()
    );
    if segments.is_empty() {
        return Ok(());
    }
    println!("  {}", row(HEADER));
    for (i, s) in segments.iter().enumerate() {
        let mark = if i == 0 { "*" } else { " " };
        println!("{mark} {}", segment_row(s));
    }
    println!("* primary: {} ({})", segments[0].name, segments[0].id);
    Ok(())
}
