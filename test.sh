#!/usr/bin/env bash
# Runs every test: the Rust workspace, then the bindings (generated afresh
# from the shipped library build): the shipped library's size against its
# budget, the Kotlin suite on the JVM, the Python suite, and the checks of
# the Swift bindings. Installs what the binding suites need when it is
# missing: the Kotlin compiler (npm, into bindings/kotlin/node_modules) and
# JNA (Debian's libjna-java).
#
# Builds in cargo's target directory (bindings/target-dir.sh: CARGO_TARGET_DIR,
# else the workspace's target/); the binding stages check that every script
# finds it through cargo (see below).
#
#   ./test.sh                 # exactly what .ci/run runs
#   FIELDSYNC_LIB=dev ./test.sh   # bindings against the debug library (quicker)
#   CARGO_TARGET_DIR=/some/dir ./test.sh
set -euo pipefail

started=$(date +%s)
step() {
    echo
    echo "=== $* ($(($(date +%s) - started)) s)"
}

step "setup"
for tool in cargo cc java python3 npm; do
    if ! command -v "$tool" >/dev/null; then
        echo "test.sh needs $tool on the PATH" >&2
        exit 1
    fi
done
# Before the cd: cargo resolves a relative CARGO_TARGET_DIR from where
# test.sh was started. Sets target_dir, exports it as CARGO_TARGET_DIR.
source "$(dirname "$0")/bindings/target-dir.sh"
cd "$(dirname "$0")"
echo "cargo's target directory: $target_dir"
if [ ! -x bindings/kotlin/node_modules/kotlin-compiler/bin/kotlinc ]; then
    echo "installing the Kotlin compiler (npm ci in bindings/kotlin)"
    (cd bindings/kotlin && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -f "${JNA_JAR:-/usr/share/java/jna.jar}" ]; then
    echo "installing JNA (apt-get install libjna-java)"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjna-java >/dev/null
fi

if ! python3 -c 'import ensurepip' 2>/dev/null; then
    # The contract stage puts schemathesis into a venv under the target dir.
    echo "installing python3-venv (apt-get install python3-venv)"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi

# Every stage runs even when an earlier one failed (the binding suites need
# only the bindings); the script fails if any did.
# Each stage's output is also kept apart, so that the end of the run can
# repeat the last lines of each failed stage: a CI log that shows only its
# tail still says why.
failures=()
failure_logs=()
stages_run=0
log=$(mktemp)
stage_logs=$(mktemp -d)
bindings_target_dir=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-target.XXXXXX")
trap 'rm -f "$log"; rm -rf "$bindings_target_dir" "$stage_logs"' EXIT
stage() {
    local name=$1
    shift
    step "$name"
    local stage_started stage_log
    stage_started=$(date +%s)
    stages_run=$((stages_run + 1))
    stage_log=$stage_logs/$stages_run.log
    if "$@" 2>&1 | tee -a "$log" "$stage_log"; then
        echo "--- $name: ok in $(($(date +%s) - stage_started)) s"
    else
        echo "--- $name: FAILED after $(($(date +%s) - stage_started)) s"
        failures+=("$name")
        failure_logs+=("$stage_log")
        return 1
    fi
}

# The scripts find cargo's target directory through bindings/target-dir.sh:
# none may write a path into it literally (comments aside).
check_scripts() {
    local scripts script count=0 literal=0
    scripts=$(git ls-files --cached --others --exclude-standard -- '*.sh' .ci/run 2>/dev/null) ||
        scripts=$(find "$PWD" \( -name node_modules -o -path "$target_dir" \) -prune -o \
            -type f \( -name '*.sh' -o -path "$PWD/.ci/run" \) -print)
    for script in $scripts; do
        [ -f "$script" ] || continue
        count=$((count + 1))
        # The patterns are bracketed so that this line does not match them.
        if sed -E 's/(^|[[:space:]])#.*//' "$script" |
            grep -HnE --label="$script" '(^|[^[:alnum:]_$-])target[/]|[/]target([^[:alnum:]_.-]|$)'; then
            literal=1
        fi
    done
    if [ "$literal" = 1 ]; then
        echo "the lines above name cargo's target directory literally: use \$target_dir (bindings/target-dir.sh)"
        return 1
    fi
    echo "== $count scripts, all find the target directory through cargo"
}
stage "scripts (target directory)" check_scripts || true

if stage "cargo test --workspace" cargo test --workspace; then
    # It built $target_dir/debug/sync-server-mock (the mock's own tests run it).
    export FIELDSYNC_SERVER_BUILT=1
fi

# Encryption at rest: core's whole suite again on SQLCipher (the
# `encryption` feature, OpenSSL built from crates), with its own tests of
# wrong keys, rekeying and moving a plain database over.
# SQLCipher built as for the shipped library (bindings/sqlcipher-flags.sh).
core_on_sqlcipher() {
    (source bindings/sqlcipher-flags.sh && cargo test -p fieldsync-core --features encryption)
}
stage "cargo test -p fieldsync-core --features encryption" core_on_sqlcipher || true

# The fuzz targets' committed corpora (fuzz/corpus/), replayed through the
# targets' checks on stable: no cargo-fuzz, no libFuzzer (fuzz/ is a package
# of its own, outside the workspace; fuzz/run.sh fuzzes for real).
stage "fuzz corpus replay" cargo test --manifest-path fuzz/Cargo.toml --no-default-features || true

