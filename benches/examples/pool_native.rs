//! Native timing of the public pool on the bench book, for the README.
//! `cargo run --release -q -p crmkit-benches --example pool_native -- [evaluate|simulate] [runs]`
//! prints one line per call: its wall time, the CPU time of the calling thread and the time it
//! spent runnable but waiting for a core (read from `/proc/thread-self/schedstat` on Linux,
//! so a loaded machine's waiting shows apart from the work), the minor page faults it took
//! (`/proc/thread-self/stat`), then the counts. What is left of the wall time after CPU and
//! waiting is time the thread was blocked (major page faults, I/O). `evaluate`:
//! `evaluate_pool_columns` over 1,000,000 records and 10,000,000 activities; `simulate`:
//! `simulate_pool` over 90 days and 100,000 records, two policies.

use std::time::Instant;

use crmkit::pool::{evaluate_pool_columns, simulate_pool, AsOf, PoolPolicy};
use crmkit_benches::pool::{policy, Book, AS_OF, POLICY_JSON};

/// CPU time and run-queue wait of this thread so far, ms; minor faults (`NaN` where the
/// kernel does not say).
fn usage() -> [f64; 3] {
    let sched = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let mut fields = sched.split_whitespace().map(|ns| ns.parse::<f64>().map_or(f64::NAN, |ns| ns / 1e6));
    let (cpu, wait) = (fields.next().unwrap_or(f64::NAN), fields.next().unwrap_or(f64::NAN));
    // `stat`: the command is in parentheses and may hold spaces; minflt is the 8th field after it.
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let faults = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(7))
        .and_then(|f| f.parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    [cpu, wait, faults]
}

/// Times `f` and prints the line.
#[allow(clippy::print_stdout)]
fn timed<T>(what: &str, f: impl FnOnce() -> T, counts: impl Fn(&T) -> String) {
    let (t, u) = (Instant::now(), usage());
    let out = f();
    let wall = t.elapsed().as_secs_f64() * 1e3;
    let v = usage();
    println!(
        "{what}: wall {wall:.0} ms, cpu {:.0} ms, waiting for a core {:.0} ms, other {:.0} ms, minor faults {:.0}; {}",
        v[0] - u[0],
        v[1] - u[1],
        wall - (v[0] - u[0]) - (v[1] - u[1]),
        v[2] - u[2],
        counts(&out)
    );
}

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
            timed(
                "simulate_pool",
                || simulate_pool(&policy, &b, &records, &activities, from, to).expect("simulate"),
                |r| format!("recycled a {} b {}", r.total.a, r.total.b),
            );
        }
    } else {
        let book = Book::generate(1_000_000, 10, 42);
        for _ in 0..runs {
            timed(
                "evaluate_pool_columns",
                || evaluate_pool_columns(&policy, &book.records(), &book.activities(), as_of).expect("evaluate"),
                |out| {
                    let n = out.totals;
                    format!("keep {} warn {} recycle {} exempt {}", n.keep, n.warn, n.recycle, n.exempt)
                },
            );
        }
    }
}
