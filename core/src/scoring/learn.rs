//! Training the learned model on closed leads, and the features it reads from a lead.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDate;

use super::columns::{day_number, wrong_type};
use super::detmath::exp2;
use super::lead::{FieldValue, Lead};
use super::model::{bin_label, bin_of, FieldTable, LeadModel, Method, ModelConfig, TeamTable, ValueCount};
use crate::error::{Error, Result};

/// Odoo adds 0.1 to both counts of a row when it creates it ("+1 weighs too much on small
/// record sets", says its code).
pub(crate) const ODOO_SMOOTHING: f64 = 0.1;

/// What the model reads of one lead (text borrowed from the lead: training on a million
/// leads allocates per new value, not per value).
#[derive(Debug, Default)]
pub(crate) struct Features<'l> {
    pub team: Option<&'l str>,
    /// Index into the configured stages.
    pub stage: Option<usize>,
    /// (field index, value) pairs; a tag field gives one pair per tag.
    pub values: Vec<(usize, Cow<'l, str>)>,
}

/// The features of lead `i` (`leads[i].<field>` in errors).
pub(crate) fn features<'l>(config: &ModelConfig, lead: &'l Lead, i: usize) -> Result<Features<'l>> {
    let text = |name: &str| -> Result<Option<&'l str>> {
        match lead.fields.get(name) {
            None | Some(FieldValue::Null) => Ok(None),
            Some(FieldValue::Text(t)) if t.is_empty() => Ok(None),
            Some(FieldValue::Text(t)) => Ok(Some(t.as_str())),
            Some(other) => Err(wrong_type(i, name, "text", other)),
        }
    };
    let mut out = Features { team: text(&config.team_field)?, ..Features::default() };
    if let Some(stage) = text(&config.stage_field)? {
        let at = config.stages.iter().position(|s| s.name == stage);
        if at.is_none() && !config.stages.is_empty() {
            return Err(Error::UnknownStage {
                path: format!("leads[{i}].{}", config.stage_field),
                name: stage.to_owned(),
            });
        }
        out.stage = at;
    }
    for (f, feature) in config.fields.iter().enumerate() {
        let value = lead.fields.get(&feature.name);
        match (value, &feature.bins) {
            (None | Some(FieldValue::Null), _) => {}
            (Some(FieldValue::Text(t)), _) if t.is_empty() => {}
            (Some(v), Some(edges)) => {
                let x = match v {
                    FieldValue::Number(x) => *x,
                    FieldValue::Text(t) => crate::wire::parse_decimal(t, "")
                        .ok()
                        .and_then(|d| d.to_string().parse::<f64>().ok())
                        .ok_or_else(|| wrong_type(i, &feature.name, "a number", v))?,
                    other => return Err(wrong_type(i, &feature.name, "a number", other)),
                };
                if x.is_nan() {
                    continue;
                }
                out.values.push((f, Cow::Owned(bin_label(edges, bin_of(edges, x)))));
            }
            (Some(FieldValue::Tags(tags)), None) if feature.tags => {
                out.values.extend(tags.iter().filter(|t| !t.is_empty()).map(|t| (f, Cow::Borrowed(t.as_str()))));
            }
            (Some(FieldValue::Text(t)), None) => out.values.push((f, Cow::Borrowed(t.as_str()))),
            (Some(FieldValue::Number(x)), None) if !feature.tags => out.values.push((f, Cow::Owned(format!("{x}")))),
            (Some(FieldValue::Bool(b)), None) if !feature.tags => out.values.push((f, Cow::Owned(b.to_string()))),
            (Some(other), None) => {
                return Err(wrong_type(i, &feature.name, if feature.tags { "a list of tags" } else { "text" }, other))
            }
        }
    }
    Ok(out)
}

/// One field's values (in order of first appearance), their index, and `[won, lost]` each.
pub(super) type ValueCounts = (Vec<String>, HashMap<String, usize>, Vec<[f64; 2]>);

/// Counts being gathered for one team.
pub(super) struct Acc {
    won: f64,
    lost: f64,
    stages: Vec<[f64; 2]>,
    pub(super) fields: Vec<ValueCounts>,
}

impl Acc {
    pub(super) fn new(config: &ModelConfig) -> Self {
        Self {
            won: 0.0,
            lost: 0.0,
            stages: vec![[0.0; 2]; config.stages.len()],
            fields: config.fields.iter().map(|_| (Vec::new(), HashMap::new(), Vec::new())).collect(),
        }
    }

    /// The outcome and the stage survival counts of one closed lead.
    pub(super) fn count_outcome(&mut self, stage: Option<usize>, won: bool, weight: f64) {
        if won {
            self.won += weight;
            // A won lead went through every stage.
            self.stages.iter_mut().for_each(|s| s[0] += weight);
        } else {
            self.lost += weight;
            // A lost lead reached every stage up to the one it was lost in.
            if let Some(at) = stage {
                self.stages[..=at].iter_mut().for_each(|s| s[1] += weight);
            }
        }
    }

    fn add(&mut self, f: &Features, won: bool, weight: f64) {
        let side = usize::from(!won);
        self.count_outcome(f.stage, won, weight);
        for (field, value) in &f.values {
            let (labels, index, counts) = &mut self.fields[*field];
            let row = if let Some(&row) = index.get(value.as_ref()) {
                row
            } else {
                index.insert(value.to_string(), counts.len());
                labels.push(value.to_string());
                counts.push([0.0; 2]);
                counts.len() - 1
            };
            counts[row][side] += weight;
        }
    }

