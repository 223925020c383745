//! The `forecast_columns` and `quota_columns` vectors: deals laid out as columns, read in the
//! order every runner reads them and refused alike (the JS runner, `dealColumns` in
//! `bindings-wasm/tests/shared/vectors.mjs`, mirrors this line for line for the parity test).
//!
//! A case's `input`: `stage` (names, coded in order of first appearance; null: -1), `amount`
//! (decimal strings, as integer units at the largest scale written), the optional date
//! columns `entered_stage_on`, `expected_close_on`, `snoozed_until`, `last_activity_on`
//! (`YYYY-MM-DD` or null), `keys` (one column of names per `config.policy.group_by` field),
//! `probability` (numbers, null for the stage's own), `category` (names, null for the
//! stage's own); `quota_columns` adds `quotas` and `won` as `quota_attainment` takes them.

use crmkit::forecast::{AmountColumn, DateColumn, DealColumns, KeyColumn, ProbabilityColumn, StageCodes};
use crmkit::{Error, ParseKind};
use serde_json::Value;

use crate::{day_column, first_seen_codes, member};

/// The columns, owned.
struct Owned {
    stage: (Vec<i32>, Vec<String>),
    units: Vec<i64>,
    scale: u32,
    dates: [Option<Vec<i64>>; 4],
    keys: Vec<(Vec<i32>, Vec<String>)>,
    probability: Option<Vec<f64>>,
    category: Option<(Vec<i32>, Vec<String>)>,
}

impl Owned {
    fn columns(&self) -> DealColumns<'_> {
        DealColumns {
            stage: StageCodes::I32(&self.stage.0),
            stage_labels: &self.stage.1,
            amount: AmountColumn::Units { units: &self.units, scale: self.scale },
            entered_stage_on: self.dates[0].as_deref().map(DateColumn::Days),
            expected_close_on: self.dates[1].as_deref().map(DateColumn::Days),
            snoozed_until: self.dates[2].as_deref().map(DateColumn::Days),
            last_activity_on: self.dates[3].as_deref().map(DateColumn::Days),
            keys: self.keys.iter().map(|(codes, labels)| KeyColumn { codes, labels }.into()).collect(),
            probability: self.probability.as_deref().map(ProbabilityColumn::Float),
            category: self.category.as_ref().map(|(codes, labels)| KeyColumn { codes, labels }),
        }
    }
}

fn refused(kind: ParseKind, path: String) -> Error {
    Error::Parse { kind, path, message: "refused by the vector runner".into() }
}

/// An optional member: absent and null are none.
fn optional<'a>(input: &'a Value, name: &str) -> Option<&'a Value> {
    input.get(name).filter(|v| !v.is_null())
}

/// Names (null: none) coded in order of first appearance.
fn names(value: Option<&Value>, path: &str) -> crmkit::Result<(Vec<i32>, Vec<String>)> {
    let text = value.map_or_else(|| "null".to_owned(), Value::to_string);
    let names: Vec<Option<String>> = crmkit::wire::from_json(&text, path)?;
    Ok(first_seen_codes(names.iter().map(Option::as_deref), Vec::new()))
}

