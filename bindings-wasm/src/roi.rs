//! Marketing ROI and attribution exports.

use js_sys::{Array, BigInt64Array, Float64Array, Int32Array, Int8Array, Reflect};
use wasm_bindgen::prelude::*;

use crate::convert::{from_js, from_js_arg, reply};

/// ROI metrics per campaign, channel, channel group, period and in total, with the funnel in
/// both views; a ratio over zero is `null` with a reason, never infinite. Throws a
/// `CrmkitError`.
#[wasm_bindgen(js_name = campaignRoi, unchecked_return_type = "RoiReport")]
pub fn campaign_roi(
    #[wasm_bindgen(unchecked_param_type = "RoiPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Campaign[]")] campaigns: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let campaigns: Vec<crmkit::roi::Campaign> = from_js(campaigns, "campaigns")?;
        crmkit::roi::campaign_roi(&policy, &campaigns)
    };
    reply(run())
}

/// Attribution of each journey's revenue to its touches under `policy.model`; credits are
/// decimal strings summing exactly to each journey's rounded revenue. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = attribute, unchecked_return_type = "AttributionReport")]
pub fn attribute(
    #[wasm_bindgen(unchecked_param_type = "AttributionPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Journey[]")] journeys: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let journeys: Vec<crmkit::roi::Journey> = from_js(journeys, "journeys")?;
        crmkit::roi::attribute(&policy, &journeys)
    };
    reply(run())
}

/// All models on the same journeys, side by side per channel, plus long rows
/// `{channel, group, model, credit, share}` a chart can take. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = compareAttribution, unchecked_return_type = "Comparison")]
pub fn compare_attribution(
    #[wasm_bindgen(unchecked_param_type = "ComparisonPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Journey[]")] journeys: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let journeys: Vec<crmkit::roi::Journey> = from_js(journeys, "journeys")?;
        crmkit::roi::compare_attribution(&policy, &journeys)
    };
    reply(run())
}

/// Touches given as typed-array columns, one row per touch (a journey's rows consecutive, in
/// time order, carrying its revenue and conversion day): the report of `attribute` without
/// journey lines, plus `credits`, each row's credit in units of 10^-`rounding.dp` as a
/// `Float64Array` (safe integers). Throws a `CrmkitError`.
#[wasm_bindgen(js_name = attributeColumns, unchecked_return_type = "ColumnsAttribution")]
pub fn attribute_columns(
    #[wasm_bindgen(unchecked_param_type = "AttributionPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "JourneyColumns")] columns: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || -> Result<(crmkit::roi::AttributionReport, Vec<f64>), crmkit::Error> {
        let policy = from_js_arg(policy, "policy")?;
        let c = TouchColumns::read(columns)?;
        let out = crmkit::roi::attribute_columns(&policy, &c.as_columns())?;
        #[allow(clippy::cast_precision_loss)] // checked below: every credit is a safe integer
        let credits: Vec<f64> = out.credits.iter().map(|&u| u as f64).collect();
        if let Some(i) = out.credits.iter().position(|u| u.unsigned_abs() > 9_007_199_254_740_991) {
            return Err(crmkit::Error::Parse {
                kind: crmkit::ParseKind::Decimal,
                path: format!("revenue[{i}]"),
                message: "a credit beyond 2^53 units has no exact JS number".into(),
            });
        }
        Ok((out.report, credits))
    };
    let (report, credits) = run().map_err(|e| crate::convert::to_js_error(&e))?;
    let object = crate::convert::to_js(&report)?;
    Reflect::set(&object, &JsValue::from_str("credits"), &Float64Array::from(credits.as_slice()))?;
    Ok(object)
}

/// `compareAttribution` over touches given as typed-array columns (as `attributeColumns`
/// takes them): every model of the policy side by side per channel, and the long rows a chart
/// takes, the same as `compareAttribution` on the same journeys. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = compareAttributionColumns, unchecked_return_type = "Comparison")]
pub fn compare_attribution_columns(
    #[wasm_bindgen(unchecked_param_type = "ComparisonPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "JourneyColumns")] columns: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let c = TouchColumns::read(columns)?;
        crmkit::roi::compare_attribution_columns(&policy, &c.as_columns())
    };
    reply(run())
}

/// `attributeColumns`' columns, copied once into Rust vectors.
struct TouchColumns {
    journey: Vec<i64>,
    channel: Vec<i32>,
    labels: Vec<String>,
    on: Vec<i64>,
    units: Vec<i64>,
    scale: u32,
    converted_on: Vec<i64>,
    milestone: Option<Vec<i8>>,
}

