//! Leads as columns: the one shape the scoring engine reads. The record entry point
//! ([`super::score_leads`]) builds these columns from its records, so records and columns are
//! scored by the same loop.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::frame::GroupedEvents;
use super::lead::{FieldValue, Lead};
use super::rules::{ConditionOp, ScoringPolicy};
use crate::error::{Error, ParseKind, Result};

/// Missing date in a date column.
pub const NO_DATE: i32 = i32::MIN;

/// One lead field as a column.
#[derive(Debug, Clone, Copy)]
pub enum FieldData<'a> {
    /// Numbers; NaN is missing.
    Number(&'a [f64]),
    /// Text as codes into `labels`; a negative code is missing (as is the label `""`).
    Text {
        /// Per-row code.
        codes: &'a [i32],
        /// The distinct texts.
        labels: &'a [String],
    },
    /// Dates in days since 1970-01-01; [`NO_DATE`] is missing.
    Date(&'a [i32]),
}

impl FieldData<'_> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Self::Number(v) => v.len(),
            Self::Text { codes, .. } => codes.len(),
            Self::Date(v) => v.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Self::Number(_) => "number",
            Self::Text { .. } => "text",
            Self::Date(_) => "date",
        }
    }
}

/// The leads' events in compressed rows: the events of lead `i` are `offsets[i]..offsets[i + 1]`.
#[derive(Debug, Clone, Copy)]
pub struct EventColumns<'a> {
    /// `n + 1` non-decreasing offsets starting at 0.
    pub offsets: &'a [u32],
    /// Per-event type code into `type_labels` (negative: ignored).
    pub types: &'a [i32],
    /// The distinct event types.
    pub type_labels: &'a [String],
    /// Per-event date in days since 1970-01-01 ([`NO_DATE`]: ignored).
    pub on: &'a [i32],
}

/// Leads as columns: row `i` is one lead.
#[derive(Debug, Clone, Default)]
pub struct LeadColumns<'a> {
    /// Number of leads.
    pub rows: usize,
    /// The fields the policy reads, by name. `id`, when given, is the last ranking tie-break.
    pub fields: Vec<(&'a str, FieldData<'a>)>,
    /// Events, if any rule reads them.
    pub events: Option<EventColumns<'a>>,
}

/// What a policy needs of a field ([`super::policy_field_kinds`]): what its conditions and
/// tie-breaks read it as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text: `equals`, `in`, `not_in`, `contains`, `regex`.
    Text,
    /// Numbers: `range` (decimal strings read as numbers).
    Number,
    /// `YYYY-MM-DD` dates: `within_days`.
    Date,
    /// A tie-break no condition reads: numbers when any lead holds a number or every value is
    /// a decimal string, else text.
    Any,
    /// `exists` / `missing` only: whether a value is there, whatever its type.
    Presence,
}

impl Kind {
    /// `"text"`, `"number"`, `"date"`, `"any"` or `"presence"`, as the bindings name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Date => "date",
            Self::Any => "any",
            Self::Presence => "presence",
        }
    }
}

/// Whether `text` is a decimal string (the rules of [`crate::wire::parse_decimal`]), which a
/// field read as numbers reads as its number.
pub(crate) fn is_decimal_text(text: &str) -> bool {
    crate::wire::parse_decimal(text, "").is_ok()
}

/// The float of a decimal string (its digits parsed as a float: the nearest one, as the same
/// digits given as a number; `"-0"` is 0, as a decimal's zero has no sign), `None` for other
/// text.
pub(crate) fn decimal_number(text: &str) -> Option<f64> {
    if is_decimal_text(text) {
        // parse_decimal allows surrounding spaces, a sign and `.5` / `5.`: so does f64's parser
        // once trimmed. Adding +0.0 turns −0.0 into +0.0.
        text.trim().parse::<f64>().ok().map(|x| x + 0.0)
    } else {
        None
    }
}

