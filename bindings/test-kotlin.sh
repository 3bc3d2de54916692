#!/usr/bin/env bash
# The Kotlin binding suite: compiles the generated io.fieldsync bindings and
# bindings/kotlin/test/FieldSyncTest.kt with kotlinc (npm's kotlin-compiler),
# then runs them on the JVM with JNA against <target>/bindings/kotlin/libfieldsync.so
# (<target>: cargo's target directory) and a mock Portal. Run bindings/generate.sh first (./test.sh does).
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"
cd "$(dirname "$0")/.."
source bindings/kotlin/jvm.sh

run_on_jvm kotlin-test test/FieldSyncTest.kt FieldSyncTestKt \
    "$server" "$target_dir/bindings/kotlin-test/sync-server-mock.log"
