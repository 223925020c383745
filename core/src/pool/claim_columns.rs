//! `check_claims` over columns: the pooled records, holdings, ledger and requests as integer
//! codes into labels (matched across tables by name, as the record API matches ids) and
//! instants in ms since 1970-01-01 UTC; the answers back as columns.
//!
//! The columns are checked with their own paths (`ledger.event[j]`, `pooled.pooled_at[i]`),
//! then read row by row by the same code as [`super::check_claims`] (`claim_check.rs`, over
//! [`ClaimRows`]): users and records as numbers (each table's labels numbered once, so codes
//! of two tables compare as their text does), pools resolved once per label. No id is copied
//! or hashed per row as text; errors name rows as columns do (`ledger.at[j]`).

use std::collections::HashMap;

use serde::Serialize;

use super::claim_check::{check, Checked};
use super::claim_rows::{pool_index, ClaimRows, EntryRow, HoldingRow, PoolRef, PooledRow};
use super::claims::{ClaimReasonCode, Holding, LedgerEvent};
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
    /// The pool (-1 or absent: none), as [`LedgerEntry::pool`](super::LedgerEntry::pool).
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

/// Checks the columns (lengths, codes, instants, ledger events) before anything is decided.
fn check_shapes(c: &ClaimColumns) -> Result<Vec<Option<LedgerEvent>>> {
    let p = &c.pooled;
    let n = p.pooled_at.len();
    check_table("pooled", n, &[("id", &p.id, false), ("pool", &p.pool, false)], &[("pooled_at", p.pooled_at)])?;
    if let Some(h) = &c.holdings {
        let n = h.owned.len();
        check_codes("holdings.user", &h.user, n, false)?;
        if let Some(pool) = &h.pool {
            check_codes("holdings.pool", pool, n, true)?;
        }
        if let Some(won) = h.won {
            check_len("holdings.won", won.len(), n)?;
        }
    }
    let mut events = Vec::new();
    if let Some(l) = &c.ledger {
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
        events = l
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
            .collect();
        if let Some(j) = l.event.codes.iter().position(|&k| events[k as usize].is_none()) {
            return Err(Error::InvalidValue {
                path: column_path("ledger", j, "event"),
                reason: format!(
                    "{:?} is not claim, assign, release or recycle",
                    l.event.labels[l.event.codes[j] as usize]
                ),
            });
        }
    }
    let r = &c.requests;
    let n = r.user.codes.len();
    check_codes("requests.user", &r.user, n, false)?;
    check_codes("requests.record", &r.record, n, false)?;
    Ok(events)
}

/// Users or records numbered across tables: each table's labels map to one numbering, so codes
/// of different tables are equal when their text is.
#[derive(Default)]
struct Ids<'a> {
    names: Vec<&'a str>,
    number: HashMap<&'a str, usize>,
    /// Label lists already numbered (tables often share one).
    seen: Vec<(&'a [String], Vec<usize>)>,
}

impl<'a> Ids<'a> {
    /// The number of each label of `labels`.
    fn of(&mut self, labels: &'a [String]) -> Vec<usize> {
        if let Some((_, ids)) = self.seen.iter().find(|(l, _)| std::ptr::eq(*l, labels)) {
            return ids.clone();
        }
        let Self { names, number, .. } = self;
        let ids: Vec<usize> = labels
            .iter()
            .map(|l| {
                *number.entry(l.as_str()).or_insert_with(|| {
                    names.push(l);
                    names.len() - 1
                })
            })
            .collect();
        self.seen.push((labels, ids.clone()));
        ids
    }
}

