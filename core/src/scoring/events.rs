//! The batch pass's event accumulators, event-rule-major: a block's events are first split by
//! type (one pass, in lead order), then each event rule runs one branch-free loop over the
//! events of its types, with what it keeps of an event (newest age, summed decay factors,
//! the factors themselves) fixed for the whole loop. A per-event dispatch over the rules of
//! the event's type mispredicted several branches per event; these loops mispredict none.
//!
//! Every accumulator gets the record pass's ([`Compiled::score_row`]'s) bits: counts and the
//! newest age do not depend on order; summed factors are added in the same (event) order,
//! since an event rule of several types reads one list of its types' events in lead order;
//! capped rules sum their largest factors in the same descending order.

// `&` between booleans on purpose: no branch per event on whether it counts.
#![allow(clippy::needless_bitwise_bool)]

use super::columns::NO_DATE;
use super::eval::Compiled;

/// Bucket entries for which room is made without counting (8 MB).
const ROOM: usize = 1 << 20;

/// What an event rule keeps of each qualifying event (besides counting it).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Once per lead: the newest event's age.
    Newest,
    /// Once per lead, at least one event (`min_count` ≤ 1): the newest of its types' newest
    /// ages ([`Events::least`], shared with every such rule of those types), if within the
    /// window. The newest event within the window is the newest event, when any is within it,
    /// so one pass per type serves every window: no pass of its own over the events.
    Least,
    /// Per event: the sum of the decay factors.
    Sum,
    /// Per event, at most `max_events`: the factors, summed largest first once the block is read.
    Kept(usize),
}

/// One event rule (spec) as the block pass runs it.
struct Plan<'t> {
    /// The buckets of events it reads (each event of the block is in at most one of them).
    buckets: Vec<usize>,
    /// `within_days`, or `i32::MAX`.
    within: i32,
    mode: Mode,
    /// Decay factors by whole day of age (empty without a half-life or beyond the budget).
    table: &'t [f64],
    half_life: bool,
}

/// The event side of the batch pass: plans once per call, buffers reused from block to block.
pub(super) struct Events<'t> {
    /// Per event type code: its bucket (low 32 bits; the sink, the last bucket, never read,
    /// when no rule reads the type: such events go there, so the split has no branch) and
    /// which of the first [`IN_REGISTERS`] shared buckets take its events (bit `32 + s`).
    slots: Vec<u64>,
    /// Type buckets (the first ones).
    types: usize,
    /// Per shared bucket (several types, in lead order), per bucket: whether it takes that
    /// bucket's events.
    shared: Vec<Vec<bool>>,
    /// Bucket `b`'s (lead in the block, age in days) events, in lead order: `base[b]..at[b]`.
    flat: Vec<(u32, i32)>,
    base: Vec<usize>,
    at: Vec<usize>,
    plans: Vec<Plan<'t>>,
    /// A capped rule's leads with more events within its window than [`kept_sums`] keeps in
    /// registers: (lead, where its events start in the bucket).
    over: Vec<(u32, u32)>,
    /// One lead's factors, sorted.
    sorted: Vec<f64>,
    /// Per type bucket: its row of [`Self::least`] (`usize::MAX`: no [`Mode::Least`] rule
    /// reads it).
    least_row: Vec<usize>,
    /// The type buckets of [`Self::least`]'s rows, in row order.
    least_buckets: Vec<usize>,
    /// Per row, per lead of the block: the newest age of the bucket's events (`i32::MAX`
    /// for none).
    least: Vec<i32>,
    /// Per spec `s`, per lead `i` of the block: at `s * size + i`.
    pub counts: Vec<u32>,
    /// The newest qualifying age, `i32::MAX` for none (`Mode::Newest` rules).
    pub newest: Vec<i32>,
    /// Summed factors (per-event rules).
    pub sums: Vec<f64>,
    size: usize,
}

