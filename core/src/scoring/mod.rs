//! Lead scoring (线索评估, 重点线索).
//!
//! A [`ScoringPolicy`] is plain data: [`ScoringRule`]s with conditions on fields ([`FieldCondition`]:
//! equals, in, not in, range with declared bounds, contains, regex, exists, missing, date
//! within N days of `as_of`) and behavioural [`EventRule`]s (event types, a count threshold,
//! a hard window and / or a half-life decay, once or per event), positive or negative points,
//! each in the **fit** or the **engagement** dimension; [`RuleGroup`] caps, dimension and total
//! bounds; a [`Grades`] matrix (`A1`..`D4`) and priority [`PriorityTier`]s (重点线索 first).
//!
//! [`score_leads`] scores and ranks a list of [`Lead`]s: every [`LeadScore`] itemises its
//! contributions (rule id, points before and after decay, events counted) and the caps that
//! cut them, so that `score = Σ items.decayed + Σ cuts.cut`.
//!
//! Time is `as_of`, never the clock: events after it are ignored, ages count back from it.
//! Scores are `f64` (points are not money); decay uses IEEE-exact arithmetic
//! ([`detmath`]) so scores, and so ranks, are identical in Rust, Python and WASM.
//!
//! ```
//! use crmkit::scoring::{score_leads, Lead, ScoringPolicy};
//! use crmkit::wire::from_json;
//!
//! let policy: ScoringPolicy = from_json(r#"{
//!   "rules": [
//!     {"id": "mfg", "dimension": "fit", "points": 20,
//!      "when": [{"field": "industry", "op": "equals", "value": "制造"}]},
//!     {"id": "pricing", "dimension": "engagement", "points": 16,
//!      "event": {"types": ["visit_pricing"], "half_life_days": 7}}
//!   ],
//!   "tiers": [{"id": "key_lead", "label": "重点线索", "min_score": 25}]
//! }"#, "")?;
//! let leads: Vec<Lead> = from_json(r#"[
//!   {"id": "L1", "industry": "制造", "events": [{"type": "visit_pricing", "on": "2026-11-09"}]},
//!   {"id": "L2", "industry": "教育"}
//! ]"#, "leads")?;
//! let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
//! let report = score_leads(&policy, &leads, as_of)?;
//! assert_eq!(report.leads[0].score, 24.0); // 20 + 16 halved twice in 14 days
//! assert_eq!(report.ranking, ["L1", "L2"]);
//! # Ok::<(), crmkit::Error>(())
//! ```

mod batch;
mod columns;
pub mod detmath;
mod eval;
mod evaluate;
mod events;
mod features;
mod frame;
mod lead;
mod learn;
mod learn_columns;
mod model;
mod pass;
mod predict;
mod rank;
mod report;
mod rules;

use chrono::NaiveDate;

pub use columns::{EventColumns, FieldColumn, FieldData, Kind as FieldKind, LeadColumns, OwnedLeadColumns, NO_DATE};
pub use eval::MAX_POINTS;
pub use evaluate::{calibration, time_split, CalibrationReport, ReliabilityBin, TimeSplit, LOG_LOSS_EPSILON, MAX_BINS};
pub use frame::{score_columns, GroupedEvents, ScoreColumns, MAX_LEADS};
pub use lead::{FieldValue, Lead, LeadEvent};
pub use learn::train_lead_model;
pub use learn_columns::train_lead_model_columns;
pub use model::{Feature, FieldTable, LeadModel, Method, ModelConfig, ModelStage, TeamTable, ValueCount};
pub use predict::{predict_leads, Contribution, Prediction, PredictionReason, PredictionReport};
pub use report::{CutScope, ItemReason, LeadScore, ScoreCount, ScoreCut, ScoreItem, ScoreReport};
pub use rules::{
    ConditionOp, Dimension, EventRule, FieldCondition, GradeBand, Grades, PriorityTier, RangeBounds, RuleGroup,
    ScoreBounds, ScoringPolicy, ScoringRule, TieBreak, MAX_DAYS, MAX_PATTERN_LEN, MAX_RULES,
};

use crate::error::Result;

