#!/usr/bin/env bash
# Builds libfieldsync and writes the Kotlin, Swift and Python bindings to
# <target>/bindings/{kotlin,swift,python}, each next to the library it loads
# (<target>: cargo's target directory, see target-dir.sh).
#
#   bindings/generate.sh            # the shipped library: release-small, stripped
#   FIELDSYNC_LIB=dev bindings/generate.sh   # quicker: the debug library
#   FIELDSYNC_FLAVOUR=encrypted bindings/generate.sh   # the encrypted flavour
#   FIELDSYNC_FLAVOUR=lean bindings/generate.sh        # no built-in HTTP stack
#
# The lean flavour (the ffi crate without its default `builtin-http`
# feature: no reqwest, no rustls) needs the app's HttpTransport; the same
# API, its bindings in <target>/bindings-lean/, its shipped library built
# with the profile release-lean (a panic aborts: Cargo.toml) in
# <target>/release-lean/, its size in <target>/bench/size-lean.json.
#
# Flavours: `plain` (the default) and `encrypted` (the ffi crate's
# `encrypted` feature: SQLCipher, built from crates, with its crypto from
# the library's Rust provider: sqlcipher-flags.sh), whose bindings go to
# <target>/bindings-encrypted/{kotlin,swift,python}. The encrypted API is
# the plain one plus `FieldStore.encrypt_database` and `change_key` (the
# plain `open_encrypted` answers `Unsupported`). The shipped build of the encrypted flavour is also kept as
# <target>/release-small/libfieldsync-encrypted.so, its size in
# <target>/bench/size-encrypted.json (check-size.sh reads them).
#
# The bindings are generated from the unstripped debug build: uniffi reads
# the API from metadata symbols that stripping removes. The metadata is the
# same in every build of the same source, and the generated code checks the
# library's API checksums when it loads it, so a mismatch fails loudly.
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"
cd "$(dirname "$0")/.."

lib_kind=${FIELDSYNC_LIB:-release-small}
flavour=${FIELDSYNC_FLAVOUR:-plain}
case "$flavour" in
plain)
    out=$target_dir/bindings
    features=()
    size_json=$target_dir/bench/size.json
    profile=release-small
    ;;
encrypted)
    out=$target_dir/bindings-encrypted
    features=(--features encrypted)
    size_json=$target_dir/bench/size-encrypted.json
    profile=release-small
    # SQLCipher's crypto from the library's own provider, not OpenSSL.
    source bindings/sqlcipher-flags.sh
    ;;
lean)
    out=$target_dir/bindings-lean
    features=(--no-default-features)
    size_json=$target_dir/bench/size-lean.json
    # A panic aborts (Cargo.toml, profile release-lean).
    profile=release-lean
    ;;
*)
    echo "FIELDSYNC_FLAVOUR must be plain, encrypted or lean, not $flavour" >&2
    exit 2
    ;;
esac

echo "== building the debug library, $flavour flavour (for the uniffi metadata)"
cargo build --quiet -p fieldsync-ffi --lib "${features[@]}"
metadata_lib=$target_dir/debug/libfieldsync.so

case "$lib_kind" in
release-small)
    echo "== building the shipped library (profile $profile)"
    # `cargo rustc --crate-type cdylib` links the shared library on its own:
    # built together with the rlib (`cargo build`), LTO must keep every
    # public Rust item and the library grows by a fifth. The SQLite flags
    # leave out features fieldsync does not use (see sqlite-flags.sh).
    # The linker packs the relative relocations (DT_RELR; see
    # link-flags.sh): 127 KB less than classic RELA entries. uniffi's
    # metadata statics are left out (link-flags.sh): 61 KB.
    (
        source bindings/sqlite-flags.sh
        source bindings/link-flags.sh
        [ "$flavour" = encrypted ] && source bindings/sqlcipher-flags.sh
        fieldsync_hide_uniffi_metadata "$metadata_lib" "$target_dir/uniffi-metadata-$flavour.map"
        cargo rustc --quiet -p fieldsync-ffi --lib --profile "$profile" --crate-type cdylib "${features[@]}" \
            -- "${FIELDSYNC_LINK_ARGS[@]}"
    )
    shipped_lib=$target_dir/$profile/libfieldsync.so
    if [ "$flavour" = encrypted ]; then
        # Kept apart: the next plain build writes libfieldsync.so again.
        cp "$shipped_lib" "$target_dir/$profile/libfieldsync-$flavour.so"
        shipped_lib=$target_dir/$profile/libfieldsync-$flavour.so
    fi
    if nm -D --defined-only "$shipped_lib" | grep -q UNIFFI_META_; then
        echo "the shipped library still exports uniffi's metadata (see link-flags.sh)" >&2
        exit 1
    fi
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

# What the suites load: a panic aborts in the lean flavour's shipped build
# (profile release-lean) and unwinds in every other.
panic=unwind
[ "$lib_kind" = release-small ] && [ "$profile" = release-lean ] && panic=abort
printf '{"flavour": "%s", "library": "%s", "panic": "%s"}\n' "$flavour" "$lib_kind" "$panic" >"$out/library.json"

size=$(stat -c %s "$shipped_lib")
built=$lib_kind
[ "$lib_kind" = release-small ] && built="profile $profile"
echo "== libfieldsync.so ($flavour, $built): $size bytes ($(awk "BEGIN { printf \"%.2f\", $size / 1048576 }") MiB)"
if [ "$lib_kind" = release-small ]; then
    mkdir -p "$target_dir/bench"
    printf '{"lib_stripped_bytes": %s}\n' "$size" >"$size_json"
    echo "== written to $size_json"
fi
echo "== bindings in $out/{kotlin,swift,python}"
