#!/usr/bin/env bash
# Runs every test: the Rust workspace, then the bindings (generated afresh
# from the shipped library build): the Kotlin suite on the JVM, the Python
# suite, and the checks of the Swift bindings. Installs what the binding
# suites need when it is missing: the Kotlin compiler (npm, into
# bindings/kotlin/node_modules) and JNA (Debian's libjna-java).
#
#   ./test.sh                 # exactly what .ci/run runs
#   FIELDSYNC_LIB=dev ./test.sh   # bindings against the debug library (quicker)
set -euo pipefail
cd "$(dirname "$0")"

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

# Every stage runs even when an earlier one failed (the binding suites need
# only the bindings); the script fails if any did.
failures=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
stage() {
    local name=$1
    shift
    step "$name"
    local stage_started
    stage_started=$(date +%s)
    if "$@" 2>&1 | tee -a "$log"; then
        echo "--- $name: ok in $(($(date +%s) - stage_started)) s"
    else
        echo "--- $name: FAILED after $(($(date +%s) - stage_started)) s"
        failures+=("$name")
        return 1
    fi
}
if stage "cargo test --workspace" cargo test --workspace; then
    # It built target/debug/sync-server-mock (the mock's own tests run it).
    export FIELDSYNC_SERVER_BUILT=1
fi
if stage "bindings/generate.sh" bindings/generate.sh; then
    stage "Kotlin bindings" bindings/test-kotlin.sh || true
    stage "Python bindings" bindings/test-python.sh || true
    stage "Swift bindings (checks)" bindings/check-swift.sh || true
fi

# One closing line for every suite together: cargo's "test result" lines
# and the binding suites' "N passed, M failed" lines, added up.
totals=$(sed -nE 's/^test result: [a-zA-Z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p; s/^[a-z]+: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log" |
    awk '{p += $1; f += $2} END {printf "%d %d", p, f}')
echo
if [ ${#failures[@]} -gt 0 ]; then
    echo "=== FAILED: ${failures[*]} ($(($(date +%s) - started)) s)"
    exit 1
fi
echo "=== all tests passed ($(($(date +%s) - started)) s)"
echo "${totals% *} passed, ${totals#* } failed"
