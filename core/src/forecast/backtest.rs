//! Backtest: the open pipeline rebuilt from the stage-change log as it stood on past dates,
//! forecast from each date by each method, and scored against what those deals actually won
//! in the period that followed (MAPE, WAPE, bias).
//!
//! On a date `t`, a deal of the log exists once its first event is on or before `t`; it is
//! open when its latest event by then is in an open stage, with that event's stage, day
//! (`entered_stage_on`), and the latest amount and expected close date known by then. The
//! period scored is the first period (of the policy's fiscal calendar) starting on or after
//! `t`; the forecast of a method is what it puts in that period; the actual is the amount the
//! same deals won in it (deals created after `t` and won in it are reported apart, as
//! `new_won`, and scored by no method: no pipeline forecast could have seen them).

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::book;
use super::calendar::{PeriodKind, Periods};
use super::history::StageEvent;
use super::policy::{ForecastCategory, ForecastPolicy, StageKind};
use super::ranges::{forecast_ranges, QuantileValue, RangeSettings};
use super::Deal;
use crate::error::{Error, Result};
use crate::money;

/// How to backtest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct BacktestPolicy {
    /// The past dates to rebuild the pipeline on, each ≤ `as_of` (at most 1,000).
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate[]"))]
    pub dates: Vec<BacktestDate>,
    /// The length of the period scored after each date: `month` (default), `quarter` or
    /// `year` of the forecast policy's fiscal calendar.
    #[serde(default = "BacktestPolicy::month")]
    pub period: PeriodKind,
    /// Simulations of the Monte Carlo method (default 1,000; see `forecast_ranges`).
    #[serde(default = "BacktestPolicy::simulations")]
    pub simulations: u32,
    /// Its seed (default 0).
    #[serde(default, with = "crate::wire::uint")]
    #[cfg_attr(feature = "typescript", tsify(type = "string | number"))]
    pub seed: u64,
}

/// A date on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BacktestDate(#[serde(with = "crate::wire::date")] pub NaiveDate);

impl BacktestPolicy {
    fn month() -> PeriodKind {
        PeriodKind::Month
    }
    fn simulations() -> u32 {
        1_000
    }
}

/// A forecasting method scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum BacktestMethod {
    /// Σ amount × stage probability of the deals placed in the period.
    StageWeighted,
    /// Σ amount of the deals in forecast category `commit` placed in the period.
    Commit,
    /// The median won amount of the deals placed in the period, from seeded simulations.
    MonteCarloP50,
}

impl BacktestMethod {
    const ALL: [Self; 3] = [Self::StageWeighted, Self::Commit, Self::MonteCarloP50];
}

/// What [`backtest`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct BacktestReport {
    /// One line per date and method, by date, then method.
    pub lines: Vec<BacktestLine>,
    /// One line per method over all dates.
    pub summary: Vec<BacktestSummary>,
}

/// One date and method.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct BacktestLine {
    /// The date the pipeline is rebuilt on.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub date: NaiveDate,
    /// The period scored: its label, first and last day.
    pub period: String,
    /// First day of the period.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub start: NaiveDate,
    /// Last day.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub end: NaiveDate,
    /// The method.
    pub method: BacktestMethod,
    /// Open deals on `date`.
    pub open_deals: u64,
    /// Of those, placed in the period.
    pub placed_deals: u64,
    /// What the method forecast for the period (rounded by the policy).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub forecast: Decimal,
    /// What the deals open on `date` won in the period.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub actual: Decimal,
    /// Won in the period by deals created after `date` (in no score).
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub new_won: Decimal,
    /// `forecast − actual`.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub error: Decimal,
    /// `|error| ÷ actual`, 4 places (`null` when nothing was won).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub ape: Option<Decimal>,
}

/// One method over all dates.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct BacktestSummary {
    /// The method.
    pub method: BacktestMethod,
    /// Dates scored.
    pub dates: u64,
    /// Mean of the lines' `ape` (lines whose actual is 0 left out), 4 places.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub mape: Option<Decimal>,
    /// Σ |error| ÷ Σ actual, 4 places (`null` when nothing was won).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub wape: Option<Decimal>,
    /// Σ error ÷ Σ actual, 4 places: above 0 the method forecast too much.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub bias: Option<Decimal>,
}

const MAX_DATES: u64 = 1_000;

/// One deal of the log: its events in date order (day, event index, stage), and when it won.
struct LogDeal<'e> {
    id: &'e str,
    visits: Vec<(NaiveDate, usize, usize)>,
    /// Day and amount of its won event.
    won: Option<(NaiveDate, Decimal)>,
}

