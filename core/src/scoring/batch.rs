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

use super::columns::{FieldData, NO_DATE};
use super::eval::{Compiled, Test};
use super::events::Events;
use super::frame::ScoreColumns;
use super::pass::{add, clamp, grade};
use super::rules::{Dimension, ScoringPolicy};

/// No item: the rule did not match this lead.
const NONE: f64 = f64::NAN;

/// Per slot (0 fit, 1 engagement, 2 + g group g), per lead of the block: the sum of its
/// rules' items and whether any matched.
struct Slots {
    size: usize,
    sums: Vec<f64>,
    hit: Vec<bool>,
}

impl Compiled<'_> {
    /// Scores every lead into `out` (all columns but `rank`), `k` top reasons each.
    pub(crate) fn score_batch(&self, policy: &ScoringPolicy, k: usize, out: &mut ScoreColumns) {
        let rules = self.rules.len();
        let specs = self.events.len();
        // Leads per block: the block's accumulators stay within a few hundred KB (in
        // cache), whatever the number of rules.
        let size = (32_768 / rules.max(specs).max(1)).clamp(8, 1024);
        // The current rule's points after decay per lead of the block, or [`NONE`].
        let mut items = vec![NONE; size];
        // The current rule's conditions, per lead of the block.
        let mut mask = vec![true; size];
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
        let mut top = Top::new(k, size);
        let mut start = 0;
        while start < self.cols.rows {
            let len = size.min(self.cols.rows - start);
            if specs > 0 {
                events.block(self, start, len);
            }
            slots.sums.fill(0.0);
            slots.hit.fill(false);
            for (r, rule) in self.rules.iter().enumerate() {
                let mask = &mut mask[..len];
                mask.fill(true);
                for t in &rule.tests {
                    t.fill(&self.cols, start, mask);
                }
                let items = &mut items[..len];
                self.rule_items(r, mask, &events, slot_of[r], &mut slots, items);
                if k > 0 {
                    top.offer(items, r as u32);
                }
            }
            for (t, tests) in self.tier_tests.iter().enumerate() {
                let mask = &mut tier_masks[t * size..t * size + len];
                mask.fill(true);
                for c in tests {
                    c.fill(&self.cols, start, mask);
                }
            }
            self.finish_block(policy, &slots, &tier_masks, len, out);
            if k > 0 {
                top.flush(len, &mut out.reasons);
            }
            start += len;
        }
    }

    /// Rule `r`'s items of the block (its points after decay where it matched, else NaN),
    /// added to its slot in rule order, as the record pass adds. Adding 0.0 where a rule did
    /// not match changes nothing: a sum that starts at +0.0 is never −0.0.
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
        let Some(e) = rule.event else {
            for (((item, a), h), &m) in items.iter_mut().zip(acc).zip(seen).zip(mask) {
                *item = if m { points } else { NONE };
                *a += if m { points } else { 0.0 };
                *h |= m;
            }
            return;
        };
        let spec = &self.events[e];
        let at = e * size;
        let counts = &events.counts[at..at + len];
        let min = spec.min_count.max(1);
        let lanes = items.iter_mut().zip(acc).zip(seen).zip(mask).zip(counts);
        if spec.per_event {
            let factors = &events.sums[at..at + len];
            for (((((item, a), h), &m), &count), &f) in lanes.zip(factors) {
                let ok = m && count >= min;
                let v = f * points;
                *item = if ok { v } else { NONE };
                *a += if ok { v } else { 0.0 };
                *h |= ok;
            }
        } else {
            let newest = &events.newest[at..at + len];
            let table = spec.table.as_slice();
            for (((((item, a), h), &m), &count), &age) in lanes.zip(newest) {
                let ok = m && count >= min;
                // Tabulated factors in a branch-free loop; the rest (no half-life, an age
                // beyond the table) as the record pass.
                let f = match table.get(if ok { age as usize } else { 0 }) {
                    Some(&f) if ok => f,
                    _ if ok => spec.factor(i64::from(age)),
                    _ => 0.0,
                };
                let v = points * f;
                *item = if ok { v } else { NONE };
                *a += if ok { v } else { 0.0 };
                *h |= ok;
            }
        }
    }

    /// Per lead of the block: group caps, dimension and total bounds, grade and tier.
    #[inline(never)]
    fn finish_block(
        &self,
        policy: &ScoringPolicy,
        slots: &Slots,
        tier_masks: &[bool],
        len: usize,
        out: &mut ScoreColumns,
    ) {
        let (sums, hit, size) = (&slots.sums, &slots.hit, slots.size);
        for i in 0..len {
            let (mut fit, mut eng) = (sums[i], sums[size + i]);
            for (g, group) in policy.groups.iter().enumerate() {
                let at = (2 + g) * size + i;
                // A group no rule of which matched adds +0.0, which changes no sum (never
                // −0.0: sums start at +0.0), without a branch on whether one did.
                let v = clamp(sums[at], group.min, group.max);
                add(self.group_dim[g], if hit[at] { v } else { 0.0 }, &mut fit, &mut eng);
            }
            fit = clamp(fit, policy.fit.min, policy.fit.max);
            eng = clamp(eng, policy.engagement.min, policy.engagement.max);
            let score = clamp(fit + eng, policy.total.min, policy.total.max);
            let grade = grade(&policy.grades.fit, &policy.grades.engagement, fit, eng);
            let tier = policy.tiers.iter().enumerate().position(|(t, tier)| {
                tier.min_score.is_none_or(|m| score >= m)
                    && tier.min_fit.is_none_or(|m| fit >= m)
                    && tier.min_engagement.is_none_or(|m| eng >= m)
                    && (tier.grades.is_empty() || grade.is_some_and(|g| self.tier_grades[t].contains(&g)))
                    && tier_masks[t * size + i]
            });
            out.score.push(score);
            out.fit.push(fit);
            out.engagement.push(eng);
            out.grade.push(grade.map_or(-1, |g| g as i32));
            out.tier.push(tier.map_or(-1, |t| t as i32));
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

/// Each lead's running top `k` (lead `i`'s places at `i * k..`, largest first) and the key
/// an item must beat to get in (the last place's |points|, −1 while a place is empty).
struct Top {
    k: usize,
    places: Vec<u128>,
    bar: Vec<f64>,
    /// The leads of the block an item gets into.
    into: Vec<u32>,
}

impl Top {
    fn new(k: usize, size: usize) -> Self {
        Self { k, places: vec![0; k * size], bar: vec![-1.0; size], into: vec![0; size] }
    }

    /// Offers rule `r`'s items of a block. An item gets in when its |points| beats the bar
    /// (strictly: an equal key of an earlier rule stays ahead; a NaN beats nothing). The
    /// leads it gets into are listed first without a branch (whether a rule matched follows
    /// no pattern), then the item bubbles down their places by max / min.
    #[inline(never)]
    fn offer(&mut self, items: &[f64], rule: u32) {
        let mut count = 0;
        for (lead, (&v, &bar)) in items.iter().zip(&self.bar).enumerate() {
            self.into[count] = lead as u32;
            count += usize::from(v.abs() > bar);
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
    /// `mask[i] &= self.holds(row start + i)` over a block, one loop per kind of column.
    pub(crate) fn fill(&self, cols: &super::columns::LeadColumns<'_>, start: usize, mask: &mut [bool]) {
        let end = start + mask.len();
        match (self, cols.fields[self.col()].1) {
            (Self::Table { matches, missing, .. }, FieldData::Text { codes, .. }) => {
                for (m, &c) in mask.iter_mut().zip(&codes[start..end]) {
                    *m &= usize::try_from(c).ok().and_then(|c| matches.get(c)).copied().unwrap_or(*missing);
                }
            }
            (Self::Number { lo, hi, lo_incl, hi_incl, .. }, FieldData::Number(v)) => {
                for (m, &x) in mask.iter_mut().zip(&v[start..end]) {
                    // NaN (missing) fails both comparisons.
                    let above = if *lo_incl { x >= *lo } else { x > *lo };
                    let below = if *hi_incl { x <= *hi } else { x < *hi };
                    *m &= above && below;
                }
            }
            (Self::Days { from, to, .. }, FieldData::Date(v)) => {
                for (m, &d) in mask.iter_mut().zip(&v[start..end]) {
                    *m &= d != NO_DATE && d >= *from && d <= *to;
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
                    *m &= present == *want;
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
