//! Commission over a book of 1,000,000 dated transactions of 300 reps through a 5-tier
//! graduated plan on each rep's running total, as columns (`commission_columns`), without and
//! with the statement lines. Run: `cargo bench -p crmkit-benches --bench commission`.
//!
//! The book and plan: `crmkit_benches::commission` (the same as
//! `benches/peers/commission_pandas.py` builds with numpy and times pandas and
//! `crmkit.commission_frame` on).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crmkit::commission::commission_columns;
use crmkit_benches::commission::{as_of, plan, Book};

fn bench(c: &mut Criterion) {
    let plan = plan();
    let book = Book::generate(1_000_000, 300, 42);
    let columns = book.columns();
    let mut group = c.benchmark_group("commission");
    group.sample_size(10);
    group.throughput(Throughput::Elements(book.rep.len() as u64));
    group.bench_function("columns_1m_graduated_5_tiers", |b| {
        b.iter(|| commission_columns(&plan, &[], &columns, as_of(), false).expect("commission"));
    });
    group.bench_function("columns_1m_graduated_5_tiers_with_lines", |b| {
        b.iter(|| commission_columns(&plan, &[], &columns, as_of(), true).expect("commission"));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
