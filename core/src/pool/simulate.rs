//! A/B simulation: replay a historical book day by day under two policies and count the
//! records each would have recycled, per owner and day.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::columns::NONE;
use super::eval::{decide, find_pool, note_record_id, Effect, Facts, PoolActivity, PoolRecord, PoolVerdict};
use super::policy::{CompiledPool, DayUnit, FollowUpActor, PoolPolicy, MAX_LIMIT};
use super::time::{AsOf, Instant};
use crate::error::{Error, Result};
use crate::hash::FxBuild;

/// Longest replay, in days.
pub const MAX_SIMULATION_DAYS: i64 = 3660;

/// Recycled records of one owner on one day, under each policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct SimulationLine {
    /// The day (in the zone of the record's pool under each policy).
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub date: NaiveDate,
    /// The owner.
    pub owner: String,
    /// Records policy A recycles from the owner that day.
    pub a: u64,
    /// Records policy B recycles.
    pub b: u64,
}

/// Totals of one day or one owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct SimulationTotal {
    /// The day (`days`) or owner (`owners`).
    pub key: String,
    /// Under policy A.
    pub a: u64,
    /// Under policy B.
    pub b: u64,
}

/// What [`simulate_pool`](super::simulate_pool) returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct SimulationReport {
    /// Owner and day with a recycled record under either policy, by day then owner.
    pub lines: Vec<SimulationLine>,
    /// Per day, every day of the replay.
    pub days: Vec<SimulationTotal>,
    /// Per owner with a recycled record, by owner.
    pub owners: Vec<SimulationTotal>,
    /// Records recycled over the replay under A and B.
    pub total: SimulationTotal,
}

/// A policy as the replay reads it: its pools (with their day tables), each record's pool,
/// and per pool whether each activity type counts (by code: no set looked up a row).
struct Prepared<'p> {
    pools: Vec<CompiledPool<'p>>,
    pool_of: Vec<usize>,
    type_ok: Vec<Vec<bool>>,
}

impl<'p> Prepared<'p> {
    fn of(policy: &'p PoolPolicy, records: &[PoolRecord], log: &Log, to: NaiveDate) -> Result<Self> {
        let mut pools = policy.compile()?;
        let pool_of: Vec<usize> =
            records.iter().enumerate().map(|(i, r)| find_pool(&pools, r, i)).collect::<Result<_>>()?;
        // The replay reads local dates and midnights from the earliest claim to the last night,
        // and due dates up to the longest limit beyond it: from per-day tables, not the zone.
        if let Some(earliest) = records.iter().map(|r| r.claimed_at).min() {
            for cp in &mut pools {
                let longest = cp.pool.rules.iter().map(|rule| rule.limit).max().unwrap_or(0);
                let span = match cp.pool.unit {
                    DayUnit::WorkingDays => longest.saturating_mul(2).saturating_add(60),
                    _ => longest.saturating_add(2),
                };
                let first = earliest.local_date(cp.zone).pred_opt().unwrap_or(NaiveDate::MIN);
                let last = to.checked_add_signed(chrono::Duration::days(span.min(2 * MAX_LIMIT + 60)));
                cp.cache_days(first, last.unwrap_or(NaiveDate::MAX));
            }
        }
        let type_ok = pools
            .iter()
            .map(|cp| log.kinds.iter().map(|k| cp.types.is_empty() || cp.types.contains(k)).collect())
            .collect();
        Ok(Self { pools, pool_of, type_ok })
    }
}

