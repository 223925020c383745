//! Quota attainment, gap and coverage over deal columns: the forecast's own columnar pass
//! hands over its exact group × month sums and its won rows, and the quota is computed from
//! those by the same code as [`quota_attainment`](super::quota_attainment)'s. Without a quota,
//! [`forecast_columns`](super::forecast_columns) runs exactly as before; with one under
//! `expected_close`, the fast lane sums the won rows per group and period too (a loop form of
//! its own, see `Kernel::won_cols`), else a pass over the won rows does ([`WonSums::new`]).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::book::Exact;
use super::calendar::{PeriodId, Periods};
use super::columns::{run, DealColumns, RowPath};
use super::inputs::{day_of, Days};
use super::policy::{ForecastPolicy, Funnel};
use super::quota::{decimal_sum, Cell, Cells, Quota, QuotaPolicy, QuotaReport, Setup, Won, WonDeal};
use super::report::{ForecastReport, GroupSlots};
use super::sums::Acc;
use crate::error::{Error, Result};
use crate::money;

/// The quotas of [`forecast_quota_columns`], and won deals kept apart from the columns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct QuotaData {
    /// Quotas per key and period.
    pub quotas: Vec<Quota>,
    /// Won deals given apart from the columns (default none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub won: Vec<WonDeal>,
}

/// What the forecast's columnar pass hands the quota.
pub(super) struct Side {
    /// The quota's periods (set by the caller: the pass sums the won rows in them).
    pub periods: Periods,
    /// Per group, its `group_by` values.
    pub keys: Vec<Vec<Option<String>>>,
    /// Per group, its month slots' exact sums (the last slot: unscheduled).
    pub group_slots: GroupSlots,
    /// The won rows summed per group and period.
    pub won: WonSums,
    /// Amount units are 10^-scale.
    pub scale: u32,
    /// The unscheduled slot.
    pub unscheduled: usize,
    /// The slot id (calendar month, or week-based period) of slot 0, the month of `as_of`.
    pub slot0: i64,
}

impl Side {
    fn new(periods: Periods) -> Self {
        Self {
            periods,
            keys: Vec::new(),
            group_slots: GroupSlots::new(),
            won: WonSums::default(),
            scale: 0,
            unscheduled: 0,
            slot0: 0,
        }
    }
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
/// use crmkit::forecast::{forecast_quota_columns, AmountColumn, DateColumn, DealColumns, ForecastPolicy, KeyColumn, QuotaData, QuotaPolicy, StageCodes};
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
///     stage: StageCodes::I32(&[1, 0]),
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
    let mut side = Side::new(setup.periods);
    let (report, _) = run(&funnel, columns, as_of, &|i, field| format!("{field}[{i}]"), 1, Some(&mut side), None)?;
    let cells = cells(side, &setup, &fields)?;
    let quota_report = setup.finish(policy.rounding, cells, (&data.won, &data.quotas), HashMap::new(), as_of)?;
    Ok((report, quota_report))
}

/// The deals' sums per quota key and period: each group's month slots rolled up into the
/// quota's periods, and the won rows' sums, under the quota key of their group.
fn cells(side: Side, setup: &Setup, fields: &[usize]) -> Result<Cells> {
    let periods = setup.periods;
    let Side { keys, group_slots, won, scale, unscheduled: first_unscheduled, slot0, .. } = side;
    let mut out = Cells::with_capacity(keys.len());
    // Per group, the id of the key it counts under (several groups may share one): the
    // group's values of the quota's fields, moved (a quota names each field once).
    let ids: Vec<usize> = keys
        .into_iter()
        .map(|mut k| {
            let key = if fields.iter().copied().eq(0..k.len()) {
                k
            } else {
                fields.iter().map(|&f| k.get_mut(f).and_then(Option::take)).collect()
            };
            out.id_owned(key)
        })
        .collect();
    // The sums of some slots, as adding them one after another gives them.
    let exact = |accs: &[&Acc]| -> Result<Exact> {
        let sum =
            |x: fn(&Acc) -> Decimal| decimal_sum(accs.iter().map(|a| x(a))).ok_or_else(|| Error::overflow("totals"));
        let deals = accs.iter().fold(0u64, |d, a| d.saturating_add(a.deals));
        Ok(Exact { deals, amount: sum(|a| a.amount)?, weighted: sum(|a| a.weighted)? })
    };
    // The period of each scheduled slot, asked of the calendar once.
    let by_slot: Vec<PeriodId> = (0..first_unscheduled).map(|slot| periods.of_slot(slot0 + slot as i64)).collect();
    let period = |slot: usize| by_slot[slot];
    let mut later = Vec::new();
    let mut run = Vec::new();
    // A group's won sums per period, in period order.
    let mut won_periods: Vec<(PeriodId, u64, i128)> = Vec::new();
    let won_cell = |&(p, deals, units): &(PeriodId, u64, i128)| -> Result<(PeriodId, Won)> {
        Ok((p, Won { deals, amount: money::from_units(units, scale).ok_or_else(|| Error::overflow("totals"))? }))
    };
    for (g, slots) in group_slots.iter().enumerate() {
        // Slots are in order (unscheduled last), so a period's slots are consecutive: one
        // cell per period.
        let (scheduled, unscheduled) = slots.split_at(slots.partition_point(|(slot, _)| *slot < first_unscheduled));
        later.extend(unscheduled.iter().map(|(_, acc)| acc));
        won_periods.clear();
        won.each_of(g, |p, deals, units| {
            won_periods.push((p, deals, units));
            Ok(())
        })?;
        // The group's cells in period order, the open periods and the won ones merged as
        // they come (no cell moved): a list of about their own length.
        let runs = scheduled.chunk_by(|(a, _), (b, _)| period(*a) == period(*b));
        let mut cells: Vec<(PeriodId, Cell)> = Vec::with_capacity(runs.clone().count() + won_periods.len());
        let mut won_left = won_periods.iter().peekable();
        for slots in runs {
            let p = period(slots[0].0);
            while let Some(w) = won_left.next_if(|w| w.0 < p) {
                let (q, won) = won_cell(w)?;
                cells.push((q, Cell::of(won, Exact::default())));
            }
            // Its won sum, if any, as it is (a won sum added to none is the same `Decimal`).
            let won = won_left.next_if(|w| w.0 == p).map(won_cell).transpose()?.map(|(_, won)| won);
            run.clear();
            run.extend(slots.iter().map(|(_, acc)| acc));
            cells.push((p, Cell::of(won.unwrap_or_default(), exact(&run)?)));
        }
        for w in won_left {
            let (q, won) = won_cell(w)?;
            cells.push((q, Cell::of(won, Exact::default())));
        }
        out.put(ids[g], cells)?;
    }
    out.unscheduled = exact(&later)?;
    Ok(out)
}

