//! One rule's clock: from its start to `as_of`, in the pool's unit, zone and calendar.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::policy::{CompiledPool, DayBoundary, DayUnit};
use super::time::{days_between, Instant};

const HOUR_MS: i64 = 3_600_000;

/// Where a rule's clock stands at `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    /// Time left, not yet in the warning window.
    Keep,
    /// In the warning window.
    Warn,
    /// Time is up.
    Due,
    /// The rule's event happened during the ownership (clock `since_claim`): it is met.
    Met,
}

/// The numbers of one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reading {
    /// Whole units elapsed since the start (days change at local midnight; hours floor).
    pub(crate) elapsed: i64,
    /// Units until due (≤ 0: due), as a person would count them on the same calendar; not
    /// reported for a met rule.
    pub(crate) remaining: i64,
    pub(crate) due_at: Instant,
    pub(crate) warn_at: Option<Instant>,
    pub(crate) status: RuleStatus,
}

/// Reads the clock of a rule with `limit` started at `start`, seen at `as_of`.
///
/// Day units: the record is due at the start (local midnight) of the day on which `limit`
/// units have passed (`inclusive`) or `limit + 1` have (`exclusive`), never before `start`
/// itself; the warning begins `warn_before` units earlier. Hours are real elapsed time.
pub(crate) fn read(pool: &CompiledPool, limit: i64, start: Instant, as_of: Instant, met: bool) -> Reading {
    let p = pool.pool;
    let threshold = limit + i64::from(p.boundary == DayBoundary::Exclusive);
    let warn_units = p.warn_before.map(|m| (threshold - m).max(0));
    let (elapsed, remaining, due_at, warn_at) = match p.unit {
        DayUnit::Hours => {
            let due = Instant(start.0.saturating_add(limit.saturating_mul(HOUR_MS)) + i64::from(threshold > limit));
            let warn = p.warn_before.map(|m| Instant(due.0.saturating_sub(m.saturating_mul(HOUR_MS)).max(start.0)));
            let elapsed = (as_of.0 - start.0).div_euclid(HOUR_MS);
            let remaining = -(as_of.0 - due.0).div_euclid(HOUR_MS);
            (elapsed, remaining, due, warn)
        }
        DayUnit::CalendarDays => {
            let (sd, ad) = (pool.local_date(start), pool.local_date(as_of));
            let on = |units: i64| {
                let day = sd.checked_add_signed(Duration::days(units)).unwrap_or(chrono::NaiveDate::MAX);
                (day, Instant(pool.day_start(day).0.max(start.0)))
            };
            let (due_day, due) = on(threshold);
            (days_between(sd, ad), days_between(ad, due_day), due, warn_units.map(|u| on(u).1))
        }
        DayUnit::WorkingDays => {
            let (sd, ad) = (pool.local_date(start), pool.local_date(as_of));
            let on = |units: i64| {
                let day = pool.working_advance(sd, units).unwrap_or(chrono::NaiveDate::MAX);
                Instant(pool.day_start(day).0.max(start.0))
            };
            let elapsed = pool.working_count(sd, ad);
            (elapsed, threshold - elapsed, on(threshold), warn_units.map(on))
        }
    };
    let status = if met {
        RuleStatus::Met
    } else if as_of >= due_at {
        RuleStatus::Due
    } else if warn_at.is_some_and(|w| as_of >= w) {
        RuleStatus::Warn
    } else {
        RuleStatus::Keep
    };
    Reading { elapsed, remaining, due_at, warn_at, status }
}
