//! proptest invariants of duplicate matching: comparators symmetric and in [0, 1], a name
//! always matches itself, normalisation idempotent.

#![allow(clippy::float_cmp)] // exact symmetry and exact 1.0 are the invariants

use crmkit::dedup::{
    compare, find_duplicates, match_records, normalize_company, normalize_person_name, BatchSettings, Comparator,
    DedupIndex, DedupRecord, Verdict,
};
use dedup_fixture::{company, phone, policy};
use proptest::prelude::*;

mod dedup_fixture;

/// Names built from the pieces real company names are made of, in any order, with noise.
fn name() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "北京",
        "上海市",
        "（深圳）",
        "(北京)",
        "字节",
        "跳动",
        "仁科",
        "互動",
        "网络",
        "科技",
        "有限公司",
        "股份有限公司",
        "集团",
        "分公司",
        "上海分公司",
        "办事处",
        "ＴＣＬ",
        "Acme",
        " Co., Ltd.",
        " Inc",
        " GmbH",
        "Müller",
        " ",
        "·",
        "小米",
        "华为",
        "技術",
        "x",
        "9",
    ]);
    prop::collection::vec(piece, 1..7).prop_map(|v| v.concat())
}

fn comparators() -> impl Strategy<Value = Comparator> {
    prop::sample::select(vec![
        Comparator::Exact,
        Comparator::JaroWinkler,
        Comparator::Levenshtein,
        Comparator::TokenSet,
        Comparator::CompanyName,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn comparators_symmetric_and_bounded(c in comparators(), a in name(), b in name()) {
        let (Ok(ab), Ok(ba)) = (compare(&c, &a, &b), compare(&c, &b, &a)) else {
            // A name of punctuation only is refused, whichever side it is on.
            prop_assert_eq!(compare(&c, &a, &b).is_err(), compare(&c, &b, &a).is_err());
            return Ok(());
        };
        prop_assert!((0.0..=1.0).contains(&ab.similarity), "{:?}", ab);
        prop_assert_eq!(ab.similarity, ba.similarity);
        prop_assert_eq!(ab.verdict, ba.verdict);
    }

    #[test]
    fn a_name_matches_itself(a in name()) {
        if let Ok(c) = compare(&Comparator::CompanyName, &a, &a) {
            prop_assert_eq!(c.verdict, Some(Verdict::Duplicate));
            prop_assert_eq!(c.similarity, 1.0);
        }
        if let Ok(c) = compare(&Comparator::JaroWinkler, &a, &a) {
            prop_assert_eq!(c.similarity, 1.0);
        }
    }

    #[test]
    fn normalisation_idempotent(a in name(), free in "\\PC{0,12}") {
        for text in [a, free] {
            if let Ok(n) = normalize_company(&text) {
                let again = normalize_company(&n.normalized).expect("a normalised name parses");
                prop_assert_eq!(&again.normalized, &n.normalized);
                prop_assert_eq!(&again.brand, &n.brand);
            }
            if let Ok(p) = normalize_person_name(&text) {
                prop_assert_eq!(normalize_person_name(&p.normalized).expect("parses").normalized, p.normalized);
            }
        }
    }

    #[test]
    fn a_variant_is_never_distinct(brand in prop::sample::select(vec!["字节跳动", "仁科互动", "凌志", "腾讯计算机系统"]),
                                   region in prop::sample::select(vec!["北京", "上海", "深圳"])) {
        let leading = format!("{region}{brand}科技有限公司");
        let bracketed = format!("{brand}（{region}）科技有限公司");
        let branch = format!("{leading}杭州分公司");
        prop_assert_eq!(compare(&Comparator::CompanyName, &leading, &bracketed).expect("parses").verdict, Some(Verdict::Duplicate));
        prop_assert_eq!(compare(&Comparator::CompanyName, &leading, &branch).expect("parses").verdict, Some(Verdict::Related));
    }
}

/// Small books whose names and phones collide often.
fn book() -> impl Strategy<Value = Vec<DedupRecord>> {
    prop::collection::vec((company(), phone()), 1..9).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (c, p))| DedupRecord {
                id: format!("r{i}"),
                owner: None,
                fields: [("company".to_owned(), Some(c)), ("phone".to_owned(), p.map(str::to_owned))]
                    .into_iter()
                    .collect(),
            })
            .collect()
    })
}

fn cluster_sets(report: &crmkit::dedup::DedupReport) -> Vec<Vec<String>> {
    let mut sets: Vec<Vec<String>> = report
        .clusters
        .iter()
        .map(|c| {
            let mut m = c.members.clone();
            m.sort();
            m
        })
        .collect();
    sets.sort();
    sets
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_record_matches_itself(records in book()) {
        let p = policy();
        for r in &records {
            if let Ok(m) = match_records(&p, r, r) {
                prop_assert_eq!(m.verdict, Verdict::Duplicate, "{:?}", r);
            }
        }
    }

    #[test]
    fn batch_independent_of_input_order(records in book(), seed in 0u64..1000) {
        let p = policy();
        let settings = BatchSettings::default();
        let forward = find_duplicates(&p, &settings, &records).expect("batch");
        let mut shuffled = records.clone();
        // A seeded rotation and reversal: a different order, deterministically.
        let k = (seed as usize) % shuffled.len();
        shuffled.rotate_left(k);
        shuffled.reverse();
        let other = find_duplicates(&p, &settings, &shuffled).expect("batch");
        prop_assert_eq!(cluster_sets(&forward), cluster_sets(&other));
        let survivors = |r: &crmkit::dedup::DedupReport| {
            let mut s: Vec<String> = r.clusters.iter().map(|c| c.survivor.clone()).collect();
            s.sort();
            s
        };
        prop_assert_eq!(survivors(&forward), survivors(&other));
    }

    #[test]
    fn incremental_index_equals_rebuilt(records in book(), removed in prop::collection::vec(0usize..8, 0..4),
                                        query in book()) {
        let p = policy();
        let mut index = DedupIndex::new(&p).expect("index");
        for r in &records {
            index.add(r).expect("add");
        }
        for &i in &removed {
            if let Some(r) = records.get(i) {
                index.remove(&r.id);
            }
        }
        // An update of the first survivor to the query's first company.
        let kept: Vec<DedupRecord> = records.iter().enumerate().filter(|(i, _)| !removed.contains(i)).map(|(_, r)| r.clone()).collect();
        let mut kept = kept;
        if let (Some(first), Some(q)) = (kept.first_mut(), query.first()) {
            first.fields = q.fields.clone();
            index.update(first).expect("update");
        }
        let rebuilt = DedupIndex::build(&p, &kept).expect("rebuilt");
        let restored = DedupIndex::from_bytes(&index.to_bytes()).expect("bytes");
        for q in &query {
            let q = DedupRecord { id: format!("q-{}", q.id), ..q.clone() };
            let a = index.query(&q, 50).expect("query");
            prop_assert_eq!(&a, &rebuilt.query(&q, 50).expect("query"));
            prop_assert_eq!(&a, &restored.query(&q, 50).expect("query"));
        }
    }
}
