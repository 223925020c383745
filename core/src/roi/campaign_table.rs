//! An [`RoiReport`]'s campaign lines as columns, for callers that hand them on as typed arrays
//! (JS) or numpy arrays (Python) rather than as one object per campaign (~917 B of JSON each):
//! money as integer units of the policy's `rounding.dp`, percentages of its
//! `percent_rounding.dp`, a mask per nullable figure, channels, groups and periods as indexes
//! into label lists, reasons as a bit set. Every figure is the line's own, exactly.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::metrics::{RoiLine, RoiReason, RoiReport};
use super::policy::RoiPolicy;
use crate::error::Result;
use crate::forecast::UnitColumn;

/// Every reason, in the order of [`RoiReason`]'s variants: bit `k` of
/// [`RoiTable::reasons`] is `ROI_REASONS[k]`.
pub const ROI_REASONS: [RoiReason; 12] = [
    RoiReason::ZeroCost,
    RoiReason::NoLeads,
    RoiReason::NoOpportunities,
    RoiReason::NoWins,
    RoiReason::NoNewCustomers,
    RoiReason::BudgetMissing,
    RoiReason::OverBudget,
    RoiReason::ExpectedRevenueMissing,
    RoiReason::BelowExpectedRevenue,
    RoiReason::NegativeReturn,
    RoiReason::Undated,
    RoiReason::ProRated,
];

/// Text labels by first appearance, and each line's index into them (-1: none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelColumn {
    /// The distinct labels.
    pub labels: Vec<String>,
    /// Per line, its label's index (-1 where the line has none).
    pub index: Vec<i32>,
}

impl LabelColumn {
    fn push(&mut self, label: Option<&str>, known: &mut HashMap<String, i32>) {
        let i = label.map_or(-1, |l| {
            *known.entry(l.to_owned()).or_insert_with(|| {
                self.labels.push(l.to_owned());
                i32::try_from(self.labels.len() - 1).unwrap_or(-1)
            })
        });
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
    /// Money figures (units of 10^-`scale`), by their report name (`cost`, `budget`...).
    pub money: Vec<(&'static str, UnitColumn)>,
    /// Percentages (units of 10^-`percent_scale`), by their report name; each funnel stage's
    /// `{stage}_from_top_pct` and `{stage}_from_previous_pct` last.
    pub percent: Vec<(String, UnitColumn)>,
    /// Per line, its reasons as bits (bit `k`: [`ROI_REASONS`]`[k]`).
    pub reasons: Vec<u16>,
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
    /// The campaign lines of `report` (of `policy`) as columns. A campaign's `cost_periods`
    /// (under `cost_allocation: pro_rata`) are not in the table.
    ///
    /// # Errors
    ///
    /// `overflow` at `campaigns[i].{field}` for a figure beyond 64-bit units.
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
            let mut want = l.reasons.clone();
            want.sort_by_key(|r| ROI_REASONS.iter().position(|x| x == r));
            assert_eq!(reasons, want);
            assert_eq!(t.channel.index[i] < 0, l.channel.is_none());
            if let Some(c) = &l.channel {
                assert_eq!(&t.channel.labels[t.channel.index[i] as usize], c);
            }
            assert_eq!(t.period.index[i] < 0, l.period.is_none());
        }
    }
}
