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
    pub(crate) fn ranking(&self, scores: &[f64]) -> Vec<u32> {
        let n = scores.len();
        let ties: Vec<Vec<u64>> = self.tie.iter().map(|&(col, desc)| self.tie_keys(col, desc, n)).collect();
        let score = |r: u32| !total_key(scores[r as usize]);
        let (digits, starts) = bucket_starts(scores);
        if let [] | [_] = ties.as_slice() {
            // Each row's keys scattered to its bucket in one pass over the rows (not gathered
            // bucket by bucket from rows all over the columns), then each bucket sorted in
            // place: within a bucket rows come in row order, the last key.
            let tie = |r: u32| ties.first().map_or(0, |t| t[r as usize]);
            let mut keys = vec![(0_u64, 0_u64, 0_u32); n];
            let mut next = starts.clone();
            for (r, &d) in digits.iter().enumerate() {
                let at = &mut next[usize::from(d)];
                keys[*at] = (score(r as u32), tie(r as u32), r as u32);
                *at += 1;
            }
            for w in starts.windows(2) {
                if w[1] - w[0] > 1 {
                    keys[w[0]..w[1]].sort_unstable();
                }
            }
            return keys.into_iter().map(|k| k.2).collect();
        }
        let mut rows = bucket_rows(&digits, &starts);
        for w in starts.windows(2) {
            rows[w[0]..w[1]].sort_unstable_by(|&a, &b| {
                score(a).cmp(&score(b)).then_with(|| {
                    let (a, b) = (a as usize, b as usize);
                    ties.iter().map(|t| t[a].cmp(&t[b])).find(|o| o.is_ne()).unwrap_or(a.cmp(&b))
                })
            });
        }
        rows
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

/// Each row's bucket among 65,536 by where its score lies between the highest and the lowest
/// (a non-increasing function of the score: floating-point subtraction and multiplication by
/// a positive number never reverse an order), and where each bucket starts: a counting pass
/// over the rows instead of one sort of them all; each bucket (a few rows, or one score's
/// ties) is sorted by its keys next.
fn bucket_starts(scores: &[f64]) -> (Vec<u16>, Vec<usize>) {
    const BUCKETS: usize = 1 << 16;
    let (lo, hi) = scores.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &s| (lo.min(s), hi.max(s)));
    let width = hi - lo;
    // Scores are finite (bounded points); anything else, or one score, is one bucket.
    let scale = if width.is_finite() && width > 0.0 { (BUCKETS - 1) as f64 / width } else { 0.0 };
    // `as` saturates: a product rounded past the last bucket stays in it.
    let digits: Vec<u16> = scores.iter().map(|&s| ((hi - s) * scale) as u16).collect();
    let mut starts = vec![0_usize; BUCKETS + 1];
    for &d in &digits {
        starts[usize::from(d) + 1] += 1;
    }
    for d in 1..starts.len() {
        starts[d] += starts[d - 1];
    }
    (digits, starts)
}

/// The rows in their buckets, in row order within a bucket.
fn bucket_rows(digits: &[u16], starts: &[usize]) -> Vec<u32> {
    let mut next = starts.to_vec();
    let mut rows = vec![0_u32; digits.len()];
    for (r, &d) in digits.iter().enumerate() {
        let at = &mut next[usize::from(d)];
        rows[*at] = r as u32;
        *at += 1;
    }
    rows
}
