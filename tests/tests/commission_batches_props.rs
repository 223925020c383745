//! `payment_interest_columns` ≡ `payment_interest` and `collections_columns` ≡ `collections`:
//! random books of batches and payments (the payments as rows of their own, in random order)
//! give the record functions' figures batch by batch, or the same error code.

use chrono::NaiveDate;
use crmkit::commission::{
    collections, collections_columns, payment_interest, payment_interest_columns, Batch, BatchColumns,
    CollectionsPolicy, InterestPolicy, Payment, COLLECTION_REASONS, INTEREST_KINDS,
};
use crmkit::forecast::AmountColumn;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).expect("date")
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + chrono::Days::new(u64::from(d))
}

fn epoch(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days()
}

/// (customer, invoice day, days to due, cents, payments as (days after invoice, cents)).
type Spec = (Option<u8>, u32, u32, i64, Vec<(u32, i64)>);

fn book() -> impl Strategy<Value = (Vec<Spec>, Vec<usize>)> {
    proptest::collection::vec(
        (
            prop::option::of(0u8..3),
            0u32..170,
            0u32..60,
            0i64..1_000_000,
            proptest::collection::vec((0u32..40, 0i64..400_000), 0..4),
        ),
        0..8,
    )
    .prop_flat_map(|specs| {
        let payments: usize = specs.iter().map(|s| s.4.len()).sum();
        let order = Just((0..payments).collect::<Vec<_>>()).prop_shuffle();
        (Just(specs), order)
    })
}

/// The batches as records, and as columns with the payments in `order` (a permutation of the
/// payments listed batch by batch).
fn both(specs: &[Spec], order: &[usize]) -> (Vec<Batch>, Vec<(usize, usize)>) {
    let batches = specs
        .iter()
        .enumerate()
        .map(|(i, (customer, invoice, due, cents, payments))| Batch {
            id: i.to_string(),
            customer: customer.map(|c| format!("c{c}")),
            invoice_on: day(*invoice),
            due_on: day(invoice + due),
            amount: Decimal::new(*cents, 2),
            currency: None,
            payments: payments
                .iter()
                .map(|&(after, c)| Payment { on: day(invoice + after), amount: Decimal::new(c, 2) })
                .collect(),
        })
        .collect();
    let listed: Vec<(usize, usize)> =
        specs.iter().enumerate().flat_map(|(i, s)| (0..s.4.len()).map(move |j| (i, j))).collect();
    (batches, order.iter().map(|&k| listed[k]).collect())
}

struct Owned {
    customer: Vec<i32>,
    labels: Vec<String>,
    invoice_on: Vec<i64>,
    due_on: Vec<i64>,
    amount: Vec<i64>,
    batch: Vec<i64>,
    on: Vec<i64>,
    paid: Vec<i64>,
}

fn columns(batches: &[Batch], payments: &[(usize, usize)]) -> Owned {
    let labels: Vec<String> = (0..3).map(|c| format!("c{c}")).collect();
    let cents = |d: Decimal| (d * Decimal::from(100)).trunc().to_string().parse::<i64>().expect("cents");
    Owned {
        customer: batches
            .iter()
            .map(|b| b.customer.as_ref().map_or(-1, |c| labels.iter().position(|l| l == c).expect("label") as i32))
            .collect(),
        labels,
        invoice_on: batches.iter().map(|b| epoch(b.invoice_on)).collect(),
        due_on: batches.iter().map(|b| epoch(b.due_on)).collect(),
        amount: batches.iter().map(|b| cents(b.amount)).collect(),
        batch: payments.iter().map(|&(i, _)| i as i64).collect(),
        on: payments.iter().map(|&(i, j)| epoch(batches[i].payments[j].on)).collect(),
        paid: payments.iter().map(|&(i, j)| cents(batches[i].payments[j].amount)).collect(),
    }
}

impl Owned {
    fn view(&self) -> BatchColumns<'_> {
        BatchColumns {
            customer: Some(&self.customer),
            customer_labels: &self.labels,
            invoice_on: &self.invoice_on,
            due_on: &self.due_on,
            amount: AmountColumn::Units { units: &self.amount, scale: 2 },
            payment_batch: &self.batch,
            payment_on: &self.on,
            payment_amount: AmountColumn::Units { units: &self.paid, scale: 2 },
        }
    }
}

/// The records with each batch's payments in the columns' row order (the order the columns
/// list them in; both sort a batch's payments by date, ties by that order).
fn reordered(batches: &[Batch], payments: &[(usize, usize)]) -> Vec<Batch> {
    let mut out: Vec<Batch> = batches.iter().map(|b| Batch { payments: Vec::new(), ..b.clone() }).collect();
    for &(i, j) in payments {
        out[i].payments.push(batches[i].payments[j].clone());
    }
    out
}

