//! Claims (领取): who may take which pooled record, checked against a ledger of events.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::clock::{self, RuleStatus};
use super::eval::after_as_of;
use super::policy::{CompiledPool, PoolPolicy};
use super::time::{AsOf, Instant, ZonedInstant};
use crate::error::{Error, Result};

/// A record waiting in a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct PooledRecord {
    /// Unique id.
    pub id: String,
    /// Id of the pool it is in.
    pub pool: String,
    /// When it entered the pool, ≤ `as_of`.
    #[serde(with = "super::time::instant")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub pooled_at: Instant,
}

/// What a user holds now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Holding {
    /// User id.
    pub user: String,
    /// Records owned, ≥ 0.
    pub owned: i64,
    /// Of which won customers, 0 to `owned`.
    #[serde(default)]
    pub won: i64,
}

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum LedgerEvent {
    /// `user` claimed it from a pool (counts towards the daily limit).
    Claim,
    /// An admin or a rule assigned it to `user` (does not count towards the daily limit).
    Assign,
    /// `user` put it back in the pool.
    Release,
    /// It was recycled from `user` to the pool.
    Recycle,
}

/// One ledger entry. The ledger is in time order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// When, ≤ `as_of`, not before the entry above it.
    #[serde(with = "super::time::instant")]
    #[cfg_attr(feature = "typescript", tsify(type = "Instant"))]
    pub at: Instant,
    /// The user who got or lost the record.
    pub user: String,
    /// The record.
    pub record: String,
    /// What happened.
    pub event: LedgerEvent,
}

/// One claim asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// Who asks.
    pub user: String,
    /// For which pooled record.
    pub record: String,
}

/// The input of [`check_claims`](super::check_claims).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    /// The records in the pools.
    pub pooled: Vec<PooledRecord>,
    /// Users' current holdings (a user not listed holds nothing).
    #[serde(default)]
    pub holdings: Vec<Holding>,
    /// Every claim, assignment, release and recycling so far, in time order.
    #[serde(default)]
    pub ledger: Vec<LedgerEntry>,
    /// The claims to decide, in the order they arrived.
    pub requests: Vec<ClaimRequest>,
}

/// Why a claim is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum ClaimReasonCode {
    /// The record is not in a pool (or an earlier request of the batch took it).
    NotInPool,
    /// The record entered the pool less than the embargo ago (`until`, `since`).
    Embargoed,
    /// The user owned it before; cool-down runs `until` (`since`: when that ownership ended).
    Cooldown,
    /// The user would hold more than the limit (`count` held, `limit`).
    HoldingsLimit,
    /// The user has claimed `count` records today, the limit is `limit`.
    DailyLimit,
}

/// One refusal, with its numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ClaimReason {
    /// What.
    pub code: ClaimReasonCode,
    /// `holdings_limit`: records counted; `daily_limit`: claims today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub count: Option<i64>,
    /// The limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub limit: Option<i64>,
    /// `embargoed`: when it entered the pool; `cooldown`: when the user's ownership ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Instant"))]
    pub since: Option<ZonedInstant>,
    /// `embargoed`, `cooldown`: from when a claim is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Instant"))]
    pub until: Option<ZonedInstant>,
}

impl ClaimReason {
    fn code(code: ClaimReasonCode) -> Self {
        Self { code, count: None, limit: None, since: None, until: None }
    }
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ClaimDecision {
    /// Who asked.
    pub user: String,
    /// For which record.
    pub record: String,
    /// The record's pool (absent when it is in none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub pool: Option<String>,
    /// Whether the claim goes through.
    pub accepted: bool,
    /// Every check that refuses it (empty when accepted).
    pub reasons: Vec<ClaimReason>,
}

/// What [`check_claims`](super::check_claims) returns: a refused claim changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ClaimReport {
    /// One per request, in order.
    pub decisions: Vec<ClaimDecision>,
    /// The ledger entries to append: one `claim` per accepted request, at `as_of`.
    pub ledger: Vec<LedgerEntry>,
    /// Holdings after the accepted claims, for every user who asked or was listed, by user id.
    pub holdings: Vec<Holding>,
}

