//! The first outcome of every pushed mutation, kept in the same transaction
//! as its effect: a replay (the device did not get the answer) gets the same
//! outcome back and the mutation is never applied twice.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Result;

/// The stored outcome of `mutation_id`, if it was seen before.
pub fn outcome<T: DeserializeOwned>(conn: &Connection, mutation_id: &str) -> Result<Option<T>> {
    let json: Option<String> = conn
        .prepare_cached("SELECT outcome FROM mutation_outcomes WHERE mutation_id = ?1")?
        .query_row([mutation_id], |r| r.get(0))
        .optional()?;
    Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
}

pub fn remember<T: Serialize>(
    conn: &Connection,
    mutation_id: &str,
    user_id: &str,
    outcome: &T,
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
