//! The deal columns as the columnar forecast functions receive them from Python (category
//! codes, int64 days), shared by `forecast_columns` and `quota_frame`'s native half,
//! `quota_columns`: the quotas and the won deals given apart as JSON text, and
//! [`crmkit::forecast::forecast_quota_columns`]' quota report back.

use std::borrow::Cow;

use std::collections::HashMap;

use crmkit::forecast::{
    DateColumn, DealColumns, ForecastPolicy, KeyColumn, ProbabilityColumn, QuotaData, QuotaLine, QuotaPolicy,
    QuotaReport, StageCodes,
};
use crmkit::wire::parse_date;
use crmkit::Decimal;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::to_python::optional_decimal_list;
use crate::{slice, to_py_err, to_python, Amount, AmountData};

/// A `(int32 codes, labels)` column.
pub(crate) type Coded<'py> = (PyReadonlyArray1<'py, i32>, Vec<String>);

/// The deal columns' data, borrowed from the arrays (copied once when strided), readable with
/// the GIL released.
pub(crate) struct DealData<'a> {
    stage: Cow<'a, [i32]>,
    stage_labels: &'a [String],
    amount: AmountData<'a>,
    amount_scale: Option<u32>,
    /// Entered stage, expected close, snoozed until, last activity.
    dates: [Option<Cow<'a, [i64]>>; 4],
    keys: Vec<(Cow<'a, [i32]>, &'a [String])>,
    probability: Option<Cow<'a, [f64]>>,
    category: Option<(Cow<'a, [i32]>, &'a [String])>,
}

impl<'a> DealData<'a> {
    /// `dates`: entered stage, expected close, snoozed until, last activity (int64 days).
    pub(crate) fn new(
        (stage, stage_labels): (&'a PyReadonlyArray1<'_, i32>, &'a [String]),
        (amount, amount_scale): (&'a Amount<'_>, Option<u32>),
        dates: [&'a Option<PyReadonlyArray1<'_, i64>>; 4],
        keys: &'a [Coded<'_>],
        probability: Option<&'a PyReadonlyArray1<'_, f64>>,
        category: Option<&'a Coded<'_>>,
    ) -> Self {
        Self {
            stage: slice(stage),
            stage_labels,
            amount: amount.data(),
            amount_scale,
            dates: dates.map(|d| d.as_ref().map(slice)),
            keys: keys.iter().map(|(codes, labels)| (slice(codes), labels.as_slice())).collect(),
            probability: probability.map(slice),
            category: category.map(|(codes, labels)| (slice(codes), labels.as_slice())),
        }
    }

    /// `call` with the data as crmkit's columns (string amounts parsed here, at `amount[i]`).
    pub(crate) fn with<T>(
        &self,
        policy: &ForecastPolicy,
        call: impl FnOnce(&DealColumns) -> crmkit::Result<T>,
    ) -> crmkit::Result<T> {
        let mut decimals = Vec::new();
        let amount = self.amount.column(self.amount_scale, policy.rounding.dp, "amount", &mut decimals)?;
        let columns = DealColumns {
            stage: StageCodes::I32(&self.stage),
            stage_labels: self.stage_labels,
            amount,
            entered_stage_on: self.dates[0].as_deref().map(DateColumn::Days),
            expected_close_on: self.dates[1].as_deref().map(DateColumn::Days),
            snoozed_until: self.dates[2].as_deref().map(DateColumn::Days),
            last_activity_on: self.dates[3].as_deref().map(DateColumn::Days),
            keys: self.keys.iter().map(|(codes, labels)| KeyColumn { codes, labels }.into()).collect(),
            probability: self.probability.as_deref().map(ProbabilityColumn::Float),
            category: self.category.as_ref().map(|(codes, labels)| KeyColumn { codes, labels }),
        };
        call(&columns)
    }
}

