//! Deciding claims (领取) against the pools' claim rules and the ledger.
//!
//! Each limit counts across all pools (the default) or in the pool claimed from only, as the
//! pool's [`ClaimRules`] declare; the entries a `this_pool` count reads must name their pool,
//! so a ledger that cannot say where a claim came from is an error, never a silent undercount.

use std::collections::HashMap;

use super::claims::{
    ClaimDecision, ClaimInput, ClaimReason, ClaimReasonCode, ClaimReport, Holding, LedgerEntry, LedgerEvent,
};
use super::clock::{self, RuleStatus};
use super::eval::after_as_of;
use super::policy::{ClaimCount, ClaimRules, CompiledPool, PoolPolicy};
use super::time::{AsOf, Instant, ZonedInstant};
use crate::error::{Error, Result};
use chrono_tz::Tz;

/// A holdings line's key: the user, and the pool when holdings are per pool.
type HoldingKey<'a> = (&'a str, Option<&'a str>);

/// What the ledger says, read once.
#[derive(Default)]
struct History<'a> {
    /// Latest end of each (record, user) ownership, whichever pool the record went to.
    ended: HashMap<(&'a str, &'a str), Instant>,
    /// Latest end of each (record, user) ownership that put the record into a named pool.
    ended_in: HashMap<(&'a str, &'a str, &'a str), Instant>,
    /// Each user's claims: when, and from which pool (when the entry says).
    claims: HashMap<&'a str, Vec<(Instant, Option<&'a str>)>>,
}

/// Names the field `field` of row `i` of table `table` in an error: `pooled[3].pool` for the
/// record API ([`record_path`]), `pooled.pool[3]` for the columns.
pub(crate) type Paths = fn(&str, usize, &str) -> String;

/// `table[i].field`.
pub(crate) fn record_path(table: &str, i: usize, field: &str) -> String {
    format!("{table}[{i}].{field}")
}

/// One refusal, its instants not yet written in the pool's zone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refusal {
    pub code: ClaimReasonCode,
    pub count: Option<i64>,
    pub limit: Option<i64>,
    pub since: Option<Instant>,
    pub until: Option<Instant>,
    pub counts: Option<ClaimCount>,
}

impl Refusal {
    fn code(code: ClaimReasonCode) -> Self {
        Self { code, count: None, limit: None, since: None, until: None, counts: None }
    }
}

/// The answer to one request: the record's pool (index in the policy, zone), whether it is
/// accepted, and why not.
pub(crate) struct Decided {
    pub pool: Option<(usize, Tz)>,
    pub accepted: bool,
    pub reasons: Vec<Refusal>,
}

/// What [`check`] finds: one answer per request, the ledger entries to append, the holdings.
pub(crate) struct Checked {
    pub decisions: Vec<Decided>,
    pub ledger: Vec<LedgerEntry>,
    pub holdings: Vec<Holding>,
}

