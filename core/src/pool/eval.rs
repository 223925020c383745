//! Records and activities in, one explained decision per record out.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::clock::{self, RuleStatus};
use super::policy::{CompiledPool, DayUnit, FollowUpActor, PoolPolicy, RuleClock, RuleKind};
use super::time::{AsOf, Instant, ZonedInstant};
use crate::error::{Error, Result};

/// A customer or lead held by an owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct PoolRecord {
    /// Unique id.
    pub id: String,
    /// The current owner (user id).
    pub owner: String,
    /// When the owner got it (claimed, was assigned, or created it), ≤ `as_of`.
    #[serde(with = "super::time::instant")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub claimed_at: Instant,
    /// The owner's department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Product line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_line: Option<String>,
    /// Customer level (客户级别).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Users whose activities count under `actor: team`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub team: Vec<String>,
    /// Tags (matched against a pool's exempt tags).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub tags: Vec<String>,
    /// Locked by its owner (锁定).
    #[serde(default)]
    pub locked: bool,
    /// Has an open contract.
    #[serde(default)]
    pub open_contract: bool,
    /// When its latest deal was won, ≤ `as_of`.
    #[serde(default, with = "super::time::instant_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub last_won_at: Option<Instant>,
    /// When its latest opportunity was created, ≤ `as_of`.
    #[serde(default, with = "super::time::instant_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub last_opportunity_at: Option<Instant>,
}

/// One row of the follow-up log (跟进记录), as the CRM stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct PoolActivity {
    /// Id of the record followed up.
    pub record: String,
    /// When the contact happened (as entered), ≤ `as_of`.
    #[serde(with = "super::time::instant")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub at: Instant,
    /// When it was entered in the CRM, ≤ `as_of`. Absent: `at`.
    #[serde(default, with = "super::time::instant_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub logged_at: Option<Instant>,
    /// When it was last edited: accepted and **ignored** (editing an old note is not a
    /// follow-up; WukongCRM reset the clock on any edit).
    #[serde(default, with = "super::time::instant_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub updated_at: Option<Instant>,
    /// Type (`call`, `visit`, `wechat`...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Who did it (user id).
    pub actor: String,
    /// Deleted rows never count (yudao kept a deleted note's time).
    #[serde(default)]
    pub deleted: bool,
}

/// The decision on one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum PoolVerdict {
    /// Stays with its owner.
    Keep,
    /// Stays, and its owner is warned: it is due soon.
    Warn,
    /// Goes back to the pool (回收).
    Recycle,
    /// Never recycled (locked, won, open contract, exempt tag).
    Exempt,
}

/// Stable reason codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum PoolReasonCode {
    /// A `no_follow_up` rule's clock (with its numbers).
    NoFollowUp,
    /// A `no_won_deal` rule's clock.
    NoWonDeal,
    /// A `no_new_opportunity` rule's clock.
    NoNewOpportunity,
    /// Exempt: locked.
    ExemptLocked,
    /// Exempt: has a won deal.
    ExemptWon,
    /// Exempt: open contract.
    ExemptOpenContract,
    /// Exempt: carries `tag`.
    ExemptTag,
    /// No rule of the pool applies to the record's level (`level`).
    NoRuleApplies,
    /// `count` activities did not count: deleted.
    IgnoredDeleted,
    /// `count` activities did not count: a type the pool does not count.
    IgnoredType,
    /// `count` activities did not count: by someone the pool does not count.
    IgnoredActor,
    /// `count` activities did not count: logged more than the back-dating limit after `at`.
    IgnoredBackdated,
    /// `count` activities did not count: `at` later than when they were logged.
    IgnoredFutureDated,
}

