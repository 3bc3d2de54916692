//! The signed-in user, kept in the database so the rule holds offline and
//! across app restarts; and the rule of a device shared by several users:
//! a user never sees nor uploads another user's local data.

use rusqlite::{Connection, OptionalExtension, params};

use super::outbox::{self, OutboxState};
use super::{Store, Tables};
use crate::error::{Error, Result};
use crate::model::{Role, Session};

pub fn load_session(conn: &Connection) -> Result<Option<Session>> {
    let row = conn
        .prepare_cached("SELECT user_id, organization_id, role FROM session WHERE id = 1")?
        .query_row([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .optional()?;
    row.map(|(user_id, organization_id, role)| {
        Ok(Session {
            user_id,
            organization_id,
            role: Role::from_code(&role)?,
        })
    })
    .transpose()
}

pub fn require_session(conn: &Connection) -> Result<Session> {
    load_session(conn)?.ok_or(Error::NoSession)
}

fn save_session(conn: &Connection, session: &Session) -> Result<()> {
    session.validate()?;
    conn.prepare_cached(
        "INSERT INTO session (id, user_id, organization_id, role) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id,
            organization_id = excluded.organization_id, role = excluded.role",
    )?
    .execute(params![
        session.user_id,
        session.organization_id,
        session.role.code()
    ])?;
    conn.prepare_cached(
        "INSERT INTO data_owner (id, user_id) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id",
    )?
    .execute([&session.user_id])?;
    Ok(())
}

/// The user the device's data belongs to, kept after they sign out
/// without clearing it.
pub fn data_owner(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT user_id FROM data_owner WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?)
}

/// Signed out with the data kept: nothing may sync until someone signs in.
pub fn signed_out(conn: &Connection) -> Result<bool> {
    Ok(load_session(conn)?.is_none() && data_owner(conn)?.is_some())
}

/// Makes `session` the signed-in one. The same user keeps the device's
/// data and cursor, and so does the first user of a device (what it holds
/// came with their token). Anyone else (another user, whatever their
/// organization or role, or anyone on data whose owner migration 6 could
/// not tell, `''`) starts from an empty device; while the outbox holds
/// changes they are the previous user's, never to be uploaded under
/// another token: refused with `PendingChanges`, nothing written.
/// `Ok(true)`: data was deleted, compact the file after the commit.
pub fn begin_session(conn: &Connection, session: &Session) -> Result<bool> {
    session.validate()?;
    let cleared = match data_owner(conn)? {
        Some(owner) if owner != session.user_id => {
            refuse_pending(conn)?;
            clear_local_data(conn)? > 0
        }
        _ => false,
    };
    save_session(conn, session)?;
    Ok(cleared)
}

/// The user's own profile from the feed: a new role or organization of the
/// same user, or the first owner of a device synced through an app's token
/// provider. The feed never switches to another user (signing in does):
/// such a profile is refused as `CorruptData`, which the pull skips.
/// `Ok(true)` if the session changed.
pub fn apply_user_profile(conn: &Connection, session: &Session) -> Result<bool> {
    match data_owner(conn)? {
        Some(owner) if owner != session.user_id => Err(Error::CorruptData {
            what: "user profile of another user",
        }),
        _ if load_session(conn)?.as_ref() == Some(session) => Ok(false),
        _ => save_session(conn, session).map(|()| true),
    }
}

fn refuse_pending(conn: &Connection) -> Result<()> {
    match outbox::count(conn, OutboxState::Pending)? {
        0 => Ok(()),
        count => Err(Error::PendingChanges { count }),
    }
}

/// Tables of bookkeeping without data: reset, not emptied.
const KEPT_TABLES: &[&str] = &["dropdown_state", "segment_evaluation_state"];

/// Deletes every row the device holds for a user: customers and all that
/// hangs off them, the catalogue, the outbox, the cursor and the sync log,
/// the session and its owner. Every table but the bookkeeping ones, so a
/// table a later migration adds is cleared too. Returns the rows deleted.
fn clear_local_data(conn: &Connection) -> Result<usize> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut deleted = 0;
    for table in tables.iter().filter(|t| !KEPT_TABLES.contains(&t.as_str())) {
        deleted += conn.execute(&format!("DELETE FROM \"{table}\""), [])?;
    }
    conn.execute(
        "UPDATE segment_evaluation_state SET rfm_dirty = 0, all_customers_changed = 0",
        [],
    )?;
    Ok(deleted)
}

/// What signing out does with the device's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignOut {
    /// Keep it for the same user's return (anyone else starts empty).
    KeepData,
    /// Delete it (refused while changes wait for upload).
    ClearData,
    /// Delete it with the changes waiting for upload.
    DiscardChanges,
}

impl Store {
    /// The stored session, if someone has signed in.
    pub fn session(&self) -> Result<Option<Session>> {
        self.read(load_session)
    }

    /// Stores the session (after sign-in, or when the server reports a new
    /// role or organization), under the shared-device rule of
    /// [`begin_session`]: another user than the data's owner starts from an
    /// empty device, or is refused with `PendingChanges`. Call it with no
    /// sync running.
    pub fn set_session(&self, session: &Session) -> Result<()> {
        if self.write(|tx| begin_session(tx, session))? {
            // Cleared for a new user, with whole-table deletes the
            // writer's hooks do not see.
            self.notify_changed(Tables::ALL);
            self.compact()?;
        }
        Ok(())
    }

    /// Forgets the session. Local data and pending changes stay, for the
    /// same user only.
    pub fn clear_session(&self) -> Result<()> {
        self.write_touching(Tables::SESSION, |tx| {
            tx.execute("DELETE FROM session", [])?;
            Ok(())
        })
    }

    /// Signs out: forgets the session and, unless `KeepData`, deletes the
    /// device's data and compacts the file, so deleted rows do not linger
    /// in free pages. Refused with `PendingChanges` while changes wait for
    /// upload, unless `DiscardChanges`. Call it with no sync running (the
    /// engine's `sign_out` sees to it).
    pub fn sign_out(&self, mode: SignOut) -> Result<()> {
        self.write_touching(Tables::ALL, |tx| {
            if mode != SignOut::DiscardChanges {
                refuse_pending(tx)?;
            }
            if mode == SignOut::KeepData {
                tx.execute("DELETE FROM session", [])?;
            } else {
                clear_local_data(tx)?;
            }
            Ok(())
        })?;
        if mode != SignOut::KeepData {
            self.compact()?;
        }
        Ok(())
    }
}
