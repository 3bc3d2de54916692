// The Kotlin binding suite: the generated `io.fieldsync` API on the JVM
// against the mock Portal. It checks the glue (types, errors, async,
// callbacks, background work); the rules themselves are tested in Rust.
//
// Run by bindings/test-kotlin.sh:
//   java -Djna.library.path=<dir of libfieldsync.so> -cp ... FieldSyncTestKt <sync-server-mock binary>

import io.fieldsync.*
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.util.Collections
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess
import kotlinx.coroutines.*
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.future.await

// ---------------------------------------------------------------------------
// A tiny test runner (no JUnit here): named tests, each with a timeout.

class AssertionFailed(message: String) : Exception(message)

fun fail(message: String): Nothing = throw AssertionFailed(message)

fun <T> assertEquals(expected: T, actual: T, what: String = "value") {
    if (expected != actual) fail("$what: expected <$expected>, got <$actual>")
}

fun assertTrue(condition: Boolean, what: String) {
    if (!condition) fail(what)
}

inline fun <reified E : Throwable> assertThrows(block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        fail("expected ${E::class.simpleName}, got $e")
    }
    fail("expected ${E::class.simpleName}, nothing was thrown")
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
suspend fun eventually(what: String, timeoutMs: Long = 20_000, condition: () -> Boolean) {
    val deadline = System.currentTimeMillis() + timeoutMs
    while (!condition()) {
        if (System.currentTimeMillis() > deadline) fail("timed out waiting for: $what")
        delay(50)
    }
}

val tests = mutableListOf<Pair<String, suspend () -> Unit>>()

fun test(name: String, body: suspend () -> Unit) {
    tests += name to body
}

// ---------------------------------------------------------------------------
// The mock Portal: the sync-server-mock binary on a free port.

class MockServer(binary: String, log: java.io.File) : AutoCloseable {
    private val process: Process = ProcessBuilder(binary, "--port", "0", "--seed-demo")
        .redirectError(ProcessBuilder.Redirect.to(log))
        .start()
    val url: String

    init {
        val line = process.inputStream.bufferedReader().readLine()
            ?: error("sync-server-mock exited before listening (see $log)")
        require(line.startsWith("listening on ")) { "unexpected first line: $line" }
        url = line.removePrefix("listening on ").trim()
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
    }
}

lateinit var server: MockServer
val http: HttpClient = HttpClient.newHttpClient()

fun httpCall(method: String, path: String, body: String?, token: String?): Pair<Int, String> {
    val request = HttpRequest.newBuilder(URI.create(server.url + path))
        .header("content-type", "application/json")
        .apply { if (token != null) header("authorization", "Bearer $token") }
        .method(method, if (body == null) HttpRequest.BodyPublishers.noBody() else HttpRequest.BodyPublishers.ofString(body))
        .build()
    val response = http.send(request, HttpResponse.BodyHandlers.ofString())
    return response.statusCode() to response.body()
}

fun jsonString(json: String, key: String): String =
    Regex("\"$key\"\\s*:\\s*\"([^\"]*)\"").find(json)?.groupValues?.get(1)
        ?: error("no $key in $json")

/** A token straight from the server, as an app's own sign-in would get it. */
fun portalToken(user: String): String {
    val (status, body) = httpCall("POST", "/auth/v1/login", """{"username":"$user","password":"$user"}""", null)
    assertEquals(200, status, "login status")
    return jsonString(body, "access_token")
}

fun setFaults(json: String) {
    val (status, body) = httpCall("PUT", "/admin/v1/faults", json, portalToken("admin"))
    assertEquals(200, status, "PUT /admin/v1/faults: $body")
}

// ---------------------------------------------------------------------------
// Bring your own HTTP: an app's stack on java.net.http (JDK 11+; on Android
// OkHttp plays this part, see bindings/README.md).

/** The app's HTTP stack for fieldsync: sends each request as given and
 *  hands back every answer; only a missing answer throws. */
class JavaHttpTransport(
    private val client: HttpClient = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(10)).build(),
) : io.fieldsync.HttpTransport {
    val requests = java.util.concurrent.atomic.AtomicInteger()
    /** 5xx answers and missing answers (what the mock's faults make). */
    val faults = java.util.concurrent.atomic.AtomicInteger()

    override suspend fun send(request: io.fieldsync.HttpRequest): io.fieldsync.HttpResponse {
        requests.incrementAndGet()
        try {
            return exchange(request).also { if (it.status >= 500u || !whole(it.body)) faults.incrementAndGet() }
        } catch (e: HttpTransportException) {
            faults.incrementAndGet()
            throw e
        }
    }

    /** Whether a body arrived whole (the mock's truncated answers do not). */
    private fun whole(body: ByteArray): Boolean = try {
        val data = if (body.size > 1 && body[0] == 0x1f.toByte() && body[1] == 0x8b.toByte())
            java.util.zip.GZIPInputStream(body.inputStream()).readAllBytes() else body
        val text = String(data).trimEnd()
        text.isEmpty() || text.endsWith("}") || text.endsWith("]") || text == "null"
    } catch (e: java.io.IOException) {
        false
    }

    private suspend fun exchange(request: io.fieldsync.HttpRequest): io.fieldsync.HttpResponse {
        val builder = HttpRequest.newBuilder(URI.create(request.url)).timeout(java.time.Duration.ofSeconds(60))
        for ((name, value) in request.headers) builder.header(name, value)
        val body = if (request.body.isEmpty()) HttpRequest.BodyPublishers.noBody()
        else HttpRequest.BodyPublishers.ofByteArray(request.body)
        builder.method(if (request.method == HttpMethod.GET) "GET" else "POST", body)
        val response = try {
            client.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofByteArray()).await()
        } catch (e: java.net.http.HttpTimeoutException) {
            throw HttpTransportException.Timeout()
        } catch (e: javax.net.ssl.SSLException) {
            throw HttpTransportException.Tls(e.javaClass.simpleName)
        } catch (e: java.io.IOException) {
            throw HttpTransportException.Network(e.javaClass.simpleName)
        }
        return io.fieldsync.HttpResponse(
            status = response.statusCode().toUShort(),
            headers = response.headers().map().mapValues { it.value.first() },
            body = response.body(),
        )
    }
}

