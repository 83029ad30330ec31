//! Benchmark support for wasio: reference servers written on tokio (the
//! only place in the project tokio is used) and, later, load generators.
