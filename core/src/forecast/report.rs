//! The forecast report and the exact aggregation behind it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::phasing::{Placer, Reason};
use super::policy::{DurationUnit, FiscalYear, ForecastCategory, Funnel, Placement, StageKind};
use super::sums::{Acc, FilledCell, Tables};
use crate::error::{Error, Result};
use crate::money::{self, Rounding};

/// What [`forecast`](super::forecast) returns. Money is rounded once per line, from exact sums.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ForecastReport {
    /// The caller's "now".
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub as_of: NaiveDate,
    /// The placement rule used.
    pub placement: Placement,
    /// The unit of durations and of `remaining`.
    pub duration_unit: DurationUnit,
    /// One line per policy stage, in policy order: the weighted pipeline by stage.
    pub stages: Vec<StageLine>,
    /// Calendar months from the first to the last one any deal lands in, gaps included (see
    /// the policy's `horizon_months` and `dense`); under a week-based fiscal year, its 4/5-week
    /// periods instead (`FY2026-P10`).
    pub months: Vec<MonthLine>,
    /// The months rolled up into (fiscal) quarters, rounded once from exact sums.
    pub quarters: Vec<PeriodLine>,
    /// The months rolled up into (fiscal) years.
    pub years: Vec<PeriodLine>,
    /// The weighted pipeline per `group_by` key, sorted by key, each with its months.
    pub groups: Vec<GroupLine>,
    /// One line per deal, in input order (empty from `forecast_columns`).
    pub deals: Vec<DealLine>,
    /// Totals over all deals.
    pub totals: Totals,
    /// The pipeline by forecast category, with Salesforce's cumulative sums.
    pub categories: Vec<CategoryLine>,
    /// The reps' commit beside the stage-weighted forecast, and the gap between them.
    pub commit: CommitComparison,
}

/// One forecast category.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CategoryLine {
    /// The category.
    pub category: ForecastCategory,
    /// Its deals, their amounts and their stage-weighted amounts (the same three figures on
    /// every line, flat in JSON).
    #[serde(flatten)]
    pub sums: Sums,
    /// This category's amount plus those before it (closed ⊂ commit ⊂ best case ⊂
    /// pipeline); `null` for `omitted`.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub cumulative: Option<Decimal>,
}

/// The commit forecast (what the reps call) beside the stage forecast (what the funnel's
/// rates give), over the whole pipeline.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CommitComparison {
    /// Closed + commit amounts.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub commit: Decimal,
    /// Closed + commit + best case amounts.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub best_case: Decimal,
    /// Won amounts + the weighted open pipeline.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub stage_forecast: Decimal,
    /// `stage_forecast − commit`: above 0 the funnel expects more than the reps commit to.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub gap: Decimal,
}

/// A deal whose own forecast category differs from its stage's.
pub(crate) struct Override {
    pub stage: usize,
    pub category: ForecastCategory,
    pub amount: Decimal,
    /// Its probability (its own, else its stage's): its weighted amount moves with it.
    pub probability: Decimal,
}

/// What a report is built from besides the summed tables: the rounding, the deals with their
/// own probability or category, and per policy stage the stalled deals (count, amount units)
/// and how their own probabilities move their weighted sum.
#[derive(Clone, Copy)]
pub(super) struct Extras<'a> {
    pub rounding: Rounding,
    pub per_deal: &'a super::per_deal::PerDeal,
    pub stalled: &'a [(u64, i128)],
    pub stalled_delta: &'a [Decimal],
    /// Per policy stage, the idle deals (count, amount units) and their own probabilities'
    /// move of their weighted sum.
    pub idle: &'a [(u64, i128)],
    pub idle_delta: &'a [Decimal],
}

/// A stage's rates and its share of the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct StageLine {
    /// Stage name.
    pub stage: String,
    /// Open, won or lost.
    pub kind: StageKind,
    /// Probability of winning: the product of the conversions of the open stages from this one
    /// to the last (the *chain*: this line and the open lines after it in `stages`), or the
    /// stage's own `probability` (1 won, 0 lost).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub probability: Decimal,
    /// Its own conversion to the next open stage (`null` for a closed stage, and in a funnel
    /// given by stage probabilities). A deal's chain is read off the stage table, never
    /// repeated per line: a report stays linear in the number of stages.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub conversion: Option<Decimal>,
    /// Its own expected duration (`null` for a closed stage, or an open one placed by close
    /// dates alone that gives none): with the later open stages' durations, the time left.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub duration: Option<Decimal>,
    /// Its deals, their amounts and their stage-weighted amounts (the same three figures on
    /// every line, flat in JSON).
    #[serde(flatten)]
    pub sums: Sums,
    /// How many of its deals are stalled (see the stage's `stall_after`).
    pub stalled: u64,
    /// How many of its deals are idle (see the stage's `idle_after`).
    pub idle: u64,
}