impl TouchColumns {
    fn read(value: &JsValue) -> Result<Self, crmkit::Error> {
        if !value.is_object() || Array::is_array(value) {
            return Err(type_error("columns", "a columns object", value));
        }
        let days = |name: &str, path: &str| -> Result<Vec<i64>, crmkit::Error> {
            Ok(int32(&get(value, name, path)?, path)?
                .into_iter()
                .map(|d| if d == i32::MIN { i64::MIN } else { i64::from(d) })
                .collect())
        };
        let journey = int32(&get(value, "journey", "journey")?, "journey")?.into_iter().map(i64::from).collect();
        let channel = int32(&get(value, "channel", "channel")?, "channel")?;
        let labels_value = get(value, "channelLabels", "channel_labels")?;
        if !Array::is_array(&labels_value) {
            return Err(type_error("channel_labels", "an array of strings", &labels_value));
        }
        let labels = Array::from(&labels_value)
            .iter()
            .enumerate()
            .map(|(j, s)| s.as_string().ok_or_else(|| type_error(&format!("channel_labels[{j}]"), "a string", &s)))
            .collect::<Result<_, _>>()?;
        let on = days("on", "on")?;
        let converted_on = days("convertedOn", "converted_on")?;
        let units = units(&get(value, "revenueUnits", "revenue")?)?;
        // Whole units unless minor units are declared (issue 6.10), as forecastColumns' amountScale.
        let scale_value = Reflect::get(value, &JsValue::from_str("revenueScale")).unwrap_or(JsValue::UNDEFINED);
        #[allow(clippy::float_cmp)] // exactness is the point
        let scale = if scale_value.is_undefined() || scale_value.is_null() {
            0
        } else {
            scale_value
                .as_f64()
                .filter(|v| v.trunc() == *v && (0.0..=28.0).contains(v))
                .ok_or_else(|| type_error("revenue_scale", "a whole number 0 to 28", &scale_value))? as u32
        };
        let milestone = match Reflect::get(value, &JsValue::from_str("milestone")) {
            Ok(m) if !m.is_undefined() && !m.is_null() => Some(
                m.dyn_ref::<Int8Array>()
                    .map(Int8Array::to_vec)
                    .ok_or_else(|| type_error("milestone", "an Int8Array", &m))?,
            ),
            _ => None,
        };
        Ok(Self { journey, channel, labels, on, units, scale, converted_on, milestone })
    }

    fn as_columns(&self) -> crmkit::roi::JourneyColumns<'_> {
        crmkit::roi::JourneyColumns {
            journey: &self.journey,
            channel: crmkit::roi::CodeColumn::I32(&self.channel),
            channel_labels: &self.labels,
            on: crmkit::roi::DayColumn::days(&self.on),
            revenue: crmkit::forecast::AmountColumn::Units { units: &self.units, scale: self.scale },
            converted_on: crmkit::roi::DayColumn::days(&self.converted_on),
            milestone: self.milestone.as_deref(),
        }
    }
}

fn get(object: &JsValue, name: &str, path: &str) -> Result<JsValue, crmkit::Error> {
    let value = Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() {
        return Err(crmkit::Error::Parse {
            kind: crmkit::ParseKind::MissingField,
            path: path.to_owned(),
            message: format!("missing column `{name}`"),
        });
    }
    Ok(value)
}

fn int32(value: &JsValue, path: &str) -> Result<Vec<i32>, crmkit::Error> {
    value.dyn_ref::<Int32Array>().map(Int32Array::to_vec).ok_or_else(|| type_error(path, "an Int32Array", value))
}

/// Integer units from a `BigInt64Array`, or a `Float64Array` of safe integers.
fn units(value: &JsValue) -> Result<Vec<i64>, crmkit::Error> {
    if let Some(big) = value.dyn_ref::<BigInt64Array>() {
        return Ok(big.to_vec());
    }
    let Some(floats) = value.dyn_ref::<Float64Array>() else {
        return Err(type_error("revenue", "a Float64Array or a BigInt64Array", value));
    };
    let floats = floats.to_vec();
    #[allow(clippy::float_cmp)] // exactness is the point
    let safe = |v: f64| v.trunc() == v && v.abs() <= 9_007_199_254_740_991.0;
    if let Some(i) = floats.iter().position(|&v| !safe(v)) {
        return Err(crmkit::Error::Parse {
            kind: crmkit::ParseKind::Decimal,
            path: format!("revenue[{i}]"),
            message: format!("{} is not a safe integer number of units", floats[i]),
        });
    }
    Ok(floats.into_iter().map(|v| v as i64).collect())
}

fn type_error(path: &str, expected: &str, got: &JsValue) -> crmkit::Error {
    crmkit::Error::Parse {
        kind: crmkit::ParseKind::Type,
        path: path.to_owned(),
        message: format!("expected {expected}, got {}", crate::convert::type_of(got)),
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Touches as columns for `attributeColumns` and `compareAttributionColumns`: row `i` is one touch; a journey's rows are consecutive and in time order. */
export interface JourneyColumns {
    /** Journey of each row (consecutive rows with one code are a journey). */
    journey: Int32Array;
    /** Channel of each row, an index into `channelLabels`. */
    channel: Int32Array;
    /** Channel names the codes refer to. */
    channelLabels: string[];
    /** Day of each touch, in days since 1970-01-01. */
    on: Int32Array;
    /** The journey's revenue on each row (read on its first), as integer units of 10^-revenueScale. */
    revenueUnits: Float64Array | BigInt64Array;
    /** Decimal places of `revenueUnits`, 0 to 28 (2: cents); default 0, whole units. */
    revenueScale?: number;
    /** The journey's conversion day on each row, days since 1970-01-01; -2147483648: did not convert. */
    convertedOn: Int32Array;
    /** 0 none, 1 lead_created, 2 deal_created. */
    milestone?: Int8Array;
}

/** What `attributeColumns` returns: the report without journey lines, and each row's credit. */
export interface ColumnsAttribution extends AttributionReport {
    /** Each row's credit in units of 10^-rounding.dp (cents by default), safe integers. */
    credits: Float64Array;
}
"#;
