"""The Python binding suite: the generated `fieldsync` module against the
mock Portal. It checks the glue (types, errors, async, callbacks, background
work); the rules themselves are tested in Rust.

Run by bindings/test-python.sh:
    python3 bindings/python/test_fieldsync.py <bindings dir> <sync-server-mock binary> [server log]
"""

import asyncio
import json
import os
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import gzip
import socket

if len(sys.argv) < 3:
    sys.exit("usage: test_fieldsync.py <bindings dir> <sync-server-mock binary> [server log]")
BINDINGS_DIR, SERVER_BINARY = sys.argv[1], sys.argv[2]
SERVER_LOG = sys.argv[3] if len(sys.argv) > 3 else "sync-server-mock-python.log"
sys.path.insert(0, BINDINGS_DIR)

from mock_portal import MockPortal  # noqa: E402  (next to this file)
import fieldsync  # noqa: E402  (the generated module, loads libfieldsync.so from its folder)
from fieldsync import (  # noqa: E402
    AttributeValue,
    Consent,
    ConsentKind,
    CredentialsProvider,
    CustomerSegmentKind,
    CustomerDraft,
    CustomerQuery,
    CustomerUpdate,
    FieldChange,
    FieldStore,
    FieldSyncError,
    HttpMethod,
    HttpResponse,
    HttpTransport,
    HttpTransportError,
    LogLevel,
    Logger,
    Loyalty,
    MutationOperation,
    EntityKind,
    RejectionCode,
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
    CustomerSegmentTagCount,
    CustomerObserver,
    CustomersObserver,
    CustomerSegmentMembersObserver,
    CustomerSegmentsObserver,
    PicklistOptionsObserver,
    SegmentOptionsObserver,
    VisitFrequency,
    clear_logger,
    set_logger,
)


# ---------------------------------------------------------------------------
# The mock Portal: the sync-server-mock binary on a free port.

server = None
tmp = None


def setUpModule():
    global server, tmp
    server = MockPortal(SERVER_BINARY, SERVER_LOG)
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


class RecordingLogger(Logger):
    def __init__(self):
        self.lock = threading.Lock()
        self.records = []

    def log(self, record):
        with self.lock:
            self.records.append(record)

    def take(self):
        """The records so far, and forgets them."""
        with self.lock:
            records, self.records = self.records, []
            return records


class ThrowingObserver(SyncObserver):
    def status_changed(self, status):
        raise RuntimeError("observer bug")

    def collections_changed(self, collections):
        raise RuntimeError("observer bug")


# ---------------------------------------------------------------------------
# The tests.

