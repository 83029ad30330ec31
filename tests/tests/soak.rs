//! A 10-second version of every `make soak` probe, one after another in
//! one test (so nothing else shares the machine while fds are counted).

use wasio_tests::soak::{run_probe, PROBES};

#[test]
fn every_soak_probe_holds_for_ten_seconds() {
    let mut problems = Vec::new();
    for p in PROBES {
        let r = run_probe(p, 10.0);
        println!("{r}");
        problems.extend(r.problems().into_iter().map(|x| format!("{p}: {x}")));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
