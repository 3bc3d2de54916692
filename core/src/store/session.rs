//! The signed-in user, kept in the database so the rule holds offline and
//! across app restarts.

use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
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

pub fn save_session(conn: &Connection, session: &Session) -> Result<()> {
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
    Ok(())
}

impl Store {
    /// The stored session, if someone has signed in.
    pub fn session(&self) -> Result<Option<Session>> {
        self.read(load_session)
    }

    /// Stores the session (after sign-in, or when the server reports a new
    /// role or organization).
    pub fn set_session(&self, session: &Session) -> Result<()> {
        self.write(|tx| save_session(tx, session))
    }

    /// Signs out. Local data and pending changes stay.
    pub fn clear_session(&self) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM session", [])?;
            Ok(())
        })
    }
}
