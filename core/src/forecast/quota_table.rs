//! A [`QuotaReport`]'s lines as columns, for callers that hand them on as typed arrays (JS) or
//! numpy arrays (Python) rather than as one object per line: money as integer units of the
//! policy's places, rates as integer units of the quota's `rate_dp`, each null cell marked in
//! a mask, keys and periods as indexes. Every figure is the line's own, exactly.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::quota::{QuotaLine, QuotaReason, QuotaReport};
use crate::error::{Error, Result};

/// The reason lists a quota line can have, in a fixed order: [`QuotaTable::reasons`] indexes
/// them.
pub const QUOTA_REASON_LISTS: [&[QuotaReason]; 5] = [
    &[QuotaReason::NoQuota],
    &[QuotaReason::QuotaSet],
    &[QuotaReason::QuotaSet, QuotaReason::QuotaMet],
    &[QuotaReason::QuotaSet, QuotaReason::ZeroQuota],
    &[QuotaReason::QuotaSet, QuotaReason::ZeroQuota, QuotaReason::QuotaMet],
];

/// One figure per line as integer units, with the lines where it is null (`null` in the
/// report: 0 in `units`, `true` in `missing`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnitColumn {
    /// The figure as integer units of 10^-scale.
    pub units: Vec<i64>,
    /// Per line, whether the figure is null (empty for a column that is never null).
    pub missing: Vec<bool>,
}

impl UnitColumn {
    fn with_capacity(n: usize, nullable: bool) -> Self {
        Self { units: Vec::with_capacity(n), missing: if nullable { Vec::with_capacity(n) } else { Vec::new() } }
    }

    /// Appends `figure` as units of 10^-`scale` (null: 0, marked missing); `overflow` at `at()`
    /// when it is not a whole number of units within 64 bits.
    pub(crate) fn push(&mut self, figure: Option<Decimal>, scale: u32, at: impl FnOnce() -> String) -> Result<()> {
        let units = match figure {
            Some(d) => exact_units(d, scale).ok_or_else(|| Error::Overflow { path: at() })?,
            None => 0,
        };
        self.units.push(units);
        self.missing.push(figure.is_none());
        Ok(())
    }
}

/// The lines of a [`QuotaReport`] as columns (see [`QuotaTable::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QuotaTable {
    /// Decimal places of the money columns (the forecast policy's `rounding.dp`).
    pub scale: u32,
    /// Decimal places of the rate columns (the quota policy's `rate_dp`).
    pub rate_scale: u32,
    /// The distinct keys, in line order (sorted): [`QuotaTable::key`] indexes them.
    pub keys: Vec<Arc<BTreeMap<String, Option<String>>>>,
    /// Per line, its key: an index into `keys`.
    pub key: Vec<u32>,
    /// Per line, its period: an index into the report's `totals` (one line per period, in
    /// order; its `period`, `first_month` and `last_month` are the line's).
    pub period: Vec<u32>,
    /// The quota (missing: none set).
    pub quota: UnitColumn,
    /// `quota − won` (missing: no quota).
    pub gap: UnitColumn,
    /// Won deals.
    pub won_deals: Vec<u64>,
    /// Their amount (their weighted amount is the same).
    pub won_amount: Vec<i64>,
    /// Open deals placed in the period.
    pub open_deals: Vec<u64>,
    /// Their amount.
    pub open_amount: Vec<i64>,
    /// Their weighted amount.
    pub open_weighted: Vec<i64>,
    /// `won ÷ quota` as units of 10^-`rate_scale` (missing where the report's is null, as
    /// for the other rates).
    pub attainment: UnitColumn,
    /// `open.amount ÷ gap`.
    pub coverage: UnitColumn,
    /// `open.weighted ÷ gap`.
    pub weighted_coverage: UnitColumn,
    /// Per line, its reasons: an index into [`QUOTA_REASON_LISTS`].
    pub reasons: Vec<u8>,
}

