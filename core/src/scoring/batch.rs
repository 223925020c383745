//! The batch pass behind [`super::score_columns`]: leads in blocks, each block scored rule by
//! rule over its columns (a condition is one tight loop over a column slice, not a match per
//! lead and rule), events accumulated per event rule ([`super::events`]), then one short
//! pass per lead for caps, grade, tier and the top reasons. Only the top reasons are
//! materialised, never the itemised lines.
//!
//! Every value is computed by the same expressions, in the same order, as the record pass
//! ([`Compiled::score_row`]), so the two agree to the bit (the `scoring_props` tests check
//! it on random policies and leads).

// A rule that did not match is NaN in the block (points are finite); caps compare exactly.
#![allow(clippy::float_cmp)]
// `&` between booleans on purpose: no branch per lead on whether a rule matched.
#![allow(clippy::needless_bitwise_bool)]

use super::columns::{FieldData, NO_DATE};
use super::eval::{tier_admits, Compiled, Test};
use super::events::Events;
use super::frame::ScoreColumns;
use super::pass::{cell, clamp};
use super::rules::{Dimension, GradeBand, ScoringPolicy};

/// No item: the rule did not match this lead.
const NONE: f64 = f64::NAN;

/// Per slot (0 fit, 1 engagement, 2 + g group g), per lead of the block: the sum of its
/// rules' items and whether any matched.
struct Slots {
    size: usize,
    sums: Vec<f64>,
    hit: Vec<bool>,
}

/// The block's caps, grades and tiers, column by column (one loop per group, bound, band and
/// tier over the block, not a pass of branches per lead).
struct Finish {
    fit: Vec<f64>,
    eng: Vec<f64>,
    score: Vec<f64>,
    /// Band of the fit / engagement dimension ([`NO_BAND`] for none), then the grade code.
    fit_band: Vec<u32>,
    eng_band: Vec<u32>,
    grade: Vec<i32>,
    tier: Vec<i32>,
}

/// No band matched (a band list whose last band has a `min`).
const NO_BAND: u32 = u32::MAX;

