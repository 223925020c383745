//! One lead's pass: event accumulators, rule items, caps, grade and tier; and the ranking.

// A cap is reported exactly when it changed the sum: exact float comparison is the point.
#![allow(clippy::float_cmp)]

use super::columns::NO_DATE;
use super::eval::Compiled;
use super::rules::{Dimension, GradeBand, ScoreBounds, ScoringPolicy};

/// One matched rule of one lead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowItem {
    pub rule: usize,
    pub before: f64,
    pub after: f64,
    pub events: u32,
    pub age: Option<i64>,
}

/// Where a cap or floor applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Group(usize),
    Fit,
    Engagement,
    Total,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct RowCut {
    pub scope: Scope,
    pub before: f64,
    pub after: f64,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RowScore {
    pub fit: f64,
    pub engagement: f64,
    pub score: f64,
    pub grade: Option<u32>,
    pub tier: Option<u32>,
}

/// Buffers reused from lead to lead.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    counts: Vec<u32>,
    newest: Vec<i64>,
    sums: Vec<f64>,
    kept: Vec<Vec<f64>>,
    group_sums: Vec<f64>,
    group_hit: Vec<bool>,
    pub items: Vec<RowItem>,
    pub cuts: Vec<RowCut>,
}

impl Compiled<'_> {
    pub(crate) fn scratch(&self, policy: &ScoringPolicy) -> Scratch {
        let n = self.events.len();
        Scratch {
            counts: vec![0; n],
            newest: vec![i64::MAX; n],
            sums: vec![0.0; n],
            kept: vec![Vec::new(); n],
            group_sums: vec![0.0; policy.groups.len()],
            group_hit: vec![false; policy.groups.len()],
            items: Vec::with_capacity(policy.rules.len()),
            cuts: Vec::new(),
        }
    }

    /// Scores lead `row`; its items and cuts are left in `s`.
    pub(crate) fn score_row(&self, policy: &ScoringPolicy, row: usize, s: &mut Scratch) -> RowScore {
        s.items.clear();
        s.cuts.clear();
        if !self.events.is_empty() {
            self.count_events(row, s);
        }
        for (r, rule) in self.rules.iter().enumerate() {
            if !rule.tests.iter().all(|t| t.holds(&self.cols, row)) {
                continue;
            }
            let item = match rule.event {
                None => RowItem { rule: r, before: rule.points, after: rule.points, events: 0, age: None },
                Some(k) => {
                    let spec = &self.events[k];
                    let count = s.counts[k];
                    if count == 0 || count < spec.min_count {
                        continue;
                    }
                    if spec.per_event {
                        let (used, sum) = match spec.max_events {
                            None => (count, s.sums[k] * rule.points),
                            Some(cap) => {
                                let kept = &mut s.kept[k];
                                // Most recent first: the largest decay factors.
                                kept.sort_unstable_by(|a, b| b.total_cmp(a));
                                kept.truncate(cap as usize);
                                (kept.len() as u32, kept.iter().sum::<f64>() * rule.points)
                            }
                        };
                        RowItem {
                            rule: r,
                            before: rule.points * f64::from(used),
                            after: sum,
                            events: count,
                            age: Some(s.newest[k]),
                        }
                    } else {
                        let f = spec.factor(s.newest[k]);
                        RowItem {
                            rule: r,
                            before: rule.points,
                            after: rule.points * f,
                            events: count,
                            age: Some(s.newest[k]),
                        }
                    }
                }
            };
            s.items.push(item);
        }
        // Caps: groups, then each dimension, then the total.
        s.group_sums.iter_mut().for_each(|g| *g = 0.0);
        s.group_hit.iter_mut().for_each(|g| *g = false);
        let (mut fit, mut eng) = (0.0, 0.0);
        for it in &s.items {
            let rule = &self.rules[it.rule];
            match rule.group {
                Some(g) => {
                    s.group_sums[g] += it.after;
                    s.group_hit[g] = true;
                }
                None => add(rule.dim, it.after, &mut fit, &mut eng),
            }
        }
        for (g, group) in policy.groups.iter().enumerate() {
            if !s.group_hit[g] {
                continue;
            }
            let before = s.group_sums[g];
            let after = clamp(before, group.min, group.max);
            if after != before {
                s.cuts.push(RowCut { scope: Scope::Group(g), before, after });
            }
            add(self.group_dim[g], after, &mut fit, &mut eng);
        }
        fit = bound(fit, policy.fit, Scope::Fit, &mut s.cuts);
        eng = bound(eng, policy.engagement, Scope::Engagement, &mut s.cuts);
        let score = bound(fit + eng, policy.total, Scope::Total, &mut s.cuts);
        let grade = grade(&policy.grades.fit, &policy.grades.engagement, fit, eng);
        let code = grade.map_or(-1, |g| g as i32);
        let tier = (0..policy.tiers.len()).position(|t| {
            self.tier_admits(t, score, fit, eng, code) && self.tier_tests[t].iter().all(|c| c.holds(&self.cols, row))
        });
        RowScore { fit, engagement: eng, score, grade, tier: tier.map(|t| t as u32) }
    }

    fn count_events(&self, row: usize, s: &mut Scratch) {
        s.counts.iter_mut().for_each(|c| *c = 0);
        s.newest.iter_mut().for_each(|c| *c = i64::MAX);
        s.sums.iter_mut().for_each(|c| *c = 0.0);
        for k in &mut s.kept {
            k.clear();
        }
        let Some(ev) = &self.cols.events else { return };
        let (from, to) = (ev.offsets[row] as usize, ev.offsets[row + 1] as usize);
        for e in from..to {
            let Some(specs) = usize::try_from(ev.types[e]).ok().and_then(|t| self.by_type.get(t)) else { continue };
            if ev.on[e] == NO_DATE {
                continue;
            }
            let age = i64::from(self.as_of) - i64::from(ev.on[e]);
            if age < 0 {
                continue; // after as_of: not known yet
            }
            for &k in specs {
                let spec = &self.events[k];
                if spec.within.is_some_and(|w| age > w) {
                    continue;
                }
                s.counts[k] += 1;
                s.newest[k] = s.newest[k].min(age);
                if spec.per_event {
                    let f = spec.factor(age);
                    if spec.max_events.is_some() {
                        s.kept[k].push(f);
                    } else {
                        s.sums[k] += f;
                    }
                }
            }
        }
    }
}

