//! `commission_columns` ≡ `compute_commission`: on random books (reps with quotas, prior
//! credit and draws; sales and refunds on random days, in random row order) the columnar
//! entry point gives the record function's statements line for line.

use chrono::NaiveDate;
use crmkit::commission::{
    commission_columns, compute_commission, Category, CommissionInput, CommissionPlan, RepInput, TransactionColumns,
    LINE_KINDS, LINE_REASONS,
};
use crmkit::forecast::AmountColumn;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 31).expect("date")
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d + 1).expect("date")
}

/// A plan: kind, 1..5 tiers (widths in cents, rates in basis points), optional accelerator,
/// threshold, cap, rounding places (0: whole yuan, credited in cents all the same) and
/// strategy.
fn plan_strategy() -> impl Strategy<Value = serde_json::Value> {
    (
        prop_oneof![Just("flat"), Just("graduated"), Just("retroactive")],
        proptest::collection::vec(1i64..5_000_000, 4),
        proptest::collection::vec(0u32..3_000, 1..=5),
        prop_oneof![Just(None), (1u32..300, 100u32..300).prop_map(Some)],
        prop_oneof![Just(json!(null)), (0i64..3_000_000).prop_map(|c| json!({"credit": Decimal::new(c, 2).to_string()})), (0u32..150).prop_map(|a| json!({"attainment": Decimal::new(i64::from(a), 2).to_string()}))],
        prop_oneof![Just(None), (0i64..10_000_000).prop_map(Some)],
        prop_oneof![Just("half_even"), Just("half_up"), Just("down"), Just("up"), Just("half_down")],
        prop_oneof![Just("booking"), Just("attainment")],
        prop_oneof![Just("upper_inclusive"), Just("lower_inclusive")],
        prop_oneof![Just(2u32), Just(0), Just(3)],
    )
        .prop_map(|(kind, widths, mut rates, accel, threshold, cap, strategy, accrual, bounds, dp)| {
            let mut plan = json!({"kind": kind, "rounding": {"dp": dp, "strategy": strategy}, "accrual": accrual});
            if kind == "flat" {
                plan["rate"] = json!(Decimal::new(i64::from(rates[0]), 4).to_string());
            } else {
                if kind == "retroactive" {
                    rates.sort_unstable();
                    plan["bounds"] = json!(bounds);
                }
                let mut from = 0i64;
                let tiers: Vec<_> = rates
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let rate = Decimal::new(i64::from(*r), 4).to_string();
                        if i + 1 < rates.len() {
                            let to = from + widths[i];
                            let t = json!({"from": Decimal::new(from, 2).to_string(), "to": Decimal::new(to, 2).to_string(), "rate": rate});
                            from = to;
                            t
                        } else {
                            json!({"from": Decimal::new(from, 2).to_string(), "rate": rate})
                        }
                    })
                    .collect();
                plan["tiers"] = json!(tiers);
            }
            if let Some((at, m)) = accel {
                plan["accelerators"] = json!([{"from_attainment": Decimal::new(i64::from(at), 2).to_string(), "multiplier": Decimal::new(i64::from(m), 2).to_string()}]);
            }
            if !threshold.is_null() {
                plan["threshold"] = threshold;
            }
            if let Some(c) = cap {
                plan["cap"] = json!(Decimal::new(c, 2).to_string());
            }
            plan
        })
}

/// Rows: (rep, day, cents, refund).
type Row = (usize, u32, i64, bool);

fn records(rows: &[Row], reps: &[RepInput]) -> CommissionInput {
    let transactions: Vec<_> = rows
        .iter()
        .enumerate()
        .map(|(i, &(rep, d, cents, refund))| {
            json!({"id": i.to_string(), "on": day(d).to_string(), "amount": Decimal::new(cents, 2).to_string(),
                   "rep": format!("r{rep}"), "kind": if refund { "refund" } else { "sale" }})
        })
        .collect();
    crmkit::wire::from_json(&json!({"transactions": transactions}).to_string(), "")
        .map(|mut i: CommissionInput| {
            i.reps = reps.to_vec();
            i
        })
        .expect("input")
}

