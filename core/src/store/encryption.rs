//! Encryption at rest (the `encryption` feature): SQLCipher, keyed with a
//! raw 32-byte key, so that opening runs no key derivation.
//!
//! The key reaches SQLCipher as `PRAGMA key = "x'<64 hex digits>'"`: its
//! text lives in a buffer zeroed when dropped, and any error of a
//! statement that carries it is stripped of the statement's text. No
//! `Debug` or `Display` prints a key.
//!
//! Checked before anything can write: the key is applied to a read-only
//! connection and `sqlite_schema` read (then again on the writer, before the
//! journal mode, the pragmas or the migrations touch the file), so a wrong
//! key changes nothing on disk and fails with `Error::WrongKey`. Every reader of the pool applies the
//! key of its generation; `change_key` starts a new generation and idle
//! readers of an older one are closed, not reused.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::{
    KeyStamp, ReaderPool, Store, configure_writer, live, lock, register_functions, schema,
};
use crate::clock::SystemClock;
use crate::error::{Error, Result, ValidationReason};

/// A database key: exactly [`DatabaseKey::LEN`] bytes, random, kept by the
/// app in the platform's key store (Android Keystore, iOS Keychain).
/// Zeroed when dropped; it has no `Debug`, so it never reaches a log.
#[derive(Clone)]
pub struct DatabaseKey {
    bytes: [u8; DatabaseKey::LEN],
}

impl DatabaseKey {
    /// The key's length in bytes (256 bits, SQLCipher's AES-256 key).
    pub const LEN: usize = 32;

    /// Takes the key from a buffer (the FFI's), which is zeroed.
    pub fn take(mut bytes: Vec<u8>) -> Result<Self> {
        let key = Self::new(&bytes);
        zero(&mut bytes);
        key
    }

    /// Fails with a validation error on `key` (which says only the length
    /// expected, nothing of the bytes) unless `bytes` is 32 bytes long.
    pub fn new(bytes: &[u8]) -> Result<Self> {
        let bytes = <[u8; Self::LEN]>::try_from(bytes).map_err(|_| {
            Error::invalid("key", ValidationReason::ByteLength { bytes: Self::LEN })
        })?;
        Ok(DatabaseKey { bytes })
    }

    /// SQLCipher's raw key form, `x'<64 hex digits>'` (no key derivation).
    fn raw_form(&self) -> Secret {
        let mut text = String::with_capacity(3 + 2 * Self::LEN);
        text.push_str("x'");
        for byte in self.bytes {
            let _ = write!(text, "{byte:02x}");
        }
        text.push('\'');
        Secret(text)
    }
}

impl Drop for DatabaseKey {
    fn drop(&mut self) {
        zero(&mut self.bytes);
    }
}

/// Text that carries key material: zeroed when dropped.
struct Secret(String);

impl Drop for Secret {
    fn drop(&mut self) {
        // SAFETY: zero bytes are valid UTF-8.
        zero(unsafe { self.0.as_bytes_mut() });
    }
}

fn zero(bytes: &mut [u8]) {
    for byte in bytes {
        // SAFETY: a valid, aligned &mut u8. Volatile, so the compiler keeps
        // writes to memory about to be freed.
        unsafe { std::ptr::write_volatile(byte, 0) };
    }
}

/// Runs `PRAGMA <pragma> = "x'..'"` (`key` or `rekey`) on `conn`.
fn apply(conn: &Connection, pragma: &str, key: &DatabaseKey) -> Result<()> {
    let sql = Secret(format!("PRAGMA {pragma} = \"{}\"", key.raw_form().0));
    conn.execute_batch(&sql.0).map_err(without_sql)
}

/// Keys a new connection, before anything reads the file. SQLCipher's own
/// log (stderr, logcat) is turned off: fieldsync reports what failed.
pub(super) fn apply_key(conn: &Connection, key: &DatabaseKey) -> Result<()> {
    super::cipher::keep_linked();
    conn.execute_batch("PRAGMA cipher_log_level = NONE")?;
    apply(conn, "key", key)
}

