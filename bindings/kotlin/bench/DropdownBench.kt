// The segment dropdown as an Android app calls it: `FieldStore.segmentOptions()`
// through the generated Kotlin bindings and JNA, on a store synced from the
// mock Portal with 2,000 generated segments in five languages. Prints the
// median and 95th percentile beside the same figures for an empty call
// across the boundary (`fieldsyncVersion()`), and writes them as one flat
// JSON object.
//
// Run by bindings/bench-kotlin.sh:
//   java -Djna.library.path=<dir> -cp ... DropdownBenchKt <sync-server-mock> <log> <out.json>

import io.fieldsync.*
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking

const val SEGMENTS = 2_000
const val RUNS = 2_000

/** Median and 95th percentile of `RUNS` calls, in microseconds. */
fun percentiles(call: () -> Unit): Pair<Double, Double> {
    repeat(200) { call() } // warm the JIT and the store
    val samples = LongArray(RUNS) {
        val start = System.nanoTime()
        call()
        System.nanoTime() - start
    }
    samples.sort()
    return samples[RUNS / 2] / 1e3 to samples[RUNS * 95 / 100] / 1e3
}

fun main(args: Array<String>) {
    val (binary, log, out) = args
    val server = ProcessBuilder(binary, "--port", "0", "--seed-demo", "--generate-segments", "$SEGMENTS")
        .redirectError(ProcessBuilder.Redirect.to(java.io.File(log)))
        .start()
    try {
        val line = server.inputStream.bufferedReader().readLine()
            ?: error("sync-server-mock exited before listening (see $log)")
        val url = line.removePrefix("listening on ").trim()
        val dir = Files.createTempDirectory("fieldsync-bench")
        val store = FieldStore.open(dir.resolve("bench.db").toString(), "nl-BE")
        val client = SyncClient(store, SyncConfig(serverUrl = url), null)
        runBlocking {
            client.login("tech", "tech")
            client.sync()
        }
        val shown = store.segmentOptions().size
        check(shown > SEGMENTS / 2) { "only $shown segments synced" }
        val (p50, p95) = percentiles { store.segmentOptions() }
        val (emptyP50, _) = percentiles { fieldsyncVersion() }
        println(
            "kotlin segmentOptions(), %d segments x 5 languages (%d shown): median %.1f us, p95 %.1f us; an empty call across the boundary %.1f us"
                .format(SEGMENTS, shown, p50, p95, emptyP50),
        )
        java.io.File(out).apply { parentFile.mkdirs() }.writeText(
            """{"kotlin_segment_options_p50_us": %.1f, "kotlin_segment_options_p95_us": %.1f, "kotlin_empty_call_p50_us": %.1f, "segments_shown": %d}"""
                .format(java.util.Locale.ROOT, p50, p95, emptyP50, shown) + "\n",
        )
        println("  figures written to $out")
        client.stop()
    } finally {
        server.destroy()
        if (!server.waitFor(5, TimeUnit.SECONDS)) server.destroyForcibly()
    }
}
