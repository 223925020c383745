//! The scoring engine: a policy compiled against columns, then one pass per lead.
//!
//! Text conditions are decided once per distinct label (a table of booleans per condition),
//! so a regex runs once per label, not once per lead; event rules are indexed by event type
//! and their decay factors tabulated per whole day of age.

use super::columns::{EventColumns, FieldData, LeadColumns, NO_DATE};
use super::detmath::exp2;
use super::rules::{compile_regex, ConditionOp, Dimension, FieldCondition, RangeBounds, ScoringPolicy, MAX_DAYS};
use crate::error::{Error, ParseKind, Result};

/// Largest absolute points, bound or threshold (keeps every sum finite).
pub const MAX_POINTS: f64 = 1e9;

/// Decay factors tabulated per policy (8 bytes each), over all its event rules.
const DECAY_TABLE_BUDGET: usize = 1 << 22;

/// Ages (days) a rule's decay table covers at most: ten years. A rule without a window
/// tabulated the whole century of [`MAX_DAYS`] (36,601 exp2 per rule and call, 1 % of
/// `score_columns` on the bench); an older event's factor is computed (the same bits).
const DECAY_TABLE_DAYS: u32 = 3_660;

pub(crate) enum Test {
    /// Decided per label code; `missing` for a missing value.
    Table {
        col: usize,
        matches: Vec<bool>,
        missing: bool,
    },
    Number {
        col: usize,
        lo: f64,
        hi: f64,
        lo_incl: bool,
        hi_incl: bool,
    },
    Days {
        col: usize,
        from: i32,
        to: i32,
    },
    Present {
        col: usize,
        want: bool,
    },
}

pub(crate) struct EventSpec {
    pub min_count: u32,
    pub within: Option<i64>,
    pub per_event: bool,
    pub max_events: Option<u32>,
    /// Decay factor by whole day of age (empty without a half-life).
    pub table: Vec<f64>,
    pub half_life: Option<f64>,
}

pub(crate) struct CRule {
    pub dim: Dimension,
    pub group: Option<usize>,
    pub points: f64,
    pub tests: Vec<Test>,
    /// Index into the event accumulators.
    pub event: Option<usize>,
}

pub(crate) struct Compiled<'c> {
    pub rules: Vec<CRule>,
    pub events: Vec<EventSpec>,
    /// Event type code → event specs counting it.
    pub by_type: Vec<Vec<usize>>,
    pub tier_tests: Vec<Vec<Test>>,
    pub cols: LeadColumns<'c>,
    pub as_of: i32,
    /// Ranking keys: column and descending.
    pub tie: Vec<(usize, bool)>,
    /// Per text column used for ranking: rank of each label.
    pub label_rank: Vec<Option<Vec<u32>>>,
    /// Every grade of the matrix, by grade code.
    pub grade_labels: Vec<String>,
    /// Per tier: its `min_score`, `min_fit` and `min_engagement` (−∞ for none: scores are
    /// finite).
    pub tier_floors: Vec<[f64; 3]>,
    /// Per tier: whether it admits a lead without a grade (at 0), and each grade code `g`
    /// (at `g + 1`).
    pub tier_grades: Vec<Vec<bool>>,
    /// Per group: the dimension of its rules.
    pub group_dim: Vec<Dimension>,
}

