#!/usr/bin/env bash
# The Python binding suite: bindings/python/test_fieldsync.py (unittest and
# asyncio from the standard library) against the generated fieldsync module,
# <target>/bindings/python/libfieldsync.so (<target>: cargo's target
# directory) and a mock Portal. Run bindings/generate.sh first (./test.sh does).
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"
cd "$(dirname "$0")/.."

generated=$target_dir/bindings/python
server=$target_dir/debug/sync-server-mock
for need in "$generated/fieldsync.py" "$generated/libfieldsync.so"; do
    if [ ! -e "$need" ]; then
        echo "missing $need: run bindings/generate.sh" >&2
        exit 1
    fi
done
# ./test.sh has just built the mock Portal with the workspace's tests;
# building it alone would rebuild its dependencies with other features.
if [ "${FIELDSYNC_SERVER_BUILT:-0}" != 1 ] || [ ! -x "$server" ]; then
    cargo build --quiet -p sync-server-mock
fi
echo "== running the Python suite"
RUST_BACKTRACE=0 PYTHONDONTWRITEBYTECODE=1 python3 bindings/python/test_fieldsync.py \
    "$generated" "$server" "$target_dir/bindings/python-sync-server-mock.log"
