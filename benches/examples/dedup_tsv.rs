//! The batch de-duplication of the peer benchmark's book, in Rust alone, with its quality:
//! `python benches/peers/dedup_data.py --tsv N > book.tsv` writes the book (id, entity,
//! company, phone, e-mail, owner; the same seeded rows `dedup_peers.py` gives every tool), and
//! `cargo run --release -p crmkit-benches --example dedup_tsv book.tsv [threads]` times
//! `find_duplicates_columns` under the peer script's policy (`dedup_peers.py`'s `run_crmkit`) (wall and CPU of all threads: the
//! machine is shared) and prints pairwise precision, recall and F1 against the truth.

#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::time::Instant;

use crmkit::dedup::{find_duplicates_columns, BatchSettings, MatchPolicy, RecordColumns};
use crmkit_benches::measure::{peak_mb, process_cpu_s};

/// Pairs within groups: Σ n(n − 1)/2 over the groups' sizes.
fn pairs<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = K>) -> u64 {
    let mut sizes: HashMap<K, u64> = HashMap::new();
    for k in keys {
        *sizes.entry(k).or_insert(0) += 1;
    }
    sizes.values().map(|n| n * (n - 1) / 2).sum()
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: dedup_tsv book.tsv [threads]");
    let threads: Option<u32> = std::env::args().nth(2).and_then(|v| v.parse().ok());
    let text = std::fs::read_to_string(&path).expect("book");
    let (mut ids, mut entity, mut owners) = (Vec::new(), Vec::new(), Vec::new());
    let mut cols: [Vec<Option<String>>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        ids.push(f[0].to_owned());
        entity.push(f[1].parse::<u64>().expect("entity"));
        for (k, col) in cols.iter_mut().enumerate() {
            col.push(Some(f[2 + k]).filter(|v| !v.is_empty()).map(str::to_owned));
        }
        owners.push(Some(f[5]).filter(|v| !v.is_empty()).map(str::to_owned));
    }
    let [company, phone, email] = cols;
    let fields = vec![("company".to_owned(), company), ("phone".to_owned(), phone), ("email".to_owned(), email)];
    let threads = threads.map_or(String::new(), |t| format!(r#", "threads": {t}"#));
    let policy: MatchPolicy = crmkit::wire::from_json(
        &format!(
            r#"{{"fields": [{{"field": "company", "comparator": {{"type": "company_name"}}}},
                          {{"field": "phone", "comparator": {{"type": "phone"}}}},
                          {{"field": "email", "comparator": {{"type": "email"}}}}],
                "rules": {{"duplicate": [{{"name": "same company", "all": [{{"field": "company", "verdict": "DUPLICATE"}}]}},
                                        {{"name": "same phone and e-mail", "all": [{{"field": "phone"}}, {{"field": "email"}}]}}]}}{threads}}}"#
        ),
        "policy",
    )
    .expect("policy");
    let columns = RecordColumns { ids: &ids, owners: Some(&owners), fields: &fields };
    let settings = BatchSettings { max_cluster_size: 50, ..BatchSettings::default() };
    let (t, cpu) = (Instant::now(), process_cpu_s());
    let r = find_duplicates_columns(&policy, &settings, &columns).expect("batch");
    let (wall, cpu) = (t.elapsed().as_secs_f64(), process_cpu_s() - cpu);
    let truth = pairs(entity.iter().copied());
    let found = pairs(r.cluster.iter().filter(|&&c| c >= 0).copied());
    let right = pairs(r.cluster.iter().zip(&entity).filter(|(&c, _)| c >= 0).map(|(&c, &e)| (c, e)));
    let (p, rc) = (right as f64 / found.max(1) as f64, right as f64 / truth.max(1) as f64);
    println!(
        "{} records: {wall:.3} s wall, {cpu:.2} s CPU, {} candidate pairs, {} clusters, peak {} MB; precision {p:.4} recall {rc:.4} F1 {:.4}",
        ids.len(),
        r.stats.candidate_pairs,
        r.clusters.len(),
        peak_mb(),
        2.0 * p * rc / (p + rc)
    );
}