impl Compiled<'_> {
    /// Scores every lead into `out` (all columns but `rank`), `k` top reasons each.
    pub(crate) fn score_batch(&self, policy: &ScoringPolicy, k: usize, out: &mut ScoreColumns) {
        let rules = self.rules.len();
        let specs = self.events.len();
        // Leads per block: the block's accumulators stay within a few hundred KB (in
        // cache), whatever the number of rules.
        let size = (32_768 / rules.max(specs).max(1)).clamp(8, 1024);
        // Per rule, per lead of the block: its points after decay, or [`NONE`].
        let mut items = vec![NONE; rules * size];
        // The current rule's conditions, per lead of the block; every lead for a rule without.
        let mut mask = vec![true; size];
        let ones = vec![true; size];
        let mut events = Events::new(self, size);
        let slot_of: Vec<usize> = self
            .rules
            .iter()
            .map(|r| match (r.group, r.dim) {
                (Some(g), _) => 2 + g,
                (None, Dimension::Fit) => 0,
                (None, Dimension::Engagement) => 1,
            })
            .collect();
        let n = 2 + policy.groups.len();
        let mut slots = Slots { size, sums: vec![0.0; n * size], hit: vec![false; n * size] };
        // Per tier, per lead of the block: whether its conditions hold.
        let mut tier_masks = vec![true; policy.tiers.len() * size];
        let mut finish = Finish {
            fit: vec![0.0; size],
            eng: vec![0.0; size],
            score: vec![0.0; size],
            fit_band: vec![NO_BAND; size],
            eng_band: vec![NO_BAND; size],
            grade: vec![-1; size],
            tier: vec![-1; size],
        };
        // Top reasons: the rules without events (one value each: their points) first, in
        // the order of their keys, so each lead's first `k` matches are its top `k` of them
        // and take places without comparing; then the event rules' items are offered.
        let mut fixed: Vec<usize> = (0..rules).filter(|&r| self.rules[r].event.is_none()).collect();
        fixed.sort_unstable_by_key(|&r| std::cmp::Reverse(top_key(self.rules[r].points, r as u32)));
        let fixed_keys: Vec<u128> = fixed.iter().map(|&r| top_key(self.rules[r].points, r as u32)).collect();
        // The event rules offered largest possible item first (a per-event rule without a cap
        // has no bound): the places fill with large items early and later, smaller ones fall
        // below the bars without being tried. Which items a lead keeps does not depend on the
        // order they are offered in (the keys order them).
        let mut varying: Vec<usize> = (0..rules).filter(|&r| self.rules[r].event.is_some()).collect();
        let most = |r: usize| {
            let rule = &self.rules[r];
            let spec = rule.event.map(|e| &self.events[e]);
            let times = match spec {
                Some(s) if s.per_event => s.max_events.map_or(f64::INFINITY, f64::from),
                _ => 1.0,
            };
            rule.points.abs() * times
        };
        varying.sort_by(|&a, &b| most(b).total_cmp(&most(a)));
        // Per rule without events: its place among them in the order of their keys (bit
        // `p % 64` of word `p / 64` of a lead's match bits).
        let mut place_of = vec![0; rules];
        for (p, &r) in fixed.iter().enumerate() {
            place_of[r] = p;
        }
        let mut top = Top::new(k, size, fixed.len().div_ceil(64));
        let mut start = 0;
        while start < self.cols.rows {
            let len = size.min(self.cols.rows - start);
            if specs > 0 {
                events.block(self, start, len);
            }
            slots.sums.fill(0.0);
            slots.hit.fill(false);
            top.bits.fill(0);
            for (r, rule) in self.rules.iter().enumerate() {
                let mask = self.conditions(&rule.tests, start, &mut mask[..len], &ones[..len]);
                if rule.event.is_none() {
                    let (word, bit) = (place_of[r] / 64, place_of[r] % 64);
                    let bits = (k > 0).then(|| (&mut top.bits[word * size..word * size + len], bit as u32));
                    fixed_items(rule.points, mask, slot_of[r], &mut slots, bits);
                } else {
                    let items = &mut items[r * size..r * size + len];
                    self.rule_items(r, mask, &events, slot_of[r], &mut slots, items);
                }
            }
            if k > 0 {
                top.take_fixed(size, len, &fixed_keys);
                top.raise_bars(len);
                for &r in &varying {
                    top.offer(&items[r * size..r * size + len], r as u32);
                }
            }
            for (t, tests) in self.tier_tests.iter().enumerate() {
                let mask = &mut tier_masks[t * size..t * size + len];
                if tests.is_empty() {
                    mask.fill(true);
                }
                self.conditions(tests, start, mask, &[]);
            }
            self.finish_block(policy, &slots, &tier_masks, len, &mut finish, out);
            if k > 0 {
                top.flush(len, &mut out.reasons);
            }
            start += len;
        }
    }

    /// Whether each lead of the block from row `start` meets all of `tests`, in `mask` (the
    /// first test sets it, the others narrow it: no pass filling it first); `every` (all
    /// true) for a rule without conditions.
    fn conditions<'m>(&self, tests: &[Test], start: usize, mask: &'m mut [bool], every: &'m [bool]) -> &'m [bool] {
        let Some((first, rest)) = tests.split_first() else { return every };
        first.apply::<false>(&self.cols, start, mask);
        for t in rest {
            t.apply::<true>(&self.cols, start, mask);
        }
        mask
    }

    /// Event rule `r`'s items of the block (its points after decay where it matched, else
    /// NaN), added to its slot in rule order, as the record pass adds (the rules without
    /// events go through [`fixed_items`]). Adding 0.0 where a rule did not match changes
    /// nothing: a sum that starts at +0.0 is never −0.0.
    // Apart (here and below): one call per block and rule, and a profile shows each phase.
    #[inline(never)]
    fn rule_items(
        &self,
        r: usize,
        mask: &[bool],
        events: &Events<'_>,
        slot: usize,
        slots: &mut Slots,
        items: &mut [f64],
    ) {
        let (rule, len, size) = (&self.rules[r], mask.len(), slots.size);
        let at = slot * size;
        let (acc, seen) = (&mut slots.sums[at..at + len], &mut slots.hit[at..at + len]);
        let points = rule.points;
        let Some(e) = rule.event else { return };
        let spec = &self.events[e];
        let at = e * size;
        let counts = &events.counts[at..at + len];
        let min = spec.min_count.max(1);
        // `&`, not `&&`: no branch on whether a lead matched (that follows no pattern).
        let lanes = items.iter_mut().zip(acc).zip(seen).zip(mask).zip(counts);
        // Selected by bit masks: the compiler branches on `if ok` here, and mispredicts.
        let put = |item: &mut f64, a: &mut f64, h: &mut bool, ok: bool, v: f64| {
            let keep = u64::from(ok).wrapping_neg();
            *item = f64::from_bits(v.to_bits() & keep | NONE.to_bits() & !keep);
            *a += f64::from_bits(v.to_bits() & keep);
            *h |= ok;
        };
        if spec.per_event {
            let factors = &events.sums[at..at + len];
            for (((((item, a), h), &m), &count), &f) in lanes.zip(factors) {
                put(item, a, h, m & (count >= min), f * points);
            }
            return;
        }
        let newest = &events.newest[at..at + len];
        let table = spec.table.as_slice();
        match (spec.half_life, table.len()) {
            // No decay: the factor is 1 (as `EventSpec::factor`).
            (None, _) => {
                for ((((item, a), h), &m), &count) in lanes {
                    put(item, a, h, m & (count >= min), points);
                }
            }
            // Past the policy's table budget: computed for the leads that matched.
            (Some(_), 0) => {
                for (((((item, a), h), &m), &count), &age) in lanes.zip(newest) {
                    let ok = m & (count >= min);
                    let f = if ok { spec.factor(i64::from(age)) } else { 0.0 };
                    put(item, a, h, ok, points * f);
                }
            }
            // Tabulated; an age beyond the table (a predicted branch) as the record pass.
            (Some(_), n) => {
                for (((((item, a), h), &m), &count), &age) in lanes.zip(newest) {
                    let ok = m & (count >= min);
                    let at = if ok { age as usize } else { 0 };
                    let f = if at < n { table[at] } else { spec.factor(i64::from(age)) };
                    put(item, a, h, ok, points * f);
                }
            }
        }
    }

    /// The block's group caps, dimension and total bounds, grades and tiers, into `out`:
    /// per lead the record pass's operations in its order, run column by column.
    #[inline(never)]
    fn finish_block(
        &self,
        policy: &ScoringPolicy,
        slots: &Slots,
        tier_masks: &[bool],
        len: usize,
        f: &mut Finish,
        out: &mut ScoreColumns,
    ) {
        let (sums, hit, size) = (&slots.sums, &slots.hit, slots.size);
        let (fit, eng, score) = (&mut f.fit[..len], &mut f.eng[..len], &mut f.score[..len]);
        fit.copy_from_slice(&sums[..len]);
        eng.copy_from_slice(&sums[size..size + len]);
        for (g, group) in policy.groups.iter().enumerate() {
            let at = (2 + g) * size;
            let dim: &mut [f64] = match self.group_dim[g] {
                Dimension::Fit => &mut *fit,
                Dimension::Engagement => &mut *eng,
            };
            // A group no rule of which matched adds +0.0, which changes no sum (never
            // −0.0: sums start at +0.0), without a branch on whether one did.
            for ((d, &s), &h) in dim.iter_mut().zip(&sums[at..at + len]).zip(&hit[at..at + len]) {
                let v = clamp(s, group.min, group.max);
                *d += if h { v } else { 0.0 };
            }
        }
        for d in fit.iter_mut() {
            *d = clamp(*d, policy.fit.min, policy.fit.max);
        }
        for d in eng.iter_mut() {
            *d = clamp(*d, policy.engagement.min, policy.engagement.max);
        }
        for ((s, &a), &b) in score.iter_mut().zip(&*fit).zip(&*eng) {
            *s = clamp(a + b, policy.total.min, policy.total.max);
        }
        let (fit_bands, eng_bands) = (&policy.grades.fit, &policy.grades.engagement);
        bands(fit_bands, fit, &mut f.fit_band[..len]);
        bands(eng_bands, eng, &mut f.eng_band[..len]);
        let grade = &mut f.grade[..len];
        let band = |b: u32| (b != NO_BAND).then_some(b as usize);
        for ((g, &a), &b) in grade.iter_mut().zip(&f.fit_band[..len]).zip(&f.eng_band[..len]) {
            *g = cell(fit_bands.len(), eng_bands.len(), band(a), band(b)).map_or(-1, |c| c as i32);
        }
        // The first tier that holds: tiers from the last, each taking the leads it admits.
        let tier = &mut f.tier[..len];
        tier.fill(-1);
        for t in (0..policy.tiers.len()).rev() {
            let mask = &tier_masks[t * size..t * size + len];
            let (floors, grades) = (self.tier_floors[t], self.tier_grades[t].as_slice());
            let lanes = tier.iter_mut().zip(mask).zip(&*score).zip(&*fit).zip(&*eng).zip(&*grade);
            for (((((c, &m), &s), &a), &b), &g) in lanes {
                let ok = tier_admits(floors, grades, s, a, b, g) & m;
                // Selected by a bit mask: a branch on `ok` mispredicts.
                let keep = i32::from(ok).wrapping_neg();
                *c = t as i32 & keep | *c & !keep;
            }
        }
        out.score.extend_from_slice(score);
        out.fit.extend_from_slice(fit);
        out.engagement.extend_from_slice(eng);
        out.grade.extend_from_slice(grade);
        out.tier.extend_from_slice(tier);
    }
}

