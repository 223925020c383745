//! `evaluatePoolColumns`: records and activities as typed arrays, decisions back as typed
//! arrays; `simulatePoolColumns` replays the same columns under two policies. Instants are milliseconds since 1970-01-01 UTC in a `Float64Array` (NaN: none);
//! flags are `Uint8Array`s (0 / 1). Paths in errors use the core's column names.

use crmkit::pool::{ActivityColumns, CodeColumn, DecisionColumns, MemberColumns, RecordColumns, NONE};
use crmkit::{Error, ParseKind};
use js_sys::{Array, Float64Array, Int32Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::columns::{get, int32, optional, safe_integer, strings, type_error};
use crate::convert::{from_js_arg, reply, string_arg, to_js, to_js_error};

pub(crate) struct Codes(pub Vec<i32>, pub Vec<String>);

pub(crate) fn codes(object: &JsValue, name: &str, path: &str) -> Result<Option<Codes>, Error> {
    optional(object, name)
        .map(|v| {
            let codes = int32(&get(&v, "codes", &format!("{path}.codes"))?, path)?;
            let labels = strings(&get(&v, "labels", &format!("{path}.labels"))?, &format!("{path}.labels"))?;
            Ok(Codes(codes, labels))
        })
        .transpose()
}

pub(crate) fn required_codes(object: &JsValue, name: &str, path: &str) -> Result<Codes, Error> {
    get(object, name, path)?;
    codes(object, name, path).map(|c| c.unwrap_or(Codes(Vec::new(), Vec::new())))
}

/// Milliseconds: whole, safe numbers; NaN for none where `none_ok`.
pub(crate) fn instants(value: &JsValue, path: &str, none_ok: bool) -> Result<Vec<i64>, Error> {
    whole_numbers(value, path, "ms", ParseKind::Date, none_ok.then_some(NONE))
}

/// Whole, safe numbers of `unit` from a `Float64Array`; NaN reads as `none` where given. A value
/// that is neither is a `kind` error at `path[i]`.
pub(crate) fn whole_numbers(
    value: &JsValue,
    path: &str,
    unit: &str,
    kind: ParseKind,
    none: Option<i64>,
) -> Result<Vec<i64>, Error> {
    let floats = value
        .dyn_ref::<Float64Array>()
        .map(Float64Array::to_vec)
        .ok_or_else(|| type_error(path, &format!("a Float64Array of {unit}"), value))?;
    floats
        .iter()
        .enumerate()
        .map(|(i, &v)| match none {
            Some(none) if v.is_nan() => Ok(none),
            _ if safe_integer(v) => Ok(v as i64),
            _ => Err(Error::Parse {
                kind,
                path: format!("{path}[{i}]"),
                message: format!("{v} is not a whole number of {unit}"),
            }),
        })
        .collect()
}

/// A member table `{record: Int32Array, <value>: PoolCodes}`.
struct Members(Vec<i32>, Codes);

impl Members {
    fn columns(&self) -> MemberColumns<'_> {
        MemberColumns { record: &self.0, value: CodeColumn { codes: &self.1 .0, labels: &self.1 .1 } }
    }
}

fn members(object: &JsValue, name: &str, value: &str, paths: [&str; 2]) -> Result<Option<Members>, Error> {
    optional(object, name)
        .map(|v| {
            let record = int32(&get(&v, "record", paths[0])?, paths[0])?;
            Ok(Members(record, required_codes(&v, value, paths[1])?))
        })
        .transpose()
}

fn flags(object: &JsValue, name: &str, path: &str) -> Result<Option<Vec<bool>>, Error> {
    optional(object, name)
        .map(|v| {
            v.dyn_ref::<Uint8Array>()
                .map(|a| a.to_vec().into_iter().map(|b| b != 0).collect())
                .ok_or_else(|| type_error(path, "a Uint8Array", &v))
        })
        .transpose()
}

fn times(object: &JsValue, name: &str, path: &str) -> Result<Option<Vec<i64>>, Error> {
    optional(object, name).map(|v| instants(&v, path, true)).transpose()
}

