//! `uniffi-bindgen`, pinned to the workspace's uniffi version so the
//! generated bindings always match the scaffolding in `libfieldsync`:
//! `cargo run -p uniffi-bindgen -- generate --library <target>/debug/libfieldsync.so ...`

fn main() {
    uniffi::uniffi_bindgen_main()
}
