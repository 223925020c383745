//! The counters of one history (the whole log, or one group or cohort of it): each deal's
//! visits are added once, then the counters become the report's lines and a stage list a
//! forecast policy takes as it is.

use rust_decimal::Decimal;

use super::history::{DaysPercentile, HistoryFigures, HistoryLine, HistoryPolicy, SkippedStages};
use super::history_log::Visit;
use super::policy::{Stage, StageKind};
use super::ranges::QuantileValue;
use crate::error::Result;
use crate::money::{self, Rounding, RoundingStrategy};

/// What every counter of one policy shares: open stages and their positions.
pub(super) struct Shape<'p> {
    pub policy: &'p HistoryPolicy,
    /// Per stage, its position among the open stages.
    pub open_pos: Vec<Option<usize>>,
    /// The open stages in funnel order.
    pub open_stages: Vec<usize>,
}

/// The counters.
#[derive(Clone)]
pub(super) struct Acc {
    entered: Vec<u64>,
    advanced: Vec<u64>,
    lost_at: Vec<u64>,
    open_at: Vec<u64>,
    /// Per stage: days of finished visits and their count.
    days: Vec<(i64, u64)>,
    /// Per stage: each finished visit's days (only when a percentile is asked for).
    spans: Vec<Vec<i32>>,
    /// Deals that entered (advanced from) the open positions 0..k, by k.
    entered_upto: Vec<u64>,
    advanced_upto: Vec<u64>,
    deals: u64,
    won: u64,
    lost: u64,
    open: u64,
    cycle: i64,
    won_amount: Decimal,
    won_with_amount: u64,
}

impl Acc {
    pub fn new(shape: &Shape) -> Self {
        let n = shape.policy.stages.len();
        let timed = !shape.policy.percentiles.is_empty() || shape.policy.stall_percentile.is_some();
        let upto = shape.open_stages.len() + 1;
        Self {
            entered: vec![0; n],
            advanced: vec![0; n],
            lost_at: vec![0; n],
            open_at: vec![0; n],
            days: vec![(0, 0); n],
            spans: vec![Vec::new(); if timed { n } else { 0 }],
            entered_upto: vec![0; upto],
            advanced_upto: vec![0; upto],
            deals: 0,
            won: 0,
            lost: 0,
            open: 0,
            cycle: 0,
            won_amount: Decimal::ZERO,
            won_with_amount: 0,
        }
    }

