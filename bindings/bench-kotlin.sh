#!/usr/bin/env bash
# The dropdown benchmark through the Kotlin bindings on the JVM
# (bindings/kotlin/bench/DropdownBench.kt): FieldStore.segmentOptions() with
# 2,000 segments in five languages, synced from a mock Portal. Prints the
# median and p95 and writes <target>/bench/kotlin.json. Run
# bindings/generate.sh first (./test.sh does); not part of the test command.
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"
cd "$(dirname "$0")/.."
source bindings/kotlin/jvm.sh

run_on_jvm kotlin-bench bench/DropdownBench.kt DropdownBenchKt \
    "$server" "$target_dir/bindings/kotlin-bench/sync-server-mock.log" "$target_dir/bench/kotlin.json"
