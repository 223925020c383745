//! proptest invariants of duplicate matching: comparators symmetric and in [0, 1], a name
//! always matches itself, normalisation idempotent.

#![allow(clippy::float_cmp)] // exact symmetry and exact 1.0 are the invariants

use crmkit::dedup::{compare, normalize_company, normalize_person_name, Comparator, Verdict};
use proptest::prelude::*;

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