/// One reason, with the numbers behind it (only the fields its code uses are present).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct PoolReason {
    /// What.
    pub code: PoolReasonCode,
    /// Rule clocks: the rule's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Rule clocks: where the clock starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<RuleClock>,
    /// Rule clocks: when it started (the claim or the rule's last event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub since: Option<ZonedInstant>,
    /// Rule clocks: the unit of the numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<DayUnit>,
    /// Rule clocks: whole units elapsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed: Option<i64>,
    /// Rule clocks: the rule's limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Rule clocks: units left until due (≤ 0: due); absent, as `due_at` and `warn_at`, once
    /// a `since_claim` rule is met (it is never due).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<i64>,
    /// Rule clocks: when it is (was) due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub due_at: Option<ZonedInstant>,
    /// Rule clocks: when its warning starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub warn_at: Option<ZonedInstant>,
    /// Rule clocks: where the clock stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RuleStatus>,
    /// `exempt_tag`: the tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// `no_rule_applies`: the record's level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// `ignored_*`: how many activities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

impl PoolReason {
    fn code(code: PoolReasonCode) -> Self {
        Self {
            code,
            rule: None,
            clock: None,
            since: None,
            unit: None,
            elapsed: None,
            limit: None,
            remaining: None,
            due_at: None,
            warn_at: None,
            status: None,
            tag: None,
            level: None,
            count: None,
        }
    }
}

/// One record's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct PoolDecision {
    /// The record's id.
    pub record: String,
    /// Its owner.
    pub owner: String,
    /// The pool that governs it.
    pub pool: String,
    /// Keep, warn, recycle or exempt.
    pub decision: PoolVerdict,
    /// When it is (was) due: the earliest due rule's time. Absent when exempt or no rule
    /// applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub due_at: Option<ZonedInstant>,
    /// When its warning starts (≤ `due_at`); absent without `warn_before`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub warn_at: Option<ZonedInstant>,
    /// The rule that sets `due_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The latest effective follow-up during the ownership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub last_follow_up_at: Option<ZonedInstant>,
    /// PoolExemptions, one clock per applicable rule, and the activities that did not count.
    pub reasons: Vec<PoolReason>,
}

/// How many records got each decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct PoolCounts {
    /// Records.
    pub records: u64,
    /// Kept.
    pub keep: u64,
    /// Warned.
    pub warn: u64,
    /// Recycled.
    pub recycle: u64,
    /// Exempt.
    pub exempt: u64,
}

impl PoolCounts {
    pub(crate) fn add(&mut self, v: PoolVerdict) {
        self.records += 1;
        match v {
            PoolVerdict::Keep => self.keep += 1,
            PoolVerdict::Warn => self.warn += 1,
            PoolVerdict::Recycle => self.recycle += 1,
            PoolVerdict::Exempt => self.exempt += 1,
        }
    }
}

/// PoolCounts of one pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct PoolCountsLine {
    /// The pool's id.
    pub pool: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: PoolCounts,
}

/// What [`evaluate_pool`](super::evaluate_pool) returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct PoolReport {
    /// The `as_of` evaluated, as given (a date or an instant).
    pub as_of: String,
    /// One decision per record, in input order.
    pub decisions: Vec<PoolDecision>,
    /// PoolCounts per pool, in policy order.
    pub pools: Vec<PoolCountsLine>,
    /// PoolCounts over all pools.
    pub totals: PoolCounts,
}

/// What one activity is to the pool that governs its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Effective,
    Deleted,
    Type,
    FollowUpActor,
    Backdated,
    FutureDated,
}

impl Effect {
    pub(crate) const IGNORED: [(Self, PoolReasonCode); 5] = [
        (Self::Deleted, PoolReasonCode::IgnoredDeleted),
        (Self::Type, PoolReasonCode::IgnoredType),
        (Self::FollowUpActor, PoolReasonCode::IgnoredActor),
        (Self::Backdated, PoolReasonCode::IgnoredBackdated),
        (Self::FutureDated, PoolReasonCode::IgnoredFutureDated),
    ];

