//! The learned model's configuration and the trained model, both plain serde data: the
//! caller stores the trained model and passes it back to [`super::predict_leads`].

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How to learn from closed leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// `odoo` (Odoo's predictive lead scoring, reproduced exactly) or `bayes` (the improved
    /// naive Bayes: smoothing, minimum support, bins, team blending, forgetting).
    pub method: Method,
    /// The lead fields to learn from.
    pub fields: Vec<Feature>,
    /// The pipeline's stages in order, for the stage survival factor (optional for `bayes`).
    #[serde(default)]
    pub stages: Vec<ModelStage>,
    /// Field holding `"won"` or `"lost"` on closed leads.
    #[serde(default = "names::outcome")]
    pub outcome_field: String,
    /// Field holding the lead's current (or, closed, last) stage.
    #[serde(default = "names::stage")]
    pub stage_field: String,
    /// Field holding the sales team (absent: no team).
    #[serde(default = "names::team")]
    pub team_field: String,
    /// Field holding the closing date (`bayes` with `half_life_days`).
    #[serde(default = "names::closed_on")]
    pub closed_on_field: String,
    /// `bayes`: Laplace smoothing α added to every count (> 0; default 1).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub smoothing: Option<f64>,
    /// `bayes`: values seen on fewer closed leads (weighted) than this contribute nothing.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub min_support: Option<f64>,
    /// `bayes`: blend each team's estimates with the global ones, the global weighing as
    /// this many closed leads (absent: one global table, teams ignored).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub team_blend: Option<f64>,
    /// `bayes`: an outcome `d` days before `as_of` weighs `2^(−d / half_life_days)`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::float_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "number | string", optional))]
    pub half_life_days: Option<f64>,
    /// How many factors `top_for` and `top_against` list (default 3, as Odoo's tooltip).
    #[serde(default = "names::three")]
    pub top_factors: u32,
}

mod names {
    pub fn outcome() -> String {
        "outcome".into()
    }
    pub fn stage() -> String {
        "stage".into()
    }
    pub fn team() -> String {
        "team".into()
    }
    pub fn closed_on() -> String {
        "closed_on".into()
    }
    pub fn three() -> u32 {
        3
    }
}

/// The learning method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Odoo's formula: counts + 0.1, a table per team (pooled when the team has none), the
    /// stage survival factor, tags on fewer than 50 closed leads dropped, 0.01–99.99 %.
    Odoo,
    /// The improved naive Bayes.
    Bayes,
}

/// A field the model learns from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Feature {
    /// The lead field.
    pub name: String,
    /// A list of tags, each counted on its own (Odoo's `tag_ids`).
    #[serde(default)]
    pub tags: bool,
    /// `bayes`: a numeric field cut at these increasing edges (`[10, 50]` gives `< 10`,
    /// `[10, 50)`, `≥ 50`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::floats_opt::deserialize"
    )]
    #[cfg_attr(feature = "typescript", tsify(type = "(number | string)[]", optional))]
    pub bins: Option<Vec<f64>>,
}

/// A pipeline stage for the survival factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct ModelStage {
    /// Its name.
    pub name: String,
    /// A won stage: its open leads score 100 %.
    #[serde(default)]
    pub won: bool,
}

/// A trained model: counts per team, field and value. Store it as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct LeadModel {
    /// The configuration it was trained with.
    pub config: ModelConfig,
    /// Closed leads learnt from (weighted by forgetting for `bayes`).
    pub won: f64,
    /// See `won`.
    pub lost: f64,
    /// One table per team (`team: null` for leads without one).
    pub teams: Vec<TeamTable>,
    /// All teams together (`bayes` only; Odoo pools the team tables when it needs to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global: Option<TeamTable>,
}

/// The counts of one team.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct TeamTable {
    /// The team, or none.
    pub team: Option<String>,
    /// Won leads (weighted).
    pub won: f64,
    /// Lost leads (weighted).
    pub lost: f64,
    /// Per stage, in the configuration's order: `[won, lost]` counts (Odoo: + 0.1 once the
    /// row exists; `[0, 0]` when it does not).
    pub stages: Vec<[f64; 2]>,
    /// Per configured field, in order.
    pub fields: Vec<FieldTable>,
}

