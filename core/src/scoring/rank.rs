//! The ranking: score descending, then the policy's tie-break fields, then `id`, then row
//! order, as one sort over precomputed integer keys (a comparison reads two `u64`s per key
//! instead of matching on the columns' kinds).

use super::columns::{FieldData, NO_DATE};
use super::eval::Compiled;

/// `f64::total_cmp`'s order as an unsigned integer's, except that −0.0 is +0.0: a score or a
/// tie-break value of −0.0 (`-x * 0` in the caller's code) ties with 0, as it does in
/// Python's and JS's sorts and as the decimal string `"-0"` does.
fn total_key(v: f64) -> u64 {
    let bits = if v == 0.0 { 0 } else { v.to_bits() };
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// Missing values sort last in both directions.
const MISSING: u64 = u64::MAX;

/// A missing value's narrow key ([`Compiled::narrow_keys`]): after every value's.
const MISSING_32: u32 = u32::MAX;

impl Compiled<'_> {
    /// Hands `place(position, row)` each row from first to last: score descending, then the
    /// tie-break keys (missing last), then the `id` column, then row order.
    pub(crate) fn ranking(&self, scores: &[f64], place: impl FnMut(usize, u32)) {
        self.ranking_with(scores, true, place);
    }

    /// [`Self::ranking`], with the narrow keys of a single tie-break column when `narrow`
    /// (the tests compare both).
    fn ranking_with(&self, scores: &[f64], narrow: bool, mut place: impl FnMut(usize, u32)) {
        let n = scores.len();
        let (digits, starts) = bucket_starts(scores);
        let score = |r: usize| !total_key(scores[r]);
        match self.tie.as_slice() {
            [] => scatter_sort(&digits, &starts, |r| (score(r), r as u64), |k| k.1 as u32, sort_pile, place),
            &[(col, desc)] => {
                if let Some(key) = self.narrow_keys(col, desc, n).filter(|_| narrow) {
                    // One key of 32 bits or less: it and the row share a word (16 bytes a row).
                    let at = |r: usize| (score(r), u64::from(key[r]) << 32 | r as u64);
                    let mut radix = Radix::default();
                    scatter_sort(&digits, &starts, at, |k| k.1 as u32, |pile| radix.sort(pile), place);
                } else {
                    let tie = self.tie_keys(col, desc, n);
                    let at = |r: usize| (score(r), tie[r], r as u32);
                    scatter_sort(&digits, &starts, at, |k| k.2, sort_pile, place);
                }
            }
            _ => {
                let ties: Vec<Vec<u64>> = self.tie.iter().map(|&(col, desc)| self.tie_keys(col, desc, n)).collect();
                let mut rows = bucket_rows(&digits, &starts);
                for w in starts.windows(2) {
                    rows[w[0]..w[1]].sort_unstable_by(|&a, &b| {
                        let (a, b) = (a as usize, b as usize);
                        score(a)
                            .cmp(&score(b))
                            .then_with(|| ties.iter().map(|t| t[a].cmp(&t[b])).find(|o| o.is_ne()).unwrap_or(a.cmp(&b)))
                    });
                }
                for (p, &r) in rows.iter().enumerate() {
                    place(p, r);
                }
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

    /// One tie-break column's keys in the order of [`Self::tie_keys`] as 32-bit numbers
    /// ([`MISSING_32`] last): dates and text always; numbers when every one is a whole number
    /// (−0.0 is 0, as in [`total_key`]) and they span less than 2^32 − 1 (employee counts,
    /// years, amounts in whole units). Half the memory of the 64-bit keys, and the ranking's
    /// rows 16 bytes instead of 24.
    fn narrow_keys(&self, col: usize, desc: bool, n: usize) -> Option<Vec<u32>> {
        // Ascending keys in 0..=top, flipped within that range when descending.
        let order = move |k: u32, top: u32| if desc { top - k } else { k };
        match self.cols.fields[col].1 {
            FieldData::Number(v) => {
                let v = &v[..n];
                let (mut lo, mut hi, mut whole) = (f64::INFINITY, f64::NEG_INFINITY, true);
                for &x in v {
                    // NaN (missing) fails every comparison: counted neither way.
                    // Whole: within ±9e15, the same bits through i64 and back (no fraction) as
                    // x + 0.0 (−0.0 as +0.0, its key); `fract` was a call to libm's `trunc`.
                    whole &= x.is_nan() || (x.abs() <= 9e15 && ((x as i64) as f64).to_bits() == (x + 0.0).to_bits());
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
                if !whole {
                    return None;
                }
                if lo > hi {
                    return Some(vec![MISSING_32; n]);
                }
                // Whole numbers within ±2^53 are exact as i64; the span must leave room for
                // MISSING_32.
                let span = hi - lo;
                if !(span < f64::from(MISSING_32) && lo.abs() <= 9e15 && hi.abs() <= 9e15) {
                    return None;
                }
                let (base, top) = (lo as i64, span as u32);
                Some(
                    v.iter()
                        .map(|&x| if x.is_nan() { MISSING_32 } else { order((x as i64 - base) as u32, top) })
                        .collect(),
                )
            }
            // Days of the years 1..=9999 (checked) as offsets from the first day: within 2^32 − 1.
            FieldData::Date(v) => {
                let v = &v[..n];
                let (lo, top) =
                    (crate::wire::MIN_EPOCH_DAY, (crate::wire::MAX_EPOCH_DAY - crate::wire::MIN_EPOCH_DAY) as u32);
                Some(
                    v.iter()
                        .map(|&d| if d == NO_DATE { MISSING_32 } else { order((i64::from(d) - lo) as u32, top) })
                        .collect(),
                )
            }
            FieldData::Text { codes, labels } => {
                let rank = self.label_rank[col].as_deref().unwrap_or_default();
                let top = u32::try_from(labels.len()).ok()?.saturating_sub(1);
                if top == MISSING_32 {
                    return None;
                }
                let key = |c: i32| {
                    usize::try_from(c)
                        .ok()
                        .filter(|&c| labels.get(c).is_some_and(|l| !l.is_empty()))
                        .map_or(MISSING_32, |c| order(rank[c], top))
                };
                Some(codes[..n].iter().map(|&c| key(c)).collect())
            }
        }
    }
}

/// Each row's key (`key(row)`, whose order is the ranking's) scattered to its bucket in one
/// pass over the rows (not gathered bucket by bucket from rows all over the columns), so each
/// bucket holds its rows in row order; then each bucket of several rows sorted in place by
/// `sort`, then `place(position, row_of(key))` in order.
fn scatter_sort<K: Copy + Default>(
    digits: &[u16],
    starts: &[usize],
    key: impl Fn(usize) -> K,
    row_of: impl Fn(&K) -> u32,
    mut sort: impl FnMut(&mut [K]),
    mut place: impl FnMut(usize, u32),
) {
    let mut keys = vec![K::default(); digits.len()];
    let mut next = starts.to_vec();
    for (r, &d) in digits.iter().enumerate() {
        let at = &mut next[usize::from(d)];
        keys[*at] = key(r);
        *at += 1;
    }
    for w in starts.windows(2) {
        if w[1] - w[0] > 1 {
            sort(&mut keys[w[0]..w[1]]);
        }
    }
    for (p, k) in keys.iter().enumerate() {
        place(p, row_of(k));
    }
}

/// A bucket's keys sorted by comparison.
fn sort_pile<K: Ord>(pile: &mut [K]) {
    pile.sort_unstable();
}

/// Piles at least this long whose rows share one score are sorted by [`Radix`].
const RADIX_PILE: usize = 1024;

/// [`Radix`]'s digit: 11 bits (three passes over a 32-bit key, 2,048 counts each).
const BITS: u32 = 11;
const DIGITS: usize = 1 << BITS;

/// A pile of (score, tie-break key above the row) keys.
type Pile = [(u64, u64)];

/// Sorts a bucket of (score, 32-bit tie-break key above the row) keys. A large pile of one
/// score (the ties of a score many leads reach: no event and no matching rule, or the same
/// few rules without decay) is in row order as scattered, so its order is a stable sort by
/// the tie-break key alone: three stable counting passes over the key's 11-bit digits (one
/// reading counts all three; a pass whose digit is the same for every row is skipped), not a
/// sort by comparison of 16-byte keys. Other buckets are sorted by comparison.
#[derive(Default)]
struct Radix {
    /// The other side of each counting pass.
    spare: Vec<(u64, u64)>,
}

impl Radix {
    fn sort(&mut self, pile: &mut Pile) {
        let n = pile.len();
        if n < RADIX_PILE || pile.iter().any(|k| k.0 != pile[0].0) {
            pile.sort_unstable();
            return;
        }
        let digit = |k: &(u64, u64), pass: u32| ((k.1 >> (32 + BITS * pass)) as usize) & (DIGITS - 1);
        let mut counts = vec![[0_u32; DIGITS]; 3];
        for k in pile.iter() {
            for (pass, c) in (0_u32..).zip(counts.iter_mut()) {
                c[digit(k, pass)] += 1;
            }
        }
        self.spare.resize(n, (0, 0));
        let mut in_spare = false;
        for (pass, c) in (0_u32..).zip(counts.iter_mut()) {
            if c.iter().any(|&x| x as usize == n) {
                continue; // one digit for every row: the order stays
            }
            let mut at = 0;
            for x in c.iter_mut() {
                let here = *x;
                *x = at;
                at += here;
            }
            let (from, to): (&Pile, &mut Pile) =
                if in_spare { (&self.spare[..n], &mut *pile) } else { (&*pile, &mut self.spare[..n]) };
            for k in from {
                let d = &mut c[digit(k, pass)];
                to[*d as usize] = *k;
                *d += 1;
            }
            in_spare = !in_spare;
        }
        if in_spare {
            pile.copy_from_slice(&self.spare[..n]);
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

#[cfg(test)]
mod tests {
    use super::super::columns::{FieldData, LeadColumns, NO_DATE};
    use super::super::eval::Compiled;
    use super::super::rules::ScoringPolicy;
    use super::total_key;

    /// A draw in `0..n` from a splitmix64 stream.
    fn draw(state: &mut u64, n: u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }

    /// The ranking of `scores` with the tie-break column `data`, by the narrow keys, by the
    /// 64-bit keys and by a plain sort on the values themselves: all three must agree.
    fn check(data: FieldData<'_>, desc: bool, scores: &[f64]) -> bool {
        let json = format!(r#"{{"rules": [], "tie_break": [{{"field": "f", "descending": {desc}}}]}}"#);
        let policy: ScoringPolicy = crate::wire::from_json(&json, "").expect("policy");
        let cols = LeadColumns { rows: scores.len(), fields: vec![("f", data)], events: None };
        let engine = Compiled::new(&policy, cols, 20_000).expect("engine");
        let order = |narrow: bool| {
            let mut rows = vec![0; scores.len()];
            engine.ranking_with(scores, narrow, |p, r| rows[p] = r);
            rows
        };
        // Missing last in both directions; then the row.
        let value = |r: usize| -> Option<(u64, String)> {
            match data {
                FieldData::Number(v) => (!v[r].is_nan()).then(|| (total_key(v[r]), String::new())),
                FieldData::Date(v) => {
                    (v[r] != NO_DATE).then(|| ((i64::from(v[r]) - i64::from(i32::MIN)).cast_unsigned(), String::new()))
                }
                FieldData::Text { codes, labels } => {
                    usize::try_from(codes[r]).ok().map(|c| labels[c].clone()).filter(|l| !l.is_empty()).map(|l| (0, l))
                }
            }
        };
        let mut plain: Vec<u32> = (0..scores.len() as u32).collect();
        plain.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            let by_value = match (value(a), value(b)) {
                (Some(x), Some(y)) if desc => y.cmp(&x),
                (Some(x), Some(y)) => x.cmp(&y),
                (x, y) => x.is_none().cmp(&y.is_none()),
            };
            scores[b].total_cmp(&scores[a]).then(by_value).then(a.cmp(&b))
        });
        let narrow = order(true);
        narrow == order(false) && narrow == plain
    }

    #[test]
    fn minus_zero_is_zero() {
        assert_eq!(total_key(-0.0), total_key(0.0));
        assert!(total_key(-f64::MIN_POSITIVE) < total_key(0.0) && total_key(0.0) < total_key(f64::MIN_POSITIVE));
        assert!(total_key(f64::NEG_INFINITY) < total_key(-1.0) && total_key(1.0) < total_key(f64::INFINITY));
    }

    #[test]
    fn narrow_tie_keys_rank_as_the_wide_ones() {
        let mut state = 7;
        for round in 0..40_u64 {
            let n = 1 + draw(&mut state, 3000) as usize;
            // Few distinct scores: many ties for the keys to break (one score when `round % 7`
            // is 0: a pile of up to 3,000 rows, sorted by `Radix`'s counting passes).
            let scores: Vec<f64> = (0..n).map(|_| draw(&mut state, 1 + round % 7) as f64 * 2.5).collect();
            let spread = [10, 5000, 1 << 40][round as usize % 3];
            let mut numbers: Vec<f64> = (0..n)
                .map(|_| match draw(&mut state, 10) {
                    0 => f64::NAN,
                    _ => draw(&mut state, spread) as f64 - (spread / 2) as f64,
                })
                .collect();
            let days: Vec<i32> = (0..n)
                .map(|_| if draw(&mut state, 8) == 0 { NO_DATE } else { -719_162 + draw(&mut state, 3_652_059) as i32 })
                .collect();
            let labels: Vec<String> = ["b", "", "a", "c", "ab"].iter().map(|s| (*s).to_owned()).collect();
            let codes: Vec<i32> = (0..n).map(|_| draw(&mut state, 6) as i32 - 1).collect();
            for desc in [false, true] {
                assert!(check(FieldData::Number(&numbers), desc, &scores), "whole numbers, round {round}");
                assert!(check(FieldData::Date(&days), desc, &scores), "dates, round {round}");
                assert!(
                    check(FieldData::Text { codes: &codes, labels: &labels }, desc, &scores),
                    "text, round {round}"
                );
            }
            // Not whole (the 64-bit keys: the narrow ones refuse), or −0.0 beside +0.0 (equal).
            numbers[0] = if round % 2 == 0 { 0.5 } else { -0.0 };
            if n > 1 {
                numbers[n - 1] = 0.0;
            }
            for desc in [false, true] {
                assert!(check(FieldData::Number(&numbers), desc, &scores), "numbers, round {round}");
            }
        }
    }
}
