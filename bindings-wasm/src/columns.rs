//! `forecastColumns`' typed-array columns, copied once into Rust vectors, or read in place
//! when they are views of `ColumnBuffer`s (column_buffer.rs).
//!
//! Paths in errors use crmkit's column names, the same as in Python and in the core's own
//! errors: `stage`, `stage_labels[j]`, `amount[i]`, `amount_scale`, `entered_stage_on`,
//! `keys[k].codes`, `keys[k].labels[j]`.

use crmkit::forecast::{AmountColumn, DateColumn, DealColumns, KeyColumn, ProbabilityColumn, StageCodes};
use crmkit::{Error, ParseKind};
use js_sys::{Array, BigInt64Array, Float64Array, Int32Array, Reflect};
use wasm_bindgen::prelude::*;

use crate::column_buffer::{int32_column, not_detached, Column, Pinned};
use crate::convert::type_of;

/// `enteredStageOn` / `expectedCloseOn` value for "no date" (`i32::MIN`, -2147483648).
pub const NO_DATE: i32 = i32::MIN;

/// Largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Whether a JS number is an integer it holds exactly (NaN and infinities are not).
pub(crate) fn safe_integer(v: f64) -> bool {
    #[allow(clippy::float_cmp)] // exactness is the point
    let whole = v.trunc() == v;
    whole && v.abs() <= MAX_SAFE_INTEGER
}

/// Columns read from JS and owned by Rust.
pub struct Columns {
    stage: Column<i32>,
    stage_labels: Vec<String>,
    amounts: Amounts,
    scale: u32,
    entered: Option<Column<i32>>,
    close: Option<Column<i32>>,
    snoozed: Option<Column<i32>>,
    activity: Option<Column<i32>>,
    keys: Vec<(Column<i32>, Vec<String>)>,
    probability: Option<Vec<f64>>,
    category: Option<(Column<i32>, Vec<String>)>,
}

impl Columns {
    /// Reads `{stage, stageLabels, amountUnits, amountScale, enteredStageOn?, expectedCloseOn?,
    /// snoozedUntil?, lastActivityOn?, keys?, probability?, category?}`.
    pub fn read(value: &JsValue) -> Result<Self, Error> {
        if !value.is_object() || Array::is_array(value) {
            return Err(type_error("columns", "a columns object", value));
        }
        // Every column that may view a `ColumnBuffer` first (see `Pinned`), in the order read.
        let stage = Pinned::new(get(value, "stage", "stage")?);
        let units = Pinned::new(property(value, "amountUnits"));
        let dates = [
            ("enteredStageOn", "entered_stage_on"),
            ("expectedCloseOn", "expected_close_on"),
            ("snoozedUntil", "snoozed_until"),
            ("lastActivityOn", "last_activity_on"),
        ]
        .map(|(name, path)| (optional(value, name).map(Pinned::new), path));
        let keys = optional(value, "keys");
        let key_list = keys.as_ref().filter(|v| Array::is_array(v)).map(Array::from);
        // (Only this list is allocated before the key columns are pinned: a few bytes.)
        let key_codes: Vec<Pinned> =
            key_list.iter().flat_map(Array::iter).map(|key| Pinned::new(codes_of(&key))).collect();
        let category = optional(value, "category");
        let category_codes = category.as_ref().map(|v| Pinned::new(codes_of(v)));
        // Then each read (copied in, or in place) and checked.
        let stage = int32_column(stage, "stage")?;
        let stage_labels = strings(&get(value, "stageLabels", "stage_labels")?, "stage_labels")?;
        let amounts = self::amounts(&present(units, "amountUnits", "amount")?)?;
        // Integer units are whole units unless the caller declares minor units (2: cents), as
        // in Python: the same number means the same money whatever carries it.
        let scale = optional(value, "amountScale").map_or(Ok(0), |v| scale(&v))?;
        let [entered, close, snoozed, activity] =
            dates.map(|(pinned, path)| pinned.map(|p| int32_column(p, path)).transpose());
        let (entered, close, snoozed, activity) = (entered?, close?, snoozed?, activity?);
        let keys = match (keys, key_list) {
            (None, _) => Vec::new(),
            (Some(_), Some(list)) => list
                .iter()
                .zip(key_codes)
                .enumerate()
                .map(|(k, (key, codes))| {
                    let at = format!("keys[{k}]");
                    if !key.is_object() {
                        return Err(type_error(&at, "a {codes, labels} object", &key));
                    }
                    let codes = int32_column(present(codes, "codes", &format!("{at}.codes"))?, &format!("{at}.codes"))?;
                    let labels = strings(&get(&key, "labels", &format!("{at}.labels"))?, &format!("{at}.labels"))?;
                    Ok((codes, labels))
                })
                .collect::<Result<_, _>>()?,
            (Some(v), None) => return Err(type_error("keys", "an array of key columns", &v)),
        };
        let probability = optional(value, "probability")
            .map(|v| {
                v.dyn_ref::<Float64Array>()
                    .map(Float64Array::to_vec)
                    .ok_or_else(|| type_error("probability", "a Float64Array (NaN: the stage's own)", &v))
            })
            .transpose()?;
        let category = category
            .zip(category_codes)
            .map(|(v, codes)| {
                if !v.is_object() {
                    return Err(type_error("category", "a {codes, labels} object", &v));
                }
                let codes = int32_column(present(codes, "codes", "category.codes")?, "category.codes")?;
                let labels = strings(&get(&v, "labels", "category.labels")?, "category.labels")?;
                Ok((codes, labels))
            })
            .transpose()?;
        Ok(Self { stage, stage_labels, amounts, scale, entered, close, snoozed, activity, keys, probability, category })
    }

