//! Exact integer splits and the rule-based models' integer weights.
//!
//! Every model turns a journey into one integer weight per touch (or per channel), and the
//! journey's revenue, in units of the policy's last kept place, is split by the largest
//! remainder: floors of `units × w ÷ Σw`, then one unit each to the largest remainders,
//! earlier touches first on ties. Integer weights keep the split exact and fast; position
//! weights are exact (units of 10^-12), time-decay weights are 2^(−days ÷ half-life) to 52
//! bits, computed with IEEE basic operations only so that every platform gets the same bits.

use crate::error::{Error, Result};

/// The maps keyed by channel paths and sets, looked up once per journey: SipHash's
/// resistance to chosen collisions buys nothing over keys that are small channel indices,
/// and cost a tenth of Markov's time.
pub(crate) use crate::hash::FxBuild;

/// Fixed-point one of decay weights: 2^52.
#[cfg(test)]
const ONE: u64 = 1 << 52;

/// Splits `total` units by `weights` (not all zero) into `out`, largest remainder.
/// `order` is scratch space.
pub(crate) fn split(
    total: i128,
    weights: &[u64],
    out: &mut [i128],
    order: &mut Vec<(u128, usize)>,
    path: &dyn Fn() -> String,
) -> Result<()> {
    let (_, _, left) = floors(total, weights, out, order, path)?;
    if left > 0 {
        // Largest remainders first, earlier touches first on ties.
        order.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in &order[..left] {
            out[i] += 1;
        }
    }
    Ok(())
}

/// The floors of `total × w ÷ Σw` into `out` and each remainder with its index into `order`;
/// returns the total and Σw as `u128` and the units left to give (fewer than the weights).
fn floors(
    total: i128,
    weights: &[u64],
    out: &mut [i128],
    order: &mut Vec<(u128, usize)>,
    path: &dyn Fn() -> String,
) -> Result<(u128, u128, usize)> {
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    debug_assert!(sum > 0 && total >= 0);
    let t = u128::try_from(total).map_err(|_| Error::overflow(path()))?;
    let mut given = 0u128;
    order.clear();
    for (i, (&w, o)) in weights.iter().zip(out.iter_mut()).enumerate() {
        let prod = t.checked_mul(u128::from(w)).ok_or_else(|| Error::overflow(path()))?;
        let floor = prod / sum;
        given += floor;
        *o = floor as i128; // ≤ total
        order.push((prod % sum, i));
    }
    Ok((t, sum, (t - given) as usize))
}

/// Whether `out`, the largest-remainder split of `total` units by `weights` (what [`split`]
/// and the 64-bit `split_fast` give), is also [`split_learned`]'s: no remainder left without
/// a unit lies within `total ÷ 2^32` units of the smallest one given a unit, so the tolerance
/// changes nothing. Lets the learned models keep the fast split for nearly every journey.
pub(crate) fn is_learned_split(total: u64, weights: &[u64], out: &[i64]) -> bool {
    // Within 64 bits, as `split_fast` leaves it: each product below is one widening multiply.
    let Some(sum) = weights.iter().try_fold(0u64, |s, &w| s.checked_add(w)) else { return false };
    let wide = |a: u64, b: u64| u128::from(a) * u128::from(b);
    // The smallest remainder given a unit and the largest one left without.
    let (mut last_given, mut first_left) = (u128::MAX, None::<u128>);
    for (&w, &o) in weights.iter().zip(out) {
        let (prod, paid) = (wide(total, w), wide(o.cast_unsigned(), sum));
        // A unit beyond the floor shows as more paid than the product.
        if paid > prod {
            last_given = last_given.min(prod + u128::from(sum) - paid);
        } else {
            first_left = Some(first_left.map_or(prod - paid, |l| l.max(prod - paid)));
        }
    }
    let tolerance = wide(total, sum) >> 32;
    first_left.is_none_or(|left| last_given.checked_sub(left).is_some_and(|d| d > tolerance))
}

