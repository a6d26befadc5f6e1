//! A tiny deterministic PRNG (splitmix64). The demo must produce the same
//! bytes for a seed on every platform and release, so it avoids `rand`.

/// splitmix64: one 64-bit state, good enough spread for demo content.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

/// FNV-1a, to turn a label into stream-selecting bits.
fn fnv1a(label: &str) -> u64 {
    label.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Rng {
    /// One independent stream per purpose (`"fraud-detector/3/metrics"`), so
    /// that content does not depend on the order it is generated in.
    pub(crate) fn for_label(seed: u64, label: &str) -> Self {
        let mut rng = Rng(seed ^ fnv1a(label).rotate_left(17));
        rng.next_u64();
        rng
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in [-spread, spread).
    pub(crate) fn jitter(&mut self, spread: f64) -> f64 {
        self.range(-spread, spread)
    }

    /// Uniform in [0, n); 0 when n is 0.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// One element of a non-empty list (the default value for an empty one).
    pub(crate) fn pick<T: Copy + Default>(&mut self, items: &[T]) -> T {
        let i = self.below(items.len() as u64) as usize;
        items.get(i).copied().unwrap_or_default()
    }

    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    /// `n` random bytes as lowercase hex.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        let mut buf = vec![0u8; n];
        self.fill(&mut buf);
        hex::encode(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::for_label(7, "x").next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::for_label(7, "x").next_u64(),
            Rng::for_label(7, "y").next_u64()
        );
        assert_ne!(
            Rng::for_label(7, "x").next_u64(),
            Rng::for_label(8, "x").next_u64()
        );
    }

    #[test]
    fn unit_stays_in_range() {
        let mut rng = Rng::for_label(1, "unit");
        for _ in 0..1000 {
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.pick::<u8>(&[]), 0);
    }
}
