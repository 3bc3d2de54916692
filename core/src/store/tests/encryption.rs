//! Encryption at rest (the `encryption` feature): a wrong key changes
//! nothing, rekeying under WAL, moving a plain database over.

use std::path::Path;

use super::*;
use crate::error::Error;
use crate::store::encryption::apply_key;

const NAME: &str = "Bakkerij Versteeg";
const LABEL: &str = "Detailhandel";

fn key(byte: u8) -> DatabaseKey {
    DatabaseKey::new(&[byte; DatabaseKey::LEN]).unwrap()
}

/// The catalogue, a session and a customer waiting for upload.
fn fill(store: &Store) {
    seed(store);
    store
        .set_session(&Session::new("u1", "org-north", Role::Technician))
        .unwrap();
    store.create_customer(draft(NAME, Some("retail"))).unwrap();
}

/// Every file of the database (main, -wal, -shm) with its bytes.
fn files(path: &Path) -> Vec<(String, Vec<u8>)> {
    let dir = path.parent().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn wrong_key(result: Result<Store>) {
    match result {
        Err(Error::WrongKey) => {}
        Err(other) => panic!("expected WrongKey, got {other:?}"),
        Ok(_) => panic!("expected WrongKey, the store opened"),
    }
}

#[test]
fn a_key_must_be_32_bytes() {
    for len in [0, 16, 31, 33, 64] {
        match DatabaseKey::new(&vec![7; len]) {
            Err(Error::Validation { field, reason }) => {
                assert_eq!(field, "key");
                assert_eq!(reason.to_string(), "must be exactly 32 bytes");
            }
            _ => panic!("a {len}-byte key was accepted"),
        }
    }
}

#[test]
fn the_same_key_reopens_and_no_byte_shows_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    {
        let store = Store::open_encrypted(&path, &key(1)).unwrap();
        fill(&store);
        // Readers of the pool open with the key too.
        assert_eq!(store.pending_count().unwrap(), 1);
        assert_eq!(store.segment_options(&tag("nl")).unwrap().len(), 4);
        // While open, the customer is in the WAL: no plain text there either.
        for (name, bytes) in files(&path) {
            assert!(!contains(&bytes, NAME), "{name} shows the customer's name");
            assert!(!contains(&bytes, LABEL), "{name} shows a segment label");
        }
    }
    for (name, bytes) in files(&path) {
        assert!(!contains(&bytes, NAME), "{name} shows the customer's name");
        assert!(!contains(&bytes, LABEL), "{name} shows a segment label");
    }
    let store = Store::open_encrypted(&path, &key(1)).unwrap();
    let page = store
        .customers(&CustomerQuery::default(), &tag("en"))
        .unwrap();
    assert_eq!(page.customers.len(), 1);
    assert_eq!(page.customers[0].customer.name, NAME);
}

/// The database and its WAL, byte for byte; and the names of the files
/// beside them. (The `-shm` file is SQLite's shared-memory index, not
/// data: every reader, whatever its key, marks its place in it.)
fn data(path: &Path) -> Vec<(String, Vec<u8>)> {
    files(path)
        .into_iter()
        .map(|(name, bytes)| {
            if name.ends_with("-shm") {
                (name, Vec::new())
            } else {
                (name, bytes)
            }
        })
        .collect()
}

