//! `funnel_history` and `backtest` timing on a machine shared with other work: the best wall
//! time and the best on-CPU time of the calling thread (Linux `/proc/thread-self/schedstat`:
//! time spent running, not waiting for a core) over `runs` runs on the criterion bench's
//! seeded 10,000,000-event log (`benches/src/history.rs`).
//! `cargo run --release -q -p crmkit-benches --example history_native -- [events] [runs] [what...]`
//! with `what` among `history`, `history_grouped`, `backtest` (default all three).

use std::time::Instant;

use crmkit::forecast::{backtest, funnel_history};
use crmkit_benches::as_of;
use crmkit_benches::history::{backtest_policy, backtest_settings, generate, history_policy};

use crmkit_benches::measure::thread_cpu_ns;

#[allow(clippy::print_stdout)]
fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let mut wanted: Vec<String> = args.collect();
    if wanted.is_empty() {
        wanted = ["history", "history_grouped", "backtest"].map(String::from).to_vec();
    }
    let events = generate(n, 42);
    for what in &wanted {
        let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
        let mut check = String::new();
        for _ in 0..runs {
            let (start, cpu0) = (Instant::now(), thread_cpu_ns());
            check = match what.as_str() {
                "history" | "history_grouped" => {
                    let r =
                        funnel_history(&history_policy(what == "history_grouped"), &events, as_of()).expect("history");
                    format!(
                        "deals {} won {} groups {} {:?}",
                        r.figures.deals,
                        r.figures.won,
                        r.groups.len(),
                        r.figures.stages[2].percentiles
                    )
                }
                "backtest" => {
                    let r = backtest(&backtest_policy(), &backtest_settings(), &events, as_of()).expect("backtest");
                    let s: Vec<String> = r.summary.iter().map(|s| format!("{:?}", s.wape)).collect();
                    format!("lines {} wape {}", r.lines.len(), s.join(" "))
                }
                other => panic!("unknown bench {other}"),
            };
            cpu = cpu.min((thread_cpu_ns() - cpu0) as f64 / 1e6);
            wall = wall.min(start.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            r#"{{"events":{n},"bench":"{what}","best_wall_ms":{wall:.0},"best_cpu_ms":{cpu:.0},"check":"{check}"}}"#
        );
    }
}