    /// The effect of an activity; `type_counts` and `actor_counts` were decided by the caller
    /// (by name here, by code in columns).
    pub(crate) fn of(
        pool: &CompiledPool,
        deleted: bool,
        type_counts: bool,
        actor_counts: bool,
        at: i64,
        logged: i64,
    ) -> Self {
        if deleted {
            Self::Deleted
        } else if !type_counts {
            Self::Type
        } else if !actor_counts {
            Self::FollowUpActor
        } else if at > logged {
            Self::FutureDated
        } else if pool.pool.follow_up.backdate_limit_hours.is_some_and(|h| logged - at > h * 3_600_000) {
            Self::Backdated
        } else {
            Self::Effective
        }
    }
}

/// What the decision needs to know of one record, however it arrived.
pub(crate) struct Facts<'a> {
    pub(crate) claimed_at: Instant,
    pub(crate) level: Option<&'a str>,
    pub(crate) tags: &'a [String],
    /// A tag the pool exempts, found by the caller (the columnar path has codes, not names).
    pub(crate) tag_exempt: bool,
    pub(crate) locked: bool,
    pub(crate) open_contract: bool,
    pub(crate) last_won_at: Option<Instant>,
    pub(crate) last_opportunity_at: Option<Instant>,
    pub(crate) last_follow_up_at: Option<Instant>,
}

/// The verdict, due and warn instants and binding rule of one record, with its reasons when
/// `explain` (the columnar path skips building them).
pub(crate) struct Outcome {
    pub(crate) verdict: PoolVerdict,
    pub(crate) due_at: Option<Instant>,
    pub(crate) warn_at: Option<Instant>,
    pub(crate) rule: Option<usize>,
    pub(crate) reasons: Vec<PoolReason>,
}

pub(crate) fn decide(pool: &CompiledPool, f: &Facts, as_of: Instant, explain: bool) -> Outcome {
    let p = pool.pool;
    let fmt = |i: Instant| ZonedInstant(i.format(pool.zone));
    let mut reasons = Vec::new();
    let mut exempt = false;
    let mut flag = |on: bool, code: PoolReasonCode, reasons: &mut Vec<PoolReason>| {
        if on {
            exempt = true;
            if explain {
                reasons.push(PoolReason::code(code));
            }
        }
    };
    flag(p.exempt.locked && f.locked, PoolReasonCode::ExemptLocked, &mut reasons);
    flag(p.exempt.won && f.last_won_at.is_some(), PoolReasonCode::ExemptWon, &mut reasons);
    flag(p.exempt.open_contract && f.open_contract, PoolReasonCode::ExemptOpenContract, &mut reasons);
    flag(f.tag_exempt, PoolReasonCode::ExemptTag, &mut reasons);
    for tag in f.tags {
        if pool.exempt_tags.contains(tag.as_str()) {
            flag(true, PoolReasonCode::ExemptTag, &mut reasons);
            if let Some(last) = reasons.last_mut().filter(|_| explain) {
                last.tag = Some(tag.clone());
            }
        }
    }
    let mut best: Option<(Instant, Option<Instant>, usize, RuleStatus)> = None;
    let mut any_rule = false;
    for (r, rule) in p.rules.iter().enumerate() {
        let levels = &pool.rule_levels[r];
        if !levels.is_empty() && !f.level.is_some_and(|l| levels.contains(l)) {
            continue;
        }
        any_rule = true;
        let (event, code) = match rule.kind {
            RuleKind::NoFollowUp => (f.last_follow_up_at, PoolReasonCode::NoFollowUp),
            RuleKind::NoWonDeal => (f.last_won_at, PoolReasonCode::NoWonDeal),
            RuleKind::NoNewOpportunity => (f.last_opportunity_at, PoolReasonCode::NoNewOpportunity),
        };
        // Events before the claim belong to an earlier ownership.
        let event = event.filter(|e| *e >= f.claimed_at);
        let (start, met) = match rule.clock {
            RuleClock::SinceLastEvent => (event.unwrap_or(f.claimed_at), false),
            RuleClock::SinceClaim => (f.claimed_at, event.is_some()),
        };
        let reading = clock::read(pool, rule.limit, start, as_of, met);
        if !met && best.is_none_or(|(due, ..)| reading.due_at < due) {
            best = Some((reading.due_at, reading.warn_at, r, reading.status));
        }
        if explain {
            reasons.push(PoolReason {
                rule: Some(rule.id.clone()),
                clock: Some(rule.clock),
                since: Some(fmt(start)),
                unit: Some(p.unit),
                elapsed: Some(reading.elapsed),
                limit: Some(rule.limit),
                // A met rule is never due: no time is left to count, as no `due_at` is given.
                remaining: (!met).then_some(reading.remaining),
                due_at: (!met).then(|| fmt(reading.due_at)),
                warn_at: reading.warn_at.filter(|_| !met).map(fmt),
                status: Some(reading.status),
                ..PoolReason::code(code)
            });
        }
    }
    if !any_rule && explain {
        reasons
            .push(PoolReason { level: f.level.map(str::to_owned), ..PoolReason::code(PoolReasonCode::NoRuleApplies) });
    }
    if exempt {
        return Outcome { verdict: PoolVerdict::Exempt, due_at: None, warn_at: None, rule: None, reasons };
    }
    let Some((due, warn, r, status)) = best else {
        return Outcome { verdict: PoolVerdict::Keep, due_at: None, warn_at: None, rule: None, reasons };
    };
    let verdict = match status {
        RuleStatus::Due => PoolVerdict::Recycle,
        RuleStatus::Warn => PoolVerdict::Warn,
        RuleStatus::Keep | RuleStatus::Met => PoolVerdict::Keep,
    };
    Outcome { verdict, due_at: Some(due), warn_at: warn, rule: Some(r), reasons }
}

