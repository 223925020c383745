//! The deal columns as the columnar forecast functions receive them from Python (category
//! codes, int64 days), shared by `forecast_columns` and `quota_frame`'s native half,
//! `quota_columns`: the quotas and the won deals given apart as JSON text, and
//! [`crmkit::forecast::forecast_quota_columns`]' quota report back.

use std::borrow::Cow;

use crmkit::forecast::{DateColumn, DealColumns, ForecastPolicy, KeyColumn, ProbabilityColumn, QuotaData, QuotaPolicy};
use crmkit::wire::parse_date;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use crate::{run, slice, Amount, AmountData};

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
            stage: &self.stage,
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
/// amount_scale, keys, as_of, ...) -> dict`: the quota report of the deal columns (arguments
/// as `forecast_columns` takes them; `keys` are the policy's `group_by` columns) and of
/// `data_json`'s `quotas` and `won`.
#[pyfunction]
#[pyo3(signature = (policy_json, quota_json, data_json, stage_codes, stage_labels, amount, amount_scale, keys, as_of, entered_days = None, close_days = None, snoozed_days = None, probability = None, category = None, activity_days = None))]
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
    as_of: String,
    entered_days: Option<PyReadonlyArray1<'py, i64>>,
    close_days: Option<PyReadonlyArray1<'py, i64>>,
    snoozed_days: Option<PyReadonlyArray1<'py, i64>>,
    probability: Option<PyReadonlyArray1<'py, f64>>,
    category: Option<Coded<'py>>,
    activity_days: Option<PyReadonlyArray1<'py, i64>>,
) -> PyResult<Bound<'py, PyAny>> {
    let amount = Amount::extract(&amount)?;
    let data = DealData::new(
        (&stage_codes, &stage_labels),
        (&amount, amount_scale),
        [&entered_days, &close_days, &snoozed_days, &activity_days],
        &keys,
        probability.as_ref(),
        category.as_ref(),
    );
    run(py, || {
        let policy: ForecastPolicy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let quota: QuotaPolicy = crmkit::wire::from_json_arg(&quota_json, "quota")?;
        let quotas: QuotaData = crmkit::wire::from_json_arg(&data_json, "data")?;
        let as_of = parse_date(&as_of, "as_of")?;
        data.with(&policy, |columns| {
            Ok(crmkit::forecast::forecast_quota_columns(&policy, &quota, columns, &quotas, as_of)?.1)
        })
    })
}