/// A calendar month bucket (a 4/5-week period under a week-based fiscal year).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct MonthLine {
    /// `YYYY-MM`; under a week-based fiscal year the period, `FY2026-P10`. One string per
    /// month, shared by every line of that month (the report's and each group's).
    #[serde(serialize_with = "shared_str")]
    #[cfg_attr(feature = "typescript", tsify(type = "string"))]
    pub month: Arc<str>,
    /// Months (periods) after the one holding `as_of` (0 = this one).
    pub offset: u32,
    /// Its deals, their amounts and their stage-weighted amounts (the same three figures on
    /// every line, flat in JSON).
    #[serde(flatten)]
    pub sums: Sums,
}

impl MonthLine {
    /// The line of month `offset` among a report's `months` (consecutive offsets from the
    /// first, as [`ForecastReport::months`] holds them): what names a group line's month, e.g.
    /// a [`TableLine`](super::table::TableLine)'s. `None` when no line has that offset.
    #[must_use]
    pub fn at(months: &[Self], offset: u32) -> Option<&Self> {
        let first = months.first()?.offset;
        offset.checked_sub(first).and_then(|k| months.get(k as usize))
    }
}

/// A shared label written as its text.
fn shared_str<S: serde::Serializer>(label: &Arc<str>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(label)
}

/// A quarter or year of months.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct PeriodLine {
    /// `2026-Q4`, `2026`; with a fiscal year not starting in January `FY2027-Q3`, `FY2027`.
    pub period: String,
    /// Its first and last calendar months, `YYYY-MM`.
    pub first_month: String,
    /// Its last calendar month.
    pub last_month: String,
    /// Its deals, their amounts and their stage-weighted amounts (the same three figures on
    /// every line, flat in JSON).
    #[serde(flatten)]
    pub sums: Sums,
}

/// The open pipeline of one `group_by` key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct GroupLine {
    /// Value of each `group_by` field (`null` when a deal lacks it).
    #[cfg_attr(feature = "typescript", tsify(type = "Record<string, string | null>"))]
    pub key: BTreeMap<String, Option<String>>,
    /// Its deals, their amounts and their stage-weighted amounts (the same three figures on
    /// every line, flat in JSON).
    #[serde(flatten)]
    pub sums: Sums,
    /// The months the group has deals in (no empty ones), in order; with the policy's
    /// `dense`, every month of the report's `months`, zeros included.
    pub months: Vec<MonthLine>,
    /// With the policy's `horizon_months`: its open deals placed past the horizon (in its
    /// sums, not in its months).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub beyond_horizon: Option<Sums>,
}

/// One deal, explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct DealLine {
    /// The deal's id.
    pub id: String,
    /// Its stage.
    pub stage: String,
    /// Its amount.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
    /// Cumulative conversion of its stage to win.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub probability: Decimal,
    /// `amount × probability`, rounded: the amount itself for won deals, 0 for lost ones.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub weighted: Decimal,
    /// Month it is expected to close in (`null`: closed or unscheduled).
    #[cfg_attr(feature = "typescript", tsify(type = "string | null"))]
    pub month: Option<String>,
    /// That month's offset from the month of `as_of`.
    #[cfg_attr(feature = "typescript", tsify(type = "number | null"))]
    pub offset: Option<u32>,
    /// Time in the current stage so far, when `entered_stage_on` is given.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub in_stage: Option<Decimal>,
    /// Time left until close: the current stage's remainder plus the later open stages'
    /// durations (their lines in the report's `stages`).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub remaining: Option<Decimal>,
    /// Its forecast category: its own, or its stage's.
    pub category: ForecastCategory,
    /// In its stage for longer than the stage's `stall_after`, and not snoozed.
    pub stalled: bool,
    /// No activity for longer than the stage's `idle_after` days, and not snoozed.
    pub idle: bool,
    /// Each stall threshold that fired (snoozed or not), with its numbers.
    pub stalls: Vec<StallFlag>,
    /// Why.
    pub reasons: Vec<Reason>,
}

/// A stall threshold a deal crossed: which one, the threshold and the deal's figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct StallFlag {
    /// `time_in_stage` (the stage's `stall_after`) or `no_activity` (its `idle_after`).
    pub rule: StallRule,
    /// The threshold: in the policy's duration unit for `time_in_stage`, in days for
    /// `no_activity`.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub threshold: Decimal,
    /// The deal's figure, in the same unit: its time in stage, or its days without activity.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub value: Decimal,
    /// The day it is counted from: the deal's `entered_stage_on`, or its `last_activity_on`
    /// (its `entered_stage_on` when it has none).
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub since: NaiveDate,
    /// Snoozed by its owner until a day not yet passed: reported, not flagged.
    pub snoozed: bool,
}

/// Which stall threshold fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum StallRule {
    /// Longer in its stage than the stage's `stall_after`.
    TimeInStage,
    /// Longer without activity than the stage's `idle_after` days.
    NoActivity,
}

/// Deal count, amount and weighted amount: the figures of every line of the report.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Sums {
    /// Deals.
    pub deals: u64,
    /// Sum of amounts.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
    /// Sum of weighted amounts: amount × the stage's cumulative probability (won deals count
    /// their amount, lost ones 0).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub weighted: Decimal,
}