impl QuotaTable {
    /// The lines of `report` (from a forecast policy rounding to `scale` places and a quota
    /// policy with `rate_dp` = `rate_scale`) as columns.
    ///
    /// # Errors
    ///
    /// `overflow` at `lines[i].{field}` for a figure beyond 64-bit units; `invalid_value` at
    /// `lines[i].period` for a line whose period has no totals line (not a report of
    /// `quota_attainment` / `forecast_quota_columns`).
    ///
    /// # Examples
    ///
    /// ```
    /// use crmkit::forecast::{quota_attainment, ForecastPolicy, QuotaInput, QuotaPolicy, QuotaTable};
    /// use crmkit::wire::from_json;
    ///
    /// let policy: ForecastPolicy = from_json(r#"{"stages": [
    ///     {"name": "proposal", "conversion": "0.5", "duration": "20"}, {"name": "won", "kind": "won"}],
    ///     "duration_unit": "days", "placement": "remaining_full"}"#, "")?;
    /// let quota: QuotaPolicy = from_json(r#"{"group_by": ["owner"], "period": "quarter"}"#, "")?;
    /// let input: QuotaInput = from_json(r#"{
    ///   "deals": [{"id": "a", "stage": "won", "amount": "30000", "owner": "li", "expected_close_on": "2026-10-15"}],
    ///   "quotas": [{"key": {"owner": "li"}, "period": "2026-Q4", "amount": "100000"}]}"#, "")?;
    /// let r = quota_attainment(&policy, &quota, &input, chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap())?;
    /// let t = QuotaTable::new(&r, policy.rounding.dp, quota.rate_dp)?;
    /// assert_eq!((t.quota.units[0], t.gap.units[0], t.attainment.units[0]), (10_000_000, 7_000_000, 3_000));
    /// // Nothing open: coverage 0, not null.
    /// assert_eq!((t.coverage.units[0], t.coverage.missing[0]), (0, false));
    /// # Ok::<(), crmkit::Error>(())
    /// ```
    pub fn new(report: &QuotaReport, scale: u32, rate_scale: u32) -> Result<Self> {
        let n = report.lines.len();
        let periods: HashMap<&str, u32> = report.totals.iter().zip(0u32..).map(|(t, i)| (&*t.period, i)).collect();
        let mut t = Self {
            scale,
            rate_scale,
            keys: Vec::new(),
            key: Vec::with_capacity(n),
            period: Vec::with_capacity(n),
            quota: UnitColumn::with_capacity(n, true),
            gap: UnitColumn::with_capacity(n, true),
            won_deals: Vec::with_capacity(n),
            won_amount: Vec::with_capacity(n),
            open_deals: Vec::with_capacity(n),
            open_amount: Vec::with_capacity(n),
            open_weighted: Vec::with_capacity(n),
            attainment: UnitColumn::with_capacity(n, true),
            coverage: UnitColumn::with_capacity(n, true),
            weighted_coverage: UnitColumn::with_capacity(n, true),
            reasons: Vec::with_capacity(n),
        };
        for (i, line) in report.lines.iter().enumerate() {
            let at = |field: &str| format!("lines[{i}].{field}");
            // A key's lines are consecutive and share its map; an equal map also is the key.
            if t.keys.last().is_none_or(|k| !Arc::ptr_eq(k, &line.key) && **k != *line.key) {
                t.keys.push(Arc::clone(&line.key));
            }
            t.key.push(u32::try_from(t.keys.len() - 1).map_err(|_| Error::overflow(at("key")))?);
            let period = periods.get(&*line.period).ok_or_else(|| Error::InvalidValue {
                path: at("period"),
                reason: format!("{:?} has no totals line", &*line.period),
            })?;
            t.period.push(*period);
            t.push_line(line, &at)?;
        }
        Ok(t)
    }

    fn push_line(&mut self, line: &QuotaLine, at: &dyn Fn(&str) -> String) -> Result<()> {
        let (scale, rates) = (self.scale, self.rate_scale);
        let money = |d: Decimal, field: &str| exact_units(d, scale).ok_or_else(|| Error::overflow(at(field)));
        self.quota.push(line.quota, scale, || at("quota"))?;
        self.gap.push(line.gap, scale, || at("gap"))?;
        self.won_deals.push(line.won.deals);
        self.won_amount.push(money(line.won.amount, "won.amount")?);
        self.open_deals.push(line.open.deals);
        self.open_amount.push(money(line.open.amount, "open.amount")?);
        self.open_weighted.push(money(line.open.weighted, "open.weighted")?);
        self.attainment.push(line.attainment, rates, || at("attainment"))?;
        self.coverage.push(line.coverage, rates, || at("coverage"))?;
        self.weighted_coverage.push(line.weighted_coverage, rates, || at("weighted_coverage"))?;
        let reasons =
            QUOTA_REASON_LISTS.iter().position(|r| *r == line.reasons).ok_or_else(|| Error::InvalidValue {
                path: at("reasons"),
                reason: format!("{:?} is not one of a quota line's reason lists", line.reasons),
            })?;
        // Five lists: the index fits.
        self.reasons.push(reasons as u8);
        Ok(())
    }
}

