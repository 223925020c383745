//! Forecast over 1,000,000 seeded deals: weighted pipeline by owner + month phasing, and the
//! issue-7 book (expected close dates, 500 owners or 20 teams, months).
//! Run: `cargo bench -p crmkit-benches --bench forecast`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crmkit::forecast::{forecast_columns, forecast_columns_parallel, Placement};
use crmkit_benches::book::{book_policy, Book};
use crmkit_benches::{as_of, policy, Deals};

fn bench(c: &mut Criterion) {
    let n = 1_000_000;
    let deals = Deals::generate(n, 42);
    let columns = deals.columns();
    let mut group = c.benchmark_group("forecast_columns_1m");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(30);
    for (name, placement) in [("half_elapsed", Placement::HalfElapsed), ("actual", Placement::Actual)] {
        let policy = policy(placement);
        group.bench_function(name, |b| {
            b.iter(|| forecast_columns(&policy, &columns, as_of()).expect("forecast"));
        });
        group.bench_function(format!("{name}_2_threads"), |b| {
            b.iter(|| forecast_columns_parallel(&policy, &columns, as_of(), 2).expect("forecast"));
        });
    }
    let book = Book::generate(n, 42);
    for key in ["owner", "team"] {
        let policy = book_policy(key);
        let columns = book.columns(key);
        group.bench_function(format!("book_expected_close_by_{key}"), |b| {
            b.iter(|| forecast_columns(&policy, &columns, as_of()).expect("forecast"));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