/// Totals. `open.weighted` is the weighted pipeline; it equals the sum of the months plus
/// `unscheduled.weighted` and `beyond_horizon.weighted` before rounding.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Totals {
    /// Open deals.
    pub open: Sums,
    /// Open deals in no month (overdue excluded, undated unscheduled).
    pub unscheduled: Sums,
    /// Deals in won stages (weighted = amount).
    pub won: Sums,
    /// Deals in lost stages (weighted = 0).
    pub lost: Sums,
    /// Open deals stalled in their stage (not counting snoozed ones).
    pub stalled: Sums,
    /// Open deals without activity for longer than their stage's `idle_after` days (not
    /// counting snoozed ones).
    pub idle: Sums,
    /// Open deals placed in a month past the policy's `horizon_months` (zero without one).
    pub beyond_horizon: Sums,
}

/// Running exact sums: amounts as integer units at one common scale, per cell.
#[derive(Clone, Copy, Default)]
pub(crate) struct Cell {
    units: i128,
    deals: u64,
}

impl Cell {
    fn merge(&mut self, other: &Cell) -> Option<()> {
        self.units = self.units.checked_add(other.units)?;
        self.deals = self.deals.checked_add(other.deals)?;
        Some(())
    }

    #[inline]
    fn add(&mut self, units: i128) -> Option<()> {
        self.units = self.units.checked_add(units)?;
        self.deals += 1;
        Some(())
    }
}

/// A cell of the dense table: 16 bytes instead of [`Cell`]'s 32, so that 500 owners × 4
/// stages × 17 months stay in the L2 cache. The sum is `hi · 2^64 + lo` (amounts are never
/// negative); a cell whose `hi` or `deals` would pass `u32::MAX` moves into the table's
/// `spill` (a wide [`Cell`]) and starts again from zero, so the sums stay those of `i128`.
#[derive(Clone, Copy, Default)]
struct SmallCell {
    lo: u64,
    hi: u32,
    deals: u32,
}

impl SmallCell {
    /// `false` when the cell cannot take `units` (see the type): the caller spills it.
    #[inline]
    fn try_add(&mut self, units: i128) -> bool {
        let Ok(v) = u128::try_from(units) else { return false };
        let (lo, carry) = self.lo.overflowing_add(v as u64);
        let hi = u32::try_from(v >> 64)
            .ok()
            .and_then(|h| self.hi.checked_add(h))
            .and_then(|h| h.checked_add(u32::from(carry)));
        match (hi, self.deals.checked_add(1)) {
            (Some(hi), Some(deals)) => {
                *self = SmallCell { lo, hi, deals };
                true
            }
            _ => false,
        }
    }

    fn wide(self) -> Cell {
        // < 2^96: fits an i128.
        Cell { units: ((u128::from(self.hi) << 64) | u128::from(self.lo)) as i128, deals: u64::from(self.deals) }
    }
}

enum Cells {
    /// With the wide sums of the cells that outgrew a [`SmallCell`].
    Dense(Vec<SmallCell>, HashMap<u64, Cell>),
    /// Keyed by the cell's index in u64: (group × open stages + position) × slots + slot can
    /// pass 2^32 (a million owners, two stages, 2,400 month slots), which a 32-bit `usize`
    /// (wasm32) would wrap into another group's cell.
    Sparse(HashMap<u64, Cell>),
}

/// Sums per (group, open stage, month slot) plus per closed stage.
pub(crate) struct Aggregator {
    scale: u32,
    n_open: u64,
    /// Month offsets 0..=max, then one "unscheduled" slot.
    n_slots: u64,
    n_groups: usize,
    cells: Cells,
    closed: Vec<Cell>,
}

/// Above this many (group, stage, month) cells the table is a hash map instead of a vector.
const DENSE_CELLS: u64 = 1 << 22;

impl Aggregator {
    /// A table for `rows` deals: dense only when it is no larger than what the rows can fill
    /// several times over, so that a thread's share of a small frame does not allocate a
    /// table sized for every group × stage × month.
    pub fn new(funnel: &Funnel, max_offset: u32, n_groups: usize, scale: u32, rows: usize) -> Self {
        let limit = DENSE_CELLS.min((rows as u64).saturating_mul(64).saturating_add(4096));
        Self::with_dense_limit(funnel, max_offset, n_groups, scale, limit)
    }

    pub(crate) fn with_dense_limit(
        funnel: &Funnel,
        max_offset: u32,
        n_groups: usize,
        scale: u32,
        dense_limit: u64,
    ) -> Self {
        let n_open = funnel.open.len() as u64;
        let n_slots = u64::from(max_offset) + 2;
        let size = (n_groups as u64).saturating_mul(n_open).saturating_mul(n_slots);
        let cells = match usize::try_from(size) {
            Ok(size) if (size as u64) <= dense_limit => Cells::Dense(vec![SmallCell::default(); size], HashMap::new()),
            _ => Cells::Sparse(HashMap::new()),
        };
        Self { scale, n_open, n_slots, n_groups, cells, closed: vec![Cell::default(); funnel.policy.stages.len()] }
    }

    /// Whether the table of `size` cells for `rows` rows is dense (see [`Aggregator::new`]).
    pub fn dense_allowed(size: u64, rows: usize) -> bool {
        size <= DENSE_CELLS.min((rows as u64).saturating_mul(64).saturating_add(4096))
    }

