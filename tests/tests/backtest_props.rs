//! Backtest invariants: on a log where every deal closes as forecast (probability 1, won on
//! the expected close date it had from the start) every method's error is 0, so WAPE is 0;
//! and the actuals never exceed what the log won.

use chrono::{Days, NaiveDate};
use crmkit::forecast::{backtest, BacktestPolicy, ForecastPolicy, StageEvent};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn policy() -> ForecastPolicy {
    crmkit::wire::from_json(
        r#"{"stages": [{"name": "a", "probability": "1", "category": "commit"}, {"name": "b", "probability": "1", "category": "commit"},
            {"name": "won", "kind": "won"}, {"name": "lost", "kind": "lost"}],
            "duration_unit": "days", "placement": "expected_close"}"#,
        "",
    )
    .expect("policy")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_log_that_closes_as_forecast_scores_wape_zero(
        book in proptest::collection::vec((0u64..90, 1u64..90, 1i64..100_000, any::<bool>(), proptest::option::of(0u64..60)), 1..30),
        period in 0usize..2,
    ) {
        let day0 = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let on = |d: u64| (day0 + Days::new(d)).to_string();
        let mut log = Vec::new();
        for (i, &(created, after, cents, second_stage, moved)) in book.iter().enumerate() {
            let won = created + after;
            let amount = Decimal::new(cents, 2).to_string();
            log.push(serde_json::json!({"deal": format!("d{i}"), "stage": "a", "on": on(created), "amount": amount, "expected_close_on": on(won)}));
            // Maybe a move to b on the way, same amount and date.
            if let Some(m) = moved.filter(|m| second_stage && *m < after) {
                log.push(serde_json::json!({"deal": format!("d{i}"), "stage": "b", "on": on(created + m)}));
            }
            log.push(serde_json::json!({"deal": format!("d{i}"), "stage": "won", "on": on(won)}));
        }
        let events: Vec<StageEvent> = crmkit::wire::from_json(&serde_json::Value::from(log).to_string(), "events").expect("events");
        let kind = ["month", "quarter"][period];
        let settings: BacktestPolicy = crmkit::wire::from_json(&format!(
            r#"{{"dates": ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-04-15"], "period": "{kind}", "simulations": 50, "seed": 3}}"#), "").expect("settings");
        // As of the day the last quarter scored (2026-Q3, from 2026-04-15) is over.
        let r = backtest(&policy(), &settings, &events, NaiveDate::from_ymd_opt(2026, 9, 30).expect("date")).expect("backtest");
        for l in &r.lines {
            prop_assert_eq!(l.error, Decimal::ZERO, "{:?}", l);
        }
        for s in &r.summary {
            prop_assert!(s.wape.is_none_or(|w| w.is_zero()));
            prop_assert!(s.bias.is_none_or(|b| b.is_zero()));
        }
    }
}
