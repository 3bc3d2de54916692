#!/usr/bin/env bash
# The Kotlin binding suite: compiles the generated io.fieldsync bindings and
# bindings/kotlin/test/FieldSyncTest.kt with kotlinc (npm's kotlin-compiler),
# then runs them on the JVM with JNA against <target>/bindings/kotlin/libfieldsync.so
# (<target>: cargo's target directory) and a mock Portal. Run bindings/generate.sh first (./test.sh does).
#
# FIELDSYNC_FLAVOUR=encrypted: bindings/kotlin/test/EncryptionTest.kt against
# <target>/bindings-encrypted/kotlin (FIELDSYNC_FLAVOUR=encrypted bindings/generate.sh).
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"
cd "$(dirname "$0")/.."
source bindings/kotlin/jvm.sh

if [ "${FIELDSYNC_FLAVOUR:-plain}" = encrypted ]; then
    run_on_jvm kotlin-test test/EncryptionTest.kt EncryptionTestKt \
        "$server" "$bindings_dir/kotlin-test/sync-server-mock.log"
else
    run_on_jvm kotlin-test test/FieldSyncTest.kt FieldSyncTestKt \
        "$server" "$bindings_dir/kotlin-test/sync-server-mock.log"
fi
