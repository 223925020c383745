//! Exact money: rounding declared in the policy, totals-preserving splits, checked arithmetic.
//!
//! Every amount and rate is a [`Decimal`]. Rounding happens once per output line, with the
//! places and strategy the caller's policy declares; intermediate values stay exact.

use rust_decimal::{Decimal, RoundingStrategy as Rd};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How a value is rounded to `dp` decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum RoundingStrategy {
    /// Ties go to the even neighbour (banker's rounding): 2.345 → 2.34, 2.355 → 2.36.
    #[default]
    HalfEven,
    /// Ties go away from zero: 2.345 → 2.35, -2.345 → -2.35.
    HalfUp,
    /// Ties go towards zero: 2.345 → 2.34.
    HalfDown,
    /// Truncate towards zero: 2.349 → 2.34.
    Down,
    /// Away from zero: 2.341 → 2.35.
    Up,
}

impl From<RoundingStrategy> for Rd {
    fn from(s: RoundingStrategy) -> Self {
        match s {
            RoundingStrategy::HalfEven => Rd::MidpointNearestEven,
            RoundingStrategy::HalfUp => Rd::MidpointAwayFromZero,
            RoundingStrategy::HalfDown => Rd::MidpointTowardZero,
            RoundingStrategy::Down => Rd::ToZero,
            RoundingStrategy::Up => Rd::AwayFromZero,
        }
    }
}

/// Decimal places plus strategy, declared in every policy that outputs money.
///
/// # Examples
///
/// ```
/// use crmkit::{Rounding, RoundingStrategy};
/// use rust_decimal::Decimal;
///
/// let r = Rounding { dp: 2, strategy: RoundingStrategy::HalfUp };
/// assert_eq!(r.round("2.345".parse::<Decimal>().unwrap()).to_string(), "2.35");
/// assert_eq!(r.round(Decimal::from(7)).to_string(), "7.00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Rounding {
    /// Decimal places kept, 0 to [`Rounding::MAX_DP`].
    pub dp: u32,
    /// How ties and remainders are resolved.
    #[serde(default)]
    pub strategy: RoundingStrategy,
}

impl Default for Rounding {
    /// Two places, half-even.
    fn default() -> Self {
        Self { dp: 2, strategy: RoundingStrategy::HalfEven }
    }
}

impl Rounding {
    /// The most decimal places a policy may ask for.
    pub const MAX_DP: u32 = 12;

    /// Checks `dp`; `path` locates the rounding block in the caller's policy.
    pub fn validate(&self, path: &str) -> Result<()> {
        if self.dp > Self::MAX_DP {
            return Err(Error::out_of_range(format!("{path}.dp"), self.dp, 0, Self::MAX_DP));
        }
        Ok(())
    }

    /// Rounds `x` and shows exactly `dp` places (`7` → `7.00`).
    ///
    /// # Examples
    ///
    /// ```
    /// use crmkit::{Decimal, Rounding, RoundingStrategy};
    ///
    /// let cents = Rounding::default(); // 2 places, half-even
    /// assert_eq!(cents.round(Decimal::new(12_345, 3)).to_string(), "12.34");
    /// assert_eq!(cents.round(Decimal::from(7)).to_string(), "7.00");
    /// let yuan = Rounding { dp: 0, strategy: RoundingStrategy::HalfUp };
    /// assert_eq!(yuan.round(Decimal::new(25, 1)).to_string(), "3");
    /// assert_eq!(yuan.quantum(), Decimal::ONE);
    /// ```
    pub fn round(&self, x: Decimal) -> Decimal {
        // A figure with its places already (cents summed in cents: most of a report's) is
        // its own rounding; one with fewer has nothing to round: only padded with zeros.
        if x.scale() == self.dp {
            return x;
        }
        if let Some(r) = self.round_units(x) {
            return r;
        }
        let mut r = if x.scale() < self.dp { x } else { x.round_dp_with_strategy(self.dp, self.strategy.into()) };
        // rescale only pads zeros here: r has at most dp places already.
        r.rescale(self.dp);
        r
    }

    /// `x` rounded as [`Decimal::round_dp_with_strategy`] rounds it, in 64-bit integers: for
    /// a non-negative `x` with more places than `dp` whose mantissa fits 64 bits (a
    /// weighted sum: cents times probabilities), the quotient and remainder of its mantissa
    /// by 10^(places − dp) decide; `None` otherwise.
    fn round_units(self, x: Decimal) -> Option<Decimal> {
        if x.is_sign_negative() {
            return None;
        }
        let units = self.round_mantissa(u64::try_from(x.mantissa()).ok()?, x.scale())?;
        Some(Decimal::from_i128_with_scale(i128::from(units), self.dp))
    }

