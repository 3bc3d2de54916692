#!/usr/bin/env bash
# The Kotlin binding suite: compiles the generated io.fieldsync bindings and
# bindings/kotlin/test/FieldSyncTest.kt with kotlinc (npm's kotlin-compiler),
# then runs them on the JVM with JNA against <target>/bindings/kotlin/libfieldsync.so
# (<target>: cargo's target directory) and a mock Portal. Run bindings/generate.sh first (./test.sh does).
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"
cd "$(dirname "$0")/.."

kotlin_dir=bindings/kotlin
kotlinc=$kotlin_dir/node_modules/kotlin-compiler/bin/kotlinc
klib=$kotlin_dir/node_modules/kotlin-compiler/lib
jna=${JNA_JAR:-/usr/share/java/jna.jar}
generated=$target_dir/bindings/kotlin
build=$target_dir/bindings/kotlin-test
server=$target_dir/debug/sync-server-mock

for need in "$kotlinc" "$jna" "$generated/io/fieldsync/fieldsync.kt" "$generated/libfieldsync.so"; do
    if [ ! -e "$need" ]; then
        echo "missing $need: run ./test.sh (or bindings/generate.sh and the setup it does)" >&2
        exit 1
    fi
done

# ./test.sh has just built the mock Portal with the workspace's tests;
# building it alone would rebuild its dependencies with other features.
if [ "${FIELDSYNC_SERVER_BUILT:-0}" != 1 ] || [ ! -x "$server" ]; then
    cargo build --quiet -p sync-server-mock
fi
mkdir -p "$build"
classpath="$jna:$klib/kotlinx-coroutines-core-jvm.jar"

echo "== compiling the Kotlin bindings and tests"
started=$(date +%s)
"$kotlinc" -nowarn -jvm-target 17 -cp "$classpath" -d "$build/fieldsync-test.jar" \
    "$generated/io/fieldsync/fieldsync.kt" "$kotlin_dir/test/FieldSyncTest.kt"
echo "== compiled in $(( $(date +%s) - started )) s; running"

RUST_BACKTRACE=0 java -Djna.library.path="$generated" \
    -cp "$build/fieldsync-test.jar:$classpath:$klib/kotlin-stdlib.jar" \
    FieldSyncTestKt "$server" "$build/sync-server-mock.log"
