//! The pool policy as data: pools chosen by scope, their clocks, rules and exemptions.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::calendar::{HolidayCalendar, WorkCalendar};
use super::time::{parse_zone, Instant};
use crate::error::{Error, Result};

/// Largest `limit`, `warn_before` or `backdate_limit_hours` accepted (in any unit).
pub const MAX_LIMIT: i64 = 100_000;

/// Pools in one policy: the columnar path keeps each record's pool in 16 bits, and scope tables
/// are pools × labels.
pub const MAX_POOLS: u64 = 1_000;

/// A public-pool policy: the pools (公海池 groups, 分组管理规则) and the calendars they count on.
///
/// # Examples
///
/// ```
/// let policy: crmkit::pool::PoolPolicy = crmkit::wire::from_json(r#"{
///     "time_zone": "Asia/Shanghai",
///     "pools": [{
///         "id": "east",
///         "scope": {"departments": ["east"]},
///         "rules": [{"id": "30d", "kind": "no_follow_up", "limit": 30}]
///     }]
/// }"#, "")?;
/// policy.validate()?;
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct PoolPolicy {
    /// IANA time zone days are counted in, unless a pool names its own. Required: a server's
    /// zone is never assumed.
    pub time_zone: String,
    /// Working-day calendars by name, for pools counting `working_days`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Record<string, HolidayCalendar>"))]
    pub calendars: BTreeMap<String, HolidayCalendar>,
    /// The pools. A record goes to the first pool whose scope takes it, pools tried by
    /// ascending `priority` (pools without one after those with one), ties in list order.
    pub pools: Vec<Pool>,
}

/// One pool and its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Pool {
    /// Unique id.
    pub id: String,
    /// Lower first. Absent: after every pool that has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// Which records the pool governs.
    pub scope: PoolScope,
    /// IANA zone of this pool (default: the policy's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Unit of every `limit` and `warn_before` of the pool.
    #[serde(default)]
    pub unit: DayUnit,
    /// Name of the policy calendar `working_days` count on (default: Monday to Friday).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// Whether a record is recycled once `limit` units have passed (`inclusive`) or only when
    /// more than `limit` have (`exclusive`, WukongCRM's `> N`).
    #[serde(default)]
    pub boundary: DayBoundary,
    /// Warn the owner this many units before a record is due. Absent: no warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_before: Option<i64>,
    /// What counts as an effective follow-up.
    #[serde(default)]
    pub follow_up: FollowUpRule,
    /// Records never recycled.
    #[serde(default)]
    pub exempt: PoolExemptions,
    /// The recycle rules; the earliest due one decides.
    pub rules: Vec<RecycleRule>,
    /// Who may claim (领取) the pool's records, and when.
    #[serde(default)]
    pub claims: ClaimRules,
}

/// Claim rules of a pool. Cool-down and embargo count in the pool's `unit`, `boundary`, zone
/// and calendar, exactly as recycle limits do.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct ClaimRules {
    /// Most records a user may hold (their holdings after the claim must not exceed it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdings_limit: Option<i64>,
    /// Won customers do not count towards `holdings_limit`.
    #[serde(default)]
    pub holdings_exclude_won: bool,
    /// Most claims per user per local day of the pool, counted from the ledger's `claim`
    /// events (a released record still counts; an admin's `assign` does not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_limit: Option<i64>,
    /// Units after the end of any earlier ownership of a record before that owner may claim
    /// it again (over the whole history: passing it through a colleague does not shorten it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<i64>,
    /// Units after a record enters the pool before anyone may claim it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embargo: Option<i64>,
    /// Whether `holdings_limit` counts what the user holds in every pool (default) or in this
    /// pool only; `this_pool` needs every holdings line to name its pool.
    #[serde(default)]
    pub holdings_limit_counts: ClaimCount,
    /// Whether `daily_limit` counts the user's claims from every pool (default) or from this
    /// pool only (WukongCRM's per-pool counter); `this_pool` needs every `claim` entry of the
    /// ledger to name its pool.
    #[serde(default)]
    pub daily_limit_counts: ClaimCount,
    /// Whether `cooldown` runs from the end of the user's ownership of the record whichever pool
    /// it went to (default), or only from an end that put it into this pool; `this_pool` needs
    /// every `release` and `recycle` entry of the ledger to name its pool.
    #[serde(default)]
    pub cooldown_counts: ClaimCount,
}

/// What a claim limit counts: the user's claims, holdings or earlier ownerships in every pool,
/// or in the pool claimed from only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum ClaimCount {
    /// Across all pools of the policy (a claim from another pool counts too).
    #[default]
    AllPools,
    /// Only what concerns the pool the record is claimed from.
    ThisPool,
}

