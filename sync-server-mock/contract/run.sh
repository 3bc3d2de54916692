#!/usr/bin/env bash
# Fuzzes the mock's HTTP API from its own OpenAPI document with schemathesis
# (issue 12, part 1): every phase (examples, coverage, fuzzing, stateful),
# as the admin and as a technician side by side, with a fixed seed; the
# fault admin endpoint is left out. Prints schemathesis' summary per role
# (its failures in full when a check failed: a CI log shows them) and exits
# non-zero when any check failed.
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

# A fresh mock per role (the admin's run changes and deletes data); the
# two roles run side by side, each schemathesis on its own core.
start_mock() {
    "$target_dir/debug/sync-server-mock" --port 0 --seed-demo >"$out/server-$1.out" 2>"$out/server-$1.log" &
    servers+=($!)
    url=""
    for _ in $(seq 1 300); do
        url=$(sed -n 's/^listening on //p' "$out/server-$1.out")
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || { echo "the mock did not start for $1: $(cat "$out/server-$1.log")" >&2; exit 1; }
}
servers=()
runs=()
trap 'for pid in "${servers[@]}" "${runs[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT

users=(admin tech)
for user in "${users[@]}"; do
    start_mock "$user"
    echo "== schemathesis as $user (seed $seed, up to $max_examples examples per operation)"
    # hooks.py signs in as $user (and once more for each logout).
    CONTRACT_URL=$url CONTRACT_USER=$user SCHEMATHESIS_HOOKS=hooks \
        PYTHONPATH=sync-server-mock/contract \
        "$venv/bin/schemathesis" --config-file sync-server-mock/contract/schemathesis.toml \
        run "$url/openapi.json" \
        --seed "$seed" --max-examples "$max_examples" \
        --phases examples,coverage,fuzzing,stateful \
        --exclude-path-regex '^/admin/v1/faults' \
        --report junit --report-junit-path "$out/$user.xml" \
        --no-color >"$out/$user.txt" 2>&1 &
    runs+=($!)
done

failed=0
for i in "${!users[@]}"; do
    user=${users[$i]}
    if wait "${runs[$i]}"; then
        echo "== schemathesis as $user: passed"
        sed -n '/SUMMARY/,$p' "$out/$user.txt" | head -40
    else
        failed=1
        # The failures in full: what a CI log shows of this stage.
        echo "== schemathesis as $user: FAILED ($out/$user.txt)"
        sed -n '/FAILURES/,$p' "$out/$user.txt" | head -150
        grep -q FAILURES "$out/$user.txt" || tail -60 "$out/$user.txt"
    fi
done
exit $failed
