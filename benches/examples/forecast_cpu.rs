//! Thread CPU time of the columnar forecast, for a machine shared with other work (wall time
//! there is mostly waiting for a core). Linux only: reads `/proc/thread-self/schedstat`.
//! `cargo run --release -q -p crmkit-benches --example forecast_cpu -- [n] [runs] [workloads]` prints one
//! JSON line per workload: `{"n", "workload", "best_cpu_ms", "median_cpu_ms", "best_wall_ms",
//! "median_wall_ms", "median_faults", "weighted", "digest"}` (runs defaults to 20;
//! `median_faults`: minor page faults inside a call, the median; `digest`: FNV-1a of the
//! whole report as JSON, to check that a faster loop gives the same report bit for bit): the
//! old workload's `half_elapsed` and `actual` (by 200 owners) and `half_elapsed` without
//! groups, then the issue-7 book by owner (500 × 17
//! months) and by team, and by owner with the per-deal probability and category columns (5 %
//! and 10 % of the deals carry their own), then by owner with the won deals dated in the past,
//! alone and with quota + coverage by owner and quarter (`forecast_quota_columns`: the same
//! pass plus the quota; the difference is what the quota adds).
//! On the project's VM the schedstat run time advances in 4 ms steps, so the finer figure is
//! the wall time taken under `chrt -f 1 ...` (real-time priority: no other work preempts the
//! thread).

use crmkit::forecast::{
    forecast_columns, forecast_quota_columns, DateColumn, DealColumns, ForecastPolicy, GroupColumn, KeyColumn,
    Placement, ProbabilityColumn, QuotaData, QuotaPolicy, StageCodes,
};
use crmkit_benches::book::{book_policy, Book};
use crmkit_benches::measure::{thread_cpu_ns, thread_minor_faults};
use crmkit_benches::{as_of, policy, Deals};

/// 64-bit FNV-1a of `text`.
fn fnv1a(text: &str) -> u64 {
    crmkit_benches::fnv1a(text.bytes().map(u64::from))
}

fn probe(name: &str, n: usize, runs: usize, policy: &ForecastPolicy, columns: &DealColumns<'_>) {
    probe_with(name, n, runs, &|| {
        let report = forecast_columns(policy, columns, as_of()).expect("forecast");
        let weighted = report.totals.open.weighted.to_string();
        (weighted, Box::new(move || serde_json::to_string(&report).expect("report as JSON")))
    });
}

/// What a probed call gives: the weighted total, and what it computed as JSON (written after
/// the clock stops).
type Probed = (String, Box<dyn FnOnce() -> String>);

/// Times `call` `runs` times.
#[allow(clippy::print_stdout, clippy::cast_precision_loss)]
fn probe_with(name: &str, n: usize, runs: usize, call: &dyn Fn() -> Probed) {
    if !wanted(name) {
        return;
    }
    let mut times = Vec::with_capacity(runs);
    let mut walls = Vec::with_capacity(runs);
    let mut faults = Vec::with_capacity(runs);
    let mut weighted = String::new();
    let mut digest = 0;
    for _ in 0..runs {
        let faulted = thread_minor_faults();
        let (start, wall) = (thread_cpu_ns(), std::time::Instant::now());
        let (total, out) = call();
        walls.push(wall.elapsed().as_secs_f64() * 1e3);
        times.push((thread_cpu_ns() - start) as f64 / 1e6);
        faults.push(thread_minor_faults() - faulted);
        weighted = total;
        digest = fnv1a(&out());
    }
    times.sort_by(f64::total_cmp);
    walls.sort_by(f64::total_cmp);
    faults.sort_by(f64::total_cmp);
    let (best, median) = (times[0], times[times.len() / 2]);
    let (wall, wall_median) = (walls[0], walls[walls.len() / 2]);
    // Page faults inside a call: the heap regrown after glibc gave it back (see the README).
    let faults = Some(faults[faults.len() / 2]).filter(|f| f.is_finite()).map_or("null".into(), |f| format!("{f:.0}"));
    println!(
        r#"{{"n":{n},"workload":"{name}","best_cpu_ms":{best:.3},"median_cpu_ms":{median:.3},"best_wall_ms":{wall:.3},"median_wall_ms":{wall_median:.3},"median_faults":{faults},"weighted":"{weighted}","digest":"{digest:016x}"}}"#
    );
}