#[test]
fn a_wrong_key_fails_and_changes_nothing_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let store = Store::open_encrypted(&path, &key(1)).unwrap();
    fill(&store);
    // Open, with the last writes in the WAL.
    let before = data(&path);
    assert!(
        before
            .iter()
            .any(|(name, bytes)| name.ends_with("-wal") && !bytes.is_empty())
    );
    wrong_key(Store::open_encrypted(&path, &key(2)));
    assert!(data(&path) == before, "a wrong key changed the files");
    drop(store);
    // Closed.
    let before = data(&path);
    wrong_key(Store::open_encrypted(&path, &key(2)));
    assert!(data(&path) == before, "a wrong key changed the files");
    // The message says nothing of the key.
    assert_eq!(
        Error::WrongKey.to_string(),
        "the key does not open this database"
    );
    let store = Store::open_encrypted(&path, &key(1)).unwrap();
    assert_eq!(store.pending_count().unwrap(), 1);
    drop(store);

    // Closed, with the WAL left behind (as a crash, or a last connection
    // that could not checkpoint, leaves it): the wrong key's connection must
    // not fold it back in when it closes last.
    let path = dir.path().join("left-wal.db");
    fill(&Store::open_encrypted(&path, &key(1)).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        apply_key(&conn, &key(1)).unwrap();
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .unwrap();
        conn.execute_batch("CREATE TABLE scratch(x); INSERT INTO scratch VALUES (1);")
            .unwrap();
    }
    let before = data(&path);
    assert!(
        before
            .iter()
            .any(|(name, bytes)| name.ends_with("-wal") && !bytes.is_empty())
    );
    wrong_key(Store::open_encrypted(&path, &key(2)));
    assert!(data(&path) == before, "a wrong key folded the WAL in");
}

#[test]
fn a_plain_database_is_not_opened_as_an_encrypted_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.db");
    fill(&Store::open(&path).unwrap());
    let before = data(&path);
    wrong_key(Store::open_encrypted(&path, &key(1)));
    assert!(data(&path) == before);
}

#[test]
fn change_key_rekeys_under_wal_and_readers_follow() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    {
        let store = std::sync::Arc::new(Store::open_encrypted(&path, &key(1)).unwrap());
        fill(&store);
        let mode: String = store
            .read(|c| Ok(c.pragma_query_value(None, "journal_mode", |r| r.get(0))?))
            .unwrap();
        assert_eq!(mode, "wal");
        // Several idle readers with the old key.
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        store.segment_options(&tag("en")).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        store.change_key(&key(2)).unwrap();
        // Readers answer (fresh ones, with the new key), writes go on.
        assert_eq!(store.pending_count().unwrap(), 1);
        store.create_customer(draft("Second", None)).unwrap();
        assert_eq!(store.pending_count().unwrap(), 2);
        assert_eq!(count(&store, "customers"), 2);
    }
    wrong_key(Store::open_encrypted(&path, &key(1)));
    let store = Store::open_encrypted(&path, &key(2)).unwrap();
    assert_eq!(store.pending_count().unwrap(), 2);
    for (name, bytes) in files(&path) {
        assert!(!contains(&bytes, NAME), "{name} shows the customer's name");
    }
}

#[test]
fn change_key_needs_an_encrypted_store() {
    let dir = tempfile::tempdir().unwrap();
    let plain = Store::open(dir.path().join("plain.db")).unwrap();
    for store in [plain, Store::open_in_memory().unwrap()] {
        match store.change_key(&key(2)) {
            Err(Error::Validation { field, .. }) => assert_eq!(field, "key"),
            other => panic!("expected a validation error, got {:?}", other.map(|_| ())),
        }
    }
}

/// Every row of every table (and the schema itself), in a stable order.
fn dump(conn: &rusqlite::Connection) -> Vec<(String, Vec<String>)> {
    let mut stmt = conn
        .prepare("SELECT name, type, sql FROM sqlite_schema ORDER BY name")
        .unwrap();
    let entries: Vec<(String, String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let mut out = vec![(
        "schema".to_owned(),
        entries.iter().map(|e| format!("{e:?}")).collect(),
    )];
    for (name, kind, _) in entries {
        if kind != "table" {
            continue;
        }
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{name}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let values: Vec<rusqlite::types::Value> = (0..columns)
                    .map(|i| r.get(i))
                    .collect::<rusqlite::Result<_>>()?;
                Ok(format!("{values:?}"))
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        rows.sort();
        out.push((name, rows));
    }
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    out.push(("user_version".to_owned(), vec![version.to_string()]));
    out
}

#[test]
fn encrypt_database_moves_everything_over() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.db");
    let encrypted = dir.path().join("encrypted.db");
    {
        let store = Store::open(&plain).unwrap();
        fill(&store);
        store
            .create_customer(draft("Second", Some("agri")))
            .unwrap();
    }
    Store::encrypt_database(&plain, &encrypted, &key(3)).unwrap();
    let expected = dump(&rusqlite::Connection::open(&plain).unwrap());
    assert!(
        expected
            .iter()
            .any(|(t, rows)| t == "customers" && rows.len() == 2)
    );
    assert!(
        expected
            .iter()
            .any(|(t, rows)| t == "outbox" && rows.len() == 2)
    );
    {
        let conn = rusqlite::Connection::open(&encrypted).unwrap();
        apply_key(&conn, &key(3)).unwrap();
        assert_eq!(dump(&conn), expected);
    }
    let bytes = std::fs::read(&encrypted).unwrap();
    assert!(!contains(&bytes, NAME) && !contains(&bytes, LABEL));
    let store = Store::open_encrypted(&encrypted, &key(3)).unwrap();
    assert_eq!(store.pending_count().unwrap(), 2);
    assert_eq!(store.session().unwrap().unwrap().user_id, "u1");
    drop(store);
    wrong_key(Store::open_encrypted(&encrypted, &key(4)));
    // Nothing else left beside the two databases (and the WAL the
    // encrypted store's readers keep).
    let names: Vec<_> = files(&encrypted).into_iter().map(|(n, _)| n).collect();
    assert!(!names.iter().any(|n| n.contains(".part")), "{names:?}");
}