    /// The non-negative mantissa `m` of a figure with `scale` places, at least `dp`, rounded
    /// to `dp` places as [`Decimal::round_dp_with_strategy`] rounds it: the units of 10^-dp.
    /// `None` when `scale` is below `dp`, or 10^(scale − dp) passes 64 bits.
    pub(crate) fn round_mantissa(self, m: u64, scale: u32) -> Option<u64> {
        // Nothing to round: no division by 1 (a 64-bit division, ~10-20 cycles).
        if scale == self.dp {
            return Some(m);
        }
        let unit = *POW10.get(usize::try_from(scale.checked_sub(self.dp)?).ok()?)?;
        let (q, r) = (m / unit, m % unit);
        // `2r` compared with `unit` without overflow: r < unit ≤ 10^19 < 2^64.
        let half = r.cmp(&(unit - r));
        let up = match self.strategy {
            RoundingStrategy::HalfEven => half.is_gt() || (half.is_eq() && q & 1 == 1),
            RoundingStrategy::HalfUp => half.is_ge(),
            RoundingStrategy::HalfDown => half.is_gt(),
            RoundingStrategy::Down => false,
            RoundingStrategy::Up => r > 0,
        };
        // q ≤ m / 10: no overflow.
        Some(q + u64::from(up))
    }

    /// One unit in the last kept place (0.01 for dp = 2).
    pub fn quantum(&self) -> Decimal {
        Decimal::new(1, self.dp)
    }
}

/// Splits `total` in proportion to `weights`, rounded to `rounding.dp` places, so that the
/// parts add up to the (rounded) total exactly: the largest-remainder method.
///
/// Each part first gets its exact share cut towards zero to `dp` places; the units left over
/// go one each to the parts with the largest cut-off remainders, earlier parts first on ties.
///
/// # Errors
///
/// `out_of_range` at `{path}[i]` for a negative weight, `invalid_value` at `path` when there
/// are no weights or they sum to zero, `overflow` when exact shares do not fit a `Decimal`.
///
/// # Examples
///
/// ```
/// use crmkit::{split_largest_remainder, Rounding};
/// use rust_decimal::Decimal;
///
/// let parts = split_largest_remainder(Decimal::new(10000, 2), &[Decimal::ONE; 3], Rounding::default(), "weights")?;
/// let shown: Vec<String> = parts.iter().map(ToString::to_string).collect();
/// assert_eq!(shown, ["33.34", "33.33", "33.33"]);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn split_largest_remainder(
    total: Decimal,
    weights: &[Decimal],
    rounding: Rounding,
    path: &str,
) -> Result<Vec<Decimal>> {
    rounding.validate("rounding")?;
    let mut sum = Decimal::ZERO;
    for (i, w) in weights.iter().enumerate() {
        if w.is_sign_negative() && !w.is_zero() {
            return Err(Error::out_of_range(format!("{path}[{i}]"), w, 0, "inf"));
        }
        sum = sum.checked_add(*w).ok_or_else(|| Error::overflow(path))?;
    }
    if sum.is_zero() {
        return Err(Error::InvalidValue {
            path: path.to_owned(),
            reason: "weights must contain at least one positive weight".to_owned(),
        });
    }
    let total = rounding.round(total);
    let quantum = rounding.quantum();
    let negative = total.is_sign_negative();
    let magnitude = total.abs();
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut allotted = Decimal::ZERO;
    for w in weights {
        // total × w / sum, multiplied first where that fits (exact shares of small weights),
        // else divided first (a 1e20 target over 1e10 of history would overflow).
        let exact = magnitude
            .checked_mul(*w)
            .and_then(|x| x.checked_div(sum))
            .or_else(|| w.checked_div(sum).and_then(|share| magnitude.checked_mul(share)))
            .ok_or_else(|| Error::overflow(path))?;
        let floor = exact.round_dp_with_strategy(rounding.dp, Rd::ToZero);
        allotted = add(allotted, floor, || path.to_owned())?;
        remainders.push(exact.checked_sub(floor).unwrap_or_default());
        parts.push(floor);
    }
    // The quanta left to hand out. With exact shares it is below the number of parts; a
    // share rounded inside `Decimal` (28 digits) can make it larger, or negative (0.99 split
    // by a weight of 1e-28 gave a part of 1.00): the loop below settles any count, so the
    // parts always sum to the total.
    let left = magnitude
        .checked_sub(allotted)
        .and_then(|x| x.checked_div(quantum))
        .map(|x| x.round())
        .and_then(|x| i64::try_from(x).ok())
        .ok_or_else(|| Error::overflow(path))?;
    let mut order: Vec<usize> = (0..parts.len()).filter(|&i| !weights[i].is_zero()).collect();
    order.sort_by(|&a, &b| remainders[b].cmp(&remainders[a]).then(a.cmp(&b)));
    let mut left = left;
    while left > 0 {
        for &i in order.iter().take(usize::try_from(left).unwrap_or(usize::MAX)) {
            parts[i] = add(parts[i], quantum, || path.to_owned())?;
            left -= 1;
        }
    }
    // Too much handed out: take back from the smallest remainders first.
    while left < 0 {
        let before = left;
        for &i in order.iter().rev() {
            if left < 0 && parts[i] >= quantum {
                parts[i] -= quantum;
                left += 1;
            }
        }
        if left == before {
            return Err(Error::overflow(path)); // cannot happen: Σ parts > total ≥ 0
        }
    }
    Ok(parts
        .into_iter()
        .map(|mut p| {
            p.rescale(rounding.dp);
            p.set_sign_negative(negative && !p.is_zero());
            p
        })
        .collect())
}

