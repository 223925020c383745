//! Native timing of the columnar forecast, for the peer scripts under `benches/peers/`.
//! `cargo run --release -q -p crmkit-benches --example forecast_native -- [n]` prints one JSON
//! line per placement: `{"n", "placement", "best_ms", "weighted"}` (best of 7 runs).

use std::time::Instant;

use crmkit::forecast::{forecast_columns, Placement};
use crmkit_benches::{as_of, policy, Deals};

#[allow(clippy::print_stdout)]
fn main() {
    let n = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let deals = Deals::generate(n, 42);
    let columns = deals.columns();
    for (name, placement) in [("half_elapsed", Placement::HalfElapsed), ("actual", Placement::Actual)] {
        let policy = policy(placement);
        let mut best = f64::INFINITY;
        let mut weighted = String::new();
        for _ in 0..7 {
            let start = Instant::now();
            let report = forecast_columns(&policy, &columns, as_of()).expect("forecast");
            best = best.min(start.elapsed().as_secs_f64() * 1e3);
            weighted = report.totals.open.weighted.to_string();
        }
        println!(r#"{{"n":{n},"placement":"{name}","best_ms":{best:.3},"weighted":"{weighted}"}}"#);
    }
}
