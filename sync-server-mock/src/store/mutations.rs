//! The first outcome of every pushed mutation, kept in the same transaction
//! as its effect: a replay (the device did not get the answer) gets the same
//! outcome back and the mutation is never applied twice.

use fieldsync_core::protocol::MutationResult;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// The stored outcome of `mutation_id`, if it was seen before.
pub fn outcome(conn: &Connection, mutation_id: &str) -> Result<Option<MutationResult>> {
    let json: Option<String> = conn
        .prepare_cached("SELECT outcome FROM mutation_outcomes WHERE mutation_id = ?1")?
        .query_row([mutation_id], |r| r.get(0))
        .optional()?;
    Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
}

pub fn remember(
    conn: &Connection,
    mutation_id: &str,
    user_id: &str,
    outcome: &MutationResult,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO mutation_outcomes (mutation_id, user_id, outcome) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![
        mutation_id,
        user_id,
        serde_json::to_string(outcome)?
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use fieldsync_core::model::RemoteCustomer;
    use fieldsync_core::protocol::Rejection;

    use super::*;
    use crate::store::Db;

    #[test]
    fn outcomes_round_trip_and_older_ones_still_read() {
        let now = Utc::now();
        let current = RemoteCustomer {
            id: "c1".into(),
            organization_id: "org".into(),
            name: "Shop".into(),
            status_id: None,
            source_id: None,
            industry_id: None,
            channel_id: None,
            segment_id: Some("seg".into()),
            last_visit: None,
            created_at: now,
            updated_at: now,
            version: 4,
            deleted: false,
        };
        let rejected = MutationResult::Rejected {
            mutation_id: "m1".into(),
            rejection: Rejection {
                code: fieldsync_core::protocol::RejectionCode::Permission,
                field: Some("segment_id".into()),
                reason: "read-only".into(),
            },
            current: Some(current),
        };
        let db = Db::open(None).unwrap();
        db.write_blocking(|tx| {
            remember(tx, "m1", "u", &rejected)?;
            assert_eq!(outcome(tx, "m1")?, Some(rejected.clone()));
            // As stored before outcomes carried `current`.
            tx.execute(
                "INSERT INTO mutation_outcomes (mutation_id, user_id, outcome) VALUES ('m0', 'u', ?1)",
                [r#"{"status":"rejected","mutation_id":"m0","code":"not_found","reason":"gone"}"#],
            )?;
            assert!(matches!(
                outcome(tx, "m0")?,
                Some(MutationResult::Rejected { current: None, .. })
            ));
            assert_eq!(outcome(tx, "m2")?, None);
            Ok(())
        })
        .unwrap();
    }
}