/// 10^k as an `i128`, k ≤ 38.
const fn pow10(k: u32) -> i128 {
    let mut p = 1i128;
    let mut i = 0;
    while i < k {
        p *= 10;
        i += 1;
    }
    p
}

/// Largest mantissa a `Decimal` holds (2^96 − 1).
const MAX_MANTISSA: i128 = (1i128 << 96) - 1;

/// `n / d` rounded half to even (`d` > 0).
fn div_half_even(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    let twice = r.unsigned_abs() * 2;
    let away = twice > d.unsigned_abs() || (twice == d.unsigned_abs() && q % 2 != 0);
    if away {
        q + n.signum()
    } else {
        q
    }
}

/// The scale at which a batch of amounts is summed in 128-bit integers: the most places any
/// amount has, unless the batch's magnitudes leave no room for them, in which case as many
/// places as fit (never fewer than `min_dp`, the places the report is rounded to). Amounts
/// with more places are rounded half-even to it by [`to_units`]; every sum is exact from there.
pub(crate) fn common_scale(max_scale: u32, max_integer_digits: u32, rows: usize, min_dp: u32) -> u32 {
    // 38 digits in an i128, minus the digits a sum of `rows` values can add.
    let headroom = 38u32.saturating_sub(max_integer_digits).saturating_sub(rows.max(1).ilog10() + 1);
    max_scale.min(headroom.max(min_dp)).min(28)
}

/// Digits of `d`'s integer part (0 for |d| < 1).
pub(crate) fn integer_digits(d: Decimal) -> u32 {
    let int = d.trunc().abs().mantissa();
    if int == 0 {
        0
    } else {
        int.ilog10() + 1
    }
}

/// `d` as integer units of 10^-`scale`: exact when `d` has at most `scale` places, rounded half
/// to even otherwise. `None` when the units do not fit an `i128`.
#[inline]
pub(crate) fn to_units(d: Decimal, scale: u32) -> Option<i128> {
    let s = d.scale();
    if s <= scale {
        d.mantissa().checked_mul(pow10(scale - s))
    } else {
        Some(div_half_even(d.mantissa(), pow10(s - scale)))
    }
}

/// Integer units of 10^-`scale` as a `Decimal`: exact when they fit its 96-bit mantissa,
/// otherwise rounded half to even, once, to the most places that fit (a sum of 1000 and
/// 100/3 at 27 places has 31 digits; Decimal holds 28 or 29). `None` when even the integer
/// part does not fit (|x| ≥ 2^96).
pub(crate) fn from_units(units: i128, scale: u32) -> Option<Decimal> {
    let mut k = 0;
    while k < scale && units.unsigned_abs() > pow10(k).unsigned_abs() * MAX_MANTISSA.unsigned_abs() {
        k += 1;
    }
    let rounded = if k == 0 { units } else { div_half_even(units, pow10(k)) };
    Decimal::try_from_i128_with_scale(rounded, scale - k).ok()
}

