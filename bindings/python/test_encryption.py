"""The Python suite of the encrypted flavour: the generated `fieldsync`
module over the library built with encryption at rest (SQLCipher), against
the mock Portal. The same checks as the Rust ones in core, through the
glue: a key opens, a wrong key fails with WrongKey and changes no byte,
change_key, encrypt_database, and no customer name or segment label in the
files.

Run by bindings/test-python.sh (FIELDSYNC_FLAVOUR=encrypted):
    python3 bindings/python/test_encryption.py <bindings dir> <sync-server-mock binary> [server log]
"""

import asyncio
import gc
import hashlib
import os
import sys
import tempfile
import unittest

if len(sys.argv) < 3:
    sys.exit("usage: test_encryption.py <bindings dir> <sync-server-mock binary> [server log]")
# The mock Portal and the helpers of the plain suite (it reads the same
# arguments and imports the generated module from the bindings dir).
import test_fieldsync as plain  # noqa: E402
from fieldsync import (  # noqa: E402
    CustomerDraft,
    CustomerQuery,
    FieldStore,
    FieldSyncError,
    Role,
    Session,
    SyncClient,
    SyncConfig,
)

NAME = "Bakkerij Versteeg-Python"
tmp = None


def setUpModule():
    global tmp
    plain.setUpModule()
    tmp = tempfile.TemporaryDirectory(prefix="fieldsync-python-encrypted")


def tearDownModule():
    plain.tearDownModule()
    tmp.cleanup()


def path(name):
    return os.path.join(tmp.name, name)


def client_for(store):
    return SyncClient(store, SyncConfig(server_url=plain.server.url, attempts_per_run=2), None)


def data_files(db):
    """The database and its WAL (the -shm file is SQLite's shared-memory
    index, not data: any reader marks its place in it)."""
    return [f for f in (db, db + "-wal") if os.path.exists(f)]


def digest(db):
    return {f: hashlib.sha256(open(f, "rb").read()).hexdigest() for f in data_files(db)}


def in_files(db, texts):
    """The texts found in the bytes of the database or its WAL."""
    found = set()
    for f in data_files(db):
        data = open(f, "rb").read()
        found.update(t for t in texts if t.encode() in data)
    return found


async def filled(db, key, locale="nl"):
    """An encrypted store signed in as tech, synced, with a customer of its own."""
    store = FieldStore.open_encrypted(db, locale, key)
    client = client_for(store)
    await client.login("tech", "tech")
    await client.sync()
    store.create_customer(CustomerDraft(name=NAME, segment_id="seg-retail"))
    return store, client


def private_texts(store):
    """Every customer's name and every segment label the store holds."""
    names = [c.name for c in store.customers(CustomerQuery(limit=500)).customers]
    labels = [o.label for o in store.segment_options()]
    assert NAME in names and "Detailhandel" in labels, (names, labels)
    return names + labels


