//! `commissionColumns`: transactions as typed arrays, per-row pay and statement lines back as
//! typed arrays. Money is integer units in `BigInt64Array`s (never a JS number), dates are days
//! since 1970-01-01 in an `Int32Array` (`NO_DATE`, -2147483648, for none: refused as
//! `missing_value`). Paths in errors use the core's column names: `rep[i]`, `on[i]`,
//! `amount[i]`, `refund[i]`, `product[i]`, `customer_type[i]`, `refers_to[i]`,
//! `original_rate[i]`.

use crmkit::commission::{
    Category, CommissionColumnsReport, CommissionPlan, RepInput, TransactionColumns, LINE_KINDS, LINE_REASONS,
};
use crmkit::forecast::AmountColumn;
use crmkit::Error;
use js_sys::{Array, BigInt64Array, Float64Array, Int32Array, Object, Reflect, Uint32Array, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::column_buffer::{Column, Pinned};
use crate::columns::{
    get, int32, optional, present, property, scale as read_scale, strings, type_error, units as read_units, NO_DATE,
};
use crate::convert::{from_js, from_js_arg, string_arg, to_js, to_js_error};

struct Read {
    plan: CommissionPlan,
    reps: Vec<RepInput>,
    rep: Vec<i32>,
    labels: Vec<String>,
    on: Vec<i64>,
    units: Column<i64>,
    scale: u32,
    /// `amount` as exact decimals, when given as strings instead of `amountUnits`.
    decimals: Option<Vec<crmkit::prelude::Decimal>>,
    refund: Option<Vec<bool>>,
    /// Product, customer type: (codes, labels).
    categories: [Option<(Vec<i32>, Vec<String>)>; 2],
    refers_to: Option<Vec<i64>>,
    original_rate: Option<Vec<Option<crmkit::prelude::Decimal>>>,
    statements: bool,
}

fn read(plan: &JsValue, columns: &JsValue, options: &JsValue) -> Result<Read, Error> {
    // The units first, before anything is allocated: they may be a `ColumnBuffer`'s view.
    let units = Pinned::new(property(columns, "amountUnits"));
    let plan = from_js_arg(plan, "plan")?;
    if !columns.is_object() || Array::is_array(columns) {
        return Err(type_error("", "a columns object", columns));
    }
    let rep = int32(&get(columns, "rep", "rep")?, "rep")?;
    let labels = strings(&get(columns, "repLabels", "rep_labels")?, "rep_labels")?;
    let on = int32(&get(columns, "on", "on")?, "on")?
        .into_iter()
        .map(|d| if d == NO_DATE { i64::MIN } else { i64::from(d) })
        .collect();
    // Exact decimal strings (`amount`), or integer units (`amountUnits`): whole units unless
    // the caller declares minor units (`amountScale` 2: cents).
    let (units, decimals) = match optional(columns, "amount") {
        Some(v) => {
            let texts = strings(&v, "amount")?;
            let parsed = texts
                .iter()
                .enumerate()
                .map(|(i, t)| crmkit::wire::parse_decimal(t, &format!("amount[{i}]")))
                .collect::<Result<Vec<_>, Error>>()?;
            (Column::Owned(Vec::new()), Some(parsed))
        }
        None => (read_units(&present(units, "amountUnits", "amount")?)?, None),
    };
    let scale = optional(columns, "amountScale").map_or(Ok(0), |v| read_scale(&v))?;
    let refund = optional(columns, "refund")
        .map(|v| {
            let flags = v.dyn_ref::<Uint8Array>().ok_or_else(|| type_error("refund", "a Uint8Array", &v))?.to_vec();
            flags
                .iter()
                .enumerate()
                .map(|(i, &b)| match b {
                    0 | 1 => Ok(b == 1),
                    _ => {
                        Err(Error::InvalidValue { path: format!("refund[{i}]"), reason: format!("{b} is not 0 or 1") })
                    }
                })
                .collect::<Result<Vec<bool>, Error>>()
        })
        .transpose()?;
    let mut categories = [None, None];
    for (k, (name, labels, path)) in
        [("product", "productLabels", "product"), ("customerType", "customerTypeLabels", "customer_type")]
            .into_iter()
            .enumerate()
    {
        if let Some(v) = optional(columns, name) {
            let codes = int32(&v, path)?;
            categories[k] =
                Some((codes, strings(&get(columns, labels, &format!("{path}_labels"))?, &format!("{path}_labels"))?));
        }
    }
    let refers_to = optional(columns, "refersTo")
        .map(|v| int32(&v, "refers_to"))
        .transpose()?
        .map(|r| r.into_iter().map(i64::from).collect());
    let original_rate = optional(columns, "originalRate").map(|v| rates(&v)).transpose()?;
    let (mut reps, mut statements) = (Vec::new(), false);
    if !options.is_undefined() && !options.is_null() {
        if !options.is_object() || Array::is_array(options) {
            return Err(type_error("options", "an options object", options));
        }
        if let Some(r) = optional(options, "reps") {
            reps = from_js(&r, "reps")?;
        }
        if let Some(s) = optional(options, "statements") {
            statements = s.as_bool().ok_or_else(|| type_error("statements", "a boolean", &s))?;
        }
    }
    Ok(Read {
        plan,
        reps,
        rep,
        labels,
        on,
        units,
        scale,
        decimals,
        refund,
        categories,
        refers_to,
        original_rate,
        statements,
    })
}

/// `originalRate`: an array of decimal strings or nulls; errors at `original_rate[i]`.
fn rates(value: &JsValue) -> Result<Vec<Option<crmkit::prelude::Decimal>>, Error> {
    if !Array::is_array(value) {
        return Err(type_error("original_rate", "an array of decimal strings or nulls", value));
    }
    Array::from(value)
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let path = format!("original_rate[{i}]");
            if v.is_null() || v.is_undefined() {
                return Ok(None);
            }
            let text = v.as_string().ok_or_else(|| type_error(&path, "a decimal string", &v))?;
            crmkit::wire::parse_decimal(&text, &path).map(Some)
        })
        .collect()
}

