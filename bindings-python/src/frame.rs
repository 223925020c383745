//! `forecast_frame`'s native half: columns in (category codes, integer ids used as they are,
//! datetime64 buffers read here), the forecast, and the long group × month table out as
//! numpy arrays and lists built here, not one dict per line.

use std::borrow::Cow;

use crmkit::forecast::{
    DateColumn, DealColumns, ForecastPolicy, ForecastReport, GroupColumn, GroupTable, KeyColumn, MonthLine,
    ProbabilityColumn, StageCodes, Sums,
};
use crmkit::wire::parse_date;
use crmkit::Decimal;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt as _;

use crate::dates::ticks_per_day;
use crate::to_python::decimal_list;
use crate::{slice, to_py_err, to_python, Amount};

/// A key column as Python passes it: `("codes", int8, int16 or int32 codes, labels)` or
/// `("ids", int32 or int64 ids)`.
pub(crate) enum Key<'py> {
    Codes(PyReadonlyArray1<'py, i32>, Vec<String>),
    Codes8(PyReadonlyArray1<'py, i8>, Vec<String>),
    Codes16(PyReadonlyArray1<'py, i16>, Vec<String>),
    Ids(PyReadonlyArray1<'py, i64>),
    Ids32(PyReadonlyArray1<'py, i32>),
}

impl<'py> FromPyObject<'_, 'py> for Key<'py> {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        let kind: String = ob.get_item(0)?.extract()?;
        if kind == "ids" {
            let ids = ob.get_item(1)?;
            match ids.extract() {
                Ok(ids) => Ok(Self::Ids32(ids)),
                Err(_) => Ok(Self::Ids(ids.extract()?)),
            }
        } else {
            // A categorical's codes in their own width: no 32-bit copy of them.
            let (codes, labels) = (ob.get_item(1)?, ob.get_item(2)?.extract()?);
            if let Ok(codes) = codes.extract() {
                return Ok(Self::Codes16(codes, labels));
            }
            if let Ok(codes) = codes.extract() {
                return Ok(Self::Codes8(codes, labels));
            }
            Ok(Self::Codes(codes.extract()?, labels))
        }
    }
}

impl Key<'_> {
    /// Its data, readable with the GIL released.
    pub(crate) fn data(&self) -> KeyData<'_> {
        match self {
            Self::Codes(c, labels) => KeyData::Codes(slice(c), labels),
            Self::Codes8(c, labels) => KeyData::Codes8(slice(c), labels),
            Self::Codes16(c, labels) => KeyData::Codes16(slice(c), labels),
            Self::Ids(ids) => KeyData::Ids(slice(ids)),
            Self::Ids32(ids) => KeyData::Ids32(slice(ids)),
        }
    }
}

/// The stage codes as Python passes them: a categorical's int8 codes as they are, else int32.
pub(crate) enum Stage<'py> {
    I8(PyReadonlyArray1<'py, i8>),
    I32(PyReadonlyArray1<'py, i32>),
}

impl<'py> FromPyObject<'_, 'py> for Stage<'py> {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        match ob.extract() {
            Ok(codes) => Ok(Self::I8(codes)),
            Err(_) => Ok(Self::I32(ob.extract()?)),
        }
    }
}

/// The stage codes' data, readable with the GIL released.
enum StageData<'a> {
    I8(Cow<'a, [i8]>),
    I32(Cow<'a, [i32]>),
}

impl StageData<'_> {
    fn codes(&self) -> StageCodes<'_> {
        match self {
            Self::I8(codes) => StageCodes::I8(codes),
            Self::I32(codes) => StageCodes::I32(codes),
        }
    }
}

/// A key column's data, readable with the GIL released.
pub(crate) enum KeyData<'a> {
    Codes(Cow<'a, [i32]>, &'a [String]),
    Codes8(Cow<'a, [i8]>, &'a [String]),
    Codes16(Cow<'a, [i16]>, &'a [String]),
    Ids(Cow<'a, [i64]>),
    Ids32(Cow<'a, [i32]>),
}

impl KeyData<'_> {
    /// The column as the core reads it.
    pub(crate) fn column(&self) -> GroupColumn<'_> {
        match self {
            Self::Codes(codes, labels) => KeyColumn { codes, labels }.into(),
            Self::Codes8(codes, labels) => KeyColumn { codes, labels }.into(),
            Self::Codes16(codes, labels) => KeyColumn { codes, labels }.into(),
            Self::Ids(ids) => GroupColumn::Ids64(ids),
            Self::Ids32(ids) => GroupColumn::Ids32(ids),
        }
    }

    /// The width integer ids come in, `None` for codes.
    fn id_width(&self) -> Option<IdWidth> {
        match self {
            Self::Codes(..) | Self::Codes8(..) | Self::Codes16(..) => None,
            Self::Ids(_) => Some(IdWidth::I64),
            Self::Ids32(_) => Some(IdWidth::I32),
        }
    }
}