/// The day each record is first recycled under one policy, replayed from `from` to `to`.
///
/// A nightly job at the end of each day sees the activities logged by then: a record is
/// recycled on the first day whose end reaches its due time as computed from those.
/// Recomputing only when newly logged activities could move the due time keeps this at a
/// few decisions per record, whatever the length of the replay. Records are read in order,
/// each with its activities as [`Grouped`] laid them out: no read in random order.
fn replay(
    policy: &Prepared,
    records: &[PoolRecord],
    log: &Log,
    grouped: &Grouped,
    people: &People,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Option<NaiveDate>> {
    let Prepared { pools, pool_of, type_ok } = policy;
    let mut acts: Vec<(i64, i64)> = Vec::new();
    let mut out = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let cp: &CompiledPool = &pools[pool_of[i]];
        // The record's effective follow-ups as (logged, at), by logged time.
        acts.clear();
        let owner = people.owner[i];
        for e in grouped.of_record(i) {
            let by_owner = people.actor[e.actor as usize] == owner; // the same name: the same number
            let actor_counts = match cp.pool.follow_up.actor {
                FollowUpActor::Anyone => true,
                FollowUpActor::Owner => by_owner,
                FollowUpActor::Team => by_owner || r.team.iter().any(|m| m == log.actors[e.actor as usize]),
            };
            let type_counts = type_ok[pool_of[i]][e.kind as usize];
            if e.at >= r.claimed_at.0
                && Effect::of(cp, false, type_counts, actor_counts, e.at, e.logged) == Effect::Effective
            {
                acts.push((e.logged, e.at));
            }
        }
        // The end of a day in the pool's zone, as `AsOf::Date(d)` stands for it.
        let end_of = |d: NaiveDate| d.succ_opt().map_or(Instant(i64::MAX), |next| Instant(cp.day_start(next).0 - 1));
        let mut day = from.max(cp.local_date(r.claimed_at));
        let (mut seen, mut last) = (0usize, None::<i64>);
        let mut recycled = None;
        while day <= to {
            let t = end_of(day);
            while seen < acts.len() && acts[seen].0 <= t.0 {
                last = last.max(Some(acts[seen].1));
                seen += 1;
            }
            let facts = Facts {
                claimed_at: r.claimed_at,
                level: r.level.as_deref(),
                tags: &r.tags,
                tag_exempt: false,
                locked: r.locked,
                open_contract: r.open_contract,
                last_won_at: r.last_won_at.filter(|w| *w <= t),
                last_opportunity_at: r.last_opportunity_at.filter(|o| *o <= t),
                last_follow_up_at: last.map(Instant),
            };
            let out = decide(cp, &facts, t, false);
            match (out.verdict, out.due_at) {
                (PoolVerdict::Recycle, _) => {
                    recycled = Some(day);
                    break;
                }
                (PoolVerdict::Keep | PoolVerdict::Warn, Some(due)) => {
                    // Nothing changes before the due day unless a follow-up is logged first.
                    let due_day = cp.local_date(due);
                    let next_log = acts.get(seen).map(|a| cp.local_date(Instant(a.0)));
                    let next = next_log.map_or(due_day, |l| l.min(due_day));
                    day = next.max(day.succ_opt().unwrap_or(NaiveDate::MAX));
                }
                _ => {
                    // Exempt, or no rule: only a later won deal or opportunity could change it,
                    // and those only ever keep a record longer.
                    break;
                }
            }
        }
        out.push(recycled);
    }
    out
}

pub(crate) fn simulate(
    a: &PoolPolicy,
    b: &PoolPolicy,
    records: &[PoolRecord],
    activities: &[PoolActivity],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<SimulationReport> {
    check_span(from, to)?;
    let mut ids = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        note_record_id(&mut ids, r, i)?;
    }
    let (end, latest) = (AsOf::Date(to), latest_instant(to));
    let m = activities.len();
    let (mut act_rec, mut at, mut logged_at) = (Vec::with_capacity(m), Vec::with_capacity(m), Vec::with_capacity(m));
    let (mut kind, mut actor, mut deleted) = (Vec::with_capacity(m), Vec::with_capacity(m), Vec::with_capacity(m));
    let (mut kinds, mut actors) = (Labels::default(), Labels::default());
    for (j, act) in activities.iter().enumerate() {
        let Some(&i) = ids.get(act.record.as_str()) else {
            return Err(Error::InvalidValue {
                path: format!("activities[{j}].record"),
                reason: format!("record {:?} is not among the records", act.record),
            });
        };
        act_rec.push(i);
        let logged = act.logged_at.unwrap_or(act.at);
        for (field, t) in [("at", act.at), ("logged_at", logged)] {
            if t > latest {
                return Err(Error::DateAfterAsOf {
                    path: format!("activities[{j}].{field}"),
                    date: t.format(chrono_tz::UTC),
                    as_of: end.to_string(),
                });
            }
        }
        at.push(act.at.0);
        logged_at.push(logged.0);
        kind.push(kinds.code(&act.kind));
        actor.push(actors.code(&act.actor));
        deleted.push(act.deleted);
    }
    let log = Log {
        record: &act_rec,
        kind: &kind,
        kinds: kinds.names,
        actor: &actor,
        actors: actors.names,
        at: &at,
        logged: Some(&logged_at),
        deleted: Some(&deleted),
    };
    run(a, b, records, &log, from, to)
}

/// Names numbered in order of first sight, for the record API's activity types and actors.
#[derive(Default)]
struct Labels<'a> {
    numbers: HashMap<&'a str, i32, FxBuild>,
    names: Vec<&'a str>,
}

