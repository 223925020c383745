//! Weighted funnel forecast (销售漏斗, 加权目标值, 阶段预测).
//!
//! A funnel is a list of open stages, each with its conversion rate to the next stage and
//! its expected duration, plus won and lost stages. A deal's probability of winning is the
//! product of the conversions from its stage to the end (the *chain*); its weighted amount is
//! amount × probability; the month it is expected to close in follows from the durations
//! still ahead of it under a declared [`Placement`] rule.
//!
//! The worked example of the Neocrm (销售易) documents, reproduced exactly:
//!
//! ```
//! use crmkit::forecast::{forecast, Deal, ForecastPolicy};
//! use crmkit::wire::from_json;
//!
//! let policy: ForecastPolicy = from_json(r#"{
//!   "stages": [
//!     {"name": "潜在客户", "conversion": "0.5", "duration": "2"},
//!     {"name": "项目投标", "conversion": "0.8", "duration": "1"},
//!     {"name": "商务洽谈", "conversion": "0.9", "duration": "1"},
//!     {"name": "签订合同", "kind": "won"}
//!   ],
//!   "duration_unit": "months",
//!   "placement": "half_elapsed"
//! }"#, "")?;
//! let deals: Vec<Deal> = from_json(r#"[
//!   {"id": "a", "stage": "潜在客户", "amount": "500000"},
//!   {"id": "b", "stage": "项目投标", "amount": "250000"},
//!   {"id": "c", "stage": "商务洽谈", "amount": "200000"}
//! ]"#, "deals")?;
//! let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
//! let report = forecast(&policy, &deals, as_of)?;
//! let months: Vec<_> = report.months.iter().map(|m| (m.month.as_str(), m.weighted.to_string())).collect();
//! assert_eq!(months, [("2026-12", "180000.00".to_string()), ("2027-01", "180000.00".into()), ("2027-02", "180000.00".into())]);
//! # Ok::<(), crmkit::Error>(())
//! ```

mod phasing;
mod policy;
mod report;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use phasing::Reason;
pub use policy::{DurationUnit, ForecastPolicy, OverduePolicy, Placement, Stage, StageKind, UndatedPolicy};
pub use report::{ChainStep, DealLine, ForecastReport, GroupLine, MonthLine, StageLine, Sums, Totals};

use crate::error::{Error, Result};
use phasing::Placer;
use policy::Funnel;
use report::Aggregator;

/// One deal of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Deal {
    /// Unique id.
    pub id: String,
    /// Name of its current stage.
    pub stage: String,
    /// Amount, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
    /// When it entered its current stage (needed by `actual` placement), ≤ `as_of`.
    #[serde(default, with = "crate::wire::date_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "IsoDate"))]
    pub entered_stage_on: Option<NaiveDate>,
    /// Owning salesperson.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub owner: Option<String>,
    /// Team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub team: Option<String>,
    /// Product line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub product: Option<String>,
    /// Any other field to group by (region, channel...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Record<string, string>"))]
    pub attributes: BTreeMap<String, String>,
}

impl Deal {
    fn field(&self, key: &str) -> Option<&str> {
        match key {
            "owner" => self.owner.as_deref(),
            "team" => self.team.as_deref(),
            "product" => self.product.as_deref(),
            "stage" => Some(&self.stage),
            "id" => Some(&self.id),
            other => self.attributes.get(other).map(String::as_str),
        }
    }
}

