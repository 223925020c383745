//! Is the model any good? A calibration report on a labelled set, and a time-based split.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::detmath::ln;
use super::lead::{FieldValue, Lead};
use crate::error::{Error, Result};

/// Most reliability bins.
pub const MAX_BINS: u32 = 1_000;
/// Log loss clips probabilities to `[ε, 1 − ε]` (scikit-learn's convention), so one
/// confident mistake costs ln(1e15) ≈ 34.5, not infinity.
pub const LOG_LOSS_EPSILON: f64 = 1e-15;

/// How well predicted probabilities matched outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CalibrationReport {
    /// Predictions scored.
    pub count: u64,
    /// Of which won.
    pub won: u64,
    /// Mean of (p − outcome)²: 0 is perfect, 0.25 is a coin toss.
    pub brier: f64,
    /// Mean of −ln(p) for won and −ln(1 − p) for lost.
    pub log_loss: f64,
    /// Probability that a won lead scores above a lost one (ties count half); none without
    /// both classes.
    pub auc: Option<f64>,
    /// Equal-width bins of predicted probability.
    pub bins: Vec<ReliabilityBin>,
}

/// One reliability bin: what was predicted against what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ReliabilityBin {
    /// Lower bound (inclusive).
    pub from: f64,
    /// Upper bound (exclusive; the last bin includes 1).
    pub to: f64,
    /// Predictions in the bin.
    pub count: u64,
    /// Their mean probability (none for an empty bin).
    pub mean_predicted: Option<f64>,
    /// Their share won (none for an empty bin).
    pub observed: Option<f64>,
}

/// Calibration of `probabilities` against `won` outcomes, with `bins` reliability bins.
///
/// # Errors
///
/// `invalid_value` at `outcomes` when the lengths differ and at `probabilities` when there
/// are none; `out_of_range` at
/// `probabilities[i]` outside [0, 1] (or NaN) and at `bins` of 0; `limit_exceeded` at `bins`
/// above [`MAX_BINS`].
///
/// # Examples
///
/// ```
/// let r = crmkit::scoring::calibration(&[0.9, 0.2, 0.7, 0.4], &[true, false, false, true], 2)?;
/// assert_eq!(r.auc, Some(0.75));
/// assert!((r.brier - (0.01 + 0.04 + 0.49 + 0.36) / 4.0).abs() < 1e-12);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn calibration(probabilities: &[f64], won: &[bool], bins: u32) -> Result<CalibrationReport> {
    if probabilities.len() != won.len() {
        return Err(Error::InvalidValue {
            path: "outcomes".into(),
            reason: format!("{} outcomes for {} probabilities", won.len(), probabilities.len()),
        });
    }
    if bins == 0 {
        return Err(Error::out_of_range("bins", bins, 1, MAX_BINS));
    }
    crate::limits::check("bins", bins, u64::from(MAX_BINS), "bins")?;
    if let Some(i) = probabilities.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(Error::out_of_range(format!("probabilities[{i}]"), probabilities[i], 0, 1));
    }
    // A mean over no prediction is no number: Brier 0 and log loss 0 would read as a perfect
    // model (an empty test split from `time_split`, say).
    if probabilities.is_empty() {
        return Err(Error::InvalidValue { path: "probabilities".into(), reason: "no predictions to calibrate".into() });
    }
    let n = probabilities.len();
    let (mut brier, mut log_loss) = (0.0, 0.0);
    let mut acc = vec![(0_u64, 0.0_f64, 0_u64); bins as usize];
    for (&p, &w) in probabilities.iter().zip(won) {
        let y = if w { 1.0 } else { 0.0 };
        brier += (p - y) * (p - y);
        let q = p.clamp(LOG_LOSS_EPSILON, 1.0 - LOG_LOSS_EPSILON);
        log_loss -= if w { ln(q) } else { ln(1.0 - q) };
        let b = bin_of(p, bins);
        acc[b].0 += 1;
        acc[b].1 += p;
        acc[b].2 += u64::from(w);
    }
    let count = n as f64;
    let won_count = won.iter().filter(|w| **w).count() as u64;
    Ok(CalibrationReport {
        count: n as u64,
        won: won_count,
        brier: brier / count,
        log_loss: log_loss / count,
        auc: auc(probabilities, won, won_count),
        bins: acc
            .iter()
            .enumerate()
            .map(|(i, &(c, sum, w))| ReliabilityBin {
                from: i as f64 / f64::from(bins),
                to: (i + 1) as f64 / f64::from(bins),
                count: c,
                mean_predicted: (c > 0).then(|| sum / c as f64),
                observed: (c > 0).then(|| w as f64 / c as f64),
            })
            .collect(),
    })
}

