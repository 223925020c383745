//! Training the learned model on closed leads: the counts both trainers (records and
//! columns) gather, and the trainer over records.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::Hasher;

use chrono::NaiveDate;

use super::columns::day_number;
use super::detmath::exp2;
use super::features::{Features, Reader, Value};
use super::lead::{FieldValue, Lead};
use super::model::{bin_label, Feature, FieldTable, LeadModel, Method, ModelConfig, TeamTable, ValueCount};
use crate::error::{Error, Result};

/// Closed leads whose fields [`train_lead_model`] looks up ahead of counting them.
const READ_AHEAD: usize = 64;

/// Odoo adds 0.1 to both counts of a row when it creates it ("+1 weighs too much on small
/// record sets", says its code).
pub(crate) const ODOO_SMOOTHING: f64 = 0.1;

/// One field's counts in one table: its values' labels in order of first appearance, their
/// `[won, lost]`, and per value id (the caller's numbering of the field's values) its row
/// here, `u32::MAX` while the table has not seen it.
#[derive(Default)]
struct FieldCounts {
    labels: Vec<String>,
    counts: Vec<[f64; 2]>,
    rows: Vec<u32>,
}

/// Counts being gathered for one table (a team's, or the global one).
pub(super) struct Acc {
    won: f64,
    lost: f64,
    stages: Vec<[f64; 2]>,
    fields: Vec<FieldCounts>,
}

impl Acc {
    fn new(config: &ModelConfig) -> Self {
        Self {
            won: 0.0,
            lost: 0.0,
            stages: vec![[0.0; 2]; config.stages.len()],
            fields: config.fields.iter().map(|_| FieldCounts::default()).collect(),
        }
    }

    /// The outcome and the stage survival counts of one closed lead.
    fn count_outcome(&mut self, stage: Option<usize>, won: bool, weight: f64) {
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

    /// One closed lead: its outcome, stage and `(field, value id)` pairs, a value's label
    /// written when this table first sees it.
    fn add(&mut self, lead: &Closed<'_>, label: &impl Fn(usize, u32) -> String) {
        self.count_outcome(lead.stage, lead.won, lead.weight);
        let side = usize::from(!lead.won);
        for &(f, id) in lead.values {
            let field = &mut self.fields[f];
            let at = id as usize;
            if field.rows.len() <= at {
                field.rows.resize(at + 1, u32::MAX);
            }
            if field.rows[at] == u32::MAX {
                field.rows[at] = field.counts.len() as u32;
                field.labels.push(label(f, id));
                field.counts.push([0.0; 2]);
            }
            field.counts[field.rows[at] as usize][side] += lead.weight;
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
                .map(|(feature, field)| FieldTable {
                    field: feature.name.clone(),
                    values: field
                        .labels
                        .into_iter()
                        .zip(field.counts)
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

/// One closed lead as the trainer counts it, whichever form it came in.
pub(super) struct Closed<'v> {
    /// Its team's id (the caller's numbering), none for no team.
    pub team: Option<u32>,
    /// Index into the configured stages.
    pub stage: Option<usize>,
    pub won: bool,
    /// 1, or its outcome's forgetting weight.
    pub weight: f64,
    /// `(field index, value id)` pairs, in the lead's order.
    pub values: &'v [(usize, u32)],
}

/// The counts of the training: one table per team (in order of first use) when the method
/// keeps them, and, for `bayes`, the global one. Both trainers (records and columns) number
/// the teams and each field's values their own way and count through it, so they give one
/// model.
pub(super) struct Tally {
    odoo: bool,
    per_team: bool,
    /// Per team id + 1 (0: no team): its place in `teams`, `usize::MAX` until first used.
    slots: Vec<usize>,
    teams: Vec<(Option<u32>, Acc)>,
    global: Acc,
}

impl Tally {
    pub(super) fn new(config: &ModelConfig) -> Self {
        let odoo = config.method == Method::Odoo;
        Self {
            odoo,
            per_team: odoo || config.team_blend.is_some(),
            slots: Vec::new(),
            teams: Vec::new(),
            global: Acc::new(config),
        }
    }

    /// Counts one closed lead; `label(field, id)` writes a value's label.
    pub(super) fn add(&mut self, config: &ModelConfig, lead: &Closed<'_>, label: &impl Fn(usize, u32) -> String) {
        if self.per_team {
            let key = lead.team.map_or(0, |t| t as usize + 1);
            if self.slots.len() <= key {
                self.slots.resize(key + 1, usize::MAX);
            }
            if self.slots[key] == usize::MAX {
                self.slots[key] = self.teams.len();
                self.teams.push((lead.team, Acc::new(config)));
            }
            self.teams[self.slots[key]].1.add(lead, label);
        }
        if !self.odoo {
            self.global.add(lead, label);
        }
    }

    /// The model from the counts: per team (in order of first use) and, for `bayes`, global;
    /// `invalid_value` at `leads` unless the closed leads are both won and lost.
    /// `team_label(id)` names a team.
    pub(super) fn finish(self, config: &ModelConfig, team_label: impl Fn(u32) -> String) -> Result<LeadModel> {
        let odoo = self.odoo;
        let (won, lost) = if odoo {
            self.teams.iter().fold((0.0, 0.0), |(w, l), (_, a)| (w + a.won, l + a.lost))
        } else {
            (self.global.won, self.global.lost)
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
            teams: self.teams.into_iter().map(|(team, acc)| acc.table(config, team.map(&team_label), odoo)).collect(),
            global: (!odoo).then(|| self.global.table(config, None, false)),
        })
    }
}

/// A value's label as a key of the numbering: compared in a loop the compiler keeps inline
/// (labels are short; a call to `memcmp` per lookup cost more than the hashing), hashed as
/// one run of bytes.
#[derive(Clone)]
struct Label<'l>(Cow<'l, str>);

impl PartialEq for Label<'_> {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
    }
}

impl Eq for Label<'_> {}

impl std::hash::Hash for Label<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(self.0.as_bytes());
    }
}

