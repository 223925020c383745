//! A stage-change log read once for [`funnel_history`](super::funnel_history) and
//! [`backtest`](super::backtest): each event checked in log order, its stage as a code and its
//! day as a number, and the events grouped by deal (deals in the order the log first names
//! them, each deal's events by day, log order breaking ties).
//!
//! Grouping ten million events by a string id through one map of millions of ids misses the
//! cache on nearly every lookup (3 to 8 s, most of it hashing and comparing ids). Here the ids
//! are hashed once, in log order; the events are partitioned by the top bits of the hash into
//! parts of about a thousand events, each part grouped with a small table that stays in
//! cache, and two ids are compared only when their 64-bit hashes are equal. Ids are compared
//! in full, so a hash collision costs a comparison, never a wrong grouping.

use chrono::{Datelike, NaiveDate};

use super::history::StageEvent;
use crate::error::{Error, Result};

/// One event of a deal: its day (days from the Common Era, `NaiveDate::num_days_from_ce`),
/// its index in the log, its stage's index in the policy.
pub(super) type Visit = (i32, u32, u32);

/// The log by deal.
pub(super) struct DealLog {
    /// Every deal's visits side by side, each deal's sorted by (day, index).
    visits: Vec<Visit>,
    /// Deal `p`'s visits are `visits[start[p]..start[p + 1]]` (deals in grouping order).
    start: Vec<usize>,
    /// The deals in the order the log first names them.
    order: Vec<u32>,
    /// Each deal's place in that order.
    rank: Vec<u32>,
}

impl DealLog {
    /// Deals in the log.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// The `p`-th deal as stored (deals side by side in memory: the fast order to read them
    /// in): its place in the log's order, and its visits.
    pub fn stored(&self, p: usize) -> (usize, &[Visit]) {
        (self.rank[p] as usize, &self.visits[self.start[p]..self.start[p + 1]])
    }

    /// The visits of the `d`-th deal the log names (0-based), sorted by (day, index).
    pub fn deal(&self, d: usize) -> &[Visit] {
        let p = self.order[d] as usize;
        &self.visits[self.start[p]..self.start[p + 1]]
    }
}

/// The day number of a date (what [`Visit`] holds).
pub(super) fn day(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// The date of a day number (`None` outside chrono's range, which no event's day is).
pub(super) fn date(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day)
}

/// Events per part of the partition: its table of ids then fits in the first cache levels.
const PART: usize = 1024;