/// Splits `total` units over a journey's channels by data-driven `weights` (Markov removal
/// effects, Shapley values: floating-point estimates as fixed point, channels in the order
/// they are first touched) into `out`: floors, then one unit each to the largest
/// remainders, where remainders within `total ÷ 2^32` units of the last one given count
/// as tied with it and go to the channels touched first. Weights equal in theory can
/// differ in their last bits (effects of 2/5 and 1/4 beside 1 give remainders of 2/3 each
/// on 11 units, but 2/5 is not a whole number of 2^-40), so the exact rule "earlier first
/// on ties" is kept by not letting a noise-sized difference decide. `order` is scratch.
pub(crate) fn split_learned(
    total: i128,
    weights: &[u64],
    out: &mut [i128],
    order: &mut Vec<(u128, usize)>,
    path: &dyn Fn() -> String,
) -> Result<()> {
    let (t, sum, mut left) = floors(total, weights, out, order, path)?;
    if left == 0 {
        return Ok(());
    }
    order.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let last = order[left - 1].0;
    // A remainder r is tied with `last` when |r − last| ÷ sum ≤ total ÷ 2^32, in integers
    // |r − last| ≤ ⌊total × sum ÷ 2^32⌋ (saturating: beyond, every remainder ties).
    let tolerance = t.saturating_mul(sum) >> 32;
    let clear = order.iter().take_while(|&&(r, _)| r - last > tolerance).count();
    for &(_, i) in &order[..clear] {
        out[i] += 1;
    }
    left -= clear;
    order.drain(..clear);
    order.retain(|&(r, _)| r.abs_diff(last) <= tolerance);
    order.sort_unstable_by_key(|&(_, i)| i);
    for &(_, i) in &order[..left] {
        out[i] += 1;
    }
    Ok(())
}

/// The touch `last_non_direct` credits: the last whose channel is not direct, else the last
/// (then `true`: every touch was direct).
pub(crate) fn last_non_direct(channels: &[u32], direct: &[bool]) -> (usize, bool) {
    match channels.iter().rposition(|&c| !direct[c as usize]) {
        Some(k) => (k, false),
        None => (channels.len() - 1, true),
    }
}

/// Position roles of a journey: the indices holding `lead_created` and `deal_created`, and
/// whether they were assumed (no touch marked).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Roles {
    pub lead: usize,
    pub lead_assumed: bool,
    pub deal: usize,
    pub deal_assumed: bool,
}

/// Milestone codes in columns.
pub(crate) const LEAD_CREATED: i8 = 1;
pub(crate) const DEAL_CREATED: i8 = 2;

pub(crate) fn roles(milestones: Option<&[i8]>, n: usize) -> Roles {
    let find = |code| milestones.and_then(|m| m.iter().position(|&x| x == code));
    let lead = find(LEAD_CREATED);
    let deal = find(DEAL_CREATED);
    Roles {
        lead: lead.unwrap_or(0),
        lead_assumed: lead.is_none(),
        deal: deal.unwrap_or(n - 1),
        deal_assumed: deal.is_none(),
    }
}

/// Position weights (`[first, middle, last, lead, deal]` in 10^-12) of a journey of `n`
/// touches, into `out`. Touches whose roles weigh nothing share `middle`: scaling the
/// role holders by the count of such touches keeps every weight an integer.
pub(crate) fn position(units: &[u64; 5], n: usize, roles: Roles, out: &mut Vec<u64>) {
    let [first, middle, last, lead, deal] = units;
    out.clear();
    out.resize(n, 0);
    out[0] += first;
    out[n - 1] += last;
    out[roles.lead] += lead;
    out[roles.deal] += deal;
    let rest = out.iter().filter(|&&w| w == 0).count() as u64;
    if rest > 0 {
        for w in out.iter_mut() {
            // ≤ 10^12 × touches per journey (≤ 100,000): far below 2^64.
            *w = if *w == 0 { *middle } else { *w * rest };
        }
    }
}

/// 2^(−x) × 2^52 rounded, for x ≥ 0: series of e^(−f ln 2) for the fraction and exact
/// halvings for the integer part, in basic IEEE operations only (no libm), so the weight
/// has the same bits on every platform.
pub(crate) fn decay(x: f64) -> u64 {
    if x.is_nan() || x > 60.0 {
        return 0;
    }
    let n = x.floor();
    let y = -(x - n) * std::f64::consts::LN_2;
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    for k in 1..=30 {
        term = term * y / f64::from(k);
        sum += term;
    }
    let shift = 52 - n as i32; // n ≤ 60
    let scale = if shift >= 0 { (1u64 << shift) as f64 } else { 1.0 / (1u64 << -shift) as f64 };
    (sum * scale).round() as u64
}

