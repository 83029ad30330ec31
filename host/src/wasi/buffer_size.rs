//! Socket buffer sizes as a guest sees them.

/// The size a guest is told for a socket buffer of `kernel` bytes as
/// Linux reports it. Linux reports twice the size a socket was given (it
/// counts its own bookkeeping in); other systems report the size as set.
/// A guest is told the size as set: the same on every host, what a
/// program built for a non-Linux target expects (tokio's own tests do),
/// and what wasmtime tells components.
pub(crate) fn reported(kernel: usize) -> u64 {
    (kernel / 2) as u64
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_size_set_is_the_size_reported() {
        // Linux, given 4096, reports 8192.
        assert_eq!(super::reported(8192), 4096);
        assert_eq!(super::reported(0), 0);
    }
}