/// The won rows of the columns, summed per group and period of their close day.
#[derive(Default)]
pub(super) struct WonSums {
    /// The period of `as_of`: no won row is later.
    last: PeriodId,
    /// (deals, amount units) per group and period counted back from `last`: group `g`'s
    /// period `b` back at `g × width + b`, for the periods less than [`WonSums::NEAR`] back.
    near: Vec<(u64, i128)>,
    /// Periods back per group in `near` (widened as rows reach further back).
    width: usize,
    groups: usize,
    /// The sums of the periods further back (rows closed long before `as_of`, or many short
    /// periods back), per (group, period).
    far: BTreeMap<(usize, PeriodId), (u64, i128)>,
}

/// What a won-row pass reads of the columns.
pub(super) struct WonRows<'a> {
    /// Stage label codes, and per code whether it is a won stage.
    pub stage: &'a [i32],
    pub won: &'a [bool],
    /// Expected close days (days since 1970-01-01, `i64::MIN` for none).
    pub close: Option<Days<'a>>,
    pub as_of: NaiveDate,
    pub as_of_days: i64,
    pub groups: usize,
    pub row_path: &'a RowPath,
}

impl WonSums {
    /// Periods back from `as_of`'s kept in a table per group (24 bytes each, grown on use).
    pub(super) const NEAR: usize = 64;
    /// Rows read at a time: a block's won rows are picked from one 64-bit mask of them.
    const BLOCK: usize = 64;

