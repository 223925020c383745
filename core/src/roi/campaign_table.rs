//! An [`RoiReport`]'s campaign lines as columns, for callers that hand them on as typed arrays
//! (JS) or numpy arrays (Python) rather than as one object per campaign (~917 B of JSON each):
//! money as integer units of the policy's `rounding.dp`, percentages of its
//! `percent_rounding.dp`, a mask per nullable figure, channels, groups and periods as indexes
//! into label lists, reasons as a bit set. Every figure is the line's own, exactly.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::metrics::{RoiLine, RoiReason, RoiReport};
use super::policy::RoiPolicy;
use crate::error::{Error, Result};
use crate::forecast::UnitColumn;

/// Every reason, in the order a line lists them: bit `k` of [`RoiTable::reasons`] is
/// `ROI_REASONS[k]`, and a line's reasons read from bit 0 up are its report list.
pub const ROI_REASONS: [RoiReason; 12] = [
    RoiReason::ZeroCost,
    RoiReason::NegativeReturn,
    RoiReason::NoLeads,
    RoiReason::NoOpportunities,
    RoiReason::NoWins,
    RoiReason::NoNewCustomers,
    RoiReason::BudgetMissing,
    RoiReason::OverBudget,
    RoiReason::ExpectedRevenueMissing,
    RoiReason::BelowExpectedRevenue,
    RoiReason::Undated,
    RoiReason::ProRated,
];

/// The money figures a line always has (never `null` in the report): their columns' `missing`
/// is all `false`. Every other money and percentage column may be missing.
pub const ROI_NEVER_NULL: [&str; 3] = ["cost", "won_revenue", "net_return"];

/// Text labels by first appearance, and each line's index into them (-1: none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelColumn {
    /// The distinct labels.
    pub labels: Vec<String>,
    /// Per line, its label's index (-1 where the line has none).
    pub index: Vec<i32>,
}

impl LabelColumn {
    /// `label`'s index, the label added on its first appearance.
    fn code(&mut self, label: &str, known: &mut HashMap<String, i32>) -> i32 {
        *known.entry(label.to_owned()).or_insert_with(|| {
            self.labels.push(label.to_owned());
            i32::try_from(self.labels.len() - 1).unwrap_or(-1)
        })
    }

    fn push(&mut self, label: Option<&str>, known: &mut HashMap<String, i32>) {
        let i = label.map_or(-1, |l| self.code(l, known));
        self.index.push(i);
    }
}

/// The campaign lines of an [`RoiReport`] as columns (see [`RoiTable::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoiTable {
    /// Decimal places of the money columns and of ROAS (`rounding.dp`).
    pub scale: u32,
    /// Decimal places of the percentages (`percent_rounding.dp`).
    pub percent_scale: u32,
    /// Per line, the campaign id.
    pub key: Vec<String>,
    /// Channel, group and period of each line.
    pub channel: LabelColumn,
    /// The channel's group.
    pub group: LabelColumn,
    /// The period of its `start_on` (none: undated).
    pub period: LabelColumn,
    /// Counts per line, in this order: `campaigns`, `leads`, `customers`, `opportunities`,
    /// `won`, `new_customers`; then each funnel stage's count (the policy's funnel order).
    pub counts: Vec<(String, Vec<u64>)>,
    /// Money figures (units of 10^-`scale`), by their report name (`cost`, `budget`...), in
    /// the report's field order; [`ROI_NEVER_NULL`] names the ones never missing.
    pub money: Vec<(&'static str, UnitColumn)>,
    /// Percentages (units of 10^-`percent_scale`), by their report name; each funnel stage's
    /// `{stage}_from_top_pct` and `{stage}_from_previous_pct` last.
    pub percent: Vec<(String, UnitColumn)>,
    /// Per line, its reasons as bits (bit `k`: [`ROI_REASONS`]`[k]`).
    pub reasons: Vec<u16>,
    /// The lines' `cost_periods` (under `cost_allocation: pro_rata`), piece after piece.
    pub cost_periods: CostPeriods,
}

/// The campaign lines' `cost_periods` as columns: line `i`'s pieces are rows
/// `offsets[i]..offsets[i + 1]`, in its list's order (none without pro rata).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CostPeriods {
    /// One offset per line and one more: where each line's pieces start, then their count.
    pub offsets: Vec<u32>,
    /// Each piece's period: an index into the table's `period.labels`.
    pub period: Vec<i32>,
    /// The campaign's days inside it.
    pub days: Vec<u32>,
    /// Decimal places of `cost` and `budget`: the largest of the pieces' own and the table's
    /// `scale` (a piece keeps its cost's places when they are more than the policy's).
    pub scale: u32,
    /// Each piece's cost, units of 10^-`scale` (never missing).
    pub cost: UnitColumn,
    /// The budget's piece (missing: the campaign has no budget).
    pub budget: UnitColumn,
}

