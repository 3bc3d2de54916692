#!/usr/bin/env bash
# Checks the generated Swift bindings as far as this machine can (there is no
# Swift toolchain here): the C header compiles, and header, module map,
# shipped library and FieldSync.swift agree (symbols, API checksums, the API
# bindings/README.md shows). See bindings/swift/check_swift.py.
# Run bindings/generate.sh first (./test.sh does).
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"
cd "$(dirname "$0")/.."

# FIELDSYNC_FLAVOUR=encrypted: the encrypted flavour's bindings and library,
# with the declarations only it has.
bindings_dir=$target_dir/bindings
if [ "${FIELDSYNC_FLAVOUR:-plain}" = encrypted ]; then
    bindings_dir=$target_dir/bindings-encrypted
    export FIELDSYNC_SWIFT_ENCRYPTED=1
fi
generated=$bindings_dir/swift
library=$bindings_dir/python/libfieldsync.so   # the shipped library, as generate.sh copied it
for need in "$generated/FieldSync.swift" "$generated/FieldSyncFFI.h" "$library"; do
    if [ ! -e "$need" ]; then
        echo "missing $need: run bindings/generate.sh" >&2
        exit 1
    fi
done
echo "== checking the Swift bindings"
python3 bindings/swift/check_swift.py "$generated" "$library"
