//! Quota attainment, gap and coverage over deal columns: the forecast's own columnar pass
//! hands over its exact group × month sums and its won rows, and the quota is computed from
//! those by the same code as [`quota_attainment`](super::quota_attainment)'s. The summing
//! loop is not touched: without a quota, [`forecast_columns`](super::forecast_columns) runs
//! exactly as before.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::book::Exact;
use super::calendar::PeriodId;
use super::columns::{run, DealColumns};
use super::policy::{ForecastPolicy, Funnel};
use super::quota::{Cell, Cells, Key, Quota, QuotaPolicy, QuotaReport, Setup, WonDeal};
use super::report::{ForecastReport, GroupSlots};
use super::sums::Acc;
use crate::error::{Error, Result};
use crate::money;

/// The quotas of [`forecast_quota_columns`], and won deals kept apart from the columns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct QuotaData {
    /// Quotas per key and period.
    pub quotas: Vec<Quota>,
    /// Won deals given apart from the columns (default none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub won: Vec<WonDeal>,
}

/// A won row of the columns: its group, close day (days since 1970-01-01) and amount units.
pub(super) struct WonRow {
    pub group: usize,
    pub day: i64,
    pub units: i128,
}

/// What the forecast's columnar pass hands the quota.
#[derive(Default)]
pub(super) struct Side {
    /// Per group, its `group_by` values.
    pub keys: Vec<Vec<Option<String>>>,
    /// Per group, its month slots' exact sums (the last slot: unscheduled).
    pub group_slots: GroupSlots,
    /// The won rows, in row order.
    pub won: Vec<WonRow>,
    /// Amount units are 10^-scale.
    pub scale: u32,
    /// The unscheduled slot.
    pub unscheduled: usize,
    /// The slot id (calendar month, or week-based period) of slot 0, the month of `as_of`.
    pub slot0: i64,
}

/// The forecast of deal columns (as [`forecast_columns`](super::forecast_columns) gives it)
/// and, from the same pass, attainment, gap and pipeline coverage per `quota.group_by` key
/// and period (as [`quota_attainment`](super::quota_attainment) gives them for deal records).
///
/// The columns' `keys` are the policy's `group_by`, as for `forecast_columns`; the quota's
/// `group_by` is any of those fields (none: one company quota per period), and each of its
/// keys sums the policy's groups that share it. A won row counts in the period of its
/// `expected_close_on`. The won deals of `data.won` must have ids unique among themselves
/// (the columns carry none).
///
/// # Errors
///
/// Those of `forecast_columns`; `invalid_value` at `group_by[i]` for a quota field that is
/// not one of the policy's `group_by`; for a won row, `missing_value` or `date_after_as_of`
/// at `expected_close_on[i]`; the quota's own errors as `quota_attainment` gives them
/// (`rate_dp`, `group_by[i]`, `groups[i]`, `quotas[i]...`, `won[i]...`).
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{forecast_quota_columns, AmountColumn, DateColumn, DealColumns, ForecastPolicy, KeyColumn, QuotaData, QuotaPolicy};
/// use crmkit::wire::from_json;
///
/// let policy: ForecastPolicy = from_json(r#"{"stages": [{"name": "proposal", "probability": "0.4"},
///     {"name": "won", "kind": "won"}], "duration_unit": "days", "placement": "expected_close",
///     "group_by": ["owner"]}"#, "")?;
/// let quota: QuotaPolicy = from_json(r#"{"group_by": ["owner"], "period": "quarter"}"#, "")?;
/// let data: QuotaData = from_json(r#"{"quotas": [{"key": {"owner": "li"}, "period": "2026-Q4", "amount": "100000"}]}"#, "")?;
/// let (stages, owners) = (["proposal".to_owned(), "won".to_owned()], ["li".to_owned()]);
/// // 2026-10-15 and 2026-12-10 as days since 1970-01-01.
/// let close = [20_741, 20_797];
/// let columns = DealColumns {
///     stage: &[1, 0],
///     stage_labels: &stages,
///     amount: AmountColumn::Units { units: &[30_000, 80_000], scale: 0 },
///     entered_stage_on: None,
///     expected_close_on: Some(DateColumn::Days(&close)),
///     snoozed_until: None,
///     last_activity_on: None,
///     keys: vec![KeyColumn { codes: &[0, 0], labels: &owners }.into()],
///     probability: None,
///     category: None,
/// };
/// let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
/// let (forecast, report) = forecast_quota_columns(&policy, &quota, &columns, &data, as_of)?;
/// assert_eq!(forecast.totals.open.weighted.to_string(), "32000.00");
/// let li = &report.lines[0];
/// assert_eq!(li.attainment.unwrap().to_string(), "0.3000");
/// // 80,000 open for the 70,000 to go; 32,000 of it weighted.
/// assert_eq!((li.coverage.unwrap().to_string(), li.weighted_coverage.unwrap().to_string()), ("1.1429".into(), "0.4571".into()));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn forecast_quota_columns(
    policy: &ForecastPolicy,
    quota: &QuotaPolicy,
    columns: &DealColumns,
    data: &QuotaData,
    as_of: NaiveDate,
) -> Result<(ForecastReport, QuotaReport)> {
    let setup = Setup::new(policy, quota)?;
    // Where each quota field sits in the groups' keys.
    let fields = quota
        .group_by
        .iter()
        .enumerate()
        .map(|(i, field)| {
            policy.group_by.iter().position(|g| g == field).ok_or_else(|| Error::InvalidValue {
                path: format!("group_by[{i}]"),
                reason: format!(
                    "{field:?} is not one of the policy's group_by fields {:?} (the key columns)",
                    policy.group_by
                ),
            })
        })
        .collect::<Result<Vec<usize>>>()?;
    let funnel = Funnel::new(policy)?;
    let mut side = Side::default();
    let (report, _) = run(&funnel, columns, as_of, &|i, field| format!("{field}[{i}]"), 1, Some(&mut side))?;
    let cells = cells(&side, &setup, &fields)?;
    let quota_report = setup.finish(policy.rounding, cells, (&data.won, &data.quotas), HashMap::new(), as_of)?;
    Ok((report, quota_report))
}

