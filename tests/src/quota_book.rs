//! The books the quota property tests generate (`tests/tests/quota_props.rs` and
//! `quota_columns_props.rs`): one policy and one deal builder, so both test the same deals.

use chrono::{NaiveDate, TimeDelta};
use crmkit::forecast::{Deal, ForecastPolicy};
use rust_decimal::Decimal;

/// The policy's stages, by index.
pub const STAGES: [&str; 4] = ["a", "b", "won", "lost"];

/// Two open stages, won and lost; placement `expected_close` in days, undated deals
/// unscheduled, a fiscal year from July; grouped by `group_by`.
///
/// # Panics
///
/// Never: the policy is a constant.
#[must_use]
pub fn policy(group_by: &[&str]) -> ForecastPolicy {
    let mut policy: ForecastPolicy = crmkit::wire::from_json(
        r#"{"stages": [{"name": "a", "conversion": "0.5", "duration": "40"}, {"name": "b", "conversion": "0.3", "duration": "25"},
            {"name": "won", "kind": "won"}, {"name": "lost", "kind": "lost"}],
            "duration_unit": "days", "placement": "expected_close", "undated": "unscheduled",
            "fiscal_year": {"start_month": 7}}"#,
        "",
    )
    .expect("policy");
    policy.group_by = group_by.iter().map(|&g| (*g).to_owned()).collect();
    policy
}

/// Deal `d{i}` in stage `STAGES[stage]`, `cents` / 100, owned by `o{owner}`. An open or lost
/// deal closes `day` days from `as_of` (or is undated); a won one needs its close date, on or
/// before `as_of`: `|day| × reach` days before it (none: on `as_of`).
#[must_use]
pub fn deal(i: usize, stage: usize, cents: i64, owner: u8, day: Option<i64>, as_of: NaiveDate, reach: i64) -> Deal {
    let day = if STAGES[stage] == "won" { Some(-day.unwrap_or(0).abs() * reach) } else { day };
    Deal {
        id: format!("d{i}"),
        stage: STAGES[stage].into(),
        amount: Decimal::new(cents, 2),
        expected_close_on: day.map(|d| as_of + TimeDelta::days(d)),
        owner: Some(format!("o{owner}")),
        ..Deal::default()
    }
}
