"""The Python binding suite: the generated `fieldsync` module against the
mock Portal. It checks the glue (types, errors, async, callbacks, background
work); the rules themselves are tested in Rust.

Run by bindings/test-python.sh:
    python3 bindings/python/test_fieldsync.py <bindings dir> <sync-server-mock binary> [server log]
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

if len(sys.argv) < 3:
    sys.exit("usage: test_fieldsync.py <bindings dir> <sync-server-mock binary> [server log]")
BINDINGS_DIR, SERVER_BINARY = sys.argv[1], sys.argv[2]
SERVER_LOG = sys.argv[3] if len(sys.argv) > 3 else "sync-server-mock-python.log"
sys.path.insert(0, BINDINGS_DIR)

import fieldsync  # noqa: E402  (the generated module, loads libfieldsync.so from its folder)
from fieldsync import (  # noqa: E402
    CredentialsProvider,
    CustomerDraft,
    CustomerQuery,
    CustomerUpdate,
    FieldChange,
    FieldStore,
    FieldSyncError,
    OutboxOperation,
    PicklistKind,
    Role,
    SegmentFilter,
    SegmentLabel,
    Session,
    SyncClient,
    SyncCollection,
    SyncConfig,
    SyncObserver,
    SyncState,
    VisitFrequency,
)


# ---------------------------------------------------------------------------
# The mock Portal: the sync-server-mock binary on a free port.

class MockServer:
    def __init__(self):
        self.log = open(SERVER_LOG, "w")
        self.process = subprocess.Popen(
            [SERVER_BINARY, "--port", "0", "--seed-demo"],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"sync-server-mock did not start: {line!r} (see {SERVER_LOG})")
        self.url = line[len("listening on "):].strip()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


server = None
tmp = None


def setUpModule():
    global server, tmp
    server = MockServer()
    tmp = tempfile.TemporaryDirectory(prefix="fieldsync-python")


def tearDownModule():
    server.stop()
    tmp.cleanup()


def http(method, path, body=None, token=None):
    request = urllib.request.Request(
        server.url + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json"})
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def portal_token(user):
    """A token straight from the server, as an app's own sign-in would get it."""
    status, body = http("POST", "/auth/v1/login", {"username": user, "password": user})
    assert status == 200, body
    return body["access_token"]


def set_faults(faults):
    status, body = http("PUT", "/admin/v1/faults", faults, portal_token("admin"))
    assert status == 200, body


_db_count = 0


def new_store(locale="en"):
    global _db_count
    _db_count += 1
    return FieldStore.open(os.path.join(tmp.name, f"device-{_db_count}.db"), locale)


def client_for(store, credentials=None):
    return SyncClient(store, SyncConfig(server_url=server.url, attempts_per_run=2), credentials)


async def device(user, locale="en"):
    """A store signed in as `user` and synced once."""
    store = new_store(locale)
    client = client_for(store)
    await client.login(user, user)
    await client.sync()
    return store, client


async def eventually(what, condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.05)


class RecordingObserver(SyncObserver):
    def __init__(self):
        self.lock = threading.Lock()
        self.states = []
        self.collections = []

    def status_changed(self, status):
        with self.lock:
            self.states.append(status.state)

    def collections_changed(self, collections):
        with self.lock:
            self.collections.extend(collections)

    def runs(self):
        """How many runs started: entries into SYNCING (progress repeats it)."""
        with self.lock:
            s = self.states
            return sum(1 for i, x in enumerate(s)
                       if x == SyncState.SYNCING and (i == 0 or s[i - 1] != SyncState.SYNCING))


# ---------------------------------------------------------------------------
# The tests.

class StoreTests(unittest.TestCase):
    def test_version_and_a_malformed_locale(self):
        self.assertEqual(fieldsync.fieldsync_version(), "0.1.0")
        with self.assertRaises(FieldSyncError.Validation) as raised:
            FieldStore.open_in_memory("not a locale!")
        self.assertEqual(raised.exception.field, "locale")
        self.assertEqual(raised.exception.reason, "is malformed")

    def test_no_session_is_an_error(self):
        store = FieldStore.open_in_memory("en")
        self.assertIsNone(store.session())
        with self.assertRaises(FieldSyncError.NoSession):
            store.segment_options()

    def test_a_rust_panic_is_an_exception_not_a_crash(self):
        with self.assertRaises(fieldsync.InternalError) as raised:
            fieldsync.panic_for_tests("boom from python")
        self.assertIn("boom from python", str(raised.exception))
        store = FieldStore.open_in_memory("en")
        store.set_session(Session(user_id="user-x", organization_id="org-north", role=Role.TECHNICIAN))
        self.assertEqual(store.segment_options(), [], "the library still works")

    def test_bad_config_is_validation(self):
        with self.assertRaises(FieldSyncError.Validation) as raised:
            SyncClient(FieldStore.open_in_memory("en"), SyncConfig(server_url="portal.example.com"), None)
        self.assertEqual(raised.exception.field, "server_url")


