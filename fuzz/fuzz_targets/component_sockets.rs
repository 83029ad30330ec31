//! Arbitrary sequences of a component's `wasi:sockets` calls under the
//! policy `wasio run` gives it (see `wasio_host::fuzz::component_sockets`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wasio_host::fuzz::component_sockets(data);
});