/// The bin of `p` among `bins` equal-width bins: the one whose reported bounds hold it,
/// `from` = i / bins ≤ p < `to` = (i + 1) / bins (the last bin takes 1). `p × bins` alone
/// rounds 0.57 × 100 to 56.99999999999999, which put p = 0.57 below the bin whose `from` is
/// 0.57.
fn bin_of(p: f64, bins: u32) -> usize {
    let k = f64::from(bins);
    let last = bins as usize - 1;
    let mut b = ((p * k) as usize).min(last);
    if b < last && p >= (b + 1) as f64 / k {
        b += 1;
    } else if b > 0 && p < b as f64 / k {
        b -= 1;
    }
    b
}

/// Mann–Whitney U over average ranks (ties share their mean rank).
#[allow(clippy::float_cmp)] // ties are exactly equal probabilities
fn auc(p: &[f64], won: &[bool], n_won: u64) -> Option<f64> {
    let n_lost = p.len() as u64 - n_won;
    if n_won == 0 || n_lost == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && p[order[j + 1]] == p[order[i]] {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += order[i..=j].iter().filter(|&&k| won[k]).count() as f64 * mean_rank;
        i = j + 1;
    }
    let (w, l) = (n_won as f64, n_lost as f64);
    Some((rank_sum - w * (w + 1.0) / 2.0) / (w * l))
}

/// Which leads train and which test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct TimeSplit {
    /// Indices of leads closed before the cutoff.
    pub train: Vec<u64>,
    /// Indices of leads closed on or after it.
    pub test: Vec<u64>,
}

/// Splits closed leads by their `date_field` (`YYYY-MM-DD`): before `cutoff` trains, on or
/// after it tests. A model judged on leads that closed after everything it learnt from is
/// judged the way it will be used.
///
/// # Errors
///
/// `missing_value` / `invalid_date` at `leads[i].<date_field>`.
///
/// # Examples
///
/// ```
/// use crmkit::scoring::{time_split, Lead};
///
/// let leads: Vec<Lead> = crmkit::wire::from_json(r#"[{"id": "a", "closed_on": "2026-09-01"},
///   {"id": "b", "closed_on": "2026-06-01"}]"#, "leads")?;
/// let split = time_split(&leads, "closed_on", crmkit::NaiveDate::from_ymd_opt(2026, 8, 1).unwrap())?;
/// assert_eq!((split.train, split.test), (vec![1], vec![0]));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn time_split(leads: &[Lead], date_field: &str, cutoff: NaiveDate) -> Result<TimeSplit> {
    let mut split = TimeSplit { train: Vec::new(), test: Vec::new() };
    for (i, lead) in leads.iter().enumerate() {
        let path = format!("leads[{i}].{date_field}");
        let on = match lead.fields.get(date_field) {
            Some(FieldValue::Text(t)) => crate::wire::parse_date(t, &path)?,
            _ => return Err(Error::MissingValue { path, reason: "a time split needs every lead's date".into() }),
        };
        if on < cutoff { &mut split.train } else { &mut split.test }.push(i as u64);
    }
    Ok(split)
}
