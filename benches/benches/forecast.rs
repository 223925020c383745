//! Forecast over 1,000,000 seeded deals: weighted pipeline by owner + month phasing, and the
//! issue-7 book (expected close dates, 500 owners or 20 teams, months).
//! Run: `cargo bench -p crmkit-benches --bench forecast`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crmkit::forecast::{forecast_columns, forecast_columns_parallel, KeyColumn, Placement, ProbabilityColumn};
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
    // The per-deal inputs (issue 7.7): 5 % of the deals with their own probability, 10 % with
    // their own category; the summing loop is the same, plus one pass over the two columns.
    let (probability, category) = book.per_deal();
    let labels = ["commit".to_owned(), "best_case".to_owned()];
    let policy = book_policy("owner");
    let mut columns = book.columns("owner");
    columns.probability = Some(ProbabilityColumn::Float(&probability));
    columns.category = Some(KeyColumn { codes: &category, labels: &labels });
    group.bench_function("book_expected_close_by_owner_per_deal", |b| {
        b.iter(|| forecast_columns(&policy, &columns, as_of()).expect("forecast"));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