/// The width of an integer id column, which its column in the result keeps.
#[derive(Clone, Copy)]
enum IdWidth {
    I32,
    I64,
}

/// The policy, the report and its groups as a table.
type Computed = (ForecastPolicy, ForecastReport, GroupTable);

/// A date column: int64 values and their numpy datetime64 unit (`D`: days since 1970-01-01).
pub(crate) type DateArg<'py> = Option<(PyReadonlyArray1<'py, i64>, String)>;

/// A datetime64 column as the core reads it, in place: ticks of its unit.
pub(crate) fn date_column<'a>(values: &'a [i64], unit: &str, field: &str) -> crmkit::Result<DateColumn<'a>> {
    let per_day = ticks_per_day(unit).ok_or_else(|| crmkit::Error::InvalidValue {
        path: field.to_owned(),
        reason: format!("datetime64[{unit}] is not a unit of days or of a fraction of one"),
    })?;
    Ok(if per_day == 1 { DateColumn::Days(values) } else { DateColumn::Ticks { values, per_day } })
}

/// `forecast_frame_columns(...) -> dict`: the columns of `forecast_frame`'s result plus the
/// report's `totals`, `stages` and `months`, and `groups`: one dict per group with its key
/// values and its totals, each rounded once. The result's text columns (`month`, and the
/// `keys` read as codes) are `(labels, int32 codes)`: line `i`'s value is `labels[codes[i]]`
/// (`None` for a missing key). `stage_codes`: int8 (a categorical's own codes) or int32;
/// `keys`: per `group_by` entry, `("codes", int8, int16
/// or int32 codes, labels)` or `("ids", int32 or int64 ids)`; dates: `(int64 array,
/// datetime64 unit)` or `None`; `money_units`: money columns as int64 units of the policy's
/// `rounding.dp` places instead of `Decimal` objects; `probability` (float64, NaN for the
/// stage's own) and `category` (`(int32 codes, labels)`, -1 for the stage's own): the
/// per-deal inputs, `None` without them; `activity`: each deal's last activity, a date
/// column as the others; `month_buffers`: from that many lines on, the `month` column as
/// the Arrow `large_string` buffers `(int64 offsets, UTF-8 bytes)` at `month_buffers` instead
/// of `(labels, codes)` at `month`, for Python to wrap (`_frame._arrow_strings`) without a
/// second native call. Integer id keys come back in
/// their width (int32 ids as int32, else int64).
#[pyfunction]
#[pyo3(signature = (policy_json, stage_codes, stage_labels, amount, amount_scale, keys, as_of, threads, entered, close, snoozed, money_units, probability = None, category = None, activity = None, month_buffers = None))]
#[allow(clippy::too_many_arguments, clippy::needless_pass_by_value, clippy::too_many_lines)]
pub(crate) fn forecast_frame_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    stage_codes: Stage<'py>,
    stage_labels: Vec<String>,
    amount: Bound<'py, PyAny>,
    amount_scale: Option<u32>,
    keys: Vec<Key<'py>>,
    as_of: String,
    threads: usize,
    entered: DateArg<'py>,
    close: DateArg<'py>,
    snoozed: DateArg<'py>,
    money_units: bool,
    probability: Option<PyReadonlyArray1<'py, f64>>,
    category: Option<(PyReadonlyArray1<'py, i32>, Vec<String>)>,
    activity: DateArg<'py>,
    month_buffers: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let amount = Amount::extract(&amount)?;
    let amount_data = amount.data();
    let stage = match &stage_codes {
        Stage::I8(codes) => StageData::I8(slice(codes)),
        Stage::I32(codes) => StageData::I32(slice(codes)),
    };
    let probability = probability.as_ref().map(slice);
    let category = category.as_ref().map(|(codes, labels)| (slice(codes), labels));
    let dates: Vec<Option<(Cow<[i64]>, String)>> = [&entered, &close, &snoozed, &activity]
        .iter()
        .map(|d| d.as_ref().map(|(a, unit)| (slice(a), unit.clone())))
        .collect();
    let key_data: Vec<KeyData> = keys.iter().map(Key::data).collect();
    let computed = py.detach(|| -> crmkit::Result<Computed> {
        let policy: ForecastPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let as_of = parse_date(&as_of, "as_of")?;
        let mut decimals = Vec::new();
        let amount = amount_data.column(amount_scale, policy.rounding.dp, "amount", &mut decimals)?;
        let mut days: Vec<Option<DateColumn>> = Vec::with_capacity(4);
        for (d, field) in
            dates.iter().zip(["entered_stage_on", "expected_close_on", "snoozed_until", "last_activity_on"])
        {
            days.push(d.as_ref().map(|(values, unit)| date_column(values, unit, field)).transpose()?);
        }
        let columns = DealColumns {
            stage: stage.codes(),
            stage_labels: &stage_labels,
            amount,
            entered_stage_on: days[0],
            expected_close_on: days[1],
            snoozed_until: days[2],
            last_activity_on: days[3],
            keys: key_data.iter().map(KeyData::column).collect(),
            probability: probability.as_deref().map(ProbabilityColumn::Float),
            category: category.as_ref().map(|(codes, labels)| KeyColumn { codes, labels }),
        };
        let (report, table) = crmkit::forecast::forecast_columns_table(&policy, &columns, as_of, threads)?;
        Ok((policy, report, table))
    });
    let (policy, report, table) = computed.map_err(to_py_err)?;
    let id_keys: Vec<Option<IdWidth>> = key_data.iter().map(KeyData::id_width).collect();
    let group_by = &policy.group_by;
    // The lines: (group position or none, month offset, sums): the groups' month lines, or
    // without group_by the months'.
    let lines: Vec<(Option<usize>, u32, &Sums)> = if group_by.is_empty() {
        report.months.iter().map(|m| (None, m.offset, &m.sums)).collect()
    } else {
        table.lines.iter().map(|l| (Some(l.group as usize), l.offset, &l.sums)).collect()
    };
    let out = PyDict::new(py);
    // Text columns go back as each line's code into labels (one per group, one per month):
    // Python builds the column from them (`_frame._text_column`), no string per line here.
    let key_columns = PyList::empty(py);
    // Per key column, each group's value as the groups' dicts hold it: an id as an int, else
    // the text (or None).
    let mut group_values: Vec<Vec<Bound<'py, PyAny>>> = Vec::with_capacity(group_by.len());
    for k in 0..group_by.len() {
        let key_ids = table.ids.get(k).and_then(Option::as_ref);
        if let (Some(width), Some(key_ids)) = (id_keys.get(k).copied().flatten(), key_ids) {
            // Each group's id as the core gives it, then given to its lines (in the input's
            // width: int32 ids come back as int32, no cast in Python) and to its dict.
            let ids = table
                .groups
                .iter()
                .map(|g| key_ids.get(g.key).copied().flatten())
                .collect::<Option<Vec<i64>>>()
                .ok_or_else(|| pyo3::exceptions::PyValueError::new_err("a group of an id column has no id"))?;
            let per_line = lines.iter().map(|(g, ..)| g.map_or(0, |g| ids[g]));
            match width {
                IdWidth::I64 => key_columns.append(PyArray1::from_vec(py, per_line.collect()))?,
                IdWidth::I32 => {
                    let narrow = per_line
                        .map(i32::try_from)
                        .collect::<Result<Vec<i32>, _>>()
                        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
                    key_columns.append(PyArray1::from_vec(py, narrow))?;
                }
            }
            group_values.push(ids.iter().map(|id| id.into_bound_py_any(py)).collect::<PyResult<_>>()?);
        } else {
            let per_group: Vec<Option<&str>> =
                table.groups.iter().map(|g| table.keys[g.key].get(k).and_then(Option::as_deref)).collect();
            let codes: Vec<i32> = lines.iter().map(|(g, ..)| g.map_or(-1, |g| g as i32)).collect();
            group_values.push(per_group.iter().map(|v| v.into_bound_py_any(py)).collect::<PyResult<_>>()?);
            key_columns.append((per_group, PyArray1::from_vec(py, codes)))?;
        }
    }
    out.set_item("keys", key_columns)?;
    // A month's label is the report's month line of its offset: the labels in order of first
    // line, each line's code.
    let label = |offset: u32| {
        MonthLine::at(&report.months, offset).map(|m| &*m.month).ok_or_else(|| {
            to_py_err(crmkit::Error::InvalidValue {
                path: "month".into(),
                reason: format!("no month line at {offset}"),
            })
        })
    };
    let mut code_of = vec![-1i32; lines.iter().map(|&(_, offset, _)| offset as usize + 1).max().unwrap_or(0)];
    let mut month_labels: Vec<&str> = Vec::new();
    let mut month_codes: Vec<i32> = Vec::with_capacity(lines.len());
    for &(_, offset, _) in &lines {
        let code = &mut code_of[offset as usize];
        if *code < 0 {
            *code = month_labels.len() as i32;
            month_labels.push(label(offset)?);
        }
        month_codes.push(*code);
    }
    if month_buffers.is_some_and(|from| lines.len() >= from) {
        // The column's Arrow buffers, written here: no second call, no labels handed back.
        let (offsets, data) = arrow_text(month_codes.iter().map(|&c| month_labels[c as usize]), month_codes.len());
        out.set_item("month_buffers", (PyArray1::from_vec(py, offsets), PyArray1::from_vec(py, data)))?;
    } else {
        out.set_item("month", (month_labels, PyArray1::from_vec(py, month_codes)))?;
    }
    out.set_item("offset", PyArray1::from_vec(py, lines.iter().map(|&(_, offset, _)| i64::from(offset)).collect()))?;
    out.set_item("deals", PyArray1::from_vec(py, lines.iter().map(|(.., m)| m.deals as i64).collect()))?;
    let dp = policy.rounding.dp;
    let overflow = |name: &str| to_py_err(crmkit::Error::Overflow { path: name.to_owned() });
    if money_units {
        // Both money columns in one pass over the lines (a line's weighted amount is at most
        // its amount: the first to overflow is an amount).
        let (mut amounts, mut weighted) = (Vec::with_capacity(lines.len()), Vec::with_capacity(lines.len()));
        for (.., m) in &lines {
            amounts.push(units_at(m.amount, dp).ok_or_else(|| overflow("amount"))?);
            weighted.push(units_at(m.weighted, dp).ok_or_else(|| overflow("weighted"))?);
        }
        out.set_item("amount", PyArray1::from_vec(py, amounts))?;
        out.set_item("weighted", PyArray1::from_vec(py, weighted))?;
    } else {
        out.set_item("amount", decimal_list(py, lines.iter().map(|(.., m)| m.amount))?)?;
        out.set_item("weighted", decimal_list(py, lines.iter().map(|(.., m)| m.weighted))?)?;
    }
    // Each group's totals, rounded once from its exact sums (summing its rounded month lines
    // can be off by a cent per line).
    let money = |d: Decimal, name: &str| -> PyResult<Bound<'py, PyAny>> {
        if money_units {
            let units = units_at(d, dp).ok_or_else(|| overflow(name))?;
            Ok(units.into_pyobject(py)?.into_any())
        } else {
            Ok(d.into_pyobject(py)?.into_any())
        }
    };
    // One dict per group, its keys' Python strings made once for all 500 (interned).
    let key_names: Vec<Bound<'py, PyString>> = group_by.iter().map(|name| PyString::intern(py, name)).collect();
    let (deals, amount, weighted) =
        (pyo3::intern!(py, "deals"), pyo3::intern!(py, "amount"), pyo3::intern!(py, "weighted"));
    // The groups' totals: units, or Decimals made in one list.
    let totals = |pick: fn(&Sums) -> Decimal, name: &str| -> PyResult<Vec<Bound<'py, PyAny>>> {
        let sums = table.groups.iter().map(|g| pick(&g.sums));
        if money_units {
            sums.map(|d| money(d, name)).collect()
        } else {
            Ok(decimal_list(py, sums)?.into_iter().collect())
        }
    };
    let (amounts, weights) = (totals(|s| s.amount, "amount")?, totals(|s| s.weighted, "weighted")?);
    let mut groups = Vec::with_capacity(table.groups.len());
    for (g, line) in table.groups.iter().enumerate() {
        let d = PyDict::new(py);
        for (name, values) in key_names.iter().zip(&group_values) {
            d.set_item(name, &values[g])?;
        }
        d.set_item(deals, line.sums.deals)?;
        d.set_item(amount, &amounts[g])?;
        d.set_item(weighted, &weights[g])?;
        if let Some(beyond) = &line.beyond_horizon {
            let b = PyDict::new(py);
            b.set_item(deals, beyond.deals)?;
            b.set_item(amount, money(beyond.amount, "amount")?)?;
            b.set_item(weighted, money(beyond.weighted, "weighted")?)?;
            d.set_item(pyo3::intern!(py, "beyond_horizon"), b)?;
        }
        groups.push(d);
    }
    let groups = PyList::new(py, groups)?;
    out.set_item("groups", groups)?;
    out.set_item("totals", to_python(py, &report.totals)?)?;
    out.set_item("stages", to_python(py, &report.stages)?)?;
    out.set_item("months", to_python(py, &report.months)?)?;
    Ok(out)
}

