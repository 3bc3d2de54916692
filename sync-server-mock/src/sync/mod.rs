//! The sync protocol (`/sync/v1`): the change feed devices pull and the
//! mutations they push, in the messages of `fieldsync_core::protocol`.
//! See `openapi.json` and the README for the shapes.

pub mod cursor;
pub mod pull;
pub mod push;
