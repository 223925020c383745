//! Declared limits too large for a vector file (issue 6.2, the README's Limits table): inputs
//! just above each limit are refused with `limit_exceeded` at the path of what is too large,
//! before the work they would cost; inputs at the limit are accepted.

use crmkit_tests::call;
use serde_json::{json, Value};

fn code_and_path(function: &str, config: &Value, input: &Value) -> (String, String) {
    let e = call(function, config, input, "2026-11-23").expect_err("refused");
    (e.code().to_owned(), e.path().to_owned())
}

fn limit(path: &str) -> (String, String) {
    ("limit_exceeded".into(), path.into())
}

#[test]
fn touches_in_a_journey() {
    let journey = |n: usize| {
        json!({"journeys": [{"id": "j", "revenue": "10", "converted_on": "2026-05-01",
            "touches": vec![json!({"channel": "search", "on": "2026-04-01"}); n]}]})
    };
    let policy = json!({"model": {"kind": "linear"}});
    assert_eq!(code_and_path("attribute", &policy, &journey(100_001)), limit("journeys[0].touches"));
    assert!(call("attribute", &policy, &journey(100_000), "2026-11-23").is_ok());
}

#[test]
fn channels_in_a_journey_under_shapley() {
    let channels: Vec<Value> = (0..65).map(|c| json!({"name": format!("c{c}"), "group": "g"})).collect();
    let policy = json!({"model": {"kind": "shapley"}, "channels": channels});
    let journey = |n: usize| {
        let touches: Vec<Value> = (0..n).map(|c| json!({"channel": format!("c{c}"), "on": "2026-04-01"})).collect();
        json!({"journeys": [{"id": "j", "revenue": "10", "converted_on": "2026-05-01", "touches": touches}]})
    };
    assert_eq!(code_and_path("attribute", &policy, &journey(65)), limit("journeys[0].touches"));
}

#[test]
fn markov_states() {
    // One journey of 30,000 touches over 16 channels, pseudo-random: more than 20,000
    // distinct sequences of 4 channels, each a state of the order-4 chain.
    let channels: Vec<Value> = (0..16).map(|c| json!({"name": format!("c{c}"), "group": "g"})).collect();
    let mut x: u64 = 42;
    let touches: Vec<Value> = (0..30_000)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            json!({"channel": format!("c{}", x >> 60), "on": "2026-04-01"})
        })
        .collect();
    let input = json!({"journeys": [{"id": "j", "revenue": "10", "converted_on": "2026-05-01", "touches": touches}]});
    let policy = json!({"model": {"kind": "markov", "order": 4}, "channels": channels});
    assert_eq!(code_and_path("attribute", &policy, &input), limit("model.order"));
    let first_order = json!({"model": {"kind": "markov", "order": 1}, "channels": policy["channels"]});
    assert!(call("attribute", &first_order, &input, "2026-11-23").is_ok());
}

#[test]
fn scoring_rules() {
    let rules = |n: usize| -> Vec<Value> {
        (0..n).map(|i| json!({"id": format!("r{i}"), "dimension": "fit", "points": 1, "when": [{"field": "x", "op": "exists"}]})).collect()
    };
    let leads = json!({"leads": [{"id": "a", "x": "1"}]});
    assert_eq!(code_and_path("score_leads", &json!({"rules": rules(10_001)}), &leads), limit("rules"));
    assert!(call("score_leads", &json!({"rules": rules(10_000)}), &leads, "2026-11-23").is_ok());
}

#[test]
fn decay_tables_stay_within_their_budget_and_score_the_same() {
    // 1,000 event rules with a century-long window each: 36.6 million decay factors if all
    // were tabulated; beyond the budget they are computed, to the same bits.
    let rule = |i: usize| {
        json!({"id": format!("r{i}"), "dimension": "engagement", "points": 10,
               "event": {"types": ["visit"], "within_days": 36_600, "half_life_days": 7 + (i % 5)}})
    };
    let leads = json!({"leads": [{"id": "a", "events": [{"type": "visit", "on": "2026-11-09"}, {"type": "visit", "on": "1950-01-01"}]}]});
    let many: Vec<Value> = (0..1_000).map(rule).collect();
    let r = call("score_leads", &json!({"rules": many}), &leads, "2026-11-23").expect("scored");
    let few: Vec<Value> = (0..5).map(rule).collect();
    let r5 = call("score_leads", &json!({"rules": few}), &leads, "2026-11-23").expect("scored");
    // Rules i and i + 5 are the same rule: 200 times the five rules' score.
    let score = |r: &Value| r["leads"][0]["score"].as_f64().expect("a score");
    assert!((score(&r) - 200.0 * score(&r5)).abs() < 1e-6 * score(&r).abs(), "{} vs {}", score(&r), score(&r5));
}

#[test]
fn backtest_dates() {
    // One forecast and one simulation per date: 1,001 dates are refused before any of them.
    let config = |n: i64| {
        let first = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).expect("date");
        let dates: Vec<String> = (0..n).map(|d| (first + chrono::Duration::days(d)).to_string()).collect();
        json!({"policy": {"stages": [{"name": "qualify", "probability": "0.5"}, {"name": "won", "kind": "won"}, {"name": "lost", "kind": "lost"}],
                          "duration_unit": "days", "placement": "expected_close", "undated": "unscheduled"},
               "backtest": {"dates": dates, "period": "month", "simulations": 1, "seed": 1}})
    };
    let events = json!({"events": [{"deal": "a", "stage": "qualify", "on": "2022-12-01", "amount": "100", "expected_close_on": "2023-02-01"},
                                   {"deal": "a", "stage": "won", "on": "2023-01-20"}]});
    assert_eq!(code_and_path("backtest", &config(1_001), &events), limit("dates"));
    assert!(call("backtest", &config(1_000), &events, "2026-11-23").is_ok());
}
