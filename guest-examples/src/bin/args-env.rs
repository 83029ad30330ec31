//! Prints its arguments and environment, one per line, in a stable order.
//!
//! `wasio run --env GREETING=hi args-env.wasm one "two words"`

fn main() {
    for (i, a) in std::env::args().enumerate().skip(1) {
        println!("arg[{i}]={a}");
    }
    let mut vars: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("WASIO_EXAMPLE_"))
        .collect();
    vars.sort();
    for (k, v) in vars {
        println!("env {k}={v}");
    }
    println!("argc={}", std::env::args().count());
}
