//! A seeded stage-change log for the `funnel_history` and `backtest` benches (issue 7): deals
//! created over six years before `as_of`, 500 owners, six open stages with moves forward,
//! jumps, moves back and revisions of amount and expected close date, each deal ending won,
//! lost or still open; the log in date order, as a CRM's audit export gives it.

use chrono::{Days, NaiveDate};
use crmkit::forecast::{BacktestPolicy, ForecastPolicy, HistoryPolicy, StageEvent};
use rust_decimal::Decimal;

use crate::{as_of, draw};

/// The open stages, in funnel order.
pub const OPEN: [&str; 6] = ["prospect", "qualify", "demo", "proposal", "negotiate", "commit"];

/// Owners in the log.
pub const OWNERS: u64 = 500;

/// One event before it becomes a [`StageEvent`]: day, deal, its rank in the deal, stage
/// (0..6 open, 6 won, 7 lost), amount in cents, expected close day, owner.
type Raw = (u32, u32, u8, u8, Option<i64>, Option<u32>, u16);

/// A stage-change log of exactly `n` events from `seed` (42 in every published figure).
pub fn generate(n: usize, seed: u64) -> Vec<StageEvent> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let end = (as_of() - epoch).num_days() as u32;
    let first = end - 6 * 365;
    let mut raw: Vec<Raw> = Vec::with_capacity(n + 16);
    let mut k = 0u64;
    let mut next = || {
        k += 1;
        draw(seed, k)
    };
    let mut deal = 0u32;
    while raw.len() < n {
        let mut day = first + (next() % u64::from(end - first)) as u32;
        let owner = (next() % OWNERS) as u16;
        let mut stage = u8::from(next() % 100 >= 85);
        let mut cents = 100_000 + (next() % 20_000_000) as i64;
        let mut close = day + 30 + (next() % 150) as u32;
        let mut rank = 0u8;
        raw.push((day, deal, rank, stage, Some(cents), Some(close), owner));
        loop {
            let r = next();
            day += 1 + (r % (10 + 12 * u64::from(stage))) as u32;
            if day > end || rank == 40 {
                break; // still open at as_of
            }
            rank += 1;
            let roll = (r >> 32) % 100;
            let (amount, revised) = if (r >> 16) % 5 == 0 {
                cents = cents / 10 * (8 + ((r >> 20) % 5) as i64);
                (Some(cents), Some(close.max(day) + 10 + ((r >> 24) % 50) as u32))
            } else {
                (None, None)
            };
            if let Some(c) = revised {
                close = c;
            }
            if roll < 18 + 2 * u64::from(stage) {
                raw.push((day, deal, rank, 7, amount, revised, owner));
                break;
            }
            if usize::from(stage) + 1 == OPEN.len() || (roll >= 98 && usize::from(stage) + 2 == OPEN.len()) {
                // Won: Salesforce's close date becomes the day it closed.
                raw.push((day, deal, rank, 6, amount, Some(day), owner));
                break;
            }
            stage = if roll < 23 + 2 * u64::from(stage) && stage > 0 {
                stage - 1
            } else if roll >= 92 && usize::from(stage) + 2 < OPEN.len() {
                stage + 2
            } else {
                stage + 1
            };
            raw.push((day, deal, rank, stage, amount, revised, owner));
        }
        deal += 1;
    }
    raw.truncate(n);
    raw.sort_unstable_by_key(|e| (e.0, e.1, e.2));
    let date = |d: u32| epoch + Days::new(u64::from(d));
    let owners: Vec<String> = (0..OWNERS).map(|o| format!("rep{o:03}")).collect();
    raw.into_iter()
        .map(|(day, deal, _, stage, cents, close, owner)| StageEvent {
            deal: format!("D{deal:07}"),
            stage: match stage {
                6 => "won".into(),
                7 => "lost".into(),
                s => OPEN[usize::from(s)].into(),
            },
            on: date(day),
            amount: cents.map(|c| Decimal::new(c, 2)),
            expected_close_on: close.map(date),
            owner: Some(owners[usize::from(owner)].clone()),
            ..StageEvent::default()
        })
        .collect()
}

/// The history policy of the bench: the log's stages, P50 / P75 / P90 time in stage, P90 as
/// `stall_after`; `group_by` `["owner"]` and monthly cohorts when `grouped`.
pub fn history_policy(grouped: bool) -> HistoryPolicy {
    let stages: Vec<String> = OPEN.iter().map(|s| format!(r#"{{"name": "{s}"}}"#)).collect();
    let groups = if grouped { r#", "group_by": ["owner"], "cohort": "month""# } else { "" };
    crmkit::wire::from_json(
        &format!(
            r#"{{"stages": [{}, {{"name": "won", "kind": "won"}}, {{"name": "lost", "kind": "lost"}}],
                "percentiles": ["50", "75", "90"], "stall_percentile": "90"{groups}}}"#,
            stages.join(", ")
        ),
        "",
    )
    .expect("benchmark history policy is valid")
}

/// The forecast policy the backtest replays: the log's stages with probabilities and
/// categories, placement `expected_close`.
pub fn backtest_policy() -> ForecastPolicy {
    let probability = ["0.05", "0.1", "0.2", "0.4", "0.6", "0.8"];
    let category = ["pipeline", "pipeline", "pipeline", "best_case", "best_case", "commit"];
    let stages: Vec<String> = (0..OPEN.len())
        .map(|i| {
            format!(
                r#"{{"name": "{}", "probability": "{}", "category": "{}", "duration": "{}"}}"#,
                OPEN[i],
                probability[i],
                category[i],
                10 + 12 * i
            )
        })
        .collect();
    crmkit::wire::from_json(
        &format!(
            r#"{{"stages": [{}, {{"name": "won", "kind": "won"}}, {{"name": "lost", "kind": "lost"}}],
                "duration_unit": "days", "placement": "expected_close"}}"#,
            stages.join(", ")
        ),
        "",
    )
    .expect("benchmark forecast policy is valid")
}

/// Twelve past dates (the first of each of the twelve months before `as_of`'s, whose periods
/// are over by `as_of`), monthly periods, 1,000 simulations.
pub fn backtest_settings() -> BacktestPolicy {
    let dates: Vec<String> = (0..12)
        .map(|m| {
            let (y, mo) = if m < 2 { (2025, 11 + m) } else { (2026, m - 1) };
            format!(r#""{y}-{mo:02}-01""#)
        })
        .collect();
    crmkit::wire::from_json(&format!(r#"{{"dates": [{}], "seed": 7}}"#, dates.join(", ")), "")
        .expect("benchmark backtest settings are valid")
}
