//! `paymentInterestColumns` and `collectionsColumns`: invoice / shipment batches and their
//! payments as typed arrays, each batch's figures back as typed arrays. Money is integer units
//! in `BigInt64Array`s (or exact decimal strings in), dates days since 1970-01-01 in
//! `Int32Array`s (`NO_DATE` for none: `missing_value`). Paths in errors use the core's column
//! names: `amount[i]`, `due_on[i]`, `payments.on[j]`, `payments.batch[j]`.

use crmkit::commission::{BatchColumns, CollectionsPolicy, InterestPolicy, COLLECTION_REASONS, INTEREST_KINDS};
use crmkit::forecast::AmountColumn;
use crmkit::Error;
use js_sys::{Array, BigInt64Array, Float64Array, Int32Array, Object, Reflect, Uint32Array, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::column_buffer::{Column, Pinned};
use crate::columns::{
    get, int32, optional, present, property, scale as read_scale, strings, type_error, units as read_units, NO_DATE,
};
use crate::convert::{from_js_arg, string_arg, to_js, to_js_error};

/// An amount column: exact decimal strings, or integer units at a scale.
struct Money {
    decimals: Option<Vec<crmkit::prelude::Decimal>>,
    units: Column<i64>,
    scale: u32,
}

impl Money {
    /// The column `name` (decimal strings), else `units` (pinned: see [`Pinned`]), the
    /// property `units_name`.
    fn read(columns: &JsValue, name: &str, (units, units_name): (Pinned, &str), path: &str) -> Result<Self, Error> {
        let scale = optional(columns, "amountScale").map_or(Ok(0), |v| read_scale(&v))?;
        match optional(columns, name) {
            Some(v) => {
                let texts = strings(&v, path)?;
                let parsed = texts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| crmkit::wire::parse_decimal(t, &format!("{path}[{i}]")))
                    .collect::<Result<Vec<_>, Error>>()?;
                Ok(Self { decimals: Some(parsed), units: Column::Owned(Vec::new()), scale })
            }
            None => Ok(Self { decimals: None, units: read_units(&present(units, units_name, path)?)?, scale }),
        }
    }

    fn column(&self) -> AmountColumn<'_> {
        self.decimals
            .as_deref()
            .map_or(AmountColumn::Units { units: &self.units, scale: self.scale }, AmountColumn::Decimal)
    }
}

struct Read {
    customer: Option<Vec<i32>>,
    labels: Vec<String>,
    invoice_on: Vec<i64>,
    due_on: Vec<i64>,
    amount: Money,
    payment_batch: Vec<i64>,
    payment_on: Vec<i64>,
    payment_amount: Money,
}

fn days(columns: &JsValue, name: &str, path: &str) -> Result<Vec<i64>, Error> {
    Ok(int32(&get(columns, name, path)?, path)?
        .into_iter()
        .map(|d| if d == NO_DATE { i64::MIN } else { i64::from(d) })
        .collect())
}

fn read(columns: &JsValue) -> Result<Read, Error> {
    if !columns.is_object() || Array::is_array(columns) {
        return Err(type_error("", "a columns object", columns));
    }
    // The units first, before anything is allocated: they may be `ColumnBuffer`s' views.
    let [amount_units, payment_units] =
        ["amountUnits", "paymentAmountUnits"].map(|name| (Pinned::new(property(columns, name)), name));
    let customer = optional(columns, "customer").map(|v| int32(&v, "customer")).transpose()?;
    let labels = optional(columns, "customerLabels").map_or(Ok(Vec::new()), |v| strings(&v, "customer_labels"))?;
    let payment_batch = match optional(columns, "paymentBatch") {
        Some(v) => int32(&v, "payments.batch")?.into_iter().map(i64::from).collect(),
        None => Vec::new(),
    };
    let no_payments = optional(columns, "paymentBatch").is_none();
    Ok(Read {
        customer,
        labels,
        invoice_on: days(columns, "invoiceOn", "invoice_on")?,
        due_on: days(columns, "dueOn", "due_on")?,
        amount: Money::read(columns, "amount", amount_units, "amount")?,
        payment_on: if no_payments { Vec::new() } else { days(columns, "paymentOn", "payments.on")? },
        payment_amount: if no_payments {
            Money { decimals: None, units: Column::Owned(Vec::new()), scale: 0 }
        } else {
            Money::read(columns, "paymentAmount", payment_units, "payments.amount")?
        },
        payment_batch,
    })
}