/// Forecasts a pipeline of deals: weighted pipeline by stage and by `group_by` key,
/// month buckets from `as_of`, and one explained line per deal.
///
/// # Errors
///
/// Policy errors as [`ForecastPolicy::validate`]; for a deal `i`: `unknown_stage` at
/// `deals[i].stage`, `negative_amount` at `deals[i].amount`, `duplicate_name` at
/// `deals[i].id`, `date_after_as_of` or (placement `actual`, policy `undated: error`)
/// `missing_value` at `deals[i].entered_stage_on`.
///
/// # Examples
///
/// See the [module documentation](self).
pub fn forecast(policy: &ForecastPolicy, deals: &[Deal], as_of: NaiveDate) -> Result<ForecastReport> {
    let funnel = Funnel::new(policy)?;
    let mut ids = HashMap::with_capacity(deals.len());
    let mut stage = Vec::with_capacity(deals.len());
    let mut amount = Vec::with_capacity(deals.len());
    let mut entered = Vec::with_capacity(deals.len());
    for (i, d) in deals.iter().enumerate() {
        if let Some(first) = ids.insert(d.id.as_str(), i) {
            return Err(Error::DuplicateName {
                path: format!("deals[{i}].id"),
                name: d.id.clone(),
                first: format!("deals[{first}].id"),
            });
        }
        let s = *funnel
            .index
            .get(d.stage.as_str())
            .ok_or_else(|| Error::UnknownStage { path: format!("deals[{i}].stage"), name: d.stage.clone() })?;
        stage.push(s as i32);
        amount.push(d.amount);
        entered.push(d.entered_stage_on.map_or(i64::MIN, days_since_epoch));
    }
    let mut interned: Vec<HashMap<&str, i32>> = vec![HashMap::new(); policy.group_by.len()];
    let mut labels: Vec<Vec<String>> = vec![Vec::new(); policy.group_by.len()];
    let mut codes: Vec<Vec<i32>> = vec![Vec::with_capacity(deals.len()); policy.group_by.len()];
    for d in deals {
        for (k, key) in policy.group_by.iter().enumerate() {
            let code = d.field(key).map_or(-1, |v| {
                *interned[k].entry(v).or_insert_with(|| {
                    labels[k].push(v.to_owned());
                    labels[k].len() as i32 - 1
                })
            });
            codes[k].push(code);
        }
    }
    let stage_labels: Vec<String> = policy.stages.iter().map(|s| s.name.clone()).collect();
    let columns = DealColumns {
        stage: &stage,
        stage_labels: &stage_labels,
        amount: AmountColumn::Decimal(&amount),
        entered_stage_on: Some(&entered),
        keys: codes.iter().zip(&labels).map(|(c, l)| KeyColumn { codes: c, labels: l }).collect(),
    };
    let deal_path = |i: usize, field: &str| format!("deals[{i}].{field}");
    let (mut report, placer) = run(&funnel, &columns, as_of, &deal_path)?;
    report.deals = deals
        .iter()
        .enumerate()
        .map(|(i, d)| deal_line(&funnel, &placer, d, stage[i] as usize, entered[i], i))
        .collect::<Result<_>>()?;
    Ok(report)
}

fn deal_line(funnel: &Funnel, placer: &Placer, d: &Deal, s: usize, entered: i64, i: usize) -> Result<DealLine> {
    let p = funnel.probability[s];
    let rounding = funnel.policy.rounding;
    let mut line = DealLine {
        id: d.id.clone(),
        stage: d.stage.clone(),
        amount: d.amount,
        probability: p,
        weighted: rounding.round(Decimal::ZERO),
        month: None,
        offset: None,
        in_stage: None,
        remaining: None,
        chain: report::chain(funnel, s),
        reasons: Vec::new(),
    };
    match funnel.kind(s) {
        StageKind::Won => {
            line.weighted = rounding.round(d.amount);
            line.reasons.push(Reason::ClosedWon);
        }
        StageKind::Lost => line.reasons.push(Reason::ClosedLost),
        StageKind::Open => {
            let elapsed = elapsed_days(placer.as_of, entered);
            let placed = placer.place(s, elapsed, &|| format!("deals[{i}].entered_stage_on"))?;
            line.weighted = rounding.round(crate::money::mul(d.amount, p, || format!("deals[{i}].amount"))?);
            line.month = placed.offset.map(|o| placer.month_label(o));
            line.offset = placed.offset;
            line.in_stage = placed.in_stage;
            line.remaining = placed.remaining;
            line.reasons = placed.reasons;
        }
    }
    Ok(line)
}

