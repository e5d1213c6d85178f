//! The random source: the 48-bit linear congruential generator that
//! `java.util.Random` specifies.
//!
//! Why this one and not `rand`'s `StdRng`: Confluent's datagen seeds a
//! `java.util.Random` with `random.seed` (a Java `long`), re-seeds it after
//! every record with `nextLong()` and stores that seed in the connector's
//! source offset so a restarted task resumes the same stream. Using the same
//! algorithm gives ferry the same kind of state (one `i64`), a stream that
//! stays identical across ferry versions and platforms (the `rand` crate does
//! not promise that for `StdRng`), and no floating-point surprises.
//! The algorithm is the one documented in the `java.util.Random` Javadoc.

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const ADDEND: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;

/// A deterministic random source with `java.util.Random`'s algorithm.
#[derive(Debug, Clone)]
pub struct JavaRandom {
    state: u64,
}

impl JavaRandom {
    /// A source seeded as `new java.util.Random(seed)` would be.
    pub fn new(seed: i64) -> Self {
        let mut random = JavaRandom { state: 0 };
        random.set_seed(seed);
        random
    }

    /// A source seeded from the operating system, for connectors without
    /// `random.seed`.
    pub fn from_entropy() -> Self {
        JavaRandom::new(rand::random::<i64>())
    }

    /// Re-seeds, as `Random.setSeed(seed)`.
    pub fn set_seed(&mut self, seed: i64) {
        self.state = (seed as u64 ^ MULTIPLIER) & MASK;
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.state = self.state.wrapping_mul(MULTIPLIER).wrapping_add(ADDEND) & MASK;
        // The top `bits` of the 48-bit state, as a signed Java int.
        (self.state >> (48 - bits)) as u32 as i32
    }

    /// Any `i32`, as `nextInt()`.
    pub fn next_int(&mut self) -> i32 {
        self.next(32)
    }

    /// A uniform value in `0..bound`, as `nextInt(bound)`; `bound <= 0` yields 0
    /// (Java throws; the generator never asks for it).
    pub fn next_int_bounded(&mut self, bound: i32) -> i32 {
        if bound <= 0 {
            return 0;
        }
        if bound & bound.wrapping_neg() == bound {
            // A power of two: the high bits are the best ones.
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let value = bits % bound;
            // Reject the top, partial copy of 0..bound so every value is as likely.
            if bits
                .checked_sub(value)
                .and_then(|d| d.checked_add(bound - 1))
                .is_some()
            {
                return value;
            }
        }
    }

    /// A uniform index into a collection of `len` items (`len >= 1`).
    pub fn next_index(&mut self, len: usize) -> usize {
        let bound = i32::try_from(len).unwrap_or(i32::MAX);
        usize::try_from(self.next_int_bounded(bound)).unwrap_or(0)
    }

    /// Any `i64`, as `nextLong()`.
    pub fn next_long(&mut self) -> i64 {
        let high = i64::from(self.next(32)) << 32;
        high.wrapping_add(i64::from(self.next(32)))
    }

    /// A fair coin, as `nextBoolean()`.
    pub fn next_boolean(&mut self) -> bool {
        self.next(1) != 0
    }

    /// A uniform `f32` in `[0, 1)`, as `nextFloat()`.
    pub fn next_float(&mut self) -> f32 {
        self.next(24) as f32 / (1u32 << 24) as f32
    }

    /// A uniform `f64` in `[0, 1)`, as `nextDouble()`.
    pub fn next_double(&mut self) -> f64 {
        let high = i64::from(self.next(26)) << 27;
        let low = i64::from(self.next(27));
        (high + low) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Fills `bytes`, as `nextBytes(bytes)`: four bytes per `nextInt()`, low byte first.
    pub fn next_bytes(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(4) {
            let mut word = self.next_int();
            for byte in chunk {
                *byte = word as u8;
                word >>= 8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JavaRandom;

    /// Values `new java.util.Random(42)` produces, so the algorithm is Java's.
    #[test]
    fn matches_java_util_random_for_seed_42() {
        let mut random = JavaRandom::new(42);
        assert_eq!(random.next_int(), -1170105035);
        assert_eq!(random.next_int_bounded(10), 3);
        let mut random = JavaRandom::new(42);
        assert_eq!(random.next_long(), -5025562857975149833);
        let mut random = JavaRandom::new(42);
        assert!((random.next_double() - 0.7275636800328681).abs() < 1e-16);
    }

    #[test]
    fn bounded_values_stay_in_bounds() {
        let mut random = JavaRandom::new(7);
        for bound in [1, 2, 3, 7, 10, 64, 1000, i32::MAX] {
            for _ in 0..200 {
                let value = random.next_int_bounded(bound);
                assert!((0..bound).contains(&value), "{value} outside 0..{bound}");
            }
        }
        assert_eq!(random.next_int_bounded(0), 0);
    }

    #[test]
    fn same_seed_same_stream() {
        let mut a = JavaRandom::new(-3);
        let mut b = JavaRandom::new(-3);
        let mut bytes_a = [0u8; 7];
        let mut bytes_b = [0u8; 7];
        a.next_bytes(&mut bytes_a);
        b.next_bytes(&mut bytes_b);
        assert_eq!(bytes_a, bytes_b);
        assert_eq!(a.next_long(), b.next_long());
    }
}
