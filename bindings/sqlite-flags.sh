# Sourced by the build scripts of the shipped library (bindings/generate.sh,
# bindings/android/build-android.sh, bindings/swift/build-xcframework.sh).
#
# SQLite features fieldsync does not use, left out of the shipped library.
# fieldsync's SQL uses none of them (its JSON and its dates are read and
# written in Rust; it names no `$` parameters, quotes strings with '...', sets
# only the journal_mode, synchronous, temp_store, foreign_keys and
# user_version pragmas, and never enables auto_vacuum), and rusqlite calls
# none of the functions they remove with the features fieldsync enables
# (generate.sh fails if the library calls a SQLite function left out).
#
# - off: full-text search (FTS3/FTS5), R*Tree, the dbstat table, STAT4,
#   soundex, column metadata, loadable extensions, the JSON functions,
#   shared cache;
# - the options SQLite recommends where they are not needed: SQLITE_DQS=0
#   (a "string" is an identifier, never a literal), no memory statistics,
#   no column declared types, no deprecated functions, no progress
#   callback;
# - no authorizer, sqlite3_complete, $tcl variables, sqlite3_get_table;
# - no date and time SQL functions, no UTF-16 API, no incremental blob I/O,
#   no introspection pragmas (table_info and the like), no
#   sqlite3_deserialize (the memdb VFS), no test hooks (SQLITE_UNTESTABLE),
#   no compile-option list, no memory-mapped I/O (off by default anyway:
#   mmap_size is 0), no integrity_check pragma, no auto-vacuum.
#
# Only options that work with the amalgamation: none changes SQLite's SQL
# grammar. The Rust tests build SQLite with libsqlite3-sys's defaults; the
# binding suites run against the library built with these flags. What each
# group saves: "What the bytes go to" in bindings/README.md.
export LIBSQLITE3_FLAGS="-USQLITE_ENABLE_FTS3 -USQLITE_ENABLE_FTS3_PARENTHESIS -USQLITE_ENABLE_FTS5 \
-USQLITE_ENABLE_RTREE -USQLITE_ENABLE_DBSTAT_VTAB -USQLITE_ENABLE_STAT4 -USQLITE_SOUNDEX \
-USQLITE_ENABLE_COLUMN_METADATA -USQLITE_ENABLE_LOAD_EXTENSION -DSQLITE_OMIT_LOAD_EXTENSION \
-DSQLITE_OMIT_JSON -DSQLITE_OMIT_SHARED_CACHE \
-DSQLITE_DQS=0 -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_OMIT_DECLTYPE -DSQLITE_OMIT_DEPRECATED \
-DSQLITE_OMIT_PROGRESS_CALLBACK \
-DSQLITE_OMIT_AUTHORIZATION -DSQLITE_OMIT_COMPLETE -DSQLITE_OMIT_TCL_VARIABLE -DSQLITE_OMIT_GET_TABLE \
-DSQLITE_OMIT_DATETIME_FUNCS -DSQLITE_OMIT_UTF16 -DSQLITE_OMIT_INCRBLOB -DSQLITE_OMIT_INTROSPECTION_PRAGMAS \
-DSQLITE_OMIT_DESERIALIZE -DSQLITE_UNTESTABLE -DSQLITE_OMIT_COMPILEOPTION_DIAGS -DSQLITE_MAX_MMAP_SIZE=0 \
-DSQLITE_OMIT_INTEGRITY_CHECK -DSQLITE_OMIT_AUTOVACUUM \
-DSQLITE_OMIT_TRACE -DSQLITE_OMIT_XFER_OPT -DSQLITE_OMIT_CASE_SENSITIVE_LIKE_PRAGMA"

# SQLite's C (and the other C of the shipped library) without unwind
# tables: 85 KB on x86-64. No Rust panic unwinds through a C frame (rusqlite
# catches panics in its callbacks, and an `extern "C"` boundary aborts), so
# they served only debuggers and crash reporters walking a native crash
# inside SQLite: on arm64 and x86-64 those follow the frame pointers; on
# 32-bit ARM such a stack ends at the SQLite frame.
export CFLAGS="${CFLAGS:+$CFLAGS }-fno-asynchronous-unwind-tables -fno-unwind-tables"