/// An error of a statement that carried the key, without the statement.
fn without_sql(err: rusqlite::Error) -> Error {
    Error::Sqlite(match err {
        rusqlite::Error::SqlInputError { error, msg, .. } => {
            rusqlite::Error::SqliteFailure(error, Some(msg))
        }
        other => other,
    })
}

/// Reads the schema, which decrypts page 1: `WrongKey` when the key does
/// not open the file (SQLCipher's HMAC check fails: "not a database").
fn check_key(conn: &Connection) -> Result<()> {
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
        .map_err(|err| match err.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => Error::WrongKey,
            _ => Error::Sqlite(err),
        })
}

/// The key of a store's readers, and its generation (a `KeyStamp`).
#[derive(Default)]
pub(super) struct ReaderKey(Mutex<(KeyStamp, Option<DatabaseKey>)>);

impl ReaderKey {
    fn new(key: DatabaseKey) -> Self {
        ReaderKey(Mutex::new((0, Some(key))))
    }

    /// Keys a reader the pool opens; returns the generation it has.
    pub(super) fn apply(&self, conn: &Connection) -> Result<KeyStamp> {
        let state = lock(&self.0);
        if let Some(key) = &state.1 {
            apply_key(conn, key)?;
        }
        Ok(state.0)
    }

    /// Whether a reader of generation `stamp` has the current key.
    pub(super) fn is_current(&self, stamp: KeyStamp) -> bool {
        lock(&self.0).0 == stamp
    }
}

impl ReaderPool {
    /// Closes the idle readers that have an older key.
    fn drop_stale(&self) {
        let current = lock(&self.key.0).0;
        lock(&self.idle).retain(|(_, stamp)| *stamp == current);
    }
}

