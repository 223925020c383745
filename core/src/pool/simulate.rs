//! A/B simulation: replay a historical book day by day under two policies and count the
//! records each would have recycled, per owner and day.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::eval::{decide, find_pool, note_record_id, Effect, Facts, PoolActivity, PoolRecord, PoolVerdict};
use super::policy::{CompiledPool, DayUnit, FollowUpActor, PoolPolicy, MAX_LIMIT};
use super::time::{AsOf, Instant};
use crate::error::{Error, Result};
use crate::hash::FxBuild;

/// Longest replay, in days.
pub const MAX_SIMULATION_DAYS: i64 = 3660;

/// Recycled records of one owner on one day, under each policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
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
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
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

/// The day each record is first recycled under one policy, replayed from `from` to `to`.
///
/// A nightly job at the end of each day sees the activities logged by then: a record is
/// recycled on the first day whose end reaches its due time as computed from those.
/// Recomputing only when newly logged activities could move the due time keeps this at a
/// few decisions per record, whatever the length of the replay.
fn replay<'a>(
    policy: &PoolPolicy,
    records: &[PoolRecord],
    activity: &impl Fn(usize) -> Follow<'a>,
    act_rec: &[usize],
    people: &People,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Option<NaiveDate>>> {
    let mut pools = policy.compile()?;
    let pool_of: Vec<usize> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let values = [
                Some(r.owner.as_str()),
                r.department.as_deref(),
                r.region.as_deref(),
                r.product_line.as_deref(),
                r.level.as_deref(),
            ];
            find_pool(&pools, values).ok_or_else(|| Error::NoPool {
                path: format!("records[{i}]"),
                record: r.id.clone(),
                owner: r.owner.clone(),
            })
        })
        .collect::<Result<_>>()?;
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
    // Effective follow-ups per record as (logged, at), grouped by record (a counting sort into
    // one buffer rather than a vector per record), each record's by logged time.
    // What the pass reads of an activity's record, 16 bytes a record: its activities come in
    // any order, and a record itself (and its owner's name) is a cache miss each.
    let compact: Vec<(i64, u32, u32)> = records
        .iter()
        .zip(&pool_of)
        .zip(&people.owner)
        .map(|((r, &pool), &owner)| (r.claimed_at.0, owner, pool as u32)) // a policy's pool: few
        .collect();
    let mut effective = Vec::with_capacity(act_rec.len());
    for (j, &i) in act_rec.iter().enumerate() {
        let (claimed_at, owner, pool) = compact[i];
        let (cp, a) = (&pools[pool as usize], activity(j));
        let type_counts = cp.types.is_empty() || cp.types.contains(a.kind);
        let by_owner = people.actor[j] == owner; // the same name: the same number
        let actor_counts = match cp.pool.follow_up.actor {
            FollowUpActor::Anyone => true,
            FollowUpActor::Owner => by_owner,
            FollowUpActor::Team => by_owner || records[i].team.iter().any(|m| m == a.actor),
        };
        let logged = a.logged;
        if Effect::of(cp, a.deleted, type_counts, actor_counts, a.at.0, logged.0) == Effect::Effective
            && a.at.0 >= claimed_at
        {
            effective.push((i, logged.0, a.at.0));
        }
    }
    let mut offsets = vec![0usize; records.len() + 1];
    for &(i, ..) in &effective {
        offsets[i + 1] += 1;
    }
    for i in 0..records.len() {
        offsets[i + 1] += offsets[i];
    }
    let mut follow = vec![(0i64, 0i64); effective.len()];
    let mut fill = offsets.clone();
    for &(i, logged, at) in &effective {
        follow[fill[i]] = (logged, at);
        fill[i] += 1;
    }
    drop(effective);
    let mut out = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let cp: &CompiledPool = &pools[pool_of[i]];
        // The end of a day in the pool's zone, as `AsOf::Date(d)` stands for it.
        let end_of = |d: NaiveDate| d.succ_opt().map_or(Instant(i64::MAX), |next| Instant(cp.day_start(next).0 - 1));
        let acts = &mut follow[offsets[i]..offsets[i + 1]];
        acts.sort_unstable();
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
    Ok(out)
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
    let mut act_rec = Vec::with_capacity(activities.len());
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
    }
    run(a, b, records, &|j| Follow::from(&activities[j]), &act_rec, from, to)
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