#[test]
fn encrypt_database_never_writes_over_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.db");
    let encrypted = dir.path().join("encrypted.db");
    fill(&Store::open(&plain).unwrap());
    std::fs::write(&encrypted, b"already here").unwrap();
    match Store::encrypt_database(&plain, &encrypted, &key(3)) {
        Err(Error::Validation { field, reason }) => {
            assert_eq!(field, "encrypted_path");
            assert_eq!(reason.to_string(), "already exists");
        }
        other => panic!("expected a validation error, got {:?}", other.map(|_| ())),
    }
    assert_eq!(std::fs::read(&encrypted).unwrap(), b"already here");
    // A plain path that is no database: nothing is left behind.
    let missing = dir.path().join("missing.db");
    let target = dir.path().join("other.db");
    assert!(Store::encrypt_database(&missing, &target, &key(3)).is_err());
    let names: Vec<_> = files(&plain).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["encrypted.db", "plain.db"]);
}

/// The build of SQLCipher in use takes its crypto from the library's own
/// provider when bindings/sqlcipher-flags.sh was sourced (as for the
/// shipped library and in ./test.sh), else from OpenSSL.
#[test]
fn the_crypto_provider_is_the_one_the_build_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_encrypted(dir.path().join("device.db"), &key(1)).unwrap();
    let provider: String = store
        .read(|c| Ok(c.query_row("PRAGMA cipher_provider", [], |r| r.get(0))?))
        .unwrap();
    let custom = option_env!("LIBSQLITE3_FLAGS")
        .is_some_and(|flags| flags.contains("SQLCIPHER_CRYPTO_CUSTOM=fieldsync_sqlcipher_setup"));
    let expected = if custom {
        "fieldsync (ring, RustCrypto)"
    } else {
        "openssl"
    };
    assert_eq!(provider, expected);
}

#[test]
fn live_queries_follow_an_encrypted_store_through_a_rekey() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        std::sync::Arc::new(Store::open_encrypted(dir.path().join("e.db"), &key(7)).unwrap());
    fill(&store);
    let (send, names) = std::sync::mpsc::channel();
    let _watch = store.watch(
        crate::store::Tables::CUSTOMERS,
        |s| {
            let page = s.customers(&CustomerQuery::default(), &tag("en"))?;
            Ok(page
                .customers
                .into_iter()
                .map(|c| c.customer.name)
                .collect::<Vec<_>>())
        },
        move |names: &Vec<String>| {
            let _ = send.send(names.clone());
        },
    );
    let wait = std::time::Duration::from_secs(10);
    assert_eq!(names.recv_timeout(wait).unwrap(), [NAME]);
    store.change_key(&key(8)).unwrap();
    // The worker's reads come from readers opened with the new key.
    store.create_customer(draft("Atelier Noord", None)).unwrap();
    assert_eq!(names.recv_timeout(wait).unwrap(), ["Atelier Noord", NAME]);
}
