//! `funnel_history` and `backtest` over a seeded 10,000,000-event stage-change log (issue 7:
//! ≤ 2 s and ≤ 5 s for 12 dates on one core): the whole history with time-in-stage
//! percentiles, the history by owner × monthly cohort, and a backtest at 12 month starts.
//! Run: `cargo bench -p crmkit-benches --bench history` (`CRMKIT_HISTORY_EVENTS` to change the
//! log's size).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crmkit::forecast::{backtest, funnel_history};
use crmkit_benches::as_of;
use crmkit_benches::history::{backtest_policy, backtest_settings, generate, history_policy};

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("CRMKIT_HISTORY_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000_000);
    let events = generate(n, 42);
    let mut group = c.benchmark_group("history_10m");
    group.throughput(Throughput::Elements(n as u64));
    // Seconds per call: the fewest samples criterion takes.
    group.sample_size(10);
    for (name, grouped) in [("funnel_history", false), ("funnel_history_by_owner_cohort", true)] {
        let policy = history_policy(grouped);
        group.bench_function(name, |b| b.iter(|| funnel_history(&policy, &events, as_of()).expect("history")));
    }
    let (policy, settings) = (backtest_policy(), backtest_settings());
    group.bench_function("backtest_12_dates", |b| {
        b.iter(|| backtest(&policy, &settings, &events, as_of()).expect("backtest"));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
