//! What the learned model reads of a lead record: its outcome, closing date, team, stage and
//! feature values, each field looked up once per lead, shared by training and prediction.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::columns::wrong_type;
use super::lead::{FieldValue, Lead};
use super::model::{bin_label, bin_of, Feature, ModelConfig};
use crate::error::{Error, Result};

/// One model value of a lead as read from it: text borrowed from the lead (a boolean as
/// `true` / `false`), a number of a field without bins, or the bin of a binned field's
/// number. Training numbers it without writing its label; [`Value::label`] writes it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'l> {
    Text(&'l str),
    Number(f64),
    Bin(usize),
}

impl<'l> Value<'l> {
    /// The value as the model's tables name it: the text, `format!("{x}")` for a number,
    /// the bin's label.
    pub(crate) fn label(self, feature: &Feature) -> Cow<'l, str> {
        match self {
            Self::Text(t) => Cow::Borrowed(t),
            Self::Number(x) => Cow::Owned(format!("{x}")),
            Self::Bin(b) => Cow::Owned(bin_label(feature.bins.as_deref().unwrap_or_default(), b)),
        }
    }
}

/// What the model reads of one lead (text borrowed from the lead: training on a million
/// leads allocates per new value, not per value).
#[derive(Debug, Default)]
pub(crate) struct Features<'l> {
    pub team: Option<&'l str>,
    /// Index into the configured stages.
    pub stage: Option<usize>,
    /// (field index, value) pairs; a tag field gives one pair per tag.
    pub values: Vec<(usize, Value<'l>)>,
}

/// Reads the fields a configuration names from lead records. A lead's fields are a map
/// sorted by name: the names read (each once, sorted) are found in one walk along it, not
/// a search of the map per name (a million closed leads × 13 names spent most of training
/// in those searches' string comparisons).
pub(crate) struct Reader<'c> {
    config: &'c ModelConfig,
    /// The names read, sorted, each once.
    names: Vec<&'c str>,
    /// Places in `names` of the outcome, closing date, team and stage fields, then of each
    /// feature's.
    places: Vec<usize>,
}

impl<'c> Reader<'c> {
    pub(crate) fn new(config: &'c ModelConfig) -> Self {
        let roles = [&config.outcome_field, &config.closed_on_field, &config.team_field, &config.stage_field];
        let all: Vec<&str> =
            roles.into_iter().map(String::as_str).chain(config.fields.iter().map(|f| f.name.as_str())).collect();
        let mut names = all.clone();
        names.sort_unstable();
        names.dedup();
        let places = all.iter().map(|n| names.binary_search(n).unwrap_or_default()).collect();
        Self { config, names, places }
    }

    /// How many values [`Reader::read`] writes per lead.
    pub(crate) fn width(&self) -> usize {
        self.names.len()
    }

    /// Looks up `lead`'s values of the names into `out` ([`Reader::width`] long): one walk
    /// along its fields when it has not many more than the names read, else a search per
    /// name.
    pub(crate) fn read<'l>(&self, lead: &'l Lead, out: &mut [Option<&'l FieldValue>]) {
        if lead.fields.len() > 4 * self.names.len() {
            for (v, name) in out.iter_mut().zip(&self.names) {
                *v = lead.fields.get(*name);
            }
            return;
        }
        let mut fields = lead.fields.iter();
        let mut next = fields.next();
        for (v, name) in out.iter_mut().zip(&self.names) {
            *v = None;
            while let Some((key, value)) = next {
                match cmp_names(key, name) {
                    Ordering::Less => next = fields.next(),
                    Ordering::Equal => {
                        *v = Some(value);
                        next = fields.next();
                        break;
                    }
                    Ordering::Greater => break,
                }
            }
        }
    }

    /// The outcome field's value.
    pub(crate) fn outcome<'l>(&self, found: &[Option<&'l FieldValue>]) -> Option<&'l FieldValue> {
        found[self.places[0]]
    }

    /// The closing-date field's value.
    pub(crate) fn closed_on<'l>(&self, found: &[Option<&'l FieldValue>]) -> Option<&'l FieldValue> {
        found[self.places[1]]
    }

    /// The features of lead `i` (`leads[i].<field>` in errors) from its values, into `out`
    /// (its list of values reused).
    pub(crate) fn features<'l>(
        &self,
        found: &[Option<&'l FieldValue>],
        i: usize,
        out: &mut Features<'l>,
    ) -> Result<()> {
        let config = self.config;
        let text = |place: usize, name: &str| -> Result<Option<&'l str>> {
            match found[self.places[place]] {
                None | Some(FieldValue::Null) => Ok(None),
                Some(FieldValue::Text(t)) if t.is_empty() => Ok(None),
                Some(FieldValue::Text(t)) => Ok(Some(t.as_str())),
                Some(other) => Err(wrong_type(i, name, "text", other)),
            }
        };
        out.team = text(2, &config.team_field)?;
        out.stage = None;
        out.values.clear();
        if let Some(stage) = text(3, &config.stage_field)? {
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
            match (found[self.places[4 + f]], &feature.bins) {
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
                    out.values.push((f, Value::Bin(bin_of(edges, x))));
                }
                (Some(FieldValue::Tags(tags)), None) if feature.tags => {
                    out.values.extend(tags.iter().filter(|t| !t.is_empty()).map(|t| (f, Value::Text(t.as_str()))));
                }
                (Some(FieldValue::Text(t)), None) => out.values.push((f, Value::Text(t.as_str()))),
                (Some(FieldValue::Number(x)), None) if !feature.tags => out.values.push((f, Value::Number(*x))),
                (Some(FieldValue::Bool(b)), None) if !feature.tags => {
                    out.values.push((f, Value::Text(if *b { "true" } else { "false" })));
                }
                (Some(other), None) => {
                    let want = if feature.tags { "a list of tags" } else { "text" };
                    return Err(wrong_type(i, &feature.name, want, other));
                }
            }
        }
        Ok(())
    }
}

/// `a.cmp(b)` in a loop the compiler keeps inline: field names are a few bytes, and a call
/// to `memcmp` per field of every lead was a third of training's time.
#[inline]
fn cmp_names(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}
