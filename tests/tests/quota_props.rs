//! Quota invariants over generated books: every deal is counted once, in one line and in its
//! period's total, and the figures agree with the forecast's own totals.

use chrono::NaiveDate;
use crmkit::forecast::{forecast, quota_attainment, Deal, Quota, QuotaInput, QuotaPolicy};
use crmkit_tests::quota_book::{deal, policy};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn sum(values: impl Iterator<Item = Decimal>) -> Decimal {
    values.fold(Decimal::ZERO, |a, b| a + b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn lines_add_up_to_totals_and_to_the_forecast(
        book in proptest::collection::vec((0usize..4, 0i64..1_000_000, 0u8..4, proptest::option::of(-200i64..400)), 0..40),
        quotas in proptest::collection::vec((0u8..4, 0i64..1_000_000), 0..6),
        period in 0usize..3,
    ) {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let deals: Vec<Deal> = book
            .iter()
            .enumerate()
            .map(|(i, &(stage, cents, owner, day))| deal(i, stage, cents, owner, day, as_of, 1))
            .collect();
        let kind = ["month", "quarter", "year"][period];
        let quota: QuotaPolicy = crmkit::wire::from_json(&format!(r#"{{"group_by": ["owner"], "period": "{kind}"}}"#), "").expect("quota");
        let label = ["2026-11", "FY2027-Q2", "FY2027"][period];
        let mut seen = std::collections::BTreeSet::new();
        let quotas: Vec<Quota> = quotas
            .iter()
            .filter(|(owner, _)| seen.insert(*owner))
            .map(|&(owner, cents)| Quota {
                key: [("owner".to_owned(), format!("o{owner}"))].into(),
                period: label.into(),
                amount: Decimal::new(cents, 2),
            })
            .collect();
        let input = QuotaInput { deals: deals.clone(), quotas: quotas.clone(), won: Vec::new() };
        let policy = policy(&[]);
        let r = quota_attainment(&policy, &quota, &input, as_of).expect("valid book");
        let f = forecast(&policy, &deals, as_of).expect("valid book");
        // Every deal once: won and open (placed + unscheduled) match the forecast's totals.
        prop_assert_eq!(sum(r.lines.iter().map(|l| l.won.amount)), f.totals.won.amount);
        prop_assert_eq!(sum(r.lines.iter().map(|l| l.open.amount)) + r.unscheduled.amount, f.totals.open.amount);
        prop_assert_eq!(sum(r.totals.iter().map(|l| l.open.amount)), sum(r.lines.iter().map(|l| l.open.amount)));
        prop_assert_eq!(
            sum(r.lines.iter().map(|l| l.open.deals.into())) + Decimal::from(r.unscheduled.deals),
            Decimal::from(f.totals.open.deals)
        );
        for total in &r.totals {
            let lines = r.lines.iter().filter(|l| l.period == total.period);
            prop_assert_eq!(sum(lines.clone().map(|l| l.won.amount)), total.won.amount);
            prop_assert_eq!(total.quota.is_some(), lines.clone().any(|l| l.quota.is_some()));
        }
        for (l, q) in r.lines.iter().filter_map(|l| l.quota.map(|q| (l, q))) {
            // gap = quota − won exactly; coverage only while something is left to cover.
            prop_assert_eq!(l.gap, Some(q - l.won.amount));
            prop_assert_eq!(l.coverage.is_some(), q > l.won.amount);
            if let (Some(a), false) = (l.attainment, q.is_zero()) {
                prop_assert!((a - l.won.amount / q).abs() <= Decimal::new(5, 5));
            }
        }
        prop_assert_eq!(r.lines.iter().filter(|l| l.quota.is_some()).count(), quotas.len());
    }
}
