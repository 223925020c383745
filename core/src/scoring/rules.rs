//! The rule model as data: conditions on fields, behavioural event rules, groups and caps,
//! the grade matrix and the priority tiers. [`ScoringPolicy::validate`] checks it with paths.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Most rules a policy may hold (a declared limit: compile time and memory grow with it).
pub const MAX_RULES: usize = 10_000;
/// Most `top_reasons` × leads cells the batch scorer returns (4 bytes each).
pub const MAX_REASON_CELLS: u64 = 200_000_000;
/// Longest regex pattern, in bytes.
pub const MAX_PATTERN_LEN: usize = 1_000;
/// Longest window or half-life, in days (a century).
pub const MAX_DAYS: u32 = 36_600;

/// A lead-scoring policy: rules, caps, grades and tiers.
///
/// # Examples
///
/// ```
/// let policy: crmkit::scoring::ScoringPolicy = crmkit::wire::from_json(r#"{
///     "rules": [
///         {"id": "mfg", "dimension": "fit", "points": 20,
///          "when": [{"field": "industry", "op": "in", "values": ["制造", "能源"]}]},
///         {"id": "pricing", "dimension": "engagement", "points": 10,
///          "event": {"types": ["visit_pricing"], "min_count": 2, "within_days": 30}}
///     ]
/// }"#, "")?;
/// policy.validate()?;
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct ScoringPolicy {
    /// The rules; every matching rule adds its points to its dimension.
    pub rules: Vec<ScoringRule>,
    /// Groups of rules with a cap on their summed points.
    #[serde(default)]
    pub groups: Vec<RuleGroup>,
    /// ScoreBounds of the fit score.
    #[serde(default)]
    pub fit: ScoreBounds,
    /// ScoreBounds of the engagement score.
    #[serde(default)]
    pub engagement: ScoreBounds,
    /// ScoreBounds of the total score (fit + engagement).
    #[serde(default)]
    pub total: ScoreBounds,
    /// The grade matrix (fit letter × engagement digit, e.g. `A1`..`D4`).
    #[serde(default)]
    pub grades: Grades,
    /// Priority tiers, first match wins (重点线索 first, typically).
    #[serde(default)]
    pub tiers: Vec<PriorityTier>,
    /// Ranking order among equal scores, before the final tie-break on `id`.
    #[serde(default)]
    pub tie_break: Vec<TieBreak>,
    /// How many items each lead's `top_reasons` lists (largest absolute points first).
    #[serde(default = "ScoringPolicy::three")]
    pub top_reasons: u32,
}

/// The two score dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Who the lead is (industry, size, region...): Pardot's grade, HubSpot's fit.
    Fit,
    /// What the lead does (visits, downloads, webinars...): the heat.
    Engagement,
}

/// One scoring rule: `points` when every `when` condition holds and, for an event rule, the
/// lead's events qualify.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct ScoringRule {
    /// Unique id, quoted in every explanation.
    pub id: String,
    /// The dimension its points go to.
    pub dimension: Dimension,
    /// Points (negative to penalise); per qualifying event with `event.per_event`. A number
    /// or a decimal string (a Python `Decimal`), as every number of the policy.
    #[serde(deserialize_with = "crate::wire::float::deserialize")]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string"))]
    pub points: f64,
    /// The group (and so the cap) it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Conditions on the lead's fields, all of which must hold.
    #[serde(default)]
    pub when: Vec<FieldCondition>,
    /// A behavioural rule over the lead's events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventRule>,
}

/// A condition on one lead field. Which members it needs depends on `op`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct FieldCondition {
    /// The lead field.
    pub field: String,
    /// The operator.
    pub op: ConditionOp,
    /// `equals`, `contains`: the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `in`, `not_in`: the texts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// `range`: lower bound (none: unbounded).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub min: Option<f64>,
    /// `range`: upper bound (none: unbounded).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub max: Option<f64>,
    /// `range`: which bounds are inclusive, `"[]"`, `"[)"`, `"(]"` or `"()"` (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<RangeBounds>,
    /// `regex`: the pattern (Rust `regex-lite` syntax, unanchored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// `contains`, `equals`, `in`, `not_in`: compare ignoring ASCII case.
    #[serde(default)]
    pub ignore_case: bool,
    /// `within_days`: the date is at most this many days before `as_of` (and not after it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
}

/// FieldCondition operators. Text operators need a text field; `range` a number; `within_days` a
/// `YYYY-MM-DD` date; `exists` / `missing` any, each lead its own (null, absent, `""` and `[]`
/// are missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum ConditionOp {
    /// The text equals `value`.
    Equals,
    /// The text is one of `values`.
    In,
    /// The text is present and none of `values` (a missing field does not match).
    NotIn,
    /// The number lies in `[min, max]` with the declared `bounds`.
    Range,
    /// The text contains `value`.
    Contains,
    /// The text matches `pattern`.
    Regex,
    /// The field has a value.
    Exists,
    /// The field has no value.
    Missing,
    /// The date is within `days` days before `as_of`.
    WithinDays,
}