    /// Adds one deal's visits, in date order. `visited` is scratch, all false, left so.
    /// Returns a won deal's last known amount, for [`Acc::add_won`]: the caller chooses when
    /// (Decimal sums are rounded once they outgrow 28 digits, so they are added in log order).
    pub fn add(
        &mut self,
        shape: &Shape,
        visits: &[Visit],
        amount: &dyn Fn(usize) -> Option<Decimal>,
        visited: &mut [bool],
    ) -> Option<Decimal> {
        let policy = shape.policy;
        self.deals += 1;
        for pair in visits.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            // Days of 1..=9999 differ by less than 2^22: no overflow.
            let spent = to.0 - from.0;
            let stage = from.2 as usize;
            self.days[stage].0 += i64::from(spent);
            self.days[stage].1 += 1;
            if let Some(stage_spans) = self.spans.get_mut(stage) {
                stage_spans.push(spent);
            }
        }
        let last = visits[visits.len() - 1];
        let furthest_open = visits.iter().filter_map(|v| shape.open_pos[v.2 as usize]).max();
        let outcome = policy.stages[last.2 as usize].kind;
        // The open stages the deal counts as having entered: positions 0..through.
        let reached = furthest_open.map_or(0, |f| f + 1);
        let through = if outcome == StageKind::Won { shape.open_stages.len() } else { reached };
        // The last of them advanced, or was lost or is still open; the others advanced. Work
        // per deal stays proportional to its events, never to the stages (10,000 of them).
        let settle = |pos: usize, acc: &mut Self| {
            let s = shape.open_stages[pos];
            if pos + 1 < through || outcome == StageKind::Won {
                acc.advanced[s] += 1;
            } else if outcome == StageKind::Lost {
                acc.lost_at[s] += 1;
            } else {
                acc.open_at[s] += 1;
            }
        };
        if through > 0 && policy.skipped == SkippedStages::Passed {
            // Every stage up to the furthest one counts: ranges, summed once at the end.
            self.entered_upto[through] += 1;
            let advanced_all = if outcome == StageKind::Won { through } else { through - 1 };
            self.advanced_upto[advanced_all] += 1;
            if advanced_all < through {
                settle(through - 1, self);
            }
        } else {
            for v in visits {
                let stage = v.2 as usize;
                // Counted once however often the deal came back to the stage.
                if let Some(pos) = shape.open_pos[stage].filter(|&p| p < through && !visited[stage]) {
                    visited[stage] = true;
                    self.entered[stage] += 1;
                    settle(pos, self);
                }
            }
            for v in visits {
                visited[v.2 as usize] = false;
            }
        }
        match outcome {
            StageKind::Won => {
                self.won += 1;
                self.entered[last.2 as usize] += 1;
                self.cycle += i64::from(last.0 - visits[0].0);
                return visits.iter().rev().find_map(|v| amount(v.1 as usize));
            }
            StageKind::Lost => {
                self.lost += 1;
                self.entered[last.2 as usize] += 1;
            }
            StageKind::Open => self.open += 1,
        }
        None
    }

    /// Adds a won deal's amount.
    pub fn add_won(&mut self, amount: Decimal) -> Result<()> {
        self.won_amount = money::add(self.won_amount, amount, || "events".into())?;
        self.won_with_amount += 1;
        Ok(())
    }

    pub fn finish(mut self, shape: &Shape) -> HistoryFigures {
        let policy = shape.policy;
        let (mut entering, mut advancing) = (0u64, 0u64);
        for pos in (0..shape.open_stages.len()).rev() {
            entering += self.entered_upto[pos + 1];
            advancing += self.advanced_upto[pos + 1];
            self.entered[shape.open_stages[pos]] += entering;
            self.advanced[shape.open_stages[pos]] += advancing;
        }
        // Rates to the policy's places, days and money to 2: the shared half-even rounding.
        let rates = Rounding { dp: policy.rate_dp, strategy: RoundingStrategy::HalfEven };
        let two_places = Rounding::default();
        let rate = |num: u64, den: u64| (den > 0).then(|| rates.round(Decimal::from(num) / Decimal::from(den)));
        let fixed = |d: Decimal| two_places.round(d);
        let mut stages = Vec::with_capacity(policy.stages.len());
        let mut forecast_stages = Vec::with_capacity(policy.stages.len());
        for (s, st) in policy.stages.iter().enumerate() {
            let mut spans = self.spans.get_mut(s).map(std::mem::take).unwrap_or_default();
            let open = st.kind == StageKind::Open;
            let stall = policy.stall_percentile.as_ref().filter(|_| open);
            let ranked = Ranked::new(&mut spans, policy.percentiles.iter().chain(stall));
            let line = HistoryLine {
                stage: st.name.clone(),
                kind: st.kind,
                entered: self.entered[s],
                advanced: self.advanced[s],
                lost: self.lost_at[s],
                open: self.open_at[s],
                conversion: if open { rate(self.advanced[s], self.advanced[s] + self.lost_at[s]) } else { None },
                avg_days: (self.days[s].1 > 0)
                    .then(|| fixed(Decimal::from(self.days[s].0) / Decimal::from(self.days[s].1))),
                visits: self.days[s].1,
                percentiles: policy.percentiles.iter().map(|p| ranked.percentile(p)).collect(),
            };
            forecast_stages.push(Stage {
                name: st.name.clone(),
                kind: st.kind,
                conversion: line.conversion.filter(|_| open),
                duration: line.avg_days.filter(|_| open),
                stall_after: stall.and_then(|p| ranked.percentile(p).days).map(Decimal::from),
                ..Stage::default()
            });
            stages.push(line);
        }
        HistoryFigures {
            stages,
            deals: self.deals,
            won: self.won,
            lost: self.lost,
            open: self.open,
            win_rate: rate(self.won, self.won + self.lost),
            avg_cycle_days: (self.won > 0).then(|| fixed(Decimal::from(self.cycle) / Decimal::from(self.won))),
            avg_won_amount: (self.won_with_amount > 0)
                .then(|| fixed(self.won_amount / Decimal::from(self.won_with_amount))),
            forecast_stages,
        }
    }
}

/// Nearest-rank percentiles of a stage's visit days without sorting them all: each asked
/// rank is put in place by `select_nth_unstable`, lowest rank first, each selection in the
/// part above the previous one (linear time per rank, against n log n for a sort).
struct Ranked {
    /// Each asked 0-based rank and the value there in sorted order.
    at: Vec<(usize, i32)>,
    n: usize,
}

impl Ranked {
    fn new<'p>(spans: &mut [i32], asked: impl Iterator<Item = &'p QuantileValue>) -> Self {
        let n = spans.len();
        let mut ranks: Vec<usize> = asked.filter_map(|p| rank(p, n)).collect();
        ranks.sort_unstable();
        ranks.dedup();
        let mut at = Vec::with_capacity(ranks.len());
        let mut from = 0;
        for r in ranks {
            let (_, &mut v, _) = spans[from..].select_nth_unstable(r - from);
            at.push((r, v));
            from = r;
        }
        Self { at, n }
    }

    /// The nearest-rank percentile `p`: the `ceil(p ÷ 100 × n)`-th smallest.
    fn percentile(&self, p: &QuantileValue) -> DaysPercentile {
        let days = rank(p, self.n)
            .and_then(|r| self.at.binary_search_by_key(&r, |&(k, _)| k).ok())
            .map(|k| i64::from(self.at[k].1));
        DaysPercentile { percentile: p.0.normalize(), days }
    }
}

/// The 0-based rank of the nearest-rank percentile `p` among `n` values (`None` for none).
fn rank(p: &QuantileValue, n: usize) -> Option<usize> {
    // ≥ 1 for p > 0 and n ≥ 1; ≤ n for p < 100.
    let rank = (p.0 * Decimal::from(n) / Decimal::ONE_HUNDRED).ceil();
    rust_decimal::prelude::ToPrimitive::to_usize(&rank).and_then(|r| r.checked_sub(1)).filter(|&r| r < n)
}