    pub fn unscheduled_slot(&self) -> usize {
        // n_slots ≤ the horizon limit + 2: small on every platform.
        (self.n_slots - 1) as usize
    }

    /// Adds `units` of an open deal at `cell` (open position × slots + slot) of `group`.
    #[inline]
    pub fn add_cell(&mut self, group: usize, cell: usize, units: i128) -> Option<()> {
        let i = (group as u64 * self.n_open * self.n_slots).checked_add(cell as u64)?;
        self.add(i, units)
    }

    /// Adds `units` of an open deal at open-stage position `pos`.
    #[inline]
    pub fn add_at(&mut self, group: usize, pos: usize, slot: usize, units: i128) -> Option<()> {
        let i = ((group as u64 * self.n_open + pos as u64) * self.n_slots).checked_add(slot as u64)?;
        self.add(i, units)
    }

    #[inline]
    fn add(&mut self, i: u64, units: i128) -> Option<()> {
        if let Cells::Dense(v, _) = &mut self.cells {
            // Dense tables are at most DENSE_CELLS long: the index fits a usize.
            if v.get_mut(usize::try_from(i).ok()?)?.try_add(units) {
                return Some(());
            }
        }
        self.add_slow(i, units)
    }

    /// A sparse table's cell, or a dense cell that spills.
    #[cold]
    #[inline(never)]
    fn add_slow(&mut self, i: u64, units: i128) -> Option<()> {
        match &mut self.cells {
            Cells::Sparse(m) => m.entry(i).or_default().add(units),
            Cells::Dense(v, spill) => {
                let small = v.get_mut(usize::try_from(i).ok()?)?;
                let wide = spill.entry(i).or_default();
                wide.merge(&small.wide())?;
                *small = SmallCell::default();
                wide.add(units)
            }
        }
    }

    /// Adds another table of the same shape (another thread's share of the rows).
    pub fn merge(&mut self, other: &Aggregator) -> Option<()> {
        for (mine, theirs) in self.closed.iter_mut().zip(&other.closed) {
            mine.merge(theirs)?;
        }
        for (i, t) in other.wide_cells()? {
            match &mut self.cells {
                Cells::Sparse(m) => m.entry(i).or_default().merge(&t)?,
                Cells::Dense(v, spill) => {
                    let small = v.get_mut(usize::try_from(i).ok()?)?;
                    let wide = spill.entry(i).or_default();
                    wide.merge(&small.wide())?;
                    *small = SmallCell::default();
                    wide.merge(&t)?;
                }
            }
        }
        Some(())
    }

    /// The cells holding deals as (index, sums), in no set order; a spilled dense cell once,
    /// its wide and small parts added. `None` on overflow.
    fn wide_cells(&self) -> Option<Vec<(u64, Cell)>> {
        match &self.cells {
            Cells::Sparse(m) => Some(m.iter().map(|(&i, c)| (i, *c)).collect()),
            Cells::Dense(v, spill) => {
                let mut out: Vec<(u64, Cell)> = v
                    .iter()
                    .enumerate()
                    .filter(|(i, c)| c.deals > 0 && !spill.contains_key(&(*i as u64)))
                    .map(|(i, c)| (i as u64, c.wide()))
                    .collect();
                for (&i, wide) in spill {
                    let mut c = v.get(usize::try_from(i).ok()?).map_or_else(Cell::default, |small| small.wide());
                    c.merge(wide)?;
                    out.push((i, c));
                }
                Some(out)
            }
        }
    }

    #[inline]
    pub fn add_closed(&mut self, stage: usize, units: i128) -> Option<()> {
        self.closed[stage].add(units)
    }

    /// The cells that hold deals, as (group, open position, slot, cell), in no set order.
    fn filled(&self) -> Result<Vec<(usize, usize, usize, Cell)>> {
        // Each part is below n_groups, n_open or n_slots: it fits a usize.
        let split = |i: u64| {
            let (g, pos, slot) = (i / (self.n_open * self.n_slots), (i / self.n_slots) % self.n_open, i % self.n_slots);
            (g as usize, pos as usize, slot as usize)
        };
        let cells = self.wide_cells().ok_or_else(|| Error::overflow("totals"))?;
        Ok(cells
            .into_iter()
            .map(|(i, c)| {
                let (g, pos, slot) = split(i);
                (g, pos, slot, c)
            })
            .collect())
    }

    /// Builds the report (without deal lines). `keys[g]` are the group keys of group `g`.
    /// Every figure is rounded once, from exact sums; only cells holding deals are visited.
    pub fn finish(
        self,
        funnel: &Funnel,
        placer: &Placer,
        keys: &[Vec<Option<String>>],
        extras: Extras,
        kept: Kept<'_>,
    ) -> Result<ForecastReport> {
        let cells: Vec<FilledCell> =
            self.filled()?.into_iter().map(|(g, pos, slot, c)| (g, pos, slot, c.deals, c.units)).collect();
        let tables = super::sums::tables(funnel, &cells, self.scale, self.n_slots as usize, self.n_groups)?;
        let closed: Vec<(u64, i128)> = self.closed.iter().map(|c| (c.deals, c.units)).collect();
        let shape = Shape { scale: self.scale, n_slots: self.n_slots as usize };
        build_report(funnel, placer, keys, extras, ReportSums { shape, tables, closed: &closed }, kept)
    }
}

