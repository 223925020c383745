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

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::book;
use super::calendar::{PeriodId, PeriodKind, Periods};
use super::history::StageEvent;
use super::history_log;
use super::policy::{ForecastCategory, ForecastPolicy, StageKind};
use super::replay;
use super::report::DealLine;
use crate::error::{Error, Result};
use crate::money;

/// How to backtest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
    pub(super) const ALL: [Self; 3] = [Self::StageWeighted, Self::Commit, Self::MonteCarloP50];
}

/// What [`backtest`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct BacktestReport {
    /// One line per date and method, by date, then method.
    pub lines: Vec<BacktestLine>,
    /// One line per method over all dates.
    pub summary: Vec<BacktestSummary>,
}

/// One date and method.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct BacktestSummary {
    /// The method.
    pub method: BacktestMethod,
    /// Dates scored.
    pub dates: u64,
    /// Mean of the lines' APE, |error| ÷ actual of their figures (lines whose actual is 0 left
    /// out), rounded once to 4 places (not the mean of the rounded `ape`s).
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

pub(super) const MAX_DATES: u64 = 1_000;

/// Rebuilds the open pipeline on each of `policy.dates` from the stage-change log, forecasts
/// the period that follows with each [`BacktestMethod`], and scores it against what those deals won.
///
/// # Errors
///
/// `date_after_as_of` at `dates[i]` (a date after `as_of`, or one whose period scored is not
/// over by `as_of`: its actuals are not all known), `limit_exceeded` at `dates` (over 1,000),
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
    check(policy, settings, as_of)?;
    let log = history_log::read(policy.stages.iter().map(|s| s.name.as_str()), events, as_of)?;
    let periods = Periods { fiscal_year: policy.fiscal_year, kind: settings.period };
    // Each date's period: the first one starting on or after it. An error is its date's,
    // raised when that date's turn comes, as a pass per date would.
    let scored: Vec<Result<(PeriodId, NaiveDate, NaiveDate)>> =
        settings.dates.iter().map(|&BacktestDate(t)| first_period(periods, t)).collect();
    let mut states = replay::replay(policy, &log, events, &settings.dates, &scored)?;
    let rounding = policy.rounding;
    let mut lines = Vec::with_capacity(settings.dates.len() * BacktestMethod::ALL.len());
    for ((&BacktestDate(t), scored), state) in settings.dates.iter().zip(scored).zip(&mut states) {
        let (p, start, end) = scored?;
        let (actual, new_won) = state.sums.ok_or_else(|| Error::overflow("events"))?;
        let deals = replay::deals(policy, &log, events, &state.open);
        state.open = Vec::new();
        let (report, rows) = book::place(policy, &deals, t, periods, &[])?;
        drop(deals);
        let (placed, weighted, commit) = placed(&rows, p)?;
        let p50 = if placed.is_empty() {
            Decimal::ZERO
        } else {
            let lines: Vec<&DealLine> = placed.iter().map(|&i| &report.deals[i]).collect();
            replay::p50(policy, settings, &lines)?
        };
        let date = Dated { date: t, period: periods.label(p), start, end };
        push_lines(
            &mut lines,
            rounding,
            &date,
            (rows.len(), placed.len()),
            [weighted, commit, p50],
            (actual, new_won),
        )?;
    }
    let summary = BacktestMethod::ALL.into_iter().map(|method| summarize(method, &lines)).collect::<Result<_>>()?;
    Ok(BacktestReport { lines, summary })
}

/// The checks before any event: at most [`MAX_DATES`] dates (`limit_exceeded` at `dates`),
/// none after `as_of` (`date_after_as_of` at `dates[i]`), the policy's own, and every date's
/// period over by `as_of` (`date_after_as_of` at `dates[i]`, with the period's last day): a
/// period still running on `as_of` has not won all it will, and scoring it against what it
/// won so far would count every deal still to close there as the forecast's error.
pub(super) fn check(policy: &ForecastPolicy, settings: &BacktestPolicy, as_of: NaiveDate) -> Result<()> {
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
    let periods = Periods { fiscal_year: policy.fiscal_year, kind: settings.period };
    for (i, &BacktestDate(t)) in settings.dates.iter().enumerate() {
        // A period past chrono's last day is not over either.
        let scored = first_period(periods, t).ok();
        if scored.is_none_or(|(_, _, end)| end > as_of) {
            let date = scored.map_or_else(
                || format!("the period {t} scores, ending after 9999-12-31,"),
                |(p, _, end)| format!("{end}, the last day of {} (the period {t} scores),", periods.label(p)),
            );
            return Err(Error::DateAfterAsOf { path: format!("dates[{i}]"), date, as_of: as_of.to_string() });
        }
    }
    Ok(())
}