pub(crate) fn check(policy: &PoolPolicy, input: &ClaimInput, as_of: AsOf) -> Result<ClaimReport> {
    let pools = policy.compile()?;
    let by_id: HashMap<&str, &CompiledPool> = pools.iter().map(|p| (p.pool.id.as_str(), p)).collect();
    // The ledger's order and dates are checked in UTC, before any pool is looked at.
    let latest = as_of_utc(as_of, &pools);
    let mut pooled: HashMap<&str, (&CompiledPool, Instant)> = HashMap::new();
    for (i, r) in input.pooled.iter().enumerate() {
        let pool = by_id.get(r.pool.as_str()).ok_or_else(|| Error::InvalidValue {
            path: format!("pooled[{i}].pool"),
            reason: format!("pool {:?} is not in the policy", r.pool),
        })?;
        let now = as_of.instant(pool.zone);
        if r.pooled_at > now {
            return Err(after_as_of(format!("pooled[{i}].pooled_at"), r.pooled_at, now, pool));
        }
        if pooled.insert(r.id.as_str(), (pool, r.pooled_at)).is_some() {
            let first = input.pooled.iter().position(|p| p.id == r.id).unwrap_or(0);
            return Err(Error::DuplicateName {
                path: format!("pooled[{i}].id"),
                name: r.id.clone(),
                first: format!("pooled[{first}].id"),
            });
        }
    }
    let mut holdings: Vec<Holding> = Vec::new();
    let mut holder: HashMap<&str, usize> = HashMap::new();
    for (i, h) in input.holdings.iter().enumerate() {
        if h.owned < 0 {
            return Err(Error::out_of_range(format!("holdings[{i}].owned"), h.owned, 0, "inf"));
        }
        if !(0..=h.owned).contains(&h.won) {
            return Err(Error::out_of_range(format!("holdings[{i}].won"), h.won, 0, h.owned));
        }
        if let Some(first) = holder.insert(h.user.as_str(), i) {
            return Err(Error::DuplicateName {
                path: format!("holdings[{i}].user"),
                name: h.user.clone(),
                first: format!("holdings[{first}].user"),
            });
        }
        holdings.push(h.clone());
    }
    // Ownership ends per (record, user) and claim times per user, from the ledger.
    let mut ended: HashMap<(&str, &str), Instant> = HashMap::new();
    let mut claims: HashMap<&str, Vec<Instant>> = HashMap::new();
    for (j, e) in input.ledger.iter().enumerate() {
        if j > 0 && e.at < input.ledger[j - 1].at {
            return Err(Error::InvalidValue {
                path: format!("ledger[{j}].at"),
                reason: "the ledger is not in time order: this entry is earlier than the one before it".into(),
            });
        }
        if e.at.0 > latest {
            return Err(Error::DateAfterAsOf {
                path: format!("ledger[{j}].at"),
                date: e.at.format(chrono_tz::UTC),
                as_of: as_of.to_string(),
            });
        }
        match e.event {
            LedgerEvent::Claim => claims.entry(e.user.as_str()).or_default().push(e.at),
            LedgerEvent::Release | LedgerEvent::Recycle => {
                ended.insert((e.record.as_str(), e.user.as_str()), e.at);
            }
            LedgerEvent::Assign => {}
        }
    }
    let mut taken: HashMap<&str, usize> = HashMap::new();
    let mut decisions = Vec::with_capacity(input.requests.len());
    let mut ledger = Vec::new();
    for (k, req) in input.requests.iter().enumerate() {
        let mut reasons = Vec::new();
        let Some(&(pool, pooled_at)) =
            pooled.get(req.record.as_str()).filter(|_| !taken.contains_key(req.record.as_str()))
        else {
            decisions.push(ClaimDecision {
                user: req.user.clone(),
                record: req.record.clone(),
                pool: pooled.get(req.record.as_str()).map(|(p, _)| p.pool.id.clone()),
                accepted: false,
                reasons: vec![ClaimReason::code(ClaimReasonCode::NotInPool)],
            });
            continue;
        };
        let rules = &pool.pool.claims;
        let now = as_of.instant(pool.zone);
        let fmt = |t: Instant| ZonedInstant(t.format(pool.zone));
        if let Some(units) = rules.embargo {
            let r = clock::read(pool, units, pooled_at, now, false);
            if r.status != RuleStatus::Due {
                reasons.push(ClaimReason {
                    since: Some(fmt(pooled_at)),
                    until: Some(fmt(r.due_at)),
                    ..ClaimReason::code(ClaimReasonCode::Embargoed)
                });
            }
        }
        if let (Some(units), Some(&end)) = (rules.cooldown, ended.get(&(req.record.as_str(), req.user.as_str()))) {
            let r = clock::read(pool, units, end, now, false);
            if r.status != RuleStatus::Due {
                reasons.push(ClaimReason {
                    since: Some(fmt(end)),
                    until: Some(fmt(r.due_at)),
                    ..ClaimReason::code(ClaimReasonCode::Cooldown)
                });
            }
        }
        let h = holder.get(req.user.as_str()).map(|&i| &holdings[i]);
        if let Some(limit) = rules.holdings_limit {
            let held = h.map_or(0, |h| if rules.holdings_exclude_won { h.owned - h.won } else { h.owned });
            if held >= limit {
                reasons.push(ClaimReason {
                    count: Some(held),
                    limit: Some(limit),
                    ..ClaimReason::code(ClaimReasonCode::HoldingsLimit)
                });
            }
        }
        if let Some(limit) = rules.daily_limit {
            let today = now.local_date(pool.zone);
            let count = claims
                .get(req.user.as_str())
                .map_or(0, |ts| ts.iter().filter(|t| t.local_date(pool.zone) == today).count())
                as i64;
            if count >= limit {
                reasons.push(ClaimReason {
                    count: Some(count),
                    limit: Some(limit),
                    ..ClaimReason::code(ClaimReasonCode::DailyLimit)
                });
            }
        }
        let accepted = reasons.is_empty();
        if accepted {
            taken.insert(req.record.as_str(), k);
            claims.entry(req.user.as_str()).or_default().push(now);
            let i = *holder.entry(req.user.as_str()).or_insert_with(|| {
                holdings.push(Holding { user: req.user.clone(), owned: 0, won: 0 });
                holdings.len() - 1
            });
            holdings[i].owned += 1;
            ledger.push(LedgerEntry {
                at: now,
                user: req.user.clone(),
                record: req.record.clone(),
                event: LedgerEvent::Claim,
            });
        }
        decisions.push(ClaimDecision {
            user: req.user.clone(),
            record: req.record.clone(),
            pool: Some(pool.pool.id.clone()),
            accepted,
            reasons,
        });
    }
    for req in &input.requests {
        if !holder.contains_key(req.user.as_str()) {
            holder.insert(req.user.as_str(), holdings.len());
            holdings.push(Holding { user: req.user.clone(), owned: 0, won: 0 });
        }
    }
    holdings.sort_by(|a, b| a.user.cmp(&b.user));
    Ok(ClaimReport { decisions, ledger, holdings })
}

/// The latest instant `as_of` can stand for in any pool (a date ends at different instants
/// in different zones): ledger entries after it are errors.
fn as_of_utc(as_of: AsOf, pools: &[CompiledPool]) -> i64 {
    match as_of {
        AsOf::Instant(i) => i.0,
        AsOf::Date(_) => pools.iter().map(|p| as_of.instant(p.zone).0).max().unwrap_or(i64::MAX),
    }
}
