//! Lead scoring over 1,000,000 seeded leads × 30 rules, 10 events each; and training the
//! learned model on 1,000,000 closed leads × 10 fields, from columns and from records.
//! Run: `cargo bench -p crmkit-benches --bench scoring`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crmkit::scoring::{
    score_columns, train_lead_model, train_lead_model_columns, FieldData, GroupedEvents, LeadColumns, ModelConfig,
};
use crmkit_benches::as_of;
use crmkit_benches::scoring::{model_config, policy, ClosedLeads, Leads};

fn bench(c: &mut Criterion) {
    let n = 1_000_000;
    let leads = Leads::generate(n, 42);
    let policy = policy();
    let grouped = GroupedEvents::group(&leads.event_lead, &leads.event_type, &leads.event_on, n).expect("events");
    let columns = LeadColumns { rows: n, fields: leads.fields(), events: Some(grouped.columns(&leads.event_labels)) };
    let mut group = c.benchmark_group("score_columns_1m");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    group.bench_function("30_rules_10_events", |b| {
        b.iter(|| score_columns(&policy, &columns, as_of()).expect("scores"));
    });
    group.bench_function("group_events_10m", |b| {
        b.iter(|| GroupedEvents::group(&leads.event_lead, &leads.event_type, &leads.event_on, n).expect("events"));
    });
    group.finish();

    let closed = ClosedLeads::generate(n, 7);
    let config: ModelConfig = model_config();
    let records = closed.leads();
    let mut group = c.benchmark_group("train_1m");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    let owned = closed.columns();
    let columns = LeadColumns { rows: owned.rows, fields: owned.fields(), events: None };
    assert_eq!(
        train_lead_model_columns(&config, &columns, as_of()).expect("model"),
        train_lead_model(&config, records, as_of()).expect("model"),
        "columns and records train the same model"
    );
    group.bench_function("bayes_10_fields_columns", |b| {
        b.iter(|| train_lead_model_columns(&config, &columns, as_of()).expect("model"));
    });
    group.bench_function("bayes_10_fields_records", |b| {
        b.iter(|| train_lead_model(&config, records, as_of()).expect("model"));
    });
    group.finish();
    let _ = FieldData::Number(&[]);
}

criterion_group!(benches, bench);
criterion_main!(benches);
