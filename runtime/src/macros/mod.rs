//! What code that tokio's macros generate may call (tokio's
//! `macros::support`, which tokio's own tests call too).

pub mod support;
