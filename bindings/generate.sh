#!/usr/bin/env bash
# Builds libfieldsync and writes the Kotlin, Swift and Python bindings to
# <target>/bindings/{kotlin,swift,python}, each next to the library it loads
# (<target>: cargo's target directory, see target-dir.sh).
#
#   bindings/generate.sh            # the shipped library: release-small, stripped
#   FIELDSYNC_LIB=dev bindings/generate.sh   # quicker: the debug library
#
# The bindings are generated from the unstripped debug build: uniffi reads
# the API from metadata symbols that stripping removes. The metadata is the
# same in every build of the same source, and the generated code checks the
# library's API checksums when it loads it, so a mismatch fails loudly.
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"
cd "$(dirname "$0")/.."

out=$target_dir/bindings
lib_kind=${FIELDSYNC_LIB:-release-small}

echo "== building the debug library (for the uniffi metadata)"
cargo build --quiet -p fieldsync-ffi --lib
metadata_lib=$target_dir/debug/libfieldsync.so

case "$lib_kind" in
release-small)
    echo "== building the shipped library (profile release-small)"
    # `cargo rustc --crate-type cdylib` links the shared library on its own:
    # built together with the rlib (`cargo build`), LTO must keep every
    # public Rust item and the library grows by a fifth. The SQLite flags
    # leave out features fieldsync does not use (see sqlite-flags.sh).
    # The linker packs the relative relocations (DT_RELR; see
    # link-flags.sh): 127 KB less than classic RELA entries.
    (source bindings/sqlite-flags.sh && source bindings/link-flags.sh &&
        cargo rustc --quiet -p fieldsync-ffi --lib --profile release-small --crate-type cdylib -- "${FIELDSYNC_LINK_ARGS[@]}")
    shipped_lib=$target_dir/release-small/libfieldsync.so
    # A SQLite function that a flag of sqlite-flags.sh left out but the
    # Rust side still calls does not fail the link of a shared library: it
    # stays undefined, and the app would crash on the first call.
    if missing=$(nm -D --undefined-only "$shipped_lib" | grep -w -E 'sqlite3[a-z0-9_]*'); then
        echo "the shipped library calls SQLite functions that sqlite-flags.sh leaves out:" >&2
        echo "$missing" >&2
        exit 1
    fi
    ;;
dev)
    shipped_lib=$metadata_lib
    ;;
*)
    echo "FIELDSYNC_LIB must be release-small or dev, not $lib_kind" >&2
    exit 2
    ;;
esac

echo "== generating Kotlin, Swift and Python"
rm -rf "$out/kotlin" "$out/swift" "$out/python"
cargo build --quiet -p uniffi-bindgen
bindgen=$target_dir/debug/uniffi-bindgen
for language in kotlin swift python; do
    "$bindgen" generate --library "$metadata_lib" --language "$language" \
        --out-dir "$out/$language" --no-format >/dev/null
done

# The Python module loads the library from its own folder; the Kotlin tests
# point JNA at theirs.
cp "$shipped_lib" "$out/python/libfieldsync.so"
cp "$shipped_lib" "$out/kotlin/libfieldsync.so"

size=$(stat -c %s "$shipped_lib")
echo "== libfieldsync.so ($lib_kind): $size bytes ($(awk "BEGIN { printf \"%.2f\", $size / 1048576 }") MiB)"
if [ "$lib_kind" = release-small ]; then
    mkdir -p "$target_dir/bench"
    printf '{"lib_stripped_bytes": %s}\n' "$size" >"$target_dir/bench/size.json"
    echo "== written to $target_dir/bench/size.json"
fi
echo "== bindings in $out/{kotlin,swift,python}"