/// Deals as columns, for batches: what the Python DataFrame and JS typed-array entry points
/// pass. Row `i` is one deal.
#[derive(Debug, Clone)]
pub struct DealColumns<'a> {
    /// Stage of each deal as an index into `stage_labels` (pandas category codes).
    pub stage: &'a [i32],
    /// Stage names the codes refer to.
    pub stage_labels: &'a [String],
    /// Amounts.
    pub amount: AmountColumn<'a>,
    /// Date each deal entered its stage, as days since 1970-01-01; `i64::MIN` (numpy's NaT)
    /// for none. `None`: no such column.
    pub entered_stage_on: Option<&'a [i64]>,
    /// One column per `group_by` key of the policy, in the same order.
    pub keys: Vec<KeyColumn<'a>>,
}

/// An amount column.
#[derive(Debug, Clone, Copy)]
pub enum AmountColumn<'a> {
    /// Exact decimals.
    Decimal(&'a [Decimal]),
    /// Integers in units of 10^-scale (cents for scale 2).
    Units {
        /// The integers.
        units: &'a [i64],
        /// Decimal places they carry.
        scale: u32,
    },
}

/// A group-by column: codes into `labels`, -1 for none.
#[derive(Debug, Clone, Copy)]
pub struct KeyColumn<'a> {
    /// Per-row code.
    pub codes: &'a [i32],
    /// Values the codes refer to.
    pub labels: &'a [String],
}

/// Forecasts deals given as columns: the same report as [`forecast`] without deal lines,
/// computed in one pass with integer sums. Paths in errors name the column and row
/// (`amount[3]`).
///
/// # Errors
///
/// As [`forecast`], at `stage[i]`, `amount[i]`, `entered_stage_on[i]`; `invalid_value` at
/// `keys` when the key columns do not match the policy's `group_by`, or at a column whose
/// length differs from `stage`'s.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{forecast_columns, AmountColumn, DealColumns, ForecastPolicy};
///
/// let policy: ForecastPolicy = crmkit::wire::from_json(r#"{"stages": [
///     {"name": "open", "conversion": "0.25", "duration": "10"}, {"name": "won", "kind": "won"}],
///     "duration_unit": "days", "placement": "remaining_full"}"#, "")?;
/// let labels = ["open".to_string(), "won".to_string()];
/// let columns = DealColumns {
///     stage: &[0, 0, 1],
///     stage_labels: &labels,
///     amount: AmountColumn::Units { units: &[10_000, 30_000, 5_000], scale: 2 },
///     entered_stage_on: None,
///     keys: vec![],
/// };
/// let report = forecast_columns(&policy, &columns, chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap())?;
/// assert_eq!(report.totals.open.weighted.to_string(), "100.00");
/// assert_eq!(report.totals.won.amount.to_string(), "50.00");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn forecast_columns(policy: &ForecastPolicy, columns: &DealColumns, as_of: NaiveDate) -> Result<ForecastReport> {
    let funnel = Funnel::new(policy)?;
    Ok(run(&funnel, columns, as_of, &|i, field| format!("{field}[{i}]"))?.0)
}

