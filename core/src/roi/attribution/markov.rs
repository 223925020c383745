//! Markov-chain attribution: each channel's removal effect.
//!
//! The journeys (converting or not) become a chain start → state → … → conversion | null,
//! where a state is the last `order` channels touched. A channel's removal effect is
//! `1 − P(conversion with every state holding it sent to null) ÷ P(conversion)`, the
//! absorbing probabilities solved by Gauss–Seidel sweeps (basic IEEE operations in a fixed
//! order, so every platform gets the same bits). The transition counts come from the
//! distinct paths, each counted once with its multiplicity.

use std::collections::HashMap;

use super::engine::Prepared;
use super::split::FxBuild;
use crate::error::Result;

/// Most states a chain may have (the solve costs states × channels × sweeps).
pub const MAX_STATES: usize = 20_000;

const CONV: usize = usize::MAX;
const NULL: usize = usize::MAX - 1;

/// Each channel's removal effect in [0, 1] (0 for channels in no journey).
pub(crate) fn removal_effects(p: &Prepared, channels: usize, order: usize) -> Result<Vec<f64>> {
    // Distinct paths with their conversions and non-conversions, in first-seen order.
    let mut paths: HashMap<&[u32], usize, FxBuild> = HashMap::default();
    let mut tally: Vec<(&[u32], u64, u64)> = Vec::new();
    for (j, start, n) in p.journeys() {
        let key = &p.channel[start..start + n];
        let k = *paths.entry(key).or_insert_with(|| {
            tally.push((key, 0, 0));
            tally.len() - 1
        });
        if p.converted[j] {
            tally[k].1 += 1;
        } else {
            tally[k].2 += 1;
        }
    }
    // States: 0 is the start; others are windows of the last `order` channels.
    let mut ids: HashMap<&[u32], usize> = HashMap::new();
    let mut holds: Vec<Vec<u32>> = vec![Vec::new()];
    let mut edges: HashMap<(usize, usize), u64> = HashMap::new();
    for &(key, conv, null) in &tally {
        let times = conv + null;
        let mut from = 0usize;
        for end in 1..=key.len() {
            let window = &key[end.saturating_sub(order)..end];
            let next = if let Some(&id) = ids.get(window) {
                id
            } else {
                crate::limits::check(
                    "model.order",
                    holds.len(),
                    MAX_STATES as u64,
                    "markov states (channel sequences of `order`)",
                )?;
                holds.push(window.to_vec());
                ids.insert(window, holds.len() - 1);
                holds.len() - 1
            };
            *edges.entry((from, next)).or_default() += times;
            from = next;
        }
        if conv > 0 {
            *edges.entry((from, CONV)).or_default() += conv;
        }
        if null > 0 {
            *edges.entry((from, NULL)).or_default() += null;
        }
    }
    let states = holds.len();
    let mut out_of: Vec<Vec<(usize, u64)>> = vec![Vec::new(); states];
    let mut sorted: Vec<_> = edges.into_iter().collect();
    sorted.sort_unstable(); // a fixed summing order, whatever the hash map's
    for ((from, to), n) in sorted {
        out_of[from].push((to, n));
    }
    let adj: Vec<Vec<(usize, f64)>> = out_of
        .iter()
        .map(|row| {
            let total: u64 = row.iter().map(|e| e.1).sum();
            row.iter().map(|&(to, n)| (to, n as f64 / total as f64)).collect()
        })
        .collect();
    let base = solve(&adj, &vec![false; states]);
    let mut effects = vec![0.0; channels];
    if base <= 0.0 {
        return Ok(effects);
    }
    let mut present = vec![false; channels];
    holds.iter().flatten().for_each(|&c| present[c as usize] = true);
    for (c, effect) in effects.iter_mut().enumerate() {
        if present[c] {
            let removed: Vec<bool> = holds.iter().map(|h| h.contains(&(c as u32))).collect();
            *effect = (1.0 - solve(&adj, &removed) / base).clamp(0.0, 1.0);
        }
    }
    Ok(effects)
}

/// Probability of reaching conversion from the start, removed states sent to null.
fn solve(adj: &[Vec<(usize, f64)>], removed: &[bool]) -> f64 {
    let mut prob = vec![0.0f64; adj.len()];
    for _ in 0..100_000 {
        let mut change = 0.0f64;
        for s in 0..adj.len() {
            if removed[s] {
                continue;
            }
            let mut v = 0.0;
            for &(to, q) in &adj[s] {
                v += q * match to {
                    CONV => 1.0,
                    NULL => 0.0,
                    t => prob[t],
                };
            }
            change = change.max((v - prob[s]).abs());
            prob[s] = v;
        }
        if change < 1e-15 {
            break;
        }
    }
    prob[0]
}
