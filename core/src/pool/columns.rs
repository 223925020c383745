//! `evaluate_pool` over columns: a million records and ten million activities without one
//! object per row. Keys arrive as integer codes into label lists (pandas categoricals, Arrow
//! dictionaries), instants as milliseconds since 1970-01-01 UTC (`i64::MIN`: none); decisions
//! leave as columns too.

use std::collections::HashMap;

use serde::Serialize;

use super::eval::{decide, find_pool_by, Facts, PoolCounts, PoolCountsLine, PoolVerdict};
use super::follow::{Pass, Slot, Team};
use super::policy::{CompiledPool, DayUnit, FollowUpActor, PoolPolicy};
use super::time::{AsOf, Instant};
use crate::error::{Error, Result};

/// No instant.
pub const NONE: i64 = i64::MIN;

/// A key column: row `i` has `labels[codes[i]]`, or none when the code is -1.
#[derive(Debug, Clone, Copy)]
pub struct CodeColumn<'a> {
    /// Per-row codes.
    pub codes: &'a [i32],
    /// What the codes stand for.
    pub labels: &'a [String],
}

/// Labels attached to records as a long table, one row per (record, label): a record's team
/// members, or its tags. A record may have any number of rows, in any order.
#[derive(Debug, Clone, Copy)]
pub struct MemberColumns<'a> {
    /// Row of the record in the record columns.
    pub record: &'a [i32],
    /// The label: a user id (teams, matched with the actors by name) or a tag.
    pub value: CodeColumn<'a>,
}

/// Records as columns (row `i` is one record).
#[derive(Debug, Clone, Copy)]
pub struct RecordColumns<'a> {
    /// Owner (user) of each record; never -1.
    pub owner: CodeColumn<'a>,
    /// When each owner got the record, ms since 1970-01-01 UTC.
    pub claimed_at: &'a [i64],
    /// Owner's department.
    pub department: Option<CodeColumn<'a>>,
    /// Region.
    pub region: Option<CodeColumn<'a>>,
    /// Product line.
    pub product_line: Option<CodeColumn<'a>>,
    /// Customer level.
    pub level: Option<CodeColumn<'a>>,
    /// Locked.
    pub locked: Option<&'a [bool]>,
    /// Open contract.
    pub open_contract: Option<&'a [bool]>,
    /// Latest won deal, ms (`NONE`: none).
    pub last_won_at: Option<&'a [i64]>,
    /// Latest new opportunity, ms (`NONE`: none).
    pub last_opportunity_at: Option<&'a [i64]>,
    /// Team members, whose follow-ups count under `actor: team` (besides the owner's).
    pub team: Option<MemberColumns<'a>>,
    /// Tags, matched against each pool's exempt tags.
    pub tags: Option<MemberColumns<'a>>,
}

/// The follow-up log as columns (row `j` is one activity).
#[derive(Debug, Clone, Copy)]
pub struct ActivityColumns<'a> {
    /// Row of the record in the record columns.
    pub record: &'a [i32],
    /// When the contact happened, ms.
    pub at: &'a [i64],
    /// When it was logged, ms (`NONE` or absent: `at`).
    pub logged_at: Option<&'a [i64]>,
    /// Type.
    pub kind: CodeColumn<'a>,
    /// Who; labels are user ids, matched with the owners' by name.
    pub actor: CodeColumn<'a>,
    /// Deleted rows.
    pub deleted: Option<&'a [bool]>,
}

/// Decisions as columns, one row per record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionColumns {
    /// Index of the record's pool in `pools`.
    pub pool: Vec<i32>,
    /// 0 keep, 1 warn, 2 recycle, 3 exempt.
    pub decision: Vec<u8>,
    /// Due instant, ms (`NONE`: none).
    pub due_at: Vec<i64>,
    /// Warning instant, ms (`NONE`: none).
    pub warn_at: Vec<i64>,
    /// Index of the binding rule within the pool's rules (-1: none).
    pub rule: Vec<i32>,
    /// Latest effective follow-up, ms (`NONE`: none).
    pub last_follow_up_at: Vec<i64>,
    /// Pool ids, in policy order.
    pub pools: Vec<String>,
    /// Counts per pool, in policy order.
    pub counts: Vec<PoolCountsLine>,
    /// Counts over all pools.
    pub totals: PoolCounts,
}

