//! Shapley attribution: each journey's channels as players of a coalition game whose value
//! comes from all journeys.
//!
//! For every distinct channel set C of a converting journey, the game's players are C's
//! channels and a coalition S ⊆ C is worth, by [`CoalitionValue`], the conversion rate or
//! the conversions of the journeys whose channel set lies within S, or the conversions of
//! those whose set equals S. Shapley values are exact (all 2^|C| coalitions) up to
//! [`EXACT_PLAYERS`] players, and the mean marginal contribution over `samples` seeded
//! random orders beyond.

use std::collections::HashMap;

use super::engine::Prepared;
use super::model::CoalitionValue;
use super::split::{fixed, FxBuild};
use crate::error::Result;

/// Largest journey channel set valued exactly.
pub const EXACT_PLAYERS: usize = 15;
/// Largest channel set a journey may have under Shapley (coalitions are 64-bit masks).
pub const MAX_PLAYERS: usize = 64;

/// Split weights of the players (sorted channel indices) of every converting journey's
/// channel set: its Shapley values, negative ones counted as nothing. Under `within` and
/// `exact_set` the exact values times k! are integers, used as they are, so channels whose
/// values are equal in theory tie exactly; otherwise 40-bit fixed point of value ÷ largest.
pub(crate) fn weights(
    p: &Prepared,
    value: CoalitionValue,
    samples: u32,
    seed: u64,
    path: &dyn Fn(usize) -> String,
) -> Result<HashMap<Vec<u32>, Vec<u64>, FxBuild>> {
    // Journeys by exact channel set: (conversions, journeys), in first-seen order.
    let mut index: HashMap<Vec<u32>, usize, FxBuild> = HashMap::default();
    let mut sets: Vec<(Vec<u32>, u64, u64)> = Vec::new();
    let mut key = Vec::new();
    for (j, start, n) in p.journeys() {
        key.clear();
        key.extend_from_slice(&p.channel[start..start + n]);
        key.sort_unstable();
        key.dedup();
        crate::limits::check(
            &format!("{}.touches", path(j)),
            key.len(),
            MAX_PLAYERS as u64,
            "channels in a journey under shapley",
        )?;
        let k = if let Some(&k) = index.get(&key) {
            k
        } else {
            index.insert(key.clone(), sets.len());
            sets.push((key.clone(), 0, 0));
            sets.len() - 1
        };
        sets[k].1 += u64::from(p.converted[j]);
        sets[k].2 += 1;
    }
    let mut out = HashMap::default();
    for (players, conv, _) in &sets {
        if *conv == 0 {
            continue;
        }
        // The sets lying within these players, as masks over them.
        let within: Vec<(u64, u64, u64)> =
            sets.iter().filter_map(|(t, c, n)| mask(players, t).map(|m| (m, *c, *n))).collect();
        let k = players.len();
        let whole = (k <= EXACT_PLAYERS && value != CoalitionValue::ConversionRate)
            .then(|| exact_counts(k, &within, value))
            .flatten();
        let w = whole.unwrap_or_else(|| {
            let phi =
                if k <= EXACT_PLAYERS { exact(k, &within, value) } else { sampled(k, &within, value, samples, seed) };
            let max = phi.iter().copied().fold(0.0f64, f64::max);
            phi.iter().map(|&x| fixed(x, max)).collect()
        });
        out.insert(players.clone(), w);
    }
    Ok(out)
}

/// `t` as a mask over `players` (both sorted), or `None` when `t` holds another channel.
fn mask(players: &[u32], t: &[u32]) -> Option<u64> {
    let mut m = 0u64;
    for c in t {
        m |= 1u64 << players.binary_search(c).ok()?;
    }
    Some(m)
}

fn worth(value: CoalitionValue, conv_within: u64, all_within: u64, conv_exact: u64) -> f64 {
    match value {
        CoalitionValue::ConversionRate if all_within == 0 => 0.0,
        CoalitionValue::ConversionRate => conv_within as f64 / all_within as f64,
        CoalitionValue::Within => conv_within as f64,
        CoalitionValue::ExactSet => conv_exact as f64,
    }
}