fn run(
    plan: &JsValue,
    columns: &JsValue,
    as_of: &JsValue,
    options: &JsValue,
) -> Result<CommissionColumnsReport, Error> {
    let r = read(plan, columns, options)?;
    let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
    let amount =
        r.decimals.as_deref().map_or(AmountColumn::Units { units: &r.units, scale: r.scale }, AmountColumn::Decimal);
    let category = |k: usize| r.categories[k].as_ref().map(|(codes, labels)| Category { codes, labels });
    let columns = TransactionColumns {
        refund: r.refund.as_deref(),
        product: category(0),
        customer_type: category(1),
        refers_to: r.refers_to.as_deref(),
        original_rate: r.original_rate.as_deref(),
        ..TransactionColumns::new(&r.rep, &r.labels, &r.on, amount)
    };
    crmkit::commission::commission_columns(&r.plan, &r.reps, &columns, as_of, r.statements)
}

/// Decimals as the strings JS reads money and rates from.
fn texts<T: ToString>(values: &[T]) -> Array {
    values.iter().map(|x| JsValue::from_str(&x.to_string())).collect()
}

fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(object, &JsValue::from_str(key), value).map(|_| ())
}

/// `computeCommission` over typed-array columns, one transaction per row (one rep each, no
/// splits; products and customer types for rate rules and SPIFs; refunds of a row's sale or
/// of an earlier period's sale at its original rate): the same statements line for line, each row's pay as
/// integer units, and with `options.statements` every line as columns. Throws a
/// `CrmkitError`.
#[wasm_bindgen(js_name = commissionColumns, unchecked_return_type = "CommissionColumnsResult")]
pub fn commission_columns(
    #[wasm_bindgen(unchecked_param_type = "CommissionPlan")] plan: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "CommissionTransactionColumns")] columns: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "CommissionColumnsOptions")] options: &JsValue,
) -> Result<JsValue, JsValue> {
    let out = run(plan, columns, as_of, options).map_err(|e| to_js_error(&e))?;
    let object = Object::new();
    set(&object, "provisional", &BigInt64Array::from(&out.provisional[..]))?;
    set(&object, "final", &BigInt64Array::from(&out.final_pay[..]))?;
    set(&object, "scale", &JsValue::from(out.scale))?;
    set(&object, "creditScale", &JsValue::from(out.credit_scale))?;
    set(&object, "currency", &out.currency.as_deref().map_or(JsValue::NULL, JsValue::from_str))?;
    set(&object, "reps", &to_js(&out.reps)?)?;
    set(&object, "totals", &to_js(&out.totals)?)?;
    set(&object, "rateLabels", &texts(&out.rate_labels).into())?;
    set(&object, "multiplierLabels", &texts(&out.multiplier_labels).into())?;
    set(&object, "kindLabels", &to_js(&LINE_KINDS)?)?;
    set(&object, "reasonLabels", &to_js(&LINE_REASONS)?)?;
    let lines = match out.lines {
        None => JsValue::NULL,
        Some(l) => {
            let o = Object::new();
            let flags: Vec<u8> = l.provisional.iter().map(|&p| u8::from(p)).collect();
            let rows: Vec<f64> = l.row.iter().map(|&r| r as f64).collect();
            set(&o, "provisional", &Uint8Array::from(&flags[..]))?;
            set(&o, "rep", &Uint32Array::from(&l.rep[..]))?;
            set(&o, "step", &Uint32Array::from(&l.step[..]))?;
            set(&o, "kind", &Uint8Array::from(&l.kind[..]))?;
            set(&o, "row", &Float64Array::from(&rows[..]))?;
            set(&o, "tier", &Int32Array::from(&l.tier[..]))?;
            set(&o, "from", &BigInt64Array::from(&l.from[..]))?;
            set(&o, "to", &BigInt64Array::from(&l.to[..]))?;
            set(&o, "base", &BigInt64Array::from(&l.base[..]))?;
            set(&o, "rate", &Int32Array::from(&l.rate[..]))?;
            set(&o, "multiplier", &Int32Array::from(&l.multiplier[..]))?;
            set(&o, "amount", &BigInt64Array::from(&l.amount[..]))?;
            set(&o, "reasons", &Uint32Array::from(&l.reasons[..]))?;
            o.into()
        }
    };
    set(&object, "lines", &lines)?;
    Ok(object.into())
}