class StoreTests(unittest.TestCase):
    def test_version_and_a_malformed_locale(self):
        self.assertEqual(fieldsync.fieldsync_version(), "0.1.0")
        with self.assertRaises(FieldSyncError.Validation) as raised:
            FieldStore.open_in_memory("not a locale!")
        self.assertEqual(raised.exception.field, "locale")
        self.assertEqual(raised.exception.reason, "is malformed")

    def test_the_plain_flavour_has_no_encryption_at_rest(self):
        key = bytes(range(32))
        encrypted = os.path.join(tmp.name, "encrypted.db")
        with self.assertRaises(FieldSyncError.Unsupported):
            FieldStore.open_encrypted(encrypted, "en", key)
        # The same API as the encrypted flavour's, answering Unsupported.
        plain = os.path.join(tmp.name, "plain-for-encryption.db")
        FieldStore.open(plain, "en")
        with self.assertRaises(FieldSyncError.Unsupported):
            FieldStore.encrypt_database(plain, encrypted, "en", key)
        with self.assertRaises(FieldSyncError.Unsupported):
            FieldStore.open_in_memory("en").change_key(key)
        self.assertFalse(os.path.exists(encrypted))

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
        self.assertEqual(pending.operation, MutationOperation.CREATE)
        self.assertEqual(pending.entity, EntityKind.CUSTOMER)
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

    async def test_sign_out_and_a_shared_device(self):
        store, client = await device("tech")
        self.assertGreater(store.customers(CustomerQuery()).total, 0)
        made = store.create_customer(CustomerDraft(name="Python Shared Device"))
        # A change waits for upload: sign-out (either kind) and another
        # user's sign-in are refused, nothing changes.
        for clear_data in (False, True):
            with self.assertRaises(FieldSyncError.PendingChanges) as raised:
                client.sign_out(clear_data)
            self.assertEqual(raised.exception.count, 1)
        with self.assertRaises(FieldSyncError.PendingChanges) as raised:
            await client.login("manager", "manager")
        self.assertEqual(raised.exception.count, 1)
        self.assertEqual(store.session().user_id, "user-tech")
        self.assertEqual(store.pending_count(), 1)

        self.assertEqual((await client.sync()).uploaded, 1)
        # Without clearing: the same user finds the data again.
        client.sign_out(False)
        self.assertIsNone(store.session())
        self.assertIsNotNone(store.last_sync_success(), "data kept")
        with self.assertRaises(FieldSyncError.Unauthorized):
            await client.sync()
        await client.login("tech", "tech")
        self.assertIsNotNone(store.customer(made.id))
        # Cleared: nothing left.
        client.sign_out(True)
        self.assertIsNone(store.session())
        self.assertIsNone(store.last_sync_success())
        await client.login("tech", "tech")
        self.assertEqual(store.customers(CustomerQuery()).total, 0, "nothing left")

        # Discarding: the change is dropped with the data.
        await client.sync()
        discarded = store.create_customer(CustomerDraft(name="Python Discarded"))
        client.sign_out_discarding_changes()
        self.assertEqual(store.pending_count(), 0)
        self.assertIsNone(store.last_sync_success())
        await client.login("tech", "tech")
        self.assertIsNone(store.customer(discarded.id))
        self.assertEqual(store.customers(CustomerQuery()).total, 0)
        client.sign_out(True)

        # Another user, another organization: only their own data.
        session = await client.login("tech2", "tech2")
        await client.sync()
        customers = store.customers(CustomerQuery(limit=500)).customers
        self.assertGreater(len(customers), 0)
        self.assertEqual({c.organization_id for c in customers}, {session.organization_id})
        self.assertIsNone(store.customer(made.id))

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
        self.assertEqual(set_aside.rejection.code, RejectionCode.UNKNOWN_REFERENCE)
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


# ---------------------------------------------------------------------------
# Live queries as Python async iterators: what an app's asyncio code would
# wrap `FieldStore.watch_*` in (Kotlin has Flows, Swift AsyncStreams).

class LiveQuery:
    """`async for result in LiveQuery(open)`: each result the observer gets,
    in order, until `close()`. `open(observer)` is a `store.watch_*` call;
    `observer_class` the matching observer interface."""

    def __init__(self, observer_class, open_watch, fail_on=None):
        loop = asyncio.get_running_loop()
        self.queue = asyncio.Queue()
        queue = self.queue

        class Observer(observer_class):
            def on_change(self, value):
                # A fieldsync thread: hand over to the event loop.
                loop.call_soon_threadsafe(queue.put_nowait, value)
                if fail_on is not None and fail_on(value):
                    raise ValueError("an observer bug")

        self.handle = open_watch(Observer())

    def __aiter__(self):
        return self

    async def __anext__(self):
        return await asyncio.wait_for(self.queue.get(), 20)

    def close(self):
        self.handle.close()


async def until(live, condition):
    """The first result that meets `condition` (a sync may commit in steps)."""
    while True:
        value = await anext(live)
        if condition(value):
            return value


def labels(options):
    return [o.label for o in options]