/// Fields the policy reads and the kind each must have; `invalid_value` at the condition
/// that uses a field as a second kind.
pub(crate) fn field_kinds(policy: &ScoringPolicy) -> Result<Vec<(String, Kind)>> {
    let mut kinds: Vec<(String, Kind)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut add = |field: &str, kind: Kind, path: String| -> Result<()> {
        match index.get(field) {
            None => {
                index.insert(field.to_owned(), kinds.len());
                kinds.push((field.to_owned(), kind));
            }
            Some(&i) => match (kinds[i].1, kind) {
                (a, b) if a == b => {}
                (_, Kind::Presence) => {}
                (Kind::Presence, b) => kinds[i].1 = b,
                (_, Kind::Any) => {}
                (Kind::Any, b) => kinds[i].1 = b,
                (a, b) => {
                    return Err(Error::InvalidValue {
                        path,
                        reason: format!("field {field:?} is used as {a:?} elsewhere and as {b:?} here"),
                    })
                }
            },
        }
        Ok(())
    };
    let conditions =
        policy
            .rules
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.when.iter().enumerate().map(move |(j, c)| (format!("rules[{i}].when[{j}]"), c)))
            .chain(
                policy.tiers.iter().enumerate().flat_map(|(i, t)| {
                    t.when.iter().enumerate().map(move |(j, c)| (format!("tiers[{i}].when[{j}]"), c))
                }),
            );
    for (path, c) in conditions {
        let kind = match c.op {
            ConditionOp::Equals | ConditionOp::In | ConditionOp::NotIn | ConditionOp::Contains | ConditionOp::Regex => {
                Kind::Text
            }
            ConditionOp::Range => Kind::Number,
            ConditionOp::WithinDays => Kind::Date,
            ConditionOp::Exists | ConditionOp::Missing => Kind::Presence,
        };
        add(&c.field, kind, format!("{path}.op"))?;
    }
    for (i, t) in policy.tie_break.iter().enumerate() {
        add(&t.field, Kind::Any, format!("tie_break[{i}].field"))?;
    }
    Ok(kinds)
}

/// One lead field as an owned column: what [`FieldData`] borrows.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldColumn {
    /// Numbers; NaN is missing.
    Number(Vec<f64>),
    /// Text as codes into `labels`; a negative code is missing (as is the label `""`).
    Text {
        /// Per-row code.
        codes: Vec<i32>,
        /// The distinct texts.
        labels: Vec<String>,
    },
    /// Dates in days since 1970-01-01; [`NO_DATE`] is missing.
    Date(Vec<i32>),
}

impl FieldColumn {
    /// The column as the engine reads it.
    pub fn data(&self) -> FieldData<'_> {
        match self {
            Self::Number(v) => FieldData::Number(v),
            Self::Text { codes, labels } => FieldData::Text { codes, labels },
            Self::Date(v) => FieldData::Date(v),
        }
    }
}

/// Leads as owned columns (what a binding reads out of its host's arrays, or what
/// [`super::score_leads`] builds from records), lent to the engine by [`Self::view`].
///
/// ```
/// use crmkit::scoring::{score_columns, FieldColumn, OwnedLeadColumns, ScoringPolicy};
///
/// let policy: ScoringPolicy = crmkit::wire::from_json(r#"{"rules": [{"id": "mfg", "dimension": "fit",
///   "points": 20, "when": [{"field": "industry", "op": "equals", "value": "制造"}]}]}"#, "")?;
/// let industry = FieldColumn::Text { codes: vec![1, 0, -1], labels: vec!["制造".into(), "教育".into()] };
/// let columns = OwnedLeadColumns { rows: 3, fields: vec![("industry".into(), industry)], events: None };
/// let out = score_columns(&policy, &columns.view(), chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())?;
/// assert_eq!(out.score, [0.0, 20.0, 0.0]);
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct OwnedLeadColumns {
    /// Number of leads.
    pub rows: usize,
    /// The fields, by name.
    pub fields: Vec<(String, FieldColumn)>,
    /// The events grouped by lead, and their type labels.
    pub events: Option<(GroupedEvents, Vec<String>)>,
}