/// `a + b`, or `overflow` at `path`.
pub(crate) fn add(a: Decimal, b: Decimal, path: impl FnOnce() -> String) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(|| Error::overflow(path()))
}

/// `a * b`, or `overflow` at `path`.
pub(crate) fn mul(a: Decimal, b: Decimal, path: impl FnOnce() -> String) -> Result<Decimal> {
    a.checked_mul(b).ok_or_else(|| Error::overflow(path()))
}

/// `a ÷ b` rounded half to even at `dp` places, as dividing the `Decimal`s and rounding the
/// quotient gives it, from one integer division (a `Decimal` division costs several times
/// that). `None` where the two might not agree, or a figure does not fit: a negative `a` or
/// `b`, `b` zero, a quotient of 10^18 units or more (the `Decimal` quotient, cut to its 28
/// digits, is then within 10^-10 of a unit of the exact one), or an exact quotient within
/// 10^-9 of a unit of half a unit (where that cut could round the other way); the caller
/// then divides the `Decimal`s.
pub(crate) fn ratio_half_even(a: Decimal, b: Decimal, dp: u32) -> Option<Decimal> {
    if a.is_sign_negative() || b.is_sign_negative() || b.is_zero() {
        return None;
    }
    // a ÷ b × 10^dp = (ma × 10^sb × 10^dp) ÷ (mb × 10^sa).
    let shift = i64::from(b.scale()) + i64::from(dp) - i64::from(a.scale());
    let (ma, mb) = (a.mantissa().unsigned_abs(), b.mantissa().unsigned_abs());
    // A report's figures (cents over cents or whole units, 4 places) in 64 bits: the same
    // steps, narrower (declined there: the same steps below decline too).
    if let (Ok(ma), Ok(mb)) = (u64::try_from(ma), u64::try_from(mb))
        && let Some(units) = ratio_units(ma, a.scale(), mb, b.scale(), dp)
    {
        return Decimal::try_from_i128_with_scale(i128::from(units), dp).ok();
    }
    let pow = |k: i64| 10u128.checked_pow(u32::try_from(k).ok()?);
    let (top, bottom) =
        if shift >= 0 { (ma.checked_mul(pow(shift)?)?, mb) } else { (ma, mb.checked_mul(pow(-shift)?)?) };
    let (units, rest) = match (u64::try_from(top), u64::try_from(bottom)) {
        (Ok(t), Ok(b)) => (u128::from(t / b), u128::from(t % b)),
        _ => (top / bottom, top % bottom),
    };
    round_half_even(units, rest, bottom, dp)
}

/// [`ratio_half_even`] of two non-negative figures given as 64-bit mantissas and scales
/// (`mb` > 0), in 64-bit integers (the remainder's test in one widening product): its units of
/// 10^-`dp`. `None` where [`ratio_half_even`] gives `None`, or `ma × 10^(sb + dp − sa)` (for
/// a negative power, `mb × 10^(sa − sb − dp)`) does not fit 64 bits: then the 128-bit steps
/// decide.
pub(crate) fn ratio_units(ma: u64, sa: u32, mb: u64, sb: u32, dp: u32) -> Option<u64> {
    let pow = |k: u32| POW10.get(k as usize).copied();
    let (top, bottom) = match sb.saturating_add(dp).checked_sub(sa) {
        Some(k) => (ma.checked_mul(pow(k)?)?, mb),
        None => (ma, mb.checked_mul(pow(sa - sb - dp)?)?),
    };
    let (units, rest) = (top.checked_div(bottom)?, top % bottom);
    if units >= POW10[18] {
        return None;
    }
    // As `round_half_even`: rest < bottom < 2^64, so 2·rest, |2·rest − bottom| × 10^9 and
    // 2·bottom fit 128 bits.
    let (twice, bottom) = (u128::from(rest) << 1, u128::from(bottom));
    if twice == bottom {
        Some(units + (units & 1))
    } else if twice.abs_diff(bottom) * 1_000_000_000 >= bottom << 1 {
        Some(units + u64::from(twice > bottom))
    } else {
        None
    }
}

/// 10^k for k = 0..=19 (every power of ten in 64 bits).
pub(crate) const POW10: [u64; 20] = {
    let mut p = [1u64; 20];
    let mut k = 1;
    while k < 20 {
        p[k] = p[k - 1] * 10;
        k += 1;
    }
    p
};