fn reps_strategy() -> impl Strategy<Value = Vec<RepInput>> {
    proptest::collection::vec(
        (
            0i64..20_000_000,
            1i64..30_000_000,
            prop::option::of(0i64..5_000_000),
            0i64..100_000,
            prop::option::of(0i64..30_000_000),
        ),
        2..5,
    )
    .prop_map(|v| {
        v.iter()
            .enumerate()
            .map(|(k, &(prior, quota, paid, draw, target))| {
                let r = json!({"rep": format!("r{k}"), "prior_credit": Decimal::new(prior, 2).to_string(),
                               "quota": Decimal::new(quota, 2).to_string(),
                               "prior_paid": paid.map(|p| Decimal::new(p, 2).to_string()),
                               "draw": {"amount": Decimal::new(draw, 2).to_string(), "recoverable": true}});
                let mut r = r;
                if r["prior_paid"].is_null() {
                    r.as_object_mut().expect("object").remove("prior_paid");
                }
                // Earlier periods' target credit apart from their credit: the accelerators and
                // an attainment threshold read it.
                if let Some(t) = target {
                    r["prior_target_credit"] = json!(Decimal::new(t, 2).to_string());
                }
                crmkit::wire::from_json(&r.to_string(), "").expect("rep")
            })
            .collect()
    })
}

/// Random rows as records and as columns, compared by [`check`].
fn compare(plan: &CommissionPlan, reps: &[RepInput], rows: &[Row], scale_units: bool) -> Result<(), TestCaseError> {
    let input = records(rows, reps);
    let labels: Vec<String> = (0..4).map(|k| format!("r{k}")).collect();
    let rep: Vec<i32> = rows.iter().map(|r| r.0 as i32).collect();
    let on: Vec<i64> = rows
        .iter()
        .map(|r| day(r.1).signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days())
        .collect();
    let cents: Vec<i64> = rows.iter().map(|r| r.2).collect();
    let decimals: Vec<Decimal> = rows.iter().map(|r| Decimal::new(r.2, 2)).collect();
    let refund: Vec<bool> = rows.iter().map(|r| r.3).collect();
    let amount =
        if scale_units { AmountColumn::Units { units: &cents, scale: 2 } } else { AmountColumn::Decimal(&decimals) };
    let columns = TransactionColumns { refund: Some(&refund), ..TransactionColumns::new(&rep, &labels, &on, amount) };
    check(plan, &input, &columns, as_of())
}