impl<'t> Events<'t> {
    /// The plans of `engine`'s event rules for blocks of `size` leads.
    pub(super) fn new(engine: &'t Compiled<'_>, size: usize) -> Self {
        let specs = engine.events.len();
        let mut bucket_of = vec![usize::MAX; engine.by_type.len()];
        let mut codes: Vec<Vec<usize>> = vec![Vec::new(); specs];
        let mut types = 0;
        for (code, list) in engine.by_type.iter().enumerate() {
            if !list.is_empty() {
                bucket_of[code] = types;
                types += 1;
            }
            for &s in list {
                codes[s].push(code);
            }
        }
        // Shared buckets, by their set of type buckets.
        let mut shared: Vec<Vec<usize>> = Vec::new();
        let mut plans = Vec::with_capacity(specs);
        for (s, spec) in engine.events.iter().enumerate() {
            let mode = match (spec.per_event, spec.max_events) {
                (false, _) if spec.min_count <= 1 => Mode::Least,
                (false, _) => Mode::Newest,
                (true, None) => Mode::Sum,
                (true, Some(m)) => Mode::Kept(m as usize),
            };
            let own: Vec<usize> = codes[s].iter().map(|&c| bucket_of[c]).collect();
            // Counts and the newest age do not depend on the order events come in; sums do,
            // so a per-event rule of several types reads one bucket of them all, in lead order.
            let buckets = if own.len() > 1 && !matches!(mode, Mode::Newest | Mode::Least) {
                let at = shared.iter().position(|b| *b == own).unwrap_or_else(|| {
                    shared.push(own.clone());
                    shared.len() - 1
                });
                vec![types + at]
            } else {
                own
            };
            plans.push(Plan {
                buckets,
                within: spec.within.map_or(i32::MAX, |w| i32::try_from(w).unwrap_or(i32::MAX)),
                mode,
                table: &spec.table,
                half_life: spec.half_life.is_some(),
            });
        }
        let mut least_row = vec![usize::MAX; types];
        let mut least_buckets = Vec::new();
        for plan in plans.iter().filter(|p| p.mode == Mode::Least) {
            for &b in &plan.buckets {
                if least_row[b] == usize::MAX {
                    least_row[b] = least_buckets.len();
                    least_buckets.push(b);
                }
            }
        }
        // The sink: after the type and shared buckets.
        let buckets = types + shared.len() + 1;
        for b in &mut bucket_of {
            *b = (*b).min(buckets - 1);
        }
        let shared: Vec<Vec<bool>> =
            shared.iter().map(|set| (0..buckets).map(|b| set.contains(&b)).collect()).collect();
        let slots = bucket_of
            .iter()
            .map(|&b| {
                let takes: u64 =
                    shared.iter().take(IN_REGISTERS).enumerate().map(|(s, set)| u64::from(set[b]) << s).sum();
                b as u64 | takes << 32
            })
            .collect();
        Self {
            slots,
            types,
            shared,
            flat: Vec::new(),
            base: vec![0; buckets],
            at: vec![0; buckets],
            plans,
            over: Vec::new(),
            sorted: Vec::new(),
            least: vec![i32::MAX; least_buckets.len() * size],
            least_row,
            least_buckets,
            counts: vec![0; specs * size],
            newest: vec![i32::MAX; specs * size],
            sums: vec![0.0; specs * size],
            size,
        }
    }