#[wasm_bindgen(typescript_custom_section)]
const TS_COMMISSION_COLUMNS: &str = r#"
/** Transactions as columns for `commissionColumns`: row `i` is one sale or refund of one rep. */
export interface CommissionTransactionColumns {
    /** Codes into `repLabels`. */
    rep: Int32Array;
    repLabels: string[];
    /** Days since 1970-01-01. */
    on: Int32Array;
    /** Integer units: whole units unless `amountScale` declares minor units (2: cents). */
    amountUnits?: BigInt64Array | Float64Array;
    amountScale?: number;
    /** Or exact decimal strings, one per row (instead of `amountUnits`). */
    amount?: string[];
    /** 1 for a refund, 0 for a sale. */
    refund?: Uint8Array;
    /** Products, for the plan's rate rules and SPIFs: codes into `productLabels`, -1 for none. */
    product?: Int32Array;
    productLabels?: string[];
    /** Customer types, likewise. */
    customerType?: Int32Array;
    customerTypeLabels?: string[];
    /** A refund of a sale in the columns: the sale's row, -1 for none (the refund names the sale's rep). */
    refersTo?: Int32Array;
    /** A refund of an earlier period's sale: the rate it was paid at, as a decimal string; null for none. */
    originalRate?: (string | null)[];
}
/** `commissionColumns` options: the reps' quotas, prior credit, draws; whether to return the lines. */
export interface CommissionColumnsOptions {
    reps?: RepInput[];
    statements?: boolean;
}
/** Statement lines as columns, both statements of every rep. Money and credit in integer units. */
export interface CommissionLineColumns {
    provisional: Uint8Array;
    rep: Uint32Array;
    step: Uint32Array;
    kind: Uint8Array;
    row: Float64Array;
    tier: Int32Array;
    from: BigInt64Array;
    to: BigInt64Array;
    base: BigInt64Array;
    rate: Int32Array;
    multiplier: Int32Array;
    amount: BigInt64Array;
    reasons: Uint32Array;
}
/** What `commissionColumns` returns: per-row pay in units of 10^-scale, the reps' statements without lines, the lines as columns. */
export interface CommissionColumnsResult {
    provisional: BigInt64Array;
    final: BigInt64Array;
    scale: number;
    creditScale: number;
    currency: string | null;
    reps: RepStatement[];
    totals: CommissionTotals;
    rateLabels: string[];
    multiplierLabels: string[];
    kindLabels: LineKind[];
    reasonLabels: LineReason[];
    lines: CommissionLineColumns | null;
}
"#;
