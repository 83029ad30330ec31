//! A small, fast random generator per runtime (tokio's
//! `macros::support::thread_rng_n`): seeded by
//! [`Builder::rng_seed`](crate::runtime::Builder::rng_seed), so two
//! runtimes with the same seed draw the same numbers; otherwise seeded
//! differently for each runtime.

use std::cell::Cell;

thread_local! {
    /// The generator used outside any runtime.
    static OUTSIDE: Cell<u64> = Cell::new(seed(None));
}

/// A number in `0..n` (0 when `n` is 0) from the current runtime's
/// generator, or this thread's outside one.
///
/// ```
/// use wasio::runtime::{Builder, RngSeed};
/// let draw = || {
///     let rt = Builder::new_current_thread()
///         .rng_seed(RngSeed::from_bytes(b"seed"))
///         .build()
///         .unwrap();
///     rt.block_on(async { (0..4).map(|_| wasio::macros::support::thread_rng_n(100)).collect::<Vec<_>>() })
/// };
/// assert_eq!(draw(), draw());
/// assert!(draw().iter().all(|&n| n < 100));
/// ```
pub fn thread_rng_n(n: u32) -> u32 {
    crate::runtime::try_with_current(|inner| draw(&inner.rng, n))
        .unwrap_or_else(|| OUTSIDE.with(|state| draw(state, n)))
}

/// The generator's first state: from `seed`, or one that differs for
/// every call (a counter and the clock, mixed).
pub(crate) fn seed(seed: Option<u64>) -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    let raw = seed.unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        NEXT.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed) ^ nanos
    });
    // splitmix64: any seed, 0 included, gives a non-zero state.
    let mut z = raw.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) | 1
}

/// One xorshift64* step, scaled to `0..n` without division (Lemire).
fn draw(state: &Cell<u64>, n: u32) -> u32 {
    let mut x = state.get();
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    state.set(x);
    let r = (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32;
    ((u64::from(r) * u64::from(n)) >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_stay_in_range_and_spread() {
        let state = Cell::new(seed(Some(7)));
        let mut seen = [false; 10];
        for _ in 0..1000 {
            let v = draw(&state, 10);
            assert!(v < 10);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|&s| s), "{seen:?}");
        assert_eq!(draw(&state, 0), 0);
    }

    #[test]
    fn a_seed_repeats_and_unseeded_runtimes_differ() {
        let a = Cell::new(seed(Some(1)));
        let b = Cell::new(seed(Some(1)));
        let xs: Vec<u32> = (0..8).map(|_| draw(&a, 1000)).collect();
        let ys: Vec<u32> = (0..8).map(|_| draw(&b, 1000)).collect();
        assert_eq!(xs, ys);
        assert_ne!(seed(None), seed(None));
    }
}
