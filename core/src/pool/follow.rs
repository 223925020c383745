//! The activity pass of the columnar path: each record's latest effective follow-up.
//!
//! Ten million activities point at a million records in any order. Reading the record for
//! each would be a cache miss per row, which is most of the time of a naive loop; so rows
//! are first screened on what they carry themselves (deleted, future-dated, a type no pool
//! counts, back-dated past every pool's limit), and the survivors are bucketed by record
//! block, so that the records of one bucket (8,192 of them, 128 KB) stay in cache while its
//! rows are applied.

use super::columns::{ActivityColumns, NONE};
use super::eval::{after_as_of, Effect};
use super::policy::{CompiledPool, FollowUpActor};
use super::time::Instant;
use crate::error::{Error, Result};

/// A record as the activity pass sees it, in 16 bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    /// One ms before the claim, then the latest effective follow-up: "after the claim and
    /// after the latest so far" is one comparison.
    pub(crate) floor: i64,
    /// Owner code.
    pub(crate) owner: i32,
    /// Index of its pool in try order.
    pub(crate) pool: u32,
}

/// Each record's team members as actor codes, grouped by record.
pub(crate) struct Team {
    offsets: Vec<usize>,
    members: Vec<i32>,
}

impl Team {
    /// Groups `(record, actor code)` rows by record; codes below 0 (a user who never acts)
    /// are left out.
    pub(crate) fn group(n: usize, records: &[i32], codes: impl Iterator<Item = i32> + Clone) -> Self {
        let mut offsets = vec![0usize; n + 1];
        for (&i, c) in records.iter().zip(codes.clone()) {
            if c >= 0 {
                offsets[i as usize + 1] += 1;
            }
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut members = vec![0; offsets[n]];
        for (&i, c) in records.iter().zip(codes) {
            if c >= 0 {
                members[fill[i as usize]] = c;
                fill[i as usize] += 1;
            }
        }
        Self { offsets, members }
    }

    fn has(&self, record: usize, actor: i32) -> bool {
        self.members[self.offsets[record]..self.offsets[record + 1]].contains(&actor)
    }
}

/// What the pass knows of the pools.
pub(crate) struct Pass<'a, 'p> {
    pub(crate) pools: &'a [CompiledPool<'p>],
    /// Each pool's `as_of`.
    pub(crate) now: &'a [Instant],
    /// Per pool, whether each activity type label counts.
    pub(crate) type_ok: &'a [Vec<bool>],
    /// Per actor label, its owner code (-1: owns nothing).
    pub(crate) actor_as_owner: &'a [i32],
    /// Team members, when a pool counts its team's follow-ups and the records have teams.
    pub(crate) team: Option<&'a Team>,
}

/// A screened row: its record, contact and logging instants, type code.
struct Row {
    i: usize,
    at: i64,
    logged: i64,
    kind: usize,
}

/// Rows applied per round: bounds the buckets' memory (64 MB) whatever the log's length,
/// while a round is long enough for a bucket's records to be hit several times each.
const CHUNK: usize = 1 << 22;
/// Records per bucket, as a shift.
const BLOCK: u32 = 13;

/// A surviving row in a bucket.
#[derive(Clone, Copy)]
struct Hit {
    rec: u32,
    /// Actor code.
    actor: i32,
    at: i64,
}

/// The tests a row passes or fails on what it carries.
struct Screen<'s, 'a, 'p> {
    pass: &'s Pass<'s, 'p>,
    a: &'s ActivityColumns<'a>,
    n: usize,
    now_min: i64,
    type_any: Vec<bool>,
    backdate_ms: Option<i64>,
}