/// A rule without events over a block: its points added to its slot where it matched (in
/// rule order, as the record pass adds; adding 0.0 elsewhere changes no sum, which starts at
/// +0.0 and is never −0.0), and its match as a bit of each lead's match bits for the top
/// reasons (no item written: its value is its points). Whether a slot saw a match is kept for
/// groups only (the dimensions' slots do not ask).
#[inline(never)]
fn fixed_items(points: f64, mask: &[bool], slot: usize, slots: &mut Slots, bits: Option<(&mut [u64], u32)>) {
    let (len, size) = (mask.len(), slots.size);
    let at = slot * size;
    let acc = &mut slots.sums[at..at + len];
    for (a, &m) in acc.iter_mut().zip(mask) {
        *a += if m { points } else { 0.0 };
    }
    if slot >= 2 {
        for (h, &m) in slots.hit[at..at + len].iter_mut().zip(mask) {
            *h |= m;
        }
    }
    if let Some((bits, bit)) = bits {
        for (b, &m) in bits.iter_mut().zip(mask) {
            *b |= u64::from(m) << bit;
        }
    }
}

/// Each value's band (as `pass::band`: the first band whose `min` it reaches), from the last
/// band up so the first one that holds is left.
fn bands(list: &[GradeBand], values: &[f64], out: &mut [u32]) {
    out.fill(NO_BAND);
    for (b, band) in list.iter().enumerate().rev() {
        match band.min {
            None => out.fill(b as u32),
            Some(m) => {
                for (o, &v) in out.iter_mut().zip(values) {
                    *o = if v >= m { b as u32 } else { *o };
                }
            }
        }
    }
}

