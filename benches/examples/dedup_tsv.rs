//! The batch de-duplication of the peer benchmark's book, in Rust alone, with its quality:
//! `python benches/peers/dedup_data.py --tsv N > book.tsv` writes the book (id, entity,
//! company, phone, e-mail, owner; the same seeded rows `dedup_peers.py` gives every tool), and
//! `cargo run --release -p crmkit-benches --example dedup_tsv book.tsv [threads] [--plain]`
//! times `find_duplicates_columns` under the peer script's policy (`dedup_peers.py`'s
//! `run_crmkit`; `--plain`: its rules before a slip had to have nothing against it) (wall and
//! CPU of all threads: the machine is shared) and prints pairwise precision, recall and F1
//! against the truth.

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let plain = args.iter().any(|a| a == "--plain");
    let mut args = args.into_iter().filter(|a| a != "--plain");
    let path = args.next().expect("usage: dedup_tsv book.tsv [threads] [--plain]");
    let threads: Option<u32> = args.next().and_then(|v| v.parse().ok());
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
    // The peer script's rules (dedup_peers.py's run_crmkit); --plain: the rules before
    // 2026-11-30 12:00, a name one slip apart a duplicate whatever its phone and e-mail say.
    let company = if plain {
        r#"{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE"}]}"#
    } else {
        r#"{"name": "same company", "all": [{"field": "company", "verdict": "DUPLICATE", "min": 0.95}]},
           {"name": "one slip, nothing against it", "all": [{"field": "company", "verdict": "DUPLICATE"},
                {"field": "phone", "min": 0.8, "or_blank": true}, {"field": "email", "min": 0.5, "or_blank": true}]},
           {"name": "one slip, one company domain", "all": [{"field": "company", "verdict": "DUPLICATE"},
                {"field": "email", "min": 0.5}]}"#
    };
    let policy: MatchPolicy = crmkit::wire::from_json(
        &format!(
            r#"{{"fields": [{{"field": "company", "comparator": {{"type": "company_name"}}}},
                          {{"field": "phone", "comparator": {{"type": "phone"}}}},
                          {{"field": "email", "comparator": {{"type": "email"}}}}],
                "rules": {{"duplicate": [{company},
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
    let right = pairs(r.cluster.iter().zip(&entity).filter(|&(&c, _)| c >= 0).map(|(&c, &e)| (c, e)));
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