/** The transport `client()` and the tests pass: null (the built-in stack)
 *  on the first pass of the suite, a [JavaHttpTransport] on the second. */
var appTransport: io.fieldsync.HttpTransport? = null

// ---------------------------------------------------------------------------
// Helpers over the binding.

val tmp: java.nio.file.Path = Files.createTempDirectory("fieldsync-kotlin")
var dbCount = 0

fun newStore(locale: String = "en"): FieldStore =
    FieldStore.open(tmp.resolve("device-${++dbCount}.db").toString(), locale)

fun client(store: FieldStore, credentials: CredentialsProvider? = null): SyncClient =
    SyncClient(store, SyncConfig(serverUrl = server.url, attemptsPerRun = 2u), credentials, appTransport)

/** A store signed in as `user` and synced once. */
suspend fun device(user: String, locale: String = "en"): Pair<FieldStore, SyncClient> {
    val store = newStore(locale)
    val client = client(store)
    client.login(user, user)
    client.sync()
    return store to client
}

class RecordingObserver : SyncObserver {
    val states: MutableList<SyncState> = Collections.synchronizedList(mutableListOf())
    val collections: MutableList<SyncCollection> = Collections.synchronizedList(mutableListOf())
    override fun statusChanged(status: SyncStatus) {
        states += status.state
    }
    override fun collectionsChanged(collections: List<SyncCollection>) {
        this.collections += collections
    }
    /** How many runs started: entries into SYNCING (progress repeats it). */
    fun runs(): Int = synchronized(states) {
        states.withIndex().count { (i, s) -> s == SyncState.SYNCING && (i == 0 || states[i - 1] != SyncState.SYNCING) }
    }
}

class RecordingLogger : Logger {
    private val records = mutableListOf<LogRecord>()
    override fun log(record: LogRecord) {
        synchronized(records) { records += record }
    }
    /** The records so far, and forgets them. */
    fun take(): List<LogRecord> = synchronized(records) { records.toList().also { records.clear() } }
}

val throwingObserver = object : SyncObserver {
    override fun statusChanged(status: SyncStatus) = throw IllegalStateException("app bug")
    override fun collectionsChanged(collections: List<SyncCollection>) = throw IllegalStateException("app bug")
}

/** A test that sets the (process-wide) logger: it is cleared after the test. */
fun loggingTest(name: String, body: suspend () -> Unit) = test(name) {
    try {
        body()
    } finally {
        clearLogger()
    }
}

/** Receives until a value meets `condition` (a sync may commit in steps). */
suspend fun <T> Channel<T>.until(what: String, condition: (T) -> Boolean): T =
    try {
        withTimeout(20_000) {
            var value = receive()
            while (!condition(value)) value = receive()
            value
        }
    } catch (e: TimeoutCancellationException) {
        fail("timed out waiting for: $what")
    }

// ---------------------------------------------------------------------------
// The tests.