class LiveQueryTests(unittest.IsolatedAsyncioTestCase):
    async def test_the_dropdown_follows_the_portal_and_the_locale(self):
        store, client = await device("tech")
        live = LiveQuery(SegmentOptionsObserver, store.watch_segment_options)
        self.assertEqual(labels(await anext(live)), ["Retail", "Wholesale"])
        admin = portal_token("admin")
        status, segment = http("POST", "/portal/v1/marketing-segments",
                               {"name": {"en": "Live Python", "nl": "Live Python NL"}}, admin)
        self.assertEqual(status, 201, segment)
        try:
            await client.sync()
            await until(live, lambda o: labels(o) == ["Live Python", "Retail", "Wholesale"])
            store.set_locale("nl")
            self.assertEqual(labels(await anext(live)), ["Detailhandel", "Groothandel", "Live Python NL"])
        finally:
            http("DELETE", f"/portal/v1/marketing-segments/{segment['id']}", None, admin)
        await client.sync()
        await until(live, lambda o: labels(o) == ["Detailhandel", "Groothandel"])
        live.close()
        live.close()  # twice is fine
        store.set_locale("en")
        picklist = LiveQuery(PicklistOptionsObserver,
                             lambda o: store.watch_picklist_options(PicklistKind.STATUS, o))
        self.assertEqual(await anext(picklist), store.picklist_options(PicklistKind.STATUS))
        picklist.close()
        self.assertTrue(live.queue.empty(), "nothing after close()")

    async def test_a_list_and_a_customer_follow_local_edits_and_sync(self):
        store, client = await device("tech")
        query = CustomerQuery(search="live python")
        page = LiveQuery(CustomersObserver, lambda o: store.watch_customers(query, o))
        self.assertEqual((await anext(page)).total, 0)
        made = store.create_customer(CustomerDraft(name="Live Python Bakery", segment_id="seg-retail"))
        first = await anext(page)
        self.assertEqual([c.id for c in first.customers], [made.id])
        self.assertTrue(first.customers[0].is_new)

        one = LiveQuery(CustomerObserver, lambda o: store.watch_customer(made.id, o))
        self.assertEqual(await anext(one), made)
        store.update_customer(made.id, CustomerUpdate(name="Live Python Bakery 2"))
        self.assertEqual((await anext(one)).name, "Live Python Bakery 2")
        self.assertEqual([c.name for c in (await anext(page)).customers], ["Live Python Bakery 2"])

        # The server accepts it: no longer new, the segment read-only for a technician.
        await client.sync()
        synced = await until(one, lambda c: not c.is_new)
        self.assertFalse(synced.segment_editable)
        await until(page, lambda p: not p.customers[0].is_new)
        page.close()
        one.close()

        class Ignored(CustomersObserver, CustomerSegmentMembersObserver):
            def on_change(self, value):
                raise AssertionError("a refused watch never calls its observer")

        with self.assertRaises(FieldSyncError.Validation) as raised:
            store.watch_customers(CustomerQuery(limit=0), Ignored())
        self.assertEqual(raised.exception.field, "limit")
        with self.assertRaises(FieldSyncError.Validation) as raised:
            store.watch_customers(CustomerQuery(search="x" * 201), Ignored())
        self.assertEqual(raised.exception.field, "search")
        with self.assertRaises(FieldSyncError.Validation):
            store.watch_customer_segment_members("cs-vip", 501, 0, Ignored())

    async def test_customer_segments_and_members_follow_a_static_edit(self):
        manager, client = await device("manager")
        c = manager.create_customer(CustomerDraft(name="Live Python Member"))
        await client.sync()
        segments = LiveQuery(CustomerSegmentsObserver, lambda o: manager.watch_customer_segments(None, o))
        members = LiveQuery(CustomerSegmentMembersObserver,
                            lambda o: manager.watch_customer_segment_members("cs-vip", 500, 0, o))
        self.assertEqual(await anext(segments), manager.customer_segments())
        before = await anext(members)
        self.assertNotIn(c.id, [m.customer_id for m in before.members])
        self.assertTrue(manager.add_to_customer_segment("cs-vip", c.id))
        after = await anext(members)
        self.assertEqual(after.total, before.total + 1)
        self.assertIn(c.id, [m.customer_id for m in after.members])
        nowhere = LiveQuery(CustomerSegmentMembersObserver,
                            lambda o: manager.watch_customer_segment_members("cs-nowhere", 10, 0, o))
        self.assertEqual((await anext(nowhere)).total, 0, "no such segment: an empty page")
        for live in (segments, members, nowhere):
            live.close()

    async def test_signing_out_empties_what_is_watched(self):
        store, client = await device("tech")
        page = LiveQuery(CustomersObserver, lambda o: store.watch_customers(CustomerQuery(), o))
        dropdown = LiveQuery(SegmentOptionsObserver, store.watch_segment_options)
        self.assertGreater((await anext(page)).total, 0)
        self.assertGreater(len(await anext(dropdown)), 0)
        client.sign_out(True)
        await until(page, lambda p: p.total == 0)
        await until(dropdown, lambda o: o == [])
        page.close()
        dropdown.close()

    async def test_an_observer_that_throws_keeps_its_watch(self):
        store, _ = await device("tech")
        page = LiveQuery(CustomersObserver, lambda o: store.watch_customers(CustomerQuery(search="thrower"), o),
                         fail_on=lambda p: p.total == 1)
        self.assertEqual((await anext(page)).total, 0)
        store.create_customer(CustomerDraft(name="Thrower One"))
        self.assertEqual((await anext(page)).total, 1)
        store.create_customer(CustomerDraft(name="Thrower Two"))
        self.assertEqual((await anext(page)).total, 2)
        page.close()