/// The columns of a book, read from JS and owned, for `RecordColumns` / `ActivityColumns` to
/// borrow.
struct Book {
    owner: Codes,
    claimed: Vec<i64>,
    keys: [Option<Codes>; 4],
    locked: Option<Vec<bool>>,
    open_contract: Option<Vec<bool>>,
    won: Option<Vec<i64>>,
    opp: Option<Vec<i64>>,
    team: Option<Members>,
    tags: Option<Members>,
    record: Vec<i32>,
    at: Vec<i64>,
    logged: Option<Vec<i64>>,
    kind: Codes,
    actor: Codes,
    deleted: Option<Vec<bool>>,
}

impl Book {
    fn read(records: &JsValue, activities: &JsValue) -> Result<Self, Error> {
        for (v, what) in [(records, "records"), (activities, "activities")] {
            if !v.is_object() || Array::is_array(v) {
                return Err(type_error(what, "a columns object", v));
            }
        }
        Ok(Self {
            owner: required_codes(records, "owner", "owner")?,
            claimed: instants(&get(records, "claimedAt", "claimed_at")?, "claimed_at", false)?,
            keys: [
                codes(records, "department", "department")?,
                codes(records, "region", "region")?,
                codes(records, "productLine", "product_line")?,
                codes(records, "level", "level")?,
            ],
            locked: flags(records, "locked", "locked")?,
            open_contract: flags(records, "openContract", "open_contract")?,
            won: times(records, "lastWonAt", "last_won_at")?,
            opp: times(records, "lastOpportunityAt", "last_opportunity_at")?,
            team: members(records, "team", "user", ["team_record", "team_user"])?,
            tags: members(records, "tags", "tag", ["tag_record", "tag"])?,
            record: int32(&get(activities, "record", "activity_record")?, "activity_record")?,
            at: instants(&get(activities, "at", "activity_at")?, "activity_at", false)?,
            logged: times(activities, "loggedAt", "activity_logged_at")?,
            kind: required_codes(activities, "type", "activity_type")?,
            actor: required_codes(activities, "actor", "activity_actor")?,
            deleted: flags(activities, "deleted", "activity_deleted")?,
        })
    }

    fn records(&self) -> RecordColumns<'_> {
        let key = |k: usize| self.keys[k].as_ref().map(|c| CodeColumn { codes: &c.0, labels: &c.1 });
        RecordColumns {
            owner: CodeColumn { codes: &self.owner.0, labels: &self.owner.1 },
            claimed_at: &self.claimed,
            department: key(0),
            region: key(1),
            product_line: key(2),
            level: key(3),
            locked: self.locked.as_deref(),
            open_contract: self.open_contract.as_deref(),
            last_won_at: self.won.as_deref(),
            last_opportunity_at: self.opp.as_deref(),
            team: self.team.as_ref().map(Members::columns),
            tags: self.tags.as_ref().map(Members::columns),
        }
    }

    fn activities(&self) -> ActivityColumns<'_> {
        ActivityColumns {
            record: &self.record,
            at: &self.at,
            logged_at: self.logged.as_deref(),
            kind: CodeColumn { codes: &self.kind.0, labels: &self.kind.1 },
            actor: CodeColumn { codes: &self.actor.0, labels: &self.actor.1 },
            deleted: self.deleted.as_deref(),
        }
    }
}

fn read_and_run(
    policy: &JsValue,
    records: &JsValue,
    activities: &JsValue,
    as_of: &JsValue,
) -> Result<DecisionColumns, Error> {
    let policy = from_js_arg(policy, "policy")?;
    let book = Book::read(records, activities)?;
    let as_of = crmkit::pool::AsOf::parse(&string_arg(as_of, "as_of")?)?;
    crmkit::pool::evaluate_pool_columns(&policy, &book.records(), &book.activities(), as_of)
}

