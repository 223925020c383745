//! The deal columns as the columnar forecast functions receive them from Python (category
//! codes or integer ids, int64 days or datetime64 ticks), shared by `forecast_columns` and
//! `quota_frame`'s native half, `quota_columns`: the quotas and the won deals given apart as
//! JSON text, and [`crmkit::forecast::forecast_quota_columns`]' quota report back.

use std::borrow::Cow;

use std::collections::HashMap;

use crmkit::forecast::{
    DealColumns, ForecastPolicy, KeyColumn, ProbabilityColumn, QuotaData, QuotaLine, QuotaPolicy, QuotaReport,
    QuotaTable, StageCodes, UnitColumn, QUOTA_REASON_LISTS,
};
use crmkit::wire::parse_date;
use crmkit::Decimal;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::frame::{date_column, DateArg, Key, KeyData};
use crate::to_python::{decimal_list, optional_decimal_list};
use crate::{slice, to_py_err, to_python, Amount, AmountData};

/// A `(int32 codes, labels)` column.
pub(crate) type Coded<'py> = (PyReadonlyArray1<'py, i32>, Vec<String>);

/// A date column's values and their numpy datetime64 unit (`D`: days since 1970-01-01).
type DateData<'a> = Option<(Cow<'a, [i64]>, &'a str)>;

/// The deal columns' data, borrowed from the arrays (copied once when strided), readable with
/// the GIL released.
pub(crate) struct DealData<'a> {
    stage: Cow<'a, [i32]>,
    stage_labels: &'a [String],
    amount: AmountData<'a>,
    amount_scale: Option<u32>,
    /// Entered stage, expected close, snoozed until, last activity: values and their numpy
    /// datetime64 unit (`D`: days).
    dates: [DateData<'a>; 4],
    keys: Vec<KeyData<'a>>,
    probability: Option<Cow<'a, [f64]>>,
    category: Option<(Cow<'a, [i32]>, &'a [String])>,
}