class LoggingTests(unittest.IsolatedAsyncioTestCase):
    """The library's log records reach the app's logger (process-wide)."""

    def tearDown(self):
        clear_logger()

    async def test_a_traced_sync_logs_no_customer_data_token_or_password(self):
        logger = RecordingLogger()
        set_logger(logger, LogLevel.TRACE)
        token = portal_token("tech")

        class Provider(CredentialsProvider):
            def token(self, refresh):
                return token

        store = new_store()  # logs its schema upgrades
        # Dropped connections: the retries are logged with their errors.
        set_faults({"drop_rate": 0.3, "seed": 11})
        try:
            client = SyncClient(store, SyncConfig(server_url=server.url, attempts_per_run=10), Provider())
            await client.sync()
            store.create_customer(CustomerDraft(name="Logged Bakery Python", segment_id="seg-retail"))
            self.assertEqual((await client.sync()).uploaded, 1)
        finally:
            set_faults({})
        await client_for(new_store()).login("tech", "tech")  # the password path

        records = logger.take()
        self.assertTrue(records, "records arrived")
        for r in records:
            self.assertIsInstance(r.level, LogLevel)
            self.assertTrue(r.target, r)  # fieldsync_core::..., or a dependency (hyper_util::...)
            self.assertTrue(r.message, r)
        messages = [r.message for r in records]
        self.assertTrue(any(m.startswith("upgrading fieldsync schema") for m in messages), messages)
        self.assertTrue(any(m.startswith("sync request failed; retrying") for m in messages), messages)

        names = [c.name for c in store.customers(CustomerQuery(limit=500)).customers]
        self.assertIn("Logged Bakery Python", names)
        self.assertIn("Bakkerij Janssens", names)
        for message in messages:
            for secret in names + [token, "tech"]:  # "tech": the demo user's password
                self.assertNotIn(secret, message)
            self.assertNotIn("cursor=", message, "no request URL with its query")

    async def test_the_level_filters_and_clearing_stops_the_records(self):
        logger = RecordingLogger()
        set_logger(logger, LogLevel.WARN)
        store, client = await device("tech")  # opening a store logs at INFO
        client.add_observer(ThrowingObserver())  # the library logs its failures at WARN
        await client.sync()
        levels = {r.level for r in logger.take()}
        self.assertEqual(levels, {LogLevel.WARN}, "only WARN and ERROR at WARN")

        set_logger(logger, LogLevel.INFO)
        new_store()
        self.assertIn(LogLevel.INFO, {r.level for r in logger.take()})

        clear_logger()
        new_store()
        await client.sync()
        self.assertEqual(logger.take(), [], "nothing once cleared")

    async def test_a_logger_that_throws_does_not_break_sync(self):
        class Throwing(Logger):
            def log(self, record):
                raise RuntimeError("logger bug")

        set_logger(Throwing(), LogLevel.TRACE)
        store, client = await device("tech")
        store.create_customer(CustomerDraft(name="Unlogged Python"))
        self.assertEqual((await client.sync()).uploaded, 1)
        self.assertEqual(store.pending_count(), 0)


