#!/usr/bin/env bash
# The Python binding suite: bindings/python/test_fieldsync.py (unittest and
# asyncio from the standard library) against the generated fieldsync module,
# <target>/bindings/python/libfieldsync.so (<target>: cargo's target
# directory) and a mock Portal. Run bindings/generate.sh first (./test.sh does).
#
# FIELDSYNC_FLAVOUR=encrypted: bindings/python/test_encryption.py against
# <target>/bindings-encrypted/python (FIELDSYNC_FLAVOUR=encrypted
# bindings/generate.sh writes it). FIELDSYNC_FLAVOUR=lean:
# bindings/python/test_lean.py against <target>/bindings-lean/python.
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"
cd "$(dirname "$0")/.."

case "${FIELDSYNC_FLAVOUR:-plain}" in
plain)
    generated=$target_dir/bindings/python
    suite=bindings/python/test_fieldsync.py
    server_log=$target_dir/bindings/python-sync-server-mock.log
    ;;
encrypted)
    generated=$target_dir/bindings-encrypted/python
    suite=bindings/python/test_encryption.py
    server_log=$target_dir/bindings-encrypted/python-sync-server-mock.log
    ;;
lean)
    generated=$target_dir/bindings-lean/python
    suite=bindings/python/test_lean.py
    server_log=$target_dir/bindings-lean/python-sync-server-mock.log
    ;;
*)
    echo "FIELDSYNC_FLAVOUR must be plain, encrypted or lean" >&2
    exit 2
    ;;
esac
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
echo "== running the Python suite ($suite)"
RUST_BACKTRACE=0 PYTHONDONTWRITEBYTECODE=1 python3 "$suite" "$generated" "$server" "$server_log"
