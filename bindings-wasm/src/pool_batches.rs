//! `assignRecordsColumns` and `checkClaimsColumns`: the assignment and claim batches as typed
//! arrays, their answers back as typed arrays. Keys are `{codes: Int32Array, labels}` (-1:
//! none), instants ms since 1970-01-01 UTC in `Float64Array`s (NaN: none), counts whole
//! numbers in `Float64Array`s. Paths in errors use the core's column names (`region[i]`,
//! `ledger.at[j]`, `holdings.owned[i]`).

use crmkit::pool::{
    AssignColumns, AssignState, ClaimColumns, CodeColumn, HoldingColumns, LedgerColumns, PooledColumns, RequestColumns,
    ASSIGN_CHOICES, CLAIM_REASONS,
};
use crmkit::{Error, ParseKind};
use js_sys::{Array, Float64Array, Int32Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::columns::{get, optional, type_error, MAX_SAFE_INTEGER};
use crate::convert::{from_js_arg, string_arg, to_js, to_js_error};
use crate::pool_columns::{codes, instants, ms_array, required_codes, whole_numbers, Codes};

fn object(value: &JsValue, path: &str) -> Result<(), Error> {
    if value.is_object() && !Array::is_array(value) {
        Ok(())
    } else {
        Err(type_error(path, "a columns object", value))
    }
}

/// Counts: whole, safe numbers.
fn whole(value: &JsValue, path: &str) -> Result<Vec<i64>, Error> {
    whole_numbers(value, path, "counts", ParseKind::Type, None)
}

fn floats(values: impl IntoIterator<Item = f64>) -> Float64Array {
    let v: Vec<f64> = values.into_iter().collect();
    Float64Array::from(&v[..])
}

fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(object, &JsValue::from_str(key), value).map(|_| ())
}

fn column(c: &Codes) -> CodeColumn<'_> {
    CodeColumn { codes: &c.0, labels: &c.1 }
}

/// `assignRecords` over typed-array columns: `records` is `{rows, region?, productLine?,
/// level?, source?}`, `state` the load, cursors and seed; one assignment per row as columns
/// (the same as `assignRecords` on the same rows). Throws a `CrmkitError`.
#[wasm_bindgen(js_name = assignRecordsColumns, unchecked_return_type = "AssignmentColumns")]
pub fn assign_records_columns(
    #[wasm_bindgen(unchecked_param_type = "AssignPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "AssignRecordColumns")] records: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "AssignState")] state: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || -> Result<_, Error> {
        let policy = from_js_arg(policy, "policy")?;
        object(records, "records")?;
        let rows = get(records, "rows", "rows")?;
        let rows = rows
            .as_f64()
            .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= MAX_SAFE_INTEGER)
            .ok_or_else(|| type_error("rows", "a whole number of rows", &rows))?;
        let keys = [
            codes(records, "region", "region")?,
            codes(records, "productLine", "product_line")?,
            codes(records, "level", "level")?,
            codes(records, "source", "source")?,
        ];
        let state: AssignState =
            if state.is_undefined() || state.is_null() { AssignState::default() } else { from_js_arg(state, "state")? };
        let cols = AssignColumns {
            // Beyond usize (wasm32): the core's own limit on rows answers.
            rows: usize::try_from(rows as u64).unwrap_or(usize::MAX),
            region: keys[0].as_ref().map(column),
            product_line: keys[1].as_ref().map(column),
            level: keys[2].as_ref().map(column),
            source: keys[3].as_ref().map(column),
        };
        crmkit::pool::assign_records_columns(&policy, &cols, &state)
    };
    let out = run().map_err(|e| to_js_error(&e))?;
    let o = Object::new();
    set(&o, "route", &Int32Array::from(&out.route[..]))?;
    set(&o, "team", &Int32Array::from(&out.team[..]))?;
    set(&o, "rep", &Int32Array::from(&out.rep[..]))?;
    set(&o, "choice", &Uint8Array::from(&out.choice[..]))?;
    set(&o, "cursor", &floats(out.cursor.iter().map(|&c| c as f64)))?;
    set(&o, "held", &floats(out.held.iter().map(|&c| c as f64)))?;
    set(&o, "skippedInactive", &floats(out.skipped_inactive.iter().map(|&c| c as f64)))?;
    set(&o, "skippedFull", &floats(out.skipped_full.iter().map(|&c| c as f64)))?;
    set(&o, "routes", &to_js(&out.routes)?)?;
    set(&o, "teams", &to_js(&out.teams)?)?;
    set(&o, "reps", &to_js(&out.reps)?)?;
    set(&o, "choices", &to_js(&ASSIGN_CHOICES)?)?;
    set(&o, "cursors", &to_js(&out.cursors)?)?;
    set(&o, "load", &to_js(&out.load)?)?;
    Ok(o.into())
}