def member_ids(store, segment_id):
    return [m.customer_id for m in store.customer_segment_members(segment_id, 500, 0).members]


class CustomerSegmentTests(unittest.IsolatedAsyncioTestCase):
    async def test_lists_tags_members_and_a_customers_segments(self):
        store, _ = await device("tech")
        segments = store.customer_segments()
        self.assertEqual([s.id for s in segments], ["cs-vip", "cs-brno-buyers", "cs-retail-snapshot", "cs-not-vip"])
        self.assertEqual([s.priority for s in segments], [50, 40, 10, 5])
        vip, brno, snapshot, _ = segments
        self.assertEqual(vip.kind, CustomerSegmentKind.STATIC)
        self.assertIsNone(vip.criteria)
        self.assertEqual(brno.kind, CustomerSegmentKind.CONDITIONAL)
        self.assertTrue(brno.flexi and brno.evaluated)
        self.assertFalse(snapshot.flexi)
        self.assertEqual(brno.tags, ["city", "loyalty"])
        self.assertIn("Brno", brno.criteria)
        self.assertEqual(len(brno.evaluated_on), 10, brno.evaluated_on)
        self.assertEqual([s.id for s in store.customer_segments("city")], ["cs-brno-buyers"])
        self.assertEqual(store.customer_segment_tags(), [CustomerSegmentTagCount(tag="city", segments=1),
                                                          CustomerSegmentTagCount(tag="loyalty", segments=1)])
        self.assertEqual(store.customer_segment("cs-vip"), vip)
        self.assertIsNone(store.customer_segment("cs-nowhere"))

        whole = store.customer_segment_members("cs-not-vip", 500, 0)
        self.assertGreaterEqual(whole.total, 3)
        self.assertEqual(len(whole.members), whole.total)
        first = store.customer_segment_members("cs-not-vip", limit=2)
        second = store.customer_segment_members("cs-not-vip", 2, 2)
        self.assertEqual(first.total, whole.total)
        self.assertEqual(first.members, whole.members[:2])
        self.assertEqual(second.members[0], whole.members[2])
        self.assertIn("cust-north-1", member_ids(store, "cs-vip"))
        with self.assertRaises(FieldSyncError.NotFound) as raised:
            store.customer_segment_members("cs-nowhere")
        self.assertEqual(raised.exception.entity, "customer segment")
        with self.assertRaises(FieldSyncError.Validation) as raised:
            store.customer_segment_members("cs-vip", 0, 0)
        self.assertEqual(raised.exception.field, "limit")

        self.assertEqual([s.id for s in store.customer_segments_of("cust-north-1")],
                         ["cs-vip", "cs-brno-buyers", "cs-retail-snapshot"])
        self.assertEqual(store.primary_customer_segment("cust-north-1").id, "cs-vip")
        self.assertEqual(store.customer_segments_of("c-404"), [])
        self.assertIsNone(store.primary_customer_segment("c-404"))

    async def test_a_managers_static_edit_is_followed_offline_and_uploaded(self):
        manager, manager_client = await device("manager")
        c = manager.create_customer(CustomerDraft(name="Segment Python"))
        await manager_client.sync()
        self.assertIn(c.id, member_ids(manager, "cs-not-vip"))

        self.assertTrue(manager.add_to_customer_segment("cs-vip", c.id))
        self.assertFalse(manager.add_to_customer_segment("cs-vip", c.id), "already a member")
        self.assertIn(c.id, member_ids(manager, "cs-vip"))
        self.assertNotIn(c.id, member_ids(manager, "cs-not-vip"), "the flexi segment follows at once, offline")
        self.assertEqual(manager.primary_customer_segment(c.id).id, "cs-vip")
        [pending] = manager.pending_changes(10)
        self.assertEqual(pending.operation, MutationOperation.ADD_MEMBER)
        self.assertEqual(pending.entity_id, f"cs-vip/{c.id}")
        self.assertEqual(pending.entity, EntityKind.CUSTOMER_SEGMENT_MEMBER)

        report = await manager_client.sync()
        self.assertEqual((report.uploaded, report.rejected), (1, 0))
        self.assertEqual(manager.pending_count(), 0)

        tech, _ = await device("tech")
        self.assertIn(c.id, member_ids(tech, "cs-vip"), "the server has the membership")
        self.assertNotIn(c.id, member_ids(tech, "cs-not-vip"))

        self.assertTrue(manager.remove_from_customer_segment("cs-vip", c.id))
        self.assertIn(c.id, member_ids(manager, "cs-not-vip"))
        self.assertEqual(manager.pending_changes(10)[0].operation, MutationOperation.REMOVE_MEMBER)
        self.assertEqual((await manager_client.sync()).uploaded, 1)

    async def test_membership_edits_refused(self):
        tech, _ = await device("tech")
        with self.assertRaises(FieldSyncError.NotPermitted) as raised:
            tech.add_to_customer_segment("cs-vip", "cust-north-2")
        self.assertEqual(raised.exception.action, "change the members of a customer segment")
        self.assertNotIn("cust-north-2", member_ids(tech, "cs-vip"), "nothing written")
        self.assertEqual(tech.pending_count(), 0)

        manager, _ = await device("manager")
        with self.assertRaises(FieldSyncError.Validation) as raised:
            manager.add_to_customer_segment("cs-brno-buyers", "cust-north-2")
        self.assertEqual(raised.exception.field, "segment_id")
        self.assertEqual(raised.exception.reason, "is defined by conditions; its members follow its criteria")
        with self.assertRaises(FieldSyncError.NotFound):
            manager.remove_from_customer_segment("cs-nowhere", "cust-north-2")
        self.assertEqual(manager.pending_count(), 0)

    async def test_profile_and_purchases(self):
        store = new_store()
        client = client_for(store)
        await client.login("tech", "tech")
        report = await client.sync()
        self.assertIn(SyncCollection.CUSTOMER_SEGMENTS, report.changed)
        self.assertGreaterEqual(report.customer_segment_refresh.full_evaluations, 1)
        self.assertGreaterEqual(report.customer_segment_refresh.membership_changes, 1)
        profile = store.customer_profile("cust-north-1")
        self.assertEqual(profile.city, "Brno")
        self.assertEqual(profile.birth_date, "1980-04-12")
        self.assertEqual(profile.consents[0], Consent(kind=ConsentKind.EMAIL, given_on="2024-03-01"))
        self.assertEqual(profile.loyalty, Loyalty(member=True, tier="gold", points=1200))
        [size] = [a for a in profile.attributes if a.key == "shop_size_m2"]
        self.assertEqual(size.value, AttributeValue.NUMBER(value=120.0))
        [day] = [a for a in store.customer_profile("cust-north-2").attributes if a.key == "delivery_day"]
        self.assertEqual(day.value, AttributeValue.TEXT(value="monday"))
        self.assertIsNone(store.customer_profile("c-404"))
        # Settings of partners and business units, and the open cart.
        self.assertEqual(profile.business_unit_id, "bu-brno")
        wholesale = store.customer_profile("cust-north-2")
        self.assertEqual((wholesale.business_unit_id, wholesale.partner_id), ("bu-praha", "pt-wholesale"))
        cart = store.customer_cart("cust-north-3")
        self.assertEqual((cart.value, cart.items, cart.abandoned), (120.0, 4, True))
        self.assertEqual(len(cart.updated_on), 10)
        self.assertIsNone(store.customer_cart("cust-north-2"))
        summary = store.purchase_summary("cust-north-1")
        self.assertEqual((summary.count, summary.total_spend_minor), (6, 25054))
        self.assertIn(summary.rfm_recency, range(1, 6))
        self.assertEqual(len(summary.last_purchase), 10)
        self.assertGreaterEqual(store.refresh_customer_segment("cs-retail-snapshot").full_evaluations, 1)
        with self.assertRaises(FieldSyncError.Validation):
            store.refresh_customer_segment("cs-vip")