/// A top-reason candidate as one integer: |points| (a non-negative float's bits order as
/// the float) above `u32::MAX − rule`, so a larger key ranks first and, between equal keys,
/// the earlier rule (the record pass's stable order). 0 is an empty place, below any item.
#[inline]
fn top_key(v: f64, r: u32) -> u128 {
    u128::from(v.abs().to_bits()) << 32 | u128::from(u32::MAX - r)
}

/// Each lead's running top `k` (lead `i`'s places at `i * k..`, largest first), how many
/// places are taken, and the |points| an item must reach to get in (the last place's, −1
/// while a place is empty).
struct Top {
    k: usize,
    places: Vec<u128>,
    /// Places taken by the rules without events.
    filled: Vec<u32>,
    /// Per word `w`, per lead: which of the rules without events `64 w..64 w + 63` (in the
    /// order of their keys) it matched.
    bits: Vec<u64>,
    bar: Vec<f64>,
    /// The leads of the block an item gets into.
    into: Vec<u32>,
}

impl Top {
    fn new(k: usize, size: usize, words: usize) -> Self {
        Self {
            k,
            places: vec![0; k * size],
            filled: vec![0; size],
            bits: vec![0; if k > 0 { words * size } else { 0 }],
            bar: vec![-1.0; size],
            into: vec![0; size],
        }
    }

    /// Each lead's first `k` matches among the rules without events, in the order of their
    /// `keys` (largest first): their top `k`, placed without comparing, from the lowest set
    /// bits of the lead's match bits ([`fixed_items`] set them).
    #[inline(never)]
    fn take_fixed(&mut self, size: usize, len: usize, keys: &[u128]) {
        let k = self.k;
        self.filled[..len].fill(0);
        for (w, keys) in keys.chunks(64).enumerate() {
            let bits = &self.bits[w * size..w * size + len];
            for (lead, (&b, filled)) in bits.iter().zip(&mut self.filled).enumerate() {
                let (mut b, mut f) = (b, *filled as usize);
                let places = &mut self.places[lead * k..lead * k + k];
                while f < k && b != 0 {
                    places[f] = keys[b.trailing_zeros() as usize];
                    b &= b - 1;
                    f += 1;
                }
                *filled = f as u32;
            }
        }
    }