    /// Accumulates the events of leads `start..start + len`.
    pub(super) fn block(&mut self, engine: &Compiled<'_>, start: usize, len: usize) {
        // Only what each rule reads, over the block's leads.
        for (s, plan) in self.plans.iter().enumerate() {
            let at = s * self.size;
            self.counts[at..at + len].fill(0);
            match plan.mode {
                Mode::Newest => self.newest[at..at + len].fill(i32::MAX),
                Mode::Sum | Mode::Kept(_) => self.sums[at..at + len].fill(0.0),
                // Written whole from `least`.
                Mode::Least => {}
            }
        }
        if engine.cols.events.is_none() {
            return;
        }
        self.place(engine, start, len);
        // The shared buckets' ends in registers (an end kept in memory makes a chain of
        // store-to-load waits, one per event).
        match self.shared.len() {
            0 => self.fill_buckets::<0>(engine, start, len),
            1 => self.fill_buckets::<1>(engine, start, len),
            2 => self.fill_buckets::<2>(engine, start, len),
            3 => self.fill_buckets::<3>(engine, start, len),
            _ => self.fill_buckets::<IN_REGISTERS>(engine, start, len),
        }
        for (k, &b) in self.least_buckets.iter().enumerate() {
            let least = &mut self.least[k * self.size..k * self.size + len];
            least.fill(i32::MAX);
            newest_age(&self.flat[self.base[b]..self.at[b]], least);
        }
        for (s, plan) in self.plans.iter().enumerate() {
            let at = s * self.size;
            if plan.mode == Mode::Least {
                let row = |b: usize| self.least_row[b] * self.size;
                let (counts, newest) = (&mut self.counts[at..at + len], &mut self.newest[at..at + len]);
                let (first, rest) = plan.buckets.split_first().map_or((None, &[][..]), |(f, r)| (Some(*f), r));
                match first {
                    Some(b) => newest.copy_from_slice(&self.least[row(b)..row(b) + len]),
                    None => newest.fill(i32::MAX),
                }
                for &b in rest {
                    for (n, &l) in newest.iter_mut().zip(&self.least[row(b)..row(b) + len]) {
                        *n = (*n).min(l);
                    }
                }
                let w = plan.within;
                for (c, n) in counts.iter_mut().zip(newest.iter_mut()) {
                    // i32::MAX: no event (even without a window).
                    let ok = (*n <= w) & (*n != i32::MAX);
                    *c = u32::from(ok);
                    *n = if ok { *n } else { i32::MAX };
                }
                continue;
            }
            let counts = &mut self.counts[at..at + self.size];
            let newest = &mut self.newest[at..at + self.size];
            let sums = &mut self.sums[at..at + self.size];
            let w = plan.within;
            for (k, &b) in plan.buckets.iter().enumerate() {
                let events = &self.flat[self.base[b]..self.at[b]];
                match plan.mode {
                    Mode::Least => {}
                    Mode::Newest if k == 0 => newest_first(events, w, counts, newest),
                    Mode::Newest => newest_of(events, w, counts, newest),
                    Mode::Sum if !plan.half_life => count_of(events, w, counts, sums),
                    Mode::Sum => decayed_sum(events, w, counts, sums, |age| factor(engine, s, plan.table, age)),
                    Mode::Kept(max) if plan.half_life => {
                        let f = |age| factor(engine, s, plan.table, age);
                        kept_sums(events, w, max, (counts, sums), &mut self.over, &mut self.sorted, f);
                    }
                    Mode::Kept(max) => {
                        kept_sums(events, w, max, (counts, sums), &mut self.over, &mut self.sorted, |_| 1.0);
                    }
                }
            }
        }
    }

    /// Where each bucket's events go in `flat`: each bucket gets room for all the block's
    /// events and one (no growth check per event; a shared bucket writes every event at its
    /// end, keeping it by a step of 0 or 1) while that stays within [`ROOM`]; beyond (many
    /// event types, or leads with very many events), the room each needs, counted first (the
    /// sink's: every event and one).
    fn place(&mut self, engine: &Compiled<'_>, start: usize, len: usize) {
        let Some(ev) = &engine.cols.events else { return };
        let events = (ev.offsets[start + len] - ev.offsets[start]) as usize;
        let buckets = self.base.len();
        if buckets.saturating_mul(events + 1) <= ROOM {
            for (b, base) in self.base.iter_mut().enumerate() {
                *base = b * (events + 1);
            }
        } else {
            let mut room = vec![1_usize; buckets];
            for e in ev.offsets[start] as usize..ev.offsets[start + len] as usize {
                let slot = self.slots.get(ev.types[e].cast_unsigned() as usize).copied();
                room[slot.map_or(buckets - 1, |s| (s & 0xffff_ffff) as usize)] += 1;
            }
            for (s, takes) in self.shared.iter().enumerate() {
                room[self.types + s] += (0..self.types).filter(|&b| takes[b]).map(|b| room[b] - 1).sum::<usize>();
            }
            room[buckets - 1] = events + 1;
            let mut at = 0;
            for (base, room) in self.base.iter_mut().zip(room) {
                *base = at;
                at += room;
            }
        }
        let need = self.base.last().map_or(0, |&b| b + events + 1);
        if self.flat.len() < need {
            self.flat.resize(need, (0, 0));
        }
    }