fun defineTests() {
    test("library version and a malformed locale") {
        assertEquals("0.1.0", fieldsyncVersion(), "version")
        val e = assertThrows<FieldSyncException.Validation> { FieldStore.openInMemory("not a locale!") }
        assertEquals("locale", e.field, "field")
        assertEquals("is malformed", e.reason, "reason")
    }

    test("a store without a session refuses with NoSession") {
        val store = FieldStore.openInMemory("en")
        assertEquals(null, store.session(), "session")
        val e = assertThrows<FieldSyncException.NoSession> { store.segmentOptions() }
        assertEquals("no session: sign in before this operation", e.toString(), "message")
    }

    test("the plain flavour has no encryption at rest: openEncrypted, encryptDatabase and changeKey throw Unsupported") {
        val key = ByteArray(32) { it.toByte() }
        val encrypted = tmp.resolve("encrypted.db").toString()
        val e = assertThrows<FieldSyncException.Unsupported> { FieldStore.openEncrypted(encrypted, "en", key) }
        assertEquals("encryption at rest (the encrypted flavour has it) is not in this build of fieldsync", e.toString(), "message")
        // The same API as the encrypted flavour's, answering Unsupported.
        val plain = tmp.resolve("plain-for-encryption.db").toString()
        FieldStore.open(plain, "en").close()
        assertThrows<FieldSyncException.Unsupported> { FieldStore.encryptDatabase(plain, encrypted, "en", key) }
        assertThrows<FieldSyncException.Unsupported> { FieldStore.openInMemory("en").changeKey(key) }
        assertTrue(!java.io.File(encrypted).exists(), "nothing written")
    }

    test("log in as each role") {
        for ((user, role, org) in listOf(
            Triple("admin", Role.ADMIN, "org-north"),
            Triple("manager", Role.MANAGER, "org-north"),
            Triple("tech", Role.TECHNICIAN, "org-north"),
            Triple("tech2", Role.TECHNICIAN, "org-south"),
        )) {
            val store = FieldStore.openInMemory("en")
            val session = client(store).login(user, user)
            assertEquals(Session("user-$user", org, role), session, "session of $user")
            assertEquals(session, store.session(), "stored session of $user")
        }
        val e = assertThrows<FieldSyncException.Unauthorized> {
            client(FieldStore.openInMemory("en")).login("tech", "wrong")
        }
        assertEquals("the server refused the credentials", e.toString(), "message")
    }

    test("the segment dropdown in English and Dutch") {
        val (store, _) = device("tech")
        val english = store.segmentOptions()
        assertEquals(listOf("Retail", "Wholesale"), english.map { it.label }, "English labels")
        assertEquals(listOf("seg-retail", "seg-wholesale"), english.map { it.id }, "ids")
        assertEquals(VisitFrequency.MONTHLY, english[0].visitFrequency, "frequency")
        store.setLocale("nl_BE")
        assertEquals("nl-BE", store.locale(), "canonical locale")
        assertEquals(listOf("Detailhandel", "Groothandel"), store.segmentOptions().map { it.label }, "Dutch labels")
        val statuses = store.picklistOptions(PicklistKind.STATUS)
        assertTrue(statuses.any { it.id == "status-active" }, "status picklist: $statuses")
    }

    test("the main story: create, sync, technician refused, manager allowed") {
        val (tech, techClient) = device("tech")
        val created = tech.createCustomer(CustomerDraft(name = "  Bakkerij Kotlin ", segmentId = "seg-retail", lastVisit = "2026-11-02"))
        assertEquals("Bakkerij Kotlin", created.name, "trimmed name")
        assertEquals(SegmentLabel("seg-retail", "Retail", false), created.segment, "segment")
        assertTrue(created.isNew && created.segmentEditable, "a new customer's segment is editable")
        assertEquals("2026-11-02", created.lastVisit, "last visit")
        val pending = tech.pendingChanges(10u).single { it.entityId == created.id }
        assertEquals(MutationOperation.CREATE, pending.operation, "operation")
        assertEquals(EntityKind.CUSTOMER, pending.entity, "entity")
        assertEquals("seg-retail", pending.changes["segment_id"], "queued segment")
        assertEquals(null, pending.rejection, "not set aside")

        val report = techClient.sync()
        assertEquals(1uL, report.uploaded, "uploaded")
        val synced = tech.customer(created.id) ?: fail("customer gone")
        assertTrue(!synced.isNew && !synced.segmentEditable, "existing: read-only for a technician")
        assertEquals(0uL, tech.pendingCount(), "nothing pending")

        val refused = assertThrows<FieldSyncException.SegmentReadOnly> {
            tech.updateCustomer(created.id, CustomerUpdate(segmentId = FieldChange.Set("seg-wholesale")))
        }
        assertEquals(created.id, refused.customerId, "customer id")
        assertEquals(
            "the segment of existing customer ${created.id} is read-only for technicians; ask a manager or an admin",
            refused.toString(), "message")
        assertEquals("seg-retail", tech.customer(created.id)?.segment?.id, "nothing written")
        // Other fields stay editable, and sending the same segment is no change.
        val renamed = tech.updateCustomer(created.id, CustomerUpdate(name = "Bakkerij Kotlin & Zn", segmentId = FieldChange.Set("seg-retail")))
        assertEquals("Bakkerij Kotlin & Zn", renamed.name, "renamed")
        techClient.sync()

        val (manager, managerClient) = device("manager", "nl")
        val seen = manager.customer(created.id) ?: fail("the manager's device has no customer")
        assertTrue(seen.segmentEditable, "a manager may change the segment")
        val moved = manager.updateCustomer(created.id, CustomerUpdate(segmentId = FieldChange.Set("seg-wholesale"), lastVisit = FieldChange.Clear))
        assertEquals("Groothandel", moved.segment?.label, "Dutch label")
        assertEquals(null, moved.lastVisit, "cleared")
        assertEquals(1uL, managerClient.sync().uploaded, "manager's change uploaded")

        techClient.sync()
        val after = tech.customer(created.id) ?: fail("gone")
        assertEquals("Wholesale", after.segment?.label, "the technician sees the manager's change")
        val page = tech.customers(CustomerQuery(search = "bakkerij kotlin", segment = SegmentFilter.InSegment("seg-wholesale")))
        assertEquals(listOf(created.id), page.customers.map { it.id }, "search")
        assertEquals(1uL, page.total, "total")
    }

    test("dates cross as ISO-8601 strings; bad ones are Validation") {
        val (store, _) = device("tech")
        val e = assertThrows<FieldSyncException.Validation> {
            store.createCustomer(CustomerDraft(name = "Garage", lastVisit = "23/11/2026"))
        }
        assertEquals("last_visit", e.field, "field")
        assertEquals("invalid last_visit: is malformed", e.toString(), "message")
        assertThrows<FieldSyncException.Validation> { store.dueVisits("2026-02-30") }
        val c = store.createCustomer(CustomerDraft(name = "Due Kotlin", segmentId = "seg-wholesale", lastVisit = "2026-11-01"))
        val due = store.dueVisits("2026-11-23").single { it.customer.id == c.id }
        assertEquals("2026-11-08", due.dueOn, "weekly after the last visit")
        assertTrue(store.segmentCounts().any { it.segment?.id == "seg-wholesale" && it.count >= 1uL }, "counts")
        val blank = assertThrows<FieldSyncException.Validation> { store.createCustomer(CustomerDraft(name = "  ")) }
        assertEquals("name", blank.field, "blank name")
    }

    test("live queries: the dropdown Flow follows the Portal and the locale") {
        val (store, client) = device("tech")
        assertEquals(listOf("Retail", "Wholesale"), store.segmentOptionsFlow().first().map { it.label }, "first()")
        val admin = portalToken("admin")
        val (status, body) = httpCall("POST", "/portal/v1/marketing-segments",
            """{"name":{"en":"Live Kotlin","nl":"Live Kotlin NL"}}""", admin)
        assertEquals(201, status, "create segment: $body")
        val segmentId = jsonString(body, "id")
        try {
            coroutineScope {
                val seen = Channel<List<String>>(Channel.UNLIMITED)
                val collector = launch { store.segmentOptionsFlow().collect { seen.send(it.map { o -> o.label }) } }
                assertEquals(listOf("Retail", "Wholesale"), seen.receive(), "at once")
                client.sync()
                seen.until("the Portal's new segment") { it == listOf("Live Kotlin", "Retail", "Wholesale") }
                store.setLocale("nl")
                seen.until("Dutch labels") { it == listOf("Detailhandel", "Groothandel", "Live Kotlin NL") }
                collector.cancelAndJoin()
            }
        } finally {
            httpCall("DELETE", "/portal/v1/marketing-segments/$segmentId", null, admin)
        }
        store.setLocale("en")
        assertEquals(store.picklistOptions(PicklistKind.STATUS), store.picklistOptionsFlow(PicklistKind.STATUS).first(), "picklist")
    }

    test("live queries: a customer list and a customer follow local edits and sync") {
        val (store, client) = device("tech")
        coroutineScope {
            val pages = Channel<CustomerPage>(Channel.UNLIMITED)
            val customers = Channel<CustomerView?>(Channel.UNLIMITED)
            val listing = launch { store.customersFlow(CustomerQuery(search = "live kotlin")).collect { pages.send(it) } }
            assertEquals(0uL, pages.receive().total, "none yet")
            val made = store.createCustomer(CustomerDraft(name = "Live Kotlin Bakery", segmentId = "seg-retail"))
            val first = pages.until("the new customer") { it.total == 1uL }
            assertTrue(first.customers.single().isNew, "new")
            val watching = launch { store.customerFlow(made.id).collect { customers.send(it) } }
            assertEquals(made, customers.receive(), "the customer at once")
            store.updateCustomer(made.id, CustomerUpdate(name = "Live Kotlin Bakery 2"))
            assertEquals("Live Kotlin Bakery 2", customers.receive()?.name, "renamed")
            pages.until("renamed in the list") { it.customers.single().name == "Live Kotlin Bakery 2" }
            client.sync()
            val synced = customers.until("accepted by the server") { it?.isNew == false }
            assertTrue(synced?.segmentEditable == false, "read-only for a technician once synced")
            listing.cancelAndJoin()
            watching.cancelAndJoin()
        }
        val e = assertThrows<FieldSyncException.Validation> {
            store.customersFlow(CustomerQuery(limit = 0u)).first()
        }
        assertEquals("limit", e.field, "field")
        assertEquals(null, store.customerFlow("c-404").first(), "unknown customer")
    }

    test("live queries: customer segments and their members follow a static edit") {
        val (manager, client) = device("manager")
        val c = manager.createCustomer(CustomerDraft(name = "Live Kotlin Member"))
        client.sync()
        assertEquals(manager.customerSegments(null), manager.customerSegmentsFlow().first(), "segments")
        coroutineScope {
            val pages = Channel<CustomerSegmentMemberPage>(Channel.UNLIMITED)
            val members = launch { manager.customerSegmentMembersFlow("cs-vip", 500u).collect { pages.send(it) } }
            val before = pages.receive()
            assertTrue(before.members.none { it.customerId == c.id }, "not a member yet")
            assertEquals(true, manager.addToCustomerSegment("cs-vip", c.id), "added")
            val after = pages.receive()
            assertEquals(before.total + 1uL, after.total, "one more")
            assertTrue(after.members.any { it.customerId == c.id }, "a member")
            members.cancelAndJoin()
        }
        assertEquals(0uL, manager.customerSegmentMembersFlow("cs-nowhere").first().total, "no such segment")
    }

    test("a segment deleted in the Portal: Validation locally, set aside with its reason") {
        val admin = portalToken("admin")
        val (status, body) = httpCall("POST", "/portal/v1/marketing-segments",
            """{"name":{"en":"Pop-up","nl":"Pop-up winkel"},"visit_frequency":"daily"}""", admin)
        assertEquals(201, status, "create segment: $body")
        val segmentId = jsonString(body, "id")
        val (store, client) = device("tech")
        assertTrue(store.segmentOptions().any { it.id == segmentId }, "offered")
        val c = store.createCustomer(CustomerDraft(name = "Pop-up Kotlin", segmentId = segmentId))
        assertEquals(200, httpCall("DELETE", "/portal/v1/marketing-segments/$segmentId", null, admin).first, "delete")

        val report = client.sync()
        assertEquals(1uL, report.rejected, "rejected")
        val setAside = store.pendingChanges(10u).single { it.entityId == c.id }
        val rejection = setAside.rejection ?: fail("no reason")
        assertEquals(RejectionCode.UNKNOWN_REFERENCE, rejection.code, "code")
        assertEquals("segment_id $segmentId has been deleted", rejection.reason, "reason")
        assertEquals(1uL, store.setAsideCount(), "set-aside count")
        assertTrue(store.segmentOptions().none { it.id == segmentId }, "no longer offered")
        assertTrue(store.segments(true).single { it.id == segmentId }.deleted, "kept as a tombstone")
        val e = assertThrows<FieldSyncException.Validation> {
            store.createCustomer(CustomerDraft(name = "Again", segmentId = segmentId))
        }
        assertEquals("segment_id", e.field, "field")
        assertEquals("segment_id $segmentId has been deleted", e.reason, "reason")
    }

    test("observers hear status and collection changes") {
        val store = newStore()
        val client = client(store)
        val observer = RecordingObserver()
        client.addObserver(observer)
        client.login("tech", "tech")
        client.sync()
        assertTrue(observer.states.contains(SyncState.SYNCING), "saw syncing: ${observer.states}")
        assertEquals(SyncState.IDLE, observer.states.last(), "ends idle")
        assertTrue(observer.collections.containsAll(listOf(SyncCollection.SEGMENTS, SyncCollection.CUSTOMERS)), "collections: ${observer.collections}")
        val status = client.status()
        assertEquals(SyncState.IDLE, status.state, "state")
        assertTrue(status.lastSuccess != null && store.lastSyncSuccess() != null, "last success")
    }

    test("an observer that throws does not break sync") {
        val (store, client) = device("tech")
        client.addObserver(throwingObserver)
        store.createCustomer(CustomerDraft(name = "Observed Kotlin"))
        assertEquals(1uL, client.sync().uploaded, "synced anyway")
    }

    test("cancelling a sync coroutine stops the run; the store and later syncs still work") {
        val (store, client) = device("tech")
        val c = store.createCustomer(CustomerDraft(name = "Cancel Kotlin", segmentId = "seg-retail"))
        setFaults("""{"latency_ms": 5000}""")
        try {
            coroutineScope {
                val job = launch { client.sync() }
                eventually("sync running") { client.status().state == SyncState.SYNCING }
                job.cancelAndJoin()
                assertTrue(job.isCancelled, "cancelled")
            }
            // The Rust run was dropped, not left running behind the cancelled
            // coroutine: it would stay SYNCING for the 5 s the server waits.
            eventually("the run stopped", timeoutMs = 1_500) { client.status().state != SyncState.SYNCING }
            assertEquals("Cancel Kotlin", store.customer(c.id)?.name, "store usable")
            assertEquals(1uL, store.pendingCount(), "the change still waits")
        } finally {
            setFaults("{}")
        }
        val report = client.sync()
        assertEquals(1uL, report.uploaded, "a later sync uploads it")
        assertEquals(0uL, store.pendingCount(), "nothing pending")
    }

    test("cancelSync() stops a run (how Swift cancels); the call fails with Cancelled") {
        val (store, client) = device("tech")
        store.createCustomer(CustomerDraft(name = "CancelSync Kotlin"))
        setFaults("""{"latency_ms": 5000}""")
        try {
            coroutineScope {
                val call = async { runCatching { client.sync() } }
                eventually("sync running") { client.status().state == SyncState.SYNCING }
                val started = System.currentTimeMillis()
                client.cancelSync()
                val error = call.await().exceptionOrNull()
                assertTrue(error is FieldSyncException.Cancelled, "expected Cancelled, got $error")
                assertEquals("the sync was cancelled", error.toString(), "message")
                assertTrue(System.currentTimeMillis() - started < 2_000, "without waiting for the server")
                assertTrue(client.status().state != SyncState.SYNCING, "the run stopped")
            }
        } finally {
            setFaults("{}")
        }
        assertEquals(1uL, client.sync().uploaded, "a later sync uploads the change")
    }

    test("background sync: start, stop, and close stop the loop") {
        val (store, client) = device("tech")
        val observer = RecordingObserver()
        client.addObserver(observer)
        store.createCustomer(CustomerDraft(name = "Background Kotlin"))
        val handle = client.start(1u)
        assertTrue(handle.isRunning(), "running")
        eventually("uploaded in the background") { store.pendingCount() == 0uL }
        handle.stop()
        eventually("stopped") { !handle.isRunning() }
        handle.close()

        // SyncClient.stop() stops the loop start() made.
        val second = client.start(1u)
        client.stop()
        eventually("stopped by the client") { !second.isRunning() }
        second.close()

        // Closing the handle (dropping it in Rust) stops the loop too.
        val before = observer.runs()
        val third = client.start(1u)
        eventually("a run in the background") { observer.runs() > before && client.status().state != SyncState.SYNCING }
        third.close()
        delay(300)
        val runs = observer.runs()
        delay(2_500)
        assertEquals(runs, observer.runs(), "no runs after close (the interval is 1 s)")
        val e = assertThrows<FieldSyncException.Validation> { client.start(0u) }
        assertEquals("interval_seconds", e.field, "interval")
    }

    test("a credentials provider gives tokens and is asked again after a 401") {
        val asked = Collections.synchronizedList(mutableListOf<Boolean>())
        val provider = object : CredentialsProvider {
            override fun token(refresh: Boolean): String {
                asked += refresh
                return if (refresh) portalToken("tech2") else "expired-token"
            }
        }
        val store = newStore()
        val client = client(store, provider)
        client.sync()
        assertEquals(listOf(false, true), asked.toList(), "asked, then asked again after the 401")
        assertEquals(Session("user-tech2", "org-south", Role.TECHNICIAN), store.session(), "session from the server's profile")
        assertTrue(store.segmentOptions().any { it.id == "seg-export" }, "org-south's catalogue")

        val signedOut = object : CredentialsProvider {
            override fun token(refresh: Boolean): String = throw FieldSyncException.Unauthorized()
        }
        assertThrows<FieldSyncException.Unauthorized> { client(newStore(), signedOut).sync() }
    }

    test("customer segments: priority order, tags, paged members, a customer's segments") {
        val (store, _) = device("tech")
        val all = store.customerSegments()
        assertEquals(listOf("cs-vip", "cs-brno-buyers", "cs-retail-snapshot", "cs-not-vip"), all.map { it.id }, "priority order")
        assertEquals(listOf(50L, 40L, 10L, 5L), all.map { it.priority }, "priorities")
        val vip = all[0]
        assertEquals(CustomerSegmentKind.STATIC, vip.kind, "kind")
        assertTrue(vip.evaluated && vip.criteria == null && !vip.flexi, "a static segment: $vip")
        val brno = all.single { it.id == "cs-brno-buyers" }
        assertEquals(CustomerSegmentKind.CONDITIONAL, brno.kind, "conditional")
        assertTrue(brno.flexi && brno.evaluated, "flexi and evaluated: $brno")
        assertEquals(listOf("city", "loyalty"), brno.tags, "tags")
        assertTrue(brno.criteria!!.contains("Brno"), "criteria JSON: ${brno.criteria}")
        assertEquals(10, brno.evaluatedOn?.length, "evaluated on, ISO date: ${brno.evaluatedOn}")
        assertTrue(!all.single { it.id == "cs-retail-snapshot" }.flexi, "a snapshot")
        assertEquals(listOf("cs-brno-buyers"), store.customerSegments("loyalty").map { it.id }, "by tag")
        assertEquals(listOf(CustomerSegmentTagCount("city", 1uL), CustomerSegmentTagCount("loyalty", 1uL)), store.customerSegmentTags(), "tags")
        assertEquals(vip, store.customerSegment("cs-vip"), "one segment")
        assertEquals(null, store.customerSegment("cs-nowhere"), "unknown")

        // Members sorted by name, a page at a time.
        val whole = store.customerSegmentMembers("cs-not-vip", 500u, 0u)
        assertTrue(whole.total >= 3uL, "members of cs-not-vip: $whole")
        assertEquals(whole.total, whole.members.size.toULong(), "one page holds all")
        val first = store.customerSegmentMembers("cs-not-vip", 2u, 0u)
        val second = store.customerSegmentMembers("cs-not-vip", 2u, 2u)
        assertEquals(whole.total, first.total, "total on every page")
        assertEquals(whole.members.take(2), first.members, "first page")
        assertEquals(whole.members[2], second.members[0], "second page")
        assertTrue(store.customerSegmentMembers("cs-vip").members.any { it.customerId == "cust-north-1" && it.name == "Bakkerij Janssens" }, "VIP member")
        val missing = assertThrows<FieldSyncException.NotFound> { store.customerSegmentMembers("cs-nowhere") }
        assertEquals("customer segment", missing.entity, "entity")

        // A customer's segments, highest priority (the primary) first.
        val of = store.customerSegmentsOf("cust-north-1")
        assertEquals(listOf("cs-vip", "cs-brno-buyers", "cs-retail-snapshot"), of.map { it.id }, "segments of cust-north-1")
        assertEquals("cs-vip", store.primaryCustomerSegment("cust-north-1")?.id, "primary")
        assertEquals(listOf<CustomerSegmentView>(), store.customerSegmentsOf("c-404"), "unknown customer")
        assertEquals(null, store.primaryCustomerSegment("c-404"), "no primary")
    }

    test("a manager puts a customer in a static segment offline: the flexi segment follows, sync uploads it") {
        val (manager, managerClient) = device("manager")
        val c = manager.createCustomer(CustomerDraft(name = "Segment Kotlin"))
        managerClient.sync()
        fun members(store: FieldStore, segment: String) = store.customerSegmentMembers(segment, 500u, 0u).members.map { it.customerId }
        assertTrue(c.id in members(manager, "cs-not-vip"), "not a VIP yet")

        assertEquals(true, manager.addToCustomerSegment("cs-vip", c.id), "added")
        assertEquals(false, manager.addToCustomerSegment("cs-vip", c.id), "already a member")
        assertTrue(c.id in members(manager, "cs-vip"), "in cs-vip")
        assertTrue(c.id !in members(manager, "cs-not-vip"), "cs-not-vip lost it at once, offline")
        assertEquals("cs-vip", manager.primaryCustomerSegment(c.id)?.id, "primary")
        val pending = manager.pendingChanges(10u).single()
        assertEquals(MutationOperation.ADD_MEMBER, pending.operation, "queued")
        assertEquals(EntityKind.CUSTOMER_SEGMENT_MEMBER, pending.entity, "entity")

        val report = managerClient.sync()
        assertEquals(1uL, report.uploaded, "uploaded")
        assertEquals(0uL, report.rejected, "accepted")
        assertEquals(0uL, manager.pendingCount(), "nothing pending")

        // Another device gets the membership from the server and follows with the flexi segment.
        val (tech, _) = device("tech")
        assertTrue(c.id in members(tech, "cs-vip"), "the technician's device has it")
        assertTrue(c.id !in members(tech, "cs-not-vip"), "and evaluates cs-not-vip itself")

        assertEquals(true, manager.removeFromCustomerSegment("cs-vip", c.id), "removed")
        assertTrue(c.id in members(manager, "cs-not-vip"), "back in cs-not-vip")
        assertEquals(MutationOperation.REMOVE_MEMBER, manager.pendingChanges(10u).single().operation, "queued")
        assertEquals(1uL, managerClient.sync().uploaded, "uploaded")
    }

    test("membership edits: a technician gets NotPermitted, a conditional segment Validation") {
        val (tech, _) = device("tech")
        val refused = assertThrows<FieldSyncException.NotPermitted> { tech.addToCustomerSegment("cs-vip", "cust-north-2") }
        assertEquals("change the members of a customer segment", refused.action, "action")
        assertEquals("not permitted for this role: change the members of a customer segment; ask a manager or an admin", refused.toString(), "message")
        assertTrue("cust-north-2" !in tech.customerSegmentMembers("cs-vip").members.map { it.customerId }, "nothing written")
        assertEquals(0uL, tech.pendingCount(), "nothing queued")

        val (manager, _) = device("manager")
        val conditional = assertThrows<FieldSyncException.Validation> { manager.addToCustomerSegment("cs-brno-buyers", "cust-north-2") }
        assertEquals("segment_id", conditional.field, "field")
        assertEquals("is defined by conditions; its members follow its criteria", conditional.reason, "reason")
        val unknown = assertThrows<FieldSyncException.NotFound> { manager.removeFromCustomerSegment("cs-nowhere", "cust-north-2") }
        assertEquals("customer segment", unknown.entity, "entity")
        assertEquals(0uL, manager.pendingCount(), "nothing queued")
    }

    test("a customer's profile and purchases cross with their nested types") {
        val store = newStore()
        val client = client(store)
        client.login("tech", "tech")
        val report = client.sync()
        assertTrue(SyncCollection.CUSTOMER_PROFILES in report.changed, "changed: ${report.changed}")
        assertTrue(report.customerSegmentRefresh.fullEvaluations >= 1u && report.customerSegmentRefresh.membershipChanges >= 1uL, "segment refresh: ${report.customerSegmentRefresh}")
        val profile = store.customerProfile("cust-north-1") ?: fail("no profile")
        assertEquals("Brno", profile.city, "city")
        assertEquals("1980-04-12", profile.birthDate, "birth date")
        assertEquals(Consent(ConsentKind.EMAIL, "2024-03-01"), profile.consents.first(), "consent")
        assertEquals(Loyalty(true, "gold", 1200L), profile.loyalty, "loyalty")
        assertEquals(AttributeValue.Number(120.0), profile.attributes.single { it.key == "shop_size_m2" }.value, "attribute")
        assertEquals(EventKind.VISIT, profile.events.first().kind, "event")
        assertEquals(10, profile.events.first().on.length, "event date")
        assertTrue(profile.campaigns.single().clicked, "campaign")
        val north4 = store.customerProfile("cust-north-4") ?: fail("no profile")
        assertEquals(AttributeValue.Boolean(true), north4.attributes.single().value, "boolean attribute")
        assertEquals(null, store.customerProfile("c-404"), "none")
        // Settings of partners and business units, and the open cart.
        assertEquals("bu-brno", profile.businessUnitId, "home business unit")
        val wholesale = store.customerProfile("cust-north-2") ?: fail("no profile")
        assertEquals("pt-wholesale", wholesale.partnerId, "home partner")
        val cart = store.customerCart("cust-north-3") ?: fail("no cart")
        assertEquals(Triple(120.0, 4L, true), Triple(cart.value, cart.items, cart.abandoned), "cart")
        assertEquals(null, store.customerCart("cust-north-2"), "no open cart")
        val summary = store.purchaseSummary("cust-north-1")
        assertEquals(6uL, summary.count, "purchases")
        assertEquals(25054L, summary.totalSpendMinor, "total in cents")
        assertTrue(summary.rfmRecency?.toInt() in 1..5, "RFM recency: ${summary.rfmRecency}")
        assertEquals(0uL, store.purchaseSummary("c-404").count, "no purchases")
        assertTrue(store.refreshCustomerSegment("cs-retail-snapshot").fullEvaluations >= 1u, "snapshot taken again")
        assertThrows<FieldSyncException.Validation> { store.refreshCustomerSegment("cs-vip") }
    }

    test("sign-out and a device shared by technicians") {
        val (store, client) = device("tech")
        assertTrue(store.customers(CustomerQuery()).total > 0u, "synced")
        val made = store.createCustomer(CustomerDraft(name = "Kotlin Shared Device"))
        // A change waits for upload: sign-out (either kind) and another
        // user's sign-in are refused, nothing changes.
        for (clearData in listOf(false, true)) {
            val e = assertThrows<FieldSyncException.PendingChanges> { client.signOut(clearData) }
            assertEquals(1uL, e.count, "pending count (clearData = $clearData)")
        }
        val e = assertThrows<FieldSyncException.PendingChanges> { client.login("manager", "manager") }
        assertEquals(1uL, e.count, "pending count at another user's sign-in")
        assertEquals("user-tech", store.session()?.userId, "still tech")

        assertEquals(1uL, client.sync().uploaded, "uploaded as tech")
        // Without clearing: the same user finds the data again.
        client.signOut(false)
        assertEquals(null, store.session(), "session forgotten")
        assertTrue(store.lastSyncSuccess() != null, "data kept")
        assertThrows<FieldSyncException.Unauthorized> { client.sync() }
        client.login("tech", "tech")
        assertTrue(store.customer(made.id) != null, "the same user keeps the data")
        // Cleared: nothing left.
        client.signOut(true)
        assertEquals(null, store.session(), "session forgotten")
        assertEquals(null, store.lastSyncSuccess(), "sync log cleared")
        client.login("tech", "tech")
        assertEquals(0uL, store.customers(CustomerQuery()).total, "customers cleared")

        // Discarding: the change is dropped with the data.
        client.sync()
        val discarded = store.createCustomer(CustomerDraft(name = "Kotlin Discarded"))
        client.signOutDiscardingChanges()
        assertEquals(0uL, store.pendingCount(), "outbox dropped")
        assertEquals(null, store.lastSyncSuccess(), "sync log cleared")
        client.login("tech", "tech")
        assertEquals(null, store.customer(discarded.id), "discarded")
        assertEquals(0uL, store.customers(CustomerQuery()).total, "customers cleared")
        client.signOut(true)

        // Another user, another organization: only their own data.
        val session = client.login("tech2", "tech2")
        client.sync()
        val customers = store.customers(CustomerQuery(limit = 500u)).customers
        assertTrue(customers.isNotEmpty(), "tech2 synced")
        assertEquals(setOf(session.organizationId), customers.map { it.organizationId }.toSet(), "organizations")
        assertEquals(null, store.customer(made.id), "nothing of tech's session")
    }

    loggingTest("a traced sync logs records without customer names, the token or the password") {
        val logger = RecordingLogger()
        setLogger(logger, LogLevel.TRACE)
        val token = portalToken("tech")
        val store = newStore()                                        // logs its schema upgrades
        // Dropped connections: the retries are logged with their errors.
        setFaults("""{"drop_rate": 0.3, "seed": 11}""")
        try {
            val client = SyncClient(store, SyncConfig(serverUrl = server.url, attemptsPerRun = 10u), credentials = object : CredentialsProvider {
                override fun token(refresh: Boolean): String = token
            }, transport = appTransport)
            client.sync()
            store.createCustomer(CustomerDraft(name = "Logged Bakery Kotlin", segmentId = "seg-retail"))
            assertEquals(1uL, client.sync().uploaded, "uploaded")
        } finally {
            setFaults("{}")
        }
        client(newStore()).login("tech", "tech")                      // the password path

        val records = logger.take()
        assertTrue(records.isNotEmpty(), "records arrived")
        for (r in records) {
            assertTrue(r.target.isNotEmpty() && r.message.isNotEmpty(), "level, target and message: $r")
        }
        val messages = records.map { it.message }
        for (start in listOf("upgrading fieldsync schema", "sync request failed; retrying")) {
            assertTrue(messages.any { it.startsWith(start) }, "a record \"$start…\" in $messages")
        }
        val names = store.customers(CustomerQuery(limit = 500u)).customers.map { it.name }
        assertTrue("Logged Bakery Kotlin" in names && "Bakkerij Janssens" in names, "customers: $names")
        for (message in messages) {
            for (secret in names + token + "tech") {                  // "tech": the demo user's password
                assertTrue(secret !in message, "\"$secret\" logged: $message")
            }
            assertTrue("cursor=" !in message, "a request URL with its query logged: $message")
        }
    }

    loggingTest("the logger's level filters records, and clearLogger() stops them") {
        val logger = RecordingLogger()
        setLogger(logger, LogLevel.WARN)
        val (_, client) = device("tech")                             // opening a store logs at INFO
        client.addObserver(throwingObserver)                          // the library logs its failures at WARN
        client.sync()
        assertEquals(setOf(LogLevel.WARN), logger.take().map { it.level }.toSet(), "levels at WARN")

        setLogger(logger, LogLevel.INFO)
        newStore()
        assertTrue(logger.take().any { it.level == LogLevel.INFO }, "INFO at INFO")

        clearLogger()
        newStore()
        client.sync()
        assertEquals(listOf<LogRecord>(), logger.take(), "nothing once cleared")
    }

    loggingTest("a logger that throws does not break sync") {
        setLogger(object : Logger {
            override fun log(record: LogRecord) = throw IllegalStateException("logger bug")
        }, LogLevel.TRACE)
        val (store, client) = device("tech")
        store.createCustomer(CustomerDraft(name = "Unlogged Kotlin"))
        assertEquals(1uL, client.sync().uploaded, "synced anyway")
        assertEquals(0uL, store.pendingCount(), "nothing pending")
    }

    test("a Rust panic is an exception, not a crash") {
        val e = assertThrows<InternalException> { panicForTests("boom from the test") }
        assertTrue(e.message!!.contains("boom from the test"), "message: ${e.message}")
        // The library still works after it.
        assertEquals(listOf<SegmentOption>(), FieldStore.openInMemory("en").also {
            it.setSession(Session("user-x", "org-north", Role.TECHNICIAN))
        }.segmentOptions(), "usable")
    }

    test("faults through the app's transport: nothing lost, nothing applied twice") {
        val transport = appTransport ?: JavaHttpTransport()
        val store = newStore()
        val client = SyncClient(store, SyncConfig(serverUrl = server.url, attemptsPerRun = 3u, pullPageSize = 5u, pushBatchSize = 2u),
            null, transport)
        client.login("tech", "tech")
        client.sync()
        val names = (0 until 30).map { "Faulty Kotlin $it" }
        for (name in names) store.createCustomer(CustomerDraft(name = name, segmentId = "seg-retail"))
        setFaults("""{"error_rate": 0.1, "drop_rate": 0.1, "truncate_rate": 0.1, "applied_then_fail_rate": 0.2, "seed": 7}""")
        try {
            for (run in 0 until 40) {
                try {
                    client.sync()
                } catch (e: FieldSyncException.Network) {
                    continue
                } catch (e: FieldSyncException.Server) {
                    continue
                }
                if (store.pendingCount() == 0uL) break
            }
        } finally {
            setFaults("{}")
        }
        if (transport is JavaHttpTransport) assertTrue(transport.faults.get() >= 5, "the faults reached the app's stack: ${transport.faults.get()}")
        client.sync()
        assertEquals(0uL, store.pendingCount(), "everything uploaded")
        val (status, body) = httpCall("GET", "/portal/v1/customers", null, portalToken("admin"))
        assertEquals(200, status, "customers")
        for (name in names) {
            assertEquals(1, Regex("\"name\":\"${Regex.escape(name)}\"").findAll(body).count(), "$name on the server once")
        }
        val local = store.customers(CustomerQuery(limit = 500u)).customers.map { it.name }
        for (name in names) assertTrue(name in local, "$name on the device")
        if (transport is JavaHttpTransport) assertTrue(transport.requests.get() > 0, "requests went through the app's stack")
    }

    test("the network being down is a Network error") {
        val store = FieldStore.openInMemory("en")
        val offline = SyncClient(store, SyncConfig(serverUrl = "http://127.0.0.1:9", attemptsPerRun = 1u), null, appTransport)
        assertThrows<FieldSyncException.Network> { offline.login("tech", "tech") }
        val e = assertThrows<FieldSyncException.Validation> {
            SyncClient(store, SyncConfig(serverUrl = "portal.example.com"), null)
        }
        assertEquals("server_url", e.field, "field")
    }
}

