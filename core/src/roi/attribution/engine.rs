//! The attribution loop over journeys held as columns, shared by the record and the columnar
//! entry points.

use std::collections::HashMap;

use rust_decimal::prelude::ToPrimitive;

use super::fast::split_fast;
use super::model::{Model, PositionWeights};
use super::split::{decay, fixed, is_learned_split, last_non_direct, position, roles, split, split_learned, FxBuild};
use super::{markov, shapley};
use crate::error::Result;

/// Validated journeys: per journey its touch count, revenue in units of the policy's last
/// place (0 when it did not convert) and whether it converted; per touch its channel (an
/// index of the taxonomy), days before the conversion and milestone code.
#[derive(Debug, Default)]
pub(crate) struct Prepared {
    pub lengths: Vec<u32>,
    pub units: Vec<i128>,
    pub converted: Vec<bool>,
    pub channel: Vec<u32>,
    pub days: Vec<u32>,
    pub milestone: Option<Vec<i8>>,
}

impl Prepared {
    /// `(journey, first touch, touch count)` of every journey.
    pub fn journeys(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        let mut at = 0usize;
        self.lengths.iter().enumerate().map(move |(j, &n)| {
            let start = at;
            at += n as usize;
            (j, start, n as usize)
        })
    }
}

/// What the loop computes.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Per touch: its credit in units of the policy's last place.
    pub credits: Vec<i128>,
    /// Per touch, when explaining: its share as `(numerator, denominator)`.
    pub shares: Vec<(u128, u128)>,
    /// Per journey, when explaining: whether a data-driven model found no value in any of
    /// its channels and split it evenly.
    pub even: Vec<bool>,
    /// Markov: each channel's removal effect.
    pub removal_effects: Option<Vec<f64>>,
}

/// Per-channel weights of the data-driven models.
enum Learned {
    Global(Vec<u64>),
    PerSet(HashMap<Vec<u32>, Vec<u64>, FxBuild>),
}