    /// Sums the won rows (each counted in the period of its `expected_close_on`, which it
    /// needs, on or before `as_of`) in one pass over the stage codes. A row's period comes
    /// from a table over the days back from `as_of`, filled as far back as the rows go (the
    /// calendar asked once per day), while that stays small beside the rows.
    ///
    /// # Errors
    ///
    /// For the first won row in row order without a close day, or closed after `as_of`,
    /// `missing_value` / `date_after_as_of` at `expected_close_on[i]`; `overflow` at `totals`
    /// for a sum beyond 128 bits.
    pub fn new(
        rows: &WonRows,
        periods: Periods,
        group_of: impl Fn(usize) -> Option<usize>,
        units_of: impl Fn(usize) -> Option<i128>,
    ) -> Result<Self> {
        let mut out = Self { last: periods.of_day(rows.as_of), groups: rows.groups, ..Self::default() };
        // Per code, 1 for a won stage; one more entry (0) for the codes outside the labels.
        let mut won: Vec<u8> = rows.won.iter().map(|&w| u8::from(w)).collect();
        let won_codes: Vec<i32> =
            (0..won.len()).filter(|&c| won[c] == 1).filter_map(|c| i32::try_from(c).ok()).collect();
        if won_codes.is_empty() {
            return Ok(out);
        }
        won.push(0);
        let outside = won.len() - 1;
        // A block's won rows as a mask: one won stage (the usual policy) is one comparison per
        // row, which compiles to vector compares; several look each code up.
        let mask = |codes: &[i32]| -> u64 {
            match won_codes.as_slice() {
                &[w] => codes.iter().enumerate().fold(0, |bits, (t, &c)| bits | u64::from(c == w) << t),
                _ => codes.iter().enumerate().fold(0, |bits, (t, &c)| {
                    // A negative code is far above the labels as u32.
                    bits | u64::from(won[(c as u32 as usize).min(outside)]) << t
                }),
            }
        };
        let budget = (rows.stage.len() as u64).saturating_mul(4).saturating_add(65_536);
        // No row's day is before 0001-01-01 (the pass checked them): the table stops there.
        let earliest = u64::try_from(rows.as_of.num_days_from_ce() - 1).unwrap_or(0);
        // Per day back from as_of, its period.
        let mut by_back: Vec<PeriodId> = Vec::new();
        for (b, codes) in rows.stage.chunks(Self::BLOCK).enumerate() {
            let mut bits = mask(codes);
            while bits != 0 {
                let i = b * Self::BLOCK + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let day = day_of(rows.close, i);
                if day == i64::MIN || day > rows.as_of_days {
                    // The record path's error (missing or after as_of); no date built per row.
                    let on = (day != i64::MIN).then(|| super::columns::epoch_day(day)).flatten();
                    super::book::won_on(on, rows.as_of, &|| (rows.row_path)(i, "expected_close_on"))?;
                }
                let group = group_of(i).ok_or_else(|| Error::overflow((rows.row_path)(i, "keys")))?;
                let units = units_of(i).ok_or_else(|| Error::overflow((rows.row_path)(i, "amount")))?;
                let back = rows.as_of_days.abs_diff(day);
                let period = match by_back.get(back as usize) {
                    Some(&p) => p,
                    None if back < budget => {
                        let from = by_back.len() as u64;
                        let to = back.max(from.saturating_mul(2).min(budget - 1).min(earliest));
                        for t in from..=to {
                            by_back.push(periods.of_day(day_back(rows.as_of, t)?));
                        }
                        by_back[back as usize]
                    }
                    None => periods.of_day(day_back(rows.as_of, back)?),
                };
                out.add(group, period, units)?;
            }
        }
        Ok(out)
    }

    /// The sums the forecast's kernel took along (see `Kernel::won_cols`): `cells` calls
    /// its argument with (group, periods back from `last`, deals, amount units) for each
    /// cell, column `width` holding the deals closed before the kernel's table. `None` when
    /// that column holds any: the won rows then need a pass of their own.
    pub fn of_kernel(
        last: PeriodId,
        groups: usize,
        width: usize,
        cells: impl FnOnce(&mut dyn FnMut(usize, usize, u64, u64)),
    ) -> Option<Self> {
        let mut near = vec![(0, 0); groups * width];
        let mut far = false;
        cells(&mut |g, back, deals, units| {
            if back < width {
                near[g * width + back] = (deals, i128::from(units));
            } else {
                far = true;
            }
        });
        (!far).then(|| Self { last, near, width, groups, far: BTreeMap::new() })
    }

    #[inline]
    fn add(&mut self, group: usize, period: PeriodId, units: i128) -> Result<()> {
        let back = self.last.abs_diff(period);
        let cell = if back < Self::NEAR as u64 {
            let back = back as usize;
            if back >= self.width {
                self.widen(back + 1);
            }
            &mut self.near[group * self.width + back]
        } else {
            self.far.entry((group, period)).or_default()
        };
        cell.0 += 1;
        cell.1 = cell.1.checked_add(units).ok_or_else(|| Error::overflow("totals"))?;
        Ok(())
    }

    /// Makes room for `width` periods back per group (at least twice the room there was).
    fn widen(&mut self, width: usize) {
        let width = width.max(self.width * 2).min(Self::NEAR);
        let mut near = vec![(0, 0); self.groups * width];
        if self.width > 0 {
            for (to, from) in near.chunks_mut(width).zip(self.near.chunks(self.width)) {
                to[..from.len()].copy_from_slice(from);
            }
        }
        (self.near, self.width) = (near, width);
    }

    /// Calls `f(period, deals, units)` for each period with won rows of group `g`, in period
    /// order.
    fn each_of(&self, g: usize, mut f: impl FnMut(PeriodId, u64, i128) -> Result<()>) -> Result<()> {
        // The far periods are all before the near ones.
        for (&(_, p), &(deals, units)) in self.far.range((g, PeriodId::MIN)..=(g, PeriodId::MAX)) {
            f(p, deals, units)?;
        }
        let near = self.near.get(g * self.width..(g + 1) * self.width).unwrap_or_default();
        for (back, &(deals, units)) in near.iter().enumerate().rev() {
            if deals > 0 {
                f(self.last - back as PeriodId, deals, units)?;
            }
        }
        Ok(())
    }
}

/// The day `back` days before `as_of` (a won row's close day, in range: checked by the pass).
fn day_back(as_of: NaiveDate, back: u64) -> Result<NaiveDate> {
    as_of.checked_sub_days(chrono::Days::new(back)).ok_or_else(|| Error::overflow("expected_close_on"))
}
