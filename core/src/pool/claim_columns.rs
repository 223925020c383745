//! `check_claims` over columns: the pooled records, holdings, ledger and requests as integer
//! codes into labels (matched across tables by name, as the record API matches ids) and
//! instants in ms since 1970-01-01 UTC; the answers back as columns.
//!
//! The columns are checked with their own paths (`ledger.event[j]`, `pooled.pooled_at[i]`),
//! laid out as the record API's rows (ledgers are read once and the answers do not echo ids,
//! so the copies are of labels only) and decided by the same code as [`super::check_claims`],
//! whose errors then name rows as columns do (`ledger.at[j]`, not `ledger[j].at`).

use serde::Serialize;

use super::claim_check::{check, Checked};
use super::claims::{ClaimInput, ClaimReasonCode, ClaimRequest, Holding, LedgerEntry, LedgerEvent, PooledRecord};
use super::columns::{check_codes, check_len, CodeColumn, NONE};
use super::policy::PoolPolicy;
use super::time::{AsOf, Instant};
use crate::error::{Error, Result};

/// The records in the pools, one row each.
#[derive(Debug, Clone, Copy)]
pub struct PooledColumns<'a> {
    /// Record ids (never -1).
    pub id: CodeColumn<'a>,
    /// The pool each is in, by id (never -1).
    pub pool: CodeColumn<'a>,
    /// When each entered its pool, ms.
    pub pooled_at: &'a [i64],
}

/// Users' holdings, one row per user (or per user and pool).
#[derive(Debug, Clone, Copy)]
pub struct HoldingColumns<'a> {
    /// User ids (never -1).
    pub user: CodeColumn<'a>,
    /// The pool of the line (-1 or absent: none), as [`Holding::pool`].
    pub pool: Option<CodeColumn<'a>>,
    /// Records owned, ≥ 0.
    pub owned: &'a [i64],
    /// Of which won customers (absent: 0).
    pub won: Option<&'a [i64]>,
}

/// The ledger, one row per event, in time order.
#[derive(Debug, Clone, Copy)]
pub struct LedgerColumns<'a> {
    /// When, ms.
    pub at: &'a [i64],
    /// Who got or lost the record (never -1).
    pub user: CodeColumn<'a>,
    /// The record (never -1).
    pub record: CodeColumn<'a>,
    /// The pool (-1 or absent: none), as [`LedgerEntry::pool`].
    pub pool: Option<CodeColumn<'a>>,
    /// What happened: labels `claim`, `assign`, `release` or `recycle` (never -1).
    pub event: CodeColumn<'a>,
}

/// The claims to decide, one row each, in the order they arrived.
#[derive(Debug, Clone, Copy)]
pub struct RequestColumns<'a> {
    /// Who asks (never -1).
    pub user: CodeColumn<'a>,
    /// For which record (never -1).
    pub record: CodeColumn<'a>,
}

/// The input of [`check_claims_columns`](super::check_claims_columns).
#[derive(Debug, Clone, Copy)]
pub struct ClaimColumns<'a> {
    /// The records in the pools.
    pub pooled: PooledColumns<'a>,
    /// Holdings (absent: nobody holds anything).
    pub holdings: Option<HoldingColumns<'a>>,
    /// The ledger (absent: empty).
    pub ledger: Option<LedgerColumns<'a>>,
    /// The requests.
    pub requests: RequestColumns<'a>,
}

/// The labels of the bits of [`ClaimDecisionColumns::reasons`], bit `k` for `CLAIM_REASONS[k]`;
/// the record API lists a refusal's reasons in this order.
pub const CLAIM_REASONS: [&str; 5] = ["not_in_pool", "embargoed", "cooldown", "holdings_limit", "daily_limit"];

