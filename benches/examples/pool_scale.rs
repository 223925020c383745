//! The pool's columnar calls at scale: `evaluate_pool_columns`, `simulate_pool_columns` (90
//! days, limits 30 and 15 days) and `assign_records_columns` on the bench book of `n` records
//! with 10 activities each, best / median thread CPU ms of `runs`, and a digest of the
//! simulation report (unchanged by every speed-up since session 27: 5d73e11a3d026a49,
//! 69677dfdebb807d0, c718be52aaf3f529 at the default sizes).
//! `cargo run --release -q -p crmkit-benches --example pool_scale -- [runs] [n,n,...]`
//! (default 5 runs, 10,000, 100,000 and 1,000,000 records).
#![allow(clippy::print_stdout)]
use crmkit::pool::{
    assign_records_columns, evaluate_pool_columns, simulate_pool_columns, AsOf, AssignColumns, AssignPolicy,
    AssignState, CodeColumn, PoolPolicy,
};
use crmkit_benches::measure::{runs_and_sizes, thread_cpu_ns};
use crmkit_benches::pool::{policy, Book, AS_OF, POLICY_JSON};
use serde_json::json;

fn main() {
    let mut args = std::env::args().skip(1);
    let (runs, sizes) = runs_and_sizes(&mut args, "10000,100000,1000000");
    let policy_a = policy();
    let policy_b: PoolPolicy =
        crmkit::wire::from_json(&POLICY_JSON.replace("\"limit\": 30", "\"limit\": 15"), "").expect("policy b");
    let as_of = AsOf::parse(AS_OF).expect("as_of");
    let from = chrono::NaiveDate::from_ymd_opt(2026, 8, 26).expect("date");
    let to = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let teams: Vec<_> = (0..4)
        .map(|t| {
            let reps: Vec<_> = (0..25).map(|r| json!({"id": format!("rep{t}_{r}"), "weight": 1 + r % 5})).collect();
            let strategy = ["round_robin", "weighted", "least_loaded", "round_robin"][t];
            json!({"id": format!("team{t}"), "strategy": strategy, "reps": reps})
        })
        .collect();
    let routes: Vec<_> = (0..4)
        .map(|t| json!({"id": format!("route{t}"), "when": {"regions": (0..5).map(|k| format!("region{}", t * 5 + k)).collect::<Vec<_>>()}, "team": format!("team{t}")}))
        .collect();
    let assign: AssignPolicy =
        crmkit::wire::from_json(&json!({"teams": teams, "routes": routes, "fallback_queue": "queue"}).to_string(), "")
            .expect("assign policy");
    let regions: Vec<String> = (0..20).map(|k| format!("region{k}")).collect();
    for n in sizes {
        let book = Book::generate(n, 10, 42);
        let region: Vec<i32> = (0..n).map(|i| (crmkit_benches::draw(5, i as u64) % 20) as i32).collect();
        let columns = AssignColumns {
            rows: n,
            region: Some(CodeColumn { codes: &region, labels: &regions }),
            product_line: None,
            level: None,
            source: None,
        };
        let state = AssignState { load: Vec::new(), cursors: std::collections::BTreeMap::default(), seed: 42 };
        let time = |f: &dyn Fn()| {
            let mut v: Vec<f64> = (0..runs)
                .map(|_| {
                    let t = thread_cpu_ns();
                    f();
                    (thread_cpu_ns() - t) as f64 / 1e6
                })
                .collect();
            v.sort_by(f64::total_cmp);
            format!("{:.1}/{:.1}", v[0], v[v.len() / 2])
        };
        let e = time(&|| {
            evaluate_pool_columns(&policy_a, &book.records(), &book.activities(), as_of).expect("evaluate");
        });
        let s = time(&|| {
            simulate_pool_columns(&policy_a, &policy_b, &book.records(), &book.activities(), from, to)
                .expect("simulate");
        });
        let a = time(&|| {
            assign_records_columns(&assign, &columns, &state).expect("assign");
        });
        let report = simulate_pool_columns(&policy_a, &policy_b, &book.records(), &book.activities(), from, to)
            .expect("simulate");
        let digest = crmkit_benches::fnv1a(format!("{report:?}").bytes().map(u64::from));
        println!(
            "n {n} activities {} evaluate {e} simulate {s} assign {a} (best/median ms) simulate digest {digest:016x}",
            book.at.len()
        );
    }
}