/// A money figure of a line.
type Money = fn(&RoiLine) -> Option<Decimal>;

const MONEY: [(&str, Money); 12] = [
    ("budget", |l| l.budget),
    ("cost", |l| Some(l.cost)),
    ("budget_variance", |l| l.budget_variance),
    ("expected_revenue", |l| l.expected_revenue),
    ("won_revenue", |l| Some(l.won_revenue)),
    ("revenue_variance", |l| l.revenue_variance),
    ("net_return", |l| Some(l.net_return)),
    ("roas", |l| l.roas),
    ("cost_per_lead", |l| l.cost_per_lead),
    ("cost_per_opportunity", |l| l.cost_per_opportunity),
    ("cost_per_win", |l| l.cost_per_win),
    ("cac", |l| l.cac),
];

const PERCENT: [(&str, Money); 3] = [
    ("budget_used_pct", |l| l.budget_used_pct),
    ("revenue_attained_pct", |l| l.revenue_attained_pct),
    ("roi_pct", |l| l.roi_pct),
];

impl RoiTable {
    /// The campaign lines of `report` (of `policy`) as columns, their `cost_periods` (under
    /// `cost_allocation: pro_rata`) as [`CostPeriods`].
    ///
    /// # Errors
    ///
    /// `overflow` at `campaigns[i].{field}` for a figure beyond 64-bit units (a piece's at
    /// `campaigns[i].cost_periods[k].cost`).
    pub fn new(report: &RoiReport, policy: &RoiPolicy) -> Result<Self> {
        let lines = &report.campaigns;
        let n = lines.len();
        let (scale, percent_scale) = (policy.rounding.dp, policy.percent_rounding.dp);
        let mut t = Self { scale, percent_scale, key: Vec::with_capacity(n), ..Self::default() };
        let stages: Vec<String> = policy
            .funnel
            .iter()
            .map(|s| serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
            .collect();
        let mut known = [HashMap::new(), HashMap::new(), HashMap::new()];
        let count_names = ["campaigns", "leads", "customers", "opportunities", "won", "new_customers"];
        t.counts = count_names
            .iter()
            .map(|&c| c.to_owned())
            .chain(stages.iter().map(|s| format!("{s}_count")))
            .map(|name| (name, Vec::with_capacity(n)))
            .collect();
        t.money = MONEY.iter().map(|(name, _)| (*name, UnitColumn::default())).collect();
        t.percent = PERCENT
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .chain(stages.iter().flat_map(|s| [format!("{s}_from_top_pct"), format!("{s}_from_previous_pct")]))
            .map(|name| (name, UnitColumn::default()))
            .collect();
        t.reasons.reserve(n);
        let pieces = lines.iter().flat_map(|l| &l.cost_periods);
        t.cost_periods.scale =
            pieces.flat_map(|p| [Some(p.cost), p.budget]).flatten().map(|d| d.scale()).fold(scale, u32::max);
        t.cost_periods.offsets.reserve(n + 1);
        t.cost_periods.offsets.push(0);
        for (i, line) in lines.iter().enumerate() {
            let at = |field: &str| format!("campaigns[{i}].{field}");
            t.key.push(line.key.clone());
            let [channels, groups, periods] = &mut known;
            t.channel.push(line.channel.as_deref(), channels);
            t.group.push(line.group.as_deref(), groups);
            t.period.push(line.period.as_deref(), periods);
            let counts = [line.campaigns, line.leads, line.customers, line.opportunities, line.won, line.new_customers];
            let steps = line.funnel.iter().map(|s| s.count);
            for ((_, column), c) in t.counts.iter_mut().zip(counts.into_iter().chain(steps)) {
                column.push(c);
            }
            for ((name, column), (_, get)) in t.money.iter_mut().zip(MONEY) {
                column.push(get(line), scale, || at(name))?;
            }
            let steps = line.funnel.iter().flat_map(|s| [s.from_top_pct, s.from_previous_pct]);
            let figures = PERCENT.iter().map(|(_, get)| get(line)).chain(steps);
            for ((name, column), figure) in t.percent.iter_mut().zip(figures) {
                column.push(figure, percent_scale, || at(name))?;
            }
            let bits = line
                .reasons
                .iter()
                .fold(0u16, |bits, r| bits | ROI_REASONS.iter().position(|x| x == r).map_or(0, |k| 1 << k));
            t.reasons.push(bits);
            let c = &mut t.cost_periods;
            for (k, piece) in line.cost_periods.iter().enumerate() {
                let piece_at = |field: &str| format!("campaigns[{i}].cost_periods[{k}].{field}");
                c.period.push(t.period.code(&piece.period, periods));
                c.days.push(piece.days);
                c.cost.push(Some(piece.cost), c.scale, || piece_at("cost"))?;
                c.budget.push(piece.budget, c.scale, || piece_at("budget"))?;
            }
            let end = u32::try_from(c.period.len()).map_err(|_| Error::Overflow { path: at("cost_periods") })?;
            c.offsets.push(end);
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roi::{campaign_roi, Campaign};
    use crate::wire::from_json;

    #[test]
    fn reason_codes_are_the_wire_names() {
        for r in ROI_REASONS {
            assert_eq!(serde_json::to_value(r).unwrap(), r.code());
        }
    }

    #[test]
    fn pro_rata_pieces_are_columns_at_their_largest_places() {
        let policy: RoiPolicy = from_json(r#"{"cost_allocation": "pro_rata"}"#, "").unwrap();
        let campaigns: Vec<Campaign> = from_json(
            r#"[{"id": "a", "channel": "search", "cost": "1000", "budget": "900", "start_on": "2026-01-20", "end_on": "2026-03-05"},
                {"id": "b", "channel": "tv", "cost": "10.125"},
                {"id": "c", "channel": "email", "cost": "333.333", "start_on": "2026-04-30", "end_on": "2026-05-01"}]"#,
            "",
        )
        .unwrap();
        let r = campaign_roi(&policy, &campaigns).unwrap();
        let t = RoiTable::new(&r, &policy).unwrap();
        let c = &t.cost_periods;
        assert_eq!(c.offsets, [0, 3, 3, 5]);
        assert_eq!(c.scale, 3);
        for (i, l) in r.campaigns.iter().enumerate() {
            let rows = c.offsets[i] as usize..c.offsets[i + 1] as usize;
            assert_eq!(rows.len(), l.cost_periods.len());
            for (p, row) in l.cost_periods.iter().zip(rows) {
                assert_eq!(t.period.labels[c.period[row] as usize], p.period);
                assert_eq!(c.days[row], p.days);
                assert_eq!(Decimal::new(c.cost.units[row], c.scale), p.cost);
                assert_eq!((!c.budget.missing[row]).then(|| Decimal::new(c.budget.units[row], c.scale)), p.budget);
            }
        }
        assert_eq!(t.period.labels, ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]);
    }

    #[test]
    fn every_figure_is_the_campaign_lines() {
        let policy: RoiPolicy = from_json(r#"{"percent_rounding": {"dp": 2}}"#, "").unwrap();
        let campaigns: Vec<Campaign> = from_json(
            r#"[{"id": "a", "channel": "search", "cost": "1000.125", "won_revenue": "5000", "budget": "900",
                 "leads": 300, "customers": 40, "opportunities": 20, "won": 7, "start_on": "2026-03-02"},
                {"id": "b", "channel": "tv", "cost": "0", "leads": 0},
                {"id": "c", "channel": "email", "cost": "333.33", "won_revenue": "10", "expected_revenue": "20",
                 "leads": 3, "won": 1, "new_customers": 2, "start_on": "2026-04-30"}]"#,
            "",
        )
        .unwrap();
        let r = campaign_roi(&policy, &campaigns).unwrap();
        let t = RoiTable::new(&r, &policy).unwrap();
        assert_eq!(t.key, ["a", "b", "c"]);
        for (name, column) in &t.money {
            assert!(!ROI_NEVER_NULL.contains(name) || !column.missing.contains(&true), "{name} is never null");
        }
        let back = |c: &UnitColumn, i: usize, s: u32| (!c.missing[i]).then(|| Decimal::new(c.units[i], s));
        for (i, l) in r.campaigns.iter().enumerate() {
            for ((name, column), (_, get)) in t.money.iter().zip(MONEY) {
                assert_eq!(back(column, i, t.scale), get(l), "{name} of {}", l.key);
            }
            for ((name, column), (_, get)) in t.percent.iter().zip(PERCENT) {
                assert_eq!(back(column, i, t.percent_scale), get(l), "{name} of {}", l.key);
            }
            for (k, step) in l.funnel.iter().enumerate() {
                let (top, previous) = (&t.percent[3 + 2 * k].1, &t.percent[4 + 2 * k].1);
                assert_eq!(
                    (back(top, i, t.percent_scale), back(previous, i, t.percent_scale)),
                    (step.from_top_pct, step.from_previous_pct)
                );
                assert_eq!(t.counts[6 + k].1[i], step.count);
            }
            let reasons: Vec<RoiReason> =
                ROI_REASONS.iter().enumerate().filter(|(k, _)| t.reasons[i] >> k & 1 == 1).map(|(_, r)| *r).collect();
            assert_eq!(reasons, l.reasons);
            assert_eq!(t.channel.index[i] < 0, l.channel.is_none());
            if let Some(c) = &l.channel {
                assert_eq!(&t.channel.labels[t.channel.index[i] as usize], c);
            }
            assert_eq!(t.period.index[i] < 0, l.period.is_none());
        }
    }
}
