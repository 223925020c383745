//! The columnar quota (`forecast_quota_columns`) against the record one (`quota_attainment`)
//! over generated books: the same report, line for line, whatever the quota's fields among
//! the key columns, the period kind, the deals' own probabilities and the won deals given
//! apart; and the forecast it returns is `forecast_columns`' own.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use crmkit::forecast::{
    forecast_columns, forecast_quota_columns, quota_attainment, AmountColumn, DateColumn, Deal, DealColumns, KeyColumn,
    ProbabilityColumn, Quota, QuotaData, QuotaInput, QuotaPolicy, StageCodes, WonDeal,
};
use crmkit_tests::quota_book::{deal, policy, STAGES};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn days_since_epoch(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days()
}

/// Codes of `values` into labels in order of first appearance (-1: none).
fn coded(values: impl Iterator<Item = Option<String>>) -> (Vec<i32>, Vec<String>) {
    let mut labels: Vec<String> = Vec::new();
    let codes = values
        .map(|v| {
            v.map_or(-1, |v| {
                labels.iter().position(|l| *l == v).unwrap_or_else(|| {
                    labels.push(v);
                    labels.len() - 1
                }) as i32
            })
        })
        .collect();
    (codes, labels)
}

type Row = (usize, i64, u8, Option<u8>, Option<i64>, Option<u8>);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn columns_give_the_record_report(
        book in proptest::collection::vec(
            (0usize..4, 0i64..1_000_000, 0u8..4, proptest::option::of(0u8..3), proptest::option::of(-200i64..400), proptest::option::of(0u8..5)),
            0..40,
        ),
        quotas in proptest::collection::vec((0u8..4, 0u8..3, 0i64..1_000_000), 0..6),
        won in proptest::collection::vec((0i64..100_000, 0i64..400, 0u8..4, 0u8..3), 0..3),
        fields in 0usize..4,
        period in 0usize..3,
        // How far back won deals reach: within a year or so, decades (past the quota's table
        // of recent periods), two centuries (past its table of days).
        reach in proptest::sample::select(vec![1i64, 37, 211]),
    ) {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let book: Vec<Row> = book;
        let deals: Vec<Deal> = book
            .iter()
            .enumerate()
            .map(|(i, &(stage, cents, owner, team, day, p))| Deal {
                // An own probability for some open deals (a won deal may only repeat 1).
                probability: p.filter(|_| stage < 2).map(|p| Decimal::new(i64::from(p) * 25, 2)),
                team: team.map(|t| format!("t{t}")),
                ..deal(i, stage, cents, owner, day, as_of, reach)
            })
            .collect();
        // The quota's fields: none, owner, team or both; the policy groups by both.
        let quota_fields: Vec<&str> = [vec![], vec!["owner"], vec!["team"], vec!["team", "owner"]][fields].clone();
        let kind = ["month", "quarter", "year"][period];
        let quota: QuotaPolicy = crmkit::wire::from_json(
            &format!(r#"{{"group_by": {}, "period": "{kind}"}}"#, serde_json::to_string(&quota_fields).expect("names")),
            "",
        )
        .expect("quota");
        let label = ["2026-11", "FY2027-Q2", "FY2027"][period];
        let mut seen = std::collections::BTreeSet::new();
        let quotas: Vec<Quota> = quotas
            .iter()
            .map(|&(owner, team, cents)| {
                let key: BTreeMap<String, String> = quota_fields
                    .iter()
                    .map(|&f| (f.to_owned(), if f == "owner" { format!("o{owner}") } else { format!("t{team}") }))
                    .collect();
                (key, cents)
            })
            .filter(|(key, _)| seen.insert(key.clone()))
            .map(|(key, cents)| Quota { key, period: label.into(), amount: Decimal::new(cents, 2) })
            .collect();
        let won: Vec<WonDeal> = won
            .iter()
            .enumerate()
            .map(|(i, &(cents, back, owner, team))| WonDeal {
                id: format!("w{i}"),
                amount: Decimal::new(cents, 2),
                closed_on: as_of - chrono::TimeDelta::days(back),
                owner: Some(format!("o{owner}")),
                team: Some(format!("t{team}")),
                product: None,
                attributes: BTreeMap::default(),
            })
            .collect();
        let records = quota_attainment(
            &policy(&[]),
            &quota,
            &QuotaInput { deals: deals.clone(), quotas: quotas.clone(), won: won.clone() },
            as_of,
        )
        .expect("valid book");

        let labels: Vec<String> = STAGES.iter().map(|&s| s.to_owned()).collect();
        let stage: Vec<i32> = book.iter().map(|r| r.0 as i32).collect();
        let cents: Vec<i64> = book.iter().map(|r| r.1).collect();
        let close: Vec<i64> =
            deals.iter().map(|d| d.expected_close_on.map_or(i64::MIN, days_since_epoch)).collect();
        let (owner, owners) = coded(deals.iter().map(|d| d.owner.clone()));
        let (team, teams) = coded(deals.iter().map(|d| d.team.clone()));
        let probability: Vec<f64> = deals
            .iter()
            .map(|d| d.probability.map_or(f64::NAN, |p| p.to_string().parse().expect("a probability")))
            .collect();
        let columns = DealColumns {
            stage: StageCodes::I32(&stage),
            stage_labels: &labels,
            amount: AmountColumn::Units { units: &cents, scale: 2 },
            entered_stage_on: None,
            expected_close_on: Some(DateColumn::Days(&close)),
            snoozed_until: None,
            last_activity_on: None,
            keys: vec![KeyColumn { codes: &owner, labels: &owners }.into(), KeyColumn { codes: &team, labels: &teams }.into()],
            probability: Some(ProbabilityColumn::Float(&probability)),
            category: None,
        };
        let grouped = policy(&["owner", "team"]);
        let (forecast, by_columns) =
            forecast_quota_columns(&grouped, &quota, &columns, &QuotaData { quotas, won }, as_of).expect("valid book");
        prop_assert_eq!(by_columns, records);
        prop_assert_eq!(forecast, forecast_columns(&grouped, &columns, as_of).expect("valid book"));
    }
}
