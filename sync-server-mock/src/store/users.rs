//! Users: credentials, role and organization. A user's profile (core's
//! `Session` form) is an entity of the change feed, so devices see role and
//! organization changes made by an admin.

use fieldsync_core::model::{Role, Session};
use rusqlite::{Connection, OptionalExtension, params};

use super::{next_seq, require_organization};
use crate::error::{ApiError, Result};
use crate::passwords;

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

/// Adds a user (seeding); the password is stored as an argon2id hash.
pub fn create_user(
    conn: &Connection,
    id: &str,
    username: &str,
    password: &str,
    organization_id: &str,
    role: Role,
) -> Result<()> {
    let password_hash = passwords::hash(password)?;
    create_user_with_hash(conn, id, username, &password_hash, organization_id, role)
}

/// Adds a user whose password hash (a PHC string) is made already.
pub fn create_user_with_hash(
    conn: &Connection,
    id: &str,
    username: &str,
    password_hash: &str,
    organization_id: &str,
    role: Role,
) -> Result<()> {
    let seq = next_seq(conn)?;
    conn.prepare_cached(
        "INSERT INTO users (id, username, password_hash, organization_id, role, version, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
    )?
    .execute(params![
        id,
        username,
        password_hash,
        organization_id,
        role.code(),
        seq
    ])?;
    Ok(())
}

/// The user named `username` and their password hash, if any. The caller
/// verifies the password (`passwords::verify`) outside the database lock.
pub fn credentials(conn: &Connection, username: &str) -> Result<Option<(Session, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, organization_id, role, version, password_hash FROM users
             WHERE username = ?1",
        )?
        .query_row([username], |row| {
            Ok((session_from_row(row)?.0, row.get::<_, String>(4)?))
        })
        .optional()?)
}

/// Brings a users table of an older mock (plain-text `password` column)
/// to `password_hash`: each password is hashed, the plain column dropped.
/// Run at every open; does nothing on a current database.
pub fn migrate_plain_passwords(conn: &Connection) -> Result<bool> {
    let columns: Vec<String> = super::all_rows(
        conn,
        "SELECT name FROM pragma_table_info('users')",
        [],
        |r| r.get(0),
    )?;
    if !columns.iter().any(|c| c == "password") {
        return Ok(false);
    }
    if !columns.iter().any(|c| c == "password_hash") {
        conn.execute_batch("ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT ''")?;
    }
    let plain: Vec<(String, String)> =
        super::all_rows(conn, "SELECT id, password FROM users", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    for (id, password) in plain {
        conn.execute(
            "UPDATE users SET password_hash = ?2 WHERE id = ?1",
            params![id, passwords::hash(&password)?],
        )?;
    }
    conn.execute_batch("ALTER TABLE users DROP COLUMN password")?;
    Ok(true)
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
