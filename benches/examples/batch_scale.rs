//! `payment_interest_columns` and `collections_columns` at scale: for each batch count, the
//! best and median on-CPU time of the calling thread over `runs` calls, and an FNV-1a digest
//! of each report's `Debug` text (a speed change must leave every bit as it was).
//! `chrt -f 1 target/release/examples/batch_scale [runs] [n,n,...]`. Seeded batches: 0 to 3
//! payments each (a fifth unpaid, the payments' rows shuffled, out of date order within a
//! batch), early and late, a grace of 5 days, customers = batches / 10, one batch in 16
//! without one.

use crmkit::commission::{collections_columns, payment_interest_columns, BatchColumns};
use crmkit::forecast::AmountColumn;
use crmkit_benches::measure::{runs_and_sizes, thread_cpu_ns};
use crmkit_benches::{draw, fnv1a};

#[allow(clippy::print_stdout)]
fn main() {
    let mut args = std::env::args().skip(1);
    let (runs, sizes) = runs_and_sizes(&mut args, "10000,100000,1000000");
    let interest_policy = crmkit::wire::from_json(
        r#"{"early_rate": "0.06", "late_rate": "0.18", "day_count": "actual_actual", "grace_days": 5}"#,
        "policy",
    )
    .expect("benchmark policy");
    let collections_policy = crmkit::wire::from_json(r#"{"grace_days": 5}"#, "policy").expect("benchmark policy");
    let as_of = chrono::NaiveDate::from_ymd_opt(2027, 3, 31).expect("a date");
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    let last_day = (as_of - epoch).num_days();
    for n in sizes {
        let draw_of = |row: usize, k: u64| draw(11, (row as u64) * 8 + k);
        let invoice_on: Vec<i64> = (0..n).map(|i| 20_454 + (draw_of(i, 0) % 420) as i64).collect();
        let due_on: Vec<i64> =
            invoice_on.iter().enumerate().map(|(i, d)| d + 15 + (draw_of(i, 1) % 4) as i64 * 15).collect();
        let amount: Vec<i64> = (0..n).map(|i| (draw_of(i, 2) % 10_000_000) as i64).collect();
        let mut payments = Vec::new(); // (batch, on, amount)
        for i in 0..n {
            let count = if draw_of(i, 3) % 5 == 0 { 0 } else { 1 + draw_of(i, 3) % 3 };
            let mut left = amount[i];
            for p in 0..count {
                let paid = if p + 1 == count && draw_of(i, 4) % 3 != 0 { left } else { left / 3 };
                left -= paid;
                let span = (last_day - invoice_on[i]) as u64 + 1;
                payments.push((i as i64, invoice_on[i] + (draw_of(i, 5 + p) % span.min(120)) as i64, paid));
            }
        }
        // Payments arrive in no batch order: a seeded shuffle of the rows.
        for j in (1..payments.len()).rev() {
            payments.swap(j, (draw(12, j as u64) % (j as u64 + 1)) as usize);
        }
        let payment_batch: Vec<i64> = payments.iter().map(|p| p.0).collect();
        let payment_on: Vec<i64> = payments.iter().map(|p| p.1).collect();
        let payment_amount: Vec<i64> = payments.iter().map(|p| p.2).collect();
        let customers = (n / 10).max(1);
        let customer: Vec<i32> = (0..n)
            .map(|i| if draw_of(i, 7) % 16 == 0 { -1 } else { (draw_of(i, 7) % customers as u64) as i32 })
            .collect();
        let labels: Vec<String> = (0..customers).map(|i| format!("k{i}")).collect();
        let columns = BatchColumns {
            customer: Some(&customer),
            customer_labels: &labels,
            invoice_on: &invoice_on,
            due_on: &due_on,
            amount: AmountColumn::Units { units: &amount, scale: 2 },
            payment_batch: &payment_batch,
            payment_on: &payment_on,
            payment_amount: AmountColumn::Units { units: &payment_amount, scale: 2 },
        };
        let (mut interest, mut collections) = (Vec::new(), Vec::new());
        let (mut interest_text, mut collections_text) = (String::new(), String::new());
        for _ in 0..runs {
            let started = thread_cpu_ns();
            let report = payment_interest_columns(&interest_policy, &columns, as_of).expect("benchmark batches");
            let between = thread_cpu_ns();
            let open = collections_columns(&collections_policy, &columns, as_of).expect("benchmark batches");
            let ended = thread_cpu_ns();
            interest.push((between - started) as f64 / 1e6);
            collections.push((ended - between) as f64 / 1e6);
            interest_text = format!("{report:?}");
            collections_text = format!("{open:?}");
        }
        let stats = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            (v[0], v[v.len() / 2])
        };
        let ((ib, im), (cb, cm)) = (stats(&mut interest), stats(&mut collections));
        println!(
            r#"{{"n": {n}, "payments": {}, "interest_best_ms": {ib:.2}, "interest_median_ms": {im:.2}, "collections_best_ms": {cb:.2}, "collections_median_ms": {cm:.2}, "interest_digest": "{:016x}", "collections_digest": "{:016x}"}}"#,
            payments.len(),
            fnv1a(interest_text.bytes().map(u64::from)),
            fnv1a(collections_text.bytes().map(u64::from))
        );
    }
}
