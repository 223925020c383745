//! Native timing of the public pool on the bench book, for the README.
//! `cargo run --release -q -p crmkit-benches --example pool_native -- [evaluate|simulate] [runs]`
//! prints one line per call: its wall time and the CPU time of the calling thread (read from
//! `/proc/thread-self/schedstat` on Linux, so a loaded machine's waiting shows apart), then the
//! counts. `evaluate`: `evaluate_pool_columns` over 1,000,000 records and 10,000,000
//! activities; `simulate`: `simulate_pool` over 90 days and 100,000 records, two policies.

use std::time::Instant;

use crmkit::pool::{evaluate_pool_columns, simulate_pool, AsOf, PoolPolicy};
use crmkit_benches::pool::{policy, Book, AS_OF, POLICY_JSON};

/// CPU time of this thread so far, ms (`NaN` where the kernel does not say).
fn cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|ns| ns.parse::<f64>().ok()))
        .map_or(f64::NAN, |ns| ns / 1e6)
}

#[allow(clippy::print_stdout)]
fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "evaluate".into());
    let runs: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let policy = policy();
    let as_of = AsOf::parse(AS_OF).expect("as_of");
    if what == "simulate" {
        let (records, activities) = Book::generate(100_000, 10, 42).rows();
        let b: PoolPolicy =
            crmkit::wire::from_json(&POLICY_JSON.replace("\"limit\": 30", "\"limit\": 15"), "").expect("policy b");
        let from = chrono::NaiveDate::from_ymd_opt(2026, 8, 26).expect("date");
        let to = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        for _ in 0..runs {
            let (t, c) = (Instant::now(), cpu_ms());
            let r = simulate_pool(&policy, &b, &records, &activities, from, to).expect("simulate");
            let (wall, cpu) = (t.elapsed().as_secs_f64() * 1e3, cpu_ms() - c);
            println!("simulate_pool: wall {wall:.0} ms, cpu {cpu:.0} ms; recycled a {} b {}", r.total.a, r.total.b);
        }
    } else {
        let book = Book::generate(1_000_000, 10, 42);
        for _ in 0..runs {
            let (t, c) = (Instant::now(), cpu_ms());
            let out = evaluate_pool_columns(&policy, &book.records(), &book.activities(), as_of).expect("evaluate");
            let (wall, cpu) = (t.elapsed().as_secs_f64() * 1e3, cpu_ms() - c);
            let n = out.totals;
            println!(
                "evaluate_pool_columns: wall {wall:.0} ms, cpu {cpu:.0} ms; keep {} warn {} recycle {} exempt {}",
                n.keep, n.warn, n.recycle, n.exempt
            );
        }
    }
}
