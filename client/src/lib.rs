//! fieldsync-client: carries the sync engine's messages over HTTP and runs
//! sync in the background, on tokio. The FFI and the CLI share it.

mod background;
mod http;

pub use background::{BackgroundSync, SyncClient};
pub use http::{HttpConfig, HttpTransport};