pub(super) fn add(dim: Dimension, v: f64, fit: &mut f64, eng: &mut f64) {
    match dim {
        Dimension::Fit => *fit += v,
        Dimension::Engagement => *eng += v,
    }
}

pub(super) fn clamp(v: f64, min: Option<f64>, max: Option<f64>) -> f64 {
    let v = max.map_or(v, |m| v.min(m));
    min.map_or(v, |m| v.max(m))
}

fn bound(v: f64, b: ScoreBounds, scope: Scope, cuts: &mut Vec<RowCut>) -> f64 {
    let after = clamp(v, b.min, b.max);
    if after != v {
        cuts.push(RowCut { scope, before: v, after });
    }
    after
}

pub(super) fn band(bands: &[GradeBand], v: f64) -> Option<usize> {
    bands.iter().position(|b| b.min.is_none_or(|m| v >= m))
}

/// Grade code: index into [`ScoringPolicy::grade_labels`].
pub(super) fn grade(fit: &[GradeBand], eng: &[GradeBand], f: f64, e: f64) -> Option<u32> {
    cell(fit.len(), eng.len(), band(fit, f), band(eng, e))
}

/// The grade code of a fit band and an engagement band (of `fits` and `engs` bands): one
/// dimension's band alone when the other has none (Pardot's grade), else the matrix cell,
/// which needs both.
pub(super) fn cell(fits: usize, engs: usize, fit: Option<usize>, eng: Option<usize>) -> Option<u32> {
    match (fits, engs) {
        (0, 0) => None,
        (_, 0) => fit.map(|i| i as u32),
        (0, _) => eng.map(|i| i as u32),
        _ => Some((fit? * engs + eng?) as u32),
    }
}
