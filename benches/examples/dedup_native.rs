//! Times the dedup phases on a seeded book: `cargo run --release -p crmkit-benches --example dedup_native [n]`.

#![allow(clippy::print_stdout)]

use std::time::Instant;

use crmkit::dedup::{
    find_duplicates_columns, normalize_company, BatchSettings, DedupIndex, DedupRecord, MatchPolicy, RecordColumns,
};
use crmkit_benches::dedup_book;

/// Resident memory in MB (Linux; 0 elsewhere).
fn resident_mb() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .unwrap_or(0);
    pages * 4096 / 1_000_000
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let book: Vec<DedupRecord> = dedup_book(n, 42);
    let policy: MatchPolicy = crmkit::wire::from_json(
        r#"{"fields": [{"field": "company", "comparator": {"type": "company_name"}},
                      {"field": "phone", "comparator": {"type": "phone"}},
                      {"field": "email", "comparator": {"type": "email"}}],
            "rules": {"duplicate": [{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]},
                                    {"name": "same phone and e-mail", "all": [{"field": "phone"}, {"field": "email"}]}]}}"#,
        "",
    )
    .expect("policy");
    let t = Instant::now();
    let mut k = 0;
    for r in &book {
        k += normalize_company(r.fields["company"].as_deref().unwrap_or("x")).map_or(0, |c| c.brand.len());
    }
    println!("normalize_company x{n}: {:.3} s ({k})", t.elapsed().as_secs_f64());
    let before = resident_mb();
    let t = Instant::now();
    let index = DedupIndex::build(&policy, &book).expect("index");
    println!(
        "index build: {:.3} s ({:.2} µs a record), resident memory +{} MB",
        t.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64() * 1e6 / n as f64,
        resident_mb().saturating_sub(before)
    );
    let queries = dedup_book(2000, 7);
    let mut times: Vec<f64> = queries
        .iter()
        .map(|q| {
            let t = Instant::now();
            let _ = index.query(q, 10).expect("query");
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "query ms: p50 {:.3} p99 {:.3} max {:.3}",
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        times[times.len() - 1]
    );
    let bytes = index.to_bytes();
    println!("index bytes: {} MB", bytes.len() / 1_000_000);
    let ids: Vec<String> = book.iter().map(|r| r.id.clone()).collect();
    let fields: Vec<(String, Vec<Option<String>>)> = ["company", "phone", "email"]
        .iter()
        .map(|f| ((*f).to_owned(), book.iter().map(|r| r.fields.get(*f).cloned().flatten()).collect()))
        .collect();
    let columns = RecordColumns { ids: &ids, owners: None, fields: &fields };
    let before = resident_mb();
    let t = Instant::now();
    let r = find_duplicates_columns(&policy, &BatchSettings::default(), &columns).expect("batch");
    println!("batch resident memory +{} MB (peak while it ran may be higher)", resident_mb().saturating_sub(before));
    println!(
        "batch: {:.3} s, {} candidate pairs, {} clusters",
        t.elapsed().as_secs_f64(),
        r.stats.candidate_pairs,
        r.clusters.len()
    );
}