/// Index of the first pool (in try order) whose scope takes record `i`; `no_pool` at
/// `records[i]` when none does.
pub(crate) fn find_pool(pools: &[CompiledPool], r: &PoolRecord, i: usize) -> Result<usize> {
    let values = [
        Some(r.owner.as_str()),
        r.department.as_deref(),
        r.region.as_deref(),
        r.product_line.as_deref(),
        r.level.as_deref(),
    ];
    find_pool_by(pools, |k, d| {
        let set = &pools[k].scope[d];
        (!set.is_empty()).then(|| values[d].is_some_and(|v| set.contains(v)))
    })
    .ok_or_else(|| Error::NoPool { path: format!("records[{i}]"), record: r.id.clone(), owner: r.owner.clone() })
}

/// [`find_pool`] with the record's values looked up by `holds(pool, dimension)`: `None`
/// when the pool has no list for the dimension, else whether its list holds the value.
pub(crate) fn find_pool_by(pools: &[CompiledPool], holds: impl Fn(usize, usize) -> Option<bool>) -> Option<usize> {
    (0..pools.len()).find(|&k| {
        if pools[k].pool.scope.everyone {
            return true;
        }
        let mut listed = false;
        for d in 0..5 {
            match holds(k, d) {
                None => {}
                Some(true) => listed = true,
                Some(false) => return false,
            }
        }
        listed
    })
}

pub(crate) fn after_as_of(path: String, at: Instant, as_of: Instant, pool: &CompiledPool) -> Error {
    Error::DateAfterAsOf { path, date: at.format(pool.zone), as_of: as_of.format(pool.zone) }
}

/// Notes `records[i]`'s id in `ids`; `duplicate_name` at its path if an earlier record has it.
pub(crate) fn note_record_id<'r>(ids: &mut HashMap<&'r str, usize>, r: &'r PoolRecord, i: usize) -> Result<()> {
    match ids.insert(r.id.as_str(), i) {
        Some(first) => Err(Error::DuplicateName {
            path: format!("records[{i}].id"),
            name: r.id.clone(),
            first: format!("records[{first}].id"),
        }),
        None => Ok(()),
    }
}

