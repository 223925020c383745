//! Native timing of `commission_columns` on the bench book, for the README and
//! `benches/peers/commission_pandas.py`.
//! `cargo run --release -q -p crmkit-benches --example commission_native -- [n] [reps] [runs]
//! [bare|lines]` prints one JSON line per variant (both by default): `{"n", "reps", "lines",
//! "best_ms", "total"}` (best of `runs`, default 7). Under `perf stat -e task-clock` the CPU
//! time shows apart from the wall time of a loaded machine: runs 1 and 11 of one variant
//! differ by 10 calls' CPU time.

use std::time::Instant;

use crmkit::commission::commission_columns;
use crmkit_benches::commission::{as_of, plan, Book};

#[allow(clippy::print_stdout)]
fn main() {
    let n = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let reps = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(300);
    let (plan, book) = (plan(), Book::generate(n, reps, 42));
    let columns = book.columns();
    let runs = std::env::args().nth(3).and_then(|a| a.parse().ok()).unwrap_or(7);
    let variants: &[bool] = match std::env::args().nth(4).as_deref() {
        Some("bare") => &[false],
        Some("lines") => &[true],
        _ => &[false, true],
    };
    for &lines in variants {
        let mut best = f64::INFINITY;
        let mut total = String::new();
        for _ in 0..runs {
            let t = Instant::now();
            let report = commission_columns(&plan, &[], &columns, as_of(), lines).expect("commission");
            best = best.min(t.elapsed().as_secs_f64() * 1e3);
            total = report.totals.final_pay.to_string();
        }
        println!(r#"{{"n": {n}, "reps": {reps}, "lines": {lines}, "best_ms": {best:.1}, "total": "{total}"}}"#);
    }
}
