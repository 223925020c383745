//! `simulate_pool` over columns: the book a columnar `evaluate_pool_columns` reads, replayed
//! under two policies without one Python or JS object per row.
//!
//! The columns are checked with the columnar paths (`claimed_at[i]`, `activity_at[j]`...), then
//! the records laid out as the record API's rows in Rust (labels shared by reference count
//! would not pay: the replay compares owners and actors by name a few times per record) and
//! replayed by the same code as [`super::simulate_pool`], so both give the same report. The
//! activity columns are read as they are (as a row each, their kind and actor cloned, they
//! were 20 million `String`s at a million records).

use chrono::NaiveDate;

use super::columns::{
    check_activities, check_records, ActivityColumns, CodeColumn, MemberColumns, RecordColumns, NONE,
};
use super::eval::PoolRecord;
use super::policy::PoolPolicy;
use super::simulate::{check_span, latest_instant, run, Log, SimulationReport};
use super::time::{AsOf, Instant};
use crate::error::{Error, Result};

pub(crate) fn simulate(
    a: &PoolPolicy,
    b: &PoolPolicy,
    recs: &RecordColumns,
    acts: &ActivityColumns,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<SimulationReport> {
    check_span(from, to)?;
    let n = check_records(recs)?;
    check_activities(acts)?;
    let latest = latest_instant(to);
    let mut act_rec = Vec::with_capacity(acts.at.len());
    for (j, &row) in acts.record.iter().enumerate() {
        let rec = usize::try_from(row).ok().filter(|&k| k < n);
        act_rec.push(rec.ok_or_else(|| Error::out_of_range(format!("activity_record[{j}]"), row, 0, n as i64 - 1))?);
        let at = acts.at[j];
        let logged = acts.logged_at.map_or(NONE, |l| l[j]);
        for (name, t) in [("activity_at", at), ("activity_logged_at", if logged == NONE { at } else { logged })] {
            if t > latest.0 {
                return Err(Error::DateAfterAsOf {
                    path: format!("{name}[{j}]"),
                    date: Instant(t).format(chrono_tz::UTC),
                    as_of: AsOf::Date(to).to_string(),
                });
            }
        }
    }
    let label =
        |c: Option<CodeColumn>, i: usize| c.and_then(|c| usize::try_from(c.codes[i]).ok().map(|k| c.labels[k].clone()));
    let opt = |col: Option<&[i64]>, i: usize| col.map(|c| c[i]).filter(|t| *t != NONE).map(Instant);
    let team = members(recs.team, n);
    let tags = members(recs.tags, n);
    let records: Vec<PoolRecord> = (0..n)
        .map(|i| PoolRecord {
            id: i.to_string(),
            owner: recs.owner.labels[recs.owner.codes[i] as usize].clone(),
            claimed_at: Instant(recs.claimed_at[i]),
            department: label(recs.department, i),
            region: label(recs.region, i),
            product_line: label(recs.product_line, i),
            level: label(recs.level, i),
            team: team.get(i).cloned().unwrap_or_default(),
            tags: tags.get(i).cloned().unwrap_or_default(),
            locked: recs.locked.is_some_and(|c| c[i]),
            open_contract: recs.open_contract.is_some_and(|c| c[i]),
            last_won_at: opt(recs.last_won_at, i),
            last_opportunity_at: opt(recs.last_opportunity_at, i),
        })
        .collect();
    // The replay reads the activity columns as they are.
    let log = Log {
        record: &act_rec,
        kind: acts.kind.codes,
        kinds: acts.kind.labels.iter().map(String::as_str).collect(),
        actor: acts.actor.codes,
        actors: acts.actor.labels.iter().map(String::as_str).collect(),
        at: acts.at,
        logged: acts.logged_at,
        deleted: acts.deleted,
    };
    run(a, b, &records, &log, from, to)
}

/// A member table as each record's list of labels (empty when there is no table).
fn members(table: Option<MemberColumns>, n: usize) -> Vec<Vec<String>> {
    let Some(t) = table else { return Vec::new() };
    let mut out = vec![Vec::new(); n];
    for (&i, &c) in t.record.iter().zip(t.value.codes) {
        out[i as usize].push(t.value.labels[c as usize].clone());
    }
    out
}
