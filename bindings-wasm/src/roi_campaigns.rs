//! `campaignRoiColumns`: campaigns as typed arrays, the report of `campaignRoi`. Money is exact
//! decimal strings or integer units (`*Units`, a `BigInt64Array`, at `amountScale`); dates are
//! days since 1970-01-01 in `Int32Array`s (`NO_DATE`, -2147483648, for none); counts are safe
//! integers in a `Float64Array` (NaN: none). Paths in errors use the core's column names:
//! `id[i]`, `channel[i]`, `cost[i]`, `budget[i]`, `start_on[i]`, `leads[i]`. The report comes as
//! an `RoiReport`, or with `{ output: "columns" }` as an `RoiTable` (roi_table.rs).

use crmkit::forecast::{AmountColumn, KeyColumn};
use crmkit::roi::{CampaignColumns, RoiPolicy, SparseAmounts};
use crmkit::Error;
use js_sys::{Array, Float64Array};
use wasm_bindgen::prelude::*;

use crate::column_buffer::{Column, Pinned};
use crate::columns::{
    get, int32, optional, safe_integer, scale as read_scale, strings, type_error, units as read_units, NO_DATE,
};
use crate::convert::{from_js_arg, to_js, to_js_error};
use crate::forecast_table::Output;
use crate::roi_table;

/// A money column: decimal strings (null: none, in the sparse columns), or integer units.
struct Money {
    decimals: Vec<crmkit::prelude::Decimal>,
    units: Option<Column<i64>>,
    missing: Vec<bool>,
    scale: u32,
}

impl Money {
    /// The column `name` (decimal strings, null where `sparse` allows none) or `units`
    /// (pinned: see [`Pinned`]), the property `units_name`; `None` when neither is given.
    fn read(
        columns: &JsValue,
        name: &str,
        (units, units_name): (Option<Pinned>, &str),
        path: &str,
        sparse: bool,
    ) -> Result<Option<Self>, Error> {
        let scale = optional(columns, "amountScale").map_or(Ok(0), |v| read_scale(&v))?;
        if let Some(v) = optional(columns, name) {
            if !Array::is_array(&v) {
                return Err(type_error(path, "an array of decimal strings", &v));
            }
            let (mut decimals, mut missing) = (Vec::new(), Vec::new());
            for (i, cell) in Array::from(&v).iter().enumerate() {
                let at = format!("{path}[{i}]");
                if sparse && cell.is_null() {
                    decimals.push(crmkit::prelude::Decimal::ZERO);
                    missing.push(true);
                    continue;
                }
                let text = cell.as_string().ok_or_else(|| type_error(&at, "a decimal string", &cell))?;
                decimals.push(crmkit::wire::parse_decimal(&text, &at)?);
                missing.push(false);
            }
            return Ok(Some(Self { decimals, units: None, missing, scale }));
        }
        let Some(units) = units else { return Ok(None) };
        let units = read_units(&units).map_err(|e| relocate(e, path))?;
        let missing = match optional(columns, &format!("{units_name}Missing")) {
            Some(m) if sparse => m
                .dyn_ref::<js_sys::Uint8Array>()
                .map(|m| m.to_vec().into_iter().map(|b| b != 0).collect())
                .ok_or_else(|| type_error(&format!("{path}_missing"), "a Uint8Array", &m))?,
            _ => Vec::new(),
        };
        Ok(Some(Self { decimals: Vec::new(), units: Some(units), missing, scale }))
    }

    fn column(&self) -> AmountColumn<'_> {
        self.units
            .as_deref()
            .map_or(AmountColumn::Decimal(&self.decimals), |units| AmountColumn::Units { units, scale: self.scale })
    }

    fn sparse(&self) -> SparseAmounts<'_> {
        SparseAmounts { amounts: self.column(), missing: (!self.missing.is_empty()).then_some(self.missing.as_slice()) }
    }
}

/// `columns::units` names its rows `amount[i]`: here they are the column's own.
fn relocate(e: Error, path: &str) -> Error {
    match e {
        Error::Parse { kind, path: p, message } => {
            let p = p.strip_prefix("amount").map_or(p.clone(), |rest| format!("{path}{rest}"));
            Error::Parse { kind, path: p, message }
        }
        other => other,
    }
}

/// Days, `NO_DATE` for none.
fn days(columns: &JsValue, name: &str, path: &str) -> Result<Option<Vec<i64>>, Error> {
    optional(columns, name)
        .map(|v| Ok(int32(&v, path)?.into_iter().map(|d| if d == NO_DATE { i64::MIN } else { i64::from(d) }).collect()))
        .transpose()
}