impl<'c> Compiled<'c> {
    pub(crate) fn new(policy: &ScoringPolicy, cols: LeadColumns<'c>, as_of: i32) -> Result<Self> {
        policy.validate()?;
        for (name, data) in &cols.fields {
            if data.len() != cols.rows {
                return Err(Error::InvalidValue {
                    path: format!("columns.{name}"),
                    reason: format!("{} rows, the other columns {}", data.len(), cols.rows),
                });
            }
        }
        for (i, r) in policy.rules.iter().enumerate() {
            if r.points.abs() > MAX_POINTS {
                return Err(Error::out_of_range(format!("rules[{i}].points"), r.points, -MAX_POINTS, MAX_POINTS));
            }
        }
        let groups: Vec<&str> = policy.groups.iter().map(|g| g.id.as_str()).collect();
        let mut events = Vec::new();
        let type_labels: &[String] = cols.events.as_ref().map_or(&[], |e| e.type_labels);
        let mut by_type: Vec<Vec<usize>> = vec![Vec::new(); type_labels.len()];
        let mut rules = Vec::with_capacity(policy.rules.len());
        let mut table_budget: usize = DECAY_TABLE_BUDGET;
        for (i, r) in policy.rules.iter().enumerate() {
            let tests = r
                .when
                .iter()
                .enumerate()
                .map(|(j, c)| compile_test(c, &cols, as_of, &format!("rules[{i}].when[{j}]")))
                .collect::<Result<Vec<_>>>()?;
            let event = r.event.as_ref().map(|e| {
                let k = events.len();
                for (code, label) in type_labels.iter().enumerate() {
                    if e.types.iter().any(|t| t == label) {
                        by_type[code].push(k);
                    }
                }
                let reach = e.within_days.unwrap_or(MAX_DAYS).min(DECAY_TABLE_DAYS) as usize;
                // Tables of decay factors up to a budget (10,000 rules × a century of days would
                // be 2.9 GB); beyond it `factor` computes the same exp2 per event.
                let table = match e.half_life_days {
                    Some(h) if reach < table_budget => {
                        table_budget -= reach + 1;
                        (0..=reach).map(|age| exp2(-(age as f64) / h)).collect()
                    }
                    _ => Vec::new(),
                };
                events.push(EventSpec {
                    min_count: e.min_count,
                    within: e.within_days.map(i64::from),
                    per_event: e.per_event,
                    max_events: e.max_events,
                    table,
                    half_life: e.half_life_days,
                });
                k
            });
            let group = r.group.as_ref().and_then(|g| groups.iter().position(|x| x == g));
            rules.push(CRule { dim: r.dimension, group, points: r.points, tests, event });
        }
        let tier_tests = policy
            .tiers
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t.when
                    .iter()
                    .enumerate()
                    .map(|(j, c)| compile_test(c, &cols, as_of, &format!("tiers[{i}].when[{j}]")))
                    .collect()
            })
            .collect::<Result<Vec<_>>>()?;
        let mut tie = Vec::new();
        for (i, t) in policy.tie_break.iter().enumerate() {
            tie.push((column(&cols, &t.field, &format!("tie_break[{i}].field"))?, t.descending));
        }
        if let Some(id) = cols.fields.iter().position(|(n, _)| *n == "id") {
            tie.push((id, false));
        }
        let any: Vec<String> = super::columns::field_kinds(policy)?
            .into_iter()
            .filter_map(|(name, k)| (k == super::columns::Kind::Any).then_some(name))
            .collect();
        let label_rank = cols
            .fields
            .iter()
            .enumerate()
            .map(|(c, (name, data))| match data {
                FieldData::Text { codes, labels } if tie.iter().any(|(t, _)| *t == c) => {
                    // A tie-break no condition reads whose values are all decimal strings ranks
                    // them as numbers (equal numbers equal), as score_leads does.
                    let numbers = (*name != "id" && any.iter().any(|a| a == name))
                        .then(|| numeric_labels(&codes[..cols.rows.min(codes.len())], labels))
                        .flatten();
                    Some(label_ranks(labels, numbers.as_deref()))
                }
                _ => None,
            })
            .collect();
        if let Some(ev) = &cols.events {
            check_events(ev, cols.rows)?;
            crate::wire::check_days(ev.on, Some(NO_DATE), |i| format!("events.on[{i}]"))?;
        }
        for (name, data) in &cols.fields {
            if let FieldData::Date(days) = data {
                crate::wire::check_days(days, Some(NO_DATE), |i| format!("columns.{name}[{i}]"))?;
            }
        }
        for (name, data) in &cols.fields {
            if let FieldData::Text { codes, labels } = data
                && let Some(i) = codes.iter().position(|&c| c >= 0 && c as usize >= labels.len())
            {
                return Err(Error::out_of_range(format!("columns.{name}[{i}]"), codes[i], -1, labels.len() as i64 - 1));
            }
        }
        let grade_labels = policy.grade_labels();
        let floor = |m: Option<f64>| m.unwrap_or(f64::NEG_INFINITY);
        let tier_floors =
            policy.tiers.iter().map(|t| [floor(t.min_score), floor(t.min_fit), floor(t.min_engagement)]).collect();
        // Without `grades` a tier admits every grade and none.
        let tier_grades = policy
            .tiers
            .iter()
            .map(|t| {
                let any = t.grades.is_empty();
                std::iter::once(any).chain(grade_labels.iter().map(|g| any || t.grades.contains(g))).collect()
            })
            .collect();
        let group_dim = (0..policy.groups.len())
            .map(|g| rules.iter().find(|r: &&CRule| r.group == Some(g)).map_or(Dimension::Fit, |r| r.dim))
            .collect();
        Ok(Self {
            rules,
            events,
            by_type,
            tier_tests,
            cols,
            as_of,
            tie,
            label_rank,
            grade_labels,
            tier_floors,
            tier_grades,
            group_dim,
        })
    }
}