/// The counts of one field's values.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct FieldTable {
    /// The field.
    pub field: String,
    /// Its values, in order of first appearance.
    pub values: Vec<ValueCount>,
}

/// Won and lost counts of one value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct ValueCount {
    /// The value (a bin's label for a binned field: `[10, 50)`).
    pub value: String,
    /// Won count.
    pub won: f64,
    /// Lost count.
    pub lost: f64,
}

impl ModelConfig {
    /// Checks the configuration.
    ///
    /// # Errors
    ///
    /// `out_of_range` for smoothing ≤ 0, a half-life ≤ 0, negative support or blend;
    /// `invalid_value` for `bayes` options given to `odoo`, bins not increasing, or a field
    /// named twice; `missing_value` for `odoo` without stages.
    pub fn validate(&self) -> Result<()> {
        let positive = |v: Option<f64>, name: &str, zero_ok: bool| -> Result<()> {
            match v {
                Some(x) if !(x.is_finite() && (x > 0.0 || (zero_ok && x == 0.0))) => {
                    Err(Error::out_of_range(name, x, if zero_ok { "0" } else { "0 (exclusive)" }, "inf"))
                }
                _ => Ok(()),
            }
        };
        positive(self.smoothing, "smoothing", false)?;
        positive(self.min_support, "min_support", true)?;
        positive(self.team_blend, "team_blend", true)?;
        positive(self.half_life_days, "half_life_days", false)?;
        if self.method == Method::Odoo {
            for (name, set) in [
                ("smoothing", self.smoothing.is_some()),
                ("min_support", self.min_support.is_some()),
                ("team_blend", self.team_blend.is_some()),
                ("half_life_days", self.half_life_days.is_some()),
            ] {
                if set {
                    return Err(Error::InvalidValue {
                        path: name.into(),
                        reason: "an option of the improved model (method \"bayes\"); Odoo's formula has none".into(),
                    });
                }
            }
            if self.stages.is_empty() {
                return Err(Error::MissingValue {
                    path: "stages".into(),
                    reason: "Odoo's formula needs the stages".into(),
                });
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, f) in self.fields.iter().enumerate() {
            if !seen.insert(f.name.as_str()) {
                return Err(Error::DuplicateName {
                    path: format!("fields[{i}].name"),
                    name: f.name.clone(),
                    first: format!("fields[{}].name", self.fields.iter().position(|g| g.name == f.name).unwrap_or(0)),
                });
            }
            if let Some(bins) = &f.bins {
                if self.method == Method::Odoo || f.tags {
                    return Err(Error::InvalidValue {
                        path: format!("fields[{i}].bins"),
                        reason: "bins are for numeric fields of the bayes method".into(),
                    });
                }
                if bins.iter().any(|b| !b.is_finite()) || bins.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(Error::InvalidValue {
                        path: format!("fields[{i}].bins"),
                        reason: "bin edges must be finite and increasing".into(),
                    });
                }
            }
        }
        let mut stages = std::collections::HashSet::new();
        for (i, s) in self.stages.iter().enumerate() {
            if !stages.insert(s.name.as_str()) {
                return Err(Error::DuplicateName {
                    path: format!("stages[{i}].name"),
                    name: s.name.clone(),
                    first: format!("stages[{}].name", self.stages.iter().position(|g| g.name == s.name).unwrap_or(0)),
                });
            }
        }
        Ok(())
    }

    /// α of the `bayes` method.
    pub(crate) fn alpha(&self) -> f64 {
        self.smoothing.unwrap_or(1.0)
    }
}

/// The label of bin `i` of `edges`.
pub(crate) fn bin_label(edges: &[f64], i: usize) -> String {
    match (i.checked_sub(1).and_then(|j| edges.get(j)), edges.get(i)) {
        (None, Some(hi)) => format!("< {hi}"),
        (Some(lo), Some(hi)) => format!("[{lo}, {hi})"),
        (Some(lo), None) => format!(">= {lo}"),
        (None, None) => "all".into(),
    }
}

/// The bin of `x`: the number of edges ≤ x.
pub(crate) fn bin_of(edges: &[f64], x: f64) -> usize {
    edges.partition_point(|e| *e <= x)
}
