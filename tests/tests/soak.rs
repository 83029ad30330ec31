//! A short version of every `make soak` probe (3 s each; `make soak` runs
//! them for SOAK_SECS, 60 by default), one after another in one test (so
//! nothing else shares the machine while fds are counted).

use wasio_tests::soak::{run_probe, PROBES};

#[test]
fn every_soak_probe_holds_for_a_few_seconds() {
    let mut problems = Vec::new();
    for p in PROBES {
        let r = run_probe(p, 3.0);
        println!("{r}");
        problems.extend(r.problems().into_iter().map(|x| format!("{p}: {x}")));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
