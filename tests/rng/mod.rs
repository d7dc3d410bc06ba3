//! A small deterministic generator (splitmix64) for the randomized tests: the same inputs on
//! every run, so a failure can be replayed.

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    /// `n` random decimal digits onto `out`.
    #[allow(dead_code)] // the differential tests' only
    pub fn digits(&mut self, n: usize, out: &mut String) {
        for _ in 0..n {
            out.push((b'0' + self.below(10) as u8) as char);
        }
    }
}
