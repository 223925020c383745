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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Down a tree of up to three levels with level floors and node floors: every node's
    /// children sum exactly to it, every node gets at least its floor, and the children not
    /// raised to a floor get their exact share of what is left to within one quantum.
    #[test]
    fn allocation_at_every_level_sums_to_its_parent(
        target_cents in 0i64..10_000_000_000,
        depth in 1usize..4,
        rows in proptest::collection::vec((proptest::collection::vec(0usize..3, 3), 0u32..400, 0i64..1_000_000), 1..40),
        level_floors in proptest::collection::vec(0i64..400_000, 3),
        node_floors in proptest::collection::vec((proptest::collection::vec(0usize..3, 3), 1usize..4, 0i64..2_000_000), 0..4),
        windows in proptest::collection::vec(0usize..4, 3),
        dp in 0u32..3,
    ) {
        use crmkit::forecast::{allocate_tree, AllocationNodeReason, AllocationTreeInput, AllocationTreePolicy, NodeFloor, PathHistoryRow};
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let names = ["all", "ytd", "qtd", "mtd"];
        let levels: Vec<String> = (0..depth)
            .map(|d| format!(r#"{{"name": "l{d}", "window": "{}", "floor": "{}"}}"#, names[windows[d]], Decimal::new(level_floors[d], 2)))
            .collect();
        let policy: AllocationTreePolicy = crmkit::wire::from_json(
            &format!(r#"{{"levels": [{}], "rounding": {{"dp": {dp}}}}}"#, levels.join(",")), "policy").expect("policy");
        let path = |keys: &[usize], len: usize| keys[..len].iter().enumerate().map(|(d, k)| format!("{d}{k}")).collect::<Vec<_>>();
        let history: Vec<PathHistoryRow> = rows
            .iter()
            .map(|(keys, days, cents)| PathHistoryRow { path: path(keys, depth), on: as_of - chrono::Days::new(u64::from(*days)), amount: Decimal::new(*cents, 2) })
            .collect();
        let mut seen = std::collections::HashSet::new();
        let floors: Vec<NodeFloor> = node_floors
            .iter()
            .filter(|(keys, len, _)| *len <= depth && history.iter().any(|r| r.path[..*len] == path(keys, *len)[..]))
            .filter(|(keys, len, _)| seen.insert(path(keys, *len)))
            .map(|(keys, len, cents)| NodeFloor { path: path(keys, *len), amount: Decimal::new(*cents, 2) })
            .collect();
        let input = AllocationTreeInput { target: Decimal::new(target_cents, 2), history, floors };
        match allocate_tree(&policy, &input, as_of) {
            Ok(r) => {
                let quantum = Decimal::new(1, dp);
                let mut targets = std::collections::BTreeMap::new();
                targets.insert(Vec::new(), r.target);
                for line in &r.lines {
                    targets.insert(line.path.clone(), line.target);
                }
                let mut children: std::collections::BTreeMap<Vec<String>, Decimal> = std::collections::BTreeMap::new();
                for line in &r.lines {
                    prop_assert_eq!(&line.parent[..], &line.path[..line.path.len() - 1]);
                    prop_assert_eq!(line.parent_target, targets[&line.parent]);
                    prop_assert!(line.target >= line.floor, "{:?}", line);
                    prop_assert_eq!(line.target.scale(), dp);
                    *children.entry(line.parent.clone()).or_default() += line.target;
                    if !line.reasons.contains(&AllocationNodeReason::Floor) {
                        let open: Decimal = r.lines.iter()
                            .filter(|s| s.parent == line.parent && !s.reasons.contains(&AllocationNodeReason::Floor))
                            .map(|s| s.history).sum();
                        if !open.is_zero() {
                            let exact = line.shared * line.history / open;
                            prop_assert!((line.target - exact).abs() < quantum, "{:?} exact {}", line, exact);
                        }
                    }
                }
                for (parent, sum) in &children {
                    prop_assert_eq!(*sum, targets[parent], "children of {:?}", parent);
                }
                // Every inner node has children, the leaves are at the last level.
                for line in &r.lines {
                    prop_assert_eq!(children.contains_key(&line.path), line.path.len() < depth);
                }
            }
            // Floors above a parent, or a parent with nothing to share by: typed errors.
            Err(e) => prop_assert!(matches!(e.code(), "out_of_range" | "invalid_value"), "{e}"),
        }
    }
}
