# Linker flags of the shipped library, sourced by generate.sh and
# size-report.sh (Android's build-android.sh passes the NDK's equivalent).
#
# Relative relocations (every pointer in a vtable or a static string table
# needs one at load time) are 24 bytes each as classic RELA entries: 127 KB
# of a 4 MiB library. Packed, they take a few KB:
# - Linux (x86-64, the build ./test.sh measures): DT_RELR, from GNU ld
#   2.38 / lld, loaded by glibc 2.36 or newer (Debian 12, Ubuntu 22.10).
# - Android: lld's `--pack-dyn-relocs=android` (APS2), loaded since API 23,
#   below the module's minSdk 24 (RELR itself needs API 28).
# - iOS: ld64's chained fixups, the default since iOS 13.4 / Xcode 13.
FIELDSYNC_LINK_ARGS=(-C link-arg=-Wl,-z,pack-relative-relocs)

# uniffi's metadata: for every exported item a `UNIFFI_META_*` static (the
# API's description, which uniffi-bindgen reads from the unstripped debug
# build; the generated code checks the shipped library through its checksum
# functions instead). rustc exports them from the cdylib like the API, so
# the linker keeps them: 49 KB of data plus their dynamic symbols, 61 KB in
# all (uniffi-rs #2259). A second version script naming each one `local`
# drops them: an exact name overrides rustc's own script, a wildcard would
# lose to it. The names come from the same flavour's debug library.
#   fieldsync_hide_uniffi_metadata <debug libfieldsync.so> <map file to write>
# (iOS links the static library into the app, whose linker strips the
# unreferenced statics anyway.)
fieldsync_hide_uniffi_metadata() {
    local names
    names=$(nm -D --defined-only "$1" | awk '$3 ~ /^UNIFFI_META_/ { print "        " $3 ";" }')
    if [ -z "$names" ]; then
        echo "no UNIFFI_META_ symbols in $1: is it the unstripped debug library?" >&2
        return 1
    fi
    printf '{\n    local:\n%s\n};\n' "$names" >"$2"
    FIELDSYNC_LINK_ARGS+=(-C "link-arg=-Wl,--version-script=$2")
}
