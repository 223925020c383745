//! `campaign_roi_columns`: campaigns as numpy arrays (written by `crmkit.campaign_roi_frame`),
//! the GIL released, the report of `campaign_roi`, or with `money_units` its campaign lines as
//! numpy arrays built from the core's `RoiTable` (no dict per campaign).

use std::borrow::Cow;
use std::collections::HashMap;

use crmkit::forecast::{AmountColumn, KeyColumn};
use crmkit::roi::{CampaignColumns, RoiPolicy, RoiTable, SparseAmounts, ROI_NEVER_NULL, ROI_REASONS};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::{slice, to_py_err, to_python, Amount, AmountData};

/// The campaign columns as numpy hands them over.
struct Campaigns<'py> {
    id: PyReadonlyArray1<'py, i32>,
    id_labels: Vec<String>,
    channel: PyReadonlyArray1<'py, i32>,
    channel_labels: Vec<String>,
    cost: Amount<'py>,
    won_revenue: Option<Amount<'py>>,
    budget: Option<Amount<'py>>,
    budget_missing: Option<PyReadonlyArray1<'py, bool>>,
    expected_revenue: Option<Amount<'py>>,
    expected_revenue_missing: Option<PyReadonlyArray1<'py, bool>>,
    amount_scale: Option<u32>,
    /// Per amount field, a scale of its own (Arrow's decimal128 columns each have theirs),
    /// else `amount_scale`.
    scales: Option<HashMap<String, u32>>,
    /// `start_on`, `end_on` (int64 days, `i64::MIN` none), then the counts `leads`,
    /// `customers`, `opportunities`, `won`, `new_customers` (int64, `i64::MIN` none).
    days_and_counts: [Option<PyReadonlyArray1<'py, i64>>; 7],
}

/// The optional int64 columns, in [`Campaigns::days_and_counts`]' order.
const DAYS_AND_COUNTS: [&str; 7] =
    ["start_on", "end_on", "leads", "customers", "opportunities", "won", "new_customers"];

impl<'py> Campaigns<'py> {
    /// The columns from the mapping `crmkit._roi_campaigns` (pandas) or
    /// `crmkit._arrow_frames` (Arrow) writes: `id` and `channel` (int32 codes, -1 none) with
    /// `id_labels` / `channel_labels`; `cost`, and optionally `won_revenue`, `budget`,
    /// `expected_revenue` as `forecast_columns`' amount with `amount_scale`, or the field's
    /// own scale in `scales` (`budget_missing` / `expected_revenue_missing`: bool per row, or
    /// None); the dates and counts of [`DAYS_AND_COUNTS`] as int64 or None.
    fn read(columns: &Bound<'py, PyDict>) -> PyResult<Self> {
        let item = crate::columns::items(columns, "campaign");
        let amount = |name: &str| -> PyResult<Option<Amount<'py>>> {
            let a = item(name)?;
            if a.is_none() {
                return Ok(None);
            }
            Amount::extract(&a).map(Some)
        };
        let mut days_and_counts = [None, None, None, None, None, None, None];
        for (column, name) in days_and_counts.iter_mut().zip(DAYS_AND_COUNTS) {
            *column = item(name)?.extract()?;
        }
        Ok(Self {
            id: item("id")?.extract()?,
            id_labels: item("id_labels")?.extract()?,
            channel: item("channel")?.extract()?,
            channel_labels: item("channel_labels")?.extract()?,
            cost: Amount::extract(&item("cost")?)?,
            won_revenue: amount("won_revenue")?,
            budget: amount("budget")?,
            budget_missing: item("budget_missing")?.extract()?,
            expected_revenue: amount("expected_revenue")?,
            expected_revenue_missing: item("expected_revenue_missing")?.extract()?,
            amount_scale: item("amount_scale")?.extract()?,
            scales: item("scales")?.extract()?,
            days_and_counts,
        })
    }
}

/// `campaign_roi_columns(policy_json, columns, money_units=False) -> dict`:
/// [`crmkit::roi::campaign_roi_columns`] over the campaign columns (a mapping, see
/// `Campaigns::read`): the report `campaign_roi` gives on the same campaigns. With
/// `money_units`: `{"table": {name: column}, "report": dict}`, the campaign lines as arrays
/// (see [`table_columns`]) and the report without its `campaigns`.
#[pyfunction]
#[pyo3(signature = (policy_json, columns, money_units = false))]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn campaign_roi_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    columns: Bound<'py, PyDict>,
    money_units: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (c, policy): (_, RoiPolicy) = crate::roi::columns_args(&columns, Campaigns::read, &policy_json)?;
    let (id, channel) = (slice(&c.id), slice(&c.channel));
    let cost = c.cost.data();
    let won_revenue = c.won_revenue.as_ref().map(Amount::data);
    let budget = c.budget.as_ref().map(Amount::data);
    let expected = c.expected_revenue.as_ref().map(Amount::data);
    let budget_missing = c.budget_missing.as_ref().map(slice);
    let expected_missing = c.expected_revenue_missing.as_ref().map(slice);
    let ints: Vec<Option<Cow<[i64]>>> = c.days_and_counts.iter().map(|a| a.as_ref().map(slice)).collect();
    let dp = policy.rounding.dp;
    let scale = |field: &str| c.scales.as_ref().and_then(|s| s.get(field).copied()).or(c.amount_scale);
    let (mut report, table) = py
        .detach(|| {
            let (mut d_cost, mut d_won, mut d_budget, mut d_expected) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let int = |k: usize| ints[k].as_deref();
            let columns = CampaignColumns {
                id: KeyColumn { codes: &id, labels: &c.id_labels },
                channel: KeyColumn { codes: &channel, labels: &c.channel_labels },
                cost: cost.column(scale("cost"), dp, "cost", &mut d_cost)?,
                won_revenue: optional(won_revenue.as_ref(), scale("won_revenue"), dp, "won_revenue", &mut d_won)?,
                budget: sparse(
                    optional(budget.as_ref(), scale("budget"), dp, "budget", &mut d_budget)?,
                    budget_missing.as_deref(),
                ),
                expected_revenue: sparse(
                    optional(expected.as_ref(), scale("expected_revenue"), dp, "expected_revenue", &mut d_expected)?,
                    expected_missing.as_deref(),
                ),
                start_on: int(0),
                end_on: int(1),
                leads: int(2),
                customers: int(3),
                opportunities: int(4),
                won: int(5),
                new_customers: int(6),
            };
            let report = crmkit::roi::campaign_roi_columns(&policy, &columns)?;
            let table = money_units.then(|| RoiTable::new(&report, &policy)).transpose()?;
            Ok((report, table))
        })
        .map_err(to_py_err)?;
    let Some(table) = table else { return to_python(py, &report) };
    report.campaigns.clear();
    let out = PyDict::new(py);
    out.set_item("table", table_columns(py, &table)?)?;
    out.set_item("report", to_python(py, &report)?)?;
    Ok(out.into_any())
}

