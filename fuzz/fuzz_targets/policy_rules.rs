//! The `--allow-*` rule parser and matcher.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wasio_host::fuzz::policy_rules(data);
});