/// Which ends of a range are inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub enum RangeBounds {
    /// min ≤ x ≤ max.
    #[serde(rename = "[]")]
    Closed,
    /// min ≤ x < max.
    #[serde(rename = "[)")]
    ClosedOpen,
    /// min < x ≤ max.
    #[serde(rename = "(]")]
    OpenClosed,
    /// min < x < max.
    #[serde(rename = "()")]
    Open,
}

/// A behavioural rule: the lead's events of `types` on or before `as_of` (and within
/// `within_days` of it) are counted; at least `min_count` of them make the rule match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct EventRule {
    /// Event types that count.
    pub types: Vec<String>,
    /// Fewest qualifying events for the rule to match (default 1; 0 is `out_of_range`).
    #[serde(default = "EventRule::one")]
    pub min_count: u32,
    /// Hard window: events older than this many days before `as_of` are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_days: Option<u32>,
    /// Exponential decay: points halve every this many days of an event's age (> 0).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub half_life_days: Option<f64>,
    /// `false` (default): `points` once, decayed by the age of the most recent qualifying
    /// event. `true`: `points` for each qualifying event, each decayed by its own age.
    #[serde(default)]
    pub per_event: bool,
    /// With `per_event`: at most this many events score (the most recent ones; at least 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_events: Option<u32>,
}

/// A group of rules whose summed points are kept within `[min, max]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct RuleGroup {
    /// Unique id, named by rules' `group`.
    pub id: String,
    /// Cap on the group's points.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub max: Option<f64>,
    /// Floor of the group's points (for penalties).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub min: Option<f64>,
}

/// Optional floor and cap of a score.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct ScoreBounds {
    /// Floor.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub min: Option<f64>,
    /// Cap.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub max: Option<f64>,
}

/// The grade matrix: a lead's grade is its fit band's label followed by its engagement
/// band's label (`A` + `1` = `A1`); a dimension without bands adds nothing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Grades {
    /// Fit bands, highest first.
    #[serde(default)]
    pub fit: Vec<GradeBand>,
    /// Engagement bands, highest first.
    #[serde(default)]
    pub engagement: Vec<GradeBand>,
}

/// A band: scores ≥ `min` (the first band, from the top, that the score reaches). The last
/// band has no `min` and takes every lower score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct GradeBand {
    /// The label (`A`, `1`...).
    pub label: String,
    /// Lowest score of the band; absent on (and only on) the last band.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub min: Option<f64>,
}

/// A priority tier: every given requirement must hold. Tiers are tried in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct PriorityTier {
    /// Unique id (`key_lead`).
    pub id: String,
    /// Display label (`重点线索`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Lowest total score.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub min_score: Option<f64>,
    /// Lowest fit score.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub min_fit: Option<f64>,
    /// Lowest engagement score (the lead's heat).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub min_engagement: Option<f64>,
    /// Grades admitted (empty: any).
    #[serde(default)]
    pub grades: Vec<String>,
    /// Conditions on fields (product line, region, industry, past wins...).
    #[serde(default)]
    pub when: Vec<FieldCondition>,
}

/// One ranking key among equal scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct TieBreak {
    /// The lead field (numbers compare as numbers, text and dates as text; missing last).
    pub field: String,
    /// Largest first.
    #[serde(default)]
    pub descending: bool,
}

impl ScoringPolicy {
    fn three() -> u32 {
        3
    }