/// `compute_commission` on `input` (transaction `i` has id `i`) and `commission_columns` on
/// the same transactions as `columns`: the same statements, line for line, and each row's
/// pay the sum of its lines; or errors with the same code.
fn check(
    plan: &CommissionPlan,
    input: &CommissionInput,
    columns: &TransactionColumns,
    as_of: NaiveDate,
) -> Result<(), TestCaseError> {
    let (reps, rows) = (&input.reps, columns.rep.len());
    let expected = compute_commission(plan, input, as_of);
    let got = commission_columns(plan, reps, columns, as_of, true);
    let (expected, got) = match (expected, got) {
        (Err(a), Err(b)) => {
            prop_assert_eq!(a.code(), b.code());
            return Ok(());
        }
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => return Err(TestCaseError::fail(format!("records {a:?} vs columns {b:?}"))),
    };
    prop_assert_eq!(expected.reps.len(), got.reps.len());
    prop_assert_eq!(&expected.totals, &got.totals);
    let lines = got.lines.as_ref().expect("lines");
    let units = |x: i64, s: u32| Decimal::new(x, s);
    let mut row_final = vec![Decimal::ZERO; rows];
    let mut row_provisional = vec![Decimal::ZERO; rows];
    for (k, (e, g)) in expected.reps.iter().zip(&got.reps).enumerate() {
        let mut e_plain = e.clone();
        e_plain.lines.clear();
        e_plain.provisional_lines.clear();
        prop_assert_eq!(&e_plain, g);
        for (provisional, statement) in [(false, &e.lines), (true, &e.provisional_lines)] {
            let idx: Vec<usize> = (0..lines.amount.len())
                .filter(|&j| lines.rep[j] as usize == k && lines.provisional[j] == provisional)
                .collect();
            prop_assert_eq!(idx.len(), statement.len(), "rep {} provisional {}", k, provisional);
            for (line, &j) in statement.iter().zip(&idx) {
                prop_assert_eq!(line.step, lines.step[j]);
                prop_assert_eq!(line.kind, LINE_KINDS[lines.kind[j] as usize]);
                let row = line.transaction.as_ref().map_or(-1, |t| t.parse::<i64>().expect("id"));
                prop_assert_eq!(row, lines.row[j]);
                prop_assert_eq!(line.tier.map_or(-1, |t| t as i32), lines.tier[j]);
                prop_assert_eq!(line.from, Some(units(lines.from[j], got.credit_scale)));
                prop_assert_eq!(line.to, Some(units(lines.to[j], got.credit_scale)));
                prop_assert_eq!(line.base, units(lines.base[j], got.credit_scale));
                prop_assert_eq!(line.rate, usize::try_from(lines.rate[j]).ok().map(|c| got.rate_labels[c]));
                prop_assert_eq!(line.multiplier, got.multiplier_labels[lines.multiplier[j] as usize]);
                prop_assert_eq!(line.amount, units(lines.amount[j], got.scale));
                let reasons: Vec<_> = LINE_REASONS
                    .iter()
                    .enumerate()
                    .filter(|(b, _)| lines.reasons[j] & (1 << b) != 0)
                    .map(|(_, r)| *r)
                    .collect();
                let mut want = line.reasons.clone();
                want.sort_by_key(|r| LINE_REASONS.iter().position(|x| x == r));
                prop_assert_eq!(want, reasons);
                if row >= 0 {
                    let sums = if provisional { &mut row_provisional } else { &mut row_final };
                    sums[row as usize] += line.amount;
                }
            }
        }
    }
    for i in 0..rows {
        prop_assert_eq!(row_final[i], units(got.final_pay[i], got.scale));
        prop_assert_eq!(row_provisional[i], units(got.provisional[i], got.scale));
    }
    // Without lines: the same pay.
    let bare = commission_columns(plan, reps, columns, as_of, false).expect("same input");
    prop_assert_eq!(&bare.final_pay, &got.final_pay);
    prop_assert_eq!(&bare.provisional, &got.provisional);
    prop_assert_eq!(&bare.totals, &got.totals);
    prop_assert_eq!(&bare.reps, &got.reps);
    prop_assert!(bare.lines.is_none());
    Ok(())
}