/// Who a pool governs. A record is in scope when every non-empty list holds its value; a
/// scope with no list matches **nobody** (WukongCRM's empty-member pool silently took
/// everyone): say `everyone: true` for a catch-all pool.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct PoolScope {
    /// Every record (no list may be given beside it).
    #[serde(default)]
    pub everyone: bool,
    /// Owners (user ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub owners: Vec<String>,
    /// Departments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub departments: Vec<String>,
    /// Regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub regions: Vec<String>,
    /// Product lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub product_lines: Vec<String>,
    /// Customer levels (客户级别).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub levels: Vec<String>,
}

impl PoolScope {
    /// The lists, named, in a fixed order.
    pub(crate) fn lists(&self) -> [(&'static str, &[String]); 5] {
        [
            ("owners", &self.owners),
            ("departments", &self.departments),
            ("regions", &self.regions),
            ("product_lines", &self.product_lines),
            ("levels", &self.levels),
        ]
    }

    /// Whether the scope names nobody.
    pub fn is_empty(&self) -> bool {
        !self.everyone && self.lists().iter().all(|(_, l)| l.is_empty())
    }
}

/// The unit days are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum DayUnit {
    /// Calendar days in the pool's zone: the day count changes at local midnight.
    #[default]
    CalendarDays,
    /// Working days of the pool's calendar, changing at local midnight of each working day.
    WorkingDays,
    /// Elapsed hours (real time: a DST night has 23 or 25).
    Hours,
}

/// Recycled once `limit` units have passed, or only after more than `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum DayBoundary {
    /// Due when elapsed > limit (day `limit + 1` after the clock start).
    #[default]
    Exclusive,
    /// Due when elapsed ≥ limit.
    Inclusive,
}

/// What counts as an effective follow-up (有效跟进): a declared predicate over activities.
/// Its time is the activity's own `at`, never when it was last edited, and the clock runs
/// from the latest effective one (a back-dated entry cannot move it back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct FollowUpRule {
    /// PoolActivity types that count (`call`, `visit`...). Empty: every type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub types: Vec<String>,
    /// Whose activities count.
    #[serde(default)]
    pub actor: FollowUpActor,
    /// An activity logged more than this many hours after its `at` is back-dated and does
    /// not count. Absent: any delay is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backdate_limit_hours: Option<i64>,
}

impl Default for FollowUpRule {
    fn default() -> Self {
        Self { types: Vec::new(), actor: FollowUpActor::Owner, backdate_limit_hours: None }
    }
}

/// Whose activities count as follow-ups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum FollowUpActor {
    /// The record's current owner only.
    #[default]
    Owner,
    /// The owner or a member of the record's `team`.
    Team,
    /// Anyone.
    Anyone,
}

/// Records a pool never recycles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct PoolExemptions {
    /// Locked records (锁定). Default true.
    #[serde(default = "yes")]
    pub locked: bool,
    /// Records with a won deal (成交客户). Default false.
    #[serde(default)]
    pub won: bool,
    /// Records with an open contract. Default true.
    #[serde(default = "yes")]
    pub open_contract: bool,
    /// Records carrying any of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub tags: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Default for PoolExemptions {
    fn default() -> Self {
        Self { locked: true, won: false, open_contract: true, tags: Vec::new() }
    }
}

/// One recycle rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct RecycleRule {
    /// Unique id within the pool.
    pub id: String,
    /// What must happen.
    pub kind: RuleKind,
    /// How many units may pass, ≥ 0. 0 is not "off": it recycles at the clock start
    /// (`inclusive`) or the next unit (`exclusive`); leave a rule out to turn it off.
    pub limit: i64,
    /// Where the clock starts.
    #[serde(default)]
    pub clock: RuleClock,
    /// Customer levels the rule applies to. Empty: every record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub levels: Vec<String>,
}

/// What a rule waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// An effective follow-up.
    NoFollowUp,
    /// A won deal.
    NoWonDeal,
    /// A new opportunity.
    NoNewOpportunity,
}

/// Where a rule's clock starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum RuleClock {
    /// At the later of the claim and the rule's last event: "N days without".
    #[default]
    SinceLastEvent,
    /// At the claim; one event during the ownership meets the rule for good: "within N days
    /// of claiming".
    SinceClaim,
}

/// A pool ready to evaluate.
#[derive(Debug)]
pub(crate) struct CompiledPool<'p> {
    pub(crate) pool: &'p Pool,
    pub(crate) zone: Tz,
    pub(crate) calendar: WorkCalendar,
    pub(crate) types: HashSet<&'p str>,
    pub(crate) scope: [HashSet<&'p str>; 5],
    pub(crate) exempt_tags: HashSet<&'p str>,
    pub(crate) rule_levels: Vec<HashSet<&'p str>>,
    /// Local midnights of a range of days, when a batch asks for the same few hundred
    /// millions of times (the columnar path); `None`: ask the zone each time.
    pub(crate) days: Option<DayTable>,
}