/// `quota_columns(policy_json, quota_json, data_json, stage_codes, stage_labels, amount,
/// amount_scale, keys, int_keys, as_of, ...) -> dict`: the quota report of the deal columns
/// (arguments as `forecast_columns` takes them; `keys` are the policy's `group_by` columns,
/// `int_keys[k]` whether key column `k` holds integer ids) and of `data_json`'s `quotas` and
/// `won`: `{"columns": {name: column}, "kinds": {name: kind}, "report": dict}`, the report's
/// lines as `quota_frame`'s columns (see [`line_columns`]).
#[pyfunction]
#[pyo3(signature = (policy_json, quota_json, data_json, stage_codes, stage_labels, amount, amount_scale, keys, int_keys, as_of, entered_days = None, close_days = None, snoozed_days = None, probability = None, category = None, activity_days = None))]
#[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)] // one argument per column
pub(crate) fn quota_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    quota_json: String,
    data_json: String,
    stage_codes: PyReadonlyArray1<'py, i32>,
    stage_labels: Vec<String>,
    amount: Bound<'py, PyAny>,
    amount_scale: Option<u32>,
    keys: Vec<Coded<'py>>,
    int_keys: Vec<bool>,
    as_of: String,
    entered_days: Option<PyReadonlyArray1<'py, i64>>,
    close_days: Option<PyReadonlyArray1<'py, i64>>,
    snoozed_days: Option<PyReadonlyArray1<'py, i64>>,
    probability: Option<PyReadonlyArray1<'py, f64>>,
    category: Option<Coded<'py>>,
    activity_days: Option<PyReadonlyArray1<'py, i64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let amount = Amount::extract(&amount)?;
    let data = DealData::new(
        (&stage_codes, &stage_labels),
        (&amount, amount_scale),
        [&entered_days, &close_days, &snoozed_days, &activity_days],
        &keys,
        probability.as_ref(),
        category.as_ref(),
    );
    let computed = py.detach(|| -> crmkit::Result<(Vec<(String, bool)>, QuotaReport)> {
        let policy: ForecastPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let quota: QuotaPolicy = crmkit::wire::from_json_arg(&quota_json, "quota")?;
        let quotas: QuotaData = crmkit::wire::from_json_arg(&data_json, "data")?;
        let as_of = parse_date(&as_of, "as_of")?;
        let report = data.with(&policy, |columns| {
            Ok(crmkit::forecast::forecast_quota_columns(&policy, &quota, columns, &quotas, as_of)?.1)
        })?;
        // The quota's fields (each one of the policy's, or the call failed), and whether its
        // column holds integer ids, whose values then come back as integers.
        let fields: Vec<(String, bool)> = quota
            .group_by
            .iter()
            .map(|f| {
                let at = policy.group_by.iter().position(|g| g == f);
                (f.clone(), at.is_some_and(|k| int_keys.get(k).copied().unwrap_or(false)))
            })
            .collect();
        check_int_keys(&fields, &quota, &quotas)?;
        Ok((fields, report))
    });
    let (fields, report) = computed.map_err(to_py_err)?;
    let out = PyDict::new(py);
    let (columns, kinds) = line_columns(py, &report.lines, &fields)?;
    out.set_item("columns", columns)?;
    out.set_item("kinds", kinds)?;
    out.set_item("report", to_python(py, &report)?)?;
    Ok(out)
}

/// An integer-id field's value as its integer: only the id's own text (`7`, not `07` or
/// `+7`, which would name another key than the column's 7).
fn int_id(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|n| n.to_string() == text)
}

/// `invalid_value` at `quotas[i].key.{field}`, `won[i].{field}` or `groups[i].{field}` for a
/// value of an integer-id field that is not an integer's text: its line could not give the
/// key back in the column's integer dtype.
fn check_int_keys(fields: &[(String, bool)], quota: &QuotaPolicy, data: &QuotaData) -> crmkit::Result<()> {
    let bad = |path: String, value: &str| crmkit::Error::InvalidValue {
        path,
        reason: format!("{value:?} is not an integer id, and the key column holds integers"),
    };
    for (field, _) in fields.iter().filter(|(_, int)| *int) {
        for (i, q) in data.quotas.iter().enumerate() {
            match q.key.get(field) {
                Some(v) if int_id(v).is_none() => return Err(bad(format!("quotas[{i}].key.{field}"), v)),
                _ => {}
            }
        }
        for (i, w) in data.won.iter().enumerate() {
            match w.field(field) {
                Some(v) if int_id(v).is_none() => return Err(bad(format!("won[{i}].{field}"), v)),
                _ => {}
            }
        }
        for (i, g) in quota.groups.iter().flatten().enumerate() {
            match g.get(field) {
                Some(v) if int_id(v).is_none() => return Err(bad(format!("groups[{i}].{field}"), v)),
                _ => {}
            }
        }
    }
    Ok(())
}

