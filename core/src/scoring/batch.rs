//! The batch pass behind [`super::score_columns`]: leads in blocks, each block scored rule by
//! rule over its columns (a condition is one tight loop over a column slice, not a match per
//! lead and rule), events counted once per lead into per-rule accumulators, then one short
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
use super::frame::ScoreColumns;
use super::pass::{add, clamp, grade};
use super::rules::{Dimension, ScoringPolicy};

/// No item: the rule did not match this lead.
const NONE: f64 = f64::NAN;

/// Buffers of one block, reused from block to block.
struct Block {
    len: usize,
    /// Per lead of the block, per rule: points after decay, or [`NONE`].
    items: Vec<f64>,
    /// The current rule's conditions, per lead of the block.
    mask: Vec<bool>,
    /// Per event rule (spec `k`), per lead `i`: at `k * size + i`.
    counts: Vec<u32>,
    newest: Vec<i64>,
    sums: Vec<f64>,
    /// The current lead's decay factors, per capped per-event rule.
    kept: Vec<Vec<f64>>,
}

/// What an event rule keeps of each qualifying event (besides counting it).
#[derive(Clone, Copy)]
enum Mode {
    /// Once per lead: the newest event's age.
    Newest,
    /// Per event: the sum of the decay factors.
    Sum,
    /// Per event, at most `max_events`: the factors, summed once the lead is done.
    Kept,
}

/// An event rule as an event type's list holds it.
#[derive(Clone, Copy)]
struct Acc<'t> {
    /// Its accumulators' offset in the block (spec × block size).
    base: usize,
    spec: usize,
    /// `within_days`, or `i64::MAX`.
    within: i64,
    mode: Mode,
    /// Decay factors by whole day of age (empty without a half-life or beyond the budget).
    table: &'t [f64],
}