/// The start instants (ms) of consecutive local days from `first`, and for working-day pools
/// the running count of working days, so that a batch reads dates, midnights and working-day
/// counts by index instead of asking the zone and the calendar for each record.
#[derive(Debug)]
pub(crate) struct DayTable {
    first: NaiveDate,
    starts: Vec<i64>,
    /// `worked[k]`: working days in `(first, first + k]` (empty unless the unit is working days).
    worked: Vec<i64>,
}

/// Longest range of days a [`DayTable`] covers (beyond it the zone is asked directly).
const MAX_TABLE_DAYS: i64 = 100_000;
const DAY_MS: i64 = 86_400_000;

impl CompiledPool<'_> {
    /// Precomputes the starts of the local days `from` to `to` (inclusive), and the working-day
    /// ordinals of those days when the pool counts working days.
    pub(crate) fn cache_days(&mut self, from: NaiveDate, to: NaiveDate) {
        let len = super::time::days_between(from, to) + 1;
        if !(1..=MAX_TABLE_DAYS).contains(&len) {
            return;
        }
        let starts: Vec<i64> =
            from.iter_days().take(len as usize).map(|d| super::time::day_start(d, self.zone).0).collect();
        // The index arithmetic below needs strictly increasing starts; a zone that skipped a
        // whole day (Pacific/Apia in 2011) is asked directly.
        if starts.windows(2).any(|w| w[0] >= w[1]) {
            return;
        }
        let worked = if self.pool.unit == DayUnit::WorkingDays {
            let mut n = 0;
            from.iter_days()
                .take(len as usize)
                .enumerate()
                .map(|(k, d)| {
                    if k > 0 {
                        n += i64::from(self.calendar.is_working(d));
                    }
                    n
                })
                .collect()
        } else {
            Vec::new()
        };
        self.days = Some(DayTable { first: from, starts, worked });
    }

    /// The index of `day` in the table, when it is there.
    fn day_index(&self, day: NaiveDate) -> Option<(&DayTable, usize)> {
        let table = self.days.as_ref()?;
        let k = usize::try_from(super::time::days_between(table.first, day)).ok()?;
        (k < table.starts.len()).then_some((table, k))
    }

    /// The local date of `t` in the pool's zone.
    pub(crate) fn local_date(&self, t: Instant) -> NaiveDate {
        if let Some(table) = &self.days {
            let s = &table.starts;
            if let (Some(&lo), Some(&hi)) = (s.first(), s.last())
                && t.0 >= lo
                && t.0 < hi
            {
                // Days are 24 h give or take a DST change, so the quotient is the index
                // or next to it; the walks settle it (starts strictly increase).
                let mut k = usize::try_from((t.0 - lo) / DAY_MS).unwrap_or(0).min(s.len() - 2);
                while s[k + 1] <= t.0 {
                    k += 1;
                }
                while s[k] > t.0 {
                    k -= 1;
                }
                return table.first + chrono::Duration::days(k as i64);
            }
        }
        t.local_date(self.zone)
    }

    /// The instant local day `day` starts at in the pool's zone.
    pub(crate) fn day_start(&self, day: NaiveDate) -> Instant {
        match self.day_index(day) {
            Some((table, k)) => Instant(table.starts[k]),
            None => super::time::day_start(day, self.zone),
        }
    }

    /// Working days in `(a, b]` on the pool's calendar.
    pub(crate) fn working_count(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        if b <= a {
            return 0;
        }
        match (self.day_index(a), self.day_index(b)) {
            (Some((table, from)), Some((_, to))) if !table.worked.is_empty() => table.worked[to] - table.worked[from],
            _ => self.calendar.count(a, b),
        }
    }

    /// The first date `d >= a` with `n` working days in `(a, d]`; `None` past year 9999.
    pub(crate) fn working_advance(&self, a: NaiveDate, n: i64) -> Option<NaiveDate> {
        if n <= 0 {
            return Some(a);
        }
        if let Some((t, i)) = self.day_index(a).filter(|(t, _)| !t.worked.is_empty()) {
            let want = t.worked[i] + n;
            if t.worked.last().is_some_and(|&w| w >= want) {
                let k = t.worked.partition_point(|&w| w < want);
                return Some(t.first + chrono::Duration::days(k as i64));
            }
        }
        self.calendar.advance(a, n)
    }
}

