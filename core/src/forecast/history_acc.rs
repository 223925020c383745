//! The counters of one history (the whole log, or one group or cohort of it): each deal's
//! visits are added once, then the counters become the report's lines and a stage list a
//! forecast policy takes as it is.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::history::{DaysPercentile, HistoryLine, HistoryPolicy, SkippedStages};
use super::policy::{Stage, StageKind};
use super::ranges::QuantileValue;
use crate::error::Result;
use crate::money::{self, Rounding, RoundingStrategy};

/// One event of a deal: its day, its index in the log, its stage.
pub(super) type Visit = (NaiveDate, usize, usize);

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
    spans: Vec<Vec<i64>>,
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

/// One history, finished: the figures of a [`HistoryReport`](super::HistoryReport) or a group.
pub(super) struct Figures {
    pub stages: Vec<HistoryLine>,
    pub deals: u64,
    pub won: u64,
    pub lost: u64,
    pub open: u64,
    pub win_rate: Option<Decimal>,
    pub avg_cycle_days: Option<Decimal>,
    pub avg_won_amount: Option<Decimal>,
    pub forecast_stages: Vec<Stage>,
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
    pub fn add(
        &mut self,
        shape: &Shape,
        visits: &[Visit],
        amount: &dyn Fn(usize) -> Option<Decimal>,
        visited: &mut [bool],
    ) -> Result<()> {
        let policy = shape.policy;
        self.deals += 1;
        for pair in visits.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            let spent = (to.0 - from.0).num_days();
            self.days[from.2].0 += spent;
            self.days[from.2].1 += 1;
            if let Some(stage_spans) = self.spans.get_mut(from.2) {
                stage_spans.push(spent);
            }
        }
        let last = visits[visits.len() - 1];
        let furthest_open = visits.iter().filter_map(|v| shape.open_pos[v.2]).max();
        let outcome = policy.stages[last.2].kind;
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
                // Counted once however often the deal came back to the stage.
                if let Some(pos) = shape.open_pos[v.2].filter(|&p| p < through && !visited[v.2]) {
                    visited[v.2] = true;
                    self.entered[v.2] += 1;
                    settle(pos, self);
                }
            }
            for v in visits {
                visited[v.2] = false;
            }
        }
        match outcome {
            StageKind::Won => {
                self.won += 1;
                self.entered[last.2] += 1;
                self.cycle += (last.0 - visits[0].0).num_days();
                if let Some(a) = visits.iter().rev().find_map(|v| amount(v.1)) {
                    self.won_amount = money::add(self.won_amount, a, || "events".into())?;
                    self.won_with_amount += 1;
                }
            }
            StageKind::Lost => {
                self.lost += 1;
                self.entered[last.2] += 1;
            }
            StageKind::Open => self.open += 1,
        }
        Ok(())
    }

    pub fn finish(mut self, shape: &Shape) -> Figures {
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
            spans.sort_unstable();
            let open = st.kind == StageKind::Open;
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
                percentiles: policy.percentiles.iter().map(|p| percentile(p, &spans)).collect(),
            };
            forecast_stages.push(Stage {
                name: st.name.clone(),
                kind: st.kind,
                conversion: line.conversion.filter(|_| open),
                duration: line.avg_days.filter(|_| open),
                stall_after: policy
                    .stall_percentile
                    .as_ref()
                    .filter(|_| open)
                    .and_then(|p| percentile(p, &spans).days)
                    .map(Decimal::from),
                ..Stage::default()
            });
            stages.push(line);
        }
        Figures {
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

/// The nearest-rank percentile `p` of sorted `spans`: the `ceil(p ÷ 100 × n)`-th smallest.
fn percentile(p: &QuantileValue, spans: &[i64]) -> DaysPercentile {
    let n = Decimal::from(spans.len());
    // ≥ 1 for p > 0 and n ≥ 1; ≤ n for p < 100.
    let rank = (p.0 * n / Decimal::ONE_HUNDRED).ceil();
    let days = rust_decimal::prelude::ToPrimitive::to_usize(&rank)
        .and_then(|r| r.checked_sub(1))
        .and_then(|r| spans.get(r).copied());
    DaysPercentile { percentile: p.0.normalize(), days }
}
