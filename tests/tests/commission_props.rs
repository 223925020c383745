//! Commission invariants: graduated pay continuous and non-decreasing, splits preserving
//! totals, provisional + true-up = final, a full refund clawing back exactly what was paid.

use chrono::NaiveDate;
use crmkit::commission::{compute_commission, CommissionInput, CommissionPlan, CommissionReport};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 31).expect("date")
}

/// A table of 1..5 tiers: widths in whole units, rates in basis points.
fn tiers(widths: &[u32], rates: &[u32]) -> serde_json::Value {
    let mut from = 0u64;
    let mut out = Vec::new();
    for (i, r) in rates.iter().enumerate() {
        let rate = Decimal::new(i64::from(*r), 4).to_string();
        if i + 1 < rates.len() {
            let to = from + u64::from(widths[i]);
            out.push(json!({"from": from.to_string(), "to": to.to_string(), "rate": rate}));
            from = to;
        } else {
            out.push(json!({"from": from.to_string(), "rate": rate}));
        }
    }
    json!(out)
}

fn run(plan: &serde_json::Value, input: &serde_json::Value) -> CommissionReport {
    let plan: CommissionPlan = crmkit::wire::from_json(&plan.to_string(), "").expect("plan");
    let input: CommissionInput = crmkit::wire::from_json(&input.to_string(), "").expect("input");
    compute_commission(&plan, &input, as_of()).expect("commission")
}

fn pay(plan: &serde_json::Value, cents: i64) -> Decimal {
    let sale = json!({"id": "d", "on": "2026-03-01", "amount": Decimal::new(cents, 2).to_string(), "rep": "r"});
    run(plan, &json!({"transactions": [sale]})).reps[0].final_pay
}