/// The one aggregation behind both entry points.
fn run<'f, 'p>(
    funnel: &'f Funnel<'p>,
    cols: &DealColumns,
    as_of: NaiveDate,
    row_path: &dyn Fn(usize, &str) -> String,
) -> Result<(ForecastReport, Placer<'f, 'p>)> {
    let policy = funnel.policy;
    let n = cols.stage.len();
    let amount_len = match cols.amount {
        AmountColumn::Decimal(a) => a.len(),
        AmountColumn::Units { units, .. } => units.len(),
    };
    let same_len = |len: usize, name: &str| {
        if len == n {
            Ok(())
        } else {
            Err(Error::InvalidValue { path: name.to_owned(), reason: format!("column has {len} rows, stage has {n}") })
        }
    };
    same_len(amount_len, "amount")?;
    if let Some(e) = cols.entered_stage_on {
        same_len(e.len(), "entered_stage_on")?;
    }
    if cols.keys.len() != policy.group_by.len() {
        return Err(Error::InvalidValue {
            path: "keys".into(),
            reason: format!("{} key columns for {} group_by fields", cols.keys.len(), policy.group_by.len()),
        });
    }
    for (k, key) in cols.keys.iter().enumerate() {
        same_len(key.codes.len(), &format!("keys[{k}]"))?;
    }
    // label code -> policy stage
    let stage_map: Vec<Option<usize>> =
        cols.stage_labels.iter().map(|l| funnel.index.get(l.as_str()).copied()).collect();
    let (groups, keys) = group_ids(cols, row_path)?;
    let scale = match cols.amount {
        AmountColumn::Decimal(a) => a.iter().map(Decimal::scale).max().unwrap_or(0),
        AmountColumn::Units { scale, .. } => {
            if scale > 28 {
                return Err(Error::out_of_range("amount_scale", scale, 0, 28));
            }
            scale
        }
    };
    let placer = Placer::new(funnel, as_of);
    let mut agg = Aggregator::new(funnel, placer.max_offset()?, keys.len().max(1), scale);
    let mut slots = SlotCache::new(funnel, &placer, agg.unscheduled_slot());
    for i in 0..n {
        let code = cols.stage[i];
        let s = usize::try_from(code).ok().and_then(|c| stage_map.get(c).copied().flatten()).ok_or_else(|| {
            Error::UnknownStage {
                path: row_path(i, "stage"),
                name: usize::try_from(code)
                    .ok()
                    .and_then(|c| cols.stage_labels.get(c))
                    .cloned()
                    .unwrap_or_else(|| format!("code {code}")),
            }
        })?;
        let units = match cols.amount {
            AmountColumn::Decimal(a) => {
                let d = a[i];
                if d.is_sign_negative() && !d.is_zero() {
                    return Err(Error::NegativeAmount { path: row_path(i, "amount"), value: d.to_string() });
                }
                d.mantissa().checked_mul(POW10[(scale - d.scale()) as usize])
            }
            AmountColumn::Units { units, .. } => {
                if units[i] < 0 {
                    return Err(Error::NegativeAmount { path: row_path(i, "amount"), value: units[i].to_string() });
                }
                Some(i128::from(units[i]))
            }
        }
        .ok_or_else(|| Error::overflow(row_path(i, "amount")))?;
        let entered = cols.entered_stage_on.map_or(i64::MIN, |e| e[i]);
        let elapsed = elapsed_days(as_of, entered);
        if elapsed.is_some_and(|e| e < 0) {
            return Err(Error::DateAfterAsOf {
                path: row_path(i, "entered_stage_on"),
                date: epoch_day(entered).map_or_else(|| entered.to_string(), |d| d.to_string()),
                as_of: as_of.to_string(),
            });
        }
        let added = if funnel.kind(s) == StageKind::Open {
            let slot = slots.slot(s, elapsed, &|| row_path(i, "entered_stage_on"))?;
            agg.add_open(groups.get(i).map_or(0, |&g| g as usize), s, slot, units)
        } else {
            agg.add_closed(s, units)
        };
        added.ok_or_else(|| Error::overflow("totals"))?;
    }
    let report = agg.finish(funnel, &placer, &keys, policy.rounding)?;
    Ok((report, placer))
}

/// Month slot per (stage, days in stage), memoised: most deals share a handful of dates.
struct SlotCache<'a, 'f, 'p> {
    placer: &'a Placer<'f, 'p>,
    unscheduled: usize,
    by_stage: Vec<Option<usize>>,
    by_day: Vec<Vec<Option<usize>>>,
    undated: Vec<Option<usize>>,
}

const CACHED_DAYS: usize = 4_000;

impl<'a, 'f, 'p> SlotCache<'a, 'f, 'p> {
    fn new(funnel: &Funnel, placer: &'a Placer<'f, 'p>, unscheduled: usize) -> Self {
        let n = funnel.policy.stages.len();
        Self { placer, unscheduled, by_stage: vec![None; n], by_day: vec![Vec::new(); n], undated: vec![None; n] }
    }