/// Whether the optional third argument (workload names, comma-separated, e.g.
/// `book_by_owner,half_elapsed_ungrouped`) asks for `name`; without it every workload runs.
fn wanted(name: &str) -> bool {
    std::env::args().nth(3).is_none_or(|list| list.split(',').any(|w| w == name))
}

fn main() {
    let n = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let runs: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(20).max(1);
    let deals = Deals::generate(n, 42);
    let columns = deals.columns();
    for (name, placement) in [("half_elapsed", Placement::HalfElapsed), ("actual", Placement::Actual)] {
        probe(name, n, runs, &policy(placement), &columns);
    }
    // The issue's yardstick: the half_elapsed loop without groups.
    let mut ungrouped = policy(Placement::HalfElapsed);
    ungrouped.group_by.clear();
    probe("half_elapsed_ungrouped", n, runs, &ungrouped, &DealColumns { keys: vec![], ..columns.clone() });
    let book = Book::generate(n, 42);
    for key in ["owner", "team"] {
        probe(&format!("book_by_{key}"), n, runs, &book_policy(key), &book.columns(key));
    }
    // The book as `forecast_frame` hands a pandas frame over: the stages as a categorical's
    // int8 codes, the close dates as datetime64[ns] ticks and the owners as int32 ids, read in
    // place (the same report as book_by_owner).
    let ns: i64 = 86_400_000_000_000;
    let ticks: Vec<i64> = book.close.iter().map(|&d| if d == i64::MIN { d } else { d * ns }).collect();
    let ids: Vec<i32> = book.owner.iter().map(|&k| 10_000 + 37 * k).collect();
    let stage8: Vec<i8> = book.stage.iter().map(|&c| i8::try_from(c).unwrap_or(-1)).collect();
    let frame = DealColumns {
        stage: StageCodes::I8(&stage8),
        expected_close_on: Some(DateColumn::Ticks { values: &ticks, per_day: ns }),
        keys: vec![GroupColumn::Ids32(&ids)],
        ..book.columns("owner")
    };
    probe("book_by_owner_frame", n, runs, &book_policy("owner"), &frame);
    let (probability, category) = book.per_deal();
    let labels = ["commit".to_owned(), "best_case".to_owned()];
    let mut columns = book.columns("owner");
    columns.probability = Some(ProbabilityColumn::Float(&probability));
    columns.category = Some(KeyColumn { codes: &category, labels: &labels });
    probe("book_by_owner_per_deal", n, runs, &book_policy("owner"), &columns);
    // Quota + coverage by owner and quarter (issue 7.1): the forecast alone, then the forecast
    // and the quota from the same pass, over the book with its won deals dated in the past.
    let close = book.close_with_won_dated();
    let columns = DealColumns { expected_close_on: Some(DateColumn::Days(&close)), ..book.columns("owner") };
    probe("book_by_owner_won_dated", n, runs, &book_policy("owner"), &columns);
    let quota = QuotaPolicy { group_by: vec!["owner".into()], ..QuotaPolicy::default() };
    let data = QuotaData { quotas: book.owner_quotas(), won: vec![] };
    let by_owner = book_policy("owner");
    probe_with("book_by_owner_quota", n, runs, &|| {
        let reports = forecast_quota_columns(&by_owner, &quota, &columns, &data, as_of()).expect("quota");
        let weighted = reports.0.totals.open.weighted.to_string();
        (weighted, Box::new(move || serde_json::to_string(&reports).expect("reports as JSON")))
    });
}