impl Compiled<'_> {
    /// Whether tier `t`'s thresholds and grades admit a lead with these scores and grade
    /// code (−1 for none), its `when` conditions apart: the one rule of the record pass and
    /// the batch pass.
    #[inline]
    pub(crate) fn tier_admits(&self, t: usize, score: f64, fit: f64, eng: f64, grade: i32) -> bool {
        tier_admits(self.tier_floors[t], &self.tier_grades[t], score, fit, eng, grade)
    }
}

/// [`Compiled::tier_admits`] over one tier's floors and grades (the batch pass hoists them out
/// of its loop over the leads). Every test is computed and the results combined as bits: the
/// compiler otherwise branches on each comparison, which follows no pattern across leads.
#[inline]
pub(crate) fn tier_admits(floors: [f64; 3], grades: &[bool], score: f64, fit: f64, eng: f64, grade: i32) -> bool {
    let [s, f, e] = floors;
    let grade_ok = usize::try_from(grade + 1).ok().and_then(|g| grades.get(g)).copied().unwrap_or(false);
    (u8::from(score >= s) & u8::from(fit >= f) & u8::from(eng >= e) & u8::from(grade_ok)) != 0
}

impl Compiled<'_> {}

fn check_events(ev: &EventColumns<'_>, rows: usize) -> Result<()> {
    let bad = |reason: String| Error::InvalidValue { path: "events.offsets".into(), reason };
    if ev.offsets.len() != rows + 1 || ev.offsets.first() != Some(&0) {
        return Err(bad(format!("{} offsets for {rows} leads: need rows + 1, starting at 0", ev.offsets.len())));
    }
    if ev.offsets.windows(2).any(|w| w[0] > w[1]) {
        return Err(bad("offsets must not decrease".into()));
    }
    let n = ev.offsets.last().map_or(0, |&x| x as usize);
    if ev.types.len() != n || ev.on.len() != n {
        return Err(Error::InvalidValue {
            path: "events".into(),
            reason: format!("{n} events by the offsets, {} types and {} dates", ev.types.len(), ev.on.len()),
        });
    }
    Ok(())
}

fn column(cols: &LeadColumns<'_>, field: &str, path: &str) -> Result<usize> {
    cols.fields.iter().position(|(n, _)| *n == field).ok_or_else(|| Error::MissingValue {
        path: path.to_owned(),
        reason: format!("no column {field:?} among the leads' columns"),
    })
}

fn compile_test(c: &FieldCondition, cols: &LeadColumns<'_>, as_of: i32, path: &str) -> Result<Test> {
    let col = column(cols, &c.field, &format!("{path}.field"))?;
    let data = cols.fields[col].1;
    let wrong = |want: &str| Error::Parse {
        kind: ParseKind::Type,
        path: format!("columns.{}", c.field),
        message: format!("op {:?} needs a {want} column, got {}", c.op, data.kind_name()),
    };
    let fold = |s: &str| if c.ignore_case { s.to_ascii_lowercase() } else { s.to_owned() };
    let table = |f: &dyn Fn(&str) -> bool, missing: bool| -> Result<Test> {
        match data {
            FieldData::Text { labels, .. } => {
                Ok(Test::Table { col, matches: labels.iter().map(|l| !l.is_empty() && f(l)).collect(), missing })
            }
            _ => Err(wrong("text")),
        }
    };
    match c.op {
        ConditionOp::Equals => {
            let v = fold(c.value.as_deref().unwrap_or_default());
            table(&|l| fold(l) == v, false)
        }
        ConditionOp::In | ConditionOp::NotIn => {
            let vs: Vec<String> = c.values.iter().flatten().map(|v| fold(v)).collect();
            let inside = c.op == ConditionOp::In;
            table(&|l| vs.contains(&fold(l)) == inside, false)
        }
        ConditionOp::Contains => {
            let v = fold(c.value.as_deref().unwrap_or_default());
            table(&|l| fold(l).contains(&v), false)
        }
        ConditionOp::Regex => {
            let re =
                compile_regex(c.pattern.as_deref().unwrap_or_default(), c.ignore_case, &format!("{path}.pattern"))?;
            table(&|l| re.is_match(l), false)
        }
        ConditionOp::Range => match data {
            FieldData::Number(_) => {
                let b = c.bounds.unwrap_or(RangeBounds::Closed);
                let (lo_incl, hi_incl) = match b {
                    RangeBounds::Closed => (true, true),
                    RangeBounds::ClosedOpen => (true, false),
                    RangeBounds::OpenClosed => (false, true),
                    RangeBounds::Open => (false, false),
                };
                Ok(Test::Number {
                    col,
                    lo: c.min.unwrap_or(f64::NEG_INFINITY),
                    hi: c.max.unwrap_or(f64::INFINITY),
                    lo_incl: lo_incl || c.min.is_none(),
                    hi_incl: hi_incl || c.max.is_none(),
                })
            }
            _ => Err(wrong("number")),
        },
        ConditionOp::WithinDays => match data {
            FieldData::Date(_) => {
                let days = c.days.unwrap_or_default() as i32;
                Ok(Test::Days { col, from: as_of.saturating_sub(days), to: as_of })
            }
            _ => Err(wrong("date")),
        },
        ConditionOp::Exists | ConditionOp::Missing => Ok(Test::Present { col, want: c.op == ConditionOp::Exists }),
    }
}

