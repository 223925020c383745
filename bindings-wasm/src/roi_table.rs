//! `campaignRoiColumns(..., { output: "columns" })`: the ROI report with its campaign lines as
//! typed-array columns (`RoiTable`, from the core's [`RoiTable`]): money as `BigInt64Array`
//! units of the policy's `rounding.dp`, percentages of its `percent_rounding.dp`, a `*Missing`
//! `Uint8Array` beside each figure the report can leave null. 131,072 campaign lines cross as a
//! few dozen typed arrays instead of ~120 MB of JSON text parsed into objects.

use crmkit::forecast::UnitColumn;
use crmkit::roi::{LabelColumn, RoiPolicy, RoiReport, RoiTable, ROI_NEVER_NULL, ROI_REASONS};
use js_sys::{Array, BigInt64Array, Float64Array, Int32Array, Object, Reflect, Uint16Array, Uint32Array, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::convert::{to_js, to_js_error};

fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(object, &JsValue::from_str(key), value).map(|_| ())
}

/// A report name (`cost_per_lead`, `won_from_top_pct`) as JS spells it (`costPerLead`).
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// A figure's column: `{name}` (units, 0 where null) and, when the report can leave it null,
/// `{name}Missing` (1 where null).
fn figure(lines: &Object, name: &str, column: &UnitColumn) -> Result<(), JsValue> {
    let js = camel(name);
    set(lines, &js, &BigInt64Array::from(&column.units[..]))?;
    if ROI_NEVER_NULL.contains(&name) {
        return Ok(());
    }
    let missing: Vec<u8> = column.missing.iter().map(|&m| u8::from(m)).collect();
    set(lines, &format!("{js}Missing"), &Uint8Array::from(&missing[..]))
}

fn labels(column: &LabelColumn) -> Array {
    column.labels.iter().map(|l| JsValue::from_str(l)).collect()
}

/// `report` (of `policy`, over campaign rows whose ids are `id`, codes into the caller's
/// `id_labels`) as an `RoiTable`: row `i` of the columns is the report's campaign line `i`.
pub fn table(mut report: RoiReport, policy: &RoiPolicy, id: &[i32], id_labels: &JsValue) -> Result<JsValue, JsValue> {
    let t = RoiTable::new(&report, policy).map_err(|e| to_js_error(&e))?;
    // The rest of the report (channels, groups, periods, total): a few dozen lines.
    report.campaigns.clear();
    let object: Object = to_js(&report)?.unchecked_into();
    set(&object, "scale", &JsValue::from(t.scale))?;
    set(&object, "percentScale", &JsValue::from(t.percent_scale))?;
    set(&object, "funnel", &to_js(&policy.funnel)?)?;
    set(&object, "reasonCodes", &to_js(&ROI_REASONS)?)?;
    set(&object, "idLabels", id_labels)?;
    set(&object, "channelLabels", &labels(&t.channel))?;
    set(&object, "groupLabels", &labels(&t.group))?;
    set(&object, "periodLabels", &labels(&t.period))?;
    let lines = Object::new();
    set(&lines, "id", &Int32Array::from(id))?;
    set(&lines, "channel", &Int32Array::from(&t.channel.index[..]))?;
    set(&lines, "group", &Int32Array::from(&t.group.index[..]))?;
    set(&lines, "period", &Int32Array::from(&t.period.index[..]))?;
    for (name, counts) in &t.counts {
        // A campaign's counts came in as safe integers: exact in a double.
        #[allow(clippy::cast_precision_loss)]
        let doubles: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        set(&lines, &camel(name), &Float64Array::from(&doubles[..]))?;
    }
    for (name, column) in &t.money {
        figure(&lines, name, column)?;
    }
    for (name, column) in &t.percent {
        figure(&lines, name, column)?;
    }
    set(&lines, "reasons", &Uint16Array::from(&t.reasons[..]))?;
    set(&object, "campaigns", &lines)?;
    let c = &t.cost_periods;
    let pieces = Object::new();
    set(&pieces, "offsets", &Uint32Array::from(&c.offsets[..]))?;
    set(&pieces, "period", &Int32Array::from(&c.period[..]))?;
    set(&pieces, "days", &Uint32Array::from(&c.days[..]))?;
    set(&pieces, "scale", &JsValue::from(c.scale))?;
    set(&pieces, "cost", &BigInt64Array::from(&c.cost.units[..]))?;
    figure(&pieces, "budget", &c.budget)?;
    set(&object, "costPeriods", &pieces)?;
    Ok(object.into())
}

