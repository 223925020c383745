//! Target allocation invariants.

use chrono::NaiveDate;
use crmkit::forecast::{allocate_target, Adjustment, AllocationInput, AllocationPolicy, HistoryRow};
use proptest::prelude::*;
use rust_decimal::Decimal;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn allocations_sum_exactly_to_the_target(
        target_cents in 0i64..10_000_000_000,
        history in proptest::collection::vec((0usize..6, 0u32..200, 0i64..1_000_000), 1..30),
        adjustments in proptest::collection::vec((0usize..8, -5_000i64..5_000), 0..4),
        dp in 0u32..4,
    ) {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let rows: Vec<HistoryRow> = history
            .iter()
            .map(|&(k, days, cents)| HistoryRow {
                key: format!("k{k}"),
                on: as_of - chrono::Days::new(u64::from(days)),
                amount: Decimal::new(cents, 2),
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        let adjustments: Vec<Adjustment> = adjustments
            .iter()
            .filter(|(k, _)| seen.insert(*k))
            .map(|&(k, cents)| Adjustment { key: format!("k{k}"), amount: Decimal::new(cents, 2) })
            .collect();
        let input = AllocationInput { target: Decimal::new(target_cents, 2), history: rows, adjustments: adjustments.clone() };
        let policy: AllocationPolicy = crmkit::wire::from_json(&format!(r#"{{"rounding": {{"dp": {dp}}}}}"#), "").expect("policy");
        match allocate_target(&policy, &input, as_of) {
            Ok(r) => {
                let sum: Decimal = r.lines.iter().map(|l| l.target).sum();
                prop_assert_eq!(sum, r.target);
                for line in &r.lines {
                    prop_assert!(line.target >= Decimal::ZERO);
                    let adj = adjustments.iter().find(|a| a.key == line.key).map_or(Decimal::ZERO, |a| a.amount);
                    prop_assert_eq!(line.adjustment, policy.rounding.round(adj));
                    prop_assert_eq!(line.target, line.base + line.adjustment);
                }
                let mut keys: Vec<&str> = r.lines.iter().map(|l| l.key.as_str()).collect();
                let sorted = { let mut k = keys.clone(); k.sort_unstable(); k };
                prop_assert_eq!(&keys, &sorted);
                keys.dedup();
                prop_assert_eq!(keys.len(), r.lines.len());
            }
            // Adjustments beyond the target, or leaving a key below 0, or no history: typed errors.
            Err(e) => prop_assert!(matches!(e.code(), "out_of_range" | "negative_amount" | "invalid_value"), "{e}"),
        }
    }
}