/// Per group, its month slots holding deals with their exact sums, in slot order (the last
/// slot is unscheduled): what a second pass over the report's groups (quota) reads.
pub(super) type GroupSlots = Vec<Vec<(usize, Acc)>>;

/// What a caller keeps of a report's build besides the report (nothing by default).
#[derive(Default)]
pub(super) struct Kept<'a> {
    /// Receives the groups' exact month slots (deals' own probabilities applied) instead of
    /// dropping them.
    pub slots: Option<&'a mut GroupSlots>,
    /// Receives the group number (the `keys` index) of each of the report's groups, in the
    /// report's order.
    pub order: Option<&'a mut Vec<usize>>,
}

/// The dimensions of the sums a report is built from.
#[derive(Clone, Copy)]
pub(super) struct Shape {
    /// Amount units are 10^-scale.
    pub scale: u32,
    /// Month slots, the last one unscheduled.
    pub n_slots: usize,
}

/// The exact sums a report is built from, whichever loop summed them.
pub(super) struct ReportSums<'a> {
    pub shape: Shape,
    pub tables: Tables,
    /// Per policy stage: the closed stages' deals and amount units, zero for open ones.
    pub closed: &'a [(u64, i128)],
}

/// The report of `sums` and the [`Extras`]; `kept` receives what the caller asked to keep
/// (see [`Kept`]).
pub(super) fn build_report(
    funnel: &Funnel,
    placer: &Placer,
    keys: &[Vec<Option<String>>],
    extras: Extras,
    sums: ReportSums<'_>,
    kept: Kept<'_>,
) -> Result<ForecastReport> {
    let ReportSums { shape, mut tables, closed } = sums;
    let Kept { slots, order: order_out } = kept;
    let Extras { rounding, per_deal, stalled, stalled_delta, idle, idle_delta } = extras;
    let overrides = per_deal.overrides.as_slice();
    per_deal.apply(&mut tables)?;
    let policy = funnel.policy;
    let round = |x: Decimal| rounding.round(x);
    let decimal = |units: i128| money::from_units(units, shape.scale).ok_or_else(|| Error::overflow("totals"));
    let Tables { mut by_stage, by_slot, by_group, mut group_slots } = tables;
    let mut totals = Totals::default();
    let (mut open, mut won, mut lost) = (Acc::default(), Acc::default(), Acc::default());
    for (s, stage) in policy.stages.iter().enumerate() {
        match stage.kind {
            StageKind::Open => open.add(&by_stage[s])?,
            StageKind::Won | StageKind::Lost => {
                let (deals, units) = closed[s];
                let amount = decimal(units)?;
                let won_stage = stage.kind == StageKind::Won;
                let weighted = if won_stage { amount } else { Decimal::ZERO };
                by_stage[s] = Acc { deals, amount, weighted };
                if won_stage { &mut won } else { &mut lost }.add(&by_stage[s])?;
            }
        }
    }
    let stages = policy
        .stages
        .iter()
        .zip(&by_stage)
        .enumerate()
        .map(|(s, (stage, acc))| StageLine {
            stage: stage.name.clone(),
            kind: stage.kind,
            probability: funnel.probability[s],
            conversion: stage.conversion,
            duration: stage.duration,
            sums: acc.sums(&round),
            stalled: stalled.get(s).map_or(0, |c| c.0),
            idle: idle.get(s).map_or(0, |c| c.0),
        })
        .collect();
    // Flagged deals per stage: amount × the stage's probability, moved by their own.
    let flagged = |counts: &[(u64, i128)], deltas: &[Decimal]| -> Result<Acc> {
        let mut exact = Acc::default();
        for (s, &(deals, units)) in counts.iter().enumerate() {
            let amount = decimal(units)?;
            let weighted = money::mul(amount, funnel.probability[s], || "totals".into())?;
            let weighted = money::add(weighted, deltas.get(s).copied().unwrap_or_default(), || "totals".into())?;
            exact.add(&Acc { deals, amount, weighted })?;
        }
        Ok(exact)
    };
    let unscheduled = shape.n_slots - 1;
    // Slots before `shown` are reported month by month; scheduled ones from there on lie
    // beyond the declared horizon.
    let shown = GroupLayout::shown(policy, unscheduled);
    let mut beyond = Acc::default();
    for acc in &by_slot[shown..unscheduled] {
        beyond.add(acc)?;
    }
    totals.open = open.sums(&round);
    totals.won = won.sums(&round);
    totals.lost = lost.sums(&round);
    totals.unscheduled = by_slot[unscheduled].sums(&round);
    totals.stalled = flagged(stalled, stalled_delta)?.sums(&round);
    totals.idle = flagged(idle, idle_delta)?.sums(&round);
    totals.beyond_horizon = beyond.sums(&round);
    // Months from the first to the last one used, gaps included (none when no deal is
    // scheduled); dense: from the month of `as_of` to the horizon's last (or the last used).
    let used = (0..shown).filter(|&s| by_slot[s].deals > 0);
    let last_used = used.clone().next_back();
    let span = if policy.dense {
        0..policy.horizon_months.map_or_else(|| last_used.map_or(0, |b| b + 1), |h| h as usize)
    } else {
        used.clone().next().zip(last_used).map_or(0..0, |(a, b)| a..b + 1)
    };
    let zero = Acc::default();
    // A dense horizon may reach past the table's last month: those months are empty.
    let slot_acc = |slot: usize| if slot < shown { &by_slot[slot] } else { &zero };
    // Each month's label once, not once per group.
    let labels: Vec<Arc<str>> = (0..span.end).map(|slot| Arc::from(placer.month_label(slot as u32))).collect();
    let month_line = |slot: usize, a: &Acc| MonthLine {
        month: Arc::clone(&labels[slot]),
        offset: slot as u32,
        sums: a.sums(&round),
    };
    let months = span.clone().map(|slot| month_line(slot, slot_acc(slot))).collect();
    let month_accs: Vec<&Acc> = span.clone().map(slot_acc).collect();
    let (quarters, years) = periods(policy.fiscal_year, placer, &month_accs, span.start, round)?;
    let mut groups = Vec::new();
    if !policy.group_by.is_empty() {
        let layout = GroupLayout::new(policy, span.clone(), unscheduled);
        let order = layout.order(&by_group, keys)?;
        for &g in &order {
            let cells = &group_slots[g];
            let mut months = Vec::with_capacity(if policy.dense { span.len() } else { 0 });
            layout.lines(cells, |slot, a| months.push(month_line(slot, a)));
            let beyond_horizon = layout.beyond_horizon(cells, round)?;
            // One map node, without the sorted list `collect` builds first.
            let mut key = BTreeMap::new();
            for (field, value) in policy.group_by.iter().zip(&keys[g]) {
                key.insert(field.clone(), value.clone());
            }
            groups.push(GroupLine { key, sums: by_group[g].sums(&round), months, beyond_horizon });
            if slots.is_none() {
                // Read for the last time: its memory serves the next groups' lines, so that
                // the call's peak heap is smaller (fewer pages to regrow where glibc trims).
                group_slots[g] = Vec::new();
            }
        }
        if let Some(out) = order_out {
            *out = order;
        }
    }
    let (categories, commit) = categories(funnel, &by_stage, overrides, (&won, &open), round)?;
    if let Some(slots) = slots {
        *slots = group_slots;
    }
    Ok(ForecastReport {
        as_of: placer.as_of,
        placement: policy.placement,
        duration_unit: policy.duration_unit,
        stages,
        months,
        quarters,
        years,
        groups,
        deals: Vec::new(),
        totals,
        categories,
        commit,
    })
}