    /// Splits the block's events into the buckets, without a branch per event: an event no
    /// rule reads (its type, a missing date, a date after `as_of`) goes to the sink; `N`
    /// shared buckets with their ends in registers (`N = 4`: the fifth and later in memory).
    fn fill_buckets<const N: usize>(&mut self, engine: &Compiled<'_>, start: usize, len: usize) {
        let Some(ev) = &engine.cols.events else { return };
        let (types, sink) = (self.types, self.base.len() - 1);
        let as_of = i64::from(engine.as_of);
        let mut shared = [0_usize; N];
        for (s, at) in shared.iter_mut().enumerate() {
            *at = self.base[types + s];
        }
        self.at.copy_from_slice(&self.base);
        let offsets = &ev.offsets[start..=start + len];
        let (first, last) = (offsets[0] as usize, offsets[len] as usize);
        let (kinds, days) = (&ev.types[first..last], &ev.on[first..last]);
        let (slots, flat, at, more) =
            (&self.slots[..], &mut self.flat[..], &mut self.at[..], &self.shared[N.min(self.shared.len())..]);
        let mut e = 0;
        for (i, w) in offsets.windows(2).enumerate() {
            let n = (w[1] - w[0]) as usize;
            for (&t, &on) in kinds[e..e + n].iter().zip(&days[e..e + n]) {
                // Dates are checked (years 1..=9999) and `as_of` is a NaiveDate: within i32.
                let age = as_of - i64::from(on);
                // After as_of: not known yet.
                let keep = u64::from((on != NO_DATE) & (age >= 0)).wrapping_neg();
                let slot =
                    slots.get(t.cast_unsigned() as usize).copied().unwrap_or(sink as u64) & keep | sink as u64 & !keep;
                let (b, takes) = ((slot & 0xffff_ffff) as usize, slot >> 32);
                let item = (i as u32, age as i32);
                let end = &mut at[b];
                flat[*end] = item;
                *end += 1;
                for (s, end) in shared.iter_mut().enumerate() {
                    flat[*end] = item;
                    *end += (takes >> s & 1) as usize;
                }
                for (s, set) in more.iter().enumerate() {
                    let end = &mut at[types + N + s];
                    flat[*end] = item;
                    *end += usize::from(set[b]);
                }
            }
            e += n;
        }
        for (s, &end) in shared.iter().enumerate() {
            self.at[types + s] = end;
        }
    }
}

/// Shared buckets whose ends [`Events::fill_buckets`] keeps in registers.
const IN_REGISTERS: usize = 4;

// One small function per kind of event rule: in one with all of them, the loops' pointers
// and bounds lived on the stack and were read back per event.

/// [`newest_of`] over a rule's first bucket, whose counts and newest ages start cleared: a
/// lead's running count and newest age are kept in registers (its events are adjacent, in
/// lead order) and stored after each event, never read back (a read of what the previous
/// event stored waits for it: a chain through memory per lead).
#[inline(never)]
fn newest_first(events: &[(u32, i32)], w: i32, counts: &mut [u32], newest: &mut [i32]) {
    let (mut prev, mut count, mut least) = (u32::MAX, 0_u32, i32::MAX);
    for &(l, age) in events {
        let ok = age <= w;
        // All ones for the lead of the previous event, else 0: no branch (lead changes follow
        // no pattern).
        let same = u32::from(l == prev).wrapping_neg();
        count = (count & same) + u32::from(ok);
        // Ages are >= 0: `| i32::MAX` makes a new lead's newest i32::MAX.
        least = (least | (!same >> 1).cast_signed()).min(if ok { age } else { i32::MAX });
        counts[l as usize] = count;
        newest[l as usize] = least;
        prev = l;
    }
}

/// Each lead's newest age among `events` into `least` (which starts at `i32::MAX`), kept in a
/// register while its events last as [`newest_first`] keeps it.
#[inline(never)]
fn newest_age(events: &[(u32, i32)], least: &mut [i32]) {
    let (mut prev, mut newest) = (u32::MAX, i32::MAX);
    for &(l, age) in events {
        let same = u32::from(l == prev).wrapping_neg();
        // Ages in a type bucket are >= 0: `| i32::MAX` starts a new lead at i32::MAX.
        newest = (newest | (!same >> 1).cast_signed()).min(age);
        least[l as usize] = newest;
        prev = l;
    }
}

/// Counts the events within `w` days and keeps each lead's newest age.
#[inline(never)]
fn newest_of(events: &[(u32, i32)], w: i32, counts: &mut [u32], newest: &mut [i32]) {
    for &(l, age) in events {
        let ok = age <= w;
        counts[l as usize] += u32::from(ok);
        let n = &mut newest[l as usize];
        *n = (*n).min(if ok { age } else { i32::MAX });
    }
}