/// Every `commission_columns` vector with an expected result: the record function on the
/// same transactions gives the same statements (the runners compare the vectors' subsets).
#[test]
fn the_columns_vectors_are_the_record_functions_statements() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/commission/columns.json"))
        .expect("the columns vectors");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let mut checked = 0;
    for case in doc["cases"].as_array().expect("cases").iter().filter(|c| c.get("expected").is_some()) {
        let (i, plan) = (&case["input"], crmkit::wire::from_json(&case["config"].to_string(), "").expect("plan"));
        let names: Vec<String> = serde_json::from_value(i["rep"].clone()).expect("reps");
        let dates: Vec<String> = serde_json::from_value(i["on"].clone()).expect("dates");
        let amounts: Vec<String> = serde_json::from_value(i["amount"].clone()).expect("amounts");
        let refund: Option<Vec<bool>> = serde_json::from_value(i["refund"].clone()).expect("flags");
        let mut labels: Vec<String> = names.clone();
        labels.dedup();
        labels.sort();
        labels.dedup();
        let names_of = |field: &str| -> Option<Vec<Option<String>>> {
            serde_json::from_value(i.get(field).cloned().unwrap_or(json!(null))).expect("names")
        };
        let (products, types) = (names_of("product"), names_of("customer_type"));
        let refers_to: Option<Vec<Option<i64>>> =
            serde_json::from_value(i.get("refers_to").cloned().unwrap_or(json!(null))).expect("rows");
        let rates = names_of("original_rate");
        let transactions: Vec<_> = (0..names.len())
            .map(|k| {
                let kind = if refund.as_ref().is_some_and(|r| r[k]) { "refund" } else { "sale" };
                let mut t = json!({"id": k.to_string(), "on": dates[k], "amount": amounts[k], "kind": kind});
                match refers_to.as_ref().and_then(|r| r[k]) {
                    Some(o) => t["refers_to"] = json!(o.to_string()),
                    None => t["rep"] = json!(names[k]),
                }
                for (field, values) in [("product", &products), ("customer_type", &types), ("original_rate", &rates)] {
                    if let Some(v) = values.as_ref().and_then(|v| v[k].clone()) {
                        t[field] = json!(v);
                    }
                }
                t
            })
            .collect();
        let records = json!({"reps": i.get("reps").cloned().unwrap_or(json!([])), "transactions": transactions});
        let input: CommissionInput = crmkit::wire::from_json(&records.to_string(), "").expect("input");
        let rep: Vec<i32> = names.iter().map(|n| labels.iter().position(|l| l == n).expect("label") as i32).collect();
        let on: Vec<i64> =
            dates.iter().map(|d| (crmkit::wire::parse_date(d, "on").expect("date") - epoch).num_days()).collect();
        let decimals: Vec<Decimal> = amounts.iter().map(|a| a.parse().expect("decimal")).collect();
        let coded = |values: &Option<Vec<Option<String>>>| {
            values.as_ref().map(|v| {
                let mut labels: Vec<String> = v.iter().flatten().cloned().collect();
                labels.sort();
                labels.dedup();
                let codes: Vec<i32> = v
                    .iter()
                    .map(|x| x.as_ref().map_or(-1, |x| labels.iter().position(|l| l == x).expect("label") as i32))
                    .collect();
                (codes, labels)
            })
        };
        let (products, types) = (coded(&products), coded(&types));
        let links: Option<Vec<i64>> = refers_to.map(|r| r.iter().map(|x| x.unwrap_or(-1)).collect());
        let rates: Option<Vec<Option<Decimal>>> =
            rates.map(|r| r.iter().map(|x| x.as_ref().map(|t| t.parse().expect("rate"))).collect());
        let columns = TransactionColumns {
            refund: refund.as_deref(),
            product: products.as_ref().map(|(codes, labels)| Category { codes, labels }),
            customer_type: types.as_ref().map(|(codes, labels)| Category { codes, labels }),
            refers_to: links.as_deref(),
            original_rate: rates.as_deref(),
            ..TransactionColumns::new(&rep, &labels, &on, AmountColumn::Decimal(&decimals))
        };
        let as_of = crmkit::wire::parse_date(case["as_of"].as_str().expect("as_of"), "as_of").expect("as_of");
        if let Err(e) = check(&plan, &input, &columns, as_of) {
            panic!("{}: {e}", case["id"]);
        }
        checked += 1;
    }
    assert!(checked >= 10, "{checked} cases");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn columns_give_the_records_statements_line_for_line(
        plan in plan_strategy(),
        reps in reps_strategy(),
        rows in proptest::collection::vec((0usize..4, 0u32..30, 0i64..3_000_000, prop::bool::weighted(0.15)), 0..40),
        scale_units in any::<bool>(),
    ) {
        let plan: CommissionPlan = crmkit::wire::from_json(&plan.to_string(), "").expect("plan");
        compare(&plan, &reps, &rows, scale_units)?;
    }
}