# ---------------------------------------------------------------------------
# Bring your own HTTP: the app's stack carries fieldsync's requests.

def readable(body):
    """Whether a body is whole JSON (gzip-compressed or not): the mock's
    truncated answers are not."""
    try:
        data = bytes(body)
        json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data or b"null")
        return True
    except (ValueError, EOFError, OSError):
        return False


class UrllibTransport(HttpTransport):
    """An app's HTTP stack: urllib, on a worker thread. Statuses come back
    as answers; only a missing answer raises, sorted as an app would sort
    its stack's errors."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.faults = 0  # 5xx answers and missing answers

    async def send(self, request):
        with self.lock:
            self.requests.append((request.method, request.url.split("?")[0]))
        try:
            answer = await asyncio.to_thread(self._send, request)
        except HttpTransportError:
            with self.lock:
                self.faults += 1
            raise
        if answer.status >= 500 or not readable(answer.body):
            with self.lock:
                self.faults += 1
        return answer

    def _send(self, request):
        method = {HttpMethod.GET: "GET", HttpMethod.POST: "POST"}[request.method]
        outgoing = urllib.request.Request(request.url, method=method,
                                          data=bytes(request.body) if request.body else None,
                                          headers=dict(request.headers))
        try:
            with urllib.request.urlopen(outgoing, timeout=30) as response:
                return HttpResponse(status=response.status, headers=dict(response.headers.items()),
                                    body=response.read())
        except urllib.error.HTTPError as e:
            return HttpResponse(status=e.code, headers=dict(e.headers.items()), body=e.read())
        except (socket.timeout, TimeoutError) as e:
            raise HttpTransportError.Timeout() from e
        except (urllib.error.URLError, ConnectionError, OSError) as e:
            # A reset or a body cut off mid-way (http.client.IncompleteRead).
            raise HttpTransportError.Network(reason=type(e).__name__) from e
        except Exception as e:  # http.client.IncompleteRead and friends
            raise HttpTransportError.Network(reason=type(e).__name__) from e


class UnzippingTransport(UrllibTransport):
    """A stack that unpacks gzip itself (as OkHttp and URLSession do)."""

    def _send(self, request):
        answer = super()._send(request)
        if answer.body[:2] == b"\x1f\x8b":
            answer.body = gzip.decompress(answer.body)
        return answer


def server_customers():
    status, body = http("GET", "/portal/v1/customers", None, portal_token("admin"))
    assert status == 200, body
    return body


class AppTransportTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        # fieldsync calls the transport from its own threads: uniffi runs
        # the Python coroutine on the loop set here (an app sets its own,
        # once). uniffi 0.32's generated module then prefers that loop for
        # every async call, so the next test's loop must not find it set.
        loop = asyncio.get_running_loop()
        fieldsync.uniffi_set_event_loop(loop)
        # The generated module cancels a finished call's task with
        # `call_soon` from fieldsync's thread; asyncio's debug mode (which
        # IsolatedAsyncioTestCase turns on) refuses that with a printed
        # "Non-thread-safe operation" for every request.
        loop.set_debug(False)

    async def asyncTearDown(self):
        fieldsync.uniffi_set_event_loop(None)

    async def test_a_whole_sync_goes_through_the_apps_stack(self):
        for transport in (UrllibTransport(), UnzippingTransport()):
            store = new_store("nl")
            client = SyncClient(store, SyncConfig(server_url=server.url), None, transport)
            await client.login("tech", "tech")
            report = await client.sync()
            self.assertGreater(report.downloaded, 0)
            self.assertIn("Detailhandel", [o.label for o in store.segment_options()])
            store.create_customer(CustomerDraft(name=f"Via {type(transport).__name__}", segment_id="seg-retail"))
            self.assertEqual((await client.sync()).uploaded, 1)
            self.assertIn(f"Via {type(transport).__name__}", [c["name"] for c in server_customers()])
            paths = {path.removeprefix(server.url) for _, path in transport.requests}
            self.assertEqual(paths, {"/auth/v1/login", "/sync/v1/changes", "/sync/v1/mutations"},
                             "every request went through the app's stack")

    async def test_faults_lose_nothing_and_apply_nothing_twice(self):
        transport = UrllibTransport()
        store = new_store()
        client = SyncClient(store, SyncConfig(server_url=server.url, attempts_per_run=3, pull_page_size=5,
                                                   push_batch_size=2),
                            None, transport)
        await client.login("tech", "tech")
        await client.sync()
        names = [f"Faulty Python {i}" for i in range(30)]
        for name in names:
            store.create_customer(CustomerDraft(name=name, segment_id="seg-retail"))
        set_faults({"error_rate": 0.1, "drop_rate": 0.1, "truncate_rate": 0.1,
                    "applied_then_fail_rate": 0.2, "seed": 5})
        try:
            for _ in range(40):  # runs give up after 3 tries; the next run goes on
                try:
                    await client.sync()
                except (FieldSyncError.Network, FieldSyncError.Server):
                    continue
                if store.pending_count() == 0:
                    break
        finally:
            set_faults({})
        self.assertGreaterEqual(transport.faults, 5, "the faults reached the app's stack")
        await client.sync()
        self.assertEqual(store.pending_count(), 0, "everything uploaded")
        on_server = [c["name"] for c in server_customers()]
        for name in names:
            self.assertEqual(on_server.count(name), 1, f"{name} applied exactly once")
        local = {c.name for c in store.customers(CustomerQuery(limit=500)).customers}
        north = {c["name"] for c in server_customers() if c["organization_id"] == "org-north"}
        self.assertEqual(local, north, "the device has what the server has for it")

    async def test_errors_of_the_apps_stack_are_retried_as_network_errors(self):
        class Failing(HttpTransport):
            def __init__(self, error):
                self.error, self.calls = error, 0

            async def send(self, request):
                self.calls += 1
                raise self.error

        for error, expected in ((HttpTransportError.Network(reason="offline"), FieldSyncError.Network),
                                (HttpTransportError.Timeout(), FieldSyncError.Network),
                                (HttpTransportError.Tls(reason="untrusted"), FieldSyncError.Network),
                                (ValueError("not declared"), FieldSyncError.Network)):
            failing = Failing(error)
            client = SyncClient(new_store(), SyncConfig(server_url=server.url, attempts_per_run=2), None, failing)
            with self.assertRaises(expected):
                await client.login("tech", "tech")
            self.assertEqual(failing.calls, 2, f"{error!r} was retried")

def run_suite(module_name, label="python"):
    """Runs the tests of a suite's module and exits with its verdict (this
    suite's, and the flavours' that import it)."""
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[module_name])
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"{label}: {passed} passed, {failed + skipped} failed")
    sys.exit(0 if failed == 0 and skipped == 0 and passed > 0 else 1)


if __name__ == "__main__":
    run_suite(__name__)