/// How a report lays out its groups' lines (the record report's [`GroupLine`]s and
/// [`GroupTable`](super::table::GroupTable)'s lines alike): which groups, in which order, which
/// month lines each shows and what lies past the horizon.
pub(super) struct GroupLayout<'a> {
    pub policy: &'a super::policy::ForecastPolicy,
    /// The report's months (`ForecastReport::months`' offsets): what a dense group shows.
    pub span: std::ops::Range<usize>,
    /// Slots below it are shown month by month; scheduled ones from there on lie past the
    /// horizon.
    pub shown: usize,
    /// The unscheduled slot (the last).
    pub unscheduled: usize,
}

impl<'a> GroupLayout<'a> {
    /// The layout of `policy`'s groups over the report's months `span`, the last slot
    /// `unscheduled`.
    pub(super) fn new(
        policy: &'a super::policy::ForecastPolicy,
        span: std::ops::Range<usize>,
        unscheduled: usize,
    ) -> Self {
        GroupLayout { policy, span, shown: Self::shown(policy, unscheduled), unscheduled }
    }

    /// The slots shown month by month: below the declared horizon, or every scheduled one.
    pub(super) fn shown(policy: &super::policy::ForecastPolicy, unscheduled: usize) -> usize {
        policy.horizon_months.map_or(unscheduled, |h| (h as usize).min(unscheduled))
    }

    /// The groups holding deals, sorted by their key values; a dense layout's lines
    /// (groups × months) checked against their limit first.
    pub(super) fn order(&self, by_group: &[Acc], keys: &[Vec<Option<String>>]) -> Result<Vec<usize>> {
        let mut order: Vec<usize> = (0..by_group.len()).filter(|&g| by_group[g].deals > 0).collect();
        if self.policy.dense {
            let lines = [order.len() as u64, self.span.len() as u64];
            crate::limits::product("dense", &lines, crate::limits::MAX_DENSE_LINES, "group × month lines")?;
        }
        order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        Ok(order)
    }

