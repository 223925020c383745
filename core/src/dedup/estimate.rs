//! Fellegi-Sunter parameters learned from unlabelled records, as Splink does: u from
//! seeded random pairs (almost all non-matches), then m and the prior by expectation
//! maximisation over the candidate pairs blocking finds.

use serde::{Deserialize, Serialize};

use super::blocking::candidate_pairs;
use super::policy::{FsModel, MatchPolicy};
use super::score::{check_unique_ids, field_levels, level_of, prepare_record, DedupRecord, Issue, Prepared, Scorer};
use crate::error::{Error, Result};

/// Most records `estimate_model` reads (declared limit: README Limits table).
pub const MAX_ESTIMATE_RECORDS: u64 = 5_000_000;

/// How the model is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct EstimateSettings {
    /// EM iterations at most (1 to 1000, default 50).
    #[serde(default = "default_iterations")]
    pub max_iterations: u32,
    /// Random pairs drawn for u (100 to 10,000,000, default 100,000).
    #[serde(default = "default_random_pairs")]
    pub random_pairs: u32,
    /// Seed of the draw: same seed, same model. An integer or a decimal string (a JS
    /// `BigInt` or string beyond 2^53), as every seed.
    #[serde(default = "default_seed", with = "crate::wire::uint")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "number | bigint | string"))]
    pub seed: u64,
}

fn default_iterations() -> u32 {
    50
}
fn default_random_pairs() -> u32 {
    100_000
}
fn default_seed() -> u64 {
    42
}

impl Default for EstimateSettings {
    fn default() -> Self {
        Self { max_iterations: default_iterations(), random_pairs: default_random_pairs(), seed: default_seed() }
    }
}

/// The trained model and how it was reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct EstimateReport {
    /// The policy's model with m, u and prior estimated: put it back in the policy's
    /// `fellegi_sunter` (it is plain data: store it, version it).
    pub model: FsModel,
    /// EM iterations run.
    pub iterations: u32,
    /// Whether the parameters stopped moving (change below 1e-6) before `max_iterations`.
    pub converged: bool,
    /// Candidate pairs EM ran on.
    pub candidate_pairs: u64,
    /// Random pairs u was counted on.
    pub random_pairs: u64,
    /// Values that could not be read (blank for matching).
    pub issues: Vec<Issue>,
}