/// k! × the exact Shapley values for integer coalition values (conversions), clamped at 0;
/// `None` if they leave `u64`.
fn exact_counts(k: usize, within: &[(u64, u64, u64)], value: CoalitionValue) -> Option<Vec<u64>> {
    let size = 1usize << k;
    let mut conv = vec![0i128; size];
    for &(m, c, _) in within {
        conv[m as usize] += i128::from(c);
    }
    if value == CoalitionValue::Within {
        for bit in 0..k {
            for s in 0..size {
                if s & (1 << bit) != 0 {
                    conv[s] += conv[s ^ (1 << bit)];
                }
            }
        }
    }
    // fact[i] = i!, k ≤ 15: below 2^41.
    let mut fact = vec![1i128; k + 1];
    for i in 1..=k {
        fact[i] = fact[i - 1] * i as i128;
    }
    let mut out = Vec::with_capacity(k);
    for i in 0..k {
        let bit = 1usize << i;
        let mut phi = 0i128;
        for s in 0..size {
            if s & bit == 0 {
                let n = s.count_ones() as usize;
                phi = phi.checked_add(fact[n].checked_mul(fact[k - n - 1])?.checked_mul(conv[s | bit] - conv[s])?)?;
            }
        }
        out.push(u64::try_from(phi.max(0)).ok()?);
    }
    Some(out)
}

/// Exact Shapley values over all 2^k coalitions.
fn exact(k: usize, within: &[(u64, u64, u64)], value: CoalitionValue) -> Vec<f64> {
    let size = 1usize << k;
    let mut conv = vec![0u64; size];
    let mut all = vec![0u64; size];
    for &(m, c, n) in within {
        conv[m as usize] += c;
        all[m as usize] += n;
    }
    let exact_conv = conv.clone();
    // Sums over subsets (zeta transform).
    for bit in 0..k {
        for s in 0..size {
            if s & (1 << bit) != 0 {
                conv[s] += conv[s ^ (1 << bit)];
                all[s] += all[s ^ (1 << bit)];
            }
        }
    }
    let v: Vec<f64> = (0..size).map(|s| worth(value, conv[s], all[s], exact_conv[s])).collect();
    // weight[s] = s! (k − s − 1)! / k!, built by products in a fixed order.
    let mut weight = vec![0.0f64; k];
    for (s, w) in weight.iter_mut().enumerate() {
        let mut x = 1.0f64 / k as f64;
        // 1/k × 1/C(k−1, s)
        let mut c = 1.0f64;
        for i in 0..s {
            c = c * (k - 1 - i) as f64 / (i + 1) as f64;
        }
        x /= c;
        *w = x;
    }
    let mut phi = vec![0.0f64; k];
    for (i, f) in phi.iter_mut().enumerate() {
        let bit = 1usize << i;
        for s in 0..size {
            if s & bit == 0 {
                *f += weight[s.count_ones() as usize] * (v[s | bit] - v[s]);
            }
        }
    }
    phi
}

/// Mean marginal contributions over `samples` random player orders (splitmix64 from `seed`).
fn sampled(k: usize, within: &[(u64, u64, u64)], value: CoalitionValue, samples: u32, seed: u64) -> Vec<f64> {
    let v = |s: u64| {
        let (mut c, mut n, mut e) = (0, 0, 0);
        for &(m, cm, nm) in within {
            if m & !s == 0 {
                c += cm;
                n += nm;
                if m == s {
                    e += cm;
                }
            }
        }
        worth(value, c, n, e)
    };
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut phi = vec![0.0f64; k];
    let mut perm: Vec<usize> = (0..k).collect();
    for _ in 0..samples {
        // Fisher–Yates with a draw reduced by multiply-shift.
        for i in (1..k).rev() {
            let j = ((u128::from(next()) * (i as u128 + 1)) >> 64) as usize;
            perm.swap(i, j);
        }
        let (mut s, mut before) = (0u64, v(0));
        for &i in &perm {
            s |= 1 << i;
            let after = v(s);
            phi[i] += after - before;
            before = after;
        }
    }
    phi.iter().map(|x| x / f64::from(samples)).collect()
}