/// [`check`] as the record API reports it: ids echoed, instants in the pool's zone.
pub(crate) fn report(policy: &PoolPolicy, input: &ClaimInput, as_of: AsOf) -> Result<ClaimReport> {
    let checked = check(policy, input, as_of, record_path)?;
    let decisions = checked
        .decisions
        .into_iter()
        .zip(&input.requests)
        .map(|(d, req)| {
            let zone = d.pool.map_or(chrono_tz::UTC, |(_, z)| z);
            let fmt = |t: Option<Instant>| t.map(|t| ZonedInstant(t.format(zone)));
            ClaimDecision {
                user: req.user.clone(),
                record: req.record.clone(),
                pool: d.pool.map(|(k, _)| policy.pools[k].id.clone()),
                accepted: d.accepted,
                reasons: d
                    .reasons
                    .iter()
                    .map(|r| ClaimReason {
                        code: r.code,
                        count: r.count,
                        limit: r.limit,
                        since: fmt(r.since),
                        until: fmt(r.until),
                        counts: r.counts,
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(ClaimReport { decisions, ledger: checked.ledger, holdings: checked.holdings })
}

pub(crate) fn check(policy: &PoolPolicy, input: &ClaimInput, as_of: AsOf, path: Paths) -> Result<Checked> {
    let pools = policy.compile()?;
    let index: HashMap<&str, usize> = pools.iter().enumerate().map(|(k, p)| (p.pool.id.as_str(), k)).collect();
    let by_id: HashMap<&str, &CompiledPool> = pools.iter().map(|p| (p.pool.id.as_str(), p)).collect();
    let known = |pool: &str, path: String| -> Result<()> {
        if by_id.contains_key(pool) {
            Ok(())
        } else {
            Err(Error::InvalidValue { path, reason: format!("pool {pool:?} is not in the policy") })
        }
    };
    let mut pooled: HashMap<&str, (&CompiledPool, Instant)> = HashMap::new();
    for (i, r) in input.pooled.iter().enumerate() {
        known(&r.pool, path("pooled", i, "pool"))?;
        let pool = by_id[r.pool.as_str()];
        let now = as_of.instant(pool.zone);
        if r.pooled_at > now {
            return Err(after_as_of(path("pooled", i, "pooled_at"), r.pooled_at, now, pool));
        }
        if pooled.insert(r.id.as_str(), (pool, r.pooled_at)).is_some() {
            let first = input.pooled.iter().position(|p| p.id == r.id).unwrap_or(0);
            return Err(Error::DuplicateName {
                path: path("pooled", i, "id"),
                name: r.id.clone(),
                first: path("pooled", first, "id"),
            });
        }
    }
    let per_pool = |count: fn(&ClaimRules) -> ClaimCount| {
        pools.iter().find(|p| count(&p.pool.claims) == ClaimCount::ThisPool).map(|p| p.pool.id.as_str())
    };
    let (mut holdings, mut holder, by_pool) =
        read_holdings(&input.holdings, per_pool(|c| c.holdings_limit_counts), &known, path)?;
    let history = read_ledger(
        &input.ledger,
        as_of,
        &pools,
        per_pool(|c| c.daily_limit_counts),
        per_pool(|c| c.cooldown_counts),
        &known,
        path,
    )?;
    let mut claims = history.claims;
    let mut taken: HashMap<&str, usize> = HashMap::new();
    let mut decisions = Vec::with_capacity(input.requests.len());
    let mut ledger = Vec::new();
    for (k, req) in input.requests.iter().enumerate() {
        let Some(&(pool, pooled_at)) =
            pooled.get(req.record.as_str()).filter(|_| !taken.contains_key(req.record.as_str()))
        else {
            decisions.push(Decided {
                pool: pooled.get(req.record.as_str()).map(|(p, _)| (index[p.pool.id.as_str()], p.zone)),
                accepted: false,
                reasons: vec![Refusal::code(ClaimReasonCode::NotInPool)],
            });
            continue;
        };
        let rules = &pool.pool.claims;
        let id = pool.pool.id.as_str();
        let now = as_of.instant(pool.zone);
        let mut reasons = Vec::new();
        if let Some(units) = rules.embargo {
            let r = clock::read(pool, units, pooled_at, now, false);
            if r.status != RuleStatus::Due {
                reasons.push(Refusal {
                    since: Some(pooled_at),
                    until: Some(r.due_at),
                    ..Refusal::code(ClaimReasonCode::Embargoed)
                });
            }
        }
        let ended = match rules.cooldown_counts {
            ClaimCount::AllPools => history.ended.get(&(req.record.as_str(), req.user.as_str())),
            ClaimCount::ThisPool => history.ended_in.get(&(req.record.as_str(), req.user.as_str(), id)),
        };
        if let (Some(units), Some(&end)) = (rules.cooldown, ended) {
            let r = clock::read(pool, units, end, now, false);
            if r.status != RuleStatus::Due {
                reasons.push(Refusal {
                    since: Some(end),
                    until: Some(r.due_at),
                    counts: Some(rules.cooldown_counts),
                    ..Refusal::code(ClaimReasonCode::Cooldown)
                });
            }
        }
        if let Some(limit) = rules.holdings_limit {
            // The user's lines: one, or one per pool (all of them, or this pool's).
            let keys: Vec<HoldingKey> = match (by_pool, rules.holdings_limit_counts) {
                (false, _) => vec![(req.user.as_str(), None)],
                (true, ClaimCount::ThisPool) => vec![(req.user.as_str(), Some(id))],
                (true, ClaimCount::AllPools) => {
                    pools.iter().map(|p| (req.user.as_str(), Some(p.pool.id.as_str()))).collect()
                }
            };
            let held = keys
                .iter()
                .filter_map(|key| holder.get(key).map(|&i| &holdings[i]))
                .map(|h| if rules.holdings_exclude_won { h.owned - h.won } else { h.owned })
                .sum::<i64>();
            if held >= limit {
                reasons.push(Refusal {
                    count: Some(held),
                    limit: Some(limit),
                    counts: Some(rules.holdings_limit_counts),
                    ..Refusal::code(ClaimReasonCode::HoldingsLimit)
                });
            }
        }
        if let Some(limit) = rules.daily_limit {
            let today = now.local_date(pool.zone);
            let count = claims.get(req.user.as_str()).map_or(0, |ts| {
                ts.iter()
                    .filter(|(_, from)| rules.daily_limit_counts == ClaimCount::AllPools || *from == Some(id))
                    .filter(|(t, _)| t.local_date(pool.zone) == today)
                    .count()
            }) as i64;
            if count >= limit {
                reasons.push(Refusal {
                    count: Some(count),
                    limit: Some(limit),
                    counts: Some(rules.daily_limit_counts),
                    ..Refusal::code(ClaimReasonCode::DailyLimit)
                });
            }
        }
        let accepted = reasons.is_empty();
        if accepted {
            taken.insert(req.record.as_str(), k);
            claims.entry(req.user.as_str()).or_default().push((now, Some(id)));
            let key = (req.user.as_str(), by_pool.then_some(id));
            let i = *holder.entry(key).or_insert_with(|| {
                holdings.push(Holding { user: req.user.clone(), pool: key.1.map(str::to_owned), owned: 0, won: 0 });
                holdings.len() - 1
            });
            holdings[i].owned += 1;
            ledger.push(LedgerEntry {
                at: now,
                user: req.user.clone(),
                record: req.record.clone(),
                pool: Some(id.to_owned()),
                event: LedgerEvent::Claim,
            });
        }
        decisions.push(Decided { pool: Some((index[id], pool.zone)), accepted, reasons });
    }
    // Every user who asked gets a line (per pool: for the pool of the record asked for).
    for req in &input.requests {
        let pool = pooled.get(req.record.as_str()).map(|(p, _)| p.pool.id.as_str());
        if by_pool && pool.is_none() {
            continue;
        }
        let key = (req.user.as_str(), pool.filter(|_| by_pool));
        holder.entry(key).or_insert_with(|| {
            holdings.push(Holding { user: req.user.clone(), pool: key.1.map(str::to_owned), owned: 0, won: 0 });
            holdings.len() - 1
        });
    }
    holdings.sort_by(|a, b| (&a.user, &a.pool).cmp(&(&b.user, &b.pool)));
    Ok(Checked { decisions, ledger, holdings })
}

/// Checks the holdings lines and keys them by user, or by user and pool when any line names a
/// pool or a pool (`this_pool`) counts holdings per pool; the flag says which.
fn read_holdings<'a>(
    lines: &'a [Holding],
    this_pool: Option<&str>,
    known: &dyn Fn(&str, String) -> Result<()>,
    path: Paths,
) -> Result<(Vec<Holding>, HashMap<HoldingKey<'a>, usize>, bool)> {
    let by_pool = this_pool.is_some() || lines.iter().any(|h| h.pool.is_some());
    let mut holder: HashMap<HoldingKey<'a>, usize> = HashMap::new();
    for (i, h) in lines.iter().enumerate() {
        if h.owned < 0 {
            return Err(Error::out_of_range(path("holdings", i, "owned"), h.owned, 0, "inf"));
        }
        if !(0..=h.owned).contains(&h.won) {
            return Err(Error::out_of_range(path("holdings", i, "won"), h.won, 0, h.owned));
        }
        match &h.pool {
            Some(p) => known(p, path("holdings", i, "pool"))?,
            None if by_pool => {
                return Err(Error::MissingValue {
                    path: path("holdings", i, "pool"),
                    reason: match this_pool {
                        Some(p) => {
                            format!("pool {p:?} counts holdings_limit in this_pool: every holdings line names its pool")
                        }
                        None => "another holdings line names its pool: every line must".into(),
                    },
                })
            }
            None => {}
        }
        if let Some(first) = holder.insert((h.user.as_str(), h.pool.as_deref()), i) {
            let field = if h.pool.is_some() { "pool" } else { "user" };
            return Err(Error::DuplicateName {
                path: path("holdings", i, field),
                name: h.pool.clone().unwrap_or_else(|| h.user.clone()),
                first: path("holdings", first, field),
            });
        }
    }
    Ok((lines.to_vec(), holder, by_pool))
}

/// Reads the ledger: in time order, not after `latest`, pools known, and named on every entry a
/// `this_pool` count reads (`daily`: claims; `cooldown`: releases and recyclings).
fn read_ledger<'a>(
    ledger: &'a [LedgerEntry],
    as_of: AsOf,
    pools: &[CompiledPool],
    daily: Option<&str>,
    cooldown: Option<&str>,
    known: &dyn Fn(&str, String) -> Result<()>,
    path: Paths,
) -> Result<History<'a>> {
    // The ledger's order and dates are checked in UTC, before any pool is looked at.
    let latest = as_of_utc(as_of, pools);
    let mut history = History::default();
    for (j, e) in ledger.iter().enumerate() {
        if j > 0 && e.at < ledger[j - 1].at {
            return Err(Error::InvalidValue {
                path: path("ledger", j, "at"),
                reason: "the ledger is not in time order: this entry is earlier than the one before it".into(),
            });
        }
        if e.at.0 > latest {
            return Err(Error::DateAfterAsOf {
                path: path("ledger", j, "at"),
                date: e.at.format(chrono_tz::UTC),
                as_of: as_of.to_string(),
            });
        }
        if let Some(p) = &e.pool {
            known(p, path("ledger", j, "pool"))?;
        }
        let needs = match e.event {
            LedgerEvent::Claim => daily.map(|p| (p, "daily_limit", "claim")),
            LedgerEvent::Release | LedgerEvent::Recycle => cooldown.map(|p| (p, "cooldown", "release and recycle")),
            LedgerEvent::Assign => None,
        };
        if let (None, Some((p, limit, kind))) = (&e.pool, needs) {
            return Err(Error::MissingValue {
                path: path("ledger", j, "pool"),
                reason: format!("pool {p:?} counts {limit} in this_pool: every {kind} entry names its pool"),
            });
        }
        let (record, user) = (e.record.as_str(), e.user.as_str());
        match e.event {
            LedgerEvent::Claim => history.claims.entry(user).or_default().push((e.at, e.pool.as_deref())),
            LedgerEvent::Release | LedgerEvent::Recycle => {
                history.ended.insert((record, user), e.at);
                if let Some(p) = &e.pool {
                    history.ended_in.insert((record, user, p.as_str()), e.at);
                }
            }
            LedgerEvent::Assign => {}
        }
    }
    Ok(history)
}

/// The latest instant `as_of` can stand for in any pool (a date ends at different instants
/// in different zones): ledger entries after it are errors.
fn as_of_utc(as_of: AsOf, pools: &[CompiledPool]) -> i64 {
    match as_of {
        AsOf::Instant(i) => i.0,
        AsOf::Date(_) => pools.iter().map(|p| as_of.instant(p.zone).0).max().unwrap_or(i64::MAX),
    }
}