impl PoolPolicy {
    /// Checks the policy.
    ///
    /// # Errors
    ///
    /// `invalid_value` at `time_zone` or `pools[i].time_zone` for a name that is not an IANA
    /// zone, or at `pools[i].calendar` for a calendar the policy lacks; calendar errors as
    /// [`HolidayCalendar::validate`] at `calendars.<name>`; `duplicate_name` for a pool id or
    /// a rule id within a pool; `out_of_range` for a negative (or above [`MAX_LIMIT`])
    /// `limit`, `warn_before` or `backdate_limit_hours`; `invalid_value` at
    /// `pools[i].scope.everyone` when lists are given beside it, and at `pools[i].rules` when
    /// a pool has no rule.
    pub fn validate(&self) -> Result<()> {
        self.compile().map(|_| ())
    }

    /// The pools in the order records try them: by ascending priority, pools without one
    /// last, ties in list order.
    pub(crate) fn compile(&self) -> Result<Vec<CompiledPool<'_>>> {
        let mut pools: Vec<(usize, CompiledPool<'_>)> = self.compile_listed()?.into_iter().enumerate().collect();
        pools.sort_by_key(|(i, cp)| (cp.pool.priority.is_none(), cp.pool.priority, *i));
        Ok(pools.into_iter().map(|(_, cp)| cp).collect())
    }

    /// The pools checked and compiled, in the policy's list order (what claims index them by).
    pub(crate) fn compile_listed(&self) -> Result<Vec<CompiledPool<'_>>> {
        crate::limits::check("pools", self.pools.len(), MAX_POOLS, "pools")?;
        let default_zone = parse_zone(&self.time_zone, "time_zone")?;
        let mut calendars = HashMap::new();
        for (name, cal) in &self.calendars {
            calendars.insert(name.as_str(), cal.compile(&format!("calendars.{name}"))?);
        }
        let mut ids = HashMap::new();
        let mut pools = Vec::with_capacity(self.pools.len());
        for (i, pool) in self.pools.iter().enumerate() {
            let at = format!("pools[{i}]");
            if let Some(first) = ids.insert(pool.id.as_str(), i) {
                return Err(Error::DuplicateName {
                    path: format!("{at}.id"),
                    name: pool.id.clone(),
                    first: format!("pools[{first}].id"),
                });
            }
            let zone = match &pool.time_zone {
                Some(z) => parse_zone(z, &format!("{at}.time_zone"))?,
                None => default_zone,
            };
            let calendar = match &pool.calendar {
                Some(name) => calendars.get(name.as_str()).cloned().ok_or_else(|| Error::InvalidValue {
                    path: format!("{at}.calendar"),
                    reason: format!("calendar {name:?} is not in the policy's calendars"),
                })?,
                None => WorkCalendar::weekdays(),
            };
            if pool.scope.everyone && pool.scope.lists().iter().any(|(_, l)| !l.is_empty()) {
                return Err(Error::InvalidValue {
                    path: format!("{at}.scope.everyone"),
                    reason:
                        "a scope of everyone cannot also list owners, departments, regions, product lines or levels"
                            .into(),
                });
            }
            check_limit(pool.warn_before, &format!("{at}.warn_before"))?;
            let c = &pool.claims;
            for (value, name) in [
                (c.holdings_limit, "holdings_limit"),
                (c.daily_limit, "daily_limit"),
                (c.cooldown, "cooldown"),
                (c.embargo, "embargo"),
            ] {
                check_limit(value, &format!("{at}.claims.{name}"))?;
            }
            check_limit(pool.follow_up.backdate_limit_hours, &format!("{at}.follow_up.backdate_limit_hours"))?;
            if pool.rules.is_empty() {
                return Err(Error::InvalidValue { path: format!("{at}.rules"), reason: "a pool needs a rule".into() });
            }
            let mut rule_ids = HashMap::new();
            for (r, rule) in pool.rules.iter().enumerate() {
                if let Some(first) = rule_ids.insert(rule.id.as_str(), r) {
                    return Err(Error::DuplicateName {
                        path: format!("{at}.rules[{r}].id"),
                        name: rule.id.clone(),
                        first: format!("{at}.rules[{first}].id"),
                    });
                }
                check_limit(Some(rule.limit), &format!("{at}.rules[{r}].limit"))?;
            }
            let lists = pool.scope.lists();
            pools.push(CompiledPool {
                pool,
                zone,
                calendar,
                types: set(&pool.follow_up.types),
                scope: [set(lists[0].1), set(lists[1].1), set(lists[2].1), set(lists[3].1), set(lists[4].1)],
                exempt_tags: set(&pool.exempt.tags),
                rule_levels: pool.rules.iter().map(|r| set(&r.levels)).collect(),
                days: None,
            });
        }
        Ok(pools)
    }
}

fn set(list: &[String]) -> HashSet<&str> {
    list.iter().map(String::as_str).collect()
}

fn check_limit(value: Option<i64>, path: &str) -> Result<()> {
    match value {
        Some(v) if !(0..=MAX_LIMIT).contains(&v) => Err(Error::out_of_range(path, v, 0, MAX_LIMIT)),
        _ => Ok(()),
    }
}
