//! Attribution timing on a machine shared with other work: for each model, the best wall time
//! and the best on-CPU time of the calling thread (Linux `/proc/thread-self/schedstat`: time
//! spent running, not waiting for a core) over 5 runs of `attribute_columns` on the criterion
//! bench's 1,000,000 journeys × 5 touches.
//! `cargo run --release -q -p crmkit-benches --example roi_native -- [n] [models...]`.

use std::time::Instant;

use crmkit::roi::{attribute_columns, AttributionPolicy};
use crmkit_benches::roi::Journeys;

/// Nanoseconds this thread has run on a CPU (0 where the file does not exist).
fn on_cpu() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0)
}

#[allow(clippy::print_stdout)]
fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let wanted: Vec<String> = args.collect();
    let journeys = Journeys::generate(n, 42);
    let columns = journeys.columns();
    for model in [
        r#"{"kind": "first_touch"}"#,
        r#"{"kind": "last_touch"}"#,
        r#"{"kind": "linear"}"#,
        r#"{"kind": "u_shaped"}"#,
        r#"{"kind": "w_shaped"}"#,
        r#"{"kind": "time_decay", "half_life_days": "7"}"#,
        r#"{"kind": "markov"}"#,
    ] {
        let policy: AttributionPolicy =
            crmkit::wire::from_json(&format!(r#"{{"model": {model}}}"#), "").expect("benchmark policy");
        let name = policy.model.name();
        if !wanted.is_empty() && !wanted.iter().any(|w| w == name) {
            continue;
        }
        let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
        let mut total = String::new();
        for _ in 0..5 {
            let (start, cpu0) = (Instant::now(), on_cpu());
            let out = attribute_columns(&policy, &columns).expect("attribution");
            cpu = cpu.min((on_cpu() - cpu0) as f64 / 1e6);
            wall = wall.min(start.elapsed().as_secs_f64() * 1e3);
            total = out.report.total.to_string();
        }
        println!(r#"{{"n":{n},"model":"{name}","best_wall_ms":{wall:.1},"best_cpu_ms":{cpu:.1},"total":"{total}"}}"#);
    }
}