impl Store {
    /// Opens (creating if needed) the encrypted database at `path` with
    /// `key`, and upgrades its schema. Fails with `WrongKey`, having changed
    /// nothing on disk, when the key does not open the file (a wrong key, a
    /// database that is not encrypted, or no database at all).
    pub fn open_encrypted(path: impl AsRef<Path>, key: &DatabaseKey) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > 0) {
            // On a connection that cannot write: a read-write one that
            // closes last folds the WAL back into the file, even after a
            // wrong key.
            let probe = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            apply_key(&probe, key)?;
            check_key(&probe)?;
        }
        let mut conn = Connection::open(&path)?;
        apply_key(&conn, key)?;
        // Before the journal mode, the pragmas and the migrations, which write.
        check_key(&conn)?;
        configure_writer(&mut conn, true)?;
        schema::migrate(&mut conn)?;
        let live = live::LiveQueries::default();
        live::track_changes(&mut conn, &live.pending)?;
        Ok(Store {
            writer: Mutex::new(conn),
            readers: Some(ReaderPool {
                path,
                idle: Mutex::new(Vec::new()),
                key: ReaderKey::new(key.clone()),
            }),
            clock: Arc::new(SystemClock),
            dropdowns: Default::default(),
            live,
        })
    }

    /// Re-encrypts the database with `new_key` (`PRAGMA rekey`: every page
    /// rewritten in one transaction, then the WAL folded back in). Readers
    /// opened from now on use the new key; idle ones with the old key are
    /// closed. Fails with a validation error on `key` for a store that was
    /// not opened with a key.
    pub fn change_key(&self, new_key: &DatabaseKey) -> Result<()> {
        let Some(pool) = &self.readers else {
            return Err(Error::invalid("key", ValidationReason::NotEncrypted));
        };
        let writer = lock(&self.writer);
        {
            // Held through the rekey: no reader opens with the old key after it.
            let mut state = lock(&pool.key.0);
            if state.1.is_none() {
                return Err(Error::invalid("key", ValidationReason::NotEncrypted));
            }
            apply(&writer, "rekey", new_key)?;
            state.0 += 1;
            state.1 = Some(new_key.clone());
        }
        // Best effort, as in `compact`: a reader's snapshot may keep the
        // old frames for now; they are overwritten by later checkpoints.
        if let Err(err) = writer.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
            tracing::debug!(%err, "checkpoint after rekey");
        }
        drop(writer);
        pool.drop_stale();
        Ok(())
    }

    /// Copies the plain database at `plain_path` into a new database at
    /// `encrypted_path`, encrypted with `key`: every table, index, trigger
    /// and row (pending changes stay pending) and the schema version. The
    /// copy is written to `<encrypted_path>.part` and moved in place when
    /// complete, so nothing half-written is ever at `encrypted_path`.
    /// Refuses (validation error on `encrypted_path`) when that path
    /// already exists. `plain_path` is left as it was: delete it (and its
    /// `-wal` and `-shm`) once the encrypted database opens.
    pub fn encrypt_database(
        plain_path: impl AsRef<Path>,
        encrypted_path: impl AsRef<Path>,
        key: &DatabaseKey,
    ) -> Result<()> {
        let encrypted = encrypted_path.as_ref();
        if exists(encrypted) {
            return Err(Error::invalid(
                "encrypted_path",
                ValidationReason::AlreadyExists,
            ));
        }
        let mut part = encrypted.as_os_str().to_owned();
        part.push(".part");
        let part = PathBuf::from(part);
        let Some(part_name) = part.to_str() else {
            return Err(Error::invalid(
                "encrypted_path",
                ValidationReason::Malformed,
            ));
        };
        // What an earlier attempt that died half-way left.
        remove_part(&part);
        // Checks that `plain_path` exists: the connection may not create
        // files (`ATTACH` opens with its flags, so the copy is created here).

        let conn = Connection::open_with_flags(
            plain_path.as_ref(),
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(super::BUSY_TIMEOUT)?;
        register_functions(&conn)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        let exported = (|| -> Result<()> {
            std::fs::File::create_new(&part).map_err(|err| io_error("creating the copy", &err))?;
            let key = key.raw_form();
            conn.execute(
                "ATTACH DATABASE ?1 AS fieldsync_encrypted KEY ?2",
                (part_name, key.0.as_str()),
            )
            .map_err(without_sql)?;
            conn.query_row("SELECT sqlcipher_export('fieldsync_encrypted')", [], |_| {
                Ok(())
            })?;
            conn.pragma_update(Some("fieldsync_encrypted"), "user_version", version)?;
            Ok(())
        })();
        let detached = conn.execute_batch("DETACH DATABASE fieldsync_encrypted");
        drop(conn);
        let moved = exported
            .and(detached.map_err(Error::from))
            .and_then(|()| move_in_place(&part, encrypted));
        if moved.is_err() {
            remove_part(&part);
        }
        moved
    }
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

fn remove_part(part: &Path) {
    let _ = std::fs::remove_file(part);
    let mut journal = part.as_os_str().to_owned();
    journal.push("-journal");
    let _ = std::fs::remove_file(journal);
}

/// Moves the finished copy to `target`, never over an existing file: a
/// hard link fails when `target` exists (a rename would replace it).
fn move_in_place(part: &Path, target: &Path) -> Result<()> {
    let refused = || Error::invalid("encrypted_path", ValidationReason::AlreadyExists);
    match std::fs::hard_link(part, target) {
        Ok(()) => {
            let _ = std::fs::remove_file(part);
            Ok(())
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Err(refused()),
        // A file system without hard links: check, then rename.
        Err(_) if exists(target) => Err(refused()),
        Err(_) => std::fs::rename(part, target)
            .map_err(|err| io_error("moving the encrypted copy in place", &err)),
    }
}

/// A file operation beside SQLite's failed: a disk I/O error, as SQLite's
/// own are (the message names the operation and the kind, not the path).
fn io_error(what: &str, err: &std::io::Error) -> Error {
    Error::Sqlite(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
        Some(format!("{what}: {}", err.kind())),
    ))
}
