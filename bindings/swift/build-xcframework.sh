#!/usr/bin/env bash
# Builds FieldSyncFFI.xcframework (libfieldsync.a for iOS devices, the
# simulators and macOS, with FieldSyncFFI.h and its module map) and copies
# the generated FieldSync.swift into Sources/FieldSync, so that this folder
# is a Swift package apps can depend on.
#
# Needs macOS with Xcode (xcodebuild, lipo) and the Rust targets
# (`rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin`).
# Not run by ./test.sh: the test machine is Linux (see bindings/README.md).
set -euo pipefail
source "$(dirname "$0")/../target-dir.sh"
cd "$(dirname "$0")/../.."

swift_dir=bindings/swift
work=$target_dir/xcframework
rm -rf "$work" "$swift_dir/FieldSyncFFI.xcframework"
mkdir -p "$work/headers" "$swift_dir/Sources/FieldSync"

# Swift sources, header and module map (generated from the host's debug build).
FIELDSYNC_LIB=dev bindings/generate.sh
generated=$target_dir/bindings/swift
cp "$generated/FieldSync.swift" "$swift_dir/Sources/FieldSync/"
cp "$generated/FieldSyncFFI.h" "$work/headers/"
cp "$generated/FieldSyncFFI.modulemap" "$work/headers/module.modulemap"

source bindings/sqlite-flags.sh
export IPHONEOS_DEPLOYMENT_TARGET=15.0 MACOSX_DEPLOYMENT_TARGET=12.0
for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin; do
    echo "== $target"
    cargo rustc -p fieldsync-ffi --lib --profile release-small --crate-type staticlib --target "$target"
done
lib() { echo "$target_dir/$1/release-small/libfieldsync.a"; }
mkdir -p "$work/ios-simulator" "$work/macos"
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$work/ios-simulator/libfieldsync.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" -output "$work/macos/libfieldsync.a"

xcodebuild -create-xcframework \
    -library "$(lib aarch64-apple-ios)" -headers "$work/headers" \
    -library "$work/ios-simulator/libfieldsync.a" -headers "$work/headers" \
    -library "$work/macos/libfieldsync.a" -headers "$work/headers" \
    -output "$swift_dir/FieldSyncFFI.xcframework"
echo "== $swift_dir is a Swift package: FieldSyncFFI.xcframework + Sources/FieldSync/FieldSync.swift"
