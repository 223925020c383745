//! Forecast ranges: seeded Monte Carlo over the open deals, each won or lost at its
//! probability, giving P10 / P50 / P90 (any quantiles) of the total and of each month.
//!
//! The weighted pipeline is an average; with a few large deals the month is more likely to
//! come in well below or above it. Every draw comes from splitmix64 seeded by the caller and
//! is compared with the deal's probability as an exact integer threshold, so the same seed
//! gives the same ranges in Rust, Python and JS.

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{forecast, Deal, ForecastPolicy, Reason};
use crate::error::{Error, Result};
use crate::money;

/// How to simulate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct RangeSettings {
    /// Simulated outcomes, 1 to 100,000.
    pub simulations: u32,
    /// Seed of the draws: the same seed, the same ranges. An integer or a decimal string
    /// (a JS `BigInt` or string beyond 2^53).
    #[serde(with = "crate::wire::uint")]
    #[cfg_attr(feature = "typescript", tsify(type = "number | bigint | string"))]
    pub seed: u64,
    /// Quantiles to report, each in [0, 1] (default P10, P50, P90). Nearest rank: the
    /// `ceil(q × simulations)`-th smallest outcome (the smallest for q = 0).
    #[serde(default = "RangeSettings::default_quantiles")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal[]"))]
    pub quantiles: Vec<QuantileValue>,
}

/// A quantile as a decimal string on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(transparent)]
pub struct QuantileValue(#[serde(with = "crate::wire::decimal")] pub Decimal);

impl RangeSettings {
    fn default_quantiles() -> Vec<QuantileValue> {
        [1, 5, 9].map(|d| QuantileValue(Decimal::new(d, 1))).to_vec()
    }
}

/// What [`forecast_ranges`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct RangeReport {
    /// Simulations run.
    pub simulations: u32,
    /// The seed used, as a decimal string (exact in JS beyond 2^53).
    #[serde(with = "crate::wire::uint")]
    #[cfg_attr(feature = "typescript", tsify(type = "string"))]
    pub seed: u64,
    /// The quantiles, in the order of every line's `values`.
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal[]"))]
    pub quantiles: Vec<QuantileValue>,
    /// Won amount of the open deals over all months (unscheduled deals included).
    pub total: RangeLine,
    /// Per month the forecast schedules deals in, as in [`forecast`]'s `months`.
    pub months: Vec<RangeLine>,
}

/// The simulated distribution of one amount.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct RangeLine {
    /// `YYYY-MM`, or `null` for the total.
    pub month: Option<String>,
    /// The weighted amount (the expected value) the forecast gives.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub weighted: Decimal,
    /// Mean of the simulated outcomes.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub mean: Decimal,
    /// The outcome at each quantile.
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal[]"))]
    pub values: Vec<QuantileValue>,
}

pub(super) const MAX_SIMULATIONS: u32 = 100_000;
/// Simulations × open deals above this would take seconds: refused rather than slow.
pub(super) const MAX_DRAWS: u64 = 200_000_000;