/// The campaign lines of `t` as arrays, for `campaign_roi_frame(money="units")`: `channel`,
/// `group`, `period` (int32 indexes, -1 none) with `channel_labels`, `group_labels`,
/// `period_labels`; the counts (int64) and the money and percentage figures (int64 units of
/// `scale` / `percent_scale` places, a bool mask `{name}_missing` beside each one the report
/// can leave `None`) by their report names (`leads_count`, `won_from_top_pct`... for the
/// funnel stages, listed in `stages`); `reasons`, a list of codes per line; `cost_periods`, the
/// lines' pro rata pieces (`offsets`, `period` indexes into `period_labels`, `days`, `scale`,
/// `cost`, `budget` units with `budget_missing`).
fn table_columns<'py>(py: Python<'py>, t: &RoiTable) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    for (name, labels) in [("channel", &t.channel), ("group", &t.group), ("period", &t.period)] {
        out.set_item(name, PyArray1::from_slice(py, &labels.index))?;
        out.set_item(format!("{name}_labels"), PyList::new(py, &labels.labels)?)?;
    }
    for (name, counts) in &t.counts {
        let values: Result<Vec<i64>, _> = counts.iter().map(|&c| i64::try_from(c)).collect();
        let values = values.map_err(|_| to_py_err(crmkit::Error::Overflow { path: format!("campaigns.{name}") }))?;
        out.set_item(name, PyArray1::from_vec(py, values))?;
    }
    let figures =
        t.money.iter().map(|(name, c)| (*name, c)).chain(t.percent.iter().map(|(name, c)| (name.as_str(), c)));
    for (name, column) in figures {
        out.set_item(name, PyArray1::from_slice(py, &column.units))?;
        if !ROI_NEVER_NULL.contains(&name) {
            out.set_item(format!("{name}_missing"), PyArray1::from_slice(py, &column.missing))?;
        }
    }
    let stages: Vec<&str> = t.counts.iter().skip(6).filter_map(|(name, _)| name.strip_suffix("_count")).collect();
    out.set_item("stages", PyList::new(py, stages)?)?;
    let codes: Vec<Bound<'py, PyString>> = ROI_REASONS.iter().map(|r| PyString::intern(py, r.code())).collect();
    let reasons = PyList::empty(py);
    for &bits in &t.reasons {
        let line = codes.iter().enumerate().filter(|(k, _)| bits >> k & 1 == 1).map(|(_, code)| code);
        reasons.append(PyList::new(py, line)?)?;
    }
    out.set_item("reasons", reasons)?;
    out.set_item("scale", t.scale)?;
    out.set_item("percent_scale", t.percent_scale)?;
    let c = &t.cost_periods;
    let pieces = PyDict::new(py);
    pieces.set_item("offsets", PyArray1::from_slice(py, &c.offsets))?;
    pieces.set_item("period", PyArray1::from_slice(py, &c.period))?;
    pieces.set_item("days", PyArray1::from_slice(py, &c.days))?;
    pieces.set_item("scale", c.scale)?;
    pieces.set_item("cost", PyArray1::from_slice(py, &c.cost.units))?;
    pieces.set_item("budget", PyArray1::from_slice(py, &c.budget.units))?;
    pieces.set_item("budget_missing", PyArray1::from_slice(py, &c.budget.missing))?;
    out.set_item("cost_periods", pieces)?;
    Ok(out)
}

/// An optional amount column as the core's.
fn optional<'a>(
    data: Option<&'a AmountData<'a>>,
    scale: Option<u32>,
    dp: u32,
    name: &str,
    decimals: &'a mut Vec<crmkit::Decimal>,
) -> crmkit::Result<Option<AmountColumn<'a>>> {
    data.map(|a| a.column(scale, dp, name, decimals)).transpose()
}

/// An optional amount column with its empty rows.
fn sparse<'a>(amounts: Option<AmountColumn<'a>>, missing: Option<&'a [bool]>) -> Option<SparseAmounts<'a>> {
    amounts.map(|amounts| SparseAmounts { amounts, missing })
}