/// Counts the events within `w` days, each adding 1 to the sum (no decay).
#[inline(never)]
fn count_of(events: &[(u32, i32)], w: i32, counts: &mut [u32], sums: &mut [f64]) {
    for &(l, age) in events {
        let ok = age <= w;
        counts[l as usize] += u32::from(ok);
        sums[l as usize] += if ok { 1.0 } else { 0.0 };
    }
}

/// Counts the events within `w` days and sums their decay factors.
#[inline(never)]
fn decayed_sum(events: &[(u32, i32)], w: i32, counts: &mut [u32], sums: &mut [f64], factor: impl Fn(i32) -> f64) {
    for &(l, age) in events {
        let ok = age <= w;
        counts[l as usize] += u32::from(ok);
        // An event outside the window reads day 0 (tabulated: no exp2 for it).
        let f = factor(if ok { age } else { 0 });
        // + 0.0 leaves a sum of non-negative factors as it is.
        sums[l as usize] += if ok { f } else { 0.0 };
    }
}

/// The decay factor at `age`: tabulated, else the one `factor` computes (the same bits).
#[inline]
fn factor(engine: &Compiled<'_>, s: usize, table: &[f64], age: i32) -> f64 {
    match table.get(age as usize) {
        Some(&f) => f,
        None => engine.events[s].factor(i64::from(age)),
    }
}

/// A capped per-event rule over its bucket (its first and only one: counts and sums start
/// cleared): each lead's count of events within `w` days and the sum of its `max` largest
/// decay factors, summed largest first as the record pass sums them (sorted, then
/// `Iterator::sum`). A lead's events are adjacent: its three largest factors are kept sorted in
/// registers (factors are ≥ +0.0, so their bits order as they do; an empty place is +0.0, which
/// adds nothing) and its count and sum stored after every event, never read back, without a
/// branch on where a lead's events end (that follows no pattern). A lead with more events
/// within the window than that under a cap above three (or any under a cap of 0) is listed
/// with where its events start, and summed again by sorting its factors after the loop.
#[inline(never)]
fn kept_sums(
    events: &[(u32, i32)],
    w: i32,
    max: usize,
    (counts, sums): (&mut [u32], &mut [f64]),
    over: &mut Vec<(u32, u32)>,
    sorted: &mut Vec<f64>,
    factor: impl Fn(i32) -> f64,
) {
    // The count at which a lead leaves the registers (never under a cap of 1 to 3).
    let spill = match max {
        0 => 1,
        1..=3 => u32::MAX,
        _ => 4,
    };
    if over.len() < events.len() + 1 {
        over.resize(events.len() + 1, (0, 0));
    }
    let (mut prev, mut count, mut start, mut spilled) = (u32::MAX, 0_u32, 0_u32, 0);
    let (mut first, mut second, mut third) = (0_u64, 0_u64, 0_u64);
    for (i, &(l, age)) in (0_u32..).zip(events) {
        let ok = age <= w;
        // All ones for the lead of the previous event, else 0.
        let same = u64::from(l == prev).wrapping_neg();
        count = (count & same as u32) + u32::from(ok);
        start = start & same as u32 | i & !same as u32;
        // An event outside the window reads day 0 (tabulated: no exp2 for it) and adds +0.0.
        let bits = factor(if ok { age } else { 0 }).to_bits() & u64::from(ok).wrapping_neg();
        // Inserted into the lead's sorted three (cleared for a new lead).
        let (a, b, c) = (first & same, second & same, third & same);
        first = a.max(bits);
        let below = a.min(bits);
        second = b.max(below);
        third = c.max(b.min(below));
        sums[l as usize] = match max {
            1 => f64::from_bits(first),
            2 => f64::from_bits(first) + f64::from_bits(second),
            _ => f64::from_bits(first) + f64::from_bits(second) + f64::from_bits(third),
        };
        counts[l as usize] = count;
        // Listed once, when its count reaches `spill`.
        over[spilled] = (l, start);
        spilled += usize::from(ok & (count == spill));
        prev = l;
    }
    for &(lead, from) in &over[..spilled] {
        let own = events[from as usize..].iter().take_while(|e| e.0 == lead);
        sorted.clear();
        sorted.extend(own.filter(|e| e.1 <= w).map(|e| factor(e.1)));
        sorted.sort_unstable_by(|x, y| y.total_cmp(x));
        sums[lead as usize] = sorted.iter().take(max).sum::<f64>();
    }
}