fn units(d: Decimal) -> i64 {
    (d * Decimal::from(100)).to_string().parse::<Decimal>().expect("units").trunc().to_string().parse().expect("i64")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn interest_columns_give_the_records_figures(
        (specs, order) in book(),
        early in prop::option::of(0u32..2_000),
        late in prop::option::of(0u32..3_000),
        grace in 0u32..10,
        basis in prop_oneof![Just("actual_365"), Just("actual_360"), Just("actual_actual")],
    ) {
        let mut policy = serde_json::json!({"day_count": basis, "grace_days": grace});
        if let Some(r) = early { policy["early_rate"] = Decimal::new(i64::from(r), 4).to_string().into(); }
        if let Some(r) = late { policy["late_rate"] = Decimal::new(i64::from(r), 4).to_string().into(); }
        let policy: InterestPolicy = crmkit::wire::from_json(&policy.to_string(), "").expect("policy");
        let (batches, payments) = both(&specs, &order);
        let owned = columns(&batches, &payments);
        let records = payment_interest(&policy, &reordered(&batches, &payments), as_of());
        let got = payment_interest_columns(&policy, &owned.view(), as_of());
        match (records, got) {
            (Err(a), Err(b)) => prop_assert_eq!(a.code(), b.code()),
            (Ok(r), Ok(c)) => {
                prop_assert_eq!(&r.totals, &c.totals);
                let mut line = 0;
                for (i, b) in r.batches.iter().enumerate() {
                    prop_assert_eq!(units(b.totals.collected), c.batches.collected[i]);
                    prop_assert_eq!(units(b.totals.bonus), c.batches.bonus[i]);
                    prop_assert_eq!(units(b.totals.penalty), c.batches.penalty[i]);
                    prop_assert_eq!(units(b.totals.accrued_penalty), c.batches.accrued_penalty[i]);
                    prop_assert_eq!(units(b.totals.net), c.batches.net[i]);
                    for l in &b.lines {
                        prop_assert_eq!(c.lines.batch[line] as usize, i);
                        prop_assert_eq!(INTEREST_KINDS[usize::from(c.lines.kind[line])], l.kind);
                        prop_assert_eq!(c.lines.days[line], l.days);
                        prop_assert_eq!(c.lines.interest[line], units(l.interest));
                        // The payment's row: the columns' row of the batch's j-th payment.
                        let want = l.payment.map_or(-1, |j| {
                            payments.iter().enumerate().filter(|(_, p)| p.0 == i).nth(j as usize).map_or(-2, |(r, _)| r as i64)
                        });
                        prop_assert_eq!(c.lines.payment[line], want);
                        line += 1;
                    }
                }
                prop_assert_eq!(line, c.lines.batch.len());
            }
            (a, b) => return Err(TestCaseError::fail(format!("records {a:?} vs columns {b:?}"))),
        }
    }

    #[test]
    fn collections_columns_give_the_records_figures((specs, order) in book(), grace in 0u32..10) {
        let policy: CollectionsPolicy =
            crmkit::wire::from_json(&serde_json::json!({"grace_days": grace}).to_string(), "").expect("policy");
        let (batches, payments) = both(&specs, &order);
        let owned = columns(&batches, &payments);
        let records = collections(&policy, &reordered(&batches, &payments), as_of());
        let got = collections_columns(&policy, &owned.view(), as_of());
        // The same amounts as whole units in floats (as JavaScript numbers): the same result.
        let floats = |units: &[i64]| units.iter().map(|&u| u as f64).collect::<Vec<f64>>();
        let (amount, paid) = (floats(&owned.amount), floats(&owned.paid));
        let whole = BatchColumns {
            amount: AmountColumn::WholeFloats { values: &amount, scale: 2 },
            payment_amount: AmountColumn::WholeFloats { values: &paid, scale: 2 },
            ..owned.view()
        };
        let by_floats = collections_columns(&policy, &whole, as_of());
        prop_assert_eq!(format!("{by_floats:?}"), format!("{got:?}"));
        match (records, got) {
            (Err(a), Err(b)) => prop_assert_eq!(a.code(), b.code()),
            (Ok(r), Ok(c)) => {
                prop_assert_eq!(&r.aging, &c.aging);
                prop_assert_eq!(&r.customers, &c.customers);
                prop_assert_eq!(&r.dso, &c.dso);
                for (i, item) in r.batches.iter().enumerate() {
                    prop_assert_eq!(units(item.collected), c.collected[i]);
                    prop_assert_eq!(units(item.outstanding), c.outstanding[i]);
                    prop_assert_eq!(item.days_past_due, c.days_past_due[i]);
                    prop_assert_eq!(&item.bucket, &c.bucket_labels[usize::from(c.bucket[i])]);
                    let level = usize::try_from(c.level[i]).ok().map(|k| policy.levels[k].name.clone());
                    prop_assert_eq!(&item.level, &level);
                    let reasons: Vec<_> =
                        COLLECTION_REASONS.iter().enumerate().filter(|(k, _)| c.reasons[i] & (1 << k) != 0).map(|(_, r)| *r).collect();
                    let mut want = item.reasons.clone();
                    want.sort_by_key(|r| COLLECTION_REASONS.iter().position(|x| x == r));
                    prop_assert_eq!(want, reasons);
                }
            }
            (a, b) => return Err(TestCaseError::fail(format!("records {a:?} vs columns {b:?}"))),
        }
    }
}