impl Read {
    fn columns(&self) -> BatchColumns<'_> {
        BatchColumns {
            customer: self.customer.as_deref(),
            customer_labels: &self.labels,
            invoice_on: &self.invoice_on,
            due_on: &self.due_on,
            amount: self.amount.column(),
            payment_batch: &self.payment_batch,
            payment_on: &self.payment_on,
            payment_amount: self.payment_amount.column(),
        }
    }
}

fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(object, &JsValue::from_str(key), value).map(|_| ())
}

fn float64(values: &[i64]) -> Float64Array {
    let v: Vec<f64> = values.iter().map(|&x| x as f64).collect(); // days and rows: safe integers
    Float64Array::from(&v[..])
}

/// `paymentInterest` over typed-array columns: batches (`invoiceOn`, `dueOn`, `amount` or
/// `amountUnits`) and payments (`paymentBatch` rows, `paymentOn`, `paymentAmount` or
/// `paymentAmountUnits`); each batch's sums as integer units, the lines as columns. Throws a
/// `CrmkitError`.
#[wasm_bindgen(js_name = paymentInterestColumns, unchecked_return_type = "InterestColumnsResult")]
pub fn payment_interest_columns(
    #[wasm_bindgen(unchecked_param_type = "InterestPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "BatchColumnsInput")] columns: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || -> Result<_, Error> {
        let policy: InterestPolicy = from_js_arg(policy, "policy")?;
        let r = read(columns)?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        crmkit::commission::payment_interest_columns(&policy, &r.columns(), as_of)
    };
    let out = run().map_err(|e| to_js_error(&e))?;
    let object = Object::new();
    let b = &out.batches;
    set(&object, "collected", &BigInt64Array::from(&b.collected[..]))?;
    set(&object, "outstanding", &BigInt64Array::from(&b.outstanding[..]))?;
    set(&object, "bonus", &BigInt64Array::from(&b.bonus[..]))?;
    set(&object, "penalty", &BigInt64Array::from(&b.penalty[..]))?;
    set(&object, "accruedPenalty", &BigInt64Array::from(&b.accrued_penalty[..]))?;
    set(&object, "net", &BigInt64Array::from(&b.net[..]))?;
    set(&object, "scale", &JsValue::from(out.scale))?;
    set(&object, "currency", &out.currency.as_deref().map_or(JsValue::NULL, JsValue::from_str))?;
    set(&object, "dayCount", &to_js(&out.day_count)?)?;
    set(&object, "totals", &to_js(&out.totals)?)?;
    set(&object, "kindLabels", &to_js(&INTEREST_KINDS)?)?;
    let l = &out.lines;
    let lines = Object::new();
    set(&lines, "batch", &Uint32Array::from(&l.batch[..]))?;
    set(&lines, "payment", &float64(&l.payment))?;
    set(&lines, "kind", &Uint8Array::from(&l.kind[..]))?;
    set(&lines, "days", &float64(&l.days))?;
    set(&lines, "interestDays", &float64(&l.interest_days))?;
    set(&lines, "interest", &BigInt64Array::from(&l.interest[..]))?;
    set(&object, "lines", &lines)?;
    Ok(object.into())
}

