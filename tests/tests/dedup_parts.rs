//! The batch in parts (blocking keys, one block's pairs, one component's clusters), put
//! together as a distributed run does, gives `find_duplicates`'s clusters exactly: with
//! blocks over `max_block_size`, pairs sharing several keys, cannot-links and small
//! `max_cluster_size`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crmkit::dedup::{
    blocking_keys, cluster_pairs, find_duplicates, score_block, score_block_columns, BatchSettings, BlockSettings,
    Comparator, DedupRecord, FieldSpec, MatchPolicy, RecordColumns, Verdict,
};
use proptest::prelude::*;

mod dedup_fixture;

/// The shared test policy with a credit code (two different valid codes refuse a merge).
fn policy(max_block_size: u32) -> MatchPolicy {
    let mut p = dedup_fixture::policy();
    p.fields.push(FieldSpec { field: "credit_code".into(), comparator: Comparator::CreditCode, block: None });
    p.max_block_size = max_block_size;
    p
}

/// Books whose names and phones collide often (so components chain and guards refuse).
fn book() -> impl Strategy<Value = Vec<DedupRecord>> {
    let credit = prop::option::of(prop::sample::select(vec!["91110108551385082Q", "91110000600037341L"]));
    let owner = prop::option::of(prop::sample::select(vec!["王芳", "李雷"]));
    prop::collection::vec((dedup_fixture::company(), dedup_fixture::phone(), credit, owner), 1..16).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (c, p, u, o))| DedupRecord {
                id: format!("r{:02}", (i * 7) % 16),
                owner: o.map(str::to_owned),
                fields: [
                    ("company".to_owned(), Some(c)),
                    ("phone".to_owned(), p.map(str::to_owned)),
                    ("credit_code".to_owned(), u.map(str::to_owned)),
                ]
                .into_iter()
                .collect(),
            })
            .collect()
    })
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// The distributed run, in one process: clusters renumbered by their first record.
fn in_parts(p: &MatchPolicy, settings: &BatchSettings, records: &[DedupRecord]) -> Vec<crmkit::dedup::Cluster> {
    let keys = blocking_keys(p, records).expect("keys");
    let mut blocks: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (&r, &k) in keys.row.iter().zip(&keys.key) {
        blocks.entry(k).or_default().push(r as usize);
    }
    let skipped: Vec<String> =
        blocks.iter().filter(|(_, m)| m.len() > keys.max_block_size as usize).map(|(k, _)| k.to_string()).collect();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut seen = BTreeSet::new();
    for (k, members) in blocks.iter().filter(|(_, m)| m.len() >= 2 && m.len() <= keys.max_block_size as usize) {
        let block: Vec<DedupRecord> = members.iter().map(|&r| records[r].clone()).collect();
        let bs: BlockSettings = crmkit::wire::from_json(
            &serde_json::json!({"key": k.to_string(), "skipped": skipped}).to_string(),
            "settings",
        )
        .expect("settings");
        let pairs = score_block(p, &bs, &block).expect("block");
        for i in 0..pairs.left.len() {
            let (a, b) = (members[pairs.left[i] as usize], members[pairs.right[i] as usize]);
            assert!(seen.insert((a, b)), "pair ({a}, {b}) scored in two blocks");
            if pairs.verdict[i] == Verdict::Duplicate {
                edges.push((a, b));
            }
        }
    }
    // All blocks in one call (a record on one row per block) score the same pairs.
    let rows: Vec<usize> = blocks
        .iter()
        .filter(|(_, m)| m.len() >= 2 && m.len() <= keys.max_block_size as usize)
        .flat_map(|(_, m)| m.iter().copied())
        .collect();
    let row_keys: Vec<i64> = blocks
        .iter()
        .filter(|(_, m)| m.len() >= 2 && m.len() <= keys.max_block_size as usize)
        .flat_map(|(k, m)| std::iter::repeat_n(*k, m.len()))
        .collect();
    let ids: Vec<String> = rows.iter().map(|&r| format!("{r}/{}", records[r].id)).collect();
    let fields: Vec<(String, Vec<Option<String>>)> = ["company", "phone", "credit_code"]
        .iter()
        .map(|f| ((*f).to_owned(), rows.iter().map(|&r| records[r].fields.get(*f).cloned().flatten()).collect()))
        .collect();
    let skipped_keys: Vec<i64> = skipped.iter().map(|k| k.parse().expect("key")).collect();
    let columns = RecordColumns { ids: &ids, owners: None, fields: &fields };
    let all = score_block_columns(p, &row_keys, &skipped_keys, &columns).expect("blocks");
    let at_once: BTreeSet<(usize, usize)> =
        all.left.iter().zip(&all.right).map(|(&a, &b)| (rows[a as usize], rows[b as usize])).collect();
    assert_eq!(at_once, seen, "one call over all blocks");
    let mut parent: Vec<usize> = (0..records.len()).collect();
    for &(a, b) in &edges {
        let (x, y) = (find(&mut parent, a), find(&mut parent, b));
        parent[x.max(y)] = x.min(y);
    }
    let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for r in 0..records.len() {
        let root = find(&mut parent, r);
        components.entry(root).or_default().push(r);
    }
    let mut clusters = Vec::new();
    for rows in components.values().filter(|rows| rows.len() >= 2) {
        let members: Vec<DedupRecord> = rows.iter().map(|&r| records[r].clone()).collect();
        let ids: Vec<[String; 2]> = edges
            .iter()
            .filter(|(a, _)| rows.contains(a))
            .map(|&(a, b)| [records[a].id.clone(), records[b].id.clone()])
            .collect();
        let report = cluster_pairs(p, settings, &members, &ids).expect("component");
        clusters.extend(report.clusters.into_iter().map(|c| {
            let first = rows[members.iter().position(|m| m.id == c.members[0]).expect("member")];
            (first, c)
        }));
    }
    // All components in one call: their clusters are independent.
    let in_components: Vec<usize> =
        (0..records.len()).filter(|&r| components.values().any(|c| c.len() >= 2 && c.contains(&r))).collect();
    let members: Vec<DedupRecord> = in_components.iter().map(|&r| records[r].clone()).collect();
    let ids: Vec<[String; 2]> = edges.iter().map(|&(a, b)| [records[a].id.clone(), records[b].id.clone()]).collect();
    let together = cluster_pairs(p, settings, &members, &ids).expect("components");
    clusters.sort_by_key(|(first, _)| *first);
    assert_eq!(
        together.clusters.iter().map(|c| &c.members).collect::<Vec<_>>(),
        clusters.iter().map(|(_, c)| &c.members).collect::<Vec<_>>()
    );
    clusters
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut c))| {
            c.id = i as u32;
            c
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn parts_give_find_duplicates_clusters(records in book(), cap in 2u32..6, max_cluster in 2u32..5,
                                           cannot in prop::option::of((0usize..16, 0usize..16))) {
        let mut records = records;
        let mut ids = HashSet::new();
        records.retain(|r| ids.insert(r.id.clone()));
        let p = policy(cap);
        let mut settings = BatchSettings { max_cluster_size: max_cluster, ..BatchSettings::default() };
        if let Some((a, b)) = cannot
            && a < records.len() && b < records.len() && a != b {
                settings.cannot_link.push([records[a].id.clone(), records[b].id.clone()]);
            }
        let whole = find_duplicates(&p, &settings, &records).expect("batch");
        prop_assert_eq!(in_parts(&p, &settings, &records), whole.clusters);
    }
}

#[test]
fn given_pairs_are_checked() {
    let p = policy(200);
    let records: Vec<DedupRecord> = crmkit::wire::from_json(
        r#"[{"id": "a", "fields": {"company": "小米科技有限公司"}}, {"id": "b", "fields": {"company": "小米科技有限公司"}}]"#,
        "records",
    )
    .expect("records");
    let e = cluster_pairs(&p, &BatchSettings::default(), &records, &[["a".into(), "c".into()]]).unwrap_err();
    assert_eq!((e.code(), e.path()), ("invalid_value", "pairs[0][1]"));
    let e = cluster_pairs(&p, &BatchSettings::default(), &records, &[["a".into(), "a".into()]]).unwrap_err();
    assert_eq!((e.code(), e.path()), ("invalid_value", "pairs[0]"));
    let small = policy(2);
    let three: Vec<DedupRecord> =
        (0..3).map(|i| DedupRecord { id: i.to_string(), owner: None, fields: BTreeMap::new() }).collect();
    let bs = BlockSettings { key: 1, skipped: vec![] };
    let e = score_block(&small, &bs, &three).unwrap_err();
    assert_eq!((e.code(), e.path()), ("limit_exceeded", "keys"));
}