class EncryptionTests(unittest.IsolatedAsyncioTestCase):
    async def test_a_key_opens_and_no_byte_shows_the_data(self):
        db, key = path("open.db"), os.urandom(32)
        store, client = await filled(db, key)
        texts = private_texts(store)
        self.assertTrue(os.path.getsize(db + "-wal") > 0, "the WAL holds the last writes")
        self.assertEqual(in_files(db, texts), set(), "plain text in the database or its WAL")
        # The library closes the store with its last reference.
        del store, client
        gc.collect()
        self.assertEqual(in_files(db, texts), set())
        again = FieldStore.open_encrypted(db, "nl", key)
        self.assertEqual(again.pending_count(), 1)
        self.assertIn(NAME, [c.name for c in again.customers(CustomerQuery(search="versteeg")).customers])

    def test_a_wrong_key_fails_and_changes_nothing(self):
        db, key = path("wrong.db"), os.urandom(32)
        # No SyncClient: its thread may hold the store a moment after `del`,
        # and the store's closing would change the files under the test.
        store = FieldStore.open_encrypted(db, "nl", key)
        store.set_session(Session(user_id="user-tech", organization_id="org-north", role=Role.TECHNICIAN))
        store.create_customer(CustomerDraft(name=NAME))
        before = digest(db)
        self.assertIn(db + "-wal", before, "the last writes are in the WAL")
        with self.assertRaises(FieldSyncError.WrongKey) as raised:
            FieldStore.open_encrypted(db, "nl", os.urandom(32))
        self.assertEqual(digest(db), before, "a wrong key changed the files")
        del store
        gc.collect()
        before = digest(db)
        with self.assertRaises(FieldSyncError.WrongKey):
            FieldStore.open_encrypted(db, "nl", bytes(32))
        with self.assertRaises(FieldSyncError.WrongKey):
            FieldStore.open_encrypted(db, "nl", key[:31] + bytes([key[31] ^ 1]))
        self.assertEqual(digest(db), before, "a wrong key changed the files")
        self.assertEqual(FieldStore.open_encrypted(db, "nl", key).pending_count(), 1)

    def test_a_key_is_32_bytes(self):
        for length in (0, 16, 31, 33):
            with self.assertRaises(FieldSyncError.Validation) as raised:
                FieldStore.open_encrypted(path("short.db"), "en", os.urandom(length))
            self.assertEqual(raised.exception.field, "key")
            self.assertEqual(raised.exception.reason, "must be exactly 32 bytes")
        self.assertFalse(os.path.exists(path("short.db")))

    async def test_change_key(self):
        db, old, new = path("rekey.db"), os.urandom(32), os.urandom(32)
        store, client = await filled(db, old)
        store.change_key(new)
        self.assertEqual(store.pending_count(), 1, "reads go on with the new key")
        store.create_customer(CustomerDraft(name="After Rekey"))
        self.assertEqual((await client.sync()).uploaded, 2, "and so does a sync")
        texts = private_texts(store)
        del store, client
        gc.collect()
        with self.assertRaises(FieldSyncError.WrongKey):
            FieldStore.open_encrypted(db, "nl", old)
        store = FieldStore.open_encrypted(db, "nl", new)
        self.assertEqual(store.pending_count(), 0)
        self.assertEqual(in_files(db, texts), set())
        plain_store = FieldStore.open_in_memory("en")
        with self.assertRaises(FieldSyncError.Validation) as raised:
            plain_store.change_key(new)
        self.assertEqual(raised.exception.field, "key")

    async def test_encrypt_database_moves_everything_over(self):
        plain_db, encrypted_db, key = path("plain.db"), path("moved.db"), os.urandom(32)
        store = FieldStore.open(plain_db, "nl")
        client = client_for(store)
        await client.login("tech", "tech")
        await client.sync()
        store.create_customer(CustomerDraft(name=NAME, segment_id="seg-retail"))
        expected = (store.session(), store.customers(CustomerQuery(limit=500)), store.segment_options(),
                    store.pending_changes(100), store.customer_segments(None))
        texts = private_texts(store)
        self.assertTrue(in_files(plain_db, [NAME]), "the plain database shows the name")
        del store, client
        gc.collect()

        moved = FieldStore.encrypt_database(plain_db, encrypted_db, "nl", key)
        self.assertEqual((moved.session(), moved.customers(CustomerQuery(limit=500)), moved.segment_options(),
                          moved.pending_changes(100), moved.customer_segments(None)), expected)
        self.assertEqual(moved.pending_count(), 1, "the change still waits for upload")
        self.assertEqual(in_files(encrypted_db, texts), set())
        client = client_for(moved)
        await client.login("tech", "tech")  # the token is not kept on disk
        self.assertEqual((await client.sync()).uploaded, 1)
        del moved, client
        gc.collect()

        before = digest(encrypted_db)
        with self.assertRaises(FieldSyncError.Validation) as raised:
            FieldStore.encrypt_database(plain_db, encrypted_db, "nl", key)
        self.assertEqual((raised.exception.field, raised.exception.reason), ("encrypted_path", "already exists"))
        self.assertEqual(digest(encrypted_db), before)
        self.assertFalse(any(n.endswith(".part") for n in os.listdir(tmp.name)))
        with self.assertRaises(FieldSyncError.WrongKey):
            FieldStore.open_encrypted(encrypted_db, "nl", os.urandom(32))


if __name__ == "__main__":
    plain.run_suite(__name__, "python-encrypted")
