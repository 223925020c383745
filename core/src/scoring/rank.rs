//! The ranking: score descending, then the policy's tie-break fields, then `id`, then row
//! order, as one sort over precomputed integer keys (a comparison reads two `u64`s per key
//! instead of matching on the columns' kinds).

use super::columns::{FieldData, NO_DATE};
use super::eval::Compiled;

/// `f64::total_cmp`'s order as an unsigned integer's.
fn total_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// Missing values sort last in both directions.
const MISSING: u64 = u64::MAX;

impl Compiled<'_> {
    /// Row indices from first to last: score descending, then the tie-break keys (missing
    /// last), then the `id` column, then row order.
    pub(crate) fn ranking(&self, scores: &[f64]) -> Vec<usize> {
        let n = scores.len();
        let ties: Vec<Vec<u64>> = self.tie.iter().map(|&(col, desc)| self.tie_keys(col, desc, n)).collect();
        let score = |r: usize| !total_key(scores[r]);
        match ties.as_slice() {
            [] => sort_keys((0..n).map(|r| (score(r), 0, r as u32)).collect()),
            [t] => sort_keys((0..n).map(|r| (score(r), t[r], r as u32)).collect()),
            _ => {
                let scores: Vec<u64> = (0..n).map(score).collect();
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_unstable_by(|&a, &b| {
                    scores[a]
                        .cmp(&scores[b])
                        .then_with(|| ties.iter().map(|t| t[a].cmp(&t[b])).find(|o| o.is_ne()).unwrap_or(a.cmp(&b)))
                });
                order
            }
        }
    }

    /// One tie-break column as keys: smaller first, [`MISSING`] last.
    fn tie_keys(&self, col: usize, desc: bool, n: usize) -> Vec<u64> {
        let flip = |k: u64, bits: u32| if desc { !k & (u64::MAX >> (64 - bits)) } else { k };
        match self.cols.fields[col].1 {
            FieldData::Number(v) => v[..n]
                .iter()
                .map(|&x| {
                    if x.is_nan() {
                        MISSING
                    } else if desc {
                        !total_key(x)
                    } else {
                        total_key(x)
                    }
                })
                .collect(),
            FieldData::Date(v) => v[..n]
                .iter()
                .map(|&d| if d == NO_DATE { MISSING } else { flip(u64::from(d.cast_unsigned() ^ 1 << 31), 32) })
                .collect(),
            FieldData::Text { codes, labels } => {
                let rank = self.label_rank[col].as_deref().unwrap_or_default();
                codes[..n]
                    .iter()
                    .map(|&c| {
                        usize::try_from(c)
                            .ok()
                            .filter(|&c| labels.get(c).is_some_and(|l| !l.is_empty()))
                            .map_or(MISSING, |c| flip(u64::from(rank[c]), 32))
                    })
                    .collect()
            }
        }
    }
}

/// Rows in the order of their (score, tie, row) keys: one counting pass on the 16 highest
/// bits in which the scores differ, then a sort of each bucket (a few rows each, in cache),
/// instead of one sort of them all.
fn sort_keys(keys: Vec<(u64, u64, u32)>) -> Vec<usize> {
    const BITS: u32 = 16;
    let (lo, hi) = keys.iter().fold((u64::MAX, 0), |(lo, hi), k| (lo.min(k.0), hi.max(k.0)));
    let shift = (64 - (lo ^ hi).leading_zeros()).saturating_sub(BITS);
    let digit = |k: u64| ((k >> shift) & ((1 << BITS) - 1)) as usize;
    let mut starts = vec![0_usize; (1 << BITS) + 1];
    for k in &keys {
        starts[digit(k.0) + 1] += 1;
    }
    for d in 1..starts.len() {
        starts[d] += starts[d - 1];
    }
    let mut next = starts.clone();
    let mut sorted = vec![(0, 0, 0); keys.len()];
    for k in keys {
        let at = &mut next[digit(k.0)];
        sorted[*at] = k;
        *at += 1;
    }
    for w in starts.windows(2) {
        sorted[w[0]..w[1]].sort_unstable();
    }
    sorted.into_iter().map(|(_, _, r)| r as usize).collect()
}
