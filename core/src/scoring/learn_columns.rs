//! Training on closed leads given as columns: the model of [`super::train_lead_model`]
//! (the same tables, in the same order, from the same sums) without a record per lead.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::columns::{day_number, FieldData, LeadColumns, NO_DATE};
use super::detmath::exp2;
use super::learn::{Closed, Tally};
use super::model::{bin_label, bin_of, LeadModel, ModelConfig};
use crate::error::{Error, ParseKind, Result};

/// A text column's label per code, with equal texts merged and `""` missing.
struct Text<'a> {
    codes: &'a [i32],
    /// Per code: the merged value id, or `u32::MAX` for missing.
    ids: Vec<u32>,
    /// Per value id: its text.
    labels: Vec<&'a str>,
}

impl<'a> Text<'a> {
    fn new(codes: &'a [i32], labels: &'a [String]) -> Self {
        let mut index: HashMap<&str, u32> = HashMap::new();
        let mut merged = Vec::new();
        let ids = labels
            .iter()
            .map(|l| {
                if l.is_empty() {
                    return u32::MAX;
                }
                *index.entry(l.as_str()).or_insert_with(|| {
                    merged.push(l.as_str());
                    merged.len() as u32 - 1
                })
            })
            .collect();
        Self { codes, ids, labels: merged }
    }

    /// The value id of row `i`, if present.
    fn id(&self, i: usize) -> Option<u32> {
        usize::try_from(self.codes[i]).ok().and_then(|c| self.ids.get(c)).copied().filter(|&v| v != u32::MAX)
    }
}

/// A feature column as value ids per row.
enum Values<'a> {
    Absent,
    Text(Text<'a>),
    /// Numbers cut into the feature's bins.
    Binned(&'a [f64], &'a [f64]),
    /// Numbers as their own values (`format!("{x}")`, as the record path labels them).
    Exact(&'a [f64], HashMap<u64, u32>, Vec<String>),
}

fn wrong(name: &str, want: &str, data: &FieldData<'_>) -> Error {
    Error::Parse {
        kind: ParseKind::Type,
        path: format!("columns.{name}"),
        message: format!("expected a {want} column, got {}", data.kind_name()),
    }
}

fn column<'a, 'c>(cols: &'c LeadColumns<'a>, name: &str) -> Option<&'c FieldData<'a>> {
    cols.fields.iter().find(|(n, _)| *n == name).map(|(_, d)| d)
}

fn text<'a>(cols: &LeadColumns<'a>, name: &str) -> Result<Option<Text<'a>>> {
    match column(cols, name) {
        None => Ok(None),
        Some(FieldData::Text { codes, labels }) => Ok(Some(Text::new(codes, labels))),
        Some(other) => Err(wrong(name, "text", other)),
    }
}