    /// The bars after the appended items: the last place's |points| where all are taken.
    fn raise_bars(&mut self, len: usize) {
        let k = self.k;
        for (lead, bar) in self.bar[..len].iter_mut().enumerate() {
            let last = self.places[lead * k + k - 1];
            *bar = if last == 0 { -1.0 } else { f64::from_bits((last >> 32) as u64) };
        }
    }

    /// Offers rule `r`'s items of a block. An item is tried where its |points| reaches the
    /// bar (an equal one of a later rule then falls off the end; a NaN reaches nothing).
    /// The leads it is tried in are listed first without a branch (whether a rule matched
    /// follows no pattern), then the item bubbles down their places by max / min.
    #[inline(never)]
    fn offer(&mut self, items: &[f64], rule: u32) {
        let mut count = 0;
        for (lead, (&v, &bar)) in items.iter().zip(&self.bar).enumerate() {
            self.into[count] = lead as u32;
            count += usize::from(v.abs() >= bar);
        }
        let k = self.k;
        for &lead in &self.into[..count] {
            let lead = lead as usize;
            let mut key = top_key(items[lead], rule);
            let mut last = 0;
            for place in &mut self.places[lead * k..lead * k + k] {
                let (hi, lo) = ((*place).max(key), (*place).min(key));
                *place = hi;
                last = hi;
                key = lo;
            }
            // From the register: reading the place back stalls on the two halves just stored.
            self.bar[lead] = if last == 0 { -1.0 } else { f64::from_bits((last >> 32) as u64) };
        }
    }

    /// The block's top reasons into the output columns; the places emptied for the next block.
    fn flush(&mut self, len: usize, reasons: &mut [Vec<i32>]) {
        let k = self.k;
        for (j, col) in reasons.iter_mut().enumerate() {
            col.extend(self.places[..len * k].iter().skip(j).step_by(k).map(|&t| top_rule(t)));
        }
        self.places[..len * k].fill(0);
        self.bar[..len].fill(-1.0);
    }
}

/// The rule of a place ([`top_key`]'s), −1 for an empty one.
fn top_rule(key: u128) -> i32 {
    if key == 0 {
        -1
    } else {
        (u32::MAX - key as u32) as i32
    }
}

impl Test {
    /// `mask[i] &= self.holds(row start + i)` over a block (`mask[i] = ...` when not `AND`),
    /// one loop per kind of column.
    pub(crate) fn apply<const AND: bool>(
        &self,
        cols: &super::columns::LeadColumns<'_>,
        start: usize,
        mask: &mut [bool],
    ) {
        let end = start + mask.len();
        let put = |m: &mut bool, holds: bool| *m = holds & (!AND | *m);
        match (self, cols.fields[self.col()].1) {
            (Self::Table { matches, missing, .. }, FieldData::Text { codes, .. }) => {
                for (m, &c) in mask.iter_mut().zip(&codes[start..end]) {
                    put(m, usize::try_from(c).ok().and_then(|c| matches.get(c)).copied().unwrap_or(*missing));
                }
            }
            (Self::Number { lo, hi, lo_incl, hi_incl, .. }, FieldData::Number(v)) => {
                for (m, &x) in mask.iter_mut().zip(&v[start..end]) {
                    // NaN (missing) fails both comparisons.
                    let above = if *lo_incl { x >= *lo } else { x > *lo };
                    let below = if *hi_incl { x <= *hi } else { x < *hi };
                    put(m, above && below);
                }
            }
            (Self::Days { from, to, .. }, FieldData::Date(v)) => {
                for (m, &d) in mask.iter_mut().zip(&v[start..end]) {
                    put(m, d != NO_DATE && d >= *from && d <= *to);
                }
            }
            (Self::Present { want, .. }, data) => {
                for (i, m) in mask.iter_mut().enumerate() {
                    let row = start + i;
                    let present = match data {
                        FieldData::Number(v) => !v[row].is_nan(),
                        FieldData::Date(v) => v[row] != NO_DATE,
                        FieldData::Text { codes, labels } => {
                            usize::try_from(codes[row]).ok().and_then(|c| labels.get(c)).is_some_and(|l| !l.is_empty())
                        }
                    };
                    put(m, present == *want);
                }
            }
            // A test compiled against another kind of column never holds (as `holds`).
            _ => mask.fill(false),
        }
    }

    fn col(&self) -> usize {
        match self {
            Self::Table { col, .. } | Self::Number { col, .. } | Self::Days { col, .. } | Self::Present { col, .. } => {
                *col
            }
        }
    }
}
