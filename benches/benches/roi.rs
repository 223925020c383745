//! Attribution over 1,000,000 seeded journeys of 5 touches: every rule-based model and
//! Markov, exact Decimal credits (integer units) for every touch.
//! Run: `cargo bench -p crmkit-benches --bench roi`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crmkit::roi::{attribute_columns, AttributionPolicy};
use crmkit_benches::roi::Journeys;

fn bench(c: &mut Criterion) {
    let n = 1_000_000;
    let journeys = Journeys::generate(n, 42);
    let columns = journeys.columns();
    let mut group = c.benchmark_group("attribute_columns_1m_x5");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    for model in [
        r#"{"kind": "first_touch"}"#,
        r#"{"kind": "last_touch"}"#,
        r#"{"kind": "linear"}"#,
        r#"{"kind": "u_shaped"}"#,
        r#"{"kind": "w_shaped"}"#,
        r#"{"kind": "time_decay", "half_life_days": "7"}"#,
        r#"{"kind": "markov"}"#,
    ] {
        let policy: AttributionPolicy =
            crmkit::wire::from_json(&format!(r#"{{"model": {model}}}"#), "").expect("benchmark policy");
        group.bench_function(policy.model.name(), |b| {
            b.iter(|| attribute_columns(&policy, &columns).expect("attribution"));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