/// Running totals beyond 2^62 units leave the 64-bit walk of the bare case for the general
/// one: the same pay as with lines, and as the record function.
#[test]
fn sums_beyond_64_bits_pay_the_same() {
    let plan: CommissionPlan = crmkit::wire::from_json(
        r#"{"kind": "graduated", "tiers": [{"from": "0", "to": "20000000000.00000001", "rate": "0.02"},
            {"from": "20000000000.00000001", "rate": "0.0313"}]}"#,
        "",
    )
    .expect("plan");
    // Credit in units of 10^-8 (the tier bound's places): 3e10 yuan twice is 6e18 units,
    // beyond the 64-bit walk's 2^62 bound.
    let rows: Vec<Row> = vec![(0, 1, 3_000_000_000_000, false), (0, 2, 3_000_000_000_000, false), (1, 3, 5, false)];
    compare(&plan, &[], &rows, true).expect("the same statements");
    compare(&plan, &[], &rows, false).expect("the same statements");
}

/// A row with what it may carry beyond rep, date, amount and refund: product and customer
/// type codes (`None`: none), and for a refund, a link (0: none, 1: the sale of an earlier
/// or the same day, 2: an earlier period's sale at an original rate of `rate` basis points).
type RowX = (Row, Option<usize>, Option<usize>, u8, u32);

const PRODUCTS: [&str; 3] = ["widget", "gadget", "service"];
const CUSTOMER_TYPES: [&str; 2] = ["retail", "distributor"];

/// Rate rules (a rate or a multiplier, on a product and / or customer type) and SPIFs (with
/// a minimum amount or not) added to a plan.
fn extras_strategy() -> impl Strategy<Value = (Vec<serde_json::Value>, Vec<serde_json::Value>)> {
    let rule = (prop::option::of(0usize..3), prop::option::of(0usize..2), any::<bool>(), 0u32..2_000, 0u32..300)
        .prop_map(|(p, c, is_rate, rate, m)| {
            let mut r = if is_rate {
                json!({"rate": Decimal::new(i64::from(rate), 4).to_string()})
            } else {
                json!({"multiplier": Decimal::new(i64::from(m), 2).to_string()})
            };
            if let Some(p) = p {
                r["product"] = json!(PRODUCTS[p]);
            }
            if let Some(c) = c {
                r["customer_type"] = json!(CUSTOMER_TYPES[c]);
            }
            r
        });
    let spiff =
        (prop::option::of(0usize..3), prop::option::of(0usize..2), prop::option::of(0i64..2_000_000), 0i64..100_000)
            .prop_map(|(p, c, min, amount)| {
                let mut s = json!({"amount": Decimal::new(amount, 3).to_string()});
                if let Some(p) = p {
                    s["product"] = json!(PRODUCTS[p]);
                }
                if let Some(c) = c {
                    s["customer_type"] = json!(CUSTOMER_TYPES[c]);
                }
                if let Some(m) = min {
                    s["min_amount"] = json!(Decimal::new(m, 2).to_string());
                }
                s
            });
    (proptest::collection::vec(rule, 0..3), proptest::collection::vec(spiff, 0..3))
}

