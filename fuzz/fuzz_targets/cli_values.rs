//! The CLI's size, duration and directory parsers, and its argv parser.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wasio_host::fuzz::cli_values(data);
});
