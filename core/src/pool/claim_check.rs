//! Deciding claims (领取) against the pools' claim rules and the ledger.
//!
//! Each limit counts across all pools (the default) or in the pool claimed from only, as the
//! pool's [`ClaimRules`] declare; the entries a `this_pool` count reads must name their pool,
//! so a ledger that cannot say where a claim came from is an error, never a silent undercount.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::claim_rows::{pool_index, ClaimRows, PoolRef, RecordRows};
use super::claims::{
    ClaimDecision, ClaimInput, ClaimReason, ClaimReasonCode, ClaimReport, Holding, LedgerEntry, LedgerEvent,
};
use super::clock::{self, RuleStatus};
use super::eval::after_as_of;
use super::policy::{ClaimCount, ClaimRules, CompiledPool, PoolPolicy};
use super::time::{AsOf, Instant, ZonedInstant};
use crate::error::{Error, Result};
use chrono::NaiveDate;
use chrono_tz::Tz;

/// A holdings line's key: the user, and the pool (its index) when holdings are per pool.
type HoldingKey<Id> = (Id, Option<usize>);

/// Each holdings line's index by its key.
type Holder<Id> = HashMap<HoldingKey<Id>, usize>;

/// What the ledger says, read once.
struct History<Id> {
    /// Latest end of each (record, user) ownership, whichever pool the record went to.
    ended: HashMap<(Id, Id), Instant>,
    /// Latest end of each (record, user) ownership that put the record into a given pool.
    ended_in: HashMap<(Id, Id, usize), Instant>,
    /// Each user's claims: when, and from which pool (when the entry says).
    claims: HashMap<Id, Vec<(Instant, Option<usize>)>>,
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

/// What [`check`] finds: one answer per request (an accepted one is a `claim` ledger entry at
/// `as_of` in its pool's zone), the holdings.
pub(crate) struct Checked {
    pub decisions: Vec<Decided>,
    pub holdings: Vec<Holding>,
}

/// [`check`] as the record API reports it: ids echoed, instants in the pool's zone.
pub(crate) fn report(policy: &PoolPolicy, input: &ClaimInput, as_of: AsOf) -> Result<ClaimReport> {
    let checked = check(policy, &RecordRows { input, pools: pool_index(policy) }, as_of, record_path)?;
    let mut ledger = Vec::new();
    let decisions = checked
        .decisions
        .into_iter()
        .zip(&input.requests)
        .map(|(d, req)| {
            let zone = d.pool.map_or(chrono_tz::UTC, |(_, z)| z);
            let pool = d.pool.map(|(k, _)| policy.pools[k].id.clone());
            if d.accepted {
                ledger.push(LedgerEntry {
                    at: as_of.instant(zone),
                    user: req.user.clone(),
                    record: req.record.clone(),
                    pool: pool.clone(),
                    event: LedgerEvent::Claim,
                });
            }
            let fmt = |t: Option<Instant>| t.map(|t| ZonedInstant(t.format(zone)));
            ClaimDecision {
                user: req.user.clone(),
                record: req.record.clone(),
                pool,
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
    Ok(ClaimReport { decisions, ledger, holdings: checked.holdings })
}

/// Decides the requests of `rows` in order against the policy, the pooled records, the
/// holdings and the ledger; errors name rows by `path`.
pub(crate) fn check<'a, R: ClaimRows<'a>>(policy: &PoolPolicy, rows: &R, as_of: AsOf, path: Paths) -> Result<Checked> {
    // Rows name a pool by its index in the policy's list (`PoolRef`): the pools in list order,
    // not in the order records try them (`compile`), or a record of one pool would be checked
    // against another pool's claim rules, zone and unit.
    let pools = policy.compile_listed()?;
    // `as_of` in each pool's zone (a date ends at a different instant in each).
    let nows: Vec<Instant> = pools.iter().map(|p| as_of.instant(p.zone)).collect();
    let known = |pool: PoolRef, path: String| -> Result<usize> {
        pool.index
            .ok_or_else(|| Error::InvalidValue { path, reason: format!("pool {:?} is not in the policy", pool.name) })
    };
    // Each pooled record's pool, when it entered it, and its row.
    let mut pooled: HashMap<R::Id, (usize, Instant, usize)> = HashMap::with_capacity(rows.pooled_len());
    for i in 0..rows.pooled_len() {
        let r = rows.pooled(i);
        let k = known(r.pool, path("pooled", i, "pool"))?;
        let now = nows[k];
        if r.pooled_at > now {
            return Err(after_as_of(path("pooled", i, "pooled_at"), r.pooled_at, now, &pools[k]));
        }
        if let Some(&(_, _, first)) = pooled.get(&r.id) {
            return Err(Error::DuplicateName {
                path: path("pooled", i, "id"),
                name: rows.record_name(r.id).to_owned(),
                first: path("pooled", first, "id"),
            });
        }
        pooled.insert(r.id, (k, r.pooled_at, i));
    }
    let per_pool = |count: fn(&ClaimRules) -> ClaimCount| {
        pools.iter().find(|p| count(&p.pool.claims) == ClaimCount::ThisPool).map(|p| p.pool.id.as_str())
    };
    let (mut holdings, mut holder, by_pool) =
        read_holdings(rows, policy, per_pool(|c| c.holdings_limit_counts), &known, path)?;
    let history = read_ledger(
        rows,
        as_of,
        &pools,
        per_pool(|c| c.daily_limit_counts),
        per_pool(|c| c.cooldown_counts),
        &known,
        path,
    )?;
    let mut claims = history.claims;
    let mut taken: HashSet<R::Id> = HashSet::new();
    let mut decisions = Vec::with_capacity(rows.requests_len());
    for k in 0..rows.requests_len() {
        let (user, record) = rows.request(k);
        let Some(&(p, pooled_at, _)) = pooled.get(&record).filter(|_| !taken.contains(&record)) else {
            decisions.push(Decided {
                pool: pooled.get(&record).map(|&(p, _, _)| (p, pools[p].zone)),
                accepted: false,
                reasons: vec![Refusal::code(ClaimReasonCode::NotInPool)],
            });
            continue;
        };
        let pool = &pools[p];
        let rules = &pool.pool.claims;
        let now = nows[p];
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
            ClaimCount::AllPools => history.ended.get(&(record, user)),
            ClaimCount::ThisPool => history.ended_in.get(&(record, user, p)),
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
            let held = |key: HoldingKey<R::Id>| {
                holder.get(&key).map_or(0, |&i| {
                    let h: &Holding = &holdings[i];
                    if rules.holdings_exclude_won {
                        h.owned - h.won
                    } else {
                        h.owned
                    }
                })
            };
            let held: i64 = match (by_pool, rules.holdings_limit_counts) {
                (false, _) => held((user, None)),
                (true, ClaimCount::ThisPool) => held((user, Some(p))),
                (true, ClaimCount::AllPools) => (0..pools.len()).map(|q| held((user, Some(q)))).sum(),
            };
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
            let near = near(today);
            let count = claims.get(&user).map_or(0, |ts| {
                ts.iter()
                    .filter(|(t, from)| {
                        near.contains(&t.0)
                            && (rules.daily_limit_counts == ClaimCount::AllPools || *from == Some(p))
                            && t.local_date(pool.zone) == today
                    })
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
            taken.insert(record);
            claims.entry(user).or_default().push((now, Some(p)));
            let key = (user, by_pool.then_some(p));
            let i = *holder.entry(key).or_insert_with(|| {
                holdings.push(new_line(rows.user_name(user), key.1.map(|q| &policy.pools[q].id)));
                holdings.len() - 1
            });
            holdings[i].owned += 1;
        }
        decisions.push(Decided { pool: Some((p, pool.zone)), accepted, reasons });
    }
    // Every user who asked gets a line (per pool: for the pool of the record asked for).
    for k in 0..rows.requests_len() {
        let (user, record) = rows.request(k);
        let pool = pooled.get(&record).map(|&(p, _, _)| p);
        if by_pool && pool.is_none() {
            continue;
        }
        let key = (user, pool.filter(|_| by_pool));
        holder.entry(key).or_insert_with(|| {
            holdings.push(new_line(rows.user_name(user), key.1.map(|q| &policy.pools[q].id)));
            holdings.len() - 1
        });
    }
    holdings.sort_by(|a, b| (&a.user, &a.pool).cmp(&(&b.user, &b.pool)));
    Ok(Checked { decisions, holdings })
}

/// The instants whose local date can be `day` in some zone (UTC offsets stay within ±26 hours;
/// the tz database's widest is under 16): a claim outside is not on `day`, with no zone lookup.
fn near(day: NaiveDate) -> Range<i64> {
    const SLACK: i64 = 26 * 3_600_000;
    let midnight = day.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp_millis());
    midnight - SLACK..midnight + 86_400_000 + SLACK
}

/// A holdings line of a user who held nothing.
fn new_line(user: &str, pool: Option<&String>) -> Holding {
    Holding { user: user.to_owned(), pool: pool.cloned(), owned: 0, won: 0 }
}

/// Checks the holdings lines and keys them by user, or by user and pool when any line names a
/// pool or a pool (`this_pool`) counts holdings per pool; the flag says which.
fn read_holdings<'a, R: ClaimRows<'a>>(
    rows: &R,
    policy: &PoolPolicy,
    this_pool: Option<&str>,
    known: &dyn Fn(PoolRef, String) -> Result<usize>,
    path: Paths,
) -> Result<(Vec<Holding>, Holder<R::Id>, bool)> {
    let n = rows.holdings_len();
    let by_pool = this_pool.is_some() || (0..n).any(|i| rows.holding(i).pool.is_some());
    let mut holder: Holder<R::Id> = HashMap::with_capacity(n);
    let mut lines = Vec::with_capacity(n);
    for i in 0..n {
        let h = rows.holding(i);
        if h.owned < 0 {
            return Err(Error::out_of_range(path("holdings", i, "owned"), h.owned, 0, "inf"));
        }
        if !(0..=h.owned).contains(&h.won) {
            return Err(Error::out_of_range(path("holdings", i, "won"), h.won, 0, h.owned));
        }
        let pool = match h.pool {
            Some(p) => Some(known(p, path("holdings", i, "pool"))?),
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
            None => None,
        };
        if let Some(first) = holder.insert((h.user, pool), i) {
            let (field, name) = match h.pool {
                Some(p) => ("pool", p.name),
                None => ("user", rows.user_name(h.user)),
            };
            return Err(Error::DuplicateName {
                path: path("holdings", i, field),
                name: name.to_owned(),
                first: path("holdings", first, field),
            });
        }
        let user = rows.user_name(h.user).to_owned();
        lines.push(Holding { user, pool: pool.map(|q| policy.pools[q].id.clone()), owned: h.owned, won: h.won });
    }
    Ok((lines, holder, by_pool))
}

/// Reads the ledger: in time order, not after `latest`, pools known, and named on every entry a
/// `this_pool` count reads (`daily`: claims; `cooldown`: releases and recyclings).
fn read_ledger<'a, R: ClaimRows<'a>>(
    rows: &R,
    as_of: AsOf,
    pools: &[CompiledPool],
    daily: Option<&str>,
    cooldown: Option<&str>,
    known: &dyn Fn(PoolRef, String) -> Result<usize>,
    path: Paths,
) -> Result<History<R::Id>> {
    // The ledger's order and dates are checked in UTC, before any pool is looked at.
    let latest = as_of_utc(as_of, pools);
    let mut history = History { ended: HashMap::new(), ended_in: HashMap::new(), claims: HashMap::new() };
    let mut before = None;
    for j in 0..rows.ledger_len() {
        let e = rows.entry(j);
        if before.is_some_and(|t| e.at < t) {
            return Err(Error::InvalidValue {
                path: path("ledger", j, "at"),
                reason: "the ledger is not in time order: this entry is earlier than the one before it".into(),
            });
        }
        before = Some(e.at);
        if e.at.0 > latest {
            return Err(Error::DateAfterAsOf {
                path: path("ledger", j, "at"),
                date: e.at.format(chrono_tz::UTC),
                as_of: as_of.to_string(),
            });
        }
        let pool = match e.pool {
            Some(p) => Some(known(p, path("ledger", j, "pool"))?),
            None => None,
        };
        let needs = match e.event {
            LedgerEvent::Claim => daily.map(|p| (p, "daily_limit", "claim")),
            LedgerEvent::Release | LedgerEvent::Recycle => cooldown.map(|p| (p, "cooldown", "release and recycle")),
            LedgerEvent::Assign => None,
        };
        if let (None, Some((p, limit, kind))) = (pool, needs) {
            return Err(Error::MissingValue {
                path: path("ledger", j, "pool"),
                reason: format!("pool {p:?} counts {limit} in this_pool: every {kind} entry names its pool"),
            });
        }
        match e.event {
            LedgerEvent::Claim => history.claims.entry(e.user).or_default().push((e.at, pool)),
            LedgerEvent::Release | LedgerEvent::Recycle => {
                history.ended.insert((e.record, e.user), e.at);
                if let Some(p) = pool {
                    history.ended_in.insert((e.record, e.user, p), e.at);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_is_near_its_local_date_in_every_zone() {
        // The widest offsets of the tz database (Manila's -15:56 LMT before 1845, Kiritimati's
        // +14), a half-hour zone, a quarter-hour DST zone and UTC, sampled every 7h 13m over
        // two centuries and at the years 1 and 9999.
        let zones: [Tz; 6] = [
            chrono_tz::Asia::Manila,
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Etc::GMTPlus12,
            chrono_tz::America::St_Johns,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::UTC,
        ];
        let step = 26_000_000;
        let ranges = [
            (-5_000_000_000_000, -4_000_000_000_000),
            (-62_135_000_000_000, -62_100_000_000_000),
            (253_370_000_000_000, 253_400_000_000_000),
        ];
        for zone in zones {
            for (from, to) in ranges {
                let mut t = from;
                while t < to {
                    let day = Instant(t).local_date(zone);
                    assert!(near(day).contains(&t), "{zone} {t} {day}");
                    assert!(!near(day + chrono::Duration::days(3)).contains(&t), "{zone} {t} {day}");
                    t += step;
                }
            }
        }
    }
}