/// `x ÷ max` as a 40-bit fixed-point weight (negative values count as nothing). 40 bits, not
/// 52: values equal in theory but computed in floats differ in their last bits.
pub(crate) fn fixed(x: f64, max: f64) -> u64 {
    const SCALE: f64 = (1u64 << 40) as f64;
    if max > 0.0 && x > 0.0 {
        ((x / max) * SCALE).round() as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_largest_remainder_earlier_first() {
        let mut out = vec![0; 3];
        split(10000, &[1, 1, 1], &mut out, &mut Vec::new(), &String::new).unwrap();
        assert_eq!(out, [3334, 3333, 3333]);
        split(1, &[1, 1, 2], &mut out, &mut Vec::new(), &String::new).unwrap();
        assert_eq!(out, [0, 0, 1]);
    }

    #[test]
    fn learned_split_gives_noise_sized_ties_to_the_earlier_channel() {
        // Effects 2/5, 1, 1/4 over 11 units: 8/3, 20/3, 5/3, remainders of 2/3 each; 2/5 as
        // 40-bit fixed point is a hair below, which the plain split reads as a smaller
        // remainder and so gives its unit to the later channel.
        let one = 1u64 << 40;
        let w = [(2 * one + 2) / 5, one, one / 4];
        let mut out = vec![0; 3];
        split(11, &w, &mut out, &mut Vec::new(), &String::new).unwrap();
        assert_eq!(out, [2, 7, 2]);
        split_learned(11, &w, &mut out, &mut Vec::new(), &String::new).unwrap();
        assert_eq!(out, [3, 7, 1]);
        // A real difference still decides, and every total is kept.
        split_learned(2, &[1, 2, 3], &mut out, &mut Vec::new(), &String::new).unwrap();
        assert_eq!(out, [0, 1, 1]);
        for t in [0, 1, 7, 100_001, 1 << 40, i128::from(u64::MAX)] {
            split_learned(t, &w, &mut out, &mut Vec::new(), &String::new).unwrap();
            assert_eq!(out.iter().sum::<i128>(), t);
        }
    }

    #[test]
    fn a_plain_split_said_to_be_learned_is_the_learned_split() {
        let one = 1u64 << 40;
        // The noise-sized tie above: the plain split is not the learned one.
        let w = [(2 * one + 2) / 5, one, one / 4];
        let mut plain = vec![0; 3];
        split(11, &w, &mut plain, &mut Vec::new(), &String::new).unwrap();
        let narrow: Vec<i64> = plain.iter().map(|&u| u as i64).collect();
        assert!(!is_learned_split(11, &w, &narrow));
        // Random weights, some equal, some a hair apart; whenever the check passes, the
        // answers agree, and it passes for most journeys.
        let mut next = crate::money::xorshift(0x2545_f491_4f6c_dd1d);
        let mut passed = 0;
        for _ in 0..5_000 {
            let n = 1 + (next() % 6) as usize;
            let mut w: Vec<u64> = (0..n).map(|_| next() % one + 1).collect();
            match next() % 4 {
                0 => w.iter_mut().for_each(|x| *x = one / 3),
                1 => w[0] = w[n - 1] + (next() % 3),
                _ => {}
            }
            let t = i128::from(next() % [10, 1_000_003, 1 << 49][(next() % 3) as usize]);
            let (mut plain, mut learned) = (vec![0; n], vec![0; n]);
            split(t, &w, &mut plain, &mut Vec::new(), &String::new).unwrap();
            split_learned(t, &w, &mut learned, &mut Vec::new(), &String::new).unwrap();
            let narrow: Vec<i64> = plain.iter().map(|&u| u as i64).collect();
            if is_learned_split(t as u64, &w, &narrow) {
                assert_eq!(plain, learned, "{t} {w:?}");
                passed += 1;
            }
        }
        assert!(passed > 2_500, "{passed}");
    }

    #[test]
    fn decay_is_exact_on_whole_half_lives() {
        assert_eq!(decay(0.0), ONE);
        assert_eq!(decay(1.0), ONE / 2);
        assert_eq!(decay(2.0), ONE / 4);
        let half = decay(0.5) as f64 / ONE as f64;
        assert!((half - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
        assert_eq!(decay(61.0), 0);
    }

    #[test]
    fn u_shaped_weights() {
        let u = [4, 2, 4, 0, 0];
        let mut w = Vec::new();
        position(&u, 1, roles(None, 1), &mut w);
        assert_eq!(w, [8]);
        position(&u, 2, roles(None, 2), &mut w);
        assert_eq!(w, [4, 4]);
        position(&u, 4, roles(None, 4), &mut w);
        assert_eq!(w, [8, 2, 2, 8]);
    }
}
