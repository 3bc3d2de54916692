#!/usr/bin/env bash
# The dropdown benchmark through the Kotlin bindings on the JVM
# (bindings/kotlin/bench/DropdownBench.kt): FieldStore.segmentOptions() with
# 2,000 segments in five languages, synced from a mock Portal. Prints the
# median and p95 and writes <target>/bench/kotlin.json. Run
# bindings/generate.sh first (./test.sh does); not part of the test command.
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"
cd "$(dirname "$0")/.."

kotlin_dir=bindings/kotlin
kotlinc=$kotlin_dir/node_modules/kotlin-compiler/bin/kotlinc
klib=$kotlin_dir/node_modules/kotlin-compiler/lib
jna=${JNA_JAR:-/usr/share/java/jna.jar}
generated=$target_dir/bindings/kotlin
build=$target_dir/bindings/kotlin-bench
server=$target_dir/debug/sync-server-mock

for need in "$kotlinc" "$jna" "$generated/io/fieldsync/fieldsync.kt" "$generated/libfieldsync.so"; do
    if [ ! -e "$need" ]; then
        echo "missing $need: run ./test.sh (or bindings/generate.sh and the setup it does)" >&2
        exit 1
    fi
done
if [ ! -x "$server" ]; then
    cargo build --quiet -p sync-server-mock
fi
mkdir -p "$build"
classpath="$jna:$klib/kotlinx-coroutines-core-jvm.jar"
echo "== compiling the Kotlin bindings and the benchmark"
"$kotlinc" -nowarn -jvm-target 17 -cp "$classpath" -d "$build/fieldsync-bench.jar" \
    "$generated/io/fieldsync/fieldsync.kt" "$kotlin_dir/bench/DropdownBench.kt"
RUST_BACKTRACE=0 java -Djna.library.path="$generated" \
    -cp "$build/fieldsync-bench.jar:$classpath:$klib/kotlin-stdlib.jar" \
    DropdownBenchKt "$server" "$build/sync-server-mock.log" "$target_dir/bench/kotlin.json"
