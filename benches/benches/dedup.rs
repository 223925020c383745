//! Duplicate matching: index build and one-record queries on a seeded book, and batch
//! de-duplication. Run: `cargo bench -p crmkit-benches --bench dedup`.
//! The book size is `CRMKIT_DEDUP_N` (default 100,000; the README's figures also use 1,000,000).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crmkit::dedup::{find_duplicates_columns, BatchSettings, DedupIndex, DedupRecord, MatchPolicy, RecordColumns};
use crmkit_benches::dedup_book;

fn policy() -> MatchPolicy {
    crmkit::wire::from_json(
        r#"{"fields": [{"field": "company", "comparator": {"type": "company_name"}},
                      {"field": "phone", "comparator": {"type": "phone"}},
                      {"field": "email", "comparator": {"type": "email"}}],
            "rules": {"duplicate": [{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]},
                                    {"name": "same phone and e-mail", "all": [{"field": "phone"}, {"field": "email"}]}],
                      "related": [{"name": "same group", "all": [{"field": "company", "verdict": "RELATED"}]}]}}"#,
        "",
    )
    .expect("policy")
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("CRMKIT_DEDUP_N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let book: Vec<DedupRecord> = dedup_book(n, 42);
    let policy = policy();
    let mut group = c.benchmark_group(format!("dedup_{n}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("index_build", |b| b.iter(|| DedupIndex::build(&policy, &book).expect("index")));
    let index = DedupIndex::build(&policy, &book).expect("index");
    let queries: Vec<DedupRecord> = dedup_book(1_000, 7);
    group.throughput(Throughput::Elements(queries.len() as u64));
    group.bench_function("query_1000", |b| {
        b.iter(|| queries.iter().map(|q| index.query(q, 10).expect("query").candidates.len()).sum::<usize>());
    });
    let ids: Vec<String> = book.iter().map(|r| r.id.clone()).collect();
    let fields: Vec<(String, Vec<Option<String>>)> = ["company", "phone", "email"]
        .iter()
        .map(|f| ((*f).to_owned(), book.iter().map(|r| r.fields.get(*f).cloned().flatten()).collect()))
        .collect();
    let columns = RecordColumns { ids: &ids, owners: None, fields: &fields };
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("find_duplicates_columns", |b| {
        b.iter(|| find_duplicates_columns(&policy, &BatchSettings::default(), &columns).expect("batch"));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