/// Simulates the open deals of `deals` under `policy` (placed as [`forecast`] places them)
/// `settings.simulations` times and reports the quantiles of the won amount, in total and
/// per month, beside the weighted forecast.
///
/// # Errors
///
/// As [`forecast`]; `out_of_range` at `simulations` (1 to 100,000, and at most 200 million
/// deal draws) or `quantiles[i]` (0 to 1).
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{forecast_ranges, Deal, ForecastPolicy, RangeSettings};
///
/// let policy: ForecastPolicy = crmkit::wire::from_json(r#"{"stages": [
///     {"name": "open", "conversion": "0.5", "duration": "10"}, {"name": "won", "kind": "won"}],
///     "duration_unit": "days", "placement": "remaining_full"}"#, "")?;
/// let deals: Vec<Deal> = crmkit::wire::from_json(r#"[{"id": "big", "stage": "open", "amount": "1000"}]"#, "deals")?;
/// let settings: RangeSettings = crmkit::wire::from_json(r#"{"simulations": 1000, "seed": 7}"#, "")?;
/// let r = forecast_ranges(&policy, &settings, &deals, chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap())?;
/// // One deal at 50 %: the weighted 500 never happens; P10 is 0 and P90 the whole 1000.
/// assert_eq!(r.total.weighted.to_string(), "500.00");
/// assert_eq!((r.total.values[0].0.to_string(), r.total.values[2].0.to_string()), ("0.00".into(), "1000.00".into()));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn forecast_ranges(
    policy: &ForecastPolicy,
    settings: &RangeSettings,
    deals: &[Deal],
    as_of: NaiveDate,
) -> Result<RangeReport> {
    if settings.simulations == 0 || settings.simulations > MAX_SIMULATIONS {
        return Err(Error::out_of_range("simulations", settings.simulations, 1, MAX_SIMULATIONS));
    }
    crate::limits::check("quantiles", settings.quantiles.len(), crate::limits::MAX_QUANTILES, "quantiles")?;
    for (i, q) in settings.quantiles.iter().enumerate() {
        if q.0 < Decimal::ZERO || q.0 > Decimal::ONE {
            return Err(Error::out_of_range(format!("quantiles[{i}]"), q.0, 0, 1));
        }
    }
    let report = forecast(policy, deals, as_of)?;
    // Open deals, scheduled or not (closed ones are already won or lost).
    let open: Vec<_> =
        report.deals.iter().filter(|d| d.reasons.first() == Some(&Reason::WeightedByStageProbability)).collect();
    let draws = u64::from(settings.simulations) * open.len() as u64;
    if draws > MAX_DRAWS {
        return Err(Error::out_of_range(
            "simulations",
            settings.simulations,
            1,
            MAX_DRAWS / (open.len() as u64).max(1),
        ));
    }
    // Amounts as integer units at one scale; each month a column of outcomes.
    let (places, digits) =
        open.iter().fold((0, 0), |(p, g), d| (d.amount.scale().max(p), money::integer_digits(d.amount).max(g)));
    let scale = money::common_scale(places, digits, open.len(), policy.rounding.dp);
    let months: Vec<&str> = report.months.iter().map(|m| &*m.month).collect();
    let mut rows = Vec::with_capacity(open.len());
    for d in &open {
        let units = money::to_units(d.amount, scale).ok_or_else(|| Error::overflow("deals"))?;
        let month = d.month.as_deref().and_then(|m| months.iter().position(|x| *x == m));
        rows.push((threshold(d.probability), units, month));
    }
    crate::limits::product(
        "simulations",
        &[u64::from(settings.simulations), months.len() as u64 + 1],
        crate::limits::MAX_OUTCOMES,
        "simulated outcomes (simulations × (months + 1))",
    )?;
    let n = settings.simulations as usize;
    // Draw `r` of simulation `sim` is mix(base(sim) + (r + 1) × GOLDEN): any subset of the
    // rows can be replayed alone. The total runs over all rows, then each month over its own
    // rows, so only one column of outcomes is held at a time (not months × simulations).
    let table = rows;
    let base = |sim: usize| settings.seed ^ (sim as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    let simulate = |rows: &[usize], outcomes: &mut Vec<i128>| -> Result<()> {
        outcomes.clear();
        for sim in 0..n {
            let b = base(sim);
            let mut won = 0i128;
            for &r in rows {
                let (threshold, units, _) = table[r];
                let state = b.wrapping_add((r as u64).wrapping_add(1).wrapping_mul(GOLDEN));
                if u128::from(mix(state)) < threshold {
                    won = won.checked_add(units).ok_or_else(|| Error::overflow("totals"))?;
                }
            }
            outcomes.push(won);
        }
        Ok(())
    };
    let all: Vec<usize> = (0..table.len()).collect();
    let mut totals = Vec::with_capacity(n);
    simulate(&all, &mut totals)?;
    let rounding = policy.rounding;
    let line = |month: Option<String>, weighted: Decimal, outcomes: &mut Vec<i128>| -> Result<RangeLine> {
        outcomes.sort_unstable();
        let decimal = |u: i128| money::from_units(u, scale).ok_or_else(|| Error::overflow("totals"));
        let sum = outcomes.iter().try_fold(0i128, |a, &b| a.checked_add(b)).ok_or_else(|| Error::overflow("totals"))?;
        // Divided in integers first: the sum of 100 outcomes of a 1e28 deal does not fit a
        // Decimal, their mean does.
        let n = outcomes.len().max(1) as i128;
        let (whole, rest) = (decimal(sum / n)?, decimal(sum % n)?);
        let mean = rest
            .checked_div(Decimal::from(n))
            .and_then(|r| whole.checked_add(r))
            .ok_or_else(|| Error::overflow("totals"))?;
        let values = settings
            .quantiles
            .iter()
            .map(|q| {
                let rank = (q.0 * Decimal::from(outcomes.len())).ceil().to_usize().unwrap_or(0);
                let index = rank.max(1) - 1;
                decimal(outcomes[index.min(outcomes.len() - 1)]).map(|v| QuantileValue(rounding.round(v)))
            })
            .collect::<Result<_>>()?;
        Ok(RangeLine { month, weighted, mean: rounding.round(mean), values })
    };
    let total = line(None, report.totals.open.weighted, &mut totals)?;
    let mut in_month: Vec<Vec<usize>> = vec![Vec::new(); months.len()];
    for (r, &(_, _, month)) in table.iter().enumerate() {
        if let Some(m) = month {
            in_month[m].push(r);
        }
    }
    let mut outcomes = totals;
    let months = report
        .months
        .iter()
        .zip(&in_month)
        .map(|(m, rows)| {
            simulate(rows, &mut outcomes)?;
            line(Some(m.month.to_string()), m.sums.weighted, &mut outcomes)
        })
        .collect::<Result<_>>()?;
    Ok(RangeReport {
        simulations: settings.simulations,
        seed: settings.seed,
        quantiles: settings.quantiles.clone(),
        total,
        months,
    })
}

pub(super) const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `floor(p × 2^64)` exactly: a draw `u` (uniform below 2^64) wins when `u < threshold`,
/// with probability exactly `threshold / 2^64`.
pub(super) fn threshold(p: Decimal) -> u128 {
    let (m, d) = (p.mantissa().unsigned_abs(), 10u128.pow(p.scale()));
    // floor(m * 2^64 / d) in two 32-bit steps: m % d < d <= 10^28 < 2^94, so no step overflows.
    let (whole, rest) = (m / d, m % d);
    let high = (rest << 32) / d;
    let low = ((((rest << 32) % d) << 32) / d) & 0xFFFF_FFFF;
    (whole << 64) + (high << 32) + low
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_exact() {
        let t = |s: &str| threshold(s.parse().unwrap());
        assert_eq!(t("0"), 0);
        assert_eq!(t("1"), 1u128 << 64);
        assert_eq!(t("0.5"), 1u128 << 63);
        assert_eq!(t("0.25"), 1u128 << 62);
        assert_eq!(t("0.1"), (1u128 << 64) / 10);
        assert_eq!(t("0.0000000000000000000000000001"), (1u128 << 64) / 10u128.pow(28));
        assert_eq!(t("0.9999999999999999999999999999"), (1u128 << 64) - 1);
    }
}
