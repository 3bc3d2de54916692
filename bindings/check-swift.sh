#!/usr/bin/env bash
# Checks the generated Swift bindings as far as this machine can (there is no
# Swift toolchain here): the C header compiles, and header, module map,
# shipped library and FieldSync.swift agree (symbols, API checksums, the API
# bindings/README.md shows). See bindings/swift/check_swift.py.
# Run bindings/generate.sh first (./test.sh does).
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"
cd "$(dirname "$0")/.."

generated=$target_dir/bindings/swift
library=$target_dir/bindings/python/libfieldsync.so   # the shipped library, as generate.sh copied it
for need in "$generated/FieldSync.swift" "$generated/FieldSyncFFI.h" "$library"; do
    if [ ! -e "$need" ]; then
        echo "missing $need: run bindings/generate.sh" >&2
        exit 1
    fi
done
echo "== checking the Swift bindings"
python3 bindings/swift/check_swift.py "$generated" "$library"
