//! Funnel history invariants over generated stage-change logs.

use chrono::NaiveDate;
use crmkit::forecast::{funnel_history, HistoryPolicy, StageEvent, StageKind};
use proptest::prelude::*;
use rust_decimal::Decimal;

const STAGES: [&str; 5] = ["a", "b", "c", "won", "lost"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_finished_or_open_deal_is_counted_once_and_order_does_not_matter(
        log in proptest::collection::vec((0u8..12, 0usize..5, 0u64..90), 0..60),
        ignored in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        let policy: HistoryPolicy = crmkit::wire::from_json(&format!(
            r#"{{"stages": [{{"name": "a"}}, {{"name": "b"}}, {{"name": "c"}}, {{"name": "won", "kind": "won"}},
                {{"name": "lost", "kind": "lost"}}], "skipped": "{}"}}"#, if ignored { "ignored" } else { "passed" }), "").expect("policy");
        let events: Vec<StageEvent> = log
            .iter()
            .map(|&(deal, stage, days)| StageEvent {
                deal: format!("d{deal}"),
                stage: STAGES[stage].into(),
                on: as_of - chrono::Days::new(days),
                amount: Some(Decimal::from(days)),
                ..StageEvent::default()
            })
            .collect();
        let r = funnel_history(&policy, &events, as_of).expect("valid log");
        prop_assert_eq!(r.figures.deals, r.figures.won + r.figures.lost + r.figures.open);
        for line in r.figures.stages.iter().filter(|l| l.kind == StageKind::Open) {
            prop_assert_eq!(line.entered, line.advanced + line.lost + line.open);
            if let Some(c) = line.conversion {
                prop_assert!(c >= Decimal::ZERO && c <= Decimal::ONE);
            }
        }
        // The counts against the plain per-deal, per-stage model they were first written as.
        let model = model_counts(&events, ignored);
        for (s, line) in r.figures.stages.iter().enumerate().filter(|(_, l)| l.kind == StageKind::Open) {
            prop_assert_eq!((line.entered, line.advanced, line.lost, line.open), model[s], "stage {}", s);
        }
        let mut shuffled = events.clone();
        let n = shuffled.len();
        for i in (1..n).rev() {
            shuffled.swap(i, (seed.wrapping_mul(i as u64 + 3) % (i as u64 + 1)) as usize);
        }
        // Same-day events of one deal keep the log's order as tie-break, so compare only logs
        // without same-day ties within a deal.
        let mut keys: Vec<(String, NaiveDate)> = events.iter().map(|e| (e.deal.clone(), e.on)).collect();
        keys.sort();
        let ties = keys.windows(2).any(|w| w[0] == w[1]);
        if !ties {
            prop_assert_eq!(funnel_history(&policy, &shuffled, as_of).expect("valid log"), r);
        }
    }
}

/// Per open stage (a, b, c): entered, advanced, lost, still open, counted deal by deal over
/// every stage.
fn model_counts(events: &[StageEvent], ignored: bool) -> [(u64, u64, u64, u64); 3] {
    let mut by_deal: std::collections::BTreeMap<&str, Vec<(NaiveDate, usize, usize)>> =
        std::collections::BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let s = STAGES.iter().position(|&n| n == e.stage).expect("stage");
        by_deal.entry(e.deal.as_str()).or_default().push((e.on, i, s));
    }
    let mut out = [(0, 0, 0, 0); 3];
    for visits in by_deal.values_mut() {
        visits.sort_unstable();
        let last = visits[visits.len() - 1].2;
        let through = if last == 3 { 3 } else { visits.iter().filter(|v| v.2 < 3).map(|v| v.2 + 1).max().unwrap_or(0) };
        for (s, counts) in out.iter_mut().enumerate().take(through) {
            if ignored && !visits.iter().any(|v| v.2 == s) {
                continue;
            }
            counts.0 += 1;
            if s + 1 < through || last == 3 {
                counts.1 += 1;
            } else if last == 4 {
                counts.2 += 1;
            } else {
                counts.3 += 1;
            }
        }
    }
    out
}

/// Deal ids of several lengths (the fast grouping hashes eight bytes at a time and
/// partitions by hash): short ones, ones sharing a long prefix, and long ones.
fn deal_id(d: u8) -> String {
    match d % 4 {
        0 => format!("d{d}"),
        1 => format!("opportunity-2026-{d:03}"),
        2 => format!("{}{d}", "x".repeat(usize::from(d % 20))),
        _ => format!("0065g00000{d:08}AAA"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    /// Each group of a grouped history is the history of its own deals alone: the grouping
    /// (by the last owner a deal's events give, and the month of its first event) and each
    /// group's figures, checked against the ungrouped history of the sub-log.
    #[test]
    fn each_group_is_the_history_of_its_deals(
        log in proptest::collection::vec((0u8..40, 0usize..5, 0u64..120, proptest::option::of(0u8..4)), 1..120),
        ignored in any::<bool>(),
    ) {
        let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        let stages = r#"[{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "won", "kind": "won"}, {"name": "lost", "kind": "lost"}]"#;
        let skipped = if ignored { "ignored" } else { "passed" };
        let policy = |grouped: bool| -> HistoryPolicy {
            let groups = if grouped { r#", "group_by": ["owner"], "cohort": "month""# } else { "" };
            crmkit::wire::from_json(&format!(
                r#"{{"stages": {stages}, "skipped": "{skipped}", "percentiles": ["10", "50", "90"], "stall_percentile": "75"{groups}}}"#), "").expect("policy")
        };
        let events: Vec<StageEvent> = log
            .iter()
            .map(|&(deal, stage, days, owner)| StageEvent {
                deal: deal_id(deal),
                stage: STAGES[stage].into(),
                on: as_of - chrono::Days::new(days),
                amount: Some(Decimal::new(days as i64 * 101, 2)),
                owner: owner.map(|o| format!("rep{o}")),
                ..StageEvent::default()
            })
            .collect();
        let r = funnel_history(&policy(true), &events, as_of).expect("valid log");
        let whole = funnel_history(&policy(false), &events, as_of).expect("valid log");
        prop_assert_eq!(&r.figures, &whole.figures);
        // Each deal's key: its events by (day, log order); the last owner given; the month of the first.
        let mut by_deal: std::collections::BTreeMap<&str, Vec<(NaiveDate, usize)>> = std::collections::BTreeMap::new();
        for (i, e) in events.iter().enumerate() {
            by_deal.entry(e.deal.as_str()).or_default().push((e.on, i));
        }
        let mut keys: std::collections::BTreeMap<(Option<String>, String), Vec<&str>> = std::collections::BTreeMap::new();
        for (deal, visits) in &mut by_deal {
            visits.sort_unstable();
            let owner = visits.iter().rev().find_map(|&(_, i)| events[i].owner.clone());
            let cohort = visits[0].0.format("%Y-%m").to_string();
            keys.entry((owner, cohort)).or_default().push(deal);
        }
        prop_assert_eq!(r.groups.len(), keys.len());
        let mut total = 0;
        for (g, ((owner, cohort), deals)) in r.groups.iter().zip(&keys) {
            prop_assert_eq!(g.key.get("owner"), Some(owner));
            prop_assert_eq!(g.cohort.as_deref(), Some(cohort.as_str()));
            let mine: Vec<StageEvent> = events.iter().filter(|e| deals.contains(&e.deal.as_str())).cloned().collect();
            let alone = funnel_history(&policy(false), &mine, as_of).expect("valid log");
            prop_assert_eq!(&g.figures, &alone.figures);
            total += g.figures.deals;
        }
        prop_assert_eq!(total, whole.figures.deals);
    }
}