    /// Checks the policy: unique ids, every operator with its members, regexes that compile,
    /// `min ≤ max`, half-lives > 0, known groups, bands in order, known grades in tiers.
    ///
    /// # Errors
    ///
    /// `invalid_value`, `missing_value`, `out_of_range` or `duplicate_name`, with the path of
    /// the member (`rules[2].when[0].pattern`).
    pub fn validate(&self) -> Result<()> {
        crate::limits::check("rules", self.rules.len(), MAX_RULES as u64, "rules")?;
        // One reason column per place in the batch output: bounded as the rules are.
        crate::limits::check("top_reasons", self.top_reasons, MAX_RULES as u64, "reasons per lead")?;
        let groups = unique(self.groups.iter().map(|g| g.id.as_str()), "groups", "id")?;
        for (i, g) in self.groups.iter().enumerate() {
            check_bounds(g.min, g.max, &format!("groups[{i}]"))?;
        }
        unique(self.rules.iter().map(|r| r.id.as_str()), "rules", "id")?;
        let mut group_dimension: HashMap<&str, Dimension> = HashMap::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let path = format!("rules[{i}]");
            finite(rule.points, &format!("{path}.points"))?;
            if let Some(g) = &rule.group {
                if !groups.contains_key(g.as_str()) {
                    return Err(invalid(format!("{path}.group"), format!("no group {g:?} in groups")));
                }
                if *group_dimension.entry(g.as_str()).or_insert(rule.dimension) != rule.dimension {
                    return Err(invalid(
                        format!("{path}.group"),
                        format!("group {g:?} mixes fit and engagement rules"),
                    ));
                }
            }
            for (j, c) in rule.when.iter().enumerate() {
                c.validate(&format!("{path}.when[{j}]"))?;
            }
            match &rule.event {
                Some(e) => e.validate(&format!("{path}.event"))?,
                None if rule.when.is_empty() => {
                    return Err(Error::MissingValue {
                        path: format!("{path}.when"),
                        reason: "a rule needs conditions (`when`) or an `event`".into(),
                    })
                }
                None => {}
            }
        }
        check_bounds(self.fit.min, self.fit.max, "fit")?;
        check_bounds(self.engagement.min, self.engagement.max, "engagement")?;
        check_bounds(self.total.min, self.total.max, "total")?;
        check_bands(&self.grades.fit, "grades.fit")?;
        check_bands(&self.grades.engagement, "grades.engagement")?;
        unique(self.tiers.iter().map(|t| t.id.as_str()), "tiers", "id")?;
        let known = self.grade_labels();
        for (i, tier) in self.tiers.iter().enumerate() {
            let path = format!("tiers[{i}]");
            for (name, v) in
                [("min_score", tier.min_score), ("min_fit", tier.min_fit), ("min_engagement", tier.min_engagement)]
            {
                if let Some(v) = v {
                    finite(v, &format!("{path}.{name}"))?;
                }
            }
            for (j, g) in tier.grades.iter().enumerate() {
                if !known.contains(g) {
                    return Err(invalid(format!("{path}.grades[{j}]"), format!("{g:?} is not a grade of the matrix")));
                }
            }
            for (j, c) in tier.when.iter().enumerate() {
                c.validate(&format!("{path}.when[{j}]"))?;
            }
        }
        Ok(())
    }

    /// Every grade the matrix can give.
    pub(crate) fn grade_labels(&self) -> Vec<String> {
        let fit: Vec<&str> = self.grades.fit.iter().map(|b| b.label.as_str()).collect();
        let eng: Vec<&str> = self.grades.engagement.iter().map(|b| b.label.as_str()).collect();
        match (fit.is_empty(), eng.is_empty()) {
            (true, true) => Vec::new(),
            (false, true) => fit.iter().map(|f| (*f).to_owned()).collect(),
            (true, false) => eng.iter().map(|e| (*e).to_owned()).collect(),
            (false, false) => fit.iter().flat_map(|f| eng.iter().map(move |e| format!("{f}{e}"))).collect(),
        }
    }
}

impl EventRule {
    fn one() -> u32 {
        1
    }

    fn validate(&self, path: &str) -> Result<()> {
        if self.types.is_empty() {
            return Err(Error::MissingValue {
                path: format!("{path}.types"),
                reason: "name at least one event type".into(),
            });
        }
        if let Some(w) = self.within_days
            && w > MAX_DAYS
        {
            return Err(Error::out_of_range(format!("{path}.within_days"), w, 0, MAX_DAYS));
        }
        if let Some(h) = self.half_life_days
            && !(h > 0.0 && h <= f64::from(MAX_DAYS))
        {
            return Err(Error::out_of_range(format!("{path}.half_life_days"), h, "0 (exclusive)", MAX_DAYS));
        }
        if self.max_events.is_some() && !self.per_event {
            return Err(invalid(format!("{path}.max_events"), "max_events needs per_event: true".into()));
        }
        // A rule of no event would match a lead without events (the once rule has no newest
        // event to decay by), and a per-event rule scoring no event would match at 0 points:
        // refused, not read as 1 or kept as a rule that never scores.
        if self.min_count == 0 {
            return Err(Error::out_of_range(format!("{path}.min_count"), 0, 1, u32::MAX));
        }
        if self.max_events == Some(0) {
            return Err(Error::out_of_range(format!("{path}.max_events"), 0, 1, u32::MAX));
        }
        Ok(())
    }
}