/// Runs `model` (validated) over `p` for a taxonomy of `channels`, `direct` flagging the
/// channels `last_non_direct` skips.
pub(crate) fn run(
    model: &Model,
    channels: usize,
    direct: &[bool],
    p: &Prepared,
    explain: bool,
    path: &dyn Fn(usize) -> String,
) -> Result<Outcome> {
    let mut out = Outcome { credits: vec![0; p.channel.len()], ..Outcome::default() };
    if explain {
        out.shares = vec![(0, 1); p.channel.len()];
        out.even = vec![false; p.lengths.len()];
    }
    let learned = match model {
        Model::Markov { order } => {
            let effects = markov::removal_effects(p, channels, *order as usize)?;
            let max = effects.iter().copied().fold(0.0f64, f64::max);
            let fixed = effects.iter().map(|&e| fixed(e, max)).collect();
            out.removal_effects = Some(effects);
            Some(Learned::Global(fixed))
        }
        Model::Shapley { value, samples, seed } => {
            Some(Learned::PerSet(shapley::weights(p, *value, *samples, *seed, path)?))
        }
        _ => None,
    };
    let units = match model {
        Model::UShaped => Some(PositionWeights::u_shaped().units("model")?),
        Model::WShaped => Some(PositionWeights::w_shaped().units("model")?),
        Model::Position(w) => Some(w.units("model")?),
        _ => None,
    };
    let half_life = match model {
        Model::TimeDecay { half_life_days } => half_life_days.to_f64().unwrap_or(f64::MAX),
        _ => 1.0,
    };
    let mut decay_cache: Vec<u64> =
        if matches!(model, Model::TimeDecay { .. }) { vec![u64::MAX; 4096] } else { Vec::new() };
    let mut weights: Vec<u64> = Vec::new();
    let mut order = Vec::new();
    let mut distinct: Vec<(u32, u64, u32)> = Vec::new(); // channel, weight, touches
    let mut channel_units: Vec<i128> = Vec::new();
    let (mut narrow, mut rem, mut key): (Vec<i64>, Vec<u64>, Vec<u32>) = (Vec::new(), Vec::new(), Vec::new());
    for (j, start, n) in p.journeys() {
        if !p.converted[j] {
            continue;
        }
        let range = start..start + n;
        let credits = &mut out.credits[range.clone()];
        let at = || path(j);
        if let Some(learned) = &learned {
            let chans = &p.channel[range.clone()];
            distinct.clear();
            for &c in chans {
                match distinct.iter_mut().find(|d| d.0 == c) {
                    Some(d) => d.2 += 1,
                    None => distinct.push((c, 0, 1)),
                }
            }
            match learned {
                Learned::Global(w) => distinct.iter_mut().for_each(|d| d.1 = w[d.0 as usize]),
                Learned::PerSet(sets) => {
                    key.clear();
                    key.extend(distinct.iter().map(|d| d.0));
                    key.sort_unstable();
                    if let Some(w) = sets.get(&key) {
                        for d in &mut distinct {
                            d.1 = w[key.binary_search(&d.0).unwrap_or(0)];
                        }
                    }
                }
            }
            let even = distinct.iter().all(|d| d.1 == 0);
            if even {
                for d in &mut distinct {
                    d.1 = 1;
                }
            }
            weights.clear();
            weights.extend(distinct.iter().map(|d| d.1));
            channel_units.clear();
            channel_units.resize(distinct.len(), 0);
            narrow.clear();
            narrow.resize(distinct.len(), 0);
            // The 64-bit split where the tolerance of `split_learned` changes nothing.
            let fast = split_fast(p.units[j], &weights, None, &mut narrow, &mut rem).is_some()
                && u64::try_from(p.units[j]).is_ok_and(|t| is_learned_split(t, &weights, &narrow));
            if fast {
                channel_units.iter_mut().zip(&narrow).for_each(|(c, &u)| *c = i128::from(u));
            } else {
                split_learned(p.units[j], &weights, &mut channel_units, &mut order, &at)?;
            }
            let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
            for (d, &u) in distinct.iter().zip(&channel_units) {
                // The channel's credit, evenly over its touches: equal remainders, so the
                // first `u mod touches` touches get the extra unit.
                let (each, extra) = (u / i128::from(d.2), u % i128::from(d.2));
                let mut seen = 0i128;
                for (k, &c) in chans.iter().enumerate() {
                    if c == d.0 {
                        credits[k] = each + i128::from(seen < extra);
                        seen += 1;
                        if explain {
                            out.shares[start + k] = (u128::from(d.1), total * u128::from(d.2));
                        }
                    }
                }
            }
            if explain {
                out.even[j] = even;
            }
            continue;
        }
        // The three models with equal weights on their touches skip the general split: the
        // remainder goes to the earliest touches, as the split would give it.
        let revenue = p.units[j];
        let even = |credits: &mut [i128]| {
            let (each, extra) = (revenue / credits.len() as i128, revenue % credits.len() as i128);
            for (k, c) in credits.iter_mut().enumerate() {
                *c = each + i128::from((k as i128) < extra);
            }
        };
        let credited = match model {
            Model::FirstTouch => 0,
            Model::LastNonDirect { .. } => last_non_direct(&p.channel[range.clone()], direct).0,
            _ => n - 1,
        };
        match model {
            Model::FirstTouch | Model::LastTouch | Model::LastNonDirect { .. } => {
                even(&mut credits[credited..=credited]);
            }
            Model::Linear => even(credits),
            _ => {}
        }
        if matches!(model, Model::FirstTouch | Model::LastTouch | Model::LastNonDirect { .. } | Model::Linear) {
            if explain {
                for k in 0..n {
                    let own = match model {
                        Model::Linear => 1,
                        _ => u128::from(k == credited),
                    };
                    let den = if matches!(model, Model::Linear) { n as u128 } else { 1 };
                    out.shares[start + k] = (own, den);
                }
            }
            continue;
        }
        weights.clear();
        if let Model::TimeDecay { .. } = model {
            let days = &p.days[range.clone()];
            // Relative to the most recent touch, which then weighs exactly one.
            let latest = days.iter().copied().min().unwrap_or(0);
            for &d in days {
                let delta = d - latest;
                // Most gaps are a few days to months: a table, not a hash map, per touch.
                let w = match decay_cache.get(delta as usize) {
                    Some(&w) if w != u64::MAX => w,
                    _ => {
                        let w = decay(f64::from(delta) / half_life);
                        if let Some(slot) = decay_cache.get_mut(delta as usize) {
                            *slot = w;
                        }
                        w
                    }
                };
                weights.push(w);
            }
        } else {
            let m = p.milestone.as_ref().map(|m| &m[range.clone()]);
            position(&units.unwrap_or_default(), n, roles(m, n), &mut weights);
        }
        split(p.units[j], &weights, credits, &mut order, &at)?;
        if explain {
            let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
            for (k, &w) in weights.iter().enumerate() {
                out.shares[start + k] = (u128::from(w), total);
            }
        }
    }
    Ok(out)
}
