//! The lookback window: the touches a model sees when only the last `lookback_days` before
//! each conversion count.

use super::engine::{Outcome, Prepared};

/// The journeys of a [`Prepared`] restricted to their touches inside the window; a
/// converting journey left without a touch is not in it (unattributed).
pub(crate) struct Window {
    /// The touches inside, as journeys.
    pub inner: Prepared,
    /// Per journey of `inner`: its index in the journeys given.
    pub journeys: Vec<usize>,
    /// Per touch of the journeys given: whether it is inside.
    pub kept: Vec<bool>,
    /// Per touch of `inner`: its index in the journeys given.
    rows: Vec<usize>,
}

impl Window {
    /// Keeps touches at most `days` before their conversion (every touch of a journey that did
    /// not convert: it has no conversion to look back from).
    pub fn of(p: &Prepared, days: u32) -> Self {
        let mut w = Self {
            inner: Prepared { milestone: p.milestone.as_ref().map(|_| Vec::new()), ..Prepared::default() },
            journeys: Vec::new(),
            kept: vec![false; p.channel.len()],
            rows: Vec::new(),
        };
        for (j, start, n) in p.journeys() {
            let before = w.rows.len();
            for i in start..start + n {
                // Touches of a journey that did not convert carry 0 days.
                if !p.converted[j] || p.days.get(i).is_none_or(|&d| d <= days) {
                    w.kept[i] = true;
                    w.rows.push(i);
                    w.inner.channel.push(p.channel[i]);
                    w.inner.days.push(p.days.get(i).copied().unwrap_or(0));
                    if let (Some(inner), Some(outer)) = (w.inner.milestone.as_mut(), p.milestone.as_ref()) {
                        inner.push(outer[i]);
                    }
                }
            }
            let kept = w.rows.len() - before;
            if kept > 0 {
                w.journeys.push(j);
                w.inner.lengths.push(kept as u32);
                w.inner.units.push(p.units[j]);
                w.inner.converted.push(p.converted[j]);
            }
        }
        w
    }

    /// `inner`'s outcome over the journeys given: touches outside the window credited
    /// nothing (shares and even splits too when `explain`).
    pub fn expand(&self, p: &Prepared, inner: Outcome, explain: bool) -> Outcome {
        let mut out = Outcome { credits: vec![0; p.channel.len()], ..Outcome::default() };
        for (&row, &c) in self.rows.iter().zip(&inner.credits) {
            out.credits[row] = c;
        }
        if explain {
            out.shares = vec![(0, 1); p.channel.len()];
            for (&row, &s) in self.rows.iter().zip(&inner.shares) {
                out.shares[row] = s;
            }
        }
        if explain {
            out.even = vec![false; p.lengths.len()];
            for (&j, &e) in self.journeys.iter().zip(&inner.even) {
                out.even[j] = e;
            }
        }
        out.removal_effects = inner.removal_effects;
        out
    }
}