/// `d` as integer units of 10^-`dp` (cents for 2), `None` beyond i64. The report's figures are
/// rounded to `dp` places already, so this is their mantissa, scaled up by a power of ten when
/// `d` has fewer places (`Decimal::rescale` does the same through the general path, ~4 times
/// slower per line).
#[inline]
fn units_at(d: Decimal, dp: u32) -> Option<i64> {
    let scale = d.scale();
    let units = match scale.cmp(&dp) {
        std::cmp::Ordering::Equal => d.mantissa(),
        std::cmp::Ordering::Less => d.mantissa().checked_mul(*POW10.get((dp - scale) as usize)?)?,
        std::cmp::Ordering::Greater => {
            let mut d = d;
            d.rescale(dp);
            d.mantissa()
        }
    };
    i64::try_from(units).ok()
}

/// 10^k for every k a decimal scale difference can be (0 to 28).
const POW10: [i128; 29] = {
    let mut p = [1i128; 29];
    let mut k = 1;
    while k < 29 {
        p[k] = p[k - 1] * 10;
        k += 1;
    }
    p
};

/// An Arrow string column's offsets and UTF-8 bytes.
type Buffers<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<u8>>);

/// `text_buffers(labels, codes) -> (offsets, data)`: the Arrow `large_string` buffers (int64
/// offsets, UTF-8 bytes) of the column `[labels[c] for c in codes]`, which Python wraps with
/// `pyarrow.LargeStringArray.from_buffers` (no Python string per line, no Arrow `take`).
/// A code outside `labels`, or naming a missing label (`None`), is a `ValueError`: the caller
/// builds such a column its own way.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn text_buffers<'py>(
    py: Python<'py>,
    labels: Vec<Option<String>>,
    codes: PyReadonlyArray1<'py, i32>,
) -> PyResult<Buffers<'py>> {
    let codes = slice(&codes);
    let text = |c: i32| usize::try_from(c).ok().and_then(|c| labels.get(c)).and_then(Option::as_deref);
    if let Some(c) = codes.iter().copied().find(|&c| text(c).is_none()) {
        return Err(pyo3::exceptions::PyValueError::new_err(format!("code {c} names no label of {}", labels.len())));
    }
    let (offsets, data) = arrow_text(codes.iter().map(|&c| text(c).unwrap_or_default()), codes.len());
    Ok((PyArray1::from_vec(py, offsets), PyArray1::from_vec(py, data)))
}

/// The Arrow `large_string` buffers (int64 offsets, UTF-8 bytes) of `len` texts.
fn arrow_text<'a>(texts: impl Iterator<Item = &'a str> + Clone, len: usize) -> (Vec<i64>, Vec<u8>) {
    let mut offsets = Vec::with_capacity(len + 1);
    offsets.push(0i64);
    let mut bytes = 0usize;
    for text in texts.clone() {
        bytes += text.len();
        offsets.push(bytes as i64);
    }
    let mut data = Vec::with_capacity(bytes);
    for text in texts {
        data.extend_from_slice(text.as_bytes());
    }
    (offsets, data)
}
