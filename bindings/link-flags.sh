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