impl Test {
    #[inline]
    pub(crate) fn holds(&self, cols: &LeadColumns<'_>, row: usize) -> bool {
        match self {
            Self::Table { col, matches, missing } => match cols.fields[*col].1 {
                FieldData::Text { codes, .. } => {
                    let c = codes[row];
                    usize::try_from(c).ok().and_then(|c| matches.get(c)).copied().unwrap_or(*missing)
                }
                _ => false,
            },
            Self::Number { col, lo, hi, lo_incl, hi_incl } => match cols.fields[*col].1 {
                FieldData::Number(v) => {
                    let x = v[row];
                    !x.is_nan()
                        && (if *lo_incl { x >= *lo } else { x > *lo })
                        && (if *hi_incl { x <= *hi } else { x < *hi })
                }
                _ => false,
            },
            Self::Days { col, from, to } => match cols.fields[*col].1 {
                FieldData::Date(v) => v[row] != NO_DATE && v[row] >= *from && v[row] <= *to,
                _ => false,
            },
            Self::Present { col, want } => {
                let present = match cols.fields[*col].1 {
                    FieldData::Number(v) => !v[row].is_nan(),
                    FieldData::Date(v) => v[row] != NO_DATE,
                    FieldData::Text { codes, labels } => {
                        usize::try_from(codes[row]).ok().and_then(|c| labels.get(c)).is_some_and(|l| !l.is_empty())
                    }
                };
                present == *want
            }
        }
    }
}

impl EventSpec {
    /// Decay factor at `age` whole days.
    #[inline]
    pub(crate) fn factor(&self, age: i64) -> f64 {
        match self.half_life {
            None => 1.0,
            Some(h) => usize::try_from(age)
                .ok()
                .and_then(|a| self.table.get(a))
                .copied()
                .unwrap_or_else(|| exp2(-(age as f64) / h)),
        }
    }
}

/// Each label's rank in a text tie-break: by the labels' `numbers` when given (equal numbers
/// one rank), else by the text.
fn label_ranks(labels: &[String], numbers: Option<&[f64]>) -> Vec<u32> {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    let mut rank = vec![0_u32; labels.len()];
    if let Some(values) = numbers {
        order.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
        let mut r = 0_u32;
        for (k, &l) in order.iter().enumerate() {
            if k > 0 && values[order[k - 1]].to_bits() != values[l].to_bits() {
                r += 1;
            }
            rank[l] = r;
        }
    } else {
        order.sort_by(|a, b| labels[*a].cmp(&labels[*b]));
        for (r, l) in order.into_iter().enumerate() {
            rank[l] = r as u32;
        }
    }
    rank
}

/// The numbers of a text column's labels when every label a row uses (the empty one apart:
/// missing) is a decimal string and one is used; an unused label ranks as +∞ (no row holds
/// it). `None` when a used label is other text, or no label is used.
fn numeric_labels(codes: &[i32], labels: &[String]) -> Option<Vec<f64>> {
    let mut used = vec![false; labels.len()];
    for &c in codes {
        if let Ok(c) = usize::try_from(c)
            && let Some(u) = used.get_mut(c)
        {
            *u = true;
        }
    }
    let mut any = false;
    let mut values = Vec::with_capacity(labels.len());
    for (l, &u) in labels.iter().zip(&used) {
        if !u || l.is_empty() {
            values.push(f64::INFINITY);
            continue;
        }
        any = true;
        values.push(super::columns::decimal_number(l)?);
    }
    any.then_some(values)
}
