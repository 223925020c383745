//! The columnar batch path: leads as columns in, scores as columns out, no line per lead.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::columns::{day_number, EventColumns, LeadColumns};
use super::eval::Compiled;
use super::rules::ScoringPolicy;
use crate::error::{Error, Result};

/// Most leads one [`score_columns`] call (or [`GroupedEvents::group`]) takes: its output
/// columns (about 40 bytes a lead) are allocated up front from a bare count.
pub const MAX_LEADS: u64 = 100_000_000;

/// Scores as columns, row `i` for lead `i`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ScoreColumns {
    /// Total score.
    pub score: Vec<f64>,
    /// Fit score.
    pub fit: Vec<f64>,
    /// Engagement score.
    pub engagement: Vec<f64>,
    /// 1 for the first lead of the ranking.
    pub rank: Vec<u32>,
    /// Grade code into `grade_labels`, −1 for none.
    pub grade: Vec<i32>,
    /// Every grade of the matrix.
    pub grade_labels: Vec<String>,
    /// Tier code into `tier_labels` (the tiers' ids), −1 for none.
    pub tier: Vec<i32>,
    /// The tiers' ids, in the policy's order.
    pub tier_labels: Vec<String>,
    /// `top_reasons` columns: `reasons[k][i]` is the code (into `rule_ids`) of lead `i`'s
    /// k-th largest item, −1 when it has fewer items.
    pub reasons: Vec<Vec<i32>>,
    /// The rules' ids.
    pub rule_ids: Vec<String>,
}

/// Scores and ranks leads given as columns: the numbers of [`super::score_leads`] without
/// the itemised lines (the top reasons stay, as rule codes).
///
/// # Errors
///
/// `limit_exceeded` at `rows` beyond [`MAX_LEADS`]; the policy's validation errors;
/// `missing_value` at `rules[i].when[j].field` for a field without a column; `invalid_type` at
/// `columns.<field>` for a column of the wrong kind; `invalid_value` for columns or event
/// offsets of the wrong length; `invalid_date` at `columns.<field>[i]` / `events.on[i]` for a
/// day outside 0001-01-01 ..= 9999-12-31.
///
/// # Examples
///
/// ```
/// use crmkit::scoring::{score_columns, FieldData, LeadColumns, ScoringPolicy};
///
/// let policy: ScoringPolicy = crmkit::wire::from_json(r#"{"rules": [
///   {"id": "big", "dimension": "fit", "points": 10,
///    "when": [{"field": "employees", "op": "range", "min": 100, "bounds": "[)"}]}
/// ]}"#, "")?;
/// let employees = [50.0, 500.0, f64::NAN];
/// let columns = LeadColumns { rows: 3, fields: vec![("employees", FieldData::Number(&employees))], events: None };
/// let out = score_columns(&policy, &columns, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())?;
/// assert_eq!(out.score, [0.0, 10.0, 0.0]);
/// assert_eq!(out.rank, [2, 1, 3]);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn score_columns(policy: &ScoringPolicy, columns: &LeadColumns<'_>, as_of: NaiveDate) -> Result<ScoreColumns> {
    crate::limits::check("rows", columns.rows, MAX_LEADS, "leads per call")?;
    let engine = Compiled::new(policy, columns.clone(), day_number(as_of))?;
    let n = columns.rows;
    // Reason columns are top_reasons × leads cells (4 bytes each), allocated up front.
    crate::limits::product(
        "top_reasons",
        &[u64::from(policy.top_reasons), columns.rows as u64],
        super::rules::MAX_REASON_CELLS,
        "reason cells (top_reasons × leads)",
    )?;
    let k = policy.top_reasons as usize;
    let mut out = ScoreColumns {
        score: Vec::with_capacity(n),
        fit: Vec::with_capacity(n),
        engagement: Vec::with_capacity(n),
        rank: vec![0; n],
        grade: Vec::with_capacity(n),
        grade_labels: engine.grade_labels.clone(),
        tier: Vec::with_capacity(n),
        tier_labels: policy.tiers.iter().map(|t| t.id.clone()).collect(),
        // Each column its own room for every lead (`vec![Vec::with_capacity(n); k]` clones
        // the first k − 1 without it: they grew by doubling, copied and faulted page by page).
        reasons: (0..k).map(|_| Vec::with_capacity(n)).collect(),
        rule_ids: policy.rules.iter().map(|r| r.id.clone()).collect(),
    };
    engine.score_batch(policy, k, &mut out);
    let rank = &mut out.rank;
    engine.ranking(&out.score, |p, row| rank[row as usize] = p as u32 + 1);
    Ok(out)
}