impl OwnedLeadColumns {
    /// Borrowed view for the engine.
    pub fn view(&self) -> LeadColumns<'_> {
        LeadColumns {
            rows: self.rows,
            fields: self.fields.iter().map(|(name, c)| (name.as_str(), c.data())).collect(),
            events: self.events.as_ref().map(|(g, labels)| g.columns(labels)),
        }
    }

    /// The columns of `leads` for `policy`: every field it reads (kind checked per lead, path
    /// `leads[3].employees`), `id` as text, and the events.
    pub(crate) fn from_leads(policy: &ScoringPolicy, leads: &[Lead]) -> Result<Self> {
        let mut cols = Self { rows: leads.len(), ..Self::default() };
        let mut kinds = field_kinds(policy)?;
        kinds.retain(|(name, _)| name != "id");
        for (name, kind) in kinds {
            let column = build_field(leads, &name, kind)?;
            cols.fields.push((name, column));
        }
        let ids: Vec<String> = leads.iter().map(|l| l.id.clone()).collect();
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(leads.len());
        for (i, id) in ids.iter().enumerate() {
            if let Some(&first) = seen.get(id.as_str()) {
                return Err(Error::DuplicateName {
                    path: format!("leads[{i}].id"),
                    name: id.clone(),
                    first: format!("leads[{first}].id"),
                });
            }
            seen.insert(id, i);
        }
        let codes = (0..leads.len()).map(|i| i32::try_from(i).unwrap_or(i32::MAX)).collect();
        cols.fields.push(("id".to_owned(), FieldColumn::Text { codes, labels: ids }));
        let total: usize = leads.iter().map(|l| l.events.len()).sum();
        if u32::try_from(total).is_err() {
            return Err(Error::out_of_range("leads", total, 0, u32::MAX));
        }
        let mut type_index: HashMap<&str, i32> = HashMap::new();
        let mut type_labels = Vec::new();
        let mut events = GroupedEvents::default();
        events.offsets.reserve(leads.len() + 1);
        events.offsets.push(0);
        for lead in leads {
            for e in &lead.events {
                let next = i32::try_from(type_index.len()).unwrap_or(i32::MAX);
                let code = *type_index.entry(e.kind.as_str()).or_insert_with(|| {
                    type_labels.push(e.kind.clone());
                    next
                });
                events.types.push(code);
                events.on.push(day_number(e.on));
            }
            events.offsets.push(events.types.len() as u32);
        }
        cols.events = Some((events, type_labels));
        Ok(cols)
    }
}