/// An activity as the replay reads it: borrowed from a [`PoolActivity`] or from columns (no
/// activity a row to build for them).
pub(crate) struct Follow<'a> {
    /// Its type.
    pub(crate) kind: &'a str,
    /// Who logged it.
    pub(crate) actor: &'a str,
    /// Deleted?
    pub(crate) deleted: bool,
    /// When it happened.
    pub(crate) at: Instant,
    /// When it was logged (`at` when not given).
    pub(crate) logged: Instant,
}

impl<'a> From<&'a PoolActivity> for Follow<'a> {
    fn from(a: &'a PoolActivity) -> Self {
        Self { kind: &a.kind, actor: &a.actor, deleted: a.deleted, at: a.at, logged: a.logged_at.unwrap_or(a.at) }
    }
}

/// Owners and actors as numbers, equal names one number, for both policies' replays.
struct People {
    /// Each record's owner.
    owner: Vec<u32>,
    /// Each activity's actor (`u32::MAX`: owns no record).
    actor: Vec<u32>,
}

impl People {
    fn of<'a>(records: &[PoolRecord], activity: &impl Fn(usize) -> Follow<'a>, activities: usize) -> Self {
        let mut ids: HashMap<&str, u32, FxBuild> = HashMap::default();
        let owner = records
            .iter()
            .map(|r| {
                let next = ids.len() as u32; // records fit u32: checked by the callers
                *ids.entry(r.owner.as_str()).or_insert(next)
            })
            .collect();
        let actor = (0..activities).map(|j| ids.get(activity(j).actor).copied().unwrap_or(u32::MAX)).collect();
        Self { owner, actor }
    }
}

/// The replay under both policies, on checked rows (`act_rec[j]`: activity `j`'s record,
/// `activity(j)` the activity).
pub(crate) fn run<'a>(
    a: &PoolPolicy,
    b: &PoolPolicy,
    records: &[PoolRecord],
    activity: &impl Fn(usize) -> Follow<'a>,
    act_rec: &[usize],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<SimulationReport> {
    a.validate().map_err(|e| e.under("a"))?;
    b.validate().map_err(|e| e.under("b"))?;
    let people = People::of(records, activity, act_rec.len());
    let days_a = replay(a, records, activity, act_rec, &people, from, to)?;
    let days_b = replay(b, records, activity, act_rec, &people, from, to)?;
    let mut lines: BTreeMap<(NaiveDate, &str), (u64, u64)> = BTreeMap::new();
    let mut days: BTreeMap<NaiveDate, (u64, u64)> = BTreeMap::new();
    let mut owners: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut day = from;
    while day <= to {
        days.insert(day, (0, 0));
        day = day.succ_opt().unwrap_or(NaiveDate::MAX);
    }
    let (mut total_a, mut total_b) = (0, 0);
    for (i, r) in records.iter().enumerate() {
        for (which, d) in [(0, days_a[i]), (1, days_b[i])] {
            let Some(d) = d else { continue };
            let bump = |e: &mut (u64, u64)| if which == 0 { e.0 += 1 } else { e.1 += 1 };
            bump(lines.entry((d, r.owner.as_str())).or_default());
            bump(days.entry(d).or_default());
            bump(owners.entry(r.owner.as_str()).or_default());
            if which == 0 {
                total_a += 1;
            } else {
                total_b += 1;
            }
        }
    }
    Ok(SimulationReport {
        lines: lines
            .into_iter()
            .map(|((date, owner), (a, b))| SimulationLine { date, owner: owner.to_owned(), a, b })
            .collect(),
        days: days
            .into_iter()
            .map(|(d, (a, b))| SimulationTotal { key: d.format("%Y-%m-%d").to_string(), a, b })
            .collect(),
        owners: owners.into_iter().map(|(o, (a, b))| SimulationTotal { key: o.to_owned(), a, b }).collect(),
        total: SimulationTotal { key: "total".into(), a: total_a, b: total_b },
    })
}
