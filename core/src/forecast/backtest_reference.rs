//! The backtest as first written (one full pass over the log per date, the Monte Carlo
//! through `forecast_ranges`), kept for tests: the fast replay must give the same report and
//! the same errors.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::backtest::{check, first_period, placed, push_lines, summarize, Dated};
use super::backtest::{BacktestDate, BacktestMethod, BacktestPolicy, BacktestReport};
use super::book;
use super::calendar::Periods;
use super::history::StageEvent;
use super::policy::{ForecastPolicy, StageKind};
use super::ranges::{forecast_ranges, QuantileValue, RangeSettings};
use super::Deal;
use crate::error::{Error, Result};
use crate::money;

/// One deal of the log: its events in date order (day, event index, stage), and when it won.
struct LogDeal<'e> {
    id: &'e str,
    visits: Vec<(NaiveDate, usize, usize)>,
    /// Day and amount of its won event.
    won: Option<(NaiveDate, Decimal)>,
}

pub(super) fn backtest(
    policy: &ForecastPolicy,
    settings: &BacktestPolicy,
    events: &[StageEvent],
    as_of: NaiveDate,
) -> Result<BacktestReport> {
    check(policy, settings, as_of)?;
    let log = read_log(policy, events, as_of)?;
    let periods = Periods { fiscal_year: policy.fiscal_year, kind: settings.period };
    let ranges = RangeSettings {
        simulations: settings.simulations,
        seed: settings.seed,
        quantiles: vec![QuantileValue(Decimal::new(5, 1))],
    };
    let rounding = policy.rounding;
    let mut lines = Vec::with_capacity(settings.dates.len() * BacktestMethod::ALL.len());
    for &BacktestDate(t) in &settings.dates {
        let (p, start, end) = first_period(periods, t)?;
        let (deals, won_later) = pipeline(policy, &log, events, t);
        let mut actual = Decimal::ZERO;
        let mut new_won = Decimal::ZERO;
        for deal in &log {
            if let Some((on, amount)) = deal.won.filter(|(on, _)| start <= *on && *on <= end) {
                let _ = on;
                if deal.visits[0].0 <= t {
                    if won_later.contains_key(deal.id) {
                        actual = money::add(actual, amount, || "events".into())?;
                    }
                } else {
                    new_won = money::add(new_won, amount, || "events".into())?;
                }
            }
        }
        let (_, rows) = book::place(policy, &deals, t, periods, &[])?;
        let (placed, weighted, commit) = placed(&rows, p)?;
        let subset: Vec<Deal> = placed.iter().map(|&i| deals[i].clone()).collect();
        let p50 = if subset.is_empty() {
            Decimal::ZERO
        } else {
            forecast_ranges(policy, &ranges, &subset, t)?.total.values[0].0
        };
        let date = Dated { date: t, period: periods.label(p), start, end };
        push_lines(
            &mut lines,
            rounding,
            &date,
            (deals.len(), placed.len()),
            [weighted, commit, p50],
            (actual, new_won),
        )?;
    }
    let summary = BacktestMethod::ALL.into_iter().map(|method| summarize(method, &lines)).collect::<Result<_>>()?;
    Ok(BacktestReport { lines, summary })
}

/// The log by deal, checked: events in date order (log order breaking ties), none after the
/// event that closed the deal.
fn read_log<'e>(policy: &ForecastPolicy, events: &'e [StageEvent], as_of: NaiveDate) -> Result<Vec<LogDeal<'e>>> {
    let index: HashMap<&str, usize> = policy.stages.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
    let mut by_deal: HashMap<&str, usize> = HashMap::new();
    let mut log: Vec<LogDeal> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let stage = *index
            .get(e.stage.as_str())
            .ok_or_else(|| Error::UnknownStage { path: format!("events[{i}].stage"), name: e.stage.clone() })?;
        if e.on > as_of {
            return Err(Error::DateAfterAsOf {
                path: format!("events[{i}].on"),
                date: e.on.to_string(),
                as_of: as_of.to_string(),
            });
        }
        if let Some(a) = e.amount.filter(|a| a.is_sign_negative() && !a.is_zero()) {
            return Err(Error::NegativeAmount { path: format!("events[{i}].amount"), value: a.to_string() });
        }
        let d = *by_deal.entry(e.deal.as_str()).or_insert_with(|| {
            log.push(LogDeal { id: e.deal.as_str(), visits: Vec::new(), won: None });
            log.len() - 1
        });
        log[d].visits.push((e.on, i, stage));
    }
    for deal in &mut log {
        deal.visits.sort_unstable();
        let mut amount = Decimal::ZERO;
        for (k, &(on, i, stage)) in deal.visits.iter().enumerate() {
            if let Some(a) = events[i].amount {
                amount = a;
            }
            let kind = policy.stages[stage].kind;
            if kind != StageKind::Open {
                if let Some(&(later, j, _)) = deal.visits.get(k + 1) {
                    return Err(Error::InvalidValue {
                        path: format!("events[{j}]"),
                        reason: format!(
                            "deal {:?} moves on {later} after it was closed ({}) on {on}",
                            deal.id, policy.stages[stage].name
                        ),
                    });
                }
                if kind == StageKind::Won {
                    deal.won = Some((on, amount));
                }
            }
        }
    }
    Ok(log)
}