impl FieldCondition {
    /// Checks that `op` has its members and no others; compiles a regex.
    pub(crate) fn validate(&self, path: &str) -> Result<()> {
        let need = |present: bool, name: &str| -> Result<()> {
            if present {
                Ok(())
            } else {
                Err(Error::MissingValue {
                    path: format!("{path}.{name}"),
                    reason: format!("op {:?} needs {name}", self.op),
                })
            }
        };
        let allowed: &[&str] = match self.op {
            ConditionOp::Equals | ConditionOp::Contains => &["value"],
            ConditionOp::In | ConditionOp::NotIn => &["values"],
            ConditionOp::Range => &["min", "max", "bounds"],
            ConditionOp::Regex => &["pattern"],
            ConditionOp::Exists | ConditionOp::Missing => &[],
            ConditionOp::WithinDays => &["days"],
        };
        let present = [
            ("value", self.value.is_some()),
            ("values", self.values.is_some()),
            ("min", self.min.is_some()),
            ("max", self.max.is_some()),
            ("bounds", self.bounds.is_some()),
            ("pattern", self.pattern.is_some()),
            ("days", self.days.is_some()),
        ];
        if let Some((name, _)) = present.iter().find(|(name, p)| *p && !allowed.contains(name)) {
            return Err(invalid(format!("{path}.{name}"), format!("op {:?} takes no {name}", self.op)));
        }
        match self.op {
            ConditionOp::Equals | ConditionOp::Contains => need(self.value.is_some(), "value")?,
            ConditionOp::In | ConditionOp::NotIn => need(self.values.is_some(), "values")?,
            ConditionOp::Range => {
                need(self.bounds.is_some(), "bounds")?;
                need(self.min.is_some() || self.max.is_some(), "min")?;
                check_bounds(self.min, self.max, path)?;
            }
            ConditionOp::Regex => {
                let pattern = self.pattern.as_deref().unwrap_or_default();
                need(self.pattern.is_some(), "pattern")?;
                compile_regex(pattern, self.ignore_case, &format!("{path}.pattern"))?;
            }
            ConditionOp::WithinDays => {
                need(self.days.is_some(), "days")?;
                let days = self.days.unwrap_or_default();
                if days > MAX_DAYS {
                    return Err(Error::out_of_range(format!("{path}.days"), days, 0, MAX_DAYS));
                }
            }
            ConditionOp::Exists | ConditionOp::Missing => {}
        }
        Ok(())
    }
}

/// Compiles a condition's pattern; `invalid_value` at `path` when it does not compile or is
/// too long.
pub(crate) fn compile_regex(pattern: &str, ignore_case: bool, path: &str) -> Result<regex_lite::Regex> {
    crate::limits::check(path, pattern.len(), MAX_PATTERN_LEN as u64, "bytes of pattern")?;
    regex_lite::RegexBuilder::new(pattern)
        .case_insensitive(ignore_case)
        .build()
        .map_err(|e| invalid(path.to_owned(), format!("the pattern does not compile: {e}")))
}

fn invalid(path: String, reason: String) -> Error {
    Error::InvalidValue { path, reason }
}

fn finite(v: f64, path: &str) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::out_of_range(path, v, f64::MIN, f64::MAX))
    }
}

fn check_bounds(min: Option<f64>, max: Option<f64>, path: &str) -> Result<()> {
    if let Some(v) = min {
        finite(v, &format!("{path}.min"))?;
    }
    if let Some(v) = max {
        finite(v, &format!("{path}.max"))?;
    }
    match (min, max) {
        (Some(lo), Some(hi)) if lo > hi => Err(Error::out_of_range(format!("{path}.min"), lo, "-inf", hi)),
        _ => Ok(()),
    }
}

fn check_bands(bands: &[GradeBand], path: &str) -> Result<()> {
    unique(bands.iter().map(|b| b.label.as_str()), path, "label")?;
    let mut previous: Option<f64> = None;
    for (i, band) in bands.iter().enumerate() {
        let last = i + 1 == bands.len();
        match (band.min, last) {
            (Some(_), true) => {
                return Err(invalid(format!("{path}[{i}].min"), "the last band takes every lower score: no min".into()))
            }
            (None, false) => {
                return Err(Error::MissingValue {
                    path: format!("{path}[{i}].min"),
                    reason: "every band but the last needs a min".into(),
                })
            }
            (Some(m), false) => {
                finite(m, &format!("{path}[{i}].min"))?;
                if previous.is_some_and(|p| m >= p) {
                    return Err(invalid(format!("{path}[{i}].min"), "band mins must decrease from the top".into()));
                }
                previous = Some(m);
            }
            (None, true) => {}
        }
    }
    Ok(())
}

fn unique<'a>(names: impl Iterator<Item = &'a str>, list: &str, member: &str) -> Result<HashMap<&'a str, usize>> {
    let mut seen = HashMap::new();
    for (i, name) in names.enumerate() {
        if let Some(&first) = seen.get(name) {
            return Err(Error::DuplicateName {
                path: format!("{list}[{i}].{member}"),
                name: name.to_owned(),
                first: format!("{list}[{first}].{member}"),
            });
        }
        seen.insert(name, i);
    }
    Ok(seen)
}