/// The lead fields `policy` reads (its conditions' and tie-breaks' fields), in order of first
/// use: the columns a batch caller must provide.
///
/// # Errors
///
/// `invalid_value` when a field is used as two kinds (text and number...).
///
/// # Examples
///
/// ```
/// use crmkit::scoring::{policy_fields, ScoringPolicy};
///
/// let policy: ScoringPolicy = crmkit::wire::from_json(r#"{"rules": [{"id": "mfg", "dimension": "fit",
///   "points": 20, "when": [{"field": "industry", "op": "equals", "value": "制造"}]}],
///   "tie_break": [{"field": "revenue", "descending": true}]}"#, "")?;
/// assert_eq!(policy_fields(&policy)?, ["industry", "revenue"]);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn policy_fields(policy: &ScoringPolicy) -> Result<Vec<String>> {
    Ok(columns::field_kinds(policy)?.into_iter().map(|(name, _)| name).collect())
}

/// [`policy_fields`] with the kind each is read as, computed from the policy as scoring
/// computes it: a binding turns its host's columns into what the core reads (a Python column
/// of `Decimal` objects into numbers where the kind is `Number` or `Any`) without walking the
/// policy itself.
///
/// # Errors
///
/// `invalid_value` when a field is used as two kinds (text and number...).
///
/// # Examples
///
/// ```
/// use crmkit::scoring::{policy_field_kinds, FieldKind, ScoringPolicy};
///
/// let policy: ScoringPolicy = crmkit::wire::from_json(r#"{"rules": [{"id": "big", "dimension": "fit",
///   "points": 20, "when": [{"field": "employees", "op": "range", "min": 100, "bounds": "[)"}]}],
///   "tie_break": [{"field": "revenue", "descending": true}]}"#, "")?;
/// let kinds = policy_field_kinds(&policy)?;
/// assert_eq!(kinds, [("employees".to_owned(), FieldKind::Number), ("revenue".to_owned(), FieldKind::Any)]);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn policy_field_kinds(policy: &ScoringPolicy) -> Result<Vec<(String, FieldKind)>> {
    columns::field_kinds(policy)
}

/// The lead columns [`train_lead_model_columns`] reads under `config`, so a caller holding a
/// wide table passes only those: the outcome, stage, team and (with `half_life_days`)
/// closing-date columns, then each feature's, without repeats.
///
/// # Errors
///
/// The configuration's errors, as `train_lead_model` reports them.
///
/// # Examples
///
/// ```
/// use crmkit::scoring::{model_fields, ModelConfig};
///
/// let config: ModelConfig = crmkit::wire::from_json(r#"{"method": "bayes", "fields": [{"name": "source"}]}"#, "")?;
/// assert_eq!(model_fields(&config)?, ["outcome", "stage", "team", "source"]);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn model_fields(config: &ModelConfig) -> Result<Vec<String>> {
    config.validate()?;
    let mut names: Vec<String> = Vec::new();
    let fixed = [&config.outcome_field, &config.stage_field, &config.team_field];
    let dated = config.half_life_days.map(|_| &config.closed_on_field);
    for name in fixed.into_iter().chain(dated).chain(config.fields.iter().map(|f| &f.name)) {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    Ok(names)
}

/// Scores and ranks `leads` under `policy` at `as_of`.
///
/// # Errors
///
/// The policy's validation errors (`invalid_value` for a regex that does not compile,
/// `out_of_range` for a range with min > max or a half-life ≤ 0...); `invalid_type` at
/// `leads[3].employees` for a field of the wrong type (text where a range needs a number);
/// `duplicate_name` for an id given twice.
///
/// # Examples
///
/// ```
/// use crmkit::scoring::{score_leads, Lead, ScoringPolicy};
/// use crmkit::wire::from_json;
///
/// let policy: ScoringPolicy = from_json(r#"{"rules": [
///   {"id": "big", "dimension": "fit", "points": 10,
///    "when": [{"field": "employees", "op": "range", "min": 100, "bounds": "[)"}]}
/// ]}"#, "")?;
/// let leads: Vec<Lead> = from_json(r#"[{"id": "a", "employees": "many"}]"#, "leads")?;
/// let e = score_leads(&policy, &leads, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap_err();
/// assert_eq!((e.code(), e.path()), ("invalid_type", "leads[0].employees"));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn score_leads(policy: &ScoringPolicy, leads: &[Lead], as_of: NaiveDate) -> Result<ScoreReport> {
    policy.validate()?;
    let owned = columns::OwnedLeadColumns::from_leads(policy, leads)?;
    let engine = eval::Compiled::new(policy, owned.view(), columns::day_number(as_of))?;
    let ids: Vec<String> = leads.iter().map(|l| l.id.clone()).collect();
    Ok(report::build(policy, &engine, &ids))
}