impl<'a> Labels<'a> {
    fn code(&mut self, name: &'a str) -> i32 {
        let next = self.names.len() as i32; // activities fit i32: at most a few a record
        *self.numbers.entry(name).or_insert_with(|| {
            self.names.push(name);
            next
        })
    }
}

/// `from` not after `to`, and the replay within [`MAX_SIMULATION_DAYS`].
pub(crate) fn check_span(from: NaiveDate, to: NaiveDate) -> Result<()> {
    let span = super::time::days_between(from, to);
    if span < 0 {
        return Err(Error::out_of_range("from", span, 0, MAX_SIMULATION_DAYS - 1));
    }
    crate::limits::check("from", span, (MAX_SIMULATION_DAYS - 1) as u64, "days simulated")
}

/// The latest instant the last day can end at in any zone: activities after it are errors.
pub(crate) fn latest_instant(to: NaiveDate) -> Instant {
    AsOf::Date(to).instant(chrono_tz::Etc::GMTPlus12)
}

/// The activities as the replay reads them, checked by the caller: row `j` is an activity of
/// record `record[j]`, its type and actor codes into `kinds` and `actors` (columns as given,
/// or names numbered by the record API), its instants in ms.
pub(crate) struct Log<'a> {
    /// Each activity's record.
    pub(crate) record: &'a [usize],
    /// Type codes into `kinds`.
    pub(crate) kind: &'a [i32],
    /// Type names.
    pub(crate) kinds: Vec<&'a str>,
    /// Actor codes into `actors`.
    pub(crate) actor: &'a [i32],
    /// Actor names.
    pub(crate) actors: Vec<&'a str>,
    /// When it happened.
    pub(crate) at: &'a [i64],
    /// When it was logged ([`NONE`](super::columns::NONE) or no column: at `at`).
    pub(crate) logged: Option<&'a [i64]>,
    /// Deleted (no column: none is).
    pub(crate) deleted: Option<&'a [bool]>,
}

/// Owners and actors as numbers, equal names one number, for both policies' replays.
struct People<'a> {
    /// Each record's owner.
    owner: Vec<u32>,
    /// Each actor code's number (`u32::MAX`: owns no record).
    actor: Vec<u32>,
    /// The owners' names, by number.
    names: Vec<&'a str>,
}

impl<'a> People<'a> {
    fn of(records: &'a [PoolRecord], log: &Log) -> Self {
        let mut ids: HashMap<&str, u32, FxBuild> = HashMap::default();
        let mut names = Vec::new();
        let owner = records
            .iter()
            .map(|r| {
                let next = ids.len() as u32; // records fit u32: checked by the callers
                *ids.entry(r.owner.as_str()).or_insert_with(|| {
                    names.push(r.owner.as_str());
                    next
                })
            })
            .collect();
        let actor = log.actors.iter().map(|a| ids.get(a).copied().unwrap_or(u32::MAX)).collect();
        Self { owner, actor, names }
    }
}

/// An activity as a record's replay reads it, in 24 bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    logged: i64,
    at: i64,
    /// Actor code.
    actor: u32,
    /// Type code.
    kind: u32,
}

/// Each record's activities that could count under some pool of either policy (not deleted,
/// not dated after their logging, of a type and within a back-dating limit some pool counts),
/// by logged time, grouped by record once for both replays (a counting sort into one buffer):
/// the activities come in any record order, and reading each one's record was a cache miss a
/// row, twice.
struct Grouped {
    offsets: Vec<usize>,
    entries: Vec<Entry>,
}