/// The columns as [`ClaimRows`]: users and records by number, pools resolved per label (an
/// absent holdings table or ledger has no rows).
struct ColumnRows<'a> {
    users: Ids<'a>,
    records: Ids<'a>,
    pooled: PooledColumns<'a>,
    pooled_id: Vec<usize>,
    pooled_pool: Vec<PoolRef<'a>>,
    holding_user: (&'a [i32], Vec<usize>),
    holding_pool: Option<(&'a [i32], Vec<PoolRef<'a>>)>,
    owned: &'a [i64],
    won: Option<&'a [i64]>,
    at: &'a [i64],
    ledger_user: (&'a [i32], Vec<usize>),
    ledger_record: (&'a [i32], Vec<usize>),
    ledger_pool: Option<(&'a [i32], Vec<PoolRef<'a>>)>,
    /// The event codes and what each label stands for (every code used is one: `check_shapes`).
    events: (&'a [i32], Vec<Option<LedgerEvent>>),
    request_user: (&'a [i32], Vec<usize>),
    request_record: (&'a [i32], Vec<usize>),
}

impl<'a> ColumnRows<'a> {
    fn new(policy: &PoolPolicy, c: &ClaimColumns<'a>, events: Vec<Option<LedgerEvent>>) -> Self {
        let index = pool_index(policy);
        let pools = |col: &CodeColumn<'a>| -> (&'a [i32], Vec<PoolRef<'a>>) {
            let refs = col.labels.iter().map(|name| PoolRef { index: index.get(name.as_str()).copied(), name });
            (col.codes, refs.collect())
        };
        let (mut users, mut records) = (Ids::default(), Ids::default());
        let number = |ids: &mut Ids<'a>, col: Option<&CodeColumn<'a>>| {
            col.map_or((&[][..], Vec::new()), |col| (col.codes, ids.of(col.labels)))
        };
        let (h, l) = (c.holdings.as_ref(), c.ledger.as_ref());
        Self {
            pooled: c.pooled,
            pooled_id: records.of(c.pooled.id.labels),
            pooled_pool: pools(&c.pooled.pool).1,
            holding_user: number(&mut users, h.map(|h| &h.user)),
            holding_pool: h.and_then(|h| h.pool.as_ref()).map(pools),
            owned: h.map_or(&[], |h| h.owned),
            won: h.and_then(|h| h.won),
            at: l.map_or(&[], |l| l.at),
            ledger_user: number(&mut users, l.map(|l| &l.user)),
            ledger_record: number(&mut records, l.map(|l| &l.record)),
            ledger_pool: l.and_then(|l| l.pool.as_ref()).map(pools),
            events: (l.map_or(&[], |l| l.event.codes), events),
            request_user: number(&mut users, Some(&c.requests.user)),
            request_record: number(&mut records, Some(&c.requests.record)),
            users,
            records,
        }
    }
}

/// The number (or pool) of row `i`'s label.
fn at<T: Copy>((codes, of_label): &(&[i32], Vec<T>), i: usize) -> T {
    of_label[codes[i] as usize]
}

/// Row `i`'s pool of an optional pool column (-1: none).
fn opt_pool<'a>(col: Option<&(&[i32], Vec<PoolRef<'a>>)>, i: usize) -> Option<PoolRef<'a>> {
    col.and_then(|(codes, refs)| usize::try_from(codes[i]).ok().map(|k| refs[k]))
}

// Codes are checked (`check_shapes`) before any row is read: indexing by them cannot fail.
impl<'a> ClaimRows<'a> for ColumnRows<'a> {
    type Id = usize;

    fn pooled_len(&self) -> usize {
        self.pooled.pooled_at.len()
    }

    fn pooled(&self, i: usize) -> PooledRow<'a, usize> {
        let p = &self.pooled;
        PooledRow {
            id: self.pooled_id[p.id.codes[i] as usize],
            pool: self.pooled_pool[p.pool.codes[i] as usize],
            pooled_at: Instant(p.pooled_at[i]),
        }
    }

    fn holdings_len(&self) -> usize {
        self.owned.len()
    }

    fn holding(&self, i: usize) -> HoldingRow<'a, usize> {
        HoldingRow {
            user: at(&self.holding_user, i),
            pool: opt_pool(self.holding_pool.as_ref(), i),
            owned: self.owned[i],
            won: self.won.map_or(0, |w| w[i]),
        }
    }

    fn ledger_len(&self) -> usize {
        self.at.len()
    }

    fn entry(&self, j: usize) -> EntryRow<'a, usize> {
        EntryRow {
            at: Instant(self.at[j]),
            user: at(&self.ledger_user, j),
            record: at(&self.ledger_record, j),
            pool: opt_pool(self.ledger_pool.as_ref(), j),
            event: at(&self.events, j).unwrap_or(LedgerEvent::Assign),
        }
    }

    fn requests_len(&self) -> usize {
        self.request_user.0.len()
    }

    fn request(&self, k: usize) -> (usize, usize) {
        (at(&self.request_user, k), at(&self.request_record, k))
    }

    fn user_name(&self, user: usize) -> &'a str {
        self.users.names[user]
    }

    fn record_name(&self, record: usize) -> &'a str {
        self.records.names[record]
    }
}

pub(crate) fn check_columns(policy: &PoolPolicy, c: &ClaimColumns, as_of: AsOf) -> Result<ClaimDecisionColumns> {
    let events = check_shapes(c)?;
    let Checked { decisions, holdings } = check(policy, &ColumnRows::new(policy, c, events), as_of, column_path)?;
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