pub(crate) fn check_len(name: &str, len: usize, want: usize) -> Result<()> {
    if len == want {
        Ok(())
    } else {
        Err(Error::InvalidValue { path: name.to_owned(), reason: format!("{len} rows where {want} were expected") })
    }
}

pub(crate) fn check_codes(name: &str, c: &CodeColumn, want: usize, none_ok: bool) -> Result<()> {
    check_len(name, c.codes.len(), want)?;
    let lo = if none_ok { -1 } else { 0 };
    let hi = c.labels.len() as i64 - 1;
    match c.codes.iter().position(|&k| i64::from(k) < lo || i64::from(k) > hi) {
        Some(i) => Err(Error::out_of_range(format!("{name}[{i}]"), c.codes[i], lo, hi)),
        None => Ok(()),
    }
}

/// Checks a member table against `n` records; `names` are its two columns' names in errors.
fn check_members(names: [&str; 2], c: &MemberColumns, n: usize) -> Result<()> {
    let m = c.record.len();
    check_codes(names[1], &c.value, m, false)?;
    match c.record.iter().position(|&i| i < 0 || i as usize >= n) {
        Some(k) => Err(Error::out_of_range(format!("{}[{k}]", names[0]), c.record[k], 0, n as i64 - 1)),
        None => Ok(()),
    }
}

/// Per pool and key dimension, whether each label is in the scope list (`None`: no list).
fn membership(pool: &CompiledPool, dim: usize, col: Option<&CodeColumn>) -> Option<Vec<bool>> {
    let set = &pool.scope[dim];
    if set.is_empty() {
        return None;
    }
    Some(col.map_or_else(Vec::new, |c| c.labels.iter().map(|l| set.contains(l.as_str())).collect()))
}

/// Checks the record columns (lengths, codes, instants, member tables); returns the count.
pub(crate) fn check_records(r: &RecordColumns) -> Result<usize> {
    let n = r.claimed_at.len();
    check_codes("owner", &r.owner, n, false)?;
    for (name, col) in
        [("department", r.department), ("region", r.region), ("product_line", r.product_line), ("level", r.level)]
    {
        if let Some(c) = col {
            check_codes(name, &c, n, true)?;
        }
    }
    for (name, col) in [("locked", r.locked), ("open_contract", r.open_contract)] {
        if let Some(c) = col {
            check_len(name, c.len(), n)?;
        }
    }
    crate::wire::check_millis(r.claimed_at, None, |i| format!("claimed_at[{i}]"))?;
    for (name, col) in [("last_won_at", r.last_won_at), ("last_opportunity_at", r.last_opportunity_at)] {
        if let Some(c) = col {
            check_len(name, c.len(), n)?;
            crate::wire::check_millis(c, Some(NONE), |i| format!("{name}[{i}]"))?;
        }
    }
    if let Some(t) = &r.team {
        check_members(["team_record", "team_user"], t, n)?;
    }
    if let Some(t) = &r.tags {
        check_members(["tag_record", "tag"], t, n)?;
    }
    Ok(n)
}

/// Checks the activity columns' lengths, codes and instants (not their record rows).
pub(crate) fn check_activities(a: &ActivityColumns) -> Result<()> {
    let m = a.at.len();
    check_len("activity_record", a.record.len(), m)?;
    check_codes("activity_type", &a.kind, m, false)?;
    check_codes("activity_actor", &a.actor, m, false)?;
    crate::wire::check_millis(a.at, None, |j| format!("activity_at[{j}]"))?;
    if let Some(l) = a.logged_at {
        check_len("activity_logged_at", l.len(), m)?;
        crate::wire::check_millis(l, Some(NONE), |j| format!("activity_logged_at[{j}]"))?;
    }
    if let Some(d) = a.deleted {
        check_len("activity_deleted", d.len(), m)?;
    }
    Ok(())
}