/// Reads the log against the policy's stage names: `unknown_stage` at `events[i].stage`,
/// `date_after_as_of` at `events[i].on`, `negative_amount` at `events[i].amount`, for the
/// first event in log order that has one (each event's checks in that order).
pub(super) fn read<'s>(
    stages: impl Iterator<Item = &'s str>,
    events: &[StageEvent],
    as_of: NaiveDate,
) -> Result<DealLog> {
    let index = StageIndex::new(stages);
    let n = events.len();
    if u32::try_from(n).is_err() {
        return Err(Error::overflow("events"));
    }
    // Partition by the hash's top bits (a counting sort, log order kept within a part).
    let bits = (n / PART).max(1).ilog2().min(16);
    let part_of = |h: u64| if bits == 0 { 0 } else { (h >> (64 - bits)) as usize };
    let mut bounds = vec![0usize; (1 << bits) + 1];
    let mut byte_bounds = vec![0usize; (1 << bits) + 1];
    let mut read = Vec::with_capacity(n);
    for (i, e) in events.iter().enumerate() {
        let stage = index
            .get(&e.stage)
            .ok_or_else(|| Error::UnknownStage { path: format!("events[{i}].stage"), name: e.stage.clone() })?;
        if e.on > as_of {
            return Err(Error::DateAfterAsOf {
                path: format!("events[{i}].on"),
                date: e.on.to_string(),
                as_of: as_of.to_string(),
            });
        }
        if let Some(a) = e.amount.filter(|a| a.is_sign_negative() && !a.is_zero()) {
            return Err(Error::NegativeAmount { path: format!("events[{i}].amount"), value: a.to_string() });
        }
        let h = id_hash(&e.deal);
        bounds[part_of(h) + 1] += 1;
        byte_bounds[part_of(h) + 1] += e.deal.len();
        read.push((h, day(e.on), stage));
    }
    for p in 0..1 << bits {
        bounds[p + 1] += bounds[p];
        byte_bounds[p + 1] += byte_bounds[p];
    }
    // Each part's events side by side, with their ids' bytes side by side: grouping a part
    // then reads memory in order, not one event here and one there.
    let (mut fill, mut byte_fill) = (bounds.clone(), byte_bounds.clone());
    let mut parted: Vec<(u64, u32, i32, u32)> = vec![(0, 0, 0, 0); n];
    let mut id_at = vec![0usize; n + 1];
    let mut ids = vec![0u8; byte_bounds[1 << bits]];
    for (i, (&(h, day, stage), e)) in read.iter().zip(events).enumerate() {
        let p = part_of(h);
        parted[fill[p]] = (h, i as u32, day, stage);
        id_at[fill[p]] = byte_fill[p];
        ids[byte_fill[p]..byte_fill[p] + e.deal.len()].copy_from_slice(e.deal.as_bytes());
        fill[p] += 1;
        byte_fill[p] += e.deal.len();
    }
    id_at[n] = ids.len();
    drop((read, fill, byte_fill));
    let id = |k: usize| &ids[id_at[k]..id_at[k + 1]];
    // Each part: its deals (in the order the part meets them, which is log order), their
    // visits side by side in `visits`, each deal's sorted.
    let mut visits: Vec<Visit> = Vec::with_capacity(n);
    let mut start: Vec<usize> = Vec::new();
    let mut first: Vec<u32> = Vec::new();
    let mut table: Vec<u32> = Vec::new();
    // Per deal of the part: its hash, its first event's place in `parted`, its event count.
    let (mut local_hash, mut local_first, mut local_count, mut local_of) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for p in 0..1 << bits {
        let part = bounds[p]..bounds[p + 1];
        if part.is_empty() {
            continue;
        }
        let size = (part.len() * 2).next_power_of_two();
        table.clear();
        table.resize(size, 0);
        local_hash.clear();
        local_first.clear();
        local_count.clear();
        local_of.clear();
        for k in part.clone() {
            let h = parted[k].0;
            // Lower bits for the slot: the top ones chose the part.
            let mut slot = (h as usize) & (size - 1);
            let d = loop {
                match table[slot] {
                    0 => {
                        local_hash.push(h);
                        local_first.push(k);
                        local_count.push(0u32);
                        table[slot] = local_hash.len() as u32;
                        break local_hash.len() - 1;
                    }
                    t => {
                        let d = t as usize - 1;
                        if local_hash[d] == h && id(local_first[d]) == id(k) {
                            break d;
                        }
                    }
                }
                slot = (slot + 1) & (size - 1);
            };
            local_count[d] += 1;
            local_of.push(d as u32);
        }
        let base = visits.len();
        let mut at = base;
        let deal0 = start.len();
        for (d, count) in local_count.iter_mut().enumerate() {
            start.push(at);
            first.push(parted[local_first[d]].1);
            // From here on, the deal's next free slot (from the part's base).
            let c = std::mem::replace(count, (at - base) as u32);
            at += c as usize;
        }
        visits.resize(at, (0, 0, 0));
        for (&(_, i, day, stage), &d) in parted[part].iter().zip(&local_of) {
            let slot = base + local_count[d as usize] as usize;
            visits[slot] = (day, i, stage);
            local_count[d as usize] += 1;
        }
        for d in deal0..start.len() {
            let end = if d + 1 < start.len() { start[d + 1] } else { at };
            visits[start[d]..end].sort_unstable();
        }
    }
    start.push(visits.len());
    // The deals in first-named order: each deal's first event marks its place in the log.
    let mut at_event = vec![u32::MAX; n];
    for (p, &i) in first.iter().enumerate() {
        at_event[i as usize] = p as u32;
    }
    let order: Vec<u32> = at_event.into_iter().filter(|&p| p != u32::MAX).collect();
    let mut rank = vec![0u32; order.len()];
    for (r, &p) in order.iter().enumerate() {
        rank[p as usize] = r as u32;
    }
    Ok(DealLog { visits, start, order, rank })
}

/// The policy's stage names by hash: one short hash and one comparison per event.
struct StageIndex<'s> {
    /// Slot → stage index + 1 (0: empty).
    table: Vec<u32>,
    names: Vec<(&'s str, u64)>,
}

impl<'s> StageIndex<'s> {
    fn new(stages: impl Iterator<Item = &'s str>) -> Self {
        let names: Vec<(&str, u64)> = stages.map(|s| (s, id_hash(s))).collect();
        let size = (names.len() * 2).max(2).next_power_of_two();
        let mut table = vec![0u32; size];
        for (i, &(name, h)) in names.iter().enumerate() {
            let mut slot = (h as usize) & (size - 1);
            // A repeated name keeps its last index, as a map collected from the list would.
            while table[slot] != 0 && names[table[slot] as usize - 1].0 != name {
                slot = (slot + 1) & (size - 1);
            }
            table[slot] = i as u32 + 1;
        }
        Self { table, names }
    }

    fn get(&self, name: &str) -> Option<u32> {
        let h = id_hash(name);
        let mut slot = (h as usize) & (self.table.len() - 1);
        loop {
            match self.table[slot] {
                0 => return None,
                t => {
                    let (known, kh) = self.names[t as usize - 1];
                    if kh == h && known == name {
                        return Some(t - 1);
                    }
                }
            }
            slot = (slot + 1) & (self.table.len() - 1);
        }
    }
}

/// The 64-bit hash of a deal id (eight bytes at a time, multiplied and rotated, then mixed
/// as splitmix64 does), so that both its top bits (the part) and its low bits (the slot in
/// the part's table) vary. Not a defence against chosen collisions: those cost comparisons
/// within one part, never a wrong grouping.
fn id_hash(id: &str) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let bytes = id.as_bytes();
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = (h.rotate_left(5) ^ u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])).wrapping_mul(K);
    }
    let mut rest = [0u8; 8];
    rest[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h.rotate_left(5) ^ u64::from_le_bytes(rest)).wrapping_mul(K);
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}