/// The lines as columns, in `quota_frame`'s order: the key fields (an integer-id field's
/// values as an int64 array, or as a list with `None` where a line has none; text as `str`
/// objects shared by a key's lines), `period`, `first_month`, `last_month` (`str`), `quota`,
/// `won_deals` / `open_deals` (int64 arrays), the sums and rates (`Decimal` or `None`), and
/// `reasons` (a list of codes per line). Also each column's kind, for an Arrow table:
/// `"int"` (int64), `"text"`, `"reasons"` (a list of text), or for a money or rate column the
/// most decimal places among its values (0 when none), the scale of its decimal128.
fn line_columns<'py>(
    py: Python<'py>,
    lines: &[QuotaLine],
    fields: &[(String, bool)],
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let columns = PyDict::new(py);
    let kinds = PyDict::new(py);
    for (field, int) in fields {
        kinds.set_item(field, if *int { "int" } else { "text" })?;
        let values = lines.iter().map(|l| l.key.get(field).cloned().flatten());
        if *int {
            // (Every value was checked: the columns' labels are their integers' text.)
            let id = |text: String| {
                int_id(&text).ok_or_else(|| {
                    to_py_err(crmkit::Error::InvalidValue {
                        path: field.clone(),
                        reason: format!("{text:?} is not an integer id, and the key column holds integers"),
                    })
                })
            };
            let ids = values.map(|v| v.map(id).transpose()).collect::<PyResult<Vec<Option<i64>>>>()?;
            if ids.iter().all(Option::is_some) {
                columns.set_item(field, PyArray1::from_vec(py, ids.into_iter().flatten().collect()))?;
            } else {
                columns.set_item(field, PyList::new(py, ids)?)?;
            }
        } else {
            // One `str` per key, shared by its consecutive lines.
            let list = PyList::empty(py);
            let mut last: Option<(Option<String>, Bound<PyAny>)> = None;
            for v in values {
                let object = match &last {
                    Some((text, object)) if *text == v => object.clone(),
                    _ => v.as_deref().map_or_else(|| py.None().into_bound(py), |t| PyString::new(py, t).into_any()),
                };
                list.append(&object)?;
                last = Some((v, object));
            }
            columns.set_item(field, list)?;
        }
    }
    let labels = |get: fn(&QuotaLine) -> &str| -> PyResult<Bound<'py, PyList>> {
        // A period's labels repeat on every key's line: one `str` per distinct label.
        let mut known: HashMap<&str, Bound<'py, PyString>> = HashMap::new();
        let list = PyList::empty(py);
        for line in lines {
            list.append(&*known.entry(get(line)).or_insert_with(|| PyString::new(py, get(line))))?;
        }
        Ok(list)
    };
    for (name, get) in [
        ("period", (|l| &*l.period) as fn(&QuotaLine) -> &str),
        ("first_month", |l| &*l.first_month),
        ("last_month", |l| &*l.last_month),
    ] {
        columns.set_item(name, labels(get)?)?;
        kinds.set_item(name, "text")?;
    }
    let money = |name: &str, get: fn(&QuotaLine) -> Option<Decimal>| -> PyResult<()> {
        let values = lines.iter().map(get);
        columns.set_item(name, optional_decimal_list(py, values.clone())?)?;
        kinds.set_item(name, values.flatten().map(|d| d.scale()).max().unwrap_or(0))
    };
    money("quota", |l| l.quota)?;
    columns.set_item("won_deals", counts(py, lines, |l| l.won.deals)?)?;
    kinds.set_item("won_deals", "int")?;
    money("won_amount", |l| Some(l.won.amount))?;
    columns.set_item("open_deals", counts(py, lines, |l| l.open.deals)?)?;
    kinds.set_item("open_deals", "int")?;
    money("open_amount", |l| Some(l.open.amount))?;
    money("open_weighted", |l| Some(l.open.weighted))?;
    money("attainment", |l| l.attainment)?;
    money("gap", |l| l.gap)?;
    money("coverage", |l| l.coverage)?;
    money("weighted_coverage", |l| l.weighted_coverage)?;
    let reasons = PyList::empty(py);
    for line in lines {
        let codes = line.reasons.iter().map(|r| PyString::intern(py, r.code()));
        reasons.append(PyList::new(py, codes)?)?;
    }
    columns.set_item("reasons", reasons)?;
    kinds.set_item("reasons", "reasons")?;
    Ok((columns, kinds))
}

/// A deal count per line, as int64 (`overflow` at `totals` beyond it: more deals than any
/// memory holds).
fn counts<'py>(
    py: Python<'py>,
    lines: &[QuotaLine],
    get: fn(&QuotaLine) -> u64,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let values: Result<Vec<i64>, _> = lines.iter().map(|l| i64::try_from(get(l))).collect();
    let values = values.map_err(|_| to_py_err(crmkit::Error::Overflow { path: "totals".into() }))?;
    Ok(PyArray1::from_vec(py, values))
}