/// The deals open on `t`, as the forecast takes them, and their ids (to their row).
fn pipeline<'e>(
    policy: &ForecastPolicy,
    log: &[LogDeal<'e>],
    events: &[StageEvent],
    t: NaiveDate,
) -> (Vec<Deal>, HashMap<&'e str, usize>) {
    let mut deals = Vec::new();
    let mut ids = HashMap::new();
    for deal in log {
        let known = deal.visits.partition_point(|v| v.0 <= t);
        if known == 0 {
            continue;
        }
        let (on, _, stage) = deal.visits[known - 1];
        if policy.stages[stage].kind != StageKind::Open {
            continue;
        }
        let seen = &deal.visits[..known];
        let amount = seen.iter().rev().find_map(|v| events[v.1].amount).unwrap_or(Decimal::ZERO);
        let close = seen.iter().rev().find_map(|v| events[v.1].expected_close_on);
        ids.insert(deal.id, deals.len());
        deals.push(Deal {
            id: deal.id.to_owned(),
            stage: policy.stages[stage].name.clone(),
            amount,
            entered_stage_on: Some(on),
            expected_close_on: close,
            ..Deal::default()
        });
    }
    (deals, ids)
}

#[cfg(test)]
mod tests {
    use chrono::{Days, NaiveDate};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::super::backtest::{BacktestDate, BacktestPolicy};
    use super::super::history::StageEvent;
    use super::super::ForecastPolicy;

    const STAGES: [&str; 5] = ["a", "b", "c", "won", "lost"];

    fn policy(placement: usize) -> ForecastPolicy {
        let placement = ["expected_close", "actual", "half_elapsed"][placement];
        crate::wire::from_json(
            &format!(
                r#"{{"stages": [{{"name": "a", "probability": "0.2", "duration": "20"}},
                    {{"name": "b", "probability": "0.55", "category": "best_case", "duration": "15"}},
                    {{"name": "c", "probability": "0.9", "category": "commit", "duration": "10"}},
                    {{"name": "won", "kind": "won"}}, {{"name": "lost", "kind": "lost"}}],
                    "duration_unit": "days", "placement": "{placement}", "undated": "half_elapsed"}}"#
            ),
            "",
        )
        .expect("policy")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(150))]

        /// The replay gives the report (or the error) the pass per date gives, on logs with
        /// moves back, jumps, revised amounts and close dates, missing ones, unordered and
        /// repeated dates, and logs a replay must refuse.
        #[test]
        fn the_replay_is_the_pass_per_date(
            log in proptest::collection::vec(
                (0u8..25, 0usize..5, 0u64..21, proptest::option::of(0i64..5_000_000), 0u32..3, proptest::option::of(0u64..27)),
                0..80),
            dates in proptest::collection::vec(0u64..22, 0..6),
            placement in 0usize..3,
            period in 0usize..3,
            sims in 1u32..60,
            strict in any::<bool>(),
        ) {
            // Days in steps of 10, so that events, dates and period bounds often coincide.
            let day0 = NaiveDate::from_ymd_opt(2025, 12, 1).expect("date");
            let step = |k: u64| day0 + Days::new(10 * k);
            let as_of = step(21);
            let mut events: Vec<StageEvent> = log
                .iter()
                .map(|&(deal, stage, on, cents, scale, close)| StageEvent {
                    deal: if deal % 3 == 0 { format!("deal-{deal}") } else { format!("0065g0000{deal:09}") },
                    stage: STAGES[stage].into(),
                    on: step(on),
                    amount: cents.map(|c| Decimal::new(c, scale)),
                    expected_close_on: close.map(step),
                    ..StageEvent::default()
                })
                .collect();
            if strict {
                // Most logs a replay accepts: drop every event after a deal's closing one.
                let mut order: Vec<usize> = (0..events.len()).collect();
                order.sort_by_key(|&i| (events[i].deal.clone(), events[i].on, i));
                let mut keep = vec![true; events.len()];
                let mut closed: Option<&str> = None;
                for &i in &order {
                    if closed == Some(events[i].deal.as_str()) {
                        keep[i] = false;
                    } else {
                        closed = None;
                    }
                    if matches!(events[i].stage.as_str(), "won" | "lost") {
                        closed = Some(events[i].deal.as_str());
                    }
                }
                let mut k = keep.iter();
                events.retain(|_| *k.next().expect("one flag per event"));
            }
            let settings = BacktestPolicy {
                dates: dates.iter().map(|&d| BacktestDate(step(d))).collect(),
                period: [super::super::calendar::PeriodKind::Month, super::super::calendar::PeriodKind::Quarter,
                    super::super::calendar::PeriodKind::Year][period],
                simulations: sims,
                seed: 11,
            };
            let policy = policy(placement);
            let fast = super::super::backtest(&policy, &settings, &events, as_of);
            let reference = super::backtest(&policy, &settings, &events, as_of);
            prop_assert_eq!(fast, reference);
        }
    }
}