/// Trains the learned model on closed leads given as columns (row `i` is one closed lead):
/// the outcome column (text `won` / `lost`), the stage and team columns (text, optional),
/// the closing-date column (dates, needed for `half_life_days`) and one column per
/// configured field (text; or numbers, cut into `bins` when configured, labelled as the
/// record path labels a number otherwise). An absent feature, team or stage column is
/// missing on every row. Gives exactly the model [`super::train_lead_model`] gives for
/// the same leads as records (a tag field is one value per row here).
///
/// # Errors
///
/// The configuration's errors; `invalid_type` at `columns.<field>` for a column of the
/// wrong kind; `missing_value` / `invalid_value` at `columns.<outcome>[i]`; `unknown_stage`
/// at `columns.<stage>[i]`; `missing_value` at `columns.<closed_on>[i]` when forgetting
/// needs it; `invalid_value` at `leads` when the closed leads are not both won and lost;
/// `invalid_value` at `columns.<field>` for columns of different lengths.
///
/// # Examples
///
/// ```
/// use crmkit::scoring::{train_lead_model_columns, FieldData, LeadColumns, ModelConfig};
///
/// let config: ModelConfig = crmkit::wire::from_json(r#"{"method": "bayes", "fields": [{"name": "source"}]}"#, "")?;
/// let outcomes = ["won".to_owned(), "lost".to_owned()];
/// let sources = ["fair".to_owned(), "ads".to_owned()];
/// let columns = LeadColumns {
///     rows: 3,
///     fields: vec![
///         ("outcome", FieldData::Text { codes: &[0, 1, 1], labels: &outcomes }),
///         ("source", FieldData::Text { codes: &[0, 1, 0], labels: &sources }),
///     ],
///     events: None,
/// };
/// let model = train_lead_model_columns(&config, &columns, crmkit::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())?;
/// assert_eq!((model.won, model.lost), (1.0, 2.0));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn train_lead_model_columns(config: &ModelConfig, cols: &LeadColumns<'_>, as_of: NaiveDate) -> Result<LeadModel> {
    config.validate()?;
    for (name, data) in &cols.fields {
        if data.len() != cols.rows {
            return Err(Error::InvalidValue {
                path: format!("columns.{name}"),
                reason: format!("{} rows, the leads {}", data.len(), cols.rows),
            });
        }
        if let FieldData::Date(days) = data {
            crate::wire::check_days(days, Some(NO_DATE), |i| format!("columns.{name}[{i}]"))?;
        }
        if let FieldData::Text { codes, labels } = data
            && let Some(i) = codes.iter().position(|&c| c >= 0 && c as usize >= labels.len())
        {
            return Err(Error::out_of_range(format!("columns.{name}[{i}]"), codes[i], -1, labels.len() as i64 - 1));
        }
    }
    let outcome_name = config.outcome_field.as_str();
    let outcome = text(cols, outcome_name)?.ok_or_else(|| Error::MissingValue {
        path: format!("columns.{outcome_name}"),
        reason: "closed leads need their outcome column, \"won\" or \"lost\"".into(),
    })?;
    // Per outcome value id: won, lost, or neither.
    let won_of: Vec<Option<bool>> = outcome
        .labels
        .iter()
        .map(|l| match *l {
            "won" => Some(true),
            "lost" => Some(false),
            _ => None,
        })
        .collect();
    let stage = text(cols, &config.stage_field)?;
    // Per stage value id: its index among the configured stages (None: unknown).
    let stage_of: Vec<Option<usize>> = stage
        .as_ref()
        .map(|s| s.labels.iter().map(|l| config.stages.iter().position(|st| st.name == *l)).collect())
        .unwrap_or_default();
    let team = text(cols, &config.team_field)?;
    // Read only for forgetting; absent, every row is missing its date.
    let closed_on = match (config.half_life_days, column(cols, &config.closed_on_field)) {
        (Some(_), Some(FieldData::Date(d))) => Some(*d),
        (Some(_), Some(other)) => return Err(wrong(&config.closed_on_field, "date", other)),
        _ => None,
    };
    let values = config
        .fields
        .iter()
        .map(|feature| match (column(cols, &feature.name), &feature.bins) {
            (None, _) => Ok(Values::Absent),
            (Some(FieldData::Text { codes, labels }), None) => Ok(Values::Text(Text::new(codes, labels))),
            (Some(FieldData::Number(v)), Some(edges)) => Ok(Values::Binned(v, edges)),
            (Some(FieldData::Number(v)), None) if !feature.tags => Ok(Values::Exact(v, HashMap::new(), Vec::new())),
            (Some(other), Some(_)) => Err(wrong(&feature.name, "number", other)),
            (Some(other), None) => Err(wrong(&feature.name, "text", other)),
        })
        .collect::<Result<Vec<_>>>()?;
    let mut values = values;
    let today = day_number(as_of);
    let mut tally = Tally::new(config);
    let mut ids: Vec<(usize, u32)> = Vec::with_capacity(config.fields.len());
    for i in 0..cols.rows {
        let path = || format!("columns.{outcome_name}[{i}]");
        let won = match outcome.id(i) {
            None => {
                return Err(Error::MissingValue {
                    path: path(),
                    reason: "a closed lead needs its outcome, \"won\" or \"lost\"".into(),
                })
            }
            Some(v) => won_of[v as usize].ok_or_else(|| Error::InvalidValue {
                path: path(),
                reason: format!("{:?} is neither \"won\" nor \"lost\"", outcome.labels[v as usize]),
            })?,
        };
        let mut weight = 1.0;
        if let Some(h) = config.half_life_days {
            let on = closed_on.map_or(NO_DATE, |d| d[i]);
            if on == NO_DATE {
                return Err(Error::MissingValue {
                    path: format!("columns.{}[{i}]", config.closed_on_field),
                    reason: "forgetting weighs outcomes by their closing date".into(),
                });
            }
            let age = today - on;
            if age < 0 {
                continue; // closed after as_of: not known yet
            }
            weight = exp2(-f64::from(age) / h);
        }
        let team_id = team.as_ref().and_then(|t| t.id(i));
        let stage_at = match stage.as_ref().and_then(|s| s.id(i)) {
            None => None,
            Some(v) => match stage_of[v as usize] {
                Some(at) => Some(at),
                None if config.stages.is_empty() => None,
                None => {
                    return Err(Error::UnknownStage {
                        path: format!("columns.{}[{i}]", config.stage_field),
                        name: stage.as_ref().map_or("", |s| s.labels[v as usize]).to_owned(),
                    })
                }
            },
        };
        ids.clear();
        for (f, v) in values.iter_mut().enumerate() {
            let id = match v {
                Values::Absent => None,
                Values::Text(t) => t.id(i),
                Values::Binned(x, edges) => (!x[i].is_nan()).then(|| bin_of(edges, x[i]) as u32),
                Values::Exact(x, index, labels) => (!x[i].is_nan()).then(|| {
                    *index.entry(x[i].to_bits()).or_insert_with(|| {
                        labels.push(format!("{}", x[i]));
                        labels.len() as u32 - 1
                    })
                }),
            };
            ids.extend(id.map(|id| (f, id)));
        }
        let closed = Closed { team: team_id, stage: stage_at, won, weight, values: &ids };
        tally.add(config, &closed, &|f, id| label(&values[f], id));
    }
    tally.finish(config, |t| team.as_ref().map_or("", |x| x.labels[t as usize]).to_owned())
}

fn label(values: &Values<'_>, id: u32) -> String {
    match values {
        Values::Absent => String::new(),
        Values::Text(t) => t.labels[id as usize].to_owned(),
        Values::Binned(_, edges) => bin_label(edges, id as usize),
        Values::Exact(_, _, labels) => labels[id as usize].clone(),
    }
}
