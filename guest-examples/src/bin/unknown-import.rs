//! Imports a function no preview1 host provides (a WASI 0.2 one, as the
//! `whoami` crate does) and calls it only when asked: `unknown-import`
//! prints "never called it"; `unknown-import call` calls it.
//!
//! `wasio run unknown-import.wasm` refuses to start, naming the import;
//! `wasio run --unknown-imports trap unknown-import.wasm` runs, and the
//! call (if made) stops the guest with a message naming it.

#[cfg(target_os = "wasi")]
#[link(wasm_import_module = "wasi:cli/environment@0.2.12")]
extern "C" {
    #[link_name = "get-environment"]
    fn get_environment(out: *mut u8);
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("call") {
        #[cfg(target_os = "wasi")]
        {
            let mut buf = [0u8; 8];
            // SAFETY: under wasio the import is a trap stub: it never
            // touches `buf`, which outlives the call anyway.
            unsafe { get_environment(buf.as_mut_ptr()) };
        }
        println!("called it");
    } else {
        println!("never called it");
    }
}
