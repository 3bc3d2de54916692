# Sourced by bindings/test-kotlin.sh and bindings/bench-kotlin.sh, after
# bindings/target-dir.sh and from the repository's root: checks what a
# Kotlin program over the generated bindings needs, builds the mock Portal
# when needed, and defines `run_on_jvm`.

kotlin_dir=bindings/kotlin
kotlinc=$kotlin_dir/node_modules/kotlin-compiler/bin/kotlinc
klib=$kotlin_dir/node_modules/kotlin-compiler/lib
jna=${JNA_JAR:-/usr/share/java/jna.jar}
# FIELDSYNC_FLAVOUR=encrypted: the encrypted flavour's bindings and library
# (FIELDSYNC_FLAVOUR=encrypted bindings/generate.sh writes them).
case "${FIELDSYNC_FLAVOUR:-plain}" in
plain) bindings_dir=$target_dir/bindings ;;
encrypted) bindings_dir=$target_dir/bindings-encrypted ;;
*)
    echo "FIELDSYNC_FLAVOUR must be plain or encrypted" >&2
    exit 2
    ;;
esac
generated=$bindings_dir/kotlin
# The Android library's hand-written part: live queries as Flows.
live_queries=bindings/android/fieldsync/src/main/extensions/io/fieldsync/LiveQueries.kt
server=$target_dir/debug/sync-server-mock
classpath="$jna:$klib/kotlinx-coroutines-core-jvm.jar"

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

# run_on_jvm NAME SOURCE MAIN_CLASS ARGS...: compiles the bindings with
# SOURCE (under bindings/kotlin) into <target>/bindings/NAME (bindings-encrypted/
# for the encrypted flavour) and runs
# MAIN_CLASS with ARGS against the generated library and the mock Portal.
run_on_jvm() {
    local name=$1 source=$2 main=$3
    shift 3
    local build=$bindings_dir/$name started
    mkdir -p "$build"
    echo "== compiling the Kotlin bindings and $source"
    started=$(date +%s)
    "$kotlinc" -nowarn -jvm-target 17 -cp "$classpath" -d "$build/$name.jar" \
        "$generated/io/fieldsync/fieldsync.kt" "$live_queries" "$kotlin_dir/$source"
    echo "== compiled in $(($(date +%s) - started)) s; running"
    RUST_BACKTRACE=0 java -Djna.library.path="$generated" \
        -cp "$build/$name.jar:$classpath:$klib/kotlin-stdlib.jar" \
        "$main" "$@"
}
