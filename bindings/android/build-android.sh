#!/usr/bin/env bash
# Fills the Android library module: libfieldsync.so for each ABI in
# fieldsync/src/main/jniLibs/<abi>/ and the generated Kotlin in
# fieldsync/src/main/kotlin/. Then `./gradlew :fieldsync:assembleRelease`
# (from this folder) makes the AAR.
#
# Needs the Android NDK (r28 or newer: 16 KB pages, ANDROID_NDK_HOME set),
# cargo-ndk (`cargo install cargo-ndk`) and the Rust targets
# (`rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android`).
# Not run by ./test.sh: the test machine has no NDK (see bindings/README.md).
#
#   bindings/android/build-android.sh [abi ...]     # default: arm64-v8a armeabi-v7a x86_64
set -euo pipefail
source "$(dirname "$0")/../target-dir.sh"
cd "$(dirname "$0")/../.."

module=bindings/android/fieldsync
abis=("$@")
if [ ${#abis[@]} -eq 0 ]; then
    abis=(arm64-v8a armeabi-v7a x86_64)
fi

# The Kotlin sources (and the uniffi metadata) come from the host build.
FIELDSYNC_LIB=dev bindings/generate.sh
rm -rf "$module/src/main/kotlin" "$module/src/main/jniLibs"
mkdir -p "$module/src/main/kotlin" "$module/src/main/jniLibs"
cp -R "$target_dir/bindings/kotlin/io" "$module/src/main/kotlin/"

source bindings/sqlite-flags.sh
# uniffi's metadata left out, as generate.sh does (link-flags.sh); the
# names come from the host's debug library, the same API.
source bindings/link-flags.sh
FIELDSYNC_LINK_ARGS=()
fieldsync_hide_uniffi_metadata "$target_dir/debug/libfieldsync.so" "$target_dir/uniffi-metadata-android.map"
for abi in "${abis[@]}"; do
    case "$abi" in
    arm64-v8a) triple=aarch64-linux-android ;;
    armeabi-v7a) triple=armv7-linux-androideabi ;;
    x86_64) triple=x86_64-linux-android ;;
    x86) triple=i686-linux-android ;;
    *) echo "unknown ABI $abi" >&2; exit 2 ;;
    esac
    echo "== $abi ($triple)"
    # Packed relocations (link-flags.sh): APS2, which API 23+ loads.
    cargo ndk --platform 24 --target "$abi" \
        rustc -p fieldsync-ffi --lib --profile release-small --crate-type cdylib \
        -- -C link-arg=-Wl,--pack-dyn-relocs=android "${FIELDSYNC_LINK_ARGS[@]}"
    mkdir -p "$module/src/main/jniLibs/$abi"
    # cargo-ndk builds in cargo's target directory, like cargo.
    cp "$target_dir/$triple/release-small/libfieldsync.so" "$module/src/main/jniLibs/$abi/"
    ls -l "$module/src/main/jniLibs/$abi/libfieldsync.so"
done
