//! Native timing of the columnar forecast, for the peer scripts under `benches/peers/`.
//! `cargo run --release -q -p crmkit-benches --example forecast_native -- [n] [threads]` prints
//! one JSON line per placement: `{"n", "threads", "placement", "best_ms", "weighted"}` (best of
//! 7 runs back to back after 3 untimed, as forecast_wasm.mjs times the WASM side; threads
//! defaults to 1), then one per grouping of the issue-7 book (`placement` `book_by_owner`,
//! `book_by_team`).

use std::time::Instant;

use crmkit::forecast::{forecast_columns_parallel, DealColumns, ForecastPolicy, Placement};
use crmkit_benches::book::{book_policy, Book};
use crmkit_benches::{as_of, policy, Deals};

/// Untimed calls before the timed ones (forecast_wasm.mjs's WARMUP).
const WARMUP: usize = 3;
/// Timed calls, back to back (forecast_wasm.mjs's RUNS).
const RUNS: usize = 7;

/// Prints the best of [`RUNS`] calls after [`WARMUP`] untimed ones, as a JSON line.
#[allow(clippy::print_stdout)]
fn time(name: &str, policy: &ForecastPolicy, columns: &DealColumns<'_>, (n, threads): (usize, usize)) {
    let mut best = f64::INFINITY;
    let mut weighted = String::new();
    for run in 0..WARMUP + RUNS {
        let start = Instant::now();
        let report = forecast_columns_parallel(policy, columns, as_of(), threads).expect("forecast");
        if run >= WARMUP {
            best = best.min(start.elapsed().as_secs_f64() * 1e3);
        }
        weighted = report.totals.open.weighted.to_string();
    }
    println!(r#"{{"n":{n},"threads":{threads},"placement":"{name}","best_ms":{best:.3},"weighted":"{weighted}"}}"#);
}

fn main() {
    let n = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let deals = Deals::generate(n, 42);
    let columns = deals.columns();
    let threads: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    for (name, placement) in [("half_elapsed", Placement::HalfElapsed), ("actual", Placement::Actual)] {
        time(name, &policy(placement), &columns, (n, threads));
    }
    let book = Book::generate(n, 42);
    for key in ["owner", "team"] {
        time(&format!("book_by_{key}"), &book_policy(key), &book.columns(key), (n, threads));
    }
}