/// `d` as integer units of 10^-`scale`, exactly (`None` when it has more places than that, or
/// the units pass 64 bits): a report's figure, which has `scale` places, as the integer a
/// columnar output carries.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::exact_units;
/// use crmkit::Decimal;
///
/// assert_eq!(exact_units(Decimal::new(1234, 2), 2), Some(1234));
/// assert_eq!(exact_units(Decimal::new(7, 0), 2), Some(700));
/// assert_eq!(exact_units(Decimal::new(12_345, 3), 2), None);
/// ```
#[must_use]
pub fn exact_units(d: Decimal, scale: u32) -> Option<i64> {
    let (mantissa, places) = (d.mantissa(), d.scale());
    // Report figures are rounded to `scale` places: never more places than that, and
    // nearly always exactly that many (no i128 arithmetic, which is slow on wasm32).
    let exact = match places.cmp(&scale) {
        std::cmp::Ordering::Equal => Some(mantissa),
        std::cmp::Ordering::Less => 10i128.checked_pow(scale - places).and_then(|p| mantissa.checked_mul(p)),
        std::cmp::Ordering::Greater => {
            10i128.checked_pow(places - scale).filter(|p| mantissa % p == 0).map(|p| mantissa / p)
        }
    };
    exact.and_then(|u| i64::try_from(u).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::{quota_attainment, ForecastPolicy, QuotaInput, QuotaPolicy};
    use crate::wire::from_json;

    fn report(quotas: &str, rounding: &str) -> (QuotaReport, u32, u32) {
        let policy: ForecastPolicy = from_json(
            &format!(
                r#"{{"stages": [{{"name": "proposal", "conversion": "0.5", "duration": "20"}},
                {{"name": "won", "kind": "won"}}], "duration_unit": "days", "placement": "remaining_full"{rounding}}}"#
            ),
            "",
        )
        .unwrap();
        let quota: QuotaPolicy = from_json(r#"{"group_by": ["owner"], "period": "month", "rate_dp": 3}"#, "").unwrap();
        let input: QuotaInput = from_json(
            &format!(
                r#"{{"deals": [
                {{"id": "a", "stage": "won", "amount": "30000.125", "owner": "li", "expected_close_on": "2026-10-15"}},
                {{"id": "b", "stage": "proposal", "amount": "80000", "owner": "li"}},
                {{"id": "c", "stage": "proposal", "amount": "333.333", "owner": "mo"}},
                {{"id": "d", "stage": "won", "amount": "5", "expected_close_on": "2026-11-01"}}],
                "quotas": {quotas}}}"#
            ),
            "",
        )
        .unwrap();
        let r =
            quota_attainment(&policy, &quota, &input, chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()).unwrap();
        (r, policy.rounding.dp, quota.rate_dp)
    }

    /// Every cell of the table is its line's figure, read back as the report's `Decimal`.
    fn check(r: &QuotaReport, t: &QuotaTable) {
        let back = |u: i64, s: u32| Decimal::new(u, s);
        let opt = |c: &UnitColumn, i: usize, s: u32| (!c.missing[i]).then(|| back(c.units[i], s));
        assert_eq!(t.key.len(), r.lines.len());
        for (i, l) in r.lines.iter().enumerate() {
            assert_eq!(*t.keys[t.key[i] as usize], *l.key, "line {i}");
            assert_eq!(r.totals[t.period[i] as usize].period, l.period);
            assert_eq!(opt(&t.quota, i, t.scale), l.quota);
            assert_eq!(opt(&t.gap, i, t.scale), l.gap);
            assert_eq!(back(t.won_amount[i], t.scale), l.won.amount);
            assert_eq!((t.won_deals[i], t.open_deals[i]), (l.won.deals, l.open.deals));
            assert_eq!(back(t.open_amount[i], t.scale), l.open.amount);
            assert_eq!(back(t.open_weighted[i], t.scale), l.open.weighted);
            assert_eq!(opt(&t.attainment, i, t.rate_scale), l.attainment);
            assert_eq!(opt(&t.coverage, i, t.rate_scale), l.coverage);
            assert_eq!(opt(&t.weighted_coverage, i, t.rate_scale), l.weighted_coverage);
            assert_eq!(QUOTA_REASON_LISTS[t.reasons[i] as usize], l.reasons);
        }
    }

    #[test]
    fn every_figure_is_the_lines() {
        let quotas = r#"[{"key": {"owner": "li"}, "period": "2026-10", "amount": "100000"},
            {"key": {"owner": "li"}, "period": "2026-11", "amount": "0"},
            {"key": {"owner": "mo"}, "period": "2026-11", "amount": "0.015"},
            {"key": {"owner": "mo"}, "period": "2026-12", "amount": "1"}]"#;
        for rounding in ["", r#", "rounding": {"dp": 0, "strategy": "half_up"}"#, r#", "rounding": {"dp": 4}"#] {
            let (r, scale, rates) = report(quotas, rounding);
            let t = QuotaTable::new(&r, scale, rates).unwrap();
            assert!(r.lines.len() >= 5 && t.keys.len() == 3, "{:?}", t.keys);
            // Every reason list but one (a zero quota already met) is reached.
            let mut seen: Vec<u8> = t.reasons.clone();
            seen.sort_unstable();
            seen.dedup();
            assert!(seen.len() >= 3, "{seen:?}");
            check(&r, &t);
        }
    }

    #[test]
    fn overflow_names_the_line_and_figure() {
        let quotas = r#"[{"key": {"owner": "li"}, "period": "2026-10", "amount": "100000000000000000"}]"#;
        let (r, scale, rates) = report(quotas, "");
        let i = r.lines.iter().position(|l| l.quota.is_some()).unwrap();
        let want = format!("lines[{i}].quota");
        assert!(matches!(QuotaTable::new(&r, scale, rates), Err(Error::Overflow { path }) if path == want));
    }

    #[test]
    fn units_only_where_exact() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(exact_units(d("12.34"), 2), Some(1234));
        assert_eq!(exact_units(d("12"), 2), Some(1200));
        assert_eq!(exact_units(d("12.340"), 2), Some(1234));
        assert_eq!(exact_units(d("12.345"), 2), None);
        assert_eq!(exact_units(d("-0.5"), 1), Some(-5));
    }
}
