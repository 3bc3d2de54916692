// The Kotlin suite of the encrypted flavour: the generated `io.fieldsync`
// API over the library built with encryption at rest (SQLCipher), on the
// JVM against the mock Portal. A key opens, a wrong key fails with WrongKey
// and changes no byte, changeKey, encryptDatabase, and no customer name or
// segment label in the files.
//
// Run by bindings/test-kotlin.sh (FIELDSYNC_FLAVOUR=encrypted):
//   java -Djna.library.path=<dir of libfieldsync.so> -cp ... EncryptionTestKt <sync-server-mock binary> [server log]

import io.fieldsync.*
import java.io.File
import java.nio.file.Files
import java.security.MessageDigest
import java.security.SecureRandom
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess
import kotlinx.coroutines.*

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

val tests = mutableListOf<Pair<String, suspend () -> Unit>>()

fun test(name: String, body: suspend () -> Unit) {
    tests += name to body
}

class MockServer(binary: String, log: File) : AutoCloseable {
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
val tmp: java.nio.file.Path = Files.createTempDirectory("fieldsync-kotlin-encrypted")
val random = SecureRandom()
const val NAME = "Bakkerij Versteeg-Kotlin"

/** A fresh random key, as an app makes once and keeps in the Keystore. */
fun newKey(): ByteArray = ByteArray(32).also { random.nextBytes(it) }

fun path(name: String): String = tmp.resolve(name).toString()

fun client(store: FieldStore): SyncClient =
    SyncClient(store, SyncConfig(serverUrl = server.url, attemptsPerRun = 2u), null)

/** The database and its WAL (`-shm` is SQLite's shared-memory index, not data). */
fun dataFiles(db: String): List<File> = listOf(File(db), File("$db-wal")).filter { it.exists() }

fun digest(db: String): Map<String, String> = dataFiles(db).associate { f ->
    f.name to MessageDigest.getInstance("SHA-256").digest(f.readBytes()).joinToString("") { "%02x".format(it) }
}

/** The texts found in the bytes of the database or its WAL. */
fun inFiles(db: String, texts: List<String>): Set<String> {
    val contents = dataFiles(db).map { String(it.readBytes(), Charsets.ISO_8859_1) }
    return texts.filter { t -> contents.any { it.contains(String(t.toByteArray(), Charsets.ISO_8859_1)) } }.toSet()
}

/** Every customer's name and every segment label the store holds. */
fun privateTexts(store: FieldStore): List<String> {
    val names = store.customers(CustomerQuery(limit = 500u)).customers.map { it.name }
    val labels = store.segmentOptions().map { it.label }
    assertTrue(NAME in names && "Detailhandel" in labels, "names $names, labels $labels")
    return names + labels
}

/** An encrypted store signed in as tech, synced, with a customer of its own. */
suspend fun filled(db: String, key: ByteArray): Pair<FieldStore, SyncClient> {
    val store = FieldStore.openEncrypted(db, "nl", key)
    val client = client(store)
    client.login("tech", "tech")
    client.sync()
    store.createCustomer(CustomerDraft(name = NAME, segmentId = "seg-retail"))
    return store to client
}

fun defineTests() {
    test("a key opens, and no byte shows the data") {
        val db = path("open.db")
        val key = newKey()
        val (store, client) = filled(db, key)
        val texts = privateTexts(store)
        assertTrue(File("$db-wal").length() > 0, "the WAL holds the last writes")
        assertEquals(emptySet<String>(), inFiles(db, texts), "plain text in the database or its WAL")
        client.close()
        store.close()
        assertEquals(emptySet<String>(), inFiles(db, texts), "plain text after closing")
        FieldStore.openEncrypted(db, "nl", key).use { again ->
            assertEquals(1uL, again.pendingCount(), "pending after reopening")
        }
    }

    test("a wrong key fails with WrongKey and changes nothing") {
        val db = path("wrong.db")
        val key = newKey()
        // No SyncClient: its thread may hold the store a moment after close(),
        // and the store's closing would change the files under the test.
        val store = FieldStore.openEncrypted(db, "nl", key)
        store.setSession(Session("user-tech", "org-north", Role.TECHNICIAN))
        store.createCustomer(CustomerDraft(name = NAME))
        var before = digest(db)
        assertTrue(before.keys.any { it.endsWith("-wal") }, "the last writes are in the WAL")
        val e = assertThrows<FieldSyncException.WrongKey> { FieldStore.openEncrypted(db, "nl", newKey()) }
        assertEquals("the key does not open this database", e.toString(), "message")
        assertEquals(before, digest(db), "files after a wrong key (open)")
        store.close()
        before = digest(db)
        assertThrows<FieldSyncException.WrongKey> { FieldStore.openEncrypted(db, "nl", ByteArray(32)) }
        assertEquals(before, digest(db), "files after a wrong key (closed)")
        val short = assertThrows<FieldSyncException.Validation> { FieldStore.openEncrypted(db, "nl", ByteArray(16)) }
        assertEquals("key" to "must be exactly 32 bytes", short.field to short.reason, "a short key")
        FieldStore.openEncrypted(db, "nl", key).use { assertEquals(1uL, it.pendingCount(), "pending") }
    }

    test("changeKey re-encrypts; the old key no longer opens") {
        val db = path("rekey.db")
        val old = newKey()
        val new = newKey()
        val (store, client) = filled(db, old)
        store.changeKey(new)
        assertEquals(1uL, store.pendingCount(), "reads go on")
        store.createCustomer(CustomerDraft(name = "After Rekey"))
        assertEquals(2uL, client.sync().uploaded, "uploaded after the rekey")
        val texts = privateTexts(store)
        client.close()
        store.close()
        assertThrows<FieldSyncException.WrongKey> { FieldStore.openEncrypted(db, "nl", old) }
        FieldStore.openEncrypted(db, "nl", new).use { assertEquals(0uL, it.pendingCount(), "pending") }
        assertEquals(emptySet<String>(), inFiles(db, texts), "plain text after the rekey")
    }

    test("encryptDatabase moves a plain database over, nothing lost") {
        val plainDb = path("plain.db")
        val encryptedDb = path("moved.db")
        val key = newKey()
        val store = FieldStore.open(plainDb, "nl")
        val client = client(store)
        client.login("tech", "tech")
        client.sync()
        store.createCustomer(CustomerDraft(name = NAME, segmentId = "seg-retail"))
        val expected = listOf(store.session(), store.customers(CustomerQuery(limit = 500u)), store.segmentOptions(),
            store.pendingChanges(100u), store.customerSegments(null))
        val texts = privateTexts(store)
        client.close()
        store.close()
        FieldStore.encryptDatabase(plainDb, encryptedDb, "nl", key).use { moved ->
            val actual = listOf(moved.session(), moved.customers(CustomerQuery(limit = 500u)), moved.segmentOptions(),
                moved.pendingChanges(100u), moved.customerSegments(null))
            assertEquals(expected, actual, "what the encrypted store answers")
            assertEquals(1uL, moved.pendingCount(), "the change still waits for upload")
            assertEquals(emptySet<String>(), inFiles(encryptedDb, texts), "plain text in the encrypted copy")
            client(moved).use { c ->
                c.login("tech", "tech") // the token is not kept on disk
                assertEquals(1uL, c.sync().uploaded, "uploaded from the encrypted store")
            }
        }
        val before = digest(encryptedDb)
        val e = assertThrows<FieldSyncException.Validation> { FieldStore.encryptDatabase(plainDb, encryptedDb, "nl", key) }
        assertEquals("encrypted_path" to "already exists", e.field to e.reason, "refused")
        assertEquals(before, digest(encryptedDb), "the existing file")
        assertTrue(File(tmp.toString()).list()!!.none { it.endsWith(".part") }, "no .part left")
    }
}

fun main(args: Array<String>) {
    val binary = args.getOrNull(0) ?: error("usage: EncryptionTestKt <sync-server-mock binary> [server log]")
    val log = File(args.getOrNull(1) ?: "sync-server-mock-kotlin-encrypted.log")
    defineTests()
    var passed = 0
    var failed = 0
    server = MockServer(binary, log)
    try {
        for ((name, body) in tests) {
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
    println("kotlin-encrypted: $passed passed, $failed failed")
    exitProcess(if (failed == 0 && passed > 0) 0 else 1)
}