/// `rows` made consistent: a refund linked to a sale takes an earlier sale (of an earlier or
/// the same day, not yet refunded), its rep and at most its amount; one at an original rate
/// a small amount. As records (ids are rows) and as columns.
fn compare_extras(
    plan: &CommissionPlan,
    reps: &[RepInput],
    rows: &[RowX],
    scale_units: bool,
) -> Result<(), TestCaseError> {
    let mut rows = rows.to_vec();
    // Listed reps only (an unlisted one has no quota, which many plans need: the first
    // property covers them).
    for r in &mut rows {
        r.0 .0 %= reps.len().max(1);
    }
    let mut refunded = vec![false; rows.len()];
    let mut refers_to = vec![-1i64; rows.len()];
    let mut original_rate: Vec<Option<Decimal>> = vec![None; rows.len()];
    let mut prior_left: Vec<i64> = (0..4)
        .map(|k| {
            let rep = reps.iter().find(|r| r.rep == format!("r{k}"));
            rep.and_then(|r| r.prior_credit).map_or(0, |p| i64::try_from(p.mantissa()).expect("cents"))
        })
        .collect();
    for i in 0..rows.len() {
        let ((_, d, cents, refund), _, _, link, rate) = rows[i];
        if !refund {
            continue;
        }
        match link {
            1 => {
                let sale = (0..rows.len()).find(|&o| !rows[o].0 .3 && rows[o].0 .1 <= d && !refunded[o]);
                if let Some(o) = sale {
                    refunded[o] = true;
                    refers_to[i] = o as i64;
                    rows[i].0 .0 = rows[o].0 .0;
                    rows[i].0 .2 = cents % (rows[o].0 .2 + 1);
                }
            }
            2 => {
                // At most the earlier periods' credit the rep has left.
                let rep = rows[i].0 .0;
                let left = &mut prior_left[rep];
                original_rate[i] = Some(Decimal::new(i64::from(rate), 4));
                rows[i].0 .2 = (cents % 500_000).min(*left);
                *left -= rows[i].0 .2;
            }
            _ => {}
        }
    }
    let transactions: Vec<_> = rows
        .iter()
        .enumerate()
        .map(|(i, &((rep, d, cents, refund), p, c, _, _))| {
            let mut t = json!({"id": i.to_string(), "on": day(d).to_string(), "amount": Decimal::new(cents, 2).to_string(),
                               "kind": if refund { "refund" } else { "sale" }});
            if refers_to[i] >= 0 {
                t["refers_to"] = json!(refers_to[i].to_string());
            } else {
                t["rep"] = json!(format!("r{rep}"));
            }
            if let Some(rate) = original_rate[i] {
                t["original_rate"] = json!(rate.to_string());
            }
            if let Some(p) = p {
                t["product"] = json!(PRODUCTS[p]);
            }
            if let Some(c) = c {
                t["customer_type"] = json!(CUSTOMER_TYPES[c]);
            }
            t
        })
        .collect();
    let mut input: CommissionInput =
        crmkit::wire::from_json(&json!({"transactions": transactions}).to_string(), "").expect("input");
    input.reps = reps.to_vec();
    let labels: Vec<String> = (0..4).map(|k| format!("r{k}")).collect();
    let products: Vec<String> = PRODUCTS.iter().map(|p| (*p).to_owned()).collect();
    let types: Vec<String> = CUSTOMER_TYPES.iter().map(|p| (*p).to_owned()).collect();
    let rep: Vec<i32> = rows.iter().map(|r| r.0 .0 as i32).collect();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let on: Vec<i64> = rows.iter().map(|r| day(r.0 .1).signed_duration_since(epoch).num_days()).collect();
    let cents: Vec<i64> = rows.iter().map(|r| r.0 .2).collect();
    let decimals: Vec<Decimal> = rows.iter().map(|r| Decimal::new(r.0 .2, 2)).collect();
    let refund: Vec<bool> = rows.iter().map(|r| r.0 .3).collect();
    let product: Vec<i32> = rows.iter().map(|r| r.1.map_or(-1, |p| p as i32)).collect();
    let customer_type: Vec<i32> = rows.iter().map(|r| r.2.map_or(-1, |c| c as i32)).collect();
    let amount =
        if scale_units { AmountColumn::Units { units: &cents, scale: 2 } } else { AmountColumn::Decimal(&decimals) };
    let columns = TransactionColumns {
        refund: Some(&refund),
        product: Some(Category { codes: &product, labels: &products }),
        customer_type: Some(Category { codes: &customer_type, labels: &types }),
        refers_to: Some(&refers_to),
        original_rate: Some(&original_rate),
        ..TransactionColumns::new(&rep, &labels, &on, amount)
    };
    check(plan, &input, &columns, as_of())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Rate rules, SPIFs, refunds of sales in the columns and of earlier periods' sales: the
    /// columns give the record function's statements line for line.
    #[test]
    fn columns_with_rules_spiffs_and_links_give_the_records_statements(
        plan in plan_strategy(),
        (rates, spiffs) in extras_strategy(),
        reps in reps_strategy(),
        rows in proptest::collection::vec(
            ((0usize..4, 0u32..30, 0i64..3_000_000, prop::bool::weighted(0.3)), prop::option::of(0usize..3),
             prop::option::of(0usize..2), 0u8..3, 0u32..10_000),
            0..40),
        scale_units in any::<bool>(),
    ) {
        let mut plan = plan;
        plan["rates"] = json!(rates);
        plan["spiffs"] = json!(spiffs);
        let plan: CommissionPlan = crmkit::wire::from_json(&plan.to_string(), "").expect("plan");
        compare_extras(&plan, &reps, &rows, scale_units)?;
    }
}

