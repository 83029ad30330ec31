//! Arbitrary sequences of preview1 and `wasio_sock_v1` calls on a
//! fuzzer-owned memory against a scratch box (see `wasio_host::fuzz`).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wasio_host::fuzz::Harness;

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        // Guest reads of stdin must not wait on a terminal, and guest
        // writes to stdout must not flood the fuzzer's log.
        let null = std::fs::File::options()
            .read(true)
            .write(true)
            .open("/dev/null")
            .expect("/dev/null");
        rustix::stdio::dup2_stdin(&null).expect("stdin");
        rustix::stdio::dup2_stdout(&null).expect("stdout");
        let root = std::env::temp_dir().join(format!("wasio-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("scratch root");
        Harness::new(&root)
    })
}

fuzz_target!(|data: &[u8]| {
    harness().run(data);
});