/// `simulatePool` over the columns `evaluatePoolColumns` takes: the same report as
/// `simulatePool` (recycled records per owner and day under policies `a` and `b`, `from` to
/// `to` as `YYYY-MM-DD`). Throws a `CrmkitError`.
#[wasm_bindgen(js_name = simulatePoolColumns, unchecked_return_type = "SimulationReport")]
pub fn simulate_pool_columns(
    #[wasm_bindgen(unchecked_param_type = "PoolPolicy")] a: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "PoolPolicy")] b: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "PoolRecordColumns")] records: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "PoolActivityColumns")] activities: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] from: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] to: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let a = from_js_arg(a, "a")?;
        let b = from_js_arg(b, "b")?;
        let book = Book::read(records, activities)?;
        let from = crmkit::wire::parse_date(&string_arg(from, "from")?, "from")?;
        let to = crmkit::wire::parse_date(&string_arg(to, "as_of")?, "as_of")?;
        crmkit::pool::simulate_pool_columns(&a, &b, &book.records(), &book.activities(), from, to)
    };
    reply(run())
}

pub(crate) fn ms_array(values: &[i64]) -> Float64Array {
    let floats: Vec<f64> = values.iter().map(|&v| if v == NONE { f64::NAN } else { v as f64 }).collect();
    Float64Array::from(&floats[..])
}

/// `evaluatePool` over typed-array columns: one decision per record as columns. Throws a
/// `CrmkitError`.
#[wasm_bindgen(js_name = evaluatePoolColumns, unchecked_return_type = "PoolDecisionColumns")]
pub fn evaluate_pool_columns(
    #[wasm_bindgen(unchecked_param_type = "PoolPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "PoolRecordColumns")] records: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "PoolActivityColumns")] activities: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let out = read_and_run(policy, records, activities, as_of).map_err(|e| to_js_error(&e))?;
    let object = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&object, &JsValue::from_str(k), v).map(|_| ());
    set("pool", &Int32Array::from(&out.pool[..]))?;
    set("decision", &Uint8Array::from(&out.decision[..]))?;
    set("dueAt", &ms_array(&out.due_at))?;
    set("warnAt", &ms_array(&out.warn_at))?;
    set("lastFollowUpAt", &ms_array(&out.last_follow_up_at))?;
    set("rule", &Int32Array::from(&out.rule[..]))?;
    set("pools", &to_js(&out.pools)?)?;
    set("counts", &to_js(&out.counts)?)?;
    set("totals", &to_js(&out.totals)?)?;
    Ok(object.into())
}

#[wasm_bindgen(typescript_custom_section)]
const TS_POOL_COLUMNS: &str = r#"
/** Codes into labels, -1 for none. */
export interface PoolCodes { codes: Int32Array; labels: string[]; }
/** Records as columns for `evaluatePoolColumns`: row `i` is one record. Instants in ms since 1970 UTC, NaN for none. */
export interface PoolRecordColumns {
    owner: PoolCodes;
    claimedAt: Float64Array;
    department?: PoolCodes;
    region?: PoolCodes;
    productLine?: PoolCodes;
    level?: PoolCodes;
    locked?: Uint8Array;
    openContract?: Uint8Array;
    lastWonAt?: Float64Array;
    lastOpportunityAt?: Float64Array;
    /** Team members (their follow-ups count under `actor: team`), one row per (record, user). */
    team?: { record: Int32Array; user: PoolCodes; };
    /** Tags (matched against a pool's exempt tags), one row per (record, tag). */
    tags?: { record: Int32Array; tag: PoolCodes; };
}
/** Activities as columns: `record` is the row of the record. */
export interface PoolActivityColumns {
    record: Int32Array;
    at: Float64Array;
    loggedAt?: Float64Array;
    type: PoolCodes;
    actor: PoolCodes;
    deleted?: Uint8Array;
}
/** Decisions as columns: `decision` 0 keep, 1 warn, 2 recycle, 3 exempt; instants in ms, NaN for none. */
export interface PoolDecisionColumns {
    pool: Int32Array;
    decision: Uint8Array;
    dueAt: Float64Array;
    warnAt: Float64Array;
    lastFollowUpAt: Float64Array;
    rule: Int32Array;
    pools: string[];
    counts: PoolCountsLine[];
    totals: PoolCounts;
}
"#;