/// Holdings: user, pool, owned, won.
type Holdings = (Codes, Option<Codes>, Vec<i64>, Option<Vec<i64>>);
/// The ledger: at, user, record, pool, event.
type Ledger = (Vec<i64>, Codes, Codes, Option<Codes>, Codes);

/// The four claim tables read from JS and owned, for `ClaimColumns` to borrow.
struct Tables {
    pooled: (Codes, Codes, Vec<i64>),
    holdings: Option<Holdings>,
    ledger: Option<Ledger>,
    requests: (Codes, Codes),
}

impl Tables {
    fn read(tables: &JsValue) -> Result<Self, Error> {
        object(tables, "claims")?;
        let p = get(tables, "pooled", "pooled")?;
        object(&p, "pooled")?;
        let pooled = (
            required_codes(&p, "id", "pooled.id")?,
            required_codes(&p, "pool", "pooled.pool")?,
            instants(&get(&p, "pooledAt", "pooled.pooled_at")?, "pooled.pooled_at", false)?,
        );
        let holdings = optional(tables, "holdings")
            .map(|h| {
                object(&h, "holdings")?;
                Ok::<_, Error>((
                    required_codes(&h, "user", "holdings.user")?,
                    codes(&h, "pool", "holdings.pool")?,
                    whole(&get(&h, "owned", "holdings.owned")?, "holdings.owned")?,
                    optional(&h, "won").map(|w| whole(&w, "holdings.won")).transpose()?,
                ))
            })
            .transpose()?;
        let ledger = optional(tables, "ledger")
            .map(|l| {
                object(&l, "ledger")?;
                Ok::<_, Error>((
                    instants(&get(&l, "at", "ledger.at")?, "ledger.at", false)?,
                    required_codes(&l, "user", "ledger.user")?,
                    required_codes(&l, "record", "ledger.record")?,
                    codes(&l, "pool", "ledger.pool")?,
                    required_codes(&l, "event", "ledger.event")?,
                ))
            })
            .transpose()?;
        let r = get(tables, "requests", "requests")?;
        object(&r, "requests")?;
        let requests = (required_codes(&r, "user", "requests.user")?, required_codes(&r, "record", "requests.record")?);
        Ok(Self { pooled, holdings, ledger, requests })
    }

    fn columns(&self) -> ClaimColumns<'_> {
        let (id, pool, at) = &self.pooled;
        ClaimColumns {
            pooled: PooledColumns { id: column(id), pool: column(pool), pooled_at: at },
            holdings: self.holdings.as_ref().map(|(user, pool, owned, won)| HoldingColumns {
                user: column(user),
                pool: pool.as_ref().map(column),
                owned,
                won: won.as_deref(),
            }),
            ledger: self.ledger.as_ref().map(|(at, user, record, pool, event)| LedgerColumns {
                at,
                user: column(user),
                record: column(record),
                pool: pool.as_ref().map(column),
                event: column(event),
            }),
            requests: RequestColumns { user: column(&self.requests.0), record: column(&self.requests.1) },
        }
    }
}