    /// Each month line of a group whose cells (in slot order) are `cells`, in order, as
    /// `line(slot, cell)`: its cells below the horizon, or, dense, every month of the span
    /// (an empty cell where it has none).
    pub(super) fn lines(&self, cells: &[(usize, Acc)], mut line: impl FnMut(usize, &Acc)) {
        let shown = cells.iter().filter(|(slot, _)| *slot < self.shown);
        if self.policy.dense {
            // Cells are in slot order: one merge walk.
            let (mut at, zero) = (shown.peekable(), Acc::default());
            for slot in self.span.clone() {
                match at.next_if(|(s, _)| *s == slot) {
                    Some((_, a)) => line(slot, a),
                    None => line(slot, &zero),
                }
            }
        } else {
            shown.for_each(|(slot, a)| line(*slot, a));
        }
    }

    /// With the policy's `horizon_months`: the group's scheduled cells past the horizon,
    /// summed and rounded once.
    pub(super) fn beyond_horizon(
        &self,
        cells: &[(usize, Acc)],
        round: impl Fn(Decimal) -> Decimal,
    ) -> Result<Option<Sums>> {
        if self.policy.horizon_months.is_none() {
            return Ok(None);
        }
        let mut beyond = Acc::default();
        for (_, a) in cells.iter().filter(|(slot, _)| (self.shown..self.unscheduled).contains(slot)) {
            beyond.add(a)?;
        }
        Ok(Some(beyond.sums(&round)))
    }
}

/// The category lines and the commit comparison, from exact per-stage sums moved by the
/// deals whose own category differs from their stage's.
fn categories(
    funnel: &Funnel,
    by_stage: &[Acc],
    overrides: &[Override],
    (won, open): (&Acc, &Acc),
    round: impl Fn(Decimal) -> Decimal,
) -> Result<(Vec<CategoryLine>, CommitComparison)> {
    let index = |c: ForecastCategory| ForecastCategory::ALL.iter().position(|&x| x == c).unwrap_or(0);
    let mut exact = vec![Acc::default(); ForecastCategory::ALL.len()];
    for (s, acc) in by_stage.iter().enumerate() {
        exact[index(funnel.category[s])].add(acc)?;
    }
    for o in overrides {
        let weighted = money::mul(o.amount, o.probability, || "totals".into())?;
        let part = Acc { deals: 1, amount: o.amount, weighted };
        exact[index(funnel.category[o.stage])].sub(&part)?;
        exact[index(o.category)].add(&part)?;
    }
    let mut running = Decimal::ZERO;
    let mut cumulative = Vec::with_capacity(exact.len());
    for (c, acc) in ForecastCategory::ALL.iter().zip(&exact) {
        running = money::add(running, acc.amount, || "totals".into())?;
        cumulative.push((*c != ForecastCategory::Omitted).then_some(running));
    }
    let lines = ForecastCategory::ALL
        .iter()
        .zip(&exact)
        .zip(&cumulative)
        .map(|((&category, acc), cum)| CategoryLine { category, sums: acc.sums(&round), cumulative: cum.map(&round) })
        .collect();
    let at = |c: ForecastCategory| cumulative[index(c)].unwrap_or_default();
    let stage_forecast = money::add(won.amount, open.weighted, || "totals".into())?;
    let commit = at(ForecastCategory::Commit);
    let gap = stage_forecast.checked_sub(commit).ok_or_else(|| Error::overflow("totals"))?;
    Ok((
        lines,
        CommitComparison {
            commit: round(commit),
            best_case: round(at(ForecastCategory::BestCase)),
            stage_forecast: round(stage_forecast),
            gap: round(gap),
        },
    ))
}

/// Quarters and years of the month slots `first..` (`months[k]`: slot `first + k`), in the
/// policy's fiscal calendar (under a week-based year the slots are its 4/5-week periods, so
/// each quarter sums exactly its three).
fn periods(
    fy: FiscalYear,
    placer: &Placer,
    months: &[&Acc],
    first: usize,
    round: impl Fn(Decimal) -> Decimal,
) -> Result<(Vec<PeriodLine>, Vec<PeriodLine>)> {
    use super::calendar::{PeriodKind, Periods};
    let mut out = (Vec::new(), Vec::new());
    for (kind, lines) in [(PeriodKind::Quarter, &mut out.0), (PeriodKind::Year, &mut out.1)] {
        let periods = Periods { fiscal_year: fy, kind };
        let mut current: Option<(i64, Acc)> = None;
        let flush = |key: i64, acc: Acc, lines: &mut Vec<PeriodLine>| {
            let (first, last) = periods.months(key);
            lines.push(PeriodLine {
                period: periods.label(key),
                first_month: label(first),
                last_month: label(last),
                sums: acc.sums(&round),
            });
        };
        for (k, &month) in months.iter().enumerate() {
            let key = periods.of_slot(placer.month_index(first + k));
            match &mut current {
                Some((k, acc)) if *k == key => acc.add(month)?,
                _ => {
                    if let Some((k, acc)) = current.take() {
                        flush(k, acc, lines);
                    }
                    current = Some((key, month.clone()));
                }
            }
        }
        if let Some((k, acc)) = current {
            flush(k, acc, lines);
        }
    }
    Ok(out)
}

