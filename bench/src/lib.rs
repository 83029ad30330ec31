//! Support for `make bench`: how its samples are recorded, paired and
//! tabulated ([`report`]) and where its idle connections come from
//! ([`sources`]). The driver (`src/bin/bench/`), the load generator and
//! the tokio reference servers are built with `--features reference`,
//! which only `make bench` enables; these pieces are plain std and tested
//! by `make test`.

pub mod report;
pub mod sources;