/// Decimal strings as integer units at the largest scale written: `invalid_type` for a cell
/// that is not a string, `invalid_decimal` for one that is not `-?digits(.digits)?`,
/// `overflow` for units beyond 64 bits.
fn amounts(value: Option<&Value>) -> crmkit::Result<(Vec<i64>, u32)> {
    let text = value.map_or_else(|| "null".to_owned(), Value::to_string);
    let texts: Vec<Option<String>> = crmkit::wire::from_json(&text, "amount")?;
    let mut parts = Vec::with_capacity(texts.len());
    for (i, t) in texts.iter().enumerate() {
        let Some(t) = t else { return Err(refused(ParseKind::Type, format!("amount[{i}]"))) };
        let (sign, digits) = t.strip_prefix('-').map_or((1, t.as_str()), |d| (-1, d));
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !plain(whole) || (digits.contains('.') && !plain(frac)) {
            return Err(refused(ParseKind::Decimal, format!("amount[{i}]")));
        }
        parts.push((sign, format!("{whole}{frac}"), frac.len()));
    }
    let scale = parts.iter().map(|p| p.2).max().unwrap_or(0);
    let units = parts
        .iter()
        .enumerate()
        .map(|(i, (sign, digits, places))| {
            let overflow = || Error::Overflow { path: format!("amount[{i}]") };
            let pow = u32::try_from(scale - places).ok().and_then(|e| 10i128.checked_pow(e)).ok_or_else(overflow)?;
            let value = digits.parse::<i128>().ok().and_then(|v| v.checked_mul(pow)).ok_or_else(overflow)?;
            i64::try_from(sign * value).map_err(|_| overflow())
        })
        .collect::<crmkit::Result<_>>()?;
    Ok((units, u32::try_from(scale).unwrap_or(u32::MAX)))
}

/// The columns of a case's `input`, keys in the order of `config.policy.group_by`.
fn read(config: &Value, input: &Value) -> crmkit::Result<Owned> {
    let stage = names(input.get("stage"), "stage")?;
    let (units, scale) = amounts(input.get("amount"))?;
    let mut dates = [None, None, None, None];
    for (slot, name) in
        dates.iter_mut().zip(["entered_stage_on", "expected_close_on", "snoozed_until", "last_activity_on"])
    {
        if let Some(v) = optional(input, name) {
            *slot = Some(day_column(Some(v), name)?);
        }
    }
    let group_by: Vec<&str> = config
        .get("policy")
        .and_then(|p| p.get("group_by"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let keys = group_by
        .iter()
        .map(|&name| match input.get("keys").and_then(|k| k.get(name)) {
            None => Err(refused(ParseKind::MissingField, name.to_owned())),
            Some(v) => names(Some(v), name),
        })
        .collect::<crmkit::Result<_>>()?;
    let probability = optional(input, "probability")
        .map(|v| {
            let cells = v.as_array().ok_or_else(|| refused(ParseKind::Type, "probability".into()))?;
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Value::Null => Ok(f64::NAN),
                    Value::Number(n) => n.as_f64().ok_or_else(|| refused(ParseKind::Type, format!("probability[{i}]"))),
                    _ => Err(refused(ParseKind::Type, format!("probability[{i}]"))),
                })
                .collect::<crmkit::Result<Vec<f64>>>()
        })
        .transpose()?;
    let category = optional(input, "category").map(|v| names(Some(v), "category")).transpose()?;
    Ok(Owned { stage, units, scale, dates, keys, probability, category })
}

/// `forecast_columns(config.policy, columns, as_of)`.
pub(crate) fn forecast(config: &Value, input: &Value, as_of: &str) -> crmkit::Result<serde_json::Result<Value>> {
    let owned = read(config, input)?;
    let policy = crmkit::wire::from_json_arg(&member(config, "policy"), "policy")?;
    let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
    Ok(serde_json::to_value(crmkit::forecast::forecast_columns(&policy, &owned.columns(), as_of)?))
}

/// `forecast_quota_columns(config.policy, config.quota, columns, {quotas, won}, as_of)`: the
/// quota report.
pub(crate) fn quota(config: &Value, input: &Value, as_of: &str) -> crmkit::Result<serde_json::Result<Value>> {
    let owned = read(config, input)?;
    let policy = crmkit::wire::from_json_arg(&member(config, "policy"), "policy")?;
    let quota = crmkit::wire::from_json_arg(&member(config, "quota"), "quota")?;
    let mut data = serde_json::Map::new();
    for name in ["quotas", "won"] {
        if let Some(v) = input.get(name) {
            data.insert(name.to_owned(), v.clone());
        }
    }
    let data = crmkit::wire::from_json_arg(&Value::Object(data).to_string(), "data")?;
    let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
    let (_, report) = crmkit::forecast::forecast_quota_columns(&policy, &quota, &owned.columns(), &data, as_of)?;
    Ok(serde_json::to_value(report))
}