#[wasm_bindgen(typescript_custom_section)]
const TS_ROI_TABLE: &str = r#"
/** ROI metrics over campaigns given as typed-array columns (`id` / `channel` codes with `idLabels` / `channelLabels`, `cost` or `costUnits`, optional `wonRevenue`, `budget`, `expectedRevenue`, `startOn`, `endOn`, `leads`, `customers`, `opportunities`, `won`, `newCustomers`): the same report as `campaignRoi` on the same campaigns. Throws a `CrmkitError` at the column and row (`cost[3]`). */
export function campaignRoiColumns(policy: RoiPolicy, columns: CampaignColumns): RoiReport;
/** With `{ output: "columns" }`: the same report with its campaign lines as typed-array columns (`RoiTable`). */
export function campaignRoiColumns(policy: RoiPolicy, columns: CampaignColumns, options: { output: "columns" }): RoiTable;
export function campaignRoiColumns(policy: RoiPolicy, columns: CampaignColumns, options?: { output?: "report" } | null): RoiReport;
export function campaignRoiColumns(policy: RoiPolicy, columns: CampaignColumns, options?: CampaignRoiColumnsOptions | null): RoiReport | RoiTable;
/** `campaignRoiColumns`' options. */
export interface CampaignRoiColumnsOptions {
    /** "report" (the default): an `RoiReport`; "columns": an `RoiTable`. */
    output?: "report" | "columns";
}
/** The campaign lines as columns, row `i` the campaign of input row `i` (the report's order). Money (and ROAS) as integer units of 10^-`scale`, percentages of 10^-`percentScale`; where the report's figure is null, the unit is 0 and its `*Missing` is 1. Funnel stages (the table's `funnel`, e.g. `leads`) give `{stage}Count`, `{stage}FromTopPct` and `{stage}FromPreviousPct` (with their `Missing`). */
export interface RoiCampaignColumns {
    /** The campaign's id: the input row's code into the table's `idLabels`. */
    id: Int32Array;
    /** Indexes into the table's `channelLabels`, `groupLabels`, `periodLabels` (-1: none, e.g. an undated campaign's period). */
    channel: Int32Array;
    group: Int32Array;
    period: Int32Array;
    campaigns: Float64Array;
    leads: Float64Array;
    customers: Float64Array;
    opportunities: Float64Array;
    won: Float64Array;
    newCustomers: Float64Array;
    budget: BigInt64Array;
    budgetMissing: Uint8Array;
    cost: BigInt64Array;
    budgetVariance: BigInt64Array;
    budgetVarianceMissing: Uint8Array;
    expectedRevenue: BigInt64Array;
    expectedRevenueMissing: Uint8Array;
    wonRevenue: BigInt64Array;
    revenueVariance: BigInt64Array;
    revenueVarianceMissing: Uint8Array;
    netReturn: BigInt64Array;
    roas: BigInt64Array;
    roasMissing: Uint8Array;
    costPerLead: BigInt64Array;
    costPerLeadMissing: Uint8Array;
    costPerOpportunity: BigInt64Array;
    costPerOpportunityMissing: Uint8Array;
    costPerWin: BigInt64Array;
    costPerWinMissing: Uint8Array;
    cac: BigInt64Array;
    cacMissing: Uint8Array;
    budgetUsedPct: BigInt64Array;
    budgetUsedPctMissing: Uint8Array;
    revenueAttainedPct: BigInt64Array;
    revenueAttainedPctMissing: Uint8Array;
    roiPct: BigInt64Array;
    roiPctMissing: Uint8Array;
    /** The line's reasons as bits: bit `k` is the table's `reasonCodes[k]`. */
    reasons: Uint16Array;
    /** The funnel stages' columns (`leadsCount`, `wonFromTopPct`, `wonFromTopPctMissing`...). */
    [stageColumn: string]: Float64Array | BigInt64Array | Uint8Array | Uint16Array | Int32Array;
}
/** The campaign lines' `cost_periods` (under `cost_allocation: "pro_rata"`) piece after piece: line `i`'s pieces are rows `offsets[i]` to `offsets[i + 1]` (excluded), in its list's order; none without pro rata. */
export interface RoiCostPeriodColumns {
    /** One offset per campaign line and one more (the number of pieces). */
    offsets: Uint32Array;
    /** The piece's period: an index into the table's `periodLabels`. */
    period: Int32Array;
    /** The campaign's days in that period. */
    days: Uint32Array;
    /** Decimal places of `cost` and `budget`: the pieces' largest (a piece keeps its cost's places when they are more than the policy's), at least the table's `scale`. */
    scale: number;
    cost: BigInt64Array;
    /** The budget's piece; 0 with `budgetMissing` 1 for a campaign without a budget. */
    budget: BigInt64Array;
    budgetMissing: Uint8Array;
}
/** What `campaignRoiColumns` returns with `{ output: "columns" }`: the report (channels, groups, periods, total as records) with its campaign lines as columns and their `cost_periods` as `costPeriods`. Each unit is the report's figure, exactly. */
export interface RoiTable extends Omit<RoiReport, "campaigns"> {
    /** Decimal places of the money columns and of ROAS (the policy's `rounding.dp`). */
    scale: number;
    /** Decimal places of the percentages (the policy's `percent_rounding.dp`). */
    percentScale: number;
    /** The policy's funnel stages, in order. */
    funnel: FunnelStage[];
    /** The reason of each bit of `campaigns.reasons`. */
    reasonCodes: RoiReason[];
    /** The `idLabels` given (the same array). */
    idLabels: string[];
    channelLabels: string[];
    groupLabels: string[];
    periodLabels: string[];
    campaigns: RoiCampaignColumns;
    costPeriods: RoiCostPeriodColumns;
}
"#;