impl Compiled<'_> {
    /// Scores every lead into `out` (all columns but `rank`), `k` top reasons each.
    pub(crate) fn score_batch(&self, policy: &ScoringPolicy, k: usize, out: &mut ScoreColumns) {
        let rules = self.rules.len();
        let specs = self.events.len();
        // Leads per block: the block's rule values and accumulators stay within a few
        // hundred KB (in cache), whatever the number of rules.
        let size = (32_768 / rules.max(specs).max(1)).clamp(8, 1024);
        let mut b = Block {
            len: 0,
            items: vec![NONE; rules * size],
            mask: vec![true; size],
            counts: vec![0; specs * size],
            newest: vec![i64::MAX; specs * size],
            sums: vec![0.0; specs * size],
            kept: vec![Vec::new(); specs],
        };
        // Per event type, the event rules that count it, with what each keeps of an event.
        let accs: Vec<Vec<Acc<'_>>> = self
            .by_type
            .iter()
            .map(|specs| {
                specs
                    .iter()
                    .map(|&s| {
                        let spec = &self.events[s];
                        let mode = match (spec.per_event, spec.max_events) {
                            (false, _) => Mode::Newest,
                            (true, None) => Mode::Sum,
                            (true, Some(_)) => Mode::Kept,
                        };
                        Acc {
                            base: s * size,
                            spec: s,
                            within: spec.within.unwrap_or(i64::MAX),
                            mode,
                            table: &spec.table,
                        }
                    })
                    .collect()
            })
            .collect();
        let capped: Vec<usize> = (0..specs).filter(|&s| self.events[s].max_events.is_some()).collect();
        let slots: Vec<usize> = self
            .rules
            .iter()
            .map(|r| match (r.group, r.dim) {
                (Some(g), _) => 2 + g,
                (None, Dimension::Fit) => 0,
                (None, Dimension::Engagement) => 1,
            })
            .collect();
        let slots_n = 2 + policy.groups.len();
        // Per slot (0 fit, 1 engagement, 2 + g group g), per lead of the block.
        let mut sums = vec![0.0; slots_n * size];
        let mut hit = vec![0_u8; slots_n * size];
        // Per place j of the top reasons, per lead: |points| (−1: empty) and rule.
        let mut top_key = vec![-1.0; k * size];
        let mut top_rule = vec![-1_i32; k * size];
        let mut start = 0;
        while start < self.cols.rows {
            let len = size.min(self.cols.rows - start);
            b.len = len;
            if specs > 0 {
                self.count_block(start, &accs, &capped, size, &mut b);
            }
            for (r, rule) in self.rules.iter().enumerate() {
                let mask = &mut b.mask[..len];
                mask.fill(true);
                for t in &rule.tests {
                    t.fill(&self.cols, start, mask);
                }
                let items = &mut b.items[r * size..r * size + len];
                match rule.event {
                    None => {
                        for (item, &m) in items.iter_mut().zip(mask.iter()) {
                            *item = if m { rule.points } else { NONE };
                        }
                    }
                    Some(e) => {
                        let spec = &self.events[e];
                        let at = e * size;
                        let (counts, acc) = (&b.counts[at..at + len], &b.sums[at..at + len]);
                        let newest = &b.newest[at..at + len];
                        for (i, (item, &m)) in items.iter_mut().zip(mask.iter()).enumerate() {
                            let count = counts[i];
                            *item = if !m || count == 0 || count < spec.min_count {
                                NONE
                            } else if spec.per_event {
                                acc[i] * rule.points
                            } else {
                                rule.points * spec.factor(newest[i])
                            };
                        }
                    }
                }
            }
            // Each slot's sum in rule order, as the record pass adds. Adding 0.0 where a rule
            // did not match changes nothing: a sum that starts at +0.0 is never −0.0.
            sums.fill(0.0);
            hit.fill(0);
            for (r, &slot) in slots.iter().enumerate() {
                let items = &b.items[r * size..r * size + len];
                let (acc, seen) = (&mut sums[slot * size..slot * size + len], &mut hit[slot * size..slot * size + len]);
                for (a, &v) in acc.iter_mut().zip(items) {
                    *a += if v.is_nan() { 0.0 } else { v };
                }
                for (h, &v) in seen.iter_mut().zip(items) {
                    *h |= u8::from(!v.is_nan());
                }
            }
            if k > 0 {
                top_key.fill(-1.0);
                top_rule.fill(-1);
                for r in 0..rules {
                    Self::top_block(&b.items[r * size..r * size + len], r as i32, k, size, &mut top_key, &mut top_rule);
                }
            }
            for i in 0..len {
                let row = start + i;
                let (mut fit, mut eng) = (sums[i], sums[size + i]);
                for (g, group) in policy.groups.iter().enumerate() {
                    let at = (2 + g) * size + i;
                    if hit[at] != 0 {
                        add(self.group_dim[g], clamp(sums[at], group.min, group.max), &mut fit, &mut eng);
                    }
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
                        && self.tier_tests[t].iter().all(|c| c.holds(&self.cols, row))
                });
                out.score.push(score);
                out.fit.push(fit);
                out.engagement.push(eng);
                out.grade.push(grade.map_or(-1, |g| g as i32));
                out.tier.push(tier.map_or(-1, |t| t as i32));
            }
            for (j, col) in out.reasons.iter_mut().enumerate() {
                col.extend_from_slice(&top_rule[j * size..j * size + len]);
            }
            start += len;
        }
    }

    /// Offers rule `r`'s items of a block to each lead's running top `k`: largest |points|
    /// first, ties in rule order (a strict `>` keeps the earlier rule ahead; keys are |x|, so
    /// no NaN and no −0). Most items fall below the k-th place and cost one comparison.
    fn top_block(items: &[f64], r: i32, k: usize, size: usize, keys: &mut [f64], rules: &mut [i32]) {
        let last = (k - 1) * size;
        for (i, &v) in items.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            let key = v.abs();
            if key <= keys[last + i] {
                continue;
            }
            let mut j = k - 1;
            while j > 0 && key > keys[(j - 1) * size + i] {
                keys[j * size + i] = keys[(j - 1) * size + i];
                rules[j * size + i] = rules[(j - 1) * size + i];
                j -= 1;
            }
            keys[j * size + i] = key;
            rules[j * size + i] = r;
        }
    }

    /// The block's event accumulators: qualifying events per event rule, the newest one's
    /// age, and the summed decay factors (of the `max_events` most recent, when capped).
    fn count_block(&self, start: usize, accs: &[Vec<Acc<'_>>], capped: &[usize], size: usize, b: &mut Block) {
        b.counts.fill(0);
        b.newest.fill(i64::MAX);
        b.sums.fill(0.0);
        let Some(ev) = &self.cols.events else { return };
        for i in 0..b.len {
            let row = start + i;
            for e in ev.offsets[row] as usize..ev.offsets[row + 1] as usize {
                let Some(accs) = usize::try_from(ev.types[e]).ok().and_then(|t| accs.get(t)) else { continue };
                if accs.is_empty() || ev.on[e] == NO_DATE {
                    continue;
                }
                let age = i64::from(self.as_of) - i64::from(ev.on[e]);
                if age < 0 {
                    continue; // after as_of: not known yet
                }
                for a in accs {
                    if age > a.within {
                        continue;
                    }
                    let at = a.base + i;
                    b.counts[at] += 1;
                    match a.mode {
                        Mode::Newest => b.newest[at] = b.newest[at].min(age),
                        Mode::Sum | Mode::Kept => {
                            // The tabulated factor, else the one `factor` computes.
                            let f = match a.table.get(age as usize) {
                                Some(&f) => f,
                                None => self.events[a.spec].factor(age),
                            };
                            if let Mode::Sum = a.mode {
                                b.sums[at] += f;
                            } else {
                                b.kept[a.spec].push(f);
                            }
                        }
                    }
                }
            }
            for &s in capped {
                let kept = &mut b.kept[s];
                if kept.is_empty() {
                    continue;
                }
                // Most recent first (the largest factors), as the record pass sums them.
                kept.sort_unstable_by(|a, b| b.total_cmp(a));
                kept.truncate(self.events[s].max_events.unwrap_or(u32::MAX) as usize);
                b.sums[s * size + i] = kept.iter().sum::<f64>();
                kept.clear();
            }
        }
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
