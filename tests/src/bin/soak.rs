//! `soak [--secs N] [PROBE...]`: runs the soak probes (all by default,
//! each for N seconds, default 60) against the example servers under
//! `wasio run`, prints one line of figures per probe, and exits 1 if any
//! probe found a problem. `make soak` runs it.

use std::process::ExitCode;

use wasio_tests::soak::{run_probe, PROBES};

fn main() -> ExitCode {
    let mut secs = 60.0;
    let mut probes = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--secs" => {
                secs = match args.next().and_then(|s| s.parse().ok()) {
                    Some(s) => s,
                    None => {
                        eprintln!("soak: --secs needs a number of seconds");
                        return ExitCode::from(2);
                    }
                }
            }
            p if PROBES.contains(&p) => probes.push(p.to_string()),
            other => {
                eprintln!(
                    "soak: unknown probe `{other}`; probes: {}",
                    PROBES.join(", ")
                );
                return ExitCode::from(2);
            }
        }
    }
    if probes.is_empty() {
        probes = PROBES.iter().map(|p| p.to_string()).collect();
    }
    let mut failed = false;
    for p in &probes {
        let r = run_probe(p, secs);
        println!("{r}");
        for problem in r.problems() {
            println!("  PROBLEM: {problem}");
            failed = true;
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
