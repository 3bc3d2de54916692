# Sourced for every build of the encrypted flavour (the ffi crate's
# `encrypted` feature, core's `encryption`), after sqlite-flags.sh for the
# shipped build: SQLCipher takes its crypto from the library's own provider
# (core/src/store/cipher.rs: ring and RustCrypto's AES) instead of
# OpenSSL's. OpenSSL 3 reaches its algorithms through provider tables that
# pull in nearly all of libcrypto: with it, the shipped library was 8.35 MiB.
export LIBSQLITE3_FLAGS="${LIBSQLITE3_FLAGS:+$LIBSQLITE3_FLAGS }-DSQLCIPHER_CRYPTO_CUSTOM=fieldsync_sqlcipher_setup"