/// Estimates the policy's Fellegi-Sunter model from unlabelled records.
///
/// # Errors
///
/// The policy's validation errors (`fellegi_sunter` required; its m and u may be absent, and
/// are then started at 0.9 / 0.1 spread over the levels); `duplicate_name` for a repeated
/// record id; `out_of_range` for settings outside their ranges; `limit_exceeded` at `records`
/// beyond [`MAX_ESTIMATE_RECORDS`].
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{estimate_model, EstimateSettings, MatchPolicy, DedupRecord};
/// use crmkit::wire::from_json;
///
/// let policy: MatchPolicy = from_json(r#"{
///   "fields": [{"field": "company", "comparator": {"type": "company_name"}},
///              {"field": "phone", "comparator": {"type": "phone"}}],
///   "fellegi_sunter": {"prior": 0.1, "bands": {"duplicate": 3, "related": 0},
///                      "fields": [{"field": "company"}, {"field": "phone"}]}
/// }"#, "")?;
/// let records: Vec<DedupRecord> = from_json(r#"[
///   {"id": "1", "fields": {"company": "北京字节跳动科技有限公司", "phone": "13800000001"}},
///   {"id": "2", "fields": {"company": "字节跳动（北京）科技有限公司", "phone": "13800000001"}},
///   {"id": "3", "fields": {"company": "上海字节跳动科技有限公司", "phone": "13800000002"}},
///   {"id": "4", "fields": {"company": "小米科技有限责任公司", "phone": "13800000003"}}
/// ]"#, "records")?;
/// let report = estimate_model(&policy, &EstimateSettings::default(), &records)?;
/// assert_eq!(report.model.fields[0].m.len(), 4); // name exact, DUPLICATE, RELATED, DISTINCT
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn estimate_model(
    policy: &MatchPolicy,
    settings: &EstimateSettings,
    records: &[DedupRecord],
) -> Result<EstimateReport> {
    policy.validate()?;
    let Some(start) = &policy.fellegi_sunter else {
        return Err(Error::MissingValue { path: "fellegi_sunter".into(), reason: "estimation needs a model".into() });
    };
    if !(1..=1000).contains(&settings.max_iterations) {
        return Err(Error::out_of_range("settings.max_iterations", settings.max_iterations, 1, 1000));
    }
    if !(100..=10_000_000).contains(&settings.random_pairs) {
        return Err(Error::out_of_range("settings.random_pairs", settings.random_pairs, 100, 10_000_000));
    }
    crate::limits::check("records", records.len(), MAX_ESTIMATE_RECORDS, "records")?;
    check_unique_ids(records.iter(), "records")?;
    let mut issues = Vec::new();
    let prepared: Vec<Prepared> = records
        .iter()
        .enumerate()
        .map(|(i, r)| prepare_record(policy, r, &format!("records[{i}]"), Some(&mut issues)))
        .collect::<Result<_>>()?;
    // Scoring needs m and u: start from a neutral guess where the caller gave none.
    let mut model = start.clone();
    let field_of: Vec<usize> = model
        .fields
        .iter()
        .enumerate()
        .map(|(k, f)| policy.field_index(&f.field, &format!("fellegi_sunter.fields[{k}].field")))
        .collect::<Result<_>>()?;
    let n_levels: Vec<usize> = field_of.iter().enumerate().map(|(k, &i)| field_levels(policy, &model, k, i)).collect();
    for (f, &n) in model.fields.iter_mut().zip(&n_levels) {
        if f.m.len() != n {
            f.m = spread(0.9, n, true);
        }
        if f.u.len() != n {
            f.u = spread(0.9, n, false);
        }
    }
    let mut trial = policy.clone();
    trial.rules = None;
    trial.fellegi_sunter = Some(model.clone());
    let scorer = Scorer::new(&trial, None)?;
    let thresholds: Vec<Vec<f64>> = model.fields.iter().map(|f| f.thresholds.clone()).collect();
    let vector = |a: &Prepared, b: &Prepared| -> Result<Vec<Option<u8>>> {
        let results = scorer.compare_fields(a, b)?;
        Ok(field_of
            .iter()
            .zip(&thresholds)
            .map(|(&i, t)| {
                let company = policy.fields[i].comparator == super::compare::Comparator::CompanyName;
                results[i].as_ref().map(|r| level_of(t, company, r) as u8)
            })
            .collect())
    };

    // u: random pairs.
    let mut random = 0u64;
    let mut u_counts: Vec<Vec<f64>> = n_levels.iter().map(|&n| vec![0.0; n]).collect();
    if prepared.len() >= 2 {
        let n = prepared.len() as u64;
        let mut state = settings.seed;
        for _ in 0..settings.random_pairs {
            let a = (next(&mut state) % n) as usize;
            let b = (next(&mut state) % n) as usize;
            if a == b {
                continue;
            }
            random += 1;
            for (k, level) in vector(&prepared[a], &prepared[b])?.into_iter().enumerate() {
                if let Some(l) = level {
                    u_counts[k][usize::from(l)] += 1.0;
                }
            }
        }
    }
    for (f, counts) in model.fields.iter_mut().zip(&u_counts) {
        f.u = smooth(counts);
    }

    // m and the prior: EM over the candidate pairs, u held.
    let (pairs, _) = candidate_pairs(policy, &prepared)?;
    let vectors: Vec<Vec<Option<u8>>> =
        pairs.iter().map(|&(a, b)| vector(&prepared[a as usize], &prepared[b as usize])).collect::<Result<_>>()?;
    let mut iterations = 0;
    let mut converged = false;
    if !vectors.is_empty() {
        while iterations < settings.max_iterations {
            iterations += 1;
            let mut m_counts: Vec<Vec<f64>> = n_levels.iter().map(|&n| vec![0.0; n]).collect();
            let mut matched = 0.0;
            for v in &vectors {
                let (mut pm, mut pu) = (model.prior, 1.0 - model.prior);
                for (k, level) in v.iter().enumerate() {
                    if let Some(l) = level {
                        pm *= model.fields[k].m[usize::from(*l)];
                        pu *= model.fields[k].u[usize::from(*l)];
                    }
                }
                let p = if pm + pu > 0.0 { pm / (pm + pu) } else { 0.0 };
                matched += p;
                for (k, level) in v.iter().enumerate() {
                    if let Some(l) = level {
                        m_counts[k][usize::from(*l)] += p;
                    }
                }
            }
            let prior = (matched / vectors.len() as f64).clamp(1e-6, 1.0 - 1e-6);
            let mut change = (prior - model.prior).abs();
            model.prior = prior;
            for (f, counts) in model.fields.iter_mut().zip(&m_counts) {
                let m = smooth(counts);
                change = f.m.iter().zip(&m).map(|(a, b)| (a - b).abs()).fold(change, f64::max);
                f.m = m;
            }
            if change < 1e-6 {
                converged = true;
                break;
            }
        }
    }
    Ok(EstimateReport {
        model,
        iterations,
        converged,
        candidate_pairs: vectors.len() as u64,
        random_pairs: random,
        issues,
    })
}

/// Probabilities from counts with a little smoothing, so no level is ever 0 (log2(m/u)
/// stays finite).
fn smooth(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().sum::<f64>() + 0.01 * counts.len() as f64;
    counts.iter().map(|c| ((c + 0.01) / total).clamp(1e-9, 1.0)).collect()
}

/// `first` on level 0 (matches) or on the last level (non-matches), the rest spread evenly.
fn spread(first: f64, n: usize, matches: bool) -> Vec<f64> {
    let rest = (1.0 - first) / (n - 1).max(1) as f64;
    (0..n).map(|l| if (matches && l == 0) || (!matches && l + 1 == n) { first } else { rest }).collect()
}

fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