/// The columns credit the amounts at their own places as the record function does: in a
/// whole-yuan plan, 49,999.99 (as cents, tenths of a cent, decimals, floats) is below a
/// 50,000 bound, and the lines carry it in units of 10^-`credit_scale` (the amounts' places).
#[test]
fn columns_tier_the_credit_at_its_own_places() {
    let plan: CommissionPlan = crmkit::wire::from_json(
        r#"{"kind": "retroactive", "bounds": "lower_inclusive", "rounding": {"dp": 0},
            "tiers": [{"from": "0", "to": "50000", "rate": "0.02"}, {"from": "50000", "rate": "0.05"}]}"#,
        "",
    )
    .expect("plan");
    let labels = ["r0".to_owned()];
    let (rep, on) = ([0], [20_522]);
    let decimals = [Decimal::new(4_999_999, 2)];
    let (cents, mills, floats, whole) = ([4_999_999i64], [49_999_990i64], [49_999.99f64], [4_999_999f64]);
    for (amount, places) in [
        (AmountColumn::Units { units: &cents, scale: 2 }, 2),
        (AmountColumn::Units { units: &mills, scale: 3 }, 3),
        (AmountColumn::Decimal(&decimals), 2),
        (AmountColumn::Float { values: &floats, scale: 2 }, 2),
        (AmountColumn::WholeFloats { values: &whole, scale: 2 }, 2),
    ] {
        let columns = TransactionColumns::new(&rep, &labels, &on, amount);
        let out = commission_columns(&plan, &[], &columns, as_of(), true).expect("columns");
        assert_eq!((out.scale, out.credit_scale), (0, places));
        assert_eq!(out.final_pay, [1000]);
        let lines = out.lines.expect("lines");
        assert_eq!((lines.tier[0], lines.base[0]), (0, 4_999_999 * 10i64.pow(places - 2)));
        assert_eq!(out.reps[0].running_credit.to_string(), "49999.99");
    }
    // Whole units in floats: a fraction is no amount the caller meant, a negative is refused.
    for (bad, code) in [(4_999_999.5, "invalid_decimal"), (f64::NAN, "invalid_type"), (-1.0, "negative_amount")] {
        let values = [bad];
        let columns =
            TransactionColumns::new(&rep, &labels, &on, AmountColumn::WholeFloats { values: &values, scale: 2 });
        let e = commission_columns(&plan, &[], &columns, as_of(), true).expect_err("refused");
        assert_eq!((e.code(), e.path()), (code, "amount[0]"), "{bad}");
    }
    // The record function on the same sale: the same statement, line for line.
    let rows: Vec<Row> = vec![(0, 9, 4_999_999, false)];
    compare(&plan, &[], &rows, true).expect("the same statements");
    compare(&plan, &[], &rows, false).expect("the same statements");
}