/// Counts: safe integers, NaN for none (`i64::MIN`, which the core reads as none for
/// `new_customers` and refuses elsewhere).
fn counts(columns: &JsValue, name: &str, path: &str) -> Result<Option<Vec<i64>>, Error> {
    let Some(v) = optional(columns, name) else { return Ok(None) };
    let values =
        v.dyn_ref::<Float64Array>().map(Float64Array::to_vec).ok_or_else(|| type_error(path, "a Float64Array", &v))?;
    values
        .iter()
        .enumerate()
        .map(|(i, &x)| match x {
            x if x.is_nan() => Ok(i64::MIN),
            x if safe_integer(x) => Ok(x as i64),
            x => Err(Error::Parse {
                kind: crmkit::ParseKind::Type,
                path: format!("{path}[{i}]"),
                message: format!("{x} is not a whole count"),
            }),
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

/// ROI metrics over campaigns given as typed-array columns (`id` / `channel` codes with
/// `idLabels` / `channelLabels`, `cost` or `costUnits`, optional `wonRevenue`, `budget`,
/// `expectedRevenue`, `startOn`, `endOn`, `leads`, `customers`, `opportunities`, `won`,
/// `newCustomers`): the same report as `campaignRoi` on the same campaigns. With
/// `options.output` `"columns"` the campaign lines come as typed arrays (`RoiTable`, see
/// roi_table.rs, which declares the TypeScript overloads). Throws a `CrmkitError` at the column
/// and row (`cost[3]`).
#[wasm_bindgen(js_name = campaignRoiColumns, skip_typescript)]
pub fn campaign_roi_columns(policy: &JsValue, columns: &JsValue, options: &JsValue) -> Result<JsValue, JsValue> {
    let run = || {
        // The columns before the policy, as the Rust runner of the shared vectors reads them.
        if !columns.is_object() || Array::is_array(columns) {
            return Err(type_error("", "a columns object", columns));
        }
        // The units first, before anything is allocated: they may be `ColumnBuffer`s' views.
        let [cost, won_revenue, budget, expected] =
            ["costUnits", "wonRevenueUnits", "budgetUnits", "expectedRevenueUnits"]
                .map(|name| (optional(columns, name).map(Pinned::new), name));
        let id = int32(&get(columns, "id", "id")?, "id")?;
        let id_labels_value = get(columns, "idLabels", "id_labels")?;
        let id_labels = strings(&id_labels_value, "id_labels")?;
        let channel = int32(&get(columns, "channel", "channel")?, "channel")?;
        let channel_labels = strings(&get(columns, "channelLabels", "channel_labels")?, "channel_labels")?;
        let cost = Money::read(columns, "cost", cost, "cost", false)?;
        let cost = cost.ok_or_else(|| {
            get(columns, "cost", "cost").err().unwrap_or_else(|| type_error("cost", "a column", columns))
        })?;
        let won_revenue = Money::read(columns, "wonRevenue", won_revenue, "won_revenue", false)?;
        let budget = Money::read(columns, "budget", budget, "budget", true)?;
        let expected = Money::read(columns, "expectedRevenue", expected, "expected_revenue", true)?;
        let (start_on, end_on) = (days(columns, "startOn", "start_on")?, days(columns, "endOn", "end_on")?);
        let [leads, customers, opportunities, won, new_customers] = [
            counts(columns, "leads", "leads")?,
            counts(columns, "customers", "customers")?,
            counts(columns, "opportunities", "opportunities")?,
            counts(columns, "won", "won")?,
            counts(columns, "newCustomers", "new_customers")?,
        ];
        let policy: RoiPolicy = from_js_arg(policy, "policy")?;
        let output = Output::read(options)?;
        let c = CampaignColumns {
            id: KeyColumn { codes: &id, labels: &id_labels },
            channel: KeyColumn { codes: &channel, labels: &channel_labels },
            cost: cost.column(),
            won_revenue: won_revenue.as_ref().map(Money::column),
            budget: budget.as_ref().map(Money::sparse),
            expected_revenue: expected.as_ref().map(Money::sparse),
            start_on: start_on.as_deref(),
            end_on: end_on.as_deref(),
            leads: leads.as_deref(),
            customers: customers.as_deref(),
            opportunities: opportunities.as_deref(),
            won: won.as_deref(),
            new_customers: new_customers.as_deref(),
        };
        let report = crmkit::roi::campaign_roi_columns(&policy, &c)?;
        Ok((report, output, policy, id, id_labels_value))
    };
    match run().map_err(|e| to_js_error(&e))? {
        (report, Output::Report, ..) => to_js(&report),
        (report, Output::Columns, policy, id, id_labels) => roi_table::table(report, &policy, &id, &id_labels),
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Campaigns as columns for `campaignRoiColumns`: row `i` is one campaign. Money as exact decimal strings or as integer units at `amountScale`. */
export interface CampaignColumns {
    /** Id of each row, an index into `idLabels` (ids are unique; -1: none). */
    id: Int32Array;
    /** Ids the codes refer to. */
    idLabels: string[];
    /** Channel of each row, an index into `channelLabels` (each a channel of the taxonomy). */
    channel: Int32Array;
    /** Channel names the codes refer to. */
    channelLabels: string[];
    /** Actual cost: decimal strings, or `costUnits`. */
    cost?: string[];
    /** Actual cost as integer units of 10^-amountScale. */
    costUnits?: BigInt64Array | Float64Array;
    /** Won revenue (absent: 0). */
    wonRevenue?: string[];
    wonRevenueUnits?: BigInt64Array | Float64Array;
    /** Budgeted cost; null: none. */
    budget?: (string | null)[];
    budgetUnits?: BigInt64Array | Float64Array;
    /** 1 where a row of `budgetUnits` has no budget. */
    budgetUnitsMissing?: Uint8Array;
    /** Expected revenue; null: none. */
    expectedRevenue?: (string | null)[];
    expectedRevenueUnits?: BigInt64Array | Float64Array;
    /** 1 where a row of `expectedRevenueUnits` has none. */
    expectedRevenueUnitsMissing?: Uint8Array;
    /** Decimal places of the `*Units` columns, 0 to 28; default 0, whole units. */
    amountScale?: number;
    /** First day, days since 1970-01-01; -2147483648: none. */
    startOn?: Int32Array;
    /** Last day, likewise. */
    endOn?: Int32Array;
    /** Counts (safe integers; absent: 0 each). */
    leads?: Float64Array;
    customers?: Float64Array;
    opportunities?: Float64Array;
    won?: Float64Array;
    /** New customers for CAC; NaN: the row's wins count. */
    newCustomers?: Float64Array;
}
"#;