/// The answers as columns, one row per request. Each refusal's numbers are in the columns of
/// its reason (`NONE` or -1 where the reason is absent); how a limit counted (across all pools
/// or in this pool) is the pool's declared `*_counts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimDecisionColumns {
    /// Index of the record's pool in the policy's pools (-1: in none).
    pub pool: Vec<i32>,
    /// Whether the claim goes through.
    pub accepted: Vec<bool>,
    /// Bit `k` set: refused for `CLAIM_REASONS[k]`.
    pub reasons: Vec<u8>,
    /// `embargoed`: when the record entered the pool, ms (`NONE`: not embargoed).
    pub embargo_since: Vec<i64>,
    /// `embargoed`: from when a claim is allowed, ms.
    pub embargo_until: Vec<i64>,
    /// `cooldown`: when the user's ownership ended, ms (`NONE`: no cool-down).
    pub cooldown_since: Vec<i64>,
    /// `cooldown`: from when a claim is allowed, ms.
    pub cooldown_until: Vec<i64>,
    /// `holdings_limit`: records counted (-1: not refused for it).
    pub holdings_count: Vec<i64>,
    /// `holdings_limit`: the limit (-1: not refused for it).
    pub holdings_limit: Vec<i64>,
    /// `daily_limit`: claims today (-1: not refused for it).
    pub daily_count: Vec<i64>,
    /// `daily_limit`: the limit (-1: not refused for it).
    pub daily_limit: Vec<i64>,
    /// Accepted: the instant of its `claim` ledger entry (`as_of` in the pool's zone), ms;
    /// `NONE` when refused.
    pub claimed_at: Vec<i64>,
    /// Pool ids, in policy order.
    pub pools: Vec<String>,
    /// Holdings after the accepted claims, as [`ClaimReport::holdings`](super::ClaimReport::holdings).
    pub holdings: Vec<Holding>,
}

/// `table.field[i]`.
fn column_path(table: &str, i: usize, field: &str) -> String {
    format!("{table}.{field}[{i}]")
}

fn label(c: &CodeColumn, i: usize) -> String {
    c.labels[c.codes[i] as usize].clone()
}

fn opt_label(c: Option<&CodeColumn>, i: usize) -> Option<String> {
    c.and_then(|c| usize::try_from(c.codes[i]).ok().map(|k| c.labels[k].clone()))
}

/// Checks a table's key and instant columns against its row count `n`.
fn check_table(table: &str, n: usize, codes: &[(&str, &CodeColumn, bool)], millis: &[(&str, &[i64])]) -> Result<()> {
    for (name, c, none_ok) in codes {
        check_codes(&format!("{table}.{name}"), c, n, *none_ok)?;
    }
    for (name, col) in millis {
        let at = format!("{table}.{name}");
        check_len(&at, col.len(), n)?;
        crate::wire::check_millis(col, None, |i| format!("{at}[{i}]"))?;
    }
    Ok(())
}

