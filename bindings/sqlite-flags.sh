# Sourced by the build scripts of the shipped library (bindings/generate.sh,
# bindings/android/build-android.sh, bindings/swift/build-xcframework.sh).
#
# SQLite features fieldsync does not use, left out of the shipped library:
# full-text search (FTS3/FTS5), R*Tree, the dbstat table, STAT4, soundex,
# column metadata, loadable extensions, the JSON functions and shared cache.
# fieldsync's SQL uses none of them (its JSON is read and written in Rust).
# The Rust tests build SQLite with libsqlite3-sys's defaults; the binding
# suites run against the library built with these flags.
export LIBSQLITE3_FLAGS="-USQLITE_ENABLE_FTS3 -USQLITE_ENABLE_FTS3_PARENTHESIS -USQLITE_ENABLE_FTS5 \
-USQLITE_ENABLE_RTREE -USQLITE_ENABLE_DBSTAT_VTAB -USQLITE_ENABLE_STAT4 -USQLITE_SOUNDEX \
-USQLITE_ENABLE_COLUMN_METADATA -USQLITE_ENABLE_LOAD_EXTENSION -DSQLITE_OMIT_LOAD_EXTENSION \
-DSQLITE_OMIT_JSON -DSQLITE_OMIT_SHARED_CACHE"