pub(crate) fn evaluate(
    policy: &PoolPolicy,
    records: &[PoolRecord],
    activities: &[PoolActivity],
    as_of: AsOf,
) -> Result<PoolReport> {
    let pools = policy.compile()?;
    let mut ids: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    let mut pool_of = Vec::with_capacity(records.len());
    let mut now = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        note_record_id(&mut ids, r, i)?;
        let p = find_pool(&pools, r, i)?;
        let a = as_of.instant(pools[p].zone);
        for (field, t) in [
            ("claimed_at", Some(r.claimed_at)),
            ("last_won_at", r.last_won_at),
            ("last_opportunity_at", r.last_opportunity_at),
        ] {
            if let Some(t) = t.filter(|t| *t > a) {
                return Err(after_as_of(format!("records[{i}].{field}"), t, a, &pools[p]));
            }
        }
        pool_of.push(p);
        now.push(a);
    }
    let mut last: Vec<Option<Instant>> = vec![None; records.len()];
    let mut ignored: HashMap<(usize, usize), u32> = HashMap::new();
    for (j, act) in activities.iter().enumerate() {
        let i = *ids.get(act.record.as_str()).ok_or_else(|| Error::InvalidValue {
            path: format!("activities[{j}].record"),
            reason: format!("record {:?} is not among the records", act.record),
        })?;
        let cp = &pools[pool_of[i]];
        let logged = act.logged_at.unwrap_or(act.at);
        for (field, t) in [("at", act.at), ("logged_at", logged)] {
            if t > now[i] {
                return Err(after_as_of(format!("activities[{j}].{field}"), t, now[i], cp));
            }
        }
        let r = &records[i];
        let type_counts = cp.types.is_empty() || cp.types.contains(act.kind.as_str());
        let actor_counts = match cp.pool.follow_up.actor {
            FollowUpActor::Anyone => true,
            FollowUpActor::Owner => act.actor == r.owner,
            FollowUpActor::Team => act.actor == r.owner || r.team.contains(&act.actor),
        };
        let effect = Effect::of(cp, act.deleted, type_counts, actor_counts, act.at.0, logged.0);
        if effect == Effect::Effective {
            if act.at >= r.claimed_at && last[i].is_none_or(|l| act.at > l) {
                last[i] = Some(act.at);
            }
        } else if let Some(k) = Effect::IGNORED.iter().position(|(e, _)| *e == effect) {
            *ignored.entry((i, k)).or_default() += 1;
        }
    }
    let mut counts = vec![PoolCounts::default(); policy.pools.len()];
    let mut order: HashMap<&str, usize> = HashMap::new();
    for (k, p) in policy.pools.iter().enumerate() {
        order.insert(p.id.as_str(), k);
    }
    let mut totals = PoolCounts::default();
    let mut decisions = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let cp = &pools[pool_of[i]];
        let facts = Facts {
            claimed_at: r.claimed_at,
            level: r.level.as_deref(),
            tags: &r.tags,
            tag_exempt: false,
            locked: r.locked,
            open_contract: r.open_contract,
            last_won_at: r.last_won_at,
            last_opportunity_at: r.last_opportunity_at,
            last_follow_up_at: last[i],
        };
        let mut out = decide(cp, &facts, now[i], true);
        for (k, (_, code)) in Effect::IGNORED.iter().enumerate() {
            if let Some(&n) = ignored.get(&(i, k)) {
                out.reasons.push(PoolReason { count: Some(n), ..PoolReason::code(*code) });
            }
        }
        counts[order[cp.pool.id.as_str()]].add(out.verdict);
        totals.add(out.verdict);
        let fmt = |t: Instant| ZonedInstant(t.format(cp.zone));
        decisions.push(PoolDecision {
            record: r.id.clone(),
            owner: r.owner.clone(),
            pool: cp.pool.id.clone(),
            decision: out.verdict,
            due_at: out.due_at.map(fmt),
            warn_at: out.warn_at.map(fmt),
            rule: out.rule.map(|k| cp.pool.rules[k].id.clone()),
            last_follow_up_at: last[i].map(fmt),
            reasons: out.reasons,
        });
    }
    Ok(PoolReport {
        as_of: as_of.to_string(),
        decisions,
        pools: policy
            .pools
            .iter()
            .zip(counts)
            .map(|(p, counts)| PoolCountsLine { pool: p.id.clone(), counts })
            .collect(),
        totals,
    })
}