    fn slot(&mut self, stage: usize, elapsed: Option<i64>, path: &dyn Fn() -> String) -> Result<usize> {
        let dated = self.placer.funnel.policy.placement == Placement::Actual;
        let cached = match (dated, elapsed) {
            (false, _) => &mut self.by_stage[stage],
            (true, None) => &mut self.undated[stage],
            (true, Some(days)) => {
                let day = usize::try_from(days).unwrap_or(usize::MAX);
                if day >= CACHED_DAYS {
                    let placed = self.placer.place(stage, elapsed, path)?;
                    return Ok(placed.offset.map_or(self.unscheduled, |o| o as usize));
                }
                let row = &mut self.by_day[stage];
                if row.is_empty() {
                    row.resize(CACHED_DAYS, None);
                }
                &mut row[day]
            }
        };
        if let Some(slot) = *cached {
            return Ok(slot);
        }
        let placed = self.placer.place(stage, elapsed, path)?;
        let slot = placed.offset.map_or(self.unscheduled, |o| o as usize);
        *cached = Some(slot);
        Ok(slot)
    }
}

/// Per group, the value of each `group_by` key.
type GroupKeys = Vec<Vec<Option<String>>>;

/// Dense group id per row, and each group's key values.
fn group_ids(cols: &DealColumns, row_path: &dyn Fn(usize, &str) -> String) -> Result<(Vec<u32>, GroupKeys)> {
    if cols.keys.is_empty() {
        return Ok((Vec::new(), vec![Vec::new()]));
    }
    let mut ids = Vec::with_capacity(cols.stage.len());
    let mut seen: HashMap<Vec<i32>, u32> = HashMap::new();
    let mut keys = Vec::new();
    let mut combo = vec![0i32; cols.keys.len()];
    // Fast path: one key column, dense codes.
    let single = (cols.keys.len() == 1).then(|| vec![u32::MAX; cols.keys[0].labels.len() + 1]);
    let mut single = single;
    for i in 0..cols.stage.len() {
        for (k, key) in cols.keys.iter().enumerate() {
            let c = key.codes[i];
            if c < -1 || c >= key.labels.len() as i32 {
                return Err(Error::InvalidValue {
                    path: row_path(i, &format!("keys[{k}]")),
                    reason: format!("code {c} is not an index into {} labels", key.labels.len()),
                });
            }
            combo[k] = c;
        }
        let new_key = |keys: &mut GroupKeys| {
            keys.push(
                cols.keys
                    .iter()
                    .zip(&combo)
                    .map(|(key, &c)| usize::try_from(c).ok().map(|c| key.labels[c].clone()))
                    .collect(),
            );
            keys.len() as u32 - 1
        };
        let id = if let Some(table) = single.as_mut() {
            let slot = &mut table[(combo[0] + 1) as usize];
            if *slot == u32::MAX {
                *slot = new_key(&mut keys);
            }
            *slot
        } else if let Some(&id) = seen.get(&combo) {
            id
        } else {
            let id = new_key(&mut keys);
            seen.insert(combo.clone(), id);
            id
        };
        ids.push(id);
    }
    if keys.is_empty() {
        keys.push(Vec::new());
    }
    Ok((ids, keys))
}

const POW10: [i128; 29] = {
    let mut t = [1i128; 29];
    let mut i = 1;
    while i < 29 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

fn days_since_epoch(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - i64::from(EPOCH_CE)
}

fn epoch_day(days: i64) -> Option<NaiveDate> {
    i32::try_from(days + i64::from(EPOCH_CE)).ok().and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// `num_days_from_ce` of 1970-01-01.
const EPOCH_CE: i32 = 719_163;

fn elapsed_days(as_of: NaiveDate, entered: i64) -> Option<i64> {
    (entered != i64::MIN).then(|| days_since_epoch(as_of).saturating_sub(entered))
}

use chrono::Datelike as _;