/// `checkClaims` over typed-array columns: `claims` holds the `pooled`, `holdings?`,
/// `ledger?` and `requests` tables; one answer per request as columns (the same as
/// `checkClaims` on the same rows). Throws a `CrmkitError`.
#[wasm_bindgen(js_name = checkClaimsColumns, unchecked_return_type = "ClaimDecisionColumns")]
pub fn check_claims_columns(
    #[wasm_bindgen(unchecked_param_type = "PoolPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "ClaimTables")] claims: &JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || -> Result<_, Error> {
        let policy = from_js_arg(policy, "policy")?;
        let tables = Tables::read(claims)?;
        let as_of = crmkit::pool::AsOf::parse(&string_arg(as_of, "as_of")?)?;
        crmkit::pool::check_claims_columns(&policy, &tables.columns(), as_of)
    };
    let out = run().map_err(|e| to_js_error(&e))?;
    let o = Object::new();
    let accepted: Vec<u8> = out.accepted.iter().map(|&a| u8::from(a)).collect();
    set(&o, "pool", &Int32Array::from(&out.pool[..]))?;
    set(&o, "accepted", &Uint8Array::from(&accepted[..]))?;
    set(&o, "reasons", &Uint8Array::from(&out.reasons[..]))?;
    set(&o, "embargoSince", &ms_array(&out.embargo_since))?;
    set(&o, "embargoUntil", &ms_array(&out.embargo_until))?;
    set(&o, "cooldownSince", &ms_array(&out.cooldown_since))?;
    set(&o, "cooldownUntil", &ms_array(&out.cooldown_until))?;
    set(&o, "holdingsCount", &floats(out.holdings_count.iter().map(|&c| c as f64)))?;
    set(&o, "holdingsLimit", &floats(out.holdings_limit.iter().map(|&c| c as f64)))?;
    set(&o, "dailyCount", &floats(out.daily_count.iter().map(|&c| c as f64)))?;
    set(&o, "dailyLimit", &floats(out.daily_limit.iter().map(|&c| c as f64)))?;
    set(&o, "claimedAt", &ms_array(&out.claimed_at))?;
    set(&o, "pools", &to_js(&out.pools)?)?;
    set(&o, "reasonLabels", &to_js(&CLAIM_REASONS)?)?;
    set(&o, "holdings", &to_js(&out.holdings)?)?;
    Ok(o.into())
}

#[wasm_bindgen(typescript_custom_section)]
const TS_POOL_BATCHES: &str = r#"
/** Records to assign as columns for `assignRecordsColumns`: `rows` records, assigned in row order; a key absent is no value on every row. */
export interface AssignRecordColumns {
    rows: number;
    region?: PoolCodes;
    productLine?: PoolCodes;
    level?: PoolCodes;
    source?: PoolCodes;
}
/** Assignments as columns: `route` / `team` index the policy's routes and teams (-1: none), `rep` indexes `reps` and `load` (-1: the fallback queue), `choice` indexes `choices`; `cursor` is the cursor a round robin or weighted draw used, `held` what a least-loaded rep held (0 otherwise). */
export interface AssignmentColumns {
    route: Int32Array;
    team: Int32Array;
    rep: Int32Array;
    choice: Uint8Array;
    cursor: Float64Array;
    held: Float64Array;
    skippedInactive: Float64Array;
    skippedFull: Float64Array;
    routes: string[];
    teams: string[];
    reps: string[];
    choices: string[];
    cursors: Record<string, number>;
    load: RepLoad[];
}
/** The claim tables for `checkClaimsColumns`: ids as codes into labels (matched across tables by name), instants in ms since 1970 UTC, counts as whole numbers. */
export interface ClaimTables {
    pooled: { id: PoolCodes; pool: PoolCodes; pooledAt: Float64Array; };
    holdings?: { user: PoolCodes; pool?: PoolCodes; owned: Float64Array; won?: Float64Array; };
    ledger?: { at: Float64Array; user: PoolCodes; record: PoolCodes; pool?: PoolCodes; event: PoolCodes; };
    requests: { user: PoolCodes; record: PoolCodes; };
}
/** Answers as columns, one per request: `pool` indexes `pools` (-1: none), `accepted` 0 / 1, `reasons` bit k for `reasonLabels[k]`; each reason's numbers in its columns (instants NaN, counts -1 where absent); `claimedAt` the accepted claim's ledger instant. */
export interface ClaimDecisionColumns {
    pool: Int32Array;
    accepted: Uint8Array;
    reasons: Uint8Array;
    embargoSince: Float64Array;
    embargoUntil: Float64Array;
    cooldownSince: Float64Array;
    cooldownUntil: Float64Array;
    holdingsCount: Float64Array;
    holdingsLimit: Float64Array;
    dailyCount: Float64Array;
    dailyLimit: Float64Array;
    claimedAt: Float64Array;
    pools: string[];
    reasonLabels: string[];
    holdings: Holding[];
}
"#;