impl<'a> DealData<'a> {
    /// `dates`: entered stage, expected close, snoozed until, last activity (int64 values and
    /// their datetime64 unit, `D` for days).
    pub(crate) fn new(
        (stage, stage_labels): (&'a PyReadonlyArray1<'_, i32>, &'a [String]),
        (amount, amount_scale): (&'a Amount<'_>, Option<u32>),
        dates: [Option<(&'a PyReadonlyArray1<'_, i64>, &'a str)>; 4],
        keys: Vec<KeyData<'a>>,
        probability: Option<&'a PyReadonlyArray1<'_, f64>>,
        category: Option<&'a Coded<'_>>,
    ) -> Self {
        Self {
            stage: slice(stage),
            stage_labels,
            amount: amount.data(),
            amount_scale,
            dates: dates.map(|d| d.map(|(values, unit)| (slice(values), unit))),
            keys,
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
        let date = |k: usize, field: &str| {
            self.dates[k].as_ref().map(|(values, unit)| date_column(values, unit, field)).transpose()
        };
        let columns = DealColumns {
            stage: StageCodes::I32(&self.stage),
            stage_labels: self.stage_labels,
            amount,
            entered_stage_on: date(0, "entered_stage_on")?,
            expected_close_on: date(1, "expected_close_on")?,
            snoozed_until: date(2, "snoozed_until")?,
            last_activity_on: date(3, "last_activity_on")?,
            keys: self.keys.iter().map(KeyData::column).collect(),
            probability: self.probability.as_deref().map(ProbabilityColumn::Float),
            category: self.category.as_ref().map(|(codes, labels)| KeyColumn { codes, labels }),
        };
        call(&columns)
    }
}

/// A quota key column: integer ids (each key's value is its text), or texts (`None`: none).
#[derive(FromPyObject)]
pub(crate) enum QuotaKey<'py> {
    /// int64 ids.
    Ids(PyReadonlyArray1<'py, i64>),
    /// Texts.
    Texts(Vec<Option<String>>),
}

/// Quota amounts as a column: whole units (int64), or decimal texts.
#[derive(FromPyObject)]
pub(crate) enum QuotaAmounts<'py> {
    /// int64 whole units.
    Units(PyReadonlyArray1<'py, i64>),
    /// Decimal texts, read as the record quotas' amounts are.
    Texts(Vec<String>),
}

/// Quotas given as columns: the quota's `group_by` fields, a key column per field, the period
/// labels and the amounts, one row per quota (the columns of equal length: a DataFrame's).
pub(crate) type QuotaRows<'py> = (Vec<String>, Vec<QuotaKey<'py>>, Vec<String>, QuotaAmounts<'py>);

/// The quotas of `rows`, as the record quotas would give them (`quotas[i]`: row `i`); a row
/// without a value for a field has no such key (the core refuses it at `quotas[i].key`).
/// `invalid_decimal` at `quotas[i].amount` for an amount that is not a decimal number.
fn quotas_of_rows((fields, keys, periods, amounts): &QuotaRows<'_>) -> crmkit::Result<Vec<crmkit::forecast::Quota>> {
    let keys: Vec<Either<'_>> = keys
        .iter()
        .map(|k| match k {
            QuotaKey::Ids(ids) => Either::Ids(slice(ids)),
            QuotaKey::Texts(texts) => Either::Texts(texts),
        })
        .collect();
    let units = match amounts {
        QuotaAmounts::Units(u) => Ok(slice(u)),
        QuotaAmounts::Texts(texts) => Err(texts),
    };
    let value = |k: &Either<'_>, i: usize| match k {
        Either::Ids(ids) => ids.get(i).map(ToString::to_string),
        Either::Texts(texts) => texts.get(i).cloned().flatten(),
    };
    (0..periods.len())
        .map(|i| {
            let mut key = std::collections::BTreeMap::new();
            for (field, k) in fields.iter().zip(&keys) {
                if let Some(v) = value(k, i) {
                    key.insert(field.clone(), v);
                }
            }
            let amount = match &units {
                Ok(units) => Decimal::from(units.get(i).copied().unwrap_or_default()),
                Err(texts) => crmkit::wire::parse_decimal(
                    texts.get(i).map_or("", String::as_str),
                    &format!("quotas[{i}].amount"),
                )?,
            };
            Ok(crmkit::forecast::Quota { key, period: periods[i].clone(), amount })
        })
        .collect()
}

/// A key column's values, borrowed.
enum Either<'a> {
    Ids(Cow<'a, [i64]>),
    Texts(&'a [Option<String>]),
}

/// The quota's fields (and whether each holds integer ids), the report, and with
/// `money_units` its lines as columns.
type Computed = (Vec<(String, bool)>, QuotaReport, Option<QuotaTable>);

/// `quota_columns(policy_json, quota_json, data_json, stage_codes, stage_labels, amount,
/// amount_scale, keys, int_keys, as_of, ...) -> dict`: the quota report of the deal columns
/// (arguments as `forecast_columns` takes them, but `keys` and the dates as
/// `forecast_frame_columns` takes them: per policy `group_by` field `("codes", codes,
/// labels)` or `("ids", int32 or int64 ids)`, dates `(int64 array, datetime64 unit)`;
/// `int_keys[k]` whether key column `k` holds integer ids) and of `data_json`'s `quotas` and
/// `won`: `{"columns": {name: column}, "kinds": {name: kind}, "report": dict}`, the report's
/// lines as `quota_frame`'s columns (see [`line_columns`]). With `money_units`:
/// `{"table": {name: column}, "report": dict}`, the lines as arrays (see [`table_columns`]) and
/// the report without its `lines`. `quota_rows`: the quotas as columns instead of `data_json`'s
/// (see [`QuotaRows`]).
#[pyfunction]
#[pyo3(signature = (policy_json, quota_json, data_json, stage_codes, stage_labels, amount, amount_scale, keys, int_keys, as_of, entered = None, close = None, snoozed = None, probability = None, category = None, activity = None, money_units = false, quota_rows = None))]
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
    keys: Vec<Key<'py>>,
    int_keys: Vec<bool>,
    as_of: String,
    entered: DateArg<'py>,
    close: DateArg<'py>,
    snoozed: DateArg<'py>,
    probability: Option<PyReadonlyArray1<'py, f64>>,
    category: Option<Coded<'py>>,
    activity: DateArg<'py>,
    money_units: bool,
    quota_rows: Option<QuotaRows<'py>>,
) -> PyResult<Bound<'py, PyDict>> {
    let amount = Amount::extract(&amount)?;
    let rows = quota_rows.as_ref().map(quotas_of_rows).transpose().map_err(to_py_err)?;
    let data = DealData::new(
        (&stage_codes, &stage_labels),
        (&amount, amount_scale),
        [&entered, &close, &snoozed, &activity].map(|d| d.as_ref().map(|(values, unit)| (values, unit.as_str()))),
        keys.iter().map(Key::data).collect(),
        probability.as_ref(),
        category.as_ref(),
    );
    let computed = py.detach(|| -> crmkit::Result<Computed> {
        let policy: ForecastPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let quota: QuotaPolicy = crmkit::wire::from_json_arg(&quota_json, "quota")?;
        let mut quotas: QuotaData = crmkit::wire::from_json_arg(&data_json, "data")?;
        if let Some(rows) = rows {
            quotas.quotas = rows;
        }
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
        let table = money_units.then(|| QuotaTable::new(&report, policy.rounding.dp, quota.rate_dp)).transpose()?;
        Ok((fields, report, table))
    });
    let (fields, mut report, table) = computed.map_err(to_py_err)?;
    let out = PyDict::new(py);
    if let Some(table) = table {
        report.lines.clear();
        out.set_item("table", table_columns(py, &table, &report, &fields)?)?;
        out.set_item("report", to_python(py, &report)?)?;
        return Ok(out);
    }
    let (columns, kinds) = line_columns(py, &report.lines, &fields)?;
    // The report as `to_python` makes it, its lines built from the columns' objects (not
    // converted a second time).
    let lines = std::mem::take(&mut report.lines);
    let whole = to_python(py, &report)?;
    whole.set_item(pyo3::intern!(py, "lines"), report_lines(py, &lines, &columns)?)?;
    out.set_item("columns", columns)?;
    out.set_item("kinds", kinds)?;
    out.set_item("report", whole)?;
    Ok(out)
}

/// The report's `lines` as [`to_python`] makes them (a dict per line, a fresh `key` dict, `won`
/// and `open` dicts and `reasons` list each), from the objects [`line_columns`] built: the
/// same `Decimal`s (immutable: one object for the column's cell and the line's field), the
/// period labels; only the key's texts are made here (an integer-id field's column holds
/// ints). ~20,000 `Decimal` conversions fewer on a 4,500-quota report.
fn report_lines<'py>(
    py: Python<'py>,
    lines: &[QuotaLine],
    columns: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyList>> {
    let column = |name: &str| -> PyResult<Bound<'py, PyList>> {
        let list = columns.get_item(name)?.ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(name.to_owned()))?;
        Ok(list.cast_into()?)
    };
    let [period, first_month, last_month, quota, won_amount, open_amount, open_weighted] =
        ["period", "first_month", "last_month", "quota", "won_amount", "open_amount", "open_weighted"].map(column);
    let (period, first_month, last_month, quota) = (period?, first_month?, last_month?, quota?);
    let (won_amount, open_amount, open_weighted) = (won_amount?, open_amount?, open_weighted?);
    let [attainment, gap, coverage, weighted_coverage] =
        ["attainment", "gap", "coverage", "weighted_coverage"].map(column);
    let (attainment, gap, coverage, weighted_coverage) = (attainment?, gap?, coverage?, weighted_coverage?);
    let (deals, amount, weighted) =
        (pyo3::intern!(py, "deals"), pyo3::intern!(py, "amount"), pyo3::intern!(py, "weighted"));
    // A won line's weighted amount is its amount (the core's lines): the same object, else
    // its own `Decimal`.
    let differs = |l: &&QuotaLine| l.won.weighted.serialize() != l.won.amount.serialize();
    let mut won_weighted = decimal_list(py, lines.iter().filter(differs).map(|l| l.won.weighted))?.into_iter();
    let out = PyList::empty(py);
    // The key's dict, made once per key (its lines share the `Arc`) and copied per line.
    let mut last_key: Option<(&QuotaLine, Bound<'py, PyDict>)> = None;
    for (i, line) in lines.iter().enumerate() {
        let key = match &last_key {
            Some((l, dict)) if std::sync::Arc::ptr_eq(&l.key, &line.key) => dict.copy()?,
            _ => {
                let dict = PyDict::new(py);
                for (field, value) in line.key.iter() {
                    dict.set_item(field, value.as_deref())?;
                }
                last_key = Some((line, dict.copy()?));
                dict
            }
        };
        let won_amount = won_amount.get_item(i)?;
        let won_weighted = if differs(&line) {
            won_weighted.next().unwrap_or_else(|| py.None().into_bound(py))
        } else {
            won_amount.clone()
        };
        let won = PyDict::new(py);
        won.set_item(deals, line.won.deals)?;
        won.set_item(amount, won_amount)?;
        won.set_item(weighted, won_weighted)?;
        let open = PyDict::new(py);
        open.set_item(deals, line.open.deals)?;
        open.set_item(amount, open_amount.get_item(i)?)?;
        open.set_item(weighted, open_weighted.get_item(i)?)?;
        let d = PyDict::new(py);
        d.set_item(pyo3::intern!(py, "key"), key)?;
        d.set_item(pyo3::intern!(py, "period"), period.get_item(i)?)?;
        d.set_item(pyo3::intern!(py, "first_month"), first_month.get_item(i)?)?;
        d.set_item(pyo3::intern!(py, "last_month"), last_month.get_item(i)?)?;
        d.set_item(pyo3::intern!(py, "quota"), quota.get_item(i)?)?;
        d.set_item(pyo3::intern!(py, "won"), won)?;
        d.set_item(pyo3::intern!(py, "open"), open)?;
        d.set_item(pyo3::intern!(py, "attainment"), attainment.get_item(i)?)?;
        d.set_item(pyo3::intern!(py, "gap"), gap.get_item(i)?)?;
        d.set_item(pyo3::intern!(py, "coverage"), coverage.get_item(i)?)?;
        d.set_item(pyo3::intern!(py, "weighted_coverage"), weighted_coverage.get_item(i)?)?;
        d.set_item(
            pyo3::intern!(py, "reasons"),
            PyList::new(py, line.reasons.iter().map(|r| PyString::intern(py, r.code())))?,
        )?;
        out.append(d)?;
    }
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

/// The lines of `table` (of `report`, whose `totals` name its periods) as arrays, for
/// `quota_frame(money="units")`: `keys` (per quota field, each key's value: an int64 array for
/// an integer-id field whose keys all have one, else a list with `None` for a missing value),
/// `int_keys` (per field, whether it holds integer ids),
/// `key` and `period` (int32 indexes into `keys`' and `periods`' entries), `periods`,
/// `first_month`, `last_month` (each period's labels), money as int64 units of `scale` and
/// rates of `rate_scale` places with a bool mask of the null cells beside each nullable one
/// (`quota_missing`...), the deal counts (int64), and `reasons` (a list of codes per line).
fn table_columns<'py>(
    py: Python<'py>,
    table: &QuotaTable,
    report: &QuotaReport,
    fields: &[(String, bool)],
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let keys = PyDict::new(py);
    for (field, int) in fields {
        let values = table.keys.iter().map(|k| k.get(field).cloned().flatten());
        // (Every value was checked: an integer field's values are integers' text.)
        let ids: Option<Vec<i64>> =
            if *int { values.clone().map(|v| v.as_deref().and_then(int_id)).collect() } else { None };
        match ids {
            Some(ids) => keys.set_item(field, PyArray1::from_vec(py, ids))?,
            None if *int => {
                keys.set_item(field, PyList::new(py, values.map(|v| v.as_deref().and_then(int_id)))?)?;
            }
            None => keys.set_item(field, PyList::new(py, values)?)?,
        }
    }
    out.set_item("keys", keys)?;
    out.set_item("int_keys", PyList::new(py, fields.iter().map(|(_, int)| *int))?)?;
    // int32 indexes, as `_frame._text_column` takes codes (a report holds far fewer than 2^31
    // keys or periods).
    let index = |v: &[u32]| PyArray1::from_vec(py, v.iter().map(|&i| i32::try_from(i).unwrap_or(-1)).collect());
    out.set_item("key", index(&table.key))?;
    out.set_item("period", index(&table.period))?;
    for (name, get) in [
        ("periods", (|l| &*l.period) as fn(&QuotaLine) -> &str),
        ("first_month", |l| &*l.first_month),
        ("last_month", |l| &*l.last_month),
    ] {
        out.set_item(name, PyList::new(py, report.totals.iter().map(get))?)?;
    }
    let nullable = |name: &str, column: &UnitColumn| -> PyResult<()> {
        out.set_item(name, PyArray1::from_slice(py, &column.units))?;
        out.set_item(format!("{name}_missing"), PyArray1::from_slice(py, &column.missing))
    };
    let count = |name: &str, values: &[u64]| -> PyResult<()> {
        let values: Result<Vec<i64>, _> = values.iter().map(|&d| i64::try_from(d)).collect();
        let values = values.map_err(|_| to_py_err(crmkit::Error::Overflow { path: "totals".into() }))?;
        out.set_item(name, PyArray1::from_vec(py, values))
    };
    nullable("quota", &table.quota)?;
    count("won_deals", &table.won_deals)?;
    out.set_item("won_amount", PyArray1::from_slice(py, &table.won_amount))?;
    count("open_deals", &table.open_deals)?;
    out.set_item("open_amount", PyArray1::from_slice(py, &table.open_amount))?;
    out.set_item("open_weighted", PyArray1::from_slice(py, &table.open_weighted))?;
    nullable("attainment", &table.attainment)?;
    nullable("gap", &table.gap)?;
    nullable("coverage", &table.coverage)?;
    nullable("weighted_coverage", &table.weighted_coverage)?;
    let lists: Vec<Vec<Bound<'py, PyString>>> =
        QUOTA_REASON_LISTS.iter().map(|l| l.iter().map(|r| PyString::intern(py, r.code())).collect()).collect();
    let reasons = PyList::empty(py);
    for &r in &table.reasons {
        reasons.append(PyList::new(py, &lists[usize::from(r)])?)?;
    }
    out.set_item("reasons", reasons)?;
    out.set_item("scale", table.scale)?;
    out.set_item("rate_scale", table.rate_scale)?;
    Ok(out)
}