fun main(args: Array<String>) {
    val binary = args.getOrNull(0) ?: error("usage: FieldSyncTestKt <sync-server-mock binary> [server log]")
    val log = java.io.File(args.getOrNull(1) ?: "sync-server-mock-kotlin.log")
    defineTests()
    var passed = 0
    var failed = 0
    // The suite twice, each pass on a fresh mock: on the built-in HTTP
    // stack, then through the app's own (java.net.http), with every sync
    // story and the fault run.
    val passes = listOf<Pair<String, () -> io.fieldsync.HttpTransport?>>(
        "" to { null },
        "[app transport] " to { JavaHttpTransport() },
    )
    server = MockServer(binary, log)
    try {
        for ((pass, entry) in passes.withIndex()) for ((index, test) in tests.withIndex()) {
            val (prefix, transport) = entry
            val (testName, body) = test
            if (pass > 0 && index == 0) {
                server.close()
                server = MockServer(binary, java.io.File(log.path + ".app-transport"))
            }
            appTransport = transport()
            val name = prefix + testName
            val started = System.nanoTime()
            val error = try {
                runBlocking { withTimeout(90_000) { body() } }
                null
            } catch (e: Throwable) {
                e
            }
            val ms = (System.nanoTime() - started) / 1_000_000
            if (error == null) {
                passed++
                println("PASS $name (${ms} ms)")
            } else {
                failed++
                println("FAIL $name (${ms} ms): $error")
                error.printStackTrace(System.out)
            }
        }
    } finally {
        server.close()
        tmp.toFile().deleteRecursively()
    }
    println("kotlin: $passed passed, $failed failed")
    exitProcess(if (failed == 0 && passed > 0) 0 else 1)
}