# The mock's HTTP API fuzzed from its own OpenAPI document: schemathesis,
# every phase, as the admin and as a technician, seed 1 (installs a pinned
# schemathesis into a venv under the target directory on first use).
stage "API contract (schemathesis)" sync-server-mock/contract/run.sh || true

# The binding stages run with CARGO_TARGET_DIR set to a fresh directory
# whose profile directories (debug, release-small, release-lean) are symlinks into the
# real target directory ($target_dir: the user's CARGO_TARGET_DIR or the
# workspace's target/). Cargo finds its builds there up to date and rebuilds
# nothing (a no-op build takes under a second), but bindings/ is new, and
# $target_dir/bindings is removed first: a script that wrote or read a fixed
# target/ path instead of asking cargo would miss its inputs, and its stage
# would fail, whether or not the user set CARGO_TARGET_DIR. (A fixed path
# into target/debug would still resolve when the real directory is the
# workspace's target/: the check above catches those.) The bindings and the
# suites' logs are then moved to $target_dir/bindings, where they were before.
rm -rf "$target_dir/bindings" "$target_dir/bindings-encrypted" "$target_dir/bindings-lean"
for profile in debug release-small release-lean; do
    mkdir -p "$target_dir/$profile"
    ln -s "$target_dir/$profile" "$bindings_target_dir/$profile"
done
export CARGO_TARGET_DIR=$bindings_target_dir
echo
echo "== binding stages with CARGO_TARGET_DIR=$CARGO_TARGET_DIR (debug, release-small, release-lean: links into $target_dir)"
if stage "bindings/generate.sh" bindings/generate.sh; then
    # The shipped library's size against its budget (bindings/check-size.sh).
    stage "shipped library size" bindings/check-size.sh || true
    stage "Kotlin bindings" bindings/test-kotlin.sh || true
    stage "Python bindings" bindings/test-python.sh || true
    stage "Swift bindings (checks)" bindings/check-swift.sh || true
fi
# The encrypted flavour (bindings-encrypted/), on its debug library: its
# release build (OpenSSL and SQLCipher optimized, a second LTO link) would
# add minutes; its size is checked on demand (bindings/check-size.sh).
# Its own suites test what encryption adds.
if stage "bindings/generate.sh (encrypted flavour, debug library)" \
    env FIELDSYNC_FLAVOUR=encrypted FIELDSYNC_LIB=dev bindings/generate.sh; then
    stage "Kotlin bindings (encrypted)" env FIELDSYNC_FLAVOUR=encrypted bindings/test-kotlin.sh || true
    stage "Python bindings (encrypted)" env FIELDSYNC_FLAVOUR=encrypted bindings/test-python.sh || true
    stage "Swift bindings (checks, encrypted)" env FIELDSYNC_FLAVOUR=encrypted bindings/check-swift.sh || true
fi
# The lean flavour (no built-in HTTP stack: the app's transport carries
# every request), its shipped library (profile release-lean): its size
# against its 2 MiB budget; its Python suite runs the app-transport story
# and the fault run, checks that a client without a transport says what is
# missing, and that a panic aborts.
if stage "bindings/generate.sh (lean flavour)" env FIELDSYNC_FLAVOUR=lean bindings/generate.sh; then
    stage "shipped library size (lean)" env FIELDSYNC_FLAVOUR=lean bindings/check-size.sh || true
    stage "Python bindings (lean)" env FIELDSYNC_FLAVOUR=lean bindings/test-python.sh || true
fi
export CARGO_TARGET_DIR=$target_dir
for bindings in bindings bindings-encrypted bindings-lean; do
    if [ -d "$bindings_target_dir/$bindings" ]; then
        rm -rf "${target_dir:?}/$bindings"
        mv "$bindings_target_dir/$bindings" "$target_dir/$bindings"
        echo "== bindings and the suites' logs: $target_dir/$bindings"
    fi
done
# The Portal's screens in headless Chromium (selenium), with a device on
# the Python bindings just generated (installs chromium, chromium-driver and
# selenium itself when they are missing).
if [ -f "$target_dir/bindings/python/fieldsync.py" ]; then
    stage "Portal screens (headless Chromium)" sync-server-mock/screens/run.sh || true
fi
if [ -f "$bindings_target_dir/bench/size.json" ]; then
    mkdir -p "$target_dir/bench"
    mv "$bindings_target_dir/bench/size.json" "$target_dir/bench/size.json"
fi

# One closing line for every suite together: cargo's "test result" lines
# and the binding suites' "N passed, M failed" lines, added up.
totals=$(sed -nE 's/^test result: [a-zA-Z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p; s/^[a-z-]+: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log" |
    awk '{p += $1; f += $2} END {printf "%d %d", p, f}')
echo
if [ ${#failures[@]} -gt 0 ]; then
    for i in "${!failures[@]}"; do
        echo "=== the last lines of the failed stage: ${failures[$i]}"
        grep -v '^test .* ok$' "${failure_logs[$i]}" | tail -n 60
        echo
    done
    echo "=== FAILED: ${failures[*]} ($(($(date +%s) - started)) s)"
    exit 1
fi
echo "=== all tests passed ($(($(date +%s) - started)) s)"
echo "${totals% *} passed, ${totals#* } failed"
