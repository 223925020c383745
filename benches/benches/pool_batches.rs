//! Public-pool assignment and claims over columns against the record API, on the same rows:
//! assign 1,000,000 records (20 regions, 3 sources; 4 teams of 25 reps, one per strategy plus
//! a capacity-bound one), and decide 50,000 claims against 200,000 pooled records, a
//! 1,000,000-entry ledger and 2,000 users' holdings.
//! Run: `cargo bench -p crmkit-benches --bench pool_batches`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crmkit::pool::{
    assign_records, assign_records_columns, check_claims, check_claims_columns, AsOf, AssignColumns, AssignInput,
    AssignPolicy, AssignRecord, AssignState, CodeColumn, RepLoad,
};
use crmkit_benches::claims::{claim_book, labels, Rng, CLAIMS_AS_OF};
use serde_json::json;

fn assign_book() -> (AssignPolicy, AssignInput, Vec<i32>, Vec<i32>, Vec<String>, Vec<String>) {
    let strategies = ["round_robin", "weighted", "least_loaded", "round_robin"];
    let teams: Vec<_> = (0..4)
        .map(|t| {
            let reps: Vec<_> = (0..25)
                .map(|r| {
                    let mut rep = json!({"id": format!("rep{t}_{r}"), "weight": 1 + r % 5, "active": r % 12 != 0});
                    if t == 3 {
                        rep["capacity"] = json!(5_000);
                    }
                    rep
                })
                .collect();
            json!({"id": format!("team{t}"), "strategy": strategies[t], "reps": reps})
        })
        .collect();
    let routes: Vec<_> = (0..4)
        .map(|t| json!({"id": format!("route{t}"), "when": {"regions": (0..5).map(|k| format!("region{}", t * 5 + k)).collect::<Vec<_>>(), "sources": ["web", "fair"]}, "team": format!("team{t}")}))
        .collect();
    let policy = json!({"teams": teams, "routes": routes, "fallback_queue": "queue"});
    let policy: AssignPolicy = crmkit::wire::from_json(&policy.to_string(), "").expect("policy");
    let (regions, sources) = (labels("region", 20), vec!["web".to_string(), "fair".to_string(), "call".to_string()]);
    let mut rng = Rng(42);
    let n = 1_000_000;
    let region: Vec<i32> = (0..n).map(|_| rng.below(20) as i32).collect();
    let source: Vec<i32> = (0..n).map(|_| rng.below(3) as i32).collect();
    let records = (0..n)
        .map(|i| AssignRecord {
            id: format!("lead{i}"),
            region: Some(regions[region[i] as usize].clone()),
            product_line: None,
            level: None,
            source: Some(sources[source[i] as usize].clone()),
        })
        .collect();
    let load = (0..25i64).map(|r| RepLoad { rep: format!("rep2_{r}"), held: r * 37 % 100, assigned: 0 }).collect();
    let input = AssignInput { records, load, cursors: [("team0".to_string(), 7)].into(), seed: 42 };
    (policy, input, region, source, regions, sources)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool_batches");
    group.sample_size(10);
    let (policy, input, region, source, regions, sources) = assign_book();
    let columns = AssignColumns {
        rows: region.len(),
        region: Some(CodeColumn { codes: &region, labels: &regions }),
        product_line: None,
        level: None,
        source: Some(CodeColumn { codes: &source, labels: &sources }),
    };
    let state = AssignState { load: input.load.clone(), cursors: input.cursors.clone(), seed: input.seed };
    group.throughput(Throughput::Elements(region.len() as u64));
    group.bench_function("assign_records_1m", |b| b.iter(|| assign_records(&policy, &input).expect("assign")));
    group.bench_function("assign_records_columns_1m", |b| {
        b.iter(|| assign_records_columns(&policy, &columns, &state).expect("assign"));
    });
    drop(input);
    let book = claim_book();
    let as_of = AsOf::parse(CLAIMS_AS_OF).expect("as_of");
    let columns = book.columns();
    group.throughput(Throughput::Elements(book.input.requests.len() as u64));
    group.bench_function("check_claims_50k_requests_1m_ledger", |b| {
        b.iter(|| check_claims(&book.policy, &book.input, as_of).expect("claims"));
    });
    group.bench_function("check_claims_columns_50k_requests_1m_ledger", |b| {
        b.iter(|| check_claims_columns(&book.policy, &columns, as_of).expect("claims"));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