class SyncTests(unittest.IsolatedAsyncioTestCase):
    async def test_log_in_as_each_role(self):
        for user, role, org in [("admin", Role.ADMIN, "org-north"), ("manager", Role.MANAGER, "org-north"),
                                ("tech", Role.TECHNICIAN, "org-north"), ("tech2", Role.TECHNICIAN, "org-south")]:
            store = FieldStore.open_in_memory("en")
            session = await client_for(store).login(user, user)
            self.assertEqual(session, Session(user_id=f"user-{user}", organization_id=org, role=role))
            self.assertEqual(store.session(), session)
        with self.assertRaises(FieldSyncError.Unauthorized):
            await client_for(FieldStore.open_in_memory("en")).login("tech", "wrong")

    async def test_dropdown_in_english_and_dutch(self):
        store, _ = await device("tech")
        english = store.segment_options()
        self.assertEqual([o.label for o in english], ["Retail", "Wholesale"])
        self.assertEqual([o.id for o in english], ["seg-retail", "seg-wholesale"])
        self.assertEqual(english[1].visit_frequency, VisitFrequency.WEEKLY)
        store.set_locale("nl-BE")
        self.assertEqual([o.label for o in store.segment_options()], ["Detailhandel", "Groothandel"])
        self.assertIn("status-active", [o.id for o in store.picklist_options(PicklistKind.STATUS)])

    async def test_main_story(self):
        tech, tech_client = await device("tech")
        created = tech.create_customer(CustomerDraft(name="Bakkerij Python", segment_id="seg-retail"))
        self.assertEqual(created.segment, SegmentLabel(id="seg-retail", label="Retail", deleted=False))
        self.assertTrue(created.is_new and created.segment_editable)
        [pending] = [p for p in tech.pending_changes(10) if p.entity_id == created.id]
        self.assertEqual(pending.operation, OutboxOperation.CREATE)
        self.assertEqual(pending.changes["segment_id"], "seg-retail")

        report = await tech_client.sync()
        self.assertEqual(report.uploaded, 1)
        synced = tech.customer(created.id)
        self.assertFalse(synced.is_new)
        self.assertFalse(synced.segment_editable, "read-only for a technician once the server has it")

        with self.assertRaises(FieldSyncError.SegmentReadOnly) as raised:
            tech.update_customer(created.id, CustomerUpdate(segment_id=FieldChange.SET(value="seg-wholesale")))
        self.assertEqual(raised.exception.customer_id, created.id)
        self.assertEqual(repr(raised.exception), f"FieldSyncError.SegmentReadOnly(customer_id={created.id!r})")
        self.assertEqual(tech.customer(created.id).segment.id, "seg-retail", "nothing written")

        manager, manager_client = await device("manager", "nl")
        self.assertTrue(manager.customer(created.id).segment_editable)
        moved = manager.update_customer(created.id, CustomerUpdate(segment_id=FieldChange.SET(value="seg-wholesale")))
        self.assertEqual(moved.segment.label, "Groothandel")
        self.assertEqual((await manager_client.sync()).uploaded, 1)

        await tech_client.sync()
        self.assertEqual(tech.customer(created.id).segment.label, "Wholesale")
        page = tech.customers(CustomerQuery(search="bakkerij python",
                                            segment=SegmentFilter.IN_SEGMENT(segment_id="seg-wholesale")))
        self.assertEqual([c.id for c in page.customers], [created.id])

    async def test_dates_are_iso_strings(self):
        store, _ = await device("tech")
        with self.assertRaises(FieldSyncError.Validation) as raised:
            store.create_customer(CustomerDraft(name="Garage", last_visit="2026/11/23"))
        self.assertEqual(raised.exception.field, "last_visit")
        c = store.create_customer(CustomerDraft(name="Due Python", segment_id="seg-retail", last_visit="2026-10-23"))
        updated = store.update_customer(c.id, CustomerUpdate(last_visit=FieldChange.SET(value="2026-10-01")))
        self.assertEqual(updated.last_visit, "2026-10-01")
        [due] = [d for d in store.due_visits("2026-11-23") if d.customer.id == c.id]
        self.assertEqual(due.due_on, "2026-11-01")
        cleared = store.update_customer(c.id, CustomerUpdate(last_visit=FieldChange.CLEAR()))
        self.assertIsNone(cleared.last_visit)

    async def test_deleted_segment_sets_the_change_aside_with_its_reason(self):
        admin = portal_token("admin")
        status, segment = http("POST", "/portal/v1/marketing-segments",
                               {"name": {"en": "Pop-up", "nl": "Pop-up winkel"}}, admin)
        self.assertEqual(status, 201, segment)
        store, client = await device("tech")
        c = store.create_customer(CustomerDraft(name="Pop-up Python", segment_id=segment["id"]))
        self.assertEqual(http("DELETE", f"/portal/v1/marketing-segments/{segment['id']}", None, admin)[0], 200)
        self.assertEqual((await client.sync()).rejected, 1)
        [set_aside] = [p for p in store.pending_changes(10) if p.entity_id == c.id]
        self.assertEqual(set_aside.rejection.code, "unknown_reference")
        self.assertEqual(set_aside.rejection.reason, f"segment_id {segment['id']} has been deleted")
        with self.assertRaises(FieldSyncError.Validation) as raised:
            store.create_customer(CustomerDraft(name="Again", segment_id=segment["id"]))
        self.assertEqual(raised.exception.reason, f"segment_id {segment['id']} has been deleted")

    async def test_observer_is_called(self):
        store = new_store()
        client = client_for(store)
        observer = RecordingObserver()
        client.add_observer(observer)
        await client.login("tech", "tech")
        await client.sync()
        self.assertIn(SyncState.SYNCING, observer.states)
        self.assertEqual(observer.states[-1], SyncState.IDLE)
        self.assertIn(SyncCollection.SEGMENTS, observer.collections)
        self.assertIsNotNone(client.status().last_success)

    async def test_cancelling_a_sync_task(self):
        store, client = await device("tech")
        c = store.create_customer(CustomerDraft(name="Cancel Python"))
        set_faults({"latency_ms": 5000})
        try:
            task = asyncio.create_task(client.sync())
            await eventually("sync running", lambda: client.status().state == SyncState.SYNCING)
            task.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await task
            # The Rust run is dropped too: otherwise it would stay SYNCING
            # for the 5 s the server waits.
            await eventually("the run stopped", lambda: client.status().state != SyncState.SYNCING, timeout=1.5)
            self.assertEqual(store.customer(c.id).name, "Cancel Python", "store usable")
            self.assertEqual(store.pending_count(), 1)
        finally:
            set_faults({})
        self.assertEqual((await client.sync()).uploaded, 1, "a later sync works")
        self.assertEqual(store.pending_count(), 0)

    async def test_cancel_sync(self):
        store, client = await device("tech")
        store.create_customer(CustomerDraft(name="CancelSync Python"))
        set_faults({"latency_ms": 5000})
        try:
            call = asyncio.create_task(client.sync())
            await eventually("sync running", lambda: client.status().state == SyncState.SYNCING)
            started = time.monotonic()
            client.cancel_sync()
            with self.assertRaises(FieldSyncError.Cancelled):
                await call
            self.assertLess(time.monotonic() - started, 2.0, "without waiting for the server")
            self.assertNotEqual(client.status().state, SyncState.SYNCING)
        finally:
            set_faults({})
        self.assertEqual((await client.sync()).uploaded, 1)

    async def test_background_start_and_stop(self):
        store, client = await device("tech")
        observer = RecordingObserver()
        client.add_observer(observer)
        store.create_customer(CustomerDraft(name="Background Python"))
        handle = client.start(1)
        self.assertTrue(handle.is_running())
        await eventually("uploaded in the background", lambda: store.pending_count() == 0)
        client.stop()
        await eventually("stopped", lambda: not handle.is_running())
        runs = observer.runs()
        await asyncio.sleep(2.5)
        self.assertEqual(observer.runs(), runs, "no runs after stop (the interval is 1 s)")

        # Dropping the handle stops the loop too.
        handle = client.start(1)
        await eventually("a background run", lambda: observer.runs() > runs
                         and client.status().state != SyncState.SYNCING)
        del handle
        await asyncio.sleep(0.3)
        runs = observer.runs()
        await asyncio.sleep(2.5)
        self.assertEqual(observer.runs(), runs, "no runs once the handle is gone")

    async def test_credentials_provider(self):
        asked = []

        class Provider(CredentialsProvider):
            def token(self, refresh):
                asked.append(refresh)
                return portal_token("tech2") if refresh else "expired-token"

        store = new_store()
        await client_for(store, Provider()).sync()
        self.assertEqual(asked, [False, True], "asked again after the 401")
        self.assertEqual(store.session(), Session(user_id="user-tech2", organization_id="org-south",
                                                  role=Role.TECHNICIAN))

        class SignedOut(CredentialsProvider):
            def token(self, refresh):
                raise FieldSyncError.Unauthorized()

        with self.assertRaises(FieldSyncError.Unauthorized):
            await client_for(new_store(), SignedOut()).sync()


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"python: {passed} passed, {failed + skipped} failed")
    sys.exit(0 if failed == 0 and skipped == 0 and passed > 0 else 1)