impl Screen<'_, '_, '_> {
    /// Whether `actor` (a code of the activities' actors) counts for record `i` under `who`.
    #[inline]
    fn actor_counts(&self, who: FollowUpActor, slot: &Slot, i: usize, actor: i32) -> bool {
        match who {
            FollowUpActor::Anyone => true,
            FollowUpActor::Owner => self.pass.actor_as_owner[actor as usize] == slot.owner,
            FollowUpActor::Team => {
                self.pass.actor_as_owner[actor as usize] == slot.owner
                    || self.pass.team.is_some_and(|t| t.has(i, actor))
            }
        }
    }

    /// Row `j` if some pool may count it; the error of a row that is not valid.
    // Called once per row of ten million: measured 5-10 % faster inlined.
    #[allow(clippy::inline_always, clippy::many_single_char_names)]
    #[inline(always)]
    fn row(&self, slots: &[Slot], j: usize) -> Result<Option<Row>> {
        let (a, n) = (self.a, self.n);
        let rec = a.record[j];
        if rec < 0 || rec as usize >= n {
            return Err(Error::out_of_range(format!("activity_record[{j}]"), rec, 0, n as i64 - 1));
        }
        let i = rec as usize;
        let at = a.at[j];
        let logged = a.logged_at.map_or(at, |l| if l[j] == NONE { at } else { l[j] });
        if at > self.now_min || logged > self.now_min {
            let p = slots[i].pool as usize;
            let now = self.pass.now[p];
            if at > now.0 || logged > now.0 {
                let (field, t) = if at > now.0 { ("activity_at", at) } else { ("activity_logged_at", logged) };
                return Err(after_as_of(format!("{field}[{j}]"), Instant(t), now, &self.pass.pools[p]));
            }
        }
        let kind = a.kind.codes[j] as usize;
        let refused = a.deleted.is_some_and(|d| d[j])
            || !self.type_any[kind]
            || at > logged
            || self.backdate_ms.is_some_and(|b| logged - at > b);
        Ok((!refused).then_some(Row { i, at, logged, kind }))
    }
}

impl Pass<'_, '_> {
    /// Raises each slot's `floor` to its record's latest effective follow-up.
    ///
    /// Errors are those of the first offending row, as a plain loop in row order gives them.
    #[allow(clippy::many_single_char_names)]
    pub(crate) fn run(&self, slots: &mut [Slot], a: &ActivityColumns) -> Result<()> {
        let pools = self.pools;
        let kinds = a.kind.labels.len();
        let type_any: Vec<bool> = (0..kinds).map(|k| self.type_ok.iter().any(|t| t[k])).collect();
        let backdate_ms: Option<i64> = pools
            .iter()
            .map(|cp| cp.pool.follow_up.backdate_limit_hours)
            .try_fold(0i64, |most, h| h.map(|h| most.max(h.saturating_mul(3_600_000))));
        // Below the earliest as_of of any pool an instant cannot be after its record's.
        let now_min = self.now.iter().map(|t| t.0).min().unwrap_or(i64::MAX);
        let n = slots.len();
        let m = a.at.len();
        let screen = Screen { pass: self, a, n, now_min, type_any, backdate_ms };
        let Some(first) = pools.first() else {
            // No pool takes a record, so there is none: any row points nowhere.
            return if m == 0 { Ok(()) } else { screen.row(slots, 0).map(|_| ()) };
        };
        let uniform = pools.iter().zip(self.type_ok).all(|(cp, t)| {
            *t == self.type_ok[0]
                && cp.pool.follow_up.backdate_limit_hours == first.pool.follow_up.backdate_limit_hours
                && cp.pool.follow_up.actor == first.pool.follow_up.actor
        });
        if !uniform {
            // Pools count differently: the exact test needs each row's pool, so read it here.
            for j in 0..m {
                let Some(row) = screen.row(slots, j)? else { continue };
                let slot = &mut slots[row.i];
                if row.at <= slot.floor {
                    continue;
                }
                let p = slot.pool as usize;
                let cp = &pools[p];
                let actor_ok = screen.actor_counts(cp.pool.follow_up.actor, slot, row.i, a.actor.codes[j]);
                if Effect::of(cp, false, self.type_ok[p][row.kind], actor_ok, row.at, row.logged) == Effect::Effective {
                    slot.floor = row.at;
                }
            }
            return Ok(());
        }
        // Every pool counts alike: the screen is the whole test but for the actor.
        let who = first.pool.follow_up.actor;
        let mut buckets: Vec<Vec<Hit>> = vec![Vec::new(); (n >> BLOCK) + 1];
        let mut start = 0;
        while start < m {
            let end = m.min(start + CHUNK);
            for j in start..end {
                let Some(row) = screen.row(slots, j)? else { continue };
                // n ≤ i32::MAX rows: the record fits 32 bits.
                buckets[row.i >> BLOCK].push(Hit { rec: row.i as u32, actor: a.actor.codes[j], at: row.at });
            }
            for bucket in &mut buckets {
                for h in bucket.iter() {
                    let slot = &mut slots[h.rec as usize];
                    if h.at > slot.floor && screen.actor_counts(who, slot, h.rec as usize, h.actor) {
                        slot.floor = h.at;
                    }
                }
                bucket.clear();
            }
            start = end;
        }
        Ok(())
    }
}
