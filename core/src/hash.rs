//! The crate's fast hashers, written once: [`Fx`] for the maps keyed by small values (names,
//! labels, channel paths, rows), [`Prehashed`] for the maps keyed by hashes already, and
//! [`Fnv1a`], the 64-bit FNV-1a that dedup's blocking keys are (their values are part of
//! what an index holds, so that function must not change).
//!
//! std's SipHash resists keys chosen to collide, which buys nothing here: every key comes
//! from the caller's own data, and a collision only costs time, never a wrong answer (maps
//! compare keys). No output may depend on a map's iteration order: the callers sort or keep
//! their own order.

use std::hash::{BuildHasherDefault, Hasher};

/// A multiplicative hasher (the FxHash family of rustc): a word at a time, rotate, xor,
/// multiply; `finish` rotates the well-mixed high bits down to where the table's bucket
/// index reads them.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Fx(u64);

/// [`Fx`] for `HashMap::default` / `with_capacity_and_hasher`.
pub(crate) type FxBuild = BuildHasherDefault<Fx>;

impl Fx {
    #[inline]
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }
}

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

/// For maps keyed by a `u64` that is a hash already: the key is its own hash.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Prehashed(u64);

/// A map keyed by hashes.
pub(crate) type PrehashedMap<V> = std::collections::HashMap<u64, V, BuildHasherDefault<Prehashed>>;

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    /// Not a `u64` (no such key in the crate): hashed as [`Fx`] would.
    fn write(&mut self, bytes: &[u8]) {
        let mut fx = Fx(self.0);
        fx.write(bytes);
        self.0 = fx.finish();
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// 64-bit FNV-1a, a byte at a time from its offset basis (or from a state it continues).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv1a(pub(crate) u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    #[test]
    fn fnv1a_is_the_published_function() {
        // Test vectors of the FNV reference: "" and "a", "foobar".
        let h = |s: &str| {
            let mut f = Fnv1a::default();
            f.write(s.as_bytes());
            f.finish()
        };
        assert_eq!(h(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(h("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(h("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn prehashed_keys_are_their_own_hash() {
        let b = BuildHasherDefault::<Prehashed>::default();
        assert_eq!(b.hash_one(0xdead_beef_u64), 0xdead_beef);
    }

    #[test]
    fn fx_tells_apart_what_maps_hold() {
        let b = FxBuild::default();
        let h = |v: &dyn Fn(&mut Fx)| {
            let mut f = b.build_hasher();
            v(&mut f);
            f.finish()
        };
        // Strings differing in their last byte, paths of equal sum, a prefix and its string.
        assert_ne!(h(&|f| "k1".hash(f)), h(&|f| "k2".hash(f)));
        assert_ne!(h(&|f| vec![1u32, 2].hash(f)), h(&|f| vec![2u32, 1].hash(f)));
        assert_ne!(h(&|f| "ab".hash(f)), h(&|f| "abc".hash(f)));
        assert_eq!(h(&|f| "same".hash(f)), h(&|f| "same".hash(f)));
    }
}