/// Rebuilds the open pipeline on each of `policy.dates` from the stage-change log, forecasts
/// the period that follows with each [`BacktestMethod`], and scores it against what those deals won.
///
/// # Errors
///
/// `date_after_as_of` at `dates[i]`, `limit_exceeded` at `dates` (over 1,000),
/// `out_of_range` at `simulations` as `forecast_ranges`; for an event `i`: `unknown_stage` at
/// `events[i].stage`, `date_after_as_of` at `events[i].on`, `negative_amount` at
/// `events[i].amount`, `invalid_value` at `events[i]` for an event of a deal after the event
/// that closed it (won or lost); the errors of [`forecast`](super::forecast) for the rebuilt
/// pipeline (its paths are the rebuilt deals', `deals[j]...`).
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{backtest, BacktestPolicy, ForecastPolicy, StageEvent};
/// use crmkit::wire::from_json;
///
/// let policy: ForecastPolicy = from_json(r#"{"stages": [{"name": "deal", "probability": "0.5", "category": "commit"},
///     {"name": "won", "kind": "won"}, {"name": "lost", "kind": "lost"}],
///     "duration_unit": "days", "placement": "expected_close"}"#, "")?;
/// let settings: BacktestPolicy = from_json(r#"{"dates": ["2026-01-01"], "seed": 7}"#, "")?;
/// let events: Vec<StageEvent> = from_json(r#"[
///     {"deal": "a", "stage": "deal", "on": "2025-12-01", "amount": "100", "expected_close_on": "2026-01-20"},
///     {"deal": "a", "stage": "won", "on": "2026-01-20"},
///     {"deal": "b", "stage": "deal", "on": "2025-12-05", "amount": "300", "expected_close_on": "2026-01-25"},
///     {"deal": "b", "stage": "lost", "on": "2026-01-25"}]"#, "events")?;
/// let r = backtest(&policy, &settings, &events, chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap())?;
/// let weighted = &r.lines[0];
/// // 200 forecast (half of 400), 100 won: 100 too much.
/// assert_eq!((weighted.forecast.to_string(), weighted.actual.to_string()), ("200.00".into(), "100.00".into()));
/// assert_eq!(r.summary[0].wape.unwrap().to_string(), "1.0000");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn backtest(
    policy: &ForecastPolicy,
    settings: &BacktestPolicy,
    events: &[StageEvent],
    as_of: NaiveDate,
) -> Result<BacktestReport> {
    crate::limits::check("dates", settings.dates.len(), MAX_DATES, "backtest dates")?;
    for (i, d) in settings.dates.iter().enumerate() {
        if d.0 > as_of {
            return Err(Error::DateAfterAsOf {
                path: format!("dates[{i}]"),
                date: d.0.to_string(),
                as_of: as_of.to_string(),
            });
        }
    }
    policy.validate()?;
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
        // The first period starting on or after t.
        let mut p = periods.of_day(t);
        let (mut start, mut end) = periods.bounds(p).ok_or_else(|| Error::overflow("dates"))?;
        if start < t {
            p += 1;
            (start, end) = periods.bounds(p).ok_or_else(|| Error::overflow("dates"))?;
        }
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
        let placed: Vec<usize> =
            (0..rows.len()).filter(|&i| rows[i].kind == StageKind::Open && rows[i].period == Some(p)).collect();
        let mut weighted = Decimal::ZERO;
        let mut commit = Decimal::ZERO;
        for &i in &placed {
            weighted = money::add(weighted, rows[i].weighted, || "deals".into())?;
            if rows[i].category == ForecastCategory::Commit {
                commit = money::add(commit, rows[i].amount, || "deals".into())?;
            }
        }
        let subset: Vec<Deal> = placed.iter().map(|&i| deals[i].clone()).collect();
        let p50 = if subset.is_empty() {
            Decimal::ZERO
        } else {
            forecast_ranges(policy, &ranges, &subset, t)?.total.values[0].0
        };
        let label = periods.label(p);
        for (method, forecast) in BacktestMethod::ALL.into_iter().zip([weighted, commit, p50]) {
            let forecast = rounding.round(forecast);
            let actual = rounding.round(actual);
            let error = forecast.checked_sub(actual).ok_or_else(|| Error::overflow("dates"))?;
            lines.push(BacktestLine {
                date: t,
                period: label.clone(),
                start,
                end,
                method,
                open_deals: deals.len() as u64,
                placed_deals: placed.len() as u64,
                forecast,
                actual,
                new_won: rounding.round(new_won),
                error,
                ape: ratio(error.abs(), actual),
            });
        }
    }
    let summary = BacktestMethod::ALL.into_iter().map(|method| summarize(method, &lines)).collect::<Result<_>>()?;
    Ok(BacktestReport { lines, summary })
}

/// `num ÷ den` to 4 places, half-even (`None` when `den` is 0).
fn ratio(num: Decimal, den: Decimal) -> Option<Decimal> {
    let four = money::Rounding { dp: 4, strategy: money::RoundingStrategy::HalfEven };
    (!den.is_zero()).then(|| num.checked_div(den)).flatten().map(|r| four.round(r))
}

fn summarize(method: BacktestMethod, lines: &[BacktestLine]) -> Result<BacktestSummary> {
    let mine: Vec<&BacktestLine> = lines.iter().filter(|l| l.method == method).collect();
    let (mut abs, mut signed, mut actual) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (mut apes, mut n) = (Decimal::ZERO, 0u32);
    for l in &mine {
        abs = money::add(abs, l.error.abs(), || "lines".into())?;
        signed = money::add(signed, l.error, || "lines".into())?;
        actual = money::add(actual, l.actual, || "lines".into())?;
        if let Some(a) = l.ape {
            apes = money::add(apes, a, || "lines".into())?;
            n += 1;
        }
    }
    Ok(BacktestSummary {
        method,
        dates: mine.len() as u64,
        mape: ratio(apes, Decimal::from(n)),
        wape: ratio(abs, actual),
        bias: ratio(signed, actual),
    })
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