// Rows index several parallel columns at once (`r` records, `a` activities, `i` / `j` rows).
#[allow(clippy::many_single_char_names, clippy::needless_range_loop)]
pub(crate) fn evaluate(
    policy: &PoolPolicy,
    r: &RecordColumns,
    a: &ActivityColumns,
    as_of: AsOf,
) -> Result<DecisionColumns> {
    let mut pools = policy.compile()?;
    let n = check_records(r)?;
    let keys = [Some(r.owner), r.department, r.region, r.product_line, r.level];
    // Scope membership per pool and dimension, by label code.
    let member: Vec<[Option<Vec<bool>>; 5]> =
        pools.iter().map(|cp| std::array::from_fn(|d| membership(cp, d, keys[d].as_ref()))).collect();
    // What the activity pass needs of a record, in one 16-byte slot (see `follow`).
    let mut slots = Vec::with_capacity(n);
    let mut now = Vec::with_capacity(pools.len());
    for cp in &pools {
        now.push(as_of.instant(cp.zone));
    }
    for i in 0..n {
        let code = |d: usize| keys[d].map_or(-1, |c| c.codes[i]);
        let p = find_pool_by(&pools, |k, d| {
            let c = code(d);
            member[k][d].as_ref().map(|m| c >= 0 && m.get(c as usize).copied().unwrap_or(false))
        })
        .ok_or_else(|| Error::NoPool {
            path: format!("records[{i}]"),
            record: i.to_string(),
            owner: r.owner.labels[r.owner.codes[i] as usize].clone(),
        })?;
        let t = r.claimed_at[i];
        if t > now[p].0 {
            return Err(super::eval::after_as_of(format!("claimed_at[{i}]"), Instant(t), now[p], &pools[p]));
        }
        // p < MAX_POOLS (1,000); t is within years 1 to 9999, so t - 1 does not wrap.
        slots.push(Slot { floor: t - 1, owner: r.owner.codes[i], pool: p as u32 });
    }
    // Every clock starts at or after a claim and is read at as_of: its days lie between the
    // earliest claim and as_of plus the longest limit (in working days, some weeks more).
    if let Some(&earliest) = r.claimed_at.iter().min() {
        for (k, cp) in pools.iter_mut().enumerate() {
            let longest = cp.pool.rules.iter().map(|rule| rule.limit).max().unwrap_or(0);
            let span = match cp.pool.unit {
                DayUnit::WorkingDays => longest.saturating_mul(2).saturating_add(60),
                _ => longest.saturating_add(2),
            };
            let from = Instant(earliest).local_date(cp.zone).pred_opt().unwrap_or(chrono::NaiveDate::MIN);
            let to = now[k].local_date(cp.zone) + chrono::Duration::days(span.min(2 * super::policy::MAX_LIMIT + 60));
            cp.cache_days(from, to);
        }
    }
    // Activities: type allowed per pool, actor as an owner code.
    check_activities(a)?;
    let owner_code: HashMap<&str, i32> =
        r.owner.labels.iter().enumerate().map(|(k, l)| (l.as_str(), k as i32)).collect();
    let actor_as_owner: Vec<i32> =
        a.actor.labels.iter().map(|l| owner_code.get(l.as_str()).copied().unwrap_or(-1)).collect();
    let type_ok: Vec<Vec<bool>> = pools
        .iter()
        .map(|cp| a.kind.labels.iter().map(|l| cp.types.is_empty() || cp.types.contains(l.as_str())).collect())
        .collect();
    // Team members as actor codes, grouped by record (a counting sort).
    let team = match r.team {
        Some(t) if pools.iter().any(|cp| cp.pool.follow_up.actor == FollowUpActor::Team) => {
            let actor_code: HashMap<&str, i32> =
                a.actor.labels.iter().enumerate().map(|(k, l)| (l.as_str(), k as i32)).collect();
            let as_actor: Vec<i32> =
                t.value.labels.iter().map(|l| actor_code.get(l.as_str()).copied().unwrap_or(-1)).collect();
            Some(Team::group(n, t.record, t.value.codes.iter().map(|&c| as_actor[c as usize])))
        }
        _ => None,
    };
    Pass { pools: &pools, now: &now, type_ok: &type_ok, actor_as_owner: &actor_as_owner, team: team.as_ref() }
        .run(&mut slots, a)?;
    // A record is exempt by tag when its pool exempts one of its tags.
    let mut tag_exempt = Vec::new();
    if let Some(t) = r.tags {
        let exempt: Vec<Vec<bool>> = pools
            .iter()
            .map(|cp| t.value.labels.iter().map(|l| cp.exempt_tags.contains(l.as_str())).collect())
            .collect();
        tag_exempt = vec![false; n];
        for (&i, &c) in t.record.iter().zip(t.value.codes) {
            let i = i as usize;
            tag_exempt[i] |= exempt[slots[i].pool as usize][c as usize];
        }
    }
    let last: Vec<i64> =
        slots.iter().zip(r.claimed_at).map(|(s, &c)| if s.floor >= c { s.floor } else { NONE }).collect();
    let mut out = DecisionColumns {
        pool: Vec::with_capacity(n),
        decision: Vec::with_capacity(n),
        due_at: Vec::with_capacity(n),
        warn_at: Vec::with_capacity(n),
        rule: Vec::with_capacity(n),
        last_follow_up_at: last.clone(),
        pools: policy.pools.iter().map(|p| p.id.clone()).collect(),
        counts: policy
            .pools
            .iter()
            .map(|p| PoolCountsLine { pool: p.id.clone(), counts: PoolCounts::default() })
            .collect(),
        totals: PoolCounts::default(),
    };
    let order: Vec<usize> =
        pools.iter().map(|cp| policy.pools.iter().position(|p| std::ptr::eq(p, cp.pool)).unwrap_or(0)).collect();
    let opt = |col: Option<&[i64]>, i: usize| col.map(|c| c[i]).filter(|t| *t != NONE).map(Instant);
    for i in 0..n {
        let p = slots[i].pool as usize;
        let cp = &pools[p];
        let level = r.level.and_then(|c| usize::try_from(c.codes[i]).ok().map(|k| c.labels[k].as_str()));
        let facts = Facts {
            claimed_at: Instant(r.claimed_at[i]),
            level,
            tags: &[],
            tag_exempt: tag_exempt.get(i).copied().unwrap_or(false),
            locked: r.locked.is_some_and(|c| c[i]),
            open_contract: r.open_contract.is_some_and(|c| c[i]),
            last_won_at: opt(r.last_won_at, i),
            last_opportunity_at: opt(r.last_opportunity_at, i),
            last_follow_up_at: (last[i] != NONE).then_some(Instant(last[i])),
        };
        let o = decide(cp, &facts, now[p], false);
        out.pool.push(order[p] as i32);
        out.decision.push(match o.verdict {
            PoolVerdict::Keep => 0,
            PoolVerdict::Warn => 1,
            PoolVerdict::Recycle => 2,
            PoolVerdict::Exempt => 3,
        });
        out.due_at.push(o.due_at.map_or(NONE, |t| t.0));
        out.warn_at.push(o.warn_at.map_or(NONE, |t| t.0));
        out.rule.push(o.rule.map_or(-1, |k| k as i32));
        out.counts[order[p]].counts.add(o.verdict);
        out.totals.add(o.verdict);
    }
    Ok(out)
}