fn plan_strategy() -> impl Strategy<Value = serde_json::Value> {
    (
        proptest::collection::vec(1u32..200_000, 4),
        proptest::collection::vec(0u32..10_000, 1..=5),
        prop_oneof![Just("graduated"), Just("retroactive")],
    )
        .prop_map(|(widths, mut rates, kind)| {
            if kind == "retroactive" {
                rates.sort_unstable(); // a falling retroactive table is refused
            }
            json!({"kind": kind, "tiers": tiers(&widths, &rates), "bounds": "upper_inclusive"})
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn graduated_pay_is_continuous_and_non_decreasing(
        widths in proptest::collection::vec(1u32..200_000, 4),
        rates in proptest::collection::vec(0u32..10_000, 1..=5),
        cents in 0i64..100_000_000,
        step in 1i64..1_000,
    ) {
        let plan = json!({"kind": "graduated", "tiers": tiers(&widths, &rates)});
        let (a, b) = (pay(&plan, cents), pay(&plan, cents + step));
        prop_assert!(b >= a, "{b} < {a}");
        // At most the top rate on the step, plus half a cent of rounding per line on each side.
        let top = Decimal::new(i64::from(*rates.iter().max().expect("a rate")), 4);
        let bound = top * Decimal::new(step, 2) + Decimal::new(5 * rates.len() as i64, 3) * Decimal::TWO;
        prop_assert!(b - a <= bound, "{b} - {a} > {bound}");
    }

    #[test]
    fn revenue_splits_preserve_the_amount_to_the_cent(
        cents in 0i64..10_000_000_000,
        weights in proptest::collection::vec(0u32..1_000, 1..8),
    ) {
        prop_assume!(weights.iter().any(|w| *w > 0));
        let splits: Vec<_> = weights.iter().enumerate().map(|(i, w)| json!({"rep": format!("r{i}"), "weight": w.to_string()})).collect();
        let amount = Decimal::new(cents, 2);
        let sale = json!({"id": "d", "on": "2026-03-01", "amount": amount.to_string(), "splits": splits});
        let report = run(&json!({"kind": "flat", "rate": "1"}), &json!({"transactions": [sale]}));
        let credited: Decimal = report.credits.iter().map(|c| c.credit).sum();
        let targets: Decimal = report.credits.iter().map(|c| c.target_credit).sum();
        prop_assert_eq!(credited, amount);
        prop_assert_eq!(targets, amount);
        prop_assert_eq!(report.totals.final_pay, amount);
    }

    #[test]
    fn provisional_plus_true_up_is_final(
        plan in plan_strategy(),
        deals in proptest::collection::vec((0u32..28, 0i64..10_000_000, 0usize..3), 1..12),
        refunds in proptest::collection::vec((0usize..12, 0u32..101), 0..4),
        prior in 0i64..20_000_000,
    ) {
        let mut txns: Vec<serde_json::Value> = deals
            .iter()
            .enumerate()
            .map(|(i, &(day, cents, rep))| json!({"id": format!("d{i}"), "on": format!("2026-03-{:02}", day + 1), "amount": Decimal::new(cents, 2).to_string(), "rep": format!("r{rep}")}))
            .collect();
        let mut left: Vec<i64> = deals.iter().map(|d| d.1).collect();
        for (k, &(of, pct)) in refunds.iter().enumerate() {
            let of = of % deals.len();
            let cents = left[of] * i64::from(pct) / 100;
            left[of] -= cents;
            txns.push(json!({"id": format!("x{k}"), "on": "2026-03-30", "kind": "refund", "amount": Decimal::new(cents, 2).to_string(), "refers_to": format!("d{of}")}));
        }
        let reps = json!([{"rep": "r0", "prior_credit": Decimal::new(prior, 2).to_string()}]);
        let report = run(&plan, &json!({"reps": reps, "transactions": txns}));
        for r in &report.reps {
            prop_assert_eq!(r.provisional + r.true_up, r.final_pay);
            prop_assert_eq!(r.lines.iter().map(|l| l.amount).sum::<Decimal>(), r.final_pay);
            prop_assert_eq!(r.provisional_lines.iter().map(|l| l.amount).sum::<Decimal>(), r.provisional);
        }
        prop_assert_eq!(report.totals.provisional + report.totals.true_up, report.totals.final_pay);
    }

    #[test]
    fn a_full_refund_claws_back_exactly_what_was_paid(
        plan in plan_strategy(),
        before in proptest::collection::vec(0i64..10_000_000, 0..5),
        cents in 0i64..10_000_000,
        between in proptest::collection::vec(0i64..10_000_000, 0..3),
    ) {
        let sale = |id: String, day: u32, c: i64| json!({"id": id, "on": format!("2026-03-{day:02}"), "amount": Decimal::new(c, 2).to_string(), "rep": "r"});
        let mut txns: Vec<_> = before.iter().enumerate().map(|(i, &c)| sale(format!("b{i}"), 1, c)).collect();
        txns.push(sale("s".into(), 2, cents));
        txns.extend(between.iter().enumerate().map(|(i, &c)| sale(format!("m{i}"), 3, c)));
        let with = {
            let mut t = txns.clone();
            t.push(json!({"id": "x", "on": "2026-03-04", "kind": "cancellation", "refers_to": "s"}));
            run(&plan, &json!({"transactions": t}))
        };
        let rep = &with.reps[0];
        let paid: Decimal = rep.provisional_lines.iter().filter(|l| l.transaction.as_deref() == Some("s")).map(|l| l.amount).sum();
        let clawed: Decimal = rep.provisional_lines.iter().filter(|l| l.transaction.as_deref() == Some("x")).map(|l| l.amount).sum();
        prop_assert_eq!(clawed, -paid);
        prop_assert_eq!(rep.credit, Decimal::new(before.iter().chain(&between).sum::<i64>(), 2));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// 回款并终端: held is what collection alone accrues less what is payable, never negative
    /// beyond rounding (pay never falls as credit grows: falling retroactive tables are
    /// refused); payable = max(0, final + top-up − recovered), never below the draw.
    #[test]
    fn two_gates_hold_back_and_draws_add_up(
        plan in plan_strategy(),
        sales in proptest::collection::vec((0i64..1_000_000, 0u32..101, 0u32..101), 1..6),
        draw in 0i64..100_000,
        balance in 0i64..100_000,
        recoverable in any::<bool>(),
    ) {
        let mut plan = plan;
        plan["accrual"] = json!("collection_and_delivery");
        let txns: Vec<_> = sales
            .iter()
            .enumerate()
            .map(|(i, &(cents, paid, delivered))| {
                let part = |pct: u32| Decimal::new(cents * i64::from(pct) / 100, 2).to_string();
                json!({"id": format!("d{i}"), "on": "2026-03-01", "amount": Decimal::new(cents, 2).to_string(), "rep": "r",
                       "payments": [{"on": format!("2026-03-{:02}", 2 + i), "amount": part(paid)}],
                       "deliveries": [{"on": format!("2026-03-{:02}", 10 - i), "amount": part(delivered)}]})
            })
            .collect();
        let reps = json!([{"rep": "r", "draw": {"amount": Decimal::new(draw, 2).to_string(), "recoverable": recoverable},
                           "draw_balance": Decimal::new(balance, 2).to_string()}]);
        let report = run(&plan, &json!({"reps": reps, "transactions": txns}));
        let r = &report.reps[0];
        prop_assert_eq!(r.accrued - r.final_pay, r.held);
        // The two statements slice credit at different events: half a cent per line (at most
        // 6 per sale: 1 + 5 tiers crossed) each way.
        let lines = Decimal::from(12 * sales.len());
        prop_assert!(r.held >= -(lines * Decimal::new(5, 3)), "held {} < 0", r.held);
        let paid = (r.final_pay + r.draw_top_up - r.recovered).max(Decimal::ZERO);
        prop_assert_eq!(r.payable, paid);
        // Pay never falls below the draw, whatever is recovered or clawed back.
        prop_assert!(r.payable >= Decimal::new(draw, 2), "{} < draw", r.payable);
        prop_assert!(r.draw_balance >= Decimal::ZERO);
    }
}

/// A whole-yuan plan pays whole yuan, but tiers, thresholds and attainment read the credit as
/// given: 49,999.99 credited is below a 50,000 bound, not 50,000 (rounding the credit to the
/// pay's places first moved it into the next tier and paid 2,500 instead of 1,000).
#[test]
fn credit_is_tiered_at_its_own_places_not_the_pays() {
    let one = |amount: &str| json!({"transactions": [{"id": "d", "on": "2026-03-10", "amount": amount, "rep": "r"}]});
    let yuan = json!({"dp": 0});
    let tiers = json!([{"from": "0", "to": "50000", "rate": "0.02"}, {"from": "50000", "rate": "0.05"}]);
    // Retroactive, lower-inclusive: [0, 50,000) at 2 %, [50,000, ∞) at 5 %.
    let plan = json!({"kind": "retroactive", "bounds": "lower_inclusive", "tiers": tiers, "rounding": yuan});
    let report = run(&plan, &one("49999.99"));
    let r = &report.reps[0];
    assert_eq!(r.tier, Some(0));
    assert_eq!(r.final_pay.to_string(), "1000"); // 49,999.99 × 2 % = 999.9998, paid in whole yuan
    assert_eq!((r.credit.to_string(), r.running_credit.to_string()), ("49999.99".into(), "49999.99".into()));
    assert_eq!(report.credits[0].credit.to_string(), "49999.99");
    let line = &r.lines[0];
    assert_eq!((line.base.to_string(), line.rate.map(|x| x.to_string())), ("49999.99".into(), Some("0.02".into())));
    assert_eq!((line.exact.to_string(), line.amount.to_string()), ("999.9998".into(), "1000".into()));
    // A credit threshold of 50,000 is not met by 49,999.99.
    let gated = json!({"kind": "flat", "rate": "0.1", "threshold": {"credit": "50000"}, "rounding": yuan});
    let r = &run(&gated, &one("49999.99")).reps[0];
    assert!(!r.threshold_met);
    assert_eq!(r.final_pay.to_string(), "0");
    // Graduated: the slice ends at the credit, 49,999.99, not at the bound.
    let graduated = json!({"kind": "graduated", "tiers": tiers, "rounding": yuan});
    let r = &run(&graduated, &one("49999.99")).reps[0];
    assert_eq!(r.lines.len(), 1);
    assert_eq!(r.lines[0].to.map(|x| x.to_string()), Some("49999.99".into()));
    // Both-inclusive whole-yuan tiers 0–50,000 / 50,001–: 50,000.50 is above 50,000, in the
    // second tier (rounded half-even to 50,000 it was paid at the first tier's rate).
    let both = json!({"kind": "retroactive", "bounds": "both_inclusive", "rounding": yuan,
        "tiers": [{"from": "0", "to": "50000", "rate": "0.02"}, {"from": "50001", "rate": "0.05"}]});
    let r = &run(&both, &one("50000.50")).reps[0];
    assert_eq!((r.tier, r.final_pay.to_string()), (Some(1), "2500".into())); // 2,500.025
                                                                             // Splits keep the amount's places and add up to it: 100.00 in thirds is 33.34 / 33.33 /
                                                                             // 33.33 of credit in a whole-yuan plan too.
    let thirds = json!({"transactions": [{"id": "d", "on": "2026-03-10", "amount": "100.00",
        "splits": [{"rep": "a", "weight": "1"}, {"rep": "b", "weight": "1"}, {"rep": "c", "weight": "1"}]}]});
    let report = run(&json!({"kind": "flat", "rate": "1", "rounding": yuan}), &thirds);
    let credits: Vec<String> = report.credits.iter().map(|c| c.credit.to_string()).collect();
    assert_eq!(credits, ["33.34", "33.33", "33.33"]);
    let pay: Vec<String> = report.reps.iter().map(|r| r.final_pay.to_string()).collect();
    assert_eq!(pay, ["33", "33", "33"]);
    // Per transaction: 100 written in whole yuan splits 34 / 33 / 33, whatever the places of
    // another sale in the same input.
    let mut whole = thirds.clone();
    whole["transactions"][0]["amount"] = json!("100");
    let cents = json!({"id": "e", "on": "2026-03-11", "amount": "0.01", "rep": "a"});
    whole["transactions"].as_array_mut().expect("list").push(cents);
    let report = run(&json!({"kind": "flat", "rate": "1", "rounding": yuan}), &whole);
    let credits: Vec<String> = report.credits.iter().map(|c| c.credit.to_string()).collect();
    assert_eq!(credits, ["34", "33", "33", "0.01"]);
}

/// A sale accrued on collection and refunded in 20,000 parts, then cancelled: each refund
/// takes back what it lowers the accrual base by (all collected up front: its own amount),
/// the cancellation what is left. The refunds' amounts are found in one pass (a running sum
/// per sale; summing the earlier parts for each refund was quadratic in them).
#[test]
fn a_sale_refunded_in_many_parts_under_collection_accrual() {
    let n = 20_000;
    let mut txns = vec![json!({"id": "d", "on": "2026-03-01", "amount": "300000.00", "rep": "r",
        "payments": [{"on": "2026-03-02", "amount": "300000.00"}]})];
    for k in 0..n {
        let on = format!("2026-03-{:02}", 3 + k % 20);
        txns.push(json!({"id": format!("x{k}"), "on": on, "kind": "refund", "amount": "10.00", "refers_to": "d"}));
    }
    let plan = json!({"kind": "graduated", "accrual": "collection", "tiers": [
        {"from": "0", "to": "50000", "rate": "0.02"}, {"from": "50000", "rate": "0.05"}]});
    let report = run(&plan, &json!({"transactions": txns.clone()}));
    let r = &report.reps[0];
    // 300,000 − 20,000 × 10 = 100,000 left: 1,000 + 2,500.
    assert_eq!((r.credit.to_string(), r.final_pay.to_string()), ("100000.00".into(), "3500.00".into()));
    let accrued: Vec<Decimal> = report.credits.iter().skip(1).map(|c| c.accrued).collect();
    assert!(accrued.iter().all(|a| a.to_string() == "-10.00"), "each refund takes back its 10.00");
    // Cancelled after all that: what is left, 100,000, and nothing more.
    txns.push(json!({"id": "c", "on": "2026-03-30", "kind": "cancellation", "refers_to": "d"}));
    let report = run(&plan, &json!({"transactions": txns}));
    let r = &report.reps[0];
    assert_eq!((r.credit.to_string(), r.final_pay.to_string()), ("0.00".into(), "0.00".into()));
    assert_eq!(report.credits.last().map(|c| c.credit.to_string()), Some("-100000.00".into()));
}
