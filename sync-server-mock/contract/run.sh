#!/usr/bin/env bash
# Fuzzes the mock's HTTP API from its own OpenAPI document with schemathesis
# (issue 12, part 1): every phase (examples, coverage, fuzzing, stateful),
# once as the admin and once as a technician, with a fixed seed; the fault
# admin endpoint is left out. Prints schemathesis' summary per role and
# exits non-zero when any check failed.
#
#   sync-server-mock/contract/run.sh [MAX_EXAMPLES]   # default 25 per operation
#   CONTRACT_SEED=7 sync-server-mock/contract/run.sh  # another seed (default 1)
#
# schemathesis (pinned) is installed into a venv under cargo's target
# directory on first use. Reports (JUnit) go to <target>/contract/.
set -euo pipefail
source "$(dirname "$0")/../../bindings/target-dir.sh"
cd "$(dirname "$0")/../.."

max_examples=${1:-25}
seed=${CONTRACT_SEED:-1}
out=$target_dir/contract
venv=$target_dir/contract-venv
mkdir -p "$out"
if [ ! -x "$venv/bin/schemathesis" ]; then
    echo "== installing schemathesis 4.32.5 into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi

cargo build --quiet -p sync-server-mock

# A fresh mock per role: the admin's run changes and deletes data.
start_mock() {
    "$target_dir/debug/sync-server-mock" --port 0 --seed-demo >"$out/server-$1.out" 2>"$out/server-$1.log" &
    server=$!
    url=""
    for _ in $(seq 1 100); do
        url=$(sed -n 's/^listening on //p' "$out/server-$1.out")
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || { echo "the mock did not start" >&2; exit 1; }
}
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null || true' EXIT

failed=0
for user in admin tech; do
    start_mock "$user"
    echo "== schemathesis as $user (seed $seed, up to $max_examples examples per operation)"
    # hooks.py signs in as $user (and once more for each logout).
    if ! CONTRACT_URL=$url CONTRACT_USER=$user SCHEMATHESIS_HOOKS=hooks \
        PYTHONPATH=sync-server-mock/contract \
        "$venv/bin/schemathesis" --config-file sync-server-mock/contract/schemathesis.toml \
        run "$url/openapi.json" \
        --seed "$seed" --max-examples "$max_examples" \
        --phases examples,coverage,fuzzing,stateful \
        --exclude-path-regex '^/admin/v1/faults' \
        --report junit --report-junit-path "$out/$user.xml" \
        --no-color >"$out/$user.txt" 2>&1; then
        failed=1
    fi
    sed -n '/SUMMARY/,$p' "$out/$user.txt" | head -40
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
done
exit $failed