/// [`ratio_half_even`]'s quotient `units` (remainder `rest` of `bottom`) rounded half to even
/// at `dp` places; `None` as it says.
fn round_half_even(units: u128, rest: u128, bottom: u128, dp: u32) -> Option<Decimal> {
    if units >= 10u128.pow(18) {
        return None;
    }
    let twice = rest.checked_mul(2)?;
    let units = if twice == bottom {
        units + (units & 1)
    } else if twice.abs_diff(bottom).checked_mul(1_000_000_000)? >= bottom.checked_mul(2)? {
        units + u128::from(twice > bottom)
    } else {
        return None;
    };
    Decimal::try_from_i128_with_scale(i128::try_from(units).ok()?, dp).ok()
}

/// A seeded xorshift64 stream for the crate's unit tests (no random-number dependency): the
/// same numbers on every platform. `seed` must not be 0.
#[cfg(test)]
pub(crate) fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn r(dp: u32, strategy: RoundingStrategy) -> Rounding {
        Rounding { dp, strategy }
    }

    #[test]
    fn ratio_half_even_is_the_decimal_quotient_rounded() {
        let half_even = |a: Decimal, b: Decimal, dp: u32| r(dp, RoundingStrategy::HalfEven).round(a / b);
        // Exact ties go to the even neighbour; near ones are left to the Decimal division.
        assert_eq!(ratio_half_even(dec!(0.00005), Decimal::ONE, 4).unwrap().to_string(), "0.0000");
        assert_eq!(ratio_half_even(dec!(0.00015), Decimal::ONE, 4).unwrap().to_string(), "0.0002");
        assert_eq!(ratio_half_even(Decimal::ZERO, dec!(3), 4).unwrap().to_string(), "0.0000");
        assert_eq!(ratio_half_even(dec!(1), dec!(3), 4).unwrap().to_string(), "0.3333");
        let near = Decimal::from_i128_with_scale(5_000_000_000_000_000_000_001, 26);
        assert_eq!(ratio_half_even(near, Decimal::ONE, 4), None);
        assert_eq!(ratio_half_even(dec!(-1), dec!(3), 4), None);
        assert_eq!(ratio_half_even(dec!(1), Decimal::ZERO, 4), None);
        let (mut state, mut some) = (0x9e37_79b9_7f4a_7c15u64, 0);
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            state >> 11
        };
        for _ in 0..20_000 {
            let a = Decimal::from_i128_with_scale(i128::from(next() % 10_000_000_000), (next() % 7) as u32);
            let b = Decimal::from_i128_with_scale(i128::from(next() % 1_000_000 + 1), (next() % 5) as u32);
            let dp = (next() % 9) as u32;
            if let Some(q) = ratio_half_even(a, b, dp) {
                some += 1;
                assert_eq!((q, q.scale()), (half_even(a, b, dp), dp), "{a} / {b} at {dp}");
            }
        }
        // The integer way takes almost every ordinary ratio.
        assert!(some > 19_000, "{some}");
    }

    /// `Rounding::round` against `Decimal::round_dp_with_strategy` (then padded), bit for bit
    /// (value, scale, sign), on seeded figures: every strategy, ties and near ties, mantissas
    /// near 2^64 (past it: the Decimal way), zeros, negatives and -0, fewer places than `dp`.
    #[test]
    fn round_is_the_decimal_rounding() {
        use RoundingStrategy::*;
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for case in 0..40_000 {
            let strategy = [HalfEven, HalfUp, HalfDown, Down, Up][case % 5];
            let dp = (next() % 7) as u32;
            let scale = (next() % 20) as u32;
            let unit = 10i128.pow(scale.saturating_sub(dp));
            let m: i128 = match next() % 6 {
                0 => 0,
                // A tie, or one off it.
                1 => i128::from(next() % 1_000) * unit + unit / 2 + i128::from(next() % 3) - 1,
                2 => i128::from(u64::MAX) - i128::from(next() % 1_000),
                3 => i128::from(next()) + i128::from(next() % 2) * i128::from(u64::MAX),
                _ => i128::from(next() % 100_000_000),
            };
            let mut x = Decimal::from_i128_with_scale(m.max(0), scale);
            x.set_sign_negative(next().is_multiple_of(7));
            let rounding = r(dp, strategy);
            let mut want = x.round_dp_with_strategy(dp, strategy.into());
            want.rescale(dp);
            assert_eq!(rounding.round(x).serialize(), want.serialize(), "{x} at {dp} {strategy:?}");
        }
    }

    #[test]
    fn strategies_on_ties_and_signs() {
        use RoundingStrategy::*;
        let cases = [
            (HalfEven, dec!(2.345), "2.34"),
            (HalfEven, dec!(2.355), "2.36"),
            (HalfUp, dec!(2.345), "2.35"),
            (HalfUp, dec!(-2.345), "-2.35"),
            (HalfDown, dec!(2.345), "2.34"),
            (Down, dec!(2.349), "2.34"),
            (Down, dec!(-2.349), "-2.34"),
            (Up, dec!(2.341), "2.35"),
            (Up, dec!(-2.341), "-2.35"),
        ];
        for (s, x, want) in cases {
            assert_eq!(r(2, s).round(x).to_string(), want, "{s:?} {x}");
        }
    }

    #[test]
    fn units_round_trip_and_wide_sums_fit() {
        assert_eq!(to_units(dec!(1.005), 2), Some(100));
        assert_eq!(to_units(dec!(1.015), 2), Some(102));
        assert_eq!(to_units(dec!(-1.015), 2), Some(-102));
        assert_eq!(to_units(dec!(12.5), 3), Some(12_500));
        let third = Decimal::from(100) / Decimal::from(3);
        let units = to_units(third, third.scale()).unwrap() + to_units(dec!(1000), third.scale()).unwrap();
        let sum = from_units(units, third.scale()).unwrap();
        assert_eq!(Rounding::default().round(sum).to_string(), "1033.33");
        assert_eq!(from_units(7, 2).unwrap().to_string(), "0.07");
        assert_eq!(from_units(i128::MAX, 0), None);
        assert_eq!(common_scale(27, 4, 2, 2), 27);
        assert_eq!(common_scale(28, 29, 2, 2), 8);
        assert_eq!(common_scale(28, 37, 2, 2), 2);
    }

    #[test]
    fn dp_is_validated() {
        let e = r(13, RoundingStrategy::HalfEven).validate("policy.rounding").unwrap_err();
        assert_eq!((e.code(), e.path()), ("out_of_range", "policy.rounding.dp"));
    }

    #[test]
    fn split_preserves_total_including_negative_and_zero_weights() {
        let parts =
            split_largest_remainder(dec!(-100), &[dec!(1), dec!(1), dec!(1)], Rounding::default(), "w").unwrap();
        assert_eq!(parts, [dec!(-33.34), dec!(-33.33), dec!(-33.33)]);
        let parts = split_largest_remainder(dec!(10), &[dec!(0), dec!(2), dec!(1)], Rounding::default(), "w").unwrap();
        assert_eq!(parts, [dec!(0.00), dec!(6.67), dec!(3.33)]);
        let e = split_largest_remainder(dec!(10), &[dec!(0)], Rounding::default(), "w").unwrap_err();
        assert_eq!((e.code(), e.path()), ("invalid_value", "w"));
        let e = split_largest_remainder(dec!(10), &[dec!(1), dec!(-1)], Rounding::default(), "w").unwrap_err();
        assert_eq!((e.code(), e.path()), ("out_of_range", "w[1]"));
    }

    proptest::proptest! {
        #[test]
        fn split_always_sums_to_rounded_total(
            cents in -10_000_000_000i64..10_000_000_000,
            weights in proptest::collection::vec(0u32..1000, 1..12),
            dp in 0u32..4,
        ) {
            proptest::prop_assume!(weights.iter().any(|w| *w > 0));
            let rounding = r(dp, RoundingStrategy::HalfEven);
            let total = Decimal::new(cents, 2);
            let ws: Vec<Decimal> = weights.iter().map(|w| Decimal::from(*w)).collect();
            let parts = split_largest_remainder(total, &ws, rounding, "w").unwrap();
            let sum: Decimal = parts.iter().copied().sum();
            proptest::prop_assert_eq!(sum, rounding.round(total));
            for (p, w) in parts.iter().zip(&ws) {
                proptest::prop_assert_eq!(p.scale(), dp);
                // Each part is within one quantum of its exact share.
                let exact = rounding.round(total).abs() * w / ws.iter().copied().sum::<Decimal>();
                proptest::prop_assert!((p.abs() - exact).abs() < rounding.quantum());
            }
        }
    }
}