/// `YYYY-MM` of a month counted from year 0.
pub(crate) fn label(month: i64) -> String {
    format!("{:04}-{:02}", month.div_euclid(12), month.rem_euclid(12) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::ForecastPolicy;

    /// Issue 6.2: every stage line used to repeat its downstream chain, and every deal line its
    /// own, so 4,000 stages gave 4.5 GB. Now twice the stages (and deals) give twice the report.
    #[test]
    fn a_report_grows_linearly_with_the_stages() {
        let report_bytes = |n: usize| {
            let mut stages: Vec<String> =
                (0..n).map(|i| format!(r#"{{"name": "s{i}", "conversion": "1", "duration": "1"}}"#)).collect();
            stages.push(r#"{"name": "won", "kind": "won"}"#.into());
            let policy: ForecastPolicy = crate::wire::from_json(
                &format!(
                    r#"{{"stages": [{}], "duration_unit": "days", "placement": "remaining_full"}}"#,
                    stages.join(",")
                ),
                "",
            )
            .unwrap();
            let deals: Vec<crate::forecast::Deal> =
                (0..n).map(|i| crate::forecast::Deal::new(format!("d{i}"), format!("s{i}"), Decimal::ONE)).collect();
            let as_of = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap();
            let report = crate::forecast::forecast(&policy, &deals, as_of).unwrap();
            assert_eq!(report.stages.len(), n + 1);
            serde_json::to_string(&report).unwrap().len()
        };
        let (half, full) = (report_bytes(2_500), report_bytes(5_000));
        // Linear: 5,000 stages take about twice the bytes of 2,500 (labels grow by a digit);
        // the old report was four times larger.
        assert!(full < half * 9 / 4, "{half} bytes for 2,500 stages, {full} for 5,000");
        assert!(full < 5_000 * 600, "{full} bytes for 5,000 stages and deals");
    }

    /// A dense cell whose sum outgrows 96 bits moves into the wide table: sums stay exact.
    #[test]
    fn a_dense_cell_spills_into_wide_sums() {
        let policy: ForecastPolicy = crate::wire::from_json(
            r#"{"stages": [{"name": "a", "conversion": "0.5", "duration": "40"}, {"name": "won", "kind": "won"}],
                "duration_unit": "days", "placement": "remaining_full"}"#,
            "",
        )
        .unwrap();
        let funnel = Funnel::new(&policy).unwrap();
        let mut agg = Aggregator::with_dense_limit(&funnel, 3, 1, 2, u64::MAX);
        let big = 1i128 << 95;
        for _ in 0..3 {
            agg.add_at(0, 0, 1, big).unwrap();
        }
        agg.add_at(0, 0, 1, 7).unwrap();
        let cells = agg.filled().unwrap();
        assert_eq!(cells.len(), 1);
        assert_eq!((cells[0].3.units, cells[0].3.deals), (3 * big + 7, 4));
        let mut other = Aggregator::with_dense_limit(&funnel, 3, 1, 2, u64::MAX);
        other.add_at(0, 0, 1, 1).unwrap();
        agg.merge(&other).unwrap();
        let cells = agg.filled().unwrap();
        assert_eq!((cells[0].3.units, cells[0].3.deals), (3 * big + 8, 5));
    }

    #[test]
    fn sparse_and_dense_cell_tables_give_the_same_report() {
        let policy: ForecastPolicy = crate::wire::from_json(
            r#"{"stages": [{"name": "a", "conversion": "0.5", "duration": "40"},
                           {"name": "b", "conversion": "0.25", "duration": "10"}, {"name": "won", "kind": "won"}],
                "duration_unit": "days", "placement": "remaining_full", "group_by": ["owner"]}"#,
            "",
        )
        .unwrap();
        let funnel = Funnel::new(&policy).unwrap();
        let as_of = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap();
        let placer = Placer::new(&funnel, as_of);
        let max = placer.max_offset(None).unwrap();
        let keys: Vec<Vec<Option<String>>> = vec![vec![Some("x".into())], vec![None], vec![Some("y".into())]];
        let reports: Vec<ForecastReport> = [u64::MAX, 0]
            .into_iter()
            .map(|limit| {
                let mut agg = Aggregator::with_dense_limit(&funnel, max, keys.len(), 2, limit);
                let unscheduled = agg.unscheduled_slot();
                for (g, s, slot, units) in
                    [(0, 0, 2, 1234), (1, 1, 1, 999), (2, 0, 2, 1), (0, 0, 2, 5), (2, 1, unscheduled, 7)]
                {
                    agg.add_at(g, s, slot, units).unwrap();
                }
                agg.add_closed(2, 100).unwrap();
                let per_deal = crate::forecast::per_deal::PerDeal::default();
                let extras = Extras {
                    rounding: policy.rounding,
                    per_deal: &per_deal,
                    stalled: &[],
                    stalled_delta: &[],
                    idle: &[],
                    idle_delta: &[],
                };
                agg.finish(&funnel, &placer, &keys, extras, Kept::default()).unwrap()
            })
            .collect();
        assert_eq!(reports[0], reports[1]);
        assert_eq!(reports[0].groups.len(), 3);
        assert_eq!(reports[0].totals.open.deals, 5);
        assert_eq!(reports[0].totals.won.weighted.to_string(), "1.00");
    }
}