/// The numbering of a field's values: labels are short and SipHash's resistance to chosen
/// collisions buys nothing for a trainer's own numbering (ten lookups per closed lead).
type LabelMap<K> = HashMap<K, u32, crate::hash::FxBuild>;

/// A field's values numbered in order of first appearance, equal labels one value (the
/// text `"5"` and the number 5 alike, as the tables name both `5`); numbers looked up by
/// their bits first, so each distinct one is formatted once.
#[derive(Default)]
struct Numbering<'l> {
    ids: LabelMap<Label<'l>>,
    numbers: LabelMap<u64>,
    labels: Vec<Cow<'l, str>>,
}

impl<'l> Numbering<'l> {
    fn text(&mut self, t: Cow<'l, str>) -> u32 {
        let key = Label(t);
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.labels.len() as u32;
        self.labels.push(key.0.clone());
        self.ids.insert(key, id);
        id
    }

    fn id(&mut self, v: Value<'l>, feature: &Feature) -> u32 {
        match v {
            Value::Text(t) => self.text(Cow::Borrowed(t)),
            // A bin is its own id (a binned field's values are all bins).
            Value::Bin(b) => b as u32,
            Value::Number(x) => {
                if let Some(&id) = self.numbers.get(&x.to_bits()) {
                    return id;
                }
                let id = self.text(v.label(feature));
                self.numbers.insert(x.to_bits(), id);
                id
            }
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
    let today = day_number(as_of);
    let mut tally = Tally::new(config);
    let mut teams = Numbering::default();
    let mut values: Vec<Numbering<'_>> = config.fields.iter().map(|_| Numbering::default()).collect();
    let reader = Reader::new(config);
    let width = reader.width();
    let mut found = vec![None; READ_AHEAD * width];
    let mut f = Features::default();
    let mut ids: Vec<(usize, u32)> = Vec::new();
    for (b, block) in leads.chunks(READ_AHEAD).enumerate() {
        // The block's fields looked up first, in a loop short enough for the processor to
        // overlap the leads' cache misses: a lead read in the midst of its counting waited
        // on memory most of the time.
        for (lead, out) in block.iter().zip(found.chunks_mut(width)) {
            reader.read(lead, out);
        }
        for (j, found) in found.chunks(width).take(block.len()).enumerate() {
            let i = b * READ_AHEAD + j;
            let outcome_path = || format!("leads[{i}].{}", config.outcome_field);
            let won = match reader.outcome(found) {
                Some(FieldValue::Text(t)) if t == "won" => true,
                Some(FieldValue::Text(t)) if t == "lost" => false,
                None | Some(FieldValue::Null) => {
                    return Err(Error::MissingValue {
                        path: outcome_path(),
                        reason: "a closed lead needs its outcome, \"won\" or \"lost\"".into(),
                    })
                }
                Some(other) => {
                    return Err(Error::InvalidValue {
                        path: outcome_path(),
                        reason: format!("{other:?} is neither \"won\" nor \"lost\""),
                    })
                }
            };
            let mut weight = 1.0;
            if let Some(h) = config.half_life_days {
                let path = || format!("leads[{i}].{}", config.closed_on_field);
                let on = match reader.closed_on(found) {
                    // The path written only for the error (a million leads).
                    Some(FieldValue::Text(t)) => {
                        day_number(crate::wire::parse_date(t, "").or_else(|_| crate::wire::parse_date(t, &path()))?)
                    }
                    _ => {
                        return Err(Error::MissingValue {
                            path: path(),
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
            reader.features(found, i, &mut f)?;
            ids.clear();
            ids.extend(f.values.iter().map(|&(field, v)| (field, values[field].id(v, &config.fields[field]))));
            let team = f.team.map(|t| teams.text(Cow::Borrowed(t)));
            let closed = Closed { team, stage: f.stage, won, weight, values: &ids };
            tally.add(config, &closed, &|field, id| match &config.fields[field].bins {
                Some(edges) => bin_label(edges, id as usize),
                None => values[field].labels[id as usize].to_string(),
            });
        }
    }
    tally.finish(config, |t| teams.labels[t as usize].to_string())
}