/// The rows of the columns, for the record API's checks.
fn rows(c: &ClaimColumns) -> Result<ClaimInput> {
    let p = &c.pooled;
    let n = p.pooled_at.len();
    check_table("pooled", n, &[("id", &p.id, false), ("pool", &p.pool, false)], &[("pooled_at", p.pooled_at)])?;
    let pooled = (0..n).map(|i| PooledRecord {
        id: label(&p.id, i),
        pool: label(&p.pool, i),
        pooled_at: Instant(p.pooled_at[i]),
    });
    let pooled = pooled.collect();
    let holdings = match &c.holdings {
        None => Vec::new(),
        Some(h) => {
            let n = h.owned.len();
            check_codes("holdings.user", &h.user, n, false)?;
            if let Some(pool) = &h.pool {
                check_codes("holdings.pool", pool, n, true)?;
            }
            if let Some(won) = h.won {
                check_len("holdings.won", won.len(), n)?;
            }
            (0..n)
                .map(|i| Holding {
                    user: label(&h.user, i),
                    pool: opt_label(h.pool.as_ref(), i),
                    owned: h.owned[i],
                    won: h.won.map_or(0, |w| w[i]),
                })
                .collect()
        }
    };
    let ledger = match &c.ledger {
        None => Vec::new(),
        Some(l) => {
            let n = l.at.len();
            check_table(
                "ledger",
                n,
                &[("user", &l.user, false), ("record", &l.record, false), ("event", &l.event, false)],
                &[("at", l.at)],
            )?;
            if let Some(pool) = &l.pool {
                check_codes("ledger.pool", pool, n, true)?;
            }
            let events = l
                .event
                .labels
                .iter()
                .map(|e| match e.as_str() {
                    "claim" => Some(LedgerEvent::Claim),
                    "assign" => Some(LedgerEvent::Assign),
                    "release" => Some(LedgerEvent::Release),
                    "recycle" => Some(LedgerEvent::Recycle),
                    _ => None,
                })
                .collect::<Vec<_>>();
            let mut out = Vec::with_capacity(n);
            for j in 0..n {
                let code = l.event.codes[j] as usize;
                let event = events[code].ok_or_else(|| Error::InvalidValue {
                    path: column_path("ledger", j, "event"),
                    reason: format!("{:?} is not claim, assign, release or recycle", l.event.labels[code]),
                })?;
                out.push(LedgerEntry {
                    at: Instant(l.at[j]),
                    user: label(&l.user, j),
                    record: label(&l.record, j),
                    pool: opt_label(l.pool.as_ref(), j),
                    event,
                });
            }
            out
        }
    };
    let r = &c.requests;
    let n = r.user.codes.len();
    check_codes("requests.user", &r.user, n, false)?;
    check_codes("requests.record", &r.record, n, false)?;
    let requests = (0..n).map(|k| ClaimRequest { user: label(&r.user, k), record: label(&r.record, k) }).collect();
    Ok(ClaimInput { pooled, holdings, ledger, requests })
}

pub(crate) fn check_columns(policy: &PoolPolicy, c: &ClaimColumns, as_of: AsOf) -> Result<ClaimDecisionColumns> {
    let input = rows(c)?;
    let Checked { decisions, holdings, .. } = check(policy, &input, as_of, column_path)?;
    let n = decisions.len();
    let mut out = ClaimDecisionColumns {
        pool: Vec::with_capacity(n),
        accepted: Vec::with_capacity(n),
        reasons: Vec::with_capacity(n),
        embargo_since: vec![NONE; n],
        embargo_until: vec![NONE; n],
        cooldown_since: vec![NONE; n],
        cooldown_until: vec![NONE; n],
        holdings_count: vec![-1; n],
        holdings_limit: vec![-1; n],
        daily_count: vec![-1; n],
        daily_limit: vec![-1; n],
        claimed_at: vec![NONE; n],
        pools: policy.pools.iter().map(|p| p.id.clone()).collect(),
        holdings,
    };
    let ms = |t: Option<Instant>| t.map_or(NONE, |t| t.0);
    for (k, d) in decisions.iter().enumerate() {
        // Pools are at most MAX_POOLS (1,000): the index fits.
        out.pool.push(d.pool.map_or(-1, |(p, _)| p as i32));
        out.accepted.push(d.accepted);
        if let (true, Some((_, zone))) = (d.accepted, d.pool) {
            out.claimed_at[k] = as_of.instant(zone).0;
        }
        let mut bits = 0u8;
        for r in &d.reasons {
            bits |= 1 << (r.code as u8);
            match r.code {
                ClaimReasonCode::NotInPool => {}
                ClaimReasonCode::Embargoed => {
                    (out.embargo_since[k], out.embargo_until[k]) = (ms(r.since), ms(r.until));
                }
                ClaimReasonCode::Cooldown => {
                    (out.cooldown_since[k], out.cooldown_until[k]) = (ms(r.since), ms(r.until));
                }
                ClaimReasonCode::HoldingsLimit => {
                    (out.holdings_count[k], out.holdings_limit[k]) = (r.count.unwrap_or(-1), r.limit.unwrap_or(-1));
                }
                ClaimReasonCode::DailyLimit => {
                    (out.daily_count[k], out.daily_limit[k]) = (r.count.unwrap_or(-1), r.limit.unwrap_or(-1));
                }
            }
        }
        out.reasons.push(bits);
    }
    Ok(out)
}