/// The period date `t` forecasts, the first one starting on or after it, and its first and
/// last days.
pub(super) fn first_period(periods: Periods, t: NaiveDate) -> Result<(PeriodId, NaiveDate, NaiveDate)> {
    let mut p = periods.of_day(t);
    let (mut start, mut end) = periods.bounds(p).ok_or_else(|| Error::overflow("dates"))?;
    if start < t {
        p += 1;
        (start, end) = periods.bounds(p).ok_or_else(|| Error::overflow("dates"))?;
    }
    Ok((p, start, end))
}

/// The open rows placed in period `p` (their indices), their weighted sum and the amount of
/// those in the commit category.
pub(super) fn placed(rows: &[book::Row], p: PeriodId) -> Result<(Vec<usize>, Decimal, Decimal)> {
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
    Ok((placed, weighted, commit))
}

/// A past date and the period it forecasts.
pub(super) struct Dated {
    pub date: NaiveDate,
    pub period: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// One date's line per method: its forecast (stage-weighted, commit, P50) and the actual,
/// each rounded once, the error and its APE; `(open, placed)`: the deals open on the date
/// and those placed in the period.
pub(super) fn push_lines(
    lines: &mut Vec<BacktestLine>,
    rounding: money::Rounding,
    dated: &Dated,
    (open, placed): (usize, usize),
    forecasts: [Decimal; 3],
    (actual, new_won): (Decimal, Decimal),
) -> Result<()> {
    let actual = rounding.round(actual);
    for (method, forecast) in BacktestMethod::ALL.into_iter().zip(forecasts) {
        let forecast = rounding.round(forecast);
        let error = forecast.checked_sub(actual).ok_or_else(|| Error::overflow("dates"))?;
        lines.push(BacktestLine {
            date: dated.date,
            period: dated.period.clone(),
            start: dated.start,
            end: dated.end,
            method,
            open_deals: open as u64,
            placed_deals: placed as u64,
            forecast,
            actual,
            new_won: rounding.round(new_won),
            error,
            ape: ratio(error.abs(), actual),
        });
    }
    Ok(())
}

/// `num ÷ den` to 4 places, half-even (`None` when `den` is 0).
pub(super) fn ratio(num: Decimal, den: Decimal) -> Option<Decimal> {
    let four = money::Rounding { dp: 4, strategy: money::RoundingStrategy::HalfEven };
    (!den.is_zero()).then(|| num.checked_div(den)).flatten().map(|r| four.round(r))
}

pub(super) fn summarize(method: BacktestMethod, lines: &[BacktestLine]) -> Result<BacktestSummary> {
    let mine: Vec<&BacktestLine> = lines.iter().filter(|l| l.method == method).collect();
    let (mut abs, mut signed, mut actual) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (mut apes, mut n) = (Decimal::ZERO, 0u32);
    for l in &mine {
        abs = money::add(abs, l.error.abs(), || "lines".into())?;
        signed = money::add(signed, l.error, || "lines".into())?;
        actual = money::add(actual, l.actual, || "lines".into())?;
        // MAPE averages each line's APE before rounding (the line shows it rounded to 4
        // places; their mean would be rounded twice, off by up to 0.0001): the summary's
        // ratios are rounded once, as every figure of a report.
        if !l.actual.is_zero() {
            let ape = l.error.abs().checked_div(l.actual).ok_or_else(|| Error::overflow("lines"))?;
            apes = apes.checked_add(ape).ok_or_else(|| Error::overflow("lines"))?;
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
