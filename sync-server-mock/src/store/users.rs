//! Users: credentials, role and organization. A user's profile (core's
//! `Session` form) is an entity of the change feed, so devices see role and
//! organization changes made by an admin.

use fieldsync_core::model::{Role, Session};
use rusqlite::{Connection, OptionalExtension, params};

use super::{next_seq, require_organization};
use crate::error::{ApiError, Result};

fn session_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Session, i64)> {
    let role: String = row.get(2)?;
    let role = Role::from_code(&role).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
    })?;
    Ok((
        Session::new(row.get::<_, String>(0)?, row.get::<_, String>(1)?, role),
        row.get(3)?,
    ))
}

/// Adds a user (seeding).
pub fn create_user(
    conn: &Connection,
    id: &str,
    username: &str,
    password: &str,
    organization_id: &str,
    role: Role,
) -> Result<()> {
    let seq = next_seq(conn)?;
    conn.prepare_cached(
        "INSERT INTO users (id, username, password, organization_id, role, version, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
    )?
    .execute(params![
        id,
        username,
        password,
        organization_id,
        role.code(),
        seq
    ])?;
    Ok(())
}

/// The user with these credentials, if any.
pub fn authenticate(conn: &Connection, username: &str, password: &str) -> Result<Option<Session>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, organization_id, role, version FROM users
             WHERE username = ?1 AND password = ?2",
        )?
        .query_row([username, password], session_from_row)
        .optional()?
        .map(|(s, _)| s))
}

/// A user's current profile and its version.
pub fn profile(conn: &Connection, user_id: &str) -> Result<Option<(Session, i64)>> {
    Ok(conn
        .prepare_cached("SELECT id, organization_id, role, version FROM users WHERE id = ?1")?
        .query_row([user_id], session_from_row)
        .optional()?)
}

/// Changes a user's role and organization; a new version (and a feed
/// entry) only when something changed.
pub fn update_profile(
    conn: &Connection,
    user_id: &str,
    role: Role,
    organization_id: &str,
) -> Result<(Session, i64)> {
    let (current, version) =
        profile(conn, user_id)?.ok_or_else(|| ApiError::NotFound(format!("user {user_id}")))?;
    require_organization(conn, "organization_id", organization_id)?;
    let next = Session::new(user_id, organization_id, role);
    if next == current {
        return Ok((current, version));
    }
    let seq = next_seq(conn)?;
    conn.prepare_cached(
        "UPDATE users SET role = ?2, organization_id = ?3, version = version + 1, seq = ?4
         WHERE id = ?1",
    )?
    .execute(params![user_id, role.code(), organization_id, seq])?;
    Ok((next, version + 1))
}