impl Grouped {
    fn of(n: usize, log: &Log, policies: &[&Prepared]) -> Self {
        let pools = || policies.iter().flat_map(|p| p.pools.iter().zip(&p.type_ok));
        let type_any: Vec<bool> = (0..log.kinds.len()).map(|k| pools().any(|(_, ok)| ok[k])).collect();
        let backdate_ms: Option<i64> = pools()
            .map(|(cp, _)| cp.pool.follow_up.backdate_limit_hours)
            .try_fold(0i64, |most, h| h.map(|h| most.max(h.saturating_mul(3_600_000))));
        let logged = |j: usize| log.logged.map_or(log.at[j], |l| if l[j] == NONE { log.at[j] } else { l[j] });
        let keep = |j: usize| {
            let (at, logged) = (log.at[j], logged(j));
            !log.deleted.is_some_and(|d| d[j])
                && at <= logged
                && type_any[log.kind[j] as usize]
                && backdate_ms.is_none_or(|b| logged - at <= b)
        };
        let mut offsets = vec![0usize; n + 1];
        for (j, &i) in log.record.iter().enumerate() {
            if keep(j) {
                offsets[i + 1] += 1;
            }
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut entries = vec![Entry::default(); offsets[n]];
        let mut fill = offsets.clone();
        for (j, &i) in log.record.iter().enumerate() {
            if keep(j) {
                // Codes were checked against their labels: not negative.
                entries[fill[i]] =
                    Entry { logged: logged(j), at: log.at[j], actor: log.actor[j] as u32, kind: log.kind[j] as u32 };
                fill[i] += 1;
            }
        }
        drop(fill);
        // By (logged, at): filtering keeps the order, and equal keys are equal values.
        for i in 0..n {
            entries[offsets[i]..offsets[i + 1]].sort_unstable_by_key(|e| (e.logged, e.at));
        }
        Self { offsets, entries }
    }

    /// Record `i`'s activities.
    fn of_record(&self, i: usize) -> &[Entry] {
        &self.entries[self.offsets[i]..self.offsets[i + 1]]
    }
}

/// The replay under both policies, on checked rows.
pub(crate) fn run(
    a: &PoolPolicy,
    b: &PoolPolicy,
    records: &[PoolRecord],
    log: &Log,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<SimulationReport> {
    a.validate().map_err(|e| e.under("a"))?;
    b.validate().map_err(|e| e.under("b"))?;
    let people = People::of(records, log);
    let (a, b) = (Prepared::of(a, records, log, to)?, Prepared::of(b, records, log, to)?);
    let grouped = Grouped::of(records.len(), log, &[&a, &b]);
    let days_a = replay(&a, records, log, &grouped, &people, from, to);
    let days_b = replay(&b, records, log, &grouped, &people, from, to);
    drop(grouped);
    // Owners by name: a rank a number, so that lines sort as numbers.
    let mut by_name: Vec<u32> = (0..people.names.len() as u32).collect();
    by_name.sort_unstable_by_key(|&k| people.names[k as usize]);
    let mut rank = vec![0u32; by_name.len()];
    for (r, &k) in by_name.iter().enumerate() {
        rank[k as usize] = r as u32;
    }
    let mut dates = Vec::new();
    let mut day = from;
    while day <= to {
        dates.push(day);
        day = day.succ_opt().unwrap_or(NaiveDate::MAX);
    }
    let mut days = vec![(0u64, 0u64); dates.len()];
    let mut owners = vec![(0u64, 0u64); by_name.len()];
    // A recycled record as (day, owner's rank, policy) in one number; the replay recycles
    // within the span (fewer than 2^12 days) only.
    let mut keys: Vec<u64> = Vec::new();
    let (mut total_a, mut total_b) = (0, 0);
    for (i, &o) in people.owner.iter().enumerate() {
        for (which, d) in [(0u64, days_a[i]), (1, days_b[i])] {
            let Some(d) = d else { continue };
            let day = d.signed_duration_since(from).num_days() as usize;
            let place = rank[o as usize];
            keys.push((day as u64) << 33 | u64::from(place) << 1 | which);
            let bump = |e: &mut (u64, u64)| if which == 0 { e.0 += 1 } else { e.1 += 1 };
            bump(&mut days[day]);
            bump(&mut owners[place as usize]);
            if which == 0 {
                total_a += 1;
            } else {
                total_b += 1;
            }
        }
    }
    keys.sort_unstable();
    let lines = keys
        .chunk_by(|x, y| x >> 1 == y >> 1)
        .map(|run| {
            let b = run.iter().filter(|k| *k & 1 == 1).count() as u64;
            let owner = people.names[by_name[(run[0] >> 1 & u64::from(u32::MAX)) as usize] as usize];
            SimulationLine { date: dates[(run[0] >> 33) as usize], owner: owner.to_owned(), a: run.len() as u64 - b, b }
        })
        .collect();
    Ok(SimulationReport {
        lines,
        days: dates
            .iter()
            .zip(days)
            .map(|(d, (a, b))| SimulationTotal { key: d.format("%Y-%m-%d").to_string(), a, b })
            .collect(),
        owners: by_name
            .iter()
            .zip(owners)
            .filter(|(_, n)| *n != (0, 0))
            .map(|(&k, (a, b))| SimulationTotal { key: people.names[k as usize].to_owned(), a, b })
            .collect(),
        total: SimulationTotal { key: "total".into(), a: total_a, b: total_b },
    })
}
