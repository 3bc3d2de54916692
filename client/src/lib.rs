//! fieldsync-client: carries the sync engine's messages over HTTP and runs
//! sync in the background, on tokio. The FFI and the CLI share it.
//!
//! The protocol is spoken over any [`HttpExchange`]: the built-in one
//! (reqwest with rustls, feature `builtin-http`, on by default) or one the
//! app supplies (its own OkHttp or URLSession, through the FFI).

mod background;
mod exchange;
#[cfg(feature = "builtin-http")]
mod http;

pub use background::{BackgroundSync, SyncClient};
pub use exchange::{
    BoxFuture, ExchangeTransport, HttpConfig, HttpExchange, HttpMethod, HttpRequest, HttpResponse,
    read_answer,
};
#[cfg(feature = "builtin-http")]
pub use http::{ReqwestExchange, builtin_transport};