/// The deals' sums per quota key and period: each group's month slots rolled up into the
/// quota's periods, and the won rows in the periods of their close dates.
fn cells(side: &Side, setup: &Setup, fields: &[usize]) -> Result<Cells> {
    let periods = setup.periods;
    let mut out = Cells::default();
    // Per group, the key it counts under (several groups may share one).
    let keys: Vec<Key> =
        side.keys.iter().map(|k| fields.iter().map(|&f| k.get(f).cloned().flatten()).collect()).collect();
    let exact = |a: &Acc| Exact { deals: a.deals, amount: a.amount, weighted: a.weighted };
    for (g, slots) in side.group_slots.iter().enumerate() {
        // Slots are in order, so a period's slots are consecutive: one map entry per period.
        let mut current: Option<(PeriodId, Exact)> = None;
        for (slot, acc) in slots {
            if *slot >= side.unscheduled {
                out.unscheduled.merge(&exact(acc), &|| "totals".into())?;
                continue;
            }
            let p = periods.of_slot(side.slot0 + *slot as i64);
            match &mut current {
                Some((q, sums)) if *q == p => sums.merge(&exact(acc), &|| "totals".into())?,
                _ => {
                    if let Some((q, sums)) = current.replace((p, exact(acc))) {
                        open(&mut out.cells, &keys[g], q, &sums)?;
                    }
                }
            }
        }
        if let Some((q, sums)) = current {
            open(&mut out.cells, &keys[g], q, &sums)?;
        }
    }
    for ((g, p), (deals, units)) in won_sums(side, periods)? {
        let amount = money::from_units(units, side.scale).ok_or_else(|| Error::overflow("totals"))?;
        let cell = out.cells.entry((keys[g].clone(), p)).or_default();
        cell.won.merge(&Exact { deals, amount, weighted: amount }, &|| "totals".into())?;
    }
    Ok(out)
}

/// The won rows summed per (group, period): (deals, amount units), in group then period
/// order. Each row's period comes from a table over the rows' days and its sum goes to a
/// group × period table, when those tables are no larger than the rows justify (a few
/// nanoseconds a row); else from the calendar and a map.
fn won_sums(side: &Side, periods: super::calendar::Periods) -> Result<Vec<WonSum>> {
    let rows = &side.won;
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let budget = (rows.len() as u64).saturating_mul(4).saturating_add(65_536);
    let period_of = |day: i64| -> Result<PeriodId> {
        let on = super::columns::epoch_day(day).ok_or_else(|| Error::overflow("expected_close_on"))?;
        Ok(periods.of_day(on))
    };
    let (lo, hi) = rows.iter().fold((first.day, first.day), |(lo, hi), r| (lo.min(r.day), hi.max(r.day)));
    let span = hi.abs_diff(lo).saturating_add(1);
    let mut by_row = Vec::with_capacity(rows.len());
    if span <= budget {
        // Days are sorted here: one period per day, the calendar asked once per period change.
        let mut table = Vec::with_capacity(span as usize);
        for day in lo..=hi {
            table.push(period_of(day)?);
        }
        by_row.extend(rows.iter().map(|r| table[(r.day - lo) as usize]));
    } else {
        for r in rows {
            by_row.push(period_of(r.day)?);
        }
    }
    let (p_lo, p_hi) = by_row.iter().fold((by_row[0], by_row[0]), |(lo, hi), &p| (lo.min(p), hi.max(p)));
    let n_periods = p_hi.abs_diff(p_lo).saturating_add(1);
    let n_groups = side.keys.len().max(1) as u64;
    let mut out = Vec::new();
    let add = |cell: &mut (u64, i128), units: i128| -> Result<()> {
        cell.0 += 1;
        cell.1 = cell.1.checked_add(units).ok_or_else(|| Error::overflow("totals"))?;
        Ok(())
    };
    if n_groups.saturating_mul(n_periods) <= budget {
        let width = n_periods as usize;
        let mut table = vec![(0u64, 0i128); n_groups as usize * width];
        for (r, &p) in rows.iter().zip(&by_row) {
            add(&mut table[r.group * width + (p - p_lo) as usize], r.units)?;
        }
        for (k, cell) in table.into_iter().enumerate() {
            if cell.0 > 0 {
                out.push(((k / width, p_lo + (k % width) as i64), cell));
            }
        }
    } else {
        let mut map: BTreeMap<(usize, PeriodId), (u64, i128)> = BTreeMap::new();
        for (r, &p) in rows.iter().zip(&by_row) {
            add(map.entry((r.group, p)).or_default(), r.units)?;
        }
        out.extend(map);
    }
    Ok(out)
}

/// A group's won deals in a period: ((group, period), (deals, amount units)).
type WonSum = ((usize, PeriodId), (u64, i128));

/// Adds a group's placed sums of period `p` to its key's cell.
fn open(cells: &mut BTreeMap<(Key, PeriodId), Cell>, key: &Key, p: PeriodId, sums: &Exact) -> Result<()> {
    cells.entry((key.clone(), p)).or_default().open.merge(sums, &|| "totals".into())
}