/// Days since 1970-01-01.
pub(crate) fn day_number(d: NaiveDate) -> i32 {
    // NaiveDate's range (±262,000 years) keeps this within i32.
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

pub(crate) fn wrong_type(i: usize, name: &str, want: &str, got: &FieldValue) -> Error {
    let got = match got {
        FieldValue::Null => "null",
        FieldValue::Bool(_) => "a boolean",
        FieldValue::Number(_) => "a number",
        FieldValue::Text(_) => "text",
        FieldValue::Tags(_) => "a list",
    };
    Error::Parse {
        kind: ParseKind::Type,
        path: format!("leads[{i}].{name}"),
        message: format!("expected {want}, got {got}"),
    }
}

fn build_field(leads: &[Lead], name: &str, kind: Kind) -> Result<FieldColumn> {
    fn value<'l>(l: &'l Lead, name: &str) -> Option<&'l FieldValue> {
        l.fields.get(name).filter(|v| !matches!(v, FieldValue::Null))
    }
    let kind = match kind {
        // A tie-break field no condition types is numbers when any lead holds a number (its
        // decimal strings then read as numbers) or when every value is a decimal string (a
        // Python `Decimal` travels as one: "10" after "9"), else text: the same whatever the
        // leads' order, never the kind of whichever value comes first.
        Kind::Any => {
            let number = leads.iter().any(|l| matches!(value(l, name), Some(FieldValue::Number(_))));
            let mut texts = leads.iter().filter_map(|l| match value(l, name) {
                Some(FieldValue::Text(t)) if t.is_empty() => None,
                None => None,
                other => Some(other),
            });
            let decimals = texts.clone().next().is_some()
                && texts.all(|v| matches!(v, Some(FieldValue::Text(t)) if is_decimal_text(t)));
            if number || decimals {
                Kind::Number
            } else {
                Kind::Text
            }
        }
        // Exists / missing ask whether a value is there, of whatever type (a phone given as
        // a number by one lead and as text by another, tags): 1 where one is, NaN where none.
        Kind::Presence => {
            let present = |v: Option<&FieldValue>| match v {
                None => false,
                Some(FieldValue::Text(t)) => !t.is_empty(),
                Some(FieldValue::Tags(t)) => !t.is_empty(),
                Some(FieldValue::Number(n)) => !n.is_nan(),
                Some(_) => true,
            };
            return Ok(FieldColumn::Number(
                leads.iter().map(|l| if present(value(l, name)) { 1.0 } else { f64::NAN }).collect(),
            ));
        }
        k => k,
    };
    Ok(match kind {
        Kind::Number => {
            let mut out = Vec::with_capacity(leads.len());
            for (i, l) in leads.iter().enumerate() {
                out.push(match value(l, name) {
                    None => f64::NAN,
                    Some(FieldValue::Number(n)) => *n,
                    Some(FieldValue::Text(t)) if t.is_empty() => f64::NAN,
                    // A decimal written as a string (Python's Decimal) reads as its number.
                    Some(FieldValue::Text(t)) => decimal_number(t)
                        .ok_or_else(|| wrong_type(i, name, "a number", &FieldValue::Text(t.clone())))?,
                    Some(other) => return Err(wrong_type(i, name, "a number", other)),
                });
            }
            FieldColumn::Number(out)
        }
        Kind::Date => {
            let mut out = Vec::with_capacity(leads.len());
            for (i, l) in leads.iter().enumerate() {
                out.push(match value(l, name) {
                    None => NO_DATE,
                    Some(FieldValue::Text(t)) if t.is_empty() => NO_DATE,
                    Some(FieldValue::Text(t)) => day_number(crate::wire::parse_date(t, &format!("leads[{i}].{name}"))?),
                    Some(other) => return Err(wrong_type(i, name, "a YYYY-MM-DD date", other)),
                });
            }
            FieldColumn::Date(out)
        }
        Kind::Text | Kind::Any | Kind::Presence => {
            let mut labels: Vec<String> = Vec::new();
            let mut index: HashMap<&str, i32> = HashMap::new();
            let mut codes = Vec::with_capacity(leads.len());
            for (i, l) in leads.iter().enumerate() {
                codes.push(match value(l, name) {
                    None => -1,
                    Some(FieldValue::Text(t)) if t.is_empty() => -1,
                    Some(FieldValue::Text(t)) => {
                        let next = i32::try_from(index.len()).unwrap_or(i32::MAX);
                        *index.entry(t.as_str()).or_insert_with(|| {
                            labels.push(t.clone());
                            next
                        })
                    }
                    // A boolean reads as the text `true` / `false`, as a boolean column of a
                    // DataFrame or of Arrow data does in the batch entry points.
                    Some(FieldValue::Bool(b)) => {
                        let t = if *b { "true" } else { "false" };
                        let next = i32::try_from(index.len()).unwrap_or(i32::MAX);
                        *index.entry(t).or_insert_with(|| {
                            labels.push(t.to_owned());
                            next
                        })
                    }
                    Some(other) => return Err(wrong_type(i, name, "text", other)),
                });
            }
            FieldColumn::Text { codes, labels }
        }
    })
}
