//! Forecast hierarchy invariants over generated trees, books and adjustments: the roll-up of
//! the root is the sum of every deal, and adjustments move only the adjusted column.

use chrono::NaiveDate;
use crmkit::forecast::{
    forecast_hierarchy, Deal, ForecastAdjustment, ForecastCategory, ForecastPolicy, HierarchyInput, HierarchyPolicy,
    OwnerNode,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

const STAGES: [&str; 5] = ["discovery", "proposal", "negotiation", "won", "lost"];
const CATEGORIES: [ForecastCategory; 3] =
    [ForecastCategory::Commit, ForecastCategory::BestCase, ForecastCategory::Pipeline];

fn policy() -> ForecastPolicy {
    crmkit::wire::from_json(
        r#"{"stages": [{"name": "discovery", "probability": "0.2"}, {"name": "proposal", "probability": "0.5", "category": "best_case"},
            {"name": "negotiation", "probability": "0.8", "category": "commit"}, {"name": "won", "kind": "won"}, {"name": "lost", "kind": "lost"}],
            "duration_unit": "days", "placement": "expected_close", "undated": "unscheduled"}"#,
        "",
    )
    .expect("policy")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn root_rolls_up_every_deal_and_adjustments_touch_only_the_adjusted_column(
        // Owner i > 0 reports to one of the owners before it: always a tree with root 0.
        managers in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        book in proptest::collection::vec((0usize..5, 0i64..100_000, any::<prop::sample::Index>(), -100i64..200), 0..30),
        adjustments in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..3, 0i64..100_000, any::<prop::sample::Index>()), 0..6),
    ) {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let n = managers.len() + 1;
        let owners: Vec<OwnerNode> = (0..n)
            .map(|i| OwnerNode { owner: format!("o{i}"), manager: (i > 0).then(|| format!("o{}", managers[i - 1].index(i))) })
            .collect();
        let deals: Vec<Deal> = book
            .iter()
            .enumerate()
            .map(|(i, &(stage, cents, owner, day))| {
                let day = if STAGES[stage] == "won" { -day.abs() } else { day };
                Deal::new(format!("d{i}"), STAGES[stage], Decimal::new(cents, 2))
                    .with_owner(format!("o{}", owner.index(n)))
                    .with_expected_close_on(as_of + chrono::TimeDelta::days(day))
            })
            .collect();
        let hierarchy = HierarchyPolicy { owners: owners.clone(), period: crmkit::forecast::PeriodKind::Quarter };
        let policy = policy();
        let plain = forecast_hierarchy(&policy, &hierarchy, &HierarchyInput { deals: deals.clone(), adjustments: vec![] }, as_of)
            .expect("valid book");
        // The root's call per category equals the sum of all deals' amounts in it, period by period.
        let report = crmkit::forecast::forecast(&policy, &deals, as_of).expect("valid book");
        let mut open_and_won = Decimal::ZERO;
        for line in report.deals.iter().filter(|d| d.month.is_some() || d.category == ForecastCategory::Closed) {
            if line.category != ForecastCategory::Omitted {
                open_and_won += line.amount;
            }
        }
        let root_pipeline: Decimal =
            plain.lines.iter().filter(|l| l.level == 0).map(|l| l.forecasts[3].call).sum();
        prop_assert_eq!(root_pipeline, open_and_won);
        for l in &plain.lines {
            for f in &l.forecasts {
                prop_assert_eq!(f.adjusted, f.call);
            }
        }
        // Each manager adjusts a number of their own subtree: the owner itself or a report.
        let mut seen = std::collections::BTreeSet::new();
        let adjustments: Vec<ForecastAdjustment> = adjustments
            .iter()
            .filter_map(|&(owner, c, cents, by)| {
                let owner = owner.index(n);
                let mut chain = vec![owner];
                while let Some(m) = chain.last().and_then(|&i| (i > 0).then(|| managers[i - 1].index(i))) {
                    chain.push(m);
                }
                let by = chain[by.index(chain.len())];
                seen.insert((by, owner, c)).then(|| ForecastAdjustment {
                    by: format!("o{by}"),
                    owner: format!("o{owner}"),
                    category: CATEGORIES[c],
                    period: "2026-Q4".into(),
                    amount: Decimal::new(cents, 2),
                })
            })
            .collect();
        let adjusted = forecast_hierarchy(&policy, &hierarchy, &HierarchyInput { deals, adjustments: adjustments.clone() }, as_of)
            .expect("valid adjustments");
        let unchanged = |r: &crmkit::forecast::HierarchyReport, owner: &str, period: &str| {
            r.lines.iter().find(|l| l.owner == owner && l.period == period).map(|l| {
                l.forecasts.iter().map(|f| (f.own, f.call, f.weighted)).collect::<Vec<_>>()
            })
        };
        for l in &adjusted.lines {
            if let Some(before) = unchanged(&plain, &l.owner, &l.period) {
                prop_assert_eq!(unchanged(&adjusted, &l.owner, &l.period), Some(before));
            }
        }
        // An adjusted number is the last adjustment made on it.
        for a in &adjustments {
            let c = 1 + CATEGORIES.iter().position(|c| *c == a.category).expect("category");
            let line = adjusted.lines.iter().find(|l| l.owner == a.owner && l.period == "2026-Q4").expect("line");
            let f = &line.forecasts[c];
            prop_assert_eq!(Some(f.adjusted), f.adjustments.last().map(|x| x.to));
            prop_assert!(f.adjustments.iter().any(|x| x.by == a.by && x.to == a.amount.round_dp(2)));
        }
    }
}