/// Events in long form (one row per event, `lead` the row of its lead) grouped into the
/// compressed rows [`EventColumns`] reads. Stable: each lead's events keep their order.
#[derive(Debug, Clone, Default)]
pub struct GroupedEvents {
    /// `rows + 1` offsets.
    pub offsets: Vec<u32>,
    /// Type codes, grouped by lead.
    pub types: Vec<i32>,
    /// Days since 1970-01-01, grouped by lead.
    pub on: Vec<i32>,
}

impl GroupedEvents {
    /// Groups `types` and `on` by `lead` (each in `0..rows`).
    ///
    /// # Errors
    ///
    /// `limit_exceeded` at `rows` beyond [`MAX_LEADS`]; `invalid_value` at `events.type` /
    /// `events.on` for lengths that differ from `events.lead`'s; `out_of_range` at
    /// `events.lead[i]` for a row outside the leads; `out_of_range` at `events` beyond
    /// `u32::MAX` events; `invalid_date` at `events.on[i]` (`i` a row of these columns, not
    /// of the grouped ones) for a day outside 0001-01-01 ..= 9999-12-31.
    pub fn group(lead: &[i64], types: &[i32], on: &[i32], rows: usize) -> Result<Self> {
        crate::limits::check("rows", rows, MAX_LEADS, "leads per call")?;
        for (name, len) in [("events.type", types.len()), ("events.on", on.len())] {
            if len != lead.len() {
                return Err(Error::InvalidValue {
                    path: name.into(),
                    reason: format!("{len} rows, events.lead has {}", lead.len()),
                });
            }
        }
        if u32::try_from(lead.len()).is_err() {
            return Err(Error::out_of_range("events", lead.len(), 0, u32::MAX));
        }
        let mut counts = vec![0_u32; rows + 1];
        for (i, &l) in lead.iter().enumerate() {
            match usize::try_from(l).ok().filter(|&l| l < rows) {
                Some(l) => counts[l + 1] += 1,
                None => return Err(Error::out_of_range(format!("events.lead[{i}]"), l, 0, rows as i64 - 1)),
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let offsets = counts.clone();
        if lead.windows(2).all(|w| w[0] <= w[1]) {
            // Already grouped: no permutation.
            return Ok(Self { offsets, types: types.to_vec(), on: on.to_vec() });
        }
        // Checked here, in the caller's order: once grouped, a row number would name another
        // event (already grouped, the engine's own check names the same row).
        crate::wire::check_days(on, Some(super::columns::NO_DATE), |i| format!("events.on[{i}]"))?;
        let mut next = counts;
        let (mut t, mut d) = (vec![0; lead.len()], vec![0; lead.len()]);
        for (i, &l) in lead.iter().enumerate() {
            let at = &mut next[l as usize];
            t[*at as usize] = types[i];
            d[*at as usize] = on[i];
            *at += 1;
        }
        Ok(Self { offsets, types: t, on: d })
    }

    /// The view the engine reads.
    pub fn columns<'a>(&'a self, type_labels: &'a [String]) -> EventColumns<'a> {
        EventColumns { offsets: &self.offsets, types: &self.types, type_labels, on: &self.on }
    }
}
