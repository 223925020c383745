//! Stall thresholds: every flag a deal line carries is a threshold its own numbers cross, the
//! `stalled` / `idle` flags are exactly the unsnoozed ones, and the report's stalled count (from
//! the columnar loop) agrees with the lines. History percentiles are visits' own durations,
//! in order of the percentile.

use chrono::{Days, NaiveDate};
use crmkit::forecast::{forecast, funnel_history, Deal, ForecastPolicy, HistoryPolicy, StageEvent, StallRule};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn policy() -> ForecastPolicy {
    crmkit::wire::from_json(
        r#"{"stages": [{"name": "a", "probability": "0.3", "duration": "30", "stall_after": "25", "idle_after": 10},
            {"name": "b", "probability": "0.6", "duration": "20", "idle_after": 3},
            {"name": "won", "kind": "won"}, {"name": "lost", "kind": "lost"}],
            "duration_unit": "days", "placement": "half_elapsed"}"#,
        "",
    )
    .expect("policy")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn flags_are_the_thresholds_crossed(
        book in proptest::collection::vec((0usize..4, proptest::option::of(0u64..80), proptest::option::of(0u64..40), proptest::option::of(0u64..10)), 0..30),
    ) {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let stages = ["a", "b", "won", "lost"];
        let deals: Vec<Deal> = book.iter().enumerate().map(|(i, &(s, entered, active, snooze))| Deal {
            id: format!("d{i}"),
            stage: stages[s].into(),
            amount: Decimal::from(100),
            entered_stage_on: entered.map(|d| as_of - Days::new(d)),
            last_activity_on: active.map(|d| as_of - Days::new(d)),
            // A snooze ending 5 days ago to 4 days ahead.
            snoozed_until: snooze.map(|d| as_of + Days::new(d) - Days::new(5)),
            ..Deal::default()
        }).collect();
        let r = forecast(&policy(), &deals, as_of).expect("forecast");
        for (d, line) in deals.iter().zip(&r.deals) {
            let snoozed = d.snoozed_until.is_some_and(|u| u >= as_of);
            let (stall_after, idle_after) = match d.stage.as_str() {
                "a" => (Some(25), Some(10)),
                "b" => (None, Some(3)),
                _ => (None, None),
            };
            let in_stage = d.entered_stage_on.map(|e| (as_of - e).num_days());
            let quiet = d.last_activity_on.or(d.entered_stage_on).map(|e| (as_of - e).num_days());
            let stalls = stall_after.zip(in_stage).is_some_and(|(t, v)| v > t);
            let idles = idle_after.zip(quiet).is_some_and(|(t, v)| v > t);
            prop_assert_eq!(line.stalls.len(), usize::from(stalls) + usize::from(idles));
            for flag in &line.stalls {
                prop_assert!(flag.value > flag.threshold);
                prop_assert_eq!(flag.snoozed, snoozed);
                let expected = match flag.rule {
                    StallRule::TimeInStage => in_stage,
                    StallRule::NoActivity => quiet,
                };
                prop_assert_eq!(Some(flag.value), expected.map(Decimal::from));
            }
            prop_assert_eq!(line.stalled, stalls && !snoozed);
            prop_assert_eq!(line.idle, idles && !snoozed);
        }
        prop_assert_eq!(r.totals.stalled.deals, r.deals.iter().filter(|l| l.stalled).count() as u64);
    }

    #[test]
    fn percentiles_are_visits_in_order(spans in proptest::collection::vec(0u64..200, 1..40), p in 1u32..100, q in 1u32..100) {
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
        let mut log = Vec::new();
        for (i, &days) in spans.iter().enumerate() {
            let e = |stage: &str, on: NaiveDate| serde_json::json!({"deal": format!("d{i}"), "stage": stage, "on": on.to_string()});
            log.push(e("a", start));
            log.push(e("won", start + Days::new(days)));
        }
        let events: Vec<StageEvent> = crmkit::wire::from_json(&serde_json::Value::from(log).to_string(), "events").expect("events");
        let (lo, hi) = (p.min(q), p.max(q));
        let policy: HistoryPolicy = crmkit::wire::from_json(&format!(
            r#"{{"stages": [{{"name": "a"}}, {{"name": "won", "kind": "won"}}], "percentiles": ["{lo}", "{hi}"]}}"#), "").expect("policy");
        let r = funnel_history(&policy, &events, start + Days::new(400)).expect("history");
        let got: Vec<i64> = r.figures.stages[0].percentiles.iter().map(|x| x.days.expect("visits")).collect();
        let mut sorted: Vec<i64> = spans.iter().map(|&d| d as i64).collect();
        sorted.sort_unstable();
        prop_assert!(got[0] <= got[1]);
        prop_assert!(got.iter().all(|d| sorted.contains(d)));
        // Nearest rank: at least lo % of the visits are no longer than the P-lo value.
        let share = sorted.iter().filter(|&&d| d <= got[0]).count() as u64 * 100;
        prop_assert!(share >= u64::from(lo) * sorted.len() as u64);
    }
}
