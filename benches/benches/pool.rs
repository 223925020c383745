//! Public pool over a seeded book: evaluate 1,000,000 records with 10,000,000 activities, and
//! replay 90 days over 100,000 records under two policies.
//! Run: `cargo bench -p crmkit-benches --bench pool`.
//!
//! The book is the one `benches/peers/pool_pandas.py` builds with numpy (same splitmix64
//! streams): see that script for its shape.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crmkit::pool::{evaluate_pool_columns, simulate_pool, AsOf, PoolPolicy};
use crmkit_benches::pool::{policy, Book, AS_OF};

fn bench(c: &mut Criterion) {
    let policy = policy();
    let as_of = AsOf::parse(AS_OF).expect("as_of");
    let mut group = c.benchmark_group("pool");
    group.sample_size(10);
    let book = Book::generate(1_000_000, 10, 42);
    group.throughput(Throughput::Elements(book.activity_record.len() as u64));
    group.bench_function("evaluate_1m_records_10m_activities", |b| {
        b.iter(|| evaluate_pool_columns(&policy, &book.records(), &book.activities(), as_of).expect("evaluate"));
    });
    let small = Book::generate(100_000, 10, 42);
    let (records, activities) = small.rows();
    let b_policy: PoolPolicy =
        crmkit::wire::from_json(&crmkit_benches::pool::POLICY_JSON.replace("\"limit\": 30", "\"limit\": 15"), "")
            .expect("policy b");
    let from = chrono::NaiveDate::from_ymd_opt(2026, 8, 26).expect("date");
    let to = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("simulate_90_days_100k_records", |b| {
        b.iter(|| simulate_pool(&policy, &b_policy, &records, &activities, from, to).expect("simulate"));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
