//! Policy lint: settings that validate but do something the author probably did not mean.

use serde::{Deserialize, Serialize};

use super::policy::{DayBoundary, DayUnit, Pool, PoolPolicy, PoolScope};
use crate::error::Result;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum LintCode {
    /// `warn_before` reaches back to the clock start: the owner is warned from day one.
    WarningNotBeforeLimit,
    /// A limit of 0: recycled at once (inclusive) or the next unit (exclusive); not "off".
    ZeroLimit,
    /// A scope with no list takes nobody.
    PoolWithoutMembers,
    /// Two pools may take the same record and neither has a lower priority: list order decides.
    OverlapWithoutPriority,
    /// Every record this pool could take is taken by a pool tried before it.
    UnreachablePool,
    /// A rule's levels are outside the pool's own levels: it never applies.
    UnreachableRule,
    /// Every rule is per level: records of other levels (or none) are never recycled.
    LevelsWithoutRule,
    /// A calendar named by a pool that does not count working days.
    CalendarUnused,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct LintFinding {
    /// What.
    pub code: LintCode,
    /// Where (`pools[1].warn_before`).
    pub path: String,
    /// For people.
    pub message: String,
    /// The other pool involved (overlaps, unreachable pools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
}

/// What [`lint_pool`](super::lint_pool) returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct LintReport {
    /// The findings, in policy order.
    pub findings: Vec<LintFinding>,
}

/// Whether some record could be taken by both scopes.
fn overlap(a: &PoolScope, b: &PoolScope) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a.everyone || b.everyone {
        return true;
    }
    a.lists()
        .iter()
        .zip(b.lists())
        .all(|((_, x), (_, y))| x.is_empty() || y.is_empty() || x.iter().any(|v| y.contains(v)))
}

/// Whether every record `later` takes is taken by `earlier`.
fn covers(earlier: &PoolScope, later: &PoolScope) -> bool {
    if earlier.everyone {
        return !later.is_empty();
    }
    if earlier.is_empty() || later.is_empty() || later.everyone {
        return false;
    }
    earlier
        .lists()
        .iter()
        .zip(later.lists())
        .all(|((_, e), (_, l))| e.is_empty() || (!l.is_empty() && l.iter().all(|v| e.contains(v))))
}

pub(crate) fn lint(policy: &PoolPolicy) -> Result<LintReport> {
    let order = policy.compile()?;
    let mut findings = Vec::new();
    let mut push = |code, path: String, message: String, other: Option<&str>| {
        findings.push(LintFinding { code, path, message, other: other.map(str::to_owned) });
    };
    let index = |p: &Pool| policy.pools.iter().position(|q| std::ptr::eq(p, q)).unwrap_or(0);
    for (i, pool) in policy.pools.iter().enumerate() {
        let at = format!("pools[{i}]");
        if pool.scope.is_empty() {
            push(
                LintCode::PoolWithoutMembers,
                format!("{at}.scope"),
                "the scope lists nobody, so the pool takes no record (say everyone: true for a catch-all)".into(),
                None,
            );
        }
        let excl = i64::from(pool.boundary == DayBoundary::Exclusive);
        for (r, rule) in pool.rules.iter().enumerate() {
            if rule.limit == 0 {
                push(
                    LintCode::ZeroLimit,
                    format!("{at}.rules[{r}].limit"),
                    "a limit of 0 does not turn the rule off: records are due at once; leave the rule out instead"
                        .into(),
                    None,
                );
            }
            if let Some(w) = pool.warn_before.filter(|w| *w >= rule.limit + excl) {
                push(
                    LintCode::WarningNotBeforeLimit,
                    format!("{at}.warn_before"),
                    format!("warning {w} units before a limit of {} warns from the clock start", rule.limit),
                    None,
                );
            }
            if !pool.scope.levels.is_empty()
                && !rule.levels.is_empty()
                && !rule.levels.iter().any(|l| pool.scope.levels.contains(l))
            {
                push(
                    LintCode::UnreachableRule,
                    format!("{at}.rules[{r}].levels"),
                    "none of the rule's levels is in the pool's scope".into(),
                    None,
                );
            }
        }
        let per_level = !pool.rules.is_empty() && pool.rules.iter().all(|r| !r.levels.is_empty());
        let covered = |l: &String| pool.rules.iter().any(|r| r.levels.contains(l));
        if per_level && (pool.scope.levels.is_empty() || !pool.scope.levels.iter().all(covered)) {
            push(
                LintCode::LevelsWithoutRule,
                format!("{at}.rules"),
                "every rule is per level: records of other levels, or without a level, are never recycled".into(),
                None,
            );
        }
        if let (Some(_), false) = (&pool.calendar, pool.unit == DayUnit::WorkingDays) {
            push(
                LintCode::CalendarUnused,
                format!("{at}.calendar"),
                "the pool does not count working days, so its calendar is not used".into(),
                None,
            );
        }
        for c in [("holdings_limit", pool.claims.holdings_limit), ("daily_limit", pool.claims.daily_limit)] {
            if c.1 == Some(0) {
                push(
                    LintCode::ZeroLimit,
                    format!("{at}.claims.{}", c.0),
                    "a limit of 0 refuses every claim".into(),
                    None,
                );
            }
        }
    }
    // Overlaps and reachability follow the order records try pools in.
    for (k, later) in order.iter().enumerate() {
        let j = index(later.pool);
        for earlier in &order[..k] {
            let (e, l) = (earlier.pool, later.pool);
            if covers(&e.scope, &l.scope) {
                push(
                    LintCode::UnreachablePool,
                    format!("pools[{j}].scope"),
                    format!("pool {:?}, tried first, takes every record this scope takes", e.id),
                    Some(&e.id),
                );
                break;
            }
            if e.priority == l.priority && overlap(&e.scope, &l.scope) {
                push(
                    LintCode::OverlapWithoutPriority,
                    format!("pools[{j}].priority"),
                    format!("pool {:?} may take the same records with the same priority: list order decides", e.id),
                    Some(&e.id),
                );
            }
        }
    }
    Ok(LintReport { findings })
}