    /// Borrowed as crmkit's columns.
    pub fn as_deal_columns(&self) -> DealColumns<'_> {
        DealColumns {
            stage: StageCodes::I32(&self.stage),
            stage_labels: &self.stage_labels,
            amount: match &self.amounts {
                Amounts::Units(units) => AmountColumn::Units { units, scale: self.scale },
                Amounts::Floats(values) => AmountColumn::WholeFloats { values, scale: self.scale },
            },
            entered_stage_on: self.entered.as_deref().map(DateColumn::Days32),
            expected_close_on: self.close.as_deref().map(DateColumn::Days32),
            snoozed_until: self.snoozed.as_deref().map(DateColumn::Days32),
            last_activity_on: self.activity.as_deref().map(DateColumn::Days32),
            keys: self.keys.iter().map(|(codes, labels)| KeyColumn { codes, labels }.into()).collect(),
            probability: self.probability.as_deref().map(ProbabilityColumn::Float),
            category: self.category.as_ref().map(|(codes, labels)| KeyColumn { codes, labels }),
        }
    }
}

/// A property (`undefined` when absent); nothing allocated.
pub(crate) fn property(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// A key's or the category's `codes` (`undefined` when it is no object).
fn codes_of(key: &JsValue) -> JsValue {
    if key.is_object() {
        property(key, "codes")
    } else {
        JsValue::UNDEFINED
    }
}

/// `missing column `name`` at `path`.
fn missing(name: &str, path: &str) -> Error {
    Error::Parse { kind: ParseKind::MissingField, path: path.to_owned(), message: format!("missing column `{name}`") }
}

/// A pinned property, refused when `undefined` (as [`get`]).
pub(crate) fn present(pinned: Pinned, name: &str, path: &str) -> Result<Pinned, Error> {
    if pinned.value().is_undefined() {
        return Err(missing(name, path));
    }
    Ok(pinned)
}

/// A required property; `path` is its crmkit name.
pub(crate) fn get(object: &JsValue, name: &str, path: &str) -> Result<JsValue, Error> {
    let value = property(object, name);
    if value.is_undefined() {
        return Err(missing(name, path));
    }
    Ok(value)
}

/// An optional property: absent, `undefined` and `null` are `None`.
pub(crate) fn optional(object: &JsValue, name: &str) -> Option<JsValue> {
    let value = property(object, name);
    (!value.is_undefined() && !value.is_null()).then_some(value)
}

pub(crate) fn int32(value: &JsValue, path: &str) -> Result<Vec<i32>, Error> {
    value.dyn_ref::<Int32Array>().map(Int32Array::to_vec).ok_or_else(|| type_error(path, "an Int32Array", value))
}

pub(crate) fn strings(value: &JsValue, path: &str) -> Result<Vec<String>, Error> {
    if !Array::is_array(value) {
        return Err(type_error(path, "an array of strings", value));
    }
    Array::from(value)
        .iter()
        .enumerate()
        .map(|(j, s)| s.as_string().ok_or_else(|| type_error(&format!("{path}[{j}]"), "a string", &s)))
        .collect()
}

/// `amountUnits` as read: 64-bit integers, or whole numbers held in floats, which the core
/// checks as it sums them ([`AmountColumn::WholeFloats`]).
enum Amounts {
    Units(Column<i64>),
    Floats(Column<f64>),
}

/// `forecastColumns`' amounts: a `ColumnBuffer`'s `Float64Array` read in place, as whole
/// numbers the core checks (a fraction, a magnitude past 2^53 − 1, NaN or an infinity is the
/// same error at `amount[i]` as from [`units`]): no copy and no pass before the core's.
/// Anything else as [`units`] reads it: a plain `Float64Array` is copied in anyway, and
/// turning that copy into integer units in place is as fast as the core's check of floats,
/// and the integer loops are faster on it (benches/HISTORY.md "Whole floats, measured").
fn amounts(pinned: &Pinned) -> Result<Amounts, Error> {
    if pinned.value().dyn_ref::<Float64Array>().is_some()
        && let Some(lent) = pinned.floats()
    {
        return Ok(Amounts::Floats(lent));
    }
    units(pinned).map(Amounts::Units)
}

/// Integer units from a `BigInt64Array`, or from a `Float64Array` whose every value is a safe
/// integer (anything else would not be the exact amount the caller meant); a `ColumnBuffer`'s
/// `BigInt64Array` read in place (and its `Float64Array` read in place as whole units). The
/// column is pinned before the call allocates anything (see [`Pinned`]).
pub(crate) fn units(pinned: &Pinned) -> Result<Column<i64>, Error> {
    let value = pinned.value();
    if let Some(big) = value.dyn_ref::<BigInt64Array>() {
        if let Some(lent) = pinned.bigints() {
            return Ok(lent);
        }
        not_detached(&big.buffer(), big.length(), "amount")?;
        return Ok(Column::Owned(big.to_vec()));
    }
    let Some(floats) = value.dyn_ref::<Float64Array>() else {
        return Err(type_error("amount", "a Float64Array or a BigInt64Array", value));
    };
    let lent = pinned.floats();
    // The floats' bits copied as they are (a BigInt64Array over the same bytes), then read
    // as whole units in place: one pass instead of a check and a conversion (1.8 -> 0.7 ms
    // per million values in V8). Anything else (fractions, negatives, NaN, 2^52 and up)
    // takes the exact check below, which says what is wrong.
    let bits = if let Some(lent) = &lent {
        lent.iter().map(|v| v.to_bits() as i64).collect()
    } else {
        not_detached(&floats.buffer(), floats.length(), "amount")?;
        BigInt64Array::new_with_byte_offset_and_length(&floats.buffer(), floats.byte_offset(), floats.length()).to_vec()
    };
    if let Some(units) = small_whole_units(bits) {
        return Ok(Column::Owned(units));
    }
    let floats = lent.map_or_else(|| floats.to_vec(), |lent| lent.to_vec());
    if let Some(i) = floats.iter().position(|&v| !safe_integer(v)) {
        return Err(Error::Parse {
            // NaN and infinities are `invalid_type` everywhere in crmkit; other floats are
            // not whole units.
            kind: if floats[i].is_finite() { ParseKind::Decimal } else { ParseKind::Type },
            path: format!("amount[{i}]"),
            message: format!("{} is not a safe integer number of units; use a BigInt64Array beyond 2^53", floats[i]),
        });
    }
    Ok(Column::Owned(floats.into_iter().map(|v| v as i64).collect()))
}

/// The float of each 64-bit pattern as a whole number of units, in place, when every one is
/// a whole number from 0 to 2^52 − 1 (else `None`). Adding 2^52 to such a float gives a float
/// whose low 52 bits are that number, and is exact only for a whole one: no conversion
/// instruction, and four rows per iteration with two flags (V8 neither unrolls nor
/// vectorises).
fn small_whole_units(mut bits: Vec<i64>) -> Option<Vec<i64>> {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    // Inlined by force: the crate is built for size, and a call per value costs more than
    // the read (measured: 0.4 ms slower per million values than the check and conversion).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn read(b: &mut i64, bad: &mut u64) {
        let v = f64::from_bits(*b as u64);
        let shifted = v + TWO_52;
        // Below 2^52 when v is from 0 to 2^52 − 1 (a negative v wraps to a huge value).
        let units = shifted.to_bits().wrapping_sub(TWO_52.to_bits());
        #[allow(clippy::float_cmp)] // exactness is the point
        let inexact = shifted - TWO_52 != v;
        *bad |= units | (u64::from(inexact) << 63);
        *b = units as i64;
    }
    let (mut bad, mut odd) = (0u64, 0u64);
    let mut quads = bits.chunks_exact_mut(4);
    for q in &mut quads {
        read(&mut q[0], &mut bad);
        read(&mut q[1], &mut odd);
        read(&mut q[2], &mut bad);
        read(&mut q[3], &mut odd);
    }
    for b in quads.into_remainder() {
        read(b, &mut bad);
    }
    ((bad | odd) >> 52 == 0).then_some(bits)
}

pub(crate) fn scale(value: &JsValue) -> Result<u32, Error> {
    let Some(v) = value.as_f64() else {
        return Err(type_error("amount_scale", "a number", value));
    };
    #[allow(clippy::float_cmp)] // exactness is the point
    let whole = v.trunc() == v && v >= 0.0;
    if whole && v <= f64::from(u32::MAX) {
        // The core checks the upper bound (28, `Decimal`'s largest scale).
        Ok(v as u32)
    } else {
        Err(Error::OutOfRange { path: "amount_scale".into(), value: v.to_string(), min: "0".into(), max: "28".into() })
    }
}

pub(crate) fn type_error(path: &str, expected: &str, got: &JsValue) -> Error {
    Error::Parse {
        kind: ParseKind::Type,
        path: path.to_owned(),
        message: format!("expected {expected}, got {}", type_of(got)),
    }
}