/// `collections` over the columns `paymentInterestColumns` takes (with `customer` codes into
/// `customerLabels`): each batch's open item as columns, the aging, customers and DSO as
/// `collections` gives them. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = collectionsColumns, unchecked_return_type = "CollectionsColumnsResult")]
pub fn collections_columns(
    #[wasm_bindgen(unchecked_param_type = "CollectionsPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "BatchColumnsInput")] columns: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || -> Result<_, Error> {
        let policy: CollectionsPolicy = from_js_arg(policy, "policy")?;
        let r = read(columns)?;
        let as_of = crmkit::wire::parse_date(&string_arg(as_of, "as_of")?, "as_of")?;
        let out = crmkit::commission::collections_columns(&policy, &r.columns(), as_of)?;
        Ok((out, policy.levels.into_iter().map(|l| l.name).collect::<Vec<_>>()))
    };
    let (out, levels) = run().map_err(|e| to_js_error(&e))?;
    let object = Object::new();
    set(&object, "collected", &BigInt64Array::from(&out.collected[..]))?;
    set(&object, "outstanding", &BigInt64Array::from(&out.outstanding[..]))?;
    set(&object, "daysPastDue", &float64(&out.days_past_due))?;
    set(&object, "bucket", &Uint8Array::from(&out.bucket[..]))?;
    set(&object, "bucketLabels", &to_js(&out.bucket_labels)?)?;
    set(&object, "level", &Int32Array::from(&out.level[..]))?;
    set(&object, "levelLabels", &to_js(&levels)?)?;
    set(&object, "reasons", &Uint8Array::from(&out.reasons[..]))?;
    set(&object, "reasonLabels", &to_js(&COLLECTION_REASONS)?)?;
    set(&object, "scale", &JsValue::from(out.scale))?;
    set(&object, "aging", &to_js(&out.aging)?)?;
    set(&object, "customers", &to_js(&out.customers)?)?;
    set(&object, "dso", &to_js(&out.dso)?)?;
    Ok(object.into())
}

#[wasm_bindgen(typescript_custom_section)]
const TS_BATCH_COLUMNS: &str = r#"
/** Batches and their payments as columns for `paymentInterestColumns` / `collectionsColumns`. */
export interface BatchColumnsInput {
    /** Codes into `customerLabels` (-1: none). */
    customer?: Int32Array;
    customerLabels?: string[];
    /** Days since 1970-01-01. */
    invoiceOn: Int32Array;
    dueOn: Int32Array;
    /** Exact decimal strings, or `amountUnits` (whole units unless `amountScale` declares minor units). */
    amount?: string[];
    amountUnits?: BigInt64Array | Float64Array;
    amountScale?: number;
    /** Payments: the batch's row, the day, the amount (`paymentAmount` strings or `paymentAmountUnits`). */
    paymentBatch?: Int32Array;
    paymentOn?: Int32Array;
    paymentAmount?: string[];
    paymentAmountUnits?: BigInt64Array | Float64Array;
}
/** Interest lines as columns. */
export interface InterestLineColumns {
    batch: Uint32Array;
    /** The payment's row, -1 for the unpaid remainder. */
    payment: Float64Array;
    kind: Uint8Array;
    days: Float64Array;
    interestDays: Float64Array;
    interest: BigInt64Array;
}
/** What `paymentInterestColumns` returns: per-batch money in units of 10^-scale. */
export interface InterestColumnsResult {
    collected: BigInt64Array;
    outstanding: BigInt64Array;
    bonus: BigInt64Array;
    penalty: BigInt64Array;
    accruedPenalty: BigInt64Array;
    net: BigInt64Array;
    scale: number;
    currency: string | null;
    dayCount: DayCount;
    totals: InterestTotals;
    kindLabels: InterestKind[];
    lines: InterestLineColumns;
}
/** What `collectionsColumns` returns: per-batch figures as columns. */
export interface CollectionsColumnsResult {
    collected: BigInt64Array;
    outstanding: BigInt64Array;
    daysPastDue: Float64Array;
    bucket: Uint8Array;
    bucketLabels: string[];
    /** Index into `levelLabels`, -1 for none. */
    level: Int32Array;
    levelLabels: string[];
    reasons: Uint8Array;
    reasonLabels: CollectionReason[];
    scale: number;
    aging: AgingLine[];
    customers: CustomerLine[];
    dso: Dso;
}
"#;