    fn table(self, config: &ModelConfig, team: Option<String>, odoo: bool) -> TeamTable {
        // Odoo: every row that exists starts at 0.1 on both sides.
        let bump = |c: [f64; 2]| {
            if odoo && (c[0] > 0.0 || c[1] > 0.0) {
                [c[0] + ODOO_SMOOTHING, c[1] + ODOO_SMOOTHING]
            } else {
                c
            }
        };
        TeamTable {
            team,
            won: self.won,
            lost: self.lost,
            stages: self.stages.into_iter().map(bump).collect(),
            fields: config
                .fields
                .iter()
                .zip(self.fields)
                .map(|(feature, (labels, _, counts))| FieldTable {
                    field: feature.name.clone(),
                    values: labels
                        .into_iter()
                        .zip(counts)
                        .map(|(value, c)| {
                            let [won, lost] = bump(c);
                            ValueCount { value, won, lost }
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Trains a model on closed leads (`outcome` `"won"` or `"lost"`) up to `as_of`.
///
/// # Errors
///
/// The configuration's errors; `invalid_value` at `leads` when the closed leads are not
/// both won and lost; `invalid_value` / `missing_value` at `leads[i].outcome`;
/// `unknown_stage` at `leads[i].stage`; `invalid_type` for a field of the wrong type;
/// `missing_value` at `leads[i].closed_on` when forgetting needs it.
///
/// # Examples
///
/// ```
/// use crmkit::scoring::{predict_leads, train_lead_model, Lead, ModelConfig};
///
/// let config: ModelConfig = crmkit::wire::from_json(r#"{"method": "bayes",
///   "fields": [{"name": "source"}], "stages": [{"name": "new"}, {"name": "won", "won": true}]}"#, "")?;
/// let closed: Vec<Lead> = crmkit::wire::from_json(r#"[
///   {"id": "a", "outcome": "won", "stage": "won", "source": "fair", "closed_on": "2026-10-01"},
///   {"id": "b", "outcome": "lost", "stage": "new", "source": "ads", "closed_on": "2026-09-01"}]"#, "leads")?;
/// let model = train_lead_model(&config, &closed, crmkit::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())?;
/// let open: Vec<Lead> = crmkit::wire::from_json(r#"[{"id": "o", "stage": "new", "source": "fair"}]"#, "leads")?;
/// let p = &predict_leads(&model, &open)?.leads[0];
/// assert!(p.probability.unwrap() > 0.5); // leads from the fair won, leads from ads lost
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn train_lead_model(config: &ModelConfig, leads: &[Lead], as_of: NaiveDate) -> Result<LeadModel> {
    config.validate()?;
    let odoo = config.method == Method::Odoo;
    let today = day_number(as_of);
    let mut teams: Vec<(Option<String>, Acc)> = Vec::new();
    let mut team_index: HashMap<Option<&str>, usize> = HashMap::new();
    let mut global = Acc::new(config);
    let per_team = odoo || config.team_blend.is_some();
    for (i, lead) in leads.iter().enumerate() {
        let path = format!("leads[{i}].{}", config.outcome_field);
        let won = match lead.fields.get(&config.outcome_field) {
            Some(FieldValue::Text(t)) if t == "won" => true,
            Some(FieldValue::Text(t)) if t == "lost" => false,
            None | Some(FieldValue::Null) => {
                return Err(Error::MissingValue {
                    path,
                    reason: "a closed lead needs its outcome, \"won\" or \"lost\"".into(),
                })
            }
            Some(other) => {
                return Err(Error::InvalidValue { path, reason: format!("{other:?} is neither \"won\" nor \"lost\"") })
            }
        };
        let mut weight = 1.0;
        if let Some(h) = config.half_life_days {
            let path = format!("leads[{i}].{}", config.closed_on_field);
            let on = match lead.fields.get(&config.closed_on_field) {
                Some(FieldValue::Text(t)) => day_number(crate::wire::parse_date(t, &path)?),
                _ => {
                    return Err(Error::MissingValue {
                        path,
                        reason: "forgetting weighs outcomes by their closing date".into(),
                    })
                }
            };
            let age = today - on;
            if age < 0 {
                continue; // closed after as_of: not known yet
            }
            weight = exp2(-f64::from(age) / h);
        }
        let f = features(config, lead, i)?;
        if per_team {
            let at = if let Some(&at) = team_index.get(&f.team) {
                at
            } else {
                team_index.insert(f.team, teams.len());
                teams.push((f.team.map(str::to_owned), Acc::new(config)));
                teams.len() - 1
            };
            teams[at].1.add(&f, won, weight);
        }
        if !odoo {
            global.add(&f, won, weight);
        }
    }
    finish(config, teams, global)
}

/// The model from the gathered counts: per team (in order of first use) and, for `bayes`,
/// global; `invalid_value` at `leads` unless the closed leads are both won and lost.
pub(super) fn finish(config: &ModelConfig, teams: Vec<(Option<String>, Acc)>, global: Acc) -> Result<LeadModel> {
    let odoo = config.method == Method::Odoo;
    let (won, lost) = if odoo {
        teams.iter().fold((0.0, 0.0), |(w, l), (_, a)| (w + a.won, l + a.lost))
    } else {
        (global.won, global.lost)
    };
    if !(won > 0.0 && lost > 0.0) {
        return Err(Error::InvalidValue {
            path: "leads".into(),
            reason: format!("the closed leads must be both won and lost (won {won}, lost {lost})"),
        });
    }
    Ok(LeadModel {
        config: config.clone(),
        won,
        lost,
        teams: teams.into_iter().map(|(team, acc)| acc.table(config, team, odoo)).collect(),
        global: (!odoo).then(|| global.table(config, None, false)),
    })
}
