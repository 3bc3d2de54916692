#!/usr/bin/env bash
# The size budget of the shipped library: fails when the stripped
# libfieldsync.so that bindings/generate.sh last built (profile
# release-small, x86-64) is larger than the budget, and prints the size
# either way. ./test.sh runs it right after generate.sh.
#
#   bindings/generate.sh && bindings/check-size.sh
#   export FIELDSYNC_FLAVOUR=encrypted; bindings/generate.sh && bindings/check-size.sh
#   export FIELDSYNC_FLAVOUR=lean; bindings/generate.sh && bindings/check-size.sh
#
# Reads <target>/bench/size.json (size-encrypted.json for the encrypted
# flavour), which generate.sh writes for the shipped build (FIELDSYNC_LIB=dev
# builds none: nothing to check then). ./test.sh checks the plain flavour;
# the encrypted one's release build (OpenSSL and SQLCipher optimized, a
# second LTO link) is left to the command above.
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"

# The budgets, in bytes: 4 MiB for the plain flavour (issue 11), 5 MiB for
# the encrypted one (issue 13), 2 MiB for the lean one without an HTTP
# stack (issue 15). The one place they are written.
flavour=${FIELDSYNC_FLAVOUR:-plain}
case "$flavour" in
plain)
    budget=4194304
    size_json=$target_dir/bench/size.json
    ;;
encrypted)
    budget=5242880
    size_json=$target_dir/bench/size-encrypted.json
    ;;
lean)
    budget=2097152
    size_json=$target_dir/bench/size-lean.json
    ;;
*)
    echo "FIELDSYNC_FLAVOUR must be plain, encrypted or lean, not $flavour" >&2
    exit 2
    ;;
esac

# 4194304 -> 4,194,304
grouped() {
    printf '%s' "$1" | sed -E ':a; s/^([0-9]+)([0-9]{3})/\1,\2/; ta'
}
mib() {
    awk "BEGIN { printf \"%.2f\", $1 / 1048576 }"
}

if [ "${FIELDSYNC_LIB:-release-small}" = dev ]; then
    echo "== FIELDSYNC_LIB=dev: no shipped library was built, its size is not checked (budget $(grouped "$budget") bytes)"
    exit 0
fi
if [ ! -f "$size_json" ]; then
    echo "no $size_json: run bindings/generate.sh first (it builds the shipped library; FIELDSYNC_FLAVOUR=$flavour)" >&2
    exit 1
fi
size=$(python3 -c 'import json, sys; print(int(json.load(open(sys.argv[1]))["lib_stripped_bytes"]))' "$size_json")

label=libfieldsync.so
[ "$flavour" = plain ] || label="libfieldsync.so ($flavour)"
line="$label: $(grouped "$size") bytes ($(mib "$size") MiB), budget $(grouped "$budget") bytes ($(mib "$budget") MiB)"
if [ "$size" -le "$budget" ]; then
    echo "$line: ok, $(grouped $((budget - size))) bytes to spare"
else
    echo "$line: OVER by $(grouped $((size - budget))) bytes"
    echo "see \"What the bytes go to\" in bindings/README.md (bindings/size-report.sh shows where they go)"
    exit 1
fi
